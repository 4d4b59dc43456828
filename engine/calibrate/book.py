"""The files ``sales-expert calibrate`` reads: an input book, and the errors it reports on them.

The book is read as ``sales-expert batch`` reads it (``engine.batch.table.read_rows``: CSV or
Parquet, columns ``section.field``, an empty cell "not given", cells typed as the case model
types them). A JSON Lines book (``.jsonl``/``.ndjson``: one case per line, nested
``{"customer": {…}}`` or flat ``{"customer.annual_purchases": …}``) is read here as well,
since a book exported from another system often comes that way; the batch itself reads CSV and
Parquet only.

Every refusal is a ``CalibrateError`` (an ``InputError``: the CLI exits 2) whose text comes
from ``knowledge_base/texts/<lang>/calibrate.yaml`` and names the option or column, the value
and what is allowed, so the same message reads in English and in Chinese.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.batch.mapping import case_to_row
from engine.batch.table import read_rows as batch_rows
from engine.errors import FieldProblem, InputError
from engine.intake import typed_cell
from knowledge_base import load_knowledge

JSONL_SUFFIXES = (".jsonl", ".ndjson")
Row = dict[str, Any]


class CalibrateError(InputError):
    """A request ``calibrate`` or ``stability`` cannot serve as given (exit 2). Each message
    names the option or column (or the file), the value and what is allowed by itself; the
    problem's ``field`` keeps the option or file for programs."""

    code = "invalid_calibration_request"

    def __str__(self) -> str:
        return "\n".join(p.message for p in self.problems)


def refuse(where: str, key: str, lang: str, **values: object) -> CalibrateError:
    """The error ``<key>`` of the texts (``calibrate.error.<key>`` unless the key has a dot)."""
    full = key if "." in key else f"calibrate.error.{key}"
    return CalibrateError([FieldProblem(where, None, load_knowledge().text(full, lang, **values))])


def require_file(path: Path, option: str, lang: str) -> None:
    """Exit 2 naming the option when the file it names does not exist or is a folder."""
    if not path.is_file():
        raise refuse(option, "no_such_file", lang, option=option, path=str(path))


def _jsonl_rows(path: Path) -> Iterator[tuple[int, Row]]:
    with path.open(encoding="utf-8-sig") as handle:
        number = 0
        for line in handle:
            if not line.strip():
                continue
            number += 1
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"line {number} is not a JSON object")
            nested = all(isinstance(value, dict) for value in record.values())
            yield number, case_to_row(record) if nested and record else record


def read_book(path: Path) -> Iterator[tuple[int, Row]]:
    """(row number from 1, row) of an input book, in file order."""
    if path.suffix.lower() in JSONL_SUFFIXES:
        yield from _jsonl_rows(path)
    else:
        yield from batch_rows(path)


def book_columns(path: Path, lang: str) -> list[str]:
    """The columns of the book (a JSONL book: those of its first row); exit 2 when empty."""
    for _, row in read_book(path):
        return list(row)
    raise refuse("--book", "empty_book", lang, path=str(path))


def number_cell(column: str, value: object) -> float | None:
    """A book cell as a finite number (typed as the case model types the field), or None for
    an empty cell or one that is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    section, _, field = column.partition(".")
    typed = typed_cell(section, field, value.strip() if isinstance(value, str) else value)
    if isinstance(typed, bool) or not isinstance(typed, int | float):
        try:
            typed = float(str(typed))
        except ValueError:
            return None
    number = float(typed)
    return number if math.isfinite(number) else None


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values by linear interpolation between the closest ranks
    (Hyndman and Fan's type 7, numpy's and R's default), so anyone can recompute it with a
    spreadsheet's PERCENTILE.INC. (``engine.backtest.metrics._percentile`` is the same rule,
    private there.)"""
    if not ordered:
        raise ValueError("quantile of no values")
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share_at_least(values: Iterable[float], cut: float) -> float:
    """Share of ``values`` at or above ``cut``: who passes a ``≥`` threshold."""
    counted = list(values)
    return sum(1 for v in counted if v >= cut) / len(counted) if counted else 0.0
