"""Running an uploaded customer file through the batch engine (``engine.batch``) for the
portfolio page: in this process (one worker), with a progress callback, in a temporary folder
that is gone afterwards; the results and errors files are kept as bytes for the page.

Those bytes are what the page offers for download: the batch writes them with every cell
neutralised against formula injection (``engine.csv_safe``), so a customer id like
``=HYPERLINK(…)`` in an uploaded book stays text in the manager's spreadsheet."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.batch import BatchOptions, run_batch
from engine.batch.table import count_rows
from engine.cli_batch import template_text
from engine.users import User

PROGRESS_STEPS = 50
"""About this many progress updates per run, whatever the number of rows."""


@dataclass(frozen=True)
class BatchRun:
    name: str
    rows: int
    ok: int
    failed: int
    seconds: float
    results: bytes
    errors: bytes


def template_csv() -> bytes:
    """Every input column and one example row (as ``sales-expert batch --template``)."""
    return template_text().encode("utf-8")


def recording_options(user: User) -> dict[str, Any]:
    """Who the batch records as, where the batch records runs (``BatchOptions`` has the
    fields); nothing otherwise."""
    names = {f.name for f in dataclasses.fields(BatchOptions)}
    chosen = {"actor": user.username, "role": user.role}
    return {k: v for k, v in chosen.items() if k in names}


def run_file(
    name: str,
    data: bytes,
    user: User,
    lang: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> BatchRun:
    """Consult every row of an uploaded CSV; bad rows go to the errors file, never stop it."""
    with tempfile.TemporaryDirectory(prefix="sales-expert-ui-") as folder:
        source = Path(folder) / "input.csv"
        source.write_bytes(data)
        total = count_rows(source)
        options = BatchOptions(
            input=source,
            out=Path(folder) / "results.csv",
            errors=Path(folder) / "errors.csv",
            workers=1,
            lang=lang,
            chunk_rows=max(1, min(200, total // PROGRESS_STEPS)),
            restart=True,
            **recording_options(user),
        )
        summary = run_batch(options, stream=io.StringIO(), on_progress=on_progress)
        return BatchRun(
            name,
            summary.rows_in,
            summary.ok,
            summary.failed,
            summary.seconds,
            options.out.read_bytes(),
            options.errors_path.read_bytes(),
        )
