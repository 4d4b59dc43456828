"""The referral queue: credit requests waiting for a person, oldest first.

A request waits when its consultation's credit decision is "refer" and no final decision stands
on it yet, or when a decision on it waits for a second approver (any recommendation: a declined
request granted by a manager waits too). Each entry carries what a credit manager needs to pick
the next one: the customer, the amount and term asked, the recommendation, how long it has
waited, and for a proposal who proposed what and which role must confirm it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from engine.audit.authority import open_proposal, standing
from engine.audit.models import records
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore

REFER = "refer"
QUEUE_LIMIT = 500
"""Most referred consultations read (the newest); a queue longer than that is a backlog to
work through in the audit trail's filters."""


@dataclass(frozen=True)
class Waiting:
    consultation: int
    recorded_at: str
    hours: float
    customer_id: str | None
    customer_name: str | None
    requested_amount: float | None
    requested_term_days: int | None
    recommended: str | None
    proposal: AuditRecord | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "consultation": self.consultation,
            "recorded_at": self.recorded_at,
            "hours_waiting": round(self.hours, 1),
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "requested_amount": self.requested_amount,
            "requested_term_days": self.requested_term_days,
            "recommended": self.recommended,
            "proposal": None,
        }
        if self.proposal is not None:
            payload = self.proposal.payload or {}
            data["proposal"] = {
                "id": self.proposal.id,
                "by": self.proposal.actor,
                "decision": payload.get("decision"),
                "limit": payload.get("limit"),
                "term_days": payload.get("term_days"),
                "needs": payload["second"]["needs"],
                "confirmer_role": payload["second"]["role"],
            }
        return data


def _hours(recorded_at: str, now: datetime) -> float:
    when = datetime.strptime(recorded_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return max(0.0, (now - when).total_seconds() / 3600)


def _candidates(conn: sa.Connection) -> list[AuditRecord]:
    """Referred consultations (newest ``QUEUE_LIMIT``) and those with an undecided proposal."""
    proposed = sa.select(records.c.ref_id).where(
        records.c.kind == "decision", records.c.decision.is_(None)
    )
    query = (
        sa.select(records)
        .where(
            records.c.kind == "consultation",
            sa.or_(records.c.decision == REFER, records.c.id.in_(proposed)),
        )
        .order_by(records.c.id.desc())
        .limit(QUEUE_LIMIT)
    )
    return [AuditRecord.from_row(r._mapping, json.loads(r.payload)) for r in conn.execute(query)]


def _decisions(conn: sa.Connection, ids: list[int]) -> dict[int, list[AuditRecord]]:
    found: dict[int, list[AuditRecord]] = defaultdict(list)
    query = (
        sa.select(records)
        .where(records.c.kind == "decision", records.c.ref_id.in_(ids))
        .order_by(records.c.id)
    )
    for row in conn.execute(query):
        found[int(row.ref_id)].append(AuditRecord.from_row(row._mapping, json.loads(row.payload)))
    return found


def _entry(record: AuditRecord, proposal: AuditRecord | None, now: datetime) -> Waiting:
    case = (record.payload or {}).get("case", {})
    credit, customer = case.get("credit") or {}, case.get("customer") or {}
    term = credit.get("requested_term_days")
    return Waiting(
        consultation=record.id,
        recorded_at=record.created_at,
        hours=_hours(record.created_at, now),
        customer_id=record.customer_id,
        customer_name=customer.get("name"),
        requested_amount=credit.get("requested_amount"),
        requested_term_days=None if term is None else int(term),
        recommended=record.decision,
        proposal=proposal,
    )


def referral_queue(store: AuditStore, now: datetime | None = None) -> list[Waiting]:
    """Requests waiting for a decision or a second approval, the longest-waiting first."""
    moment = now or datetime.now(UTC)
    with store._read() as conn:
        candidates = _candidates(conn)
        decisions = _decisions(conn, [c.id for c in candidates]) if candidates else {}
    waiting = []
    for record in candidates:
        mine = decisions.get(record.id, [])
        proposal = open_proposal(mine)
        if proposal is not None or (record.decision == REFER and standing(mine) is None):
            waiting.append(_entry(record, proposal, moment))
    return sorted(waiting, key=lambda w: w.consultation)


__all__ = ["QUEUE_LIMIT", "Waiting", "referral_queue"]
