"""Issue 19, the insider test: someone with write access to the audit database but not the
keyring edits, deletes, swaps, truncates, appends, and re-hashes the whole chain. Every attack
is detected by ``verify`` with the key, or by ``verify --anchor`` with an anchor taken before
it, naming the kind of problem and the record — on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.audit.anchor import Anchor
from engine.audit.chain import record_hash
from engine.audit.findings import CHECKED, NO_KEY
from engine.audit.keys import new_key
from engine.audit.models import records
from engine.audit.store import AuditStore
from tests.audit.tampering import (
    Row,
    append_forged,
    delete,
    edit,
    execute,
    rehash,
    rows,
    seed,
    without_keyring,
)


def _swap(store: AuditStore) -> None:
    ids = records.c.id
    execute(
        store,
        sa.update(records).where(ids == 3).values(id=-3),
        sa.update(records).where(ids == 4).values(id=3),
        sa.update(records).where(ids == -3).values(id=4),
    )


def _delete_and_relink(store: AuditStore) -> None:
    """Remove record 3, renumber the later ones and re-hash: a chain without a gap."""
    delete(store, 3)
    execute(
        store,
        sa.update(records).where(records.c.id == 4).values(id=3),
        sa.update(records).where(records.c.id == 5).values(id=4),
    )
    rehash(store)


def _actor_of_2(row: Row) -> Row:
    return {**row, "actor": "mallory"} if row["id"] == 2 else row


def _unsigned_from_2(row: Row) -> Row:
    if row["id"] < 2:
        return row
    return {**_actor_of_2(row), "hmac": None, "key_id": None}


def _as_old_records(row: Row) -> Row:
    """Every record rewritten as if written before keys existed (format 1, hash only)."""
    return {**_actor_of_2(row), "format": 1, "hmac": None, "key_id": None}


def _forge_signed_by_unknown_key(store: AuditStore) -> None:
    stranger = new_key()
    row = {**rows(store)[-1], "id": 6, "prev_hash": rows(store)[-1]["hash"], "key_id": stranger.id}
    row["hash"] = record_hash(row)
    row["hmac"] = stranger.sign_record(row["hash"])
    execute(store, records.insert().values(**row))


@dataclass(frozen=True)
class Attack:
    name: str
    act: Callable[[AuditStore], object]
    kind: str
    record_id: int
    needs_anchor: bool = False


ATTACKS = [
    Attack("edit a column", lambda s: edit(s, 3, decision="approve"), "altered", 3),
    Attack("edit the payload", lambda s: edit(s, 2, payload='{"forged":true}'), "altered", 2),
    Attack("edit a batch reference", lambda s: edit(s, 4, batch_ref="run:9"), "altered", 4),
    Attack("delete a middle record", lambda s: delete(s, 3), "missing", 3),
    Attack("delete the first record", lambda s: delete(s, 1), "missing", 1),
    Attack("swap two records", _swap, "reordered", 3),
    Attack("truncate the tail", lambda s: delete(s, 4, 5), "truncated", 5, needs_anchor=True),
    Attack("truncate everything", lambda s: delete(s, 1, 2, 3, 4, 5), "truncated", 5, True),
    Attack("append unsigned", lambda s: append_forged(s, hmac=None, key_id=None), "unsigned", 6),
    Attack("append with a copied HMAC", append_forged, "hmac_mismatch", 6),
    Attack(
        "append as an old record",
        lambda s: append_forged(s, format=1, hmac=None, key_id=None),
        "unsigned",
        6,
    ),
    Attack("append signed by another key", _forge_signed_by_unknown_key, "unknown_key", 6),
    Attack("edit and re-hash the chain", lambda s: rehash(s, _actor_of_2), "hmac_mismatch", 2),
    Attack("delete, renumber, re-hash", _delete_and_relink, "hmac_mismatch", 3),
    Attack("re-hash without HMACs", lambda s: rehash(s, _unsigned_from_2), "unsigned", 2),
    Attack(
        "re-hash as records older than keys",
        lambda s: rehash(s, _as_old_records),
        "anchor_mismatch",
        5,
        needs_anchor=True,
    ),
]


@pytest.fixture
def anchored(store: AuditStore) -> Anchor:
    """Five signed consultations, then an anchor of the head (as a notary would keep)."""
    seed(store)
    report, anchor = store.anchor()
    assert report.ok and anchor is not None and (anchor.count, anchor.last_id) == (5, 5)
    return anchor


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_every_insider_attack_is_detected(
    store: AuditStore, anchored: Anchor, attack: Attack
) -> None:
    assert store.verify(anchor=anchored).ok  # untouched: the anchor holds
    attack.act(store)
    plain = store.verify()
    if attack.needs_anchor:
        assert plain.ok, plain.problem  # the chain alone cannot tell ...
    else:
        assert plain.problem is not None, "the key's verify must find it"
        assert (plain.problem.kind, plain.problem.record_id) == (attack.kind, attack.record_id)
    report = store.verify(anchor=anchored)  # ... the anchor can; and it never hides a finding
    assert report.problem is not None
    assert (report.problem.kind, report.problem.record_id) == (attack.kind, attack.record_id)


def test_without_the_key_a_rehashed_chain_passes_and_verify_says_only_hashes_were_checked(
    store: AuditStore, anchored: Anchor, tmp_path: Path
) -> None:
    """The limit the keyring removes, shown: the same attack, verified by someone without it."""
    rehash(store, _actor_of_2)
    with without_keyring(store, tmp_path) as hashes_only:
        report = hashes_only.verify()
        assert report.ok and report.protection.key_status == NO_KEY
        assert (report.protection.unchecked, report.protection.hmac) == (5, 0)
        anchored_report = hashes_only.verify(anchor=anchored)  # the anchor still catches it
    assert anchored_report.anchor is not None and anchored_report.anchor.signature == NO_KEY
    problem = anchored_report.problem
    assert problem is not None and (problem.kind, problem.record_id) == ("anchor_mismatch", 5)
    keyed = store.verify()
    assert keyed.protection.key_status == CHECKED
    assert keyed.problem is not None and keyed.problem.kind == "hmac_mismatch"


def test_records_appended_after_the_anchor_are_information_not_a_problem(
    store: AuditStore, anchored: Anchor
) -> None:
    seed(store, 2, start=5)
    report = store.verify(anchor=anchored)
    assert report.ok and report.anchor is not None
    assert (report.anchor.appended, report.anchor.signature) == (2, CHECKED)
    assert (report.checked, report.protection.hmac) == (7, 7)
