"""A customer's history over time, read from the audit records: what the customer page charts.

Every consultation of the customer gives a point with its grade (value and service tier), its
credit recommendation and limit, and its collection stage; a final credit decision and an
outcome are added to the consultation they are about. Points come in the order they were
recorded; a customer with thousands of records is read in one streamed pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine.audit.authority import FINAL
from engine.audit.models import records
from engine.audit.store import AuditStore

TOPICS = {
    "value_tier": "value_tier",
    "service_tier": "service_tier",
    "credit_decision": "credit_decision",
    "recommended_limit": "recommended_limit",
    "collection_stage": "escalation_level",
}
"""A point's fields and the topic each is read from."""
STREAM_ROWS = 1000


@dataclass
class Point:
    """One consultation of the customer and what followed it."""

    record: int
    at: str
    channel: str
    values: dict[str, Any]
    final_decision: str | None = None
    final_limit: float | None = None
    outcomes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "at": self.at,
            "channel": self.channel,
            **self.values,
            "final_decision": self.final_decision,
            "final_limit": self.final_limit,
            "outcomes": list(self.outcomes),
        }


def _point(row: Any, payload: dict[str, Any]) -> Point:
    concluded = {c["topic"]: c["value"] for c in payload["result"]["conclusions"]}
    values = {name: concluded.get(topic) for name, topic in TOPICS.items()}
    return Point(int(row.id), str(row.created_at), str(row.channel), values)


def _follow(points: dict[int, Point], row: Any, payload: dict[str, Any]) -> None:
    """A decision or an outcome, on the point of the consultation it is about."""
    point = points.get(int(row.ref_id)) if row.ref_id is not None else None
    if point is None:
        return
    if row.kind == "decision" and payload.get("status", FINAL) == FINAL:
        point.final_decision, point.final_limit = payload.get("decision"), payload.get("limit")
    elif row.kind == "outcome":
        point.outcomes.append(str(payload.get("outcome", {}).get("outcome", "")))


def customer_history(store: AuditStore, customer_id: str) -> list[Point]:
    """The customer's consultations, oldest first, each with its final decision and outcomes."""
    query = (
        sa.select(
            records.c.id,
            records.c.kind,
            records.c.created_at,
            records.c.channel,
            records.c.ref_id,
            records.c.payload,
        )
        .where(records.c.customer_id == customer_id)
        .order_by(records.c.id)
    )
    points: dict[int, Point] = {}
    with store._read() as conn:
        for row in conn.execution_options(yield_per=STREAM_ROWS).execute(query):
            payload = json.loads(row.payload)
            if row.kind == "consultation":
                points[int(row.id)] = _point(row, payload)
            else:
                _follow(points, row, payload)
    return list(points.values())


__all__ = ["TOPICS", "Point", "customer_history"]
