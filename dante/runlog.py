"""Run directory I/O on :mod:`slqc.jsonio` (the toolkit's one JSON codec) and checkpoints.

A run directory holds ``config.json``, ``metrics.jsonl`` (one JSON line per evaluation or
instrument record, flushed as written), ``checkpoints/last.pt`` (the resumable state),
``checkpoints/model.pt`` (the finished model), ``snapshots/`` (iterates awaiting their reference)
and ``final.json``. Non-finite floats are written as ``"inf"``, ``"-inf"``, ``"nan"`` and read back
as floats (:mod:`slqc.jsonio`'s policy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import torch

from slqc import jsonio

__all__ = ["RunDir", "JsonlWriter", "read_jsonl", "write_json", "read_json"]


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented standard JSON (atomic rename), by :func:`slqc.jsonio.write`."""
    jsonio.write(path, obj, indent=2)


def read_json(path: Path) -> Any:
    """Read a JSON file; a missing or corrupt file raises a one-line ``ValueError`` naming it."""
    path = Path(path)
    try:
        return jsonio.read(path)
    except FileNotFoundError:
        raise ValueError(f"{path} not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({str(exc).splitlines()[0]})") from None


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield the records of a JSON-lines file (:func:`slqc.jsonio.read_jsonl`)."""
    return jsonio.read_jsonl(path)


class JsonlWriter:
    """Append-only JSON-lines log; every line is flushed so an interrupted run keeps what it logged."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path is not None else None

    def write(self, record: dict) -> None:
        if self.path is not None:
            jsonio.append_jsonl(self.path, record)


class RunDir:
    """The files of one run (``root = None``: an unsaved run, every method is a no-op).

    Args:
        root: the run directory.
    """

    def __init__(self, root: str | Path | None) -> None:
        self.root = Path(root) if root is not None else None
        self.log = JsonlWriter(self.root / "metrics.jsonl" if self.root else None)

    def __bool__(self) -> bool:
        return self.root is not None

    @property
    def checkpoint(self) -> Path | None:
        return self.root / "checkpoints" / "last.pt" if self.root else None

    @property
    def snapshots(self) -> Path | None:
        return self.root / "snapshots" if self.root else None

    def create(self, config: dict, resume: bool) -> None:
        """Make the folders; write ``config.json`` for a new run.

        Raises:
            ValueError: a new run into a directory that holds a run, or a path that is a file.
        """
        if self.root is None:
            return
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"run directory {self.root} is a file; give a directory")
        if (self.root / "config.json").exists() and not resume:
            raise ValueError(f"run directory {self.root} already holds a run; use --resume {self.root} or a new --out")
        try:
            (self.root / "checkpoints").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot create run directory {self.root}: {exc.strerror}") from None
        if not resume:
            write_json(self.root / "config.json", config)

    def save_checkpoint(self, state: dict) -> None:
        """Write ``checkpoints/last.pt`` atomically."""
        if self.root is None:
            return
        tmp = self.checkpoint.with_suffix(".pt.tmp")
        torch.save(state, tmp)
        tmp.replace(self.checkpoint)

    def load_checkpoint(self) -> dict:
        """Read ``checkpoints/last.pt``."""
        return torch.load(self.checkpoint, weights_only=False, map_location="cpu")

    def write_final(self, final: dict) -> None:
        if self.root is not None:
            write_json(self.root / "final.json", final)

    def save_model(self, state_dict: dict) -> None:
        if self.root is not None:
            torch.save(state_dict, self.root / "checkpoints" / "model.pt")

    def truncate_log(self, step: int, drop_instruments: bool = False) -> None:
        """Drop log lines written after the checkpoint at ``step`` (they will be written again).

        Args:
            step: the checkpoint's step.
            drop_instruments: also drop every instrument record (they will be measured again
                against the new reference, e.g. the new final weights of an extended run).
        """
        path = self.root / "metrics.jsonl" if self.root else None
        if path is None or not path.is_file():
            return
        keep = []
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if drop_instruments and rec.get("kind") == "instrument":
                continue
            if rec.get("step", 0) < step or (rec.get("kind") == "eval" and rec.get("step", 0) == step):
                keep.append(line)
        path.write_text("".join(k + "\n" for k in keep))
