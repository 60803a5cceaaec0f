"""Helpers shared by subcommands: JSON writing with "inf" for infinities."""

from __future__ import annotations

import json
import math
from pathlib import Path


def jsonable(obj):
    """Replace non-finite floats by strings so the output is standard JSON."""
    if isinstance(obj, float):
        if math.isinf(obj):
            return "inf" if obj > 0 else "-inf"
        if math.isnan(obj):
            return "nan"
        return obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def write_json(path: str | Path, obj) -> Path:
    """Write ``obj`` as standard JSON (``allow_nan=False``), creating parent folders."""
    p = Path(path)
    if p.exists() and p.is_dir():
        raise ValueError(f"--json {path} is a directory; give a file path")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")
    return p
