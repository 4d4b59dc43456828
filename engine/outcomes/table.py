"""Reading an outcomes file, CSV or Parquet, within limits; its cells typed for the model.

Every file a user gives is bounded before it is used (as case files are, ``engine.safe_load``):

- at most ``MAX_FILE_BYTES``, judged on the file's size before anything is read;
- a CSV file is UTF-8 (a leading byte-order mark is dropped) and well-formed CSV, checked over
  the whole file before its first row is used: a file that cannot be read is refused (exit 2)
  naming the offset of the first bad byte or the line, before anything is recorded — not
  halfway through an import;
- its header names known columns (``model.COLUMNS``), each once; ``module``, ``outcome`` and
  ``observed_at`` are required, and ``consultation_id`` or ``customer_id``.

Rows are then read lazily (Parquet batch by batch), so memory does not grow with the file. A
row whose every cell is empty (the trailing rows spreadsheets write) is not a row; rows are
numbered by their position after the header (the first is 1), empty ones included, so a number
points at the same row in a spreadsheet (one line below, under the header).

A CSV cell is text: ``typed_cells`` converts it to the type its field takes (``" 12 "`` → 12,
``"yes"`` → True; ``是``/``否`` too), and a cell that does not convert is left as it is for the
model to name. Parquet cells are typed already.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pydantic import TypeAdapter, ValidationError

from engine.batch.table import is_parquet
from engine.errors import FieldProblem, InputError, excerpt
from engine.outcomes.model import COLUMNS, LINK_FIELDS, message
from knowledge_base import load_knowledge

MAX_FILE_BYTES = 256_000_000
"""Largest outcomes file read (256 MB, some three million rows); split a bigger one."""
REQUIRED_COLUMNS = ("module", "outcome", "observed_at")
INT_FIELDS = ("consultation_id", "days_late", "days_to_recover", "corrects")
FLOAT_FIELDS = ("amount_lost", "amount_recovered", "deal_value", "revenue")
BOOL_FIELDS = ("repeat_purchase",)
_LAX: dict[str, TypeAdapter[Any]] = {
    **dict.fromkeys(INT_FIELDS, TypeAdapter(int)),
    **dict.fromkeys(FLOAT_FIELDS, TypeAdapter(float)),
    **dict.fromkeys(BOOL_FIELDS, TypeAdapter(bool)),
}
_CHINESE_FLAGS = {"是": True, "否": False}
Row = dict[str, Any]


class OutcomesFileError(InputError):
    """An outcomes file (or the files of an import) that cannot be used as given: the CLI exits
    2 with the problems, one a line, each naming the file (not "invalid case")."""

    code = "invalid_outcomes_file"

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def refuse(source: str, key: str, lang: str, **values: object) -> OutcomesFileError:
    """The whole file refused: ``outcomes.file.<key>``."""
    text = load_knowledge().text(f"outcomes.file.{key}", lang, **values)
    return OutcomesFileError([FieldProblem(source, None, text)])


def check_size(path: Path, lang: str, limit: int = MAX_FILE_BYTES) -> None:
    """A file that exists, is a file and is not over ``limit`` bytes."""
    if not path.exists():
        raise refuse(str(path), "no_such_file", lang)
    if path.is_dir():
        raise refuse(str(path), "is_directory", lang)
    if path.stat().st_size > limit:
        raise refuse(str(path), "too_large", lang, limit=f"{limit:,}")


def _bad_byte(path: Path) -> tuple[str, int]:
    """The first byte that is not UTF-8, and its offset (read again only when one is known to
    exist: the text reader's error gives an offset inside its buffer, not in the file)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return f"0x{chunk[exc.start]:02x}", offset + exc.start
            offset += len(chunk)
    return "?", offset


def _text(path: Path) -> io.TextIOWrapper:
    return path.open(encoding="utf-8-sig", newline="")


def scan_csv(path: Path, lang: str) -> list[str]:
    """The header of a CSV file after reading it whole once: UTF-8 and well-formed, or refused."""
    header: list[str] | None = None
    try:
        with _text(path) as handle:
            reader = csv.reader(handle)
            for record in reader:
                header = record if header is None else header
    except UnicodeDecodeError:
        byte, offset = _bad_byte(path)
        text = load_knowledge().text("input.not_utf8", lang, byte=byte, offset=offset)
        raise OutcomesFileError([FieldProblem(str(path), None, text)]) from None
    except csv.Error as exc:
        problem = excerpt(str(exc), 160, quoted=False)
        raise refuse(str(path), "not_csv", lang, line=reader.line_num, problem=problem) from None
    if header is None:
        raise refuse(str(path), "no_header", lang)
    return [name.strip() for name in header]


def check_header(columns: list[str], source: str, lang: str) -> None:
    """Known columns, each once, the required ones present (every problem named at once)."""
    kb = load_knowledge()
    found: list[FieldProblem] = []

    def add(key: str, **values: object) -> None:
        found.append(FieldProblem(source, None, kb.text(f"outcomes.file.{key}", lang, **values)))

    for name in dict.fromkeys(columns):
        if name not in COLUMNS:
            close = difflib.get_close_matches(name, COLUMNS, n=1) if len(name) <= 100 else []
            hint = kb.text("outcomes.file.did_you_mean", lang, column=close[0]) if close else ""
            add("unknown_column", column=excerpt(name), hint=hint, allowed=", ".join(COLUMNS))
        elif columns.count(name) > 1:
            add("duplicate_column", column=name)
    found += [
        FieldProblem(source, None, kb.text("outcomes.file.missing_column", lang, column=name))
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    if not any(name in columns for name in LINK_FIELDS):
        add("no_link_column")
    if found:
        raise OutcomesFileError(found)


def open_table(path: Path, lang: str, limit: int = MAX_FILE_BYTES) -> list[str]:
    """Check the file (size, encoding, form, header) before any row is used; its columns."""
    check_size(path, lang, limit)
    if is_parquet(path):
        try:
            columns = [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
        except Exception as exc:  # pyarrow raises several kinds for a file that is not Parquet
            problem = excerpt(str(exc), 160, quoted=False)
            raise refuse(str(path), "not_parquet", lang, problem=problem) from None
    else:
        columns = scan_csv(path, lang)
    check_header(columns, str(path), lang)
    return columns


def _csv_rows(path: Path, columns: list[str]) -> Iterator[tuple[int, Row, bool]]:
    with _text(path) as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for number, record in enumerate(reader, 1):
            extra = any(cell.strip() for cell in record[len(columns) :])
            cells = record[: len(columns)] + [""] * (len(columns) - len(record))
            yield number, dict(zip(columns, cells, strict=True)), extra


def read_rows(path: Path, columns: list[str], batch: int = 1024) -> Iterator[tuple[int, Row, bool]]:
    """(row number, cells by column, whether the row has cells beyond the header) for every
    row that has a value (see the module docstring)."""
    if is_parquet(path):
        source: Iterator[tuple[int, Row, bool]] = (
            (number, row, False) for number, row in enumerate(_parquet_rows(path, batch), 1)
        )
    else:
        source = _csv_rows(path, columns)
    for number, row, extra in source:
        if extra or any(not _empty(value) for value in row.values()):
            yield number, row, extra


def _parquet_rows(path: Path, batch: int) -> Iterator[Row]:
    for record_batch in pq.ParquetFile(path).iter_batches(batch_size=batch):
        yield from record_batch.to_pylist()


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _typed(name: str, value: object) -> object:
    """A cell as the type its field takes (see the module docstring); None when empty."""
    if _empty(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time() and not value.tzinfo:
        return value.date()
    if not isinstance(value, str):
        return value
    text = value.strip()
    if name in BOOL_FIELDS and text in _CHINESE_FLAGS:
        return _CHINESE_FLAGS[text]
    adapter = _LAX.get(name)
    if adapter is None:
        return text
    try:
        return adapter.validate_python(text)
    except ValidationError:
        return text


_READABLE = (str, int, float, bool, date, Decimal)


def typed_cells(row: Row, lang: str) -> tuple[Row, list[FieldProblem]]:
    """The row's given cells, typed, and the cells no field can take (a binary or list
    cell of a Parquet file)."""
    data: Row = {}
    problems: list[FieldProblem] = []
    for name, value in row.items():
        if value is not None and not isinstance(value, _READABLE):
            kind = type(value).__name__
            problems.append(
                FieldProblem(name, None, message("cell_type", kind, lang, {"type": kind}))
            )
            continue
        typed = _typed(name, value)
        if typed is not None:
            data[name] = typed
    return data, problems


__all__ = [
    "MAX_FILE_BYTES",
    "REQUIRED_COLUMNS",
    "OutcomesFileError",
    "check_header",
    "open_table",
    "read_rows",
    "refuse",
    "scan_csv",
    "typed_cells",
]
