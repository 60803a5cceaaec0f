"""Helpers shared by subcommands: JSON output through :mod:`slqc.jsonio`, and input checks that run
before any work starts (output paths, device, thread and job counts), each failing with one
``ValueError`` line that the CLI prints with exit code 2.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from .. import jsonio


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as standard JSON (:func:`slqc.jsonio.write`), creating parent folders.

    Raises:
        ValueError: ``path`` is a folder.
    """
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"--json {path} is a directory; give a file path")
    return jsonio.write(p, obj, indent=2)


def _probe_dir(option: str, folder: Path) -> None:
    """Create ``folder`` (and parents) and write then remove a scratch file in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".slqc-write-test-", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except FileExistsError:
        raise ValueError(f"{option}: {folder} (or a folder above it) is a file, not a folder") from None
    except NotADirectoryError:
        raise ValueError(f"{option}: a part of {folder} is a file, not a folder") from None
    except OSError as err:
        raise ValueError(f"{option}: cannot write in {folder} ({err.strerror or err})") from None


def output_file(option: str, path: str | None) -> str | None:
    """Check that ``path`` can be written as a file (its folder exists or can be made, and is writable).

    Raises:
        ValueError: ``path`` is a folder, a part of it is a file, or its folder cannot be written.
    """
    if path is None:
        return None
    p = Path(path)
    if path.endswith(os.sep) or p.is_dir():
        raise ValueError(f"{option} {path} is a directory; give a file path")
    _probe_dir(option, p.parent if str(p.parent) else Path("."))
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{option}: {path} is not writable")
    return path


def output_dir(option: str, path: str | None) -> str | None:
    """Check that ``path`` is (or can be made) a writable folder; creates it.

    Raises:
        ValueError: ``path`` is a file, or cannot be created or written.
    """
    if path is None:
        return None
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{option} {path} is a file; give a folder")
    _probe_dir(option, p)
    return path


def input_file(option: str, path: str | None) -> str | None:
    """Check that ``path`` is an existing readable file.

    Raises:
        ValueError: missing, a folder, or unreadable.
    """
    if path is None:
        return None
    if not os.path.exists(path):
        raise ValueError(f"{option}: no such file {path}")
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a directory; give a file")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{option}: {path} is not readable")
    return path


def count(option: str, value: Any, minimum: int = 1) -> int | None:
    """Check an integer option (``--jobs``, ``--threads``) is at least ``minimum``; None passes.

    Raises:
        ValueError: below ``minimum``.
    """
    if value is None:
        return None
    if int(value) < minimum:
        raise ValueError(f"{option} must be >= {minimum}, got {value}")
    return int(value)


def finite(option: str, value: float, minimum: float | None = None) -> float:
    """Check a float option is finite (and >= ``minimum``).

    Raises:
        ValueError: NaN, infinite or below ``minimum``.
    """
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{option} must be a finite number, got {value}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{option} must be >= {minimum:g}, got {value}")
    return v
