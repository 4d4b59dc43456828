"""Tamper evidence on SQLite and PostgreSQL: the database is edited directly, as an intruder
with database access would, and ``verify`` must name the first bad record."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from engine import consult, default_engine
from engine.audit.chain import record_hash
from engine.audit.models import records, rulebases
from engine.audit.store import AuditStore
from tests.audit.tampering import without_keyring
from tests.conftest import customer


def seed(store: AuditStore, count: int = 5) -> list[str]:
    """``count`` consultations; their hashes."""
    for i in range(count):
        consult({"customer": customer(id=f"C-{i}")}, store=store, actor="rita", role="rep")
    return [store.get(i).hash for i in range(1, count + 1)]


def tamper(store: AuditStore, *statements: sa.Executable) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def row(store: AuditStore, record_id: int) -> dict[str, object]:
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(records).where(records.c.id == record_id)).one()
    return dict(found._mapping)


def test_an_untouched_chain_verifies_and_reports_its_head(store: AuditStore) -> None:
    assert store.verify().ok and store.verify().checked == 0
    hashes = seed(store)
    report = store.verify()
    assert report.ok and report.problem is None
    assert (report.checked, report.snapshots) == (5, 1)
    assert (report.head_id, report.head_hash) == (5, hashes[-1])
    assert store.verify(expect=(5, hashes[-1])).ok


def test_an_edited_row_is_found(store: AuditStore) -> None:
    seed(store)
    tamper(store, sa.update(records).where(records.c.id == 3).values(actor="mallory"))
    report = store.verify()
    assert not report.ok and report.problem is not None
    assert (report.problem.kind, report.problem.record_id, report.checked) == ("altered", 3, 2)
    assert "content does not match its hash" in report.problem.detail


def test_an_edited_payload_is_found(store: AuditStore) -> None:
    seed(store)
    payload = str(row(store, 4)["payload"])
    assert '"id":"C-3"' in payload
    forged = payload.replace('"id":"C-3"', '"id":"C-9"', 1)
    tamper(store, sa.update(records).where(records.c.id == 4).values(payload=forged))
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 4)


def test_an_edited_row_with_its_hash_recomputed_is_found_by_the_next_link(
    store: AuditStore, tmp_path: Path
) -> None:
    seed(store)
    forged = {**row(store, 3), "actor": "mallory"}
    tamper(
        store,
        sa.update(records)
        .where(records.c.id == 3)
        .values(actor="mallory", hash=record_hash(forged)),
    )
    with without_keyring(store, tmp_path) as hashes_only:  # the chain alone shows the link
        problem = hashes_only.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 3)
    assert "hash recomputed" in problem.detail
    problem = store.verify().problem  # with the key, the record's own HMAC shows it first
    assert problem is not None and (problem.kind, problem.record_id) == ("hmac_mismatch", 3)


def test_a_deleted_row_is_found(store: AuditStore) -> None:
    seed(store)
    tamper(store, sa.delete(records).where(records.c.id == 3))
    report = store.verify()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.record_id) == ("missing", 3)
    assert report.checked == 2


def test_a_deleted_first_row_is_found(store: AuditStore) -> None:
    seed(store)
    tamper(store, sa.delete(records).where(records.c.id == 1))
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("missing", 1)


def test_a_swapped_pair_is_found(store: AuditStore) -> None:
    seed(store)
    ids = records.c.id
    tamper(
        store,
        sa.update(records).where(ids == 3).values(id=-3),
        sa.update(records).where(ids == 4).values(id=3),
        sa.update(records).where(ids == -3).values(id=4),
    )
    assert row(store, 3)["customer_id"] == "C-3"  # the swap happened
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("reordered", 3)
    assert "links to record 4" in problem.detail


def test_removing_the_newest_records_is_found_against_a_noted_head(store: AuditStore) -> None:
    hashes = seed(store)
    tamper(store, sa.delete(records).where(records.c.id == 5))
    assert store.verify().ok  # a truncated chain is still a chain ...
    problem = store.verify(expect=(5, hashes[-1])).problem  # ... but not the one noted
    assert problem is not None and (problem.kind, problem.record_id) == ("missing", 5)
    problem = store.verify(expect=(4, hashes[0])).problem
    assert problem is not None and problem.kind == "head_mismatch"


def test_an_altered_or_missing_rule_base_snapshot_is_found(store: AuditStore) -> None:
    seed(store, 2)
    version = default_engine().version
    content = store.snapshot(version)
    tamper(
        store,
        sa.update(rulebases)
        .where(rulebases.c.version == version)
        .values(content=content.replace("1000000", "900000", 1)),
    )
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.version) == ("snapshot_altered", version)
    tamper(store, sa.delete(rulebases))
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.version) == ("snapshot_missing", version)
