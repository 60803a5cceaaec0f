"""One JSON codec for the whole toolkit: standard JSON with non-finite floats as strings.

Policy (the only one used by ``slqc``, ``dante``, ``proofs_check`` and ``experiments``):

* ``inf`` -> ``"inf"``, ``-inf`` -> ``"-inf"``, ``nan`` -> ``"nan"`` (so a value survives a round
  trip and a reader can tell "not a number" from "missing", which is ``null``);
* tuples -> lists, numpy / torch scalars and arrays -> Python numbers and lists, paths -> strings;
* files are written with ``allow_nan=False`` (any other non-standard float is a bug, and raises),
  atomically (a temporary file renamed over the target), parent folders created.

:func:`decode` is the inverse: the three strings become floats again, everywhere in a document.

Example:
    >>> encode({"k": float("inf"), "t": (1, float("nan"))})
    {'k': 'inf', 't': [1, 'nan']}
    >>> decode(encode({"k": float("-inf")}))
    {'k': -inf}
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterator

__all__ = ["encode", "decode", "dumps", "loads", "write", "read", "append_jsonl", "read_jsonl"]

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def encode(obj: Any) -> Any:
    """Recursively make ``obj`` standard-JSON ready (see the module docstring for the policy)."""
    if isinstance(obj, dict):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(v) for v in obj]
    if hasattr(obj, "detach"):  # torch tensor
        obj = obj.detach().cpu()
        return encode(obj.item() if obj.ndim == 0 else obj.tolist())
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):  # numpy array or scalar
        return encode(obj.tolist())
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if math.isnan(obj):
            return "nan"
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, Path):
        return str(obj)
    return obj


def decode(obj: Any) -> Any:
    """Inverse of :func:`encode`: ``"inf"``, ``"-inf"``, ``"nan"`` back to floats, recursively."""
    if isinstance(obj, dict):
        return {k: decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, str) and obj in _NONFINITE:
        return _NONFINITE[obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`encode` (``allow_nan=False``)."""
    return json.dumps(encode(obj), allow_nan=False, **kwargs)


def loads(text: str) -> Any:
    """``json.loads`` then :func:`decode`."""
    return decode(json.loads(text))


def write(path: str | os.PathLike, obj: Any, indent: int | None = 1) -> Path:
    """Write ``obj`` as standard JSON, atomically, creating parent folders; returns the path.

    Raises:
        ValueError: ``path`` is an existing directory.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path} is a directory; give a file path")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(dumps(obj, indent=indent) + "\n")
    tmp.replace(p)
    return p


def read(path: str | os.PathLike) -> Any:
    """Read a JSON file written by :func:`write` (non-finite strings back to floats)."""
    with open(path) as fh:
        return decode(json.load(fh))


def append_jsonl(path: str | os.PathLike, record: Any) -> None:
    """Append one record as a JSON line and flush it, so an interrupted run keeps what it logged."""
    with open(path, "a") as fh:
        fh.write(dumps(record) + "\n")
        fh.flush()


def read_jsonl(path: str | os.PathLike) -> Iterator[Any]:
    """Yield the records of a JSON-lines file; a truncated last line (an interrupted write) is skipped."""
    with open(path) as fh:
        lines = fh.readlines()
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        try:
            yield loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                return
            raise ValueError(f"{path}: line {i + 1} is not valid JSON")
