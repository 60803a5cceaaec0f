"""Run directory I/O: standard JSON (``inf`` written as the string ``"inf"``) and JSON-lines logs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator

__all__ = ["to_json", "from_json", "JsonlWriter", "read_jsonl", "write_json"]


def to_json(obj: Any) -> Any:
    """Recursively make ``obj`` standard-JSON safe: ``inf -> "inf"``, ``-inf -> "-inf"``, ``nan -> None``,
    tuples to lists, tensors/numpy scalars to Python numbers.

    Example:
        >>> to_json({"k": float("inf"), "t": (1, float("nan"))})
        {'k': 'inf', 't': [1, None]}
    """
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 0) == 0:
        obj = obj.item()
    if isinstance(obj, float):
        if math.isnan(obj):
            return None
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
    if isinstance(obj, Path):
        return str(obj)
    return obj


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json` for a single value: ``"inf"``/``"-inf"`` back to floats."""
    if value == "inf":
        return math.inf
    if value == "-inf":
        return -math.inf
    return value


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented standard JSON (atomic rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_json(obj), indent=2, allow_nan=False) + "\n")
    tmp.replace(path)


class JsonlWriter:
    """Append-only JSON-lines log; every line is flushed so an interrupted run keeps what it logged."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None

    def write(self, record: dict) -> None:
        if self.path is None:
            return
        with open(self.path, "a") as fh:
            fh.write(json.dumps(to_json(record), allow_nan=False) + "\n")


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield the records of a JSON-lines file, with ``"inf"`` strings turned back into floats."""
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                yield {k: from_json(v) for k, v in json.loads(line).items()}
