"""The customer directory's table: remembering a customer's facts, and reading them back.

``remember`` is called with the case of every recorded consultation, in the transaction that
records it (``AuditStore.record_consultations``), and by an import. For each section the case
gives, the directory keeps the section's values, when and from where (``consultation``,
``batch``, ``import``) — the last given wins per section, so a consultation about a debt keeps
the credit facts an earlier consultation gave. One upsert per customer, on SQLite and
PostgreSQL alike (``INSERT … ON CONFLICT DO UPDATE``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.audit.chain import canonical
from engine.audit.models import customers
from knowledge_base.facts import Case

SOURCES = ("consultation", "batch", "import")


@dataclass(frozen=True)
class Customer:
    id: str
    name: str | None
    first_seen: str
    last_seen: str
    facts: Mapping[str, Any]
    """Per section: ``{"at": time, "source": where, "record": id or None, "values": {...}}``."""
    consultations: int
    last_record: int | None

    def case(self) -> dict[str, dict[str, Any]]:
        """The last known facts as a case (what fills a form)."""
        return {section: dict(entry["values"]) for section, entry in self.facts.items()}

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "consultations": self.consultations,
            "last_record": self.last_record,
            "facts": dict(self.facts),
        }


def given(case: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sections and fields a case gives (a validated case keeps absent ones as nulls)."""
    return {
        section: {k: v for k, v in fields.items() if v is not None}
        for section, fields in case.items()
        if isinstance(fields, Mapping) and any(v is not None for v in fields.values())
    }


Entry = tuple[Mapping[str, Any], str, str, int | None]
"""What is remembered of one case: (the case, when, from where, the record it came with)."""


def _start(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "facts": json.loads(row.facts),
        "consultations": row.consultations,
        "last_record": row.last_record,
    }


def _fold(found: dict[str, Any] | None, entry: Entry, customer_id: str) -> dict[str, Any]:
    """A directory row with one more case folded in (the last given wins per section)."""
    case, at, source, record = entry
    row = found or {"id": customer_id, "name": None, "first_seen": at, "consultations": 0}
    row.setdefault("facts", {})
    row.setdefault("last_record", None)
    for section, values in given(case).items():
        row["facts"][section] = {"at": at, "source": source, "record": record, "values": values}
    row["name"] = (case.get("customer") or {}).get("name") or row["name"]
    row["last_seen"] = at
    row["consultations"] += 0 if source == "import" else 1
    row["last_record"] = record if record is not None else row["last_record"]
    return row


def remember(conn: sa.Connection, entries: Sequence[Entry]) -> int:
    """Keep what each case says of its customer, in order (inside the caller's transaction):
    one read of the customers concerned and one upsert statement; returns how many customers."""
    ids = {str(c["customer"]["id"]) for c, *_ in entries if (c.get("customer") or {}).get("id")}
    if not ids:
        return 0
    query = sa.select(customers).where(customers.c.id.in_(ids))
    rows: dict[str, dict[str, Any]] = {r.id: _start(r) for r in conn.execute(query)}
    for entry in entries:
        customer_id = (entry[0].get("customer") or {}).get("id")
        if customer_id:
            rows[str(customer_id)] = _fold(rows.get(str(customer_id)), entry, str(customer_id))
    statement = _upsert(conn)
    update = {c.name: statement.excluded[c.name] for c in customers.c if c.name != "id"}
    params = [{**row, "facts": canonical(row["facts"])} for row in rows.values()]
    conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=update), params)
    return len(params)


def _upsert(conn: sa.Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(customers)


def _customer(row: Any) -> Customer:
    return Customer(
        id=str(row.id),
        name=row.name,
        first_seen=str(row.first_seen),
        last_seen=str(row.last_seen),
        facts=json.loads(row.facts),
        consultations=int(row.consultations),
        last_record=row.last_record,
    )


def find(conn: sa.Connection, customer_id: str) -> Customer | None:
    row = conn.execute(sa.select(customers).where(customers.c.id == customer_id)).first()
    return None if row is None else _customer(row)


def search(conn: sa.Connection, text: str = "", limit: int = 100) -> list[Customer]:
    """Customers whose id or name contains ``text`` (any case), the most recently seen first."""
    query = sa.select(customers).order_by(customers.c.last_seen.desc()).limit(limit)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(customers.c.id).like(pattern),
                sa.func.lower(customers.c.name).like(pattern),
            )
        )
    return [_customer(row) for row in conn.execute(query)]


def remember_rows(
    conn: sa.Connection, rows: Sequence[Mapping[str, Any]], cases: Sequence[Case]
) -> int:
    """Remember the customers of recorded consultation rows (``records`` columns), each with
    its case (the validated model: dumping it is cheaper than parsing the stored payload)."""
    entries: list[Entry] = [
        (
            case.model_dump(mode="json", exclude_none=True),
            str(row["created_at"]),
            "batch" if row.get("batch_ref") else "consultation",
            int(row["id"]),
        )
        for row, case in zip(rows, cases, strict=True)
    ]
    return remember(conn, entries)


__all__ = ["SOURCES", "Customer", "find", "given", "remember", "remember_rows", "search"]
