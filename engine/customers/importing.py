"""Importing a customer list into the directory: a CSV or Parquet file in the batch's columns.

Each row is read and validated as a consultation's case is (``engine.batch.mapping``,
``engine.intake.parse_case``): a row that fails, or names no customer id, is counted and its
problems listed (row, field, value, message) like a batch run's errors; the others are
remembered in chunks of ``CHUNK_ROWS``, each chunk one transaction, so an import of any size
keeps memory flat and a failure midway keeps the chunks before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.audit.models import utc_now
from engine.audit.store import AuditStore
from engine.batch.mapping import row_to_case
from engine.batch.runner import Problem, batched, row_problems
from engine.batch.table import read_rows
from engine.customers.directory import Entry, remember
from engine.errors import InputError, SalesExpertError
from engine.intake import partial_problems
from knowledge_base import load_knowledge

CHUNK_ROWS = 500


@dataclass
class Imported:
    rows: int = 0
    ids: set[str] = field(default_factory=set)
    failed: list[tuple[int, Problem]] = field(default_factory=list)

    @property
    def customers(self) -> int:
        return len(self.ids)

    def as_json(self) -> dict[str, Any]:
        problems = [
            {"row": row, "field": f, "value": v, "message": m} for row, (f, v, m) in self.failed
        ]
        return {"rows": self.rows, "customers": self.customers, "problems": problems}


def _entry(row: dict[str, Any], at: str, lang: str) -> tuple[Entry | None, list[Problem]]:
    """A row as the directory keeps it, or its problems: every value given must be valid, but
    a list may leave out what a consultation needs (a name and a nature, no figures)."""
    try:
        case = row_to_case(row)
        problems = partial_problems(case, lang)
    except SalesExpertError as exc:
        return None, row_problems(exc, "(row)")
    if problems:
        return None, row_problems(InputError(problems), "(row)")
    if not (case.get("customer") or {}).get("id"):
        text = load_knowledge().text("customers.import.no_id", lang)
        return None, [("customer.id", None, text)]
    return (case, at, "import", None), []


def import_customers(
    store: AuditStore,
    path: Path,
    lang: str = "en",
    on_progress: Callable[[int], None] | None = None,
) -> Imported:
    """Remember every valid row's customer; the count and each failed row's problems."""
    summary, at = Imported(), utc_now()
    rows: Iterator[tuple[int, dict[str, Any]]] = read_rows(path)
    for chunk in batched(rows, CHUNK_ROWS):
        entries: list[Entry] = []
        for number, row in chunk:
            entry, problems = _entry(dict(row), at, lang)
            summary.failed += [(number, p) for p in problems]
            if entry is not None:
                entries.append(entry)
        summary.rows += len(chunk)
        if entries:
            with store._write() as conn:
                remember(conn, entries)
            summary.ids.update(str(e[0]["customer"]["id"]) for e in entries)
        if on_progress is not None:
            on_progress(summary.rows)
    return summary


__all__ = ["CHUNK_ROWS", "Imported", "import_customers"]
