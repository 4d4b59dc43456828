"""How far a batch run's output is valid: the checkpoint written after every committed window.

A checkpoint is trusted only for the run it was written by (the same run key: the same input
bytes, language, options and rule base) and only while the files it vouches for are still there:
the journals at least as long as recorded while the run is partial (a resumed run cuts them back
to that length), the results and errors files exactly as long as recorded once complete. A
results file deleted or edited since makes the next run start afresh instead of resuming after
rows that are no longer there, or answering "already complete" about a file that is gone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Checkpoint:
    """How far the output is valid; written atomically after every committed window."""

    key: str
    rows_done: int = 0
    ok: int = 0
    failed: int = 0
    out_bytes: int | None = None
    errors_bytes: int | None = None
    complete: bool = False

    def save(self, path: Path) -> None:
        temporary = temporary_path(path)
        temporary.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(temporary, path)


def temporary_path(path: Path) -> Path:
    """Where a checkpoint is written before it replaces the old one."""
    return path.with_name(path.name + ".tmp")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _vouched(saved: Checkpoint, journals: tuple[Path, Path], outputs: tuple[Path, Path]) -> bool:
    """Whether the files the checkpoint describes are still as it recorded them."""
    recorded = (saved.out_bytes, saved.errors_bytes)
    sizes = tuple(_size(path) for path in (outputs if saved.complete else journals))
    if saved.complete:
        return sizes == recorded
    return all(
        size is not None and length is not None and size >= length
        for size, length in zip(sizes, recorded, strict=True)
    )


def load_checkpoint(
    path: Path,
    key: str,
    *,
    journals: tuple[Path, Path],
    outputs: tuple[Path, Path],
    restart: bool = False,
) -> Checkpoint:
    """The saved checkpoint when this run may trust it, else a fresh start. ``journals``: the
    results journal and the errors file being written; ``outputs``: the finished results and
    errors files."""
    fresh = Checkpoint(key)
    if restart or not path.exists():
        return fresh
    try:
        saved = Checkpoint(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):  # not a checkpoint of ours: do not trust it
        return fresh
    if saved.key != key or not _vouched(saved, journals, outputs):
        return fresh
    return saved
