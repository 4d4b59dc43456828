"""The SQL of policy drafts, on a connection of the audit database (``AuditStore``).

Writes run inside ``AuditStore._write()``, the transaction holding the append lock (``BEGIN
IMMEDIATE`` on SQLite, the advisory lock on PostgreSQL): ids and sequence numbers are read and
taken inside it, as records are, so concurrent writers never collide. Nothing here issues an
UPDATE or a DELETE.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from engine.audit.models import policy_changes, policy_drafts, utc_now
from engine.policy.model import OPEN, Change, Draft, Pending, Who


def _draft(row: sa.Row[tuple[object, ...]], changes: Sequence[Change]) -> Draft:
    data = row._mapping
    return Draft(
        id=int(data["id"]),
        name=str(data["name"]),
        base_version=str(data["base_version"]),
        created_at=str(data["created_at"]),
        author=str(data["author"]),
        role=str(data["role"]),
        status=str(data["status"]),
        reason=str(data["reason"]),
        changes=tuple(changes),
    )


def _changes(conn: sa.Connection, draft_ids: Sequence[int]) -> dict[int, list[Change]]:
    query = (
        sa.select(policy_changes)
        .where(policy_changes.c.draft_id.in_(draft_ids))
        .order_by(policy_changes.c.draft_id, policy_changes.c.seq)
    )
    found: dict[int, list[Change]] = {}
    for row in conn.execute(query):
        found.setdefault(int(row.draft_id), []).append(Change.from_row(row._mapping))
    return found


def find_draft(conn: sa.Connection, name: str) -> Draft | None:
    """The draft named ``name`` with its changes in order, or None."""
    row = conn.execute(sa.select(policy_drafts).where(policy_drafts.c.name == name)).first()
    if row is None:
        return None
    return _draft(row, _changes(conn, [int(row.id)]).get(int(row.id), []))


def all_drafts(conn: sa.Connection) -> list[Draft]:
    """Every draft, oldest first, each with its changes."""
    rows = conn.execute(sa.select(policy_drafts).order_by(policy_drafts.c.id)).all()
    changes = _changes(conn, [int(r.id) for r in rows]) if rows else {}
    return [_draft(r, changes.get(int(r.id), [])) for r in rows]


def draft_names(conn: sa.Connection) -> list[str]:
    return [str(n) for n in conn.scalars(sa.select(policy_drafts.c.name).order_by("id"))]


def head(conn: sa.Connection, draft_id: int) -> tuple[str, int]:
    """The draft's status and its last change's sequence number (0: none yet)."""
    status = conn.scalar(sa.select(policy_drafts.c.status).where(policy_drafts.c.id == draft_id))
    last = conn.scalar(
        sa.select(sa.func.max(policy_changes.c.seq)).where(policy_changes.c.draft_id == draft_id)
    )
    return str(status), int(last or 0)


def _next_id(conn: sa.Connection, table: sa.Table) -> int:
    return int(conn.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def insert_draft(conn: sa.Connection, name: str, base_version: str, who: Who, reason: str) -> int:
    """Store a new draft, status ``OPEN``; returns its id (the caller checked the name is free)."""
    draft_id = _next_id(conn, policy_drafts)
    conn.execute(
        policy_drafts.insert().values(
            id=draft_id,
            name=name,
            base_version=base_version,
            created_at=utc_now(),
            author=who.actor,
            role=who.role,
            status=OPEN,
            reason=reason,
        )
    )
    return draft_id


def insert_changes(
    conn: sa.Connection, draft_id: int, after: int, who: Who, pending: Sequence[Pending]
) -> None:
    """Store ``pending`` as the draft's changes ``after + 1``, ``after + 2``…, all at one time."""
    if not pending:
        return
    first_id, at = _next_id(conn, policy_changes), utc_now()
    rows = [
        {
            "id": first_id + offset,
            "draft_id": draft_id,
            "seq": after + 1 + offset,
            "at": at,
            "actor": who.actor,
            "role": who.role,
            "kind": change.kind,
            "target": change.target,
            "value": change.value,
            "reason": change.reason,
        }
        for offset, change in enumerate(pending)
    ]
    conn.execute(policy_changes.insert(), rows)


__all__ = ["all_drafts", "draft_names", "find_draft", "head", "insert_changes", "insert_draft"]
