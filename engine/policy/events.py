"""The SQL of a draft's life after drafting: its events, its status, and the live policy.

Every step (submit, approve, reject, publish, rollback) is written in one transaction of
``AuditStore._write()`` together with its audit record of kind ``policy`` (the chain signs who
approved and published what) and the draft's new status. The live policy is read from the
publications and rollbacks in order: a publication puts its policy on top, a rollback takes the
top one off, and the top is live (none: the shipped rule base).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import canonical
from engine.audit.models import policy_drafts, policy_events, utc_now
from engine.policy.model import PUBLISH, ROLLBACK, SHADOW, SHADOW_STOP, Event

LIVE_EVENTS = (PUBLISH, ROLLBACK)
SHADOW_EVENTS = (SHADOW, SHADOW_STOP)


def _event(row: Any, name: str) -> Event:
    data = row._mapping
    state = json.loads(data["state"]) if data["state"] else None
    return Event(
        id=int(data["id"]),
        draft=name,
        at=str(data["at"]),
        actor=str(data["actor"]),
        role=str(data["role"]),
        event=str(data["event"]),
        reason=str(data["reason"]),
        record_id=int(data["record_id"]),
        version=data["version"],
        previous_version=data["previous_version"],
        values=None if state is None else {k: float(v) for k, v in state["parameters"].items()},
        rules_off=None if state is None else frozenset(state["rules_off"]),
    )


def _joined() -> sa.Select[Any]:
    return sa.select(policy_events, policy_drafts.c.name.label("draft_name")).join(
        policy_drafts, policy_drafts.c.id == policy_events.c.draft_id
    )


def events_of(conn: sa.Connection, draft_id: int) -> list[Event]:
    """The draft's events, oldest first."""
    rows = conn.execute(_joined().where(policy_events.c.draft_id == draft_id).order_by("id"))
    return [_event(row, str(row.draft_name)) for row in rows]


def live_events(conn: sa.Connection) -> list[Event]:
    """Every publication and rollback, oldest first."""
    rows = conn.execute(
        _joined().where(policy_events.c.event.in_(LIVE_EVENTS)).order_by(policy_events.c.id)
    )
    return [_event(row, str(row.draft_name)) for row in rows]


def last_live_event_id(conn: sa.Connection) -> int:
    """The id of the last publication, rollback or shadow step (0: none): what tells a process
    holding the live policy whether it changed."""
    steps = LIVE_EVENTS + SHADOW_EVENTS
    query = sa.select(sa.func.max(policy_events.c.id)).where(policy_events.c.event.in_(steps))
    return int(conn.scalar(query) or 0)


def shadow_event(conn: sa.Connection) -> Event | None:
    """The policy running in shadow: the last shadow step if it started one, else None."""
    row = conn.execute(
        _joined()
        .where(policy_events.c.event.in_(SHADOW_EVENTS))
        .order_by(policy_events.c.id.desc())
        .limit(1)
    ).first()
    if row is None or row.event != SHADOW:
        return None
    return _event(row, str(row.draft_name))


def live_stack(events: Sequence[Event]) -> list[Event]:
    """The publications in force, oldest first: the last one is live."""
    stack: list[Event] = []
    for event in events:
        if event.event == PUBLISH:
            stack.append(event)
        elif stack:
            stack.pop()
    return stack


def state_json(values: dict[str, float], rules_off: frozenset[str]) -> str:
    return canonical({"parameters": dict(sorted(values.items())), "rules_off": sorted(rules_off)})


def insert_event(conn: sa.Connection, draft_id: int, row: dict[str, Any], status: str) -> None:
    """Store an event (``row``: who, event, reason, record_id and, for a publication or a
    rollback, state and versions) and set the draft's status."""
    next_id = int(conn.scalar(sa.select(sa.func.max(policy_events.c.id))) or 0) + 1
    conn.execute(
        policy_events.insert().values(
            id=next_id, draft_id=draft_id, at=utc_now(), **{"state": None, **row}
        )
    )
    conn.execute(policy_drafts.update().where(policy_drafts.c.id == draft_id).values(status=status))


__all__ = [
    "events_of",
    "insert_event",
    "last_live_event_id",
    "live_events",
    "live_stack",
    "state_json",
]
