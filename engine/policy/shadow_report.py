"""The shadow run's report: how often the draft in shadow would have answered differently from
the live policy, day by day, read from the consultations' audit records.

Each recorded consultation with a ``shadow`` in its payload holds both answers: the live
policy's conclusions (``result``) and the draft's (``shadow.answers``). Records are streamed in
id order (``engine.backtest.store``'s period selection; a few thousand at a time), so the
report's memory does not grow with the period. A consultation counts as differing when any
compared topic differs; per topic the migration (live → shadow) is counted as the simulation
counts it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.audit.models import records
from engine.audit.store import AuditStore
from engine.backtest.store import STREAM_ROWS, Selection, json_text
from engine.policy.tally import COMPARED


@dataclass
class Day:
    """One UTC day of shadow answers."""

    consultations: int = 0
    differing: int = 0
    changed: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        topics = {topic: self.changed[topic] for topic in COMPARED if self.changed[topic]}
        return {"consultations": self.consultations, "differing": self.differing, "topics": topics}


@dataclass
class ShadowReport:
    """The days, and the migration of each compared topic over the whole period."""

    days: dict[str, Day] = field(default_factory=dict)
    drafts: Counter[str] = field(default_factory=Counter)
    migration: Counter[tuple[str, Any, Any]] = field(default_factory=Counter)

    def add(self, day: str, payload: dict[str, Any]) -> None:
        shadow = payload["shadow"]
        live = {c["topic"]: c["value"] for c in payload["result"]["conclusions"]}
        answers = shadow.get("answers", {})
        entry = self.days.setdefault(day, Day())
        entry.consultations += 1
        self.drafts[str(shadow.get("draft"))] += 1
        differing = [t for t in COMPARED if live.get(t) != answers.get(t)]
        entry.differing += bool(differing)
        for topic in differing:
            entry.changed[topic] += 1
            self.migration[(topic, live.get(topic), answers.get(topic))] += 1

    def as_json(self) -> dict[str, Any]:
        consultations = sum(d.consultations for d in self.days.values())
        differing = sum(d.differing for d in self.days.values())
        migration = [
            {"topic": topic, "live": before, "shadow": after, "n": n}
            for (topic, before, after), n in sorted(
                self.migration.items(), key=lambda item: (COMPARED.index(item[0][0]), -item[1])
            )
        ]
        return {
            "consultations": consultations,
            "differing": differing,
            "drafts": dict(self.drafts),
            "days": [{"day": day, **d.as_json()} for day, d in sorted(self.days.items())],
            "migration": migration,
        }


def shadow_report(store: AuditStore, selection: Selection) -> dict[str, Any]:
    """The report over the consultations of ``selection`` that carry shadow answers."""
    backend = store.engine.dialect.name
    query = (
        sa.select(records.c.created_at, records.c.payload)
        .where(*selection.clauses(records))
        .where(json_text(backend, records.c.payload, "shadow", "draft").is_not(None))
        .order_by(records.c.id)
    )
    report = ShadowReport()
    with store._read() as conn:
        for created_at, payload in conn.execution_options(yield_per=STREAM_ROWS).execute(query):
            report.add(str(created_at)[:10], json.loads(payload))
    return report.as_json() | {"period": selection.as_json()}


__all__ = ["ShadowReport", "shadow_report"]
