"""The consultations recorded in a period as a book: what ``policy simulate --from/--to`` runs.

"How would last quarter's requests have been decided under the draft?" is the question a credit
committee asks first. The recorded consultations of the period (``engine.backtest.store``'s
``Selection``: days, channel) are streamed from the audit database in id order and written as
a CSV book in the batch's columns, with each row's record id in ``consultation_id`` so that
outcomes name it (``engine.policy.outcomes``) and the changed-rows sample points back at the
record. The simulation then reads it as any book: workers, progress, bounded memory.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.audit.models import records
from engine.audit.store import AuditStore
from engine.backtest.store import STREAM_ROWS, Selection
from engine.batch.mapping import case_to_row, input_columns
from engine.labels import number
from engine.policy.simulate import CONSULTATION_COLUMN
from knowledge_base import Knowledge


def _given(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A recorded case as it was given: the sections and fields it has (the record keeps the
    validated model, absent ones as nulls)."""
    return {
        section: {name: value for name, value in fields.items() if value is not None}
        for section, fields in case.items()
        if fields
    }


def write_recorded_book(store: AuditStore, selection: Selection, out: Path) -> int:
    """Write the selected consultations' cases to ``out`` (CSV); return how many."""
    columns = [CONSULTATION_COLUMN, *input_columns()]
    query = (
        sa.select(records.c.id, records.c.payload)
        .where(*selection.clauses(records))
        .order_by(records.c.id)
    )
    written = 0
    with out.open("w", newline="", encoding="utf-8") as handle, store._read() as conn:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for record_id, payload in conn.execution_options(yield_per=STREAM_ROWS).execute(query):
            row = case_to_row(_given(json.loads(payload)["case"]))
            row[CONSULTATION_COLUMN] = record_id
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
            written += 1
    return written


def recorded_label(selection: Selection, count: int, kb: Knowledge, lang: str) -> str:
    """The recorded book as the report names it: "the 1,204 consultations recorded from
    2026-10-01 to 2026-12-31 (channel ui)"; an open end reads as such, never as a null."""
    open_end = kb.text("policy_simulate.recorded.open", lang)
    since = selection.since.isoformat() if selection.since else open_end
    until = selection.until.isoformat() if selection.until else open_end
    text = kb.text(
        "policy_simulate.recorded.book", lang, count=number(count), since=since, until=until
    )
    if selection.channel is None:
        return text
    return text + kb.text("policy_simulate.recorded.channel", lang, channel=selection.channel)


__all__ = ["recorded_label", "write_recorded_book"]
