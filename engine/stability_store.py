"""Population stability between two periods of the audit database (``sales-expert stability
--from … --to … --baseline-from … --baseline-to …``).

A company that records its consultations need not keep results files to see whether its
customers have changed: each period is the consultations recorded in it (UTC days, both ends
inclusive, any channel), read as the rows a batch would have written for them and compared
exactly as two results files are (``engine.stability``). The key inputs come from each
consultation's case, so they are always compared.

What the database sends per consultation: the conclusions of the compared topics and the key
inputs, extracted from the JSON payload in SQL (``store_modules.concluded``/``case_input``,
SQLite and PostgreSQL); the query is streamed, so memory holds the compared values only, never
a payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.audit.models import records
from engine.audit.store import AuditStore
from engine.backtest.store import STREAM_ROWS, Selection, reading
from engine.backtest.store_modules import case_input, concluded, payload_document
from engine.batch.mapping import Column
from engine.calibrate.book import refuse
from engine.stability import (
    CATEGORIES,
    INPUTS,
    SCORES,
    Comparison,
    Period,
    add_row,
    compare,
    empty_period,
)
from knowledge_base import load_knowledge

TOPICS = (*CATEGORIES, *SCORES)
"""The compared conclusions: each is a results column named as its topic."""


@dataclass(frozen=True)
class Span:
    """One period: recorded from ``since`` to ``until`` (UTC days, inclusive; None: open)."""

    since: date | None
    until: date | None

    def shown(self, lang: str) -> str:
        kb = load_knowledge()
        start = self.since.isoformat() if self.since else kb.text("backtest.source.start", lang)
        end = self.until.isoformat() if self.until else kb.text("backtest.source.now", lang)
        return kb.text("stability.store.period", lang, since=start, until=end)


def period_query(backend: str, span: Span) -> sa.Select[Any]:
    """The consultations recorded in the span, each with its compared conclusions and inputs."""
    c = records.alias("c")
    consultations, document = payload_document(backend, c)
    inputs = (case_input(backend, document, Column(name, name, "input")) for name in INPUTS)
    return (
        sa.select(c.c.id, concluded(backend, document, TOPICS).label("conclusions"), *inputs)
        .select_from(consultations)
        .where(*Selection(span.since, span.until).clauses(c))
        .order_by(c.c.id)
    )


def _cells(row: Any) -> dict[str, str]:
    """A recorded consultation as a results row: each topic's first conclusion, each input."""
    found = json.loads(row.conclusions) if isinstance(row.conclusions, str) else row.conclusions
    cells: dict[str, str] = {}
    for _, topic, value, _ in sorted(found or [], key=lambda item: int(item[0])):
        cells.setdefault(str(topic), "" if value is None else str(value))
    mapping = row._mapping
    for name in INPUTS:
        value = mapping[name]
        cells[name] = "" if value is None else str(value)
    return cells


def stream_cells(store: AuditStore, span: Span) -> Iterator[dict[str, str]]:
    with reading(store) as conn:
        query = period_query(conn.dialect.name, span)
        yield from map(_cells, conn.execution_options(yield_per=STREAM_ROWS).execute(query))


def read_period(store: AuditStore, span: Span, option: str, lang: str) -> Period:
    """The span's consultations as a period; none is a refusal naming the option."""
    period = empty_period(Path(store.display_url), span.shown(lang))
    for cells in stream_cells(store, span):
        add_row(period, cells, INPUTS)
    if not period.rows:
        raise refuse(option, "stability.error.no_recorded", lang, period=span.shown(lang))
    return period


def stability_store(store: AuditStore, new: Span, baseline: Span, lang: str) -> Comparison:
    """The new span against the baseline span, every line compared (inputs included)."""
    new_period = read_period(store, new, "--from", lang)
    old_period = read_period(store, baseline, "--baseline-from", lang)
    return compare(new_period, old_period, "store", lang)
