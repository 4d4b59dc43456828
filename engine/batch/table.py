"""Streaming table input and crash-safe output for batch runs (CSV, Parquet).

Input is read lazily, row by row (CSV) or record batch by record batch (Parquet), so memory does
not grow with the file. Output is appended as bytes to a CSV journal whose length is recorded
in the checkpoint after every flush: a resumed run cuts the journal back to the last
checkpoint, so rows are never written twice. Parquet output is produced from the completed
journal at the end.

Every CSV cell is neutralised against formula injection (``engine.csv_safe``); the Parquet
output restores the values, since Parquet holds typed data that no spreadsheet evaluates.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from engine.csv_safe import MARKER, csv_text

Row = dict[str, Any]


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def count_rows(path: Path) -> int:
    """Data rows in the file (for the progress bar), without parsing them."""
    if is_parquet(path):
        return int(pq.ParquetFile(path).metadata.num_rows)
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return max(0, lines + (last != b"\n") - 1)  # quoted line breaks make this an estimate


def read_rows(path: Path, skip: int = 0) -> Iterator[tuple[int, Row]]:
    """(row number from 1, row) for every data row after the first ``skip``."""
    if is_parquet(path):
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=2048):
            for row in batch.to_pylist():
                number += 1
                if number > skip:
                    yield number, row
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), 1):
            if number > skip:
                yield number, {k: v for k, v in row.items() if k is not None}


def fingerprint(path: Path) -> str:
    """SHA-256 of the whole file, streamed: any edited byte gives another run key, so an edited
    book never resumes on the rows of the old one, nor reports "already complete". (Hashing
    only the size and both ends missed an edit in the middle that kept the size.)"""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def csv_bytes(rows: list[list[Any]]) -> bytes:
    return csv_text(rows).encode("utf-8")


class Journal:
    """An append-only CSV file that can be cut back to a checkpointed length."""

    def __init__(self, path: Path, header: list[str], resume_at: int | None) -> None:
        self.path = path
        if resume_at is None or not path.exists():
            self._handle: BinaryIO = path.open("wb")
            self._handle.write(csv_bytes([header]))
        else:
            self._handle = path.open("r+b")
            self._handle.truncate(resume_at)
            self._handle.seek(resume_at)

    def append(self, rows: list[list[Any]]) -> None:
        if rows:
            self._handle.write(csv_bytes(rows))

    def commit(self) -> int:
        """Flush to disk; the returned length is what a checkpoint may record."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return self._handle.tell()

    def close(self) -> None:
        self._handle.close()


def _restored(batch: Any) -> Any:
    """A record batch read from the journal with its text cells as they were before
    neutralising (``engine.csv_safe.restore_cell``, column by column)."""
    columns = []
    for column in batch.columns:
        if pa.types.is_string(column.type):
            marked = pc.starts_with(column, MARKER)
            column = pc.if_else(marked, pc.utf8_slice_codeunits(column, 1), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def journal_to_parquet(journal: Path, out: Path, integer_columns: tuple[str, ...]) -> None:
    """Stream the finished CSV journal into a Parquet file (all text but the row numbers)."""
    with journal.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    types = {name: (pa.int64() if name in integer_columns else pa.string()) for name in header}
    reader = pa_csv.open_csv(
        journal,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=types, strings_can_be_null=False),
    )
    with pq.ParquetWriter(out, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(_restored(batch))
