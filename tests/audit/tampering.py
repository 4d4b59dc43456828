"""What an insider with write access to the audit database (but not the keyring) can do to it:
edit rows, delete and move them, append rows, and recompute every hash of the chain so that it
links again. Shared by the insider, key and migration tests; it works on SQLite and PostgreSQL
alike, through plain SQL on the store's engine, as such an insider would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine import consult
from engine.audit.chain import GENESIS, record_hash
from engine.audit.keys import KeySource
from engine.audit.models import records
from engine.audit.store import AuditStore
from tests.conftest import customer

Row = dict[str, Any]


def seed(store: AuditStore, count: int = 5, start: int = 0) -> list[str]:
    """``count`` consultations through the API; the hashes of all records so far."""
    for i in range(start, start + count):
        consult({"customer": customer(id=f"C-{i}")}, store=store, actor="rita", role="rep")
    return [r["hash"] for r in rows(store)]


def rows(store: AuditStore) -> list[Row]:
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(records).order_by(records.c.id)).mappings().all()
    return [dict(r) for r in found]


def execute(store: AuditStore, *statements: sa.Executable) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def edit(store: AuditStore, record_id: int, **values: Any) -> None:
    execute(store, sa.update(records).where(records.c.id == record_id).values(**values))


def delete(store: AuditStore, *ids: int) -> None:
    execute(store, sa.delete(records).where(records.c.id.in_(ids)))


def rehash(store: AuditStore, change: Callable[[Row], Row] = lambda r: r) -> None:
    """Apply ``change`` to every record and recompute every hash and link from the first on,
    as an insider without the key would: the hash chain is whole again, the HMACs (kept as
    they were unless ``change`` alters them) are not."""
    prev = GENESIS
    updates = []
    for original in rows(store):
        row = {**change(dict(original)), "prev_hash": prev}
        row["hash"] = prev = record_hash(row)
        updates.append(sa.update(records).where(records.c.id == original["id"]).values(**row))
    execute(store, *updates)


def append_forged(store: AuditStore, **values: Any) -> Row:
    """A copy of the last record, changed, appended as the next one with a right hash and
    link (and the last record's HMAC unless ``values`` says otherwise)."""
    last = rows(store)[-1]
    row = {**last, "id": last["id"] + 1, "prev_hash": last["hash"], "customer_id": "FORGED"}
    row.update(values)
    row["hash"] = record_hash(row)
    execute(store, records.insert().values(**row))
    return row


def without_keyring(store: AuditStore, tmp_path: Path) -> AuditStore:
    """The same database opened by someone who has no keyring (verify checks hashes only)."""
    return AuditStore(store.url, KeySource(tmp_path / "no-keyring" / "audit.key"))


__all__ = [
    "append_forged",
    "delete",
    "edit",
    "execute",
    "rehash",
    "rows",
    "seed",
    "without_keyring",
]
