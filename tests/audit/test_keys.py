"""The audit keyring: where it is, how it is read, created and rotated, and what ``verify``
reports when a key is missing, removed or used after it was retired (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from engine import consult
from engine.audit.chain import record_hash
from engine.audit.config import load_settings
from engine.audit.errors import AuditRequestError
from engine.audit.findings import CHECKED, NO_KEY
from engine.audit.keys import KeySource, format_keyring, parse_keyring
from engine.audit.models import records
from engine.audit.store import AuditStore
from engine.audit.text import protection
from knowledge_base import load_knowledge
from tests.audit.tampering import execute, rows, seed, without_keyring
from tests.conftest import customer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_keyring_is_created_private_with_the_first_record_and_signs_it(
    store: AuditStore, audit_key_file: Path
) -> None:
    assert not audit_key_file.exists()
    assert store.verify().ok and not audit_key_file.exists()  # verify never creates a key
    seed(store, 2)
    assert mode(audit_key_file) == 0o600
    keyring = store.keys.load()
    assert keyring is not None and len(keyring.keys) == 1
    assert [(r["format"], r["key_id"]) for r in rows(store)] == [(2, keyring.active.id)] * 2
    assert all(keyring.active.sign_record(r["hash"]) == r["hmac"] for r in rows(store))
    assert keyring.active.secret.hex() not in repr(keyring)  # never shown by accident
    report = store.verify()
    assert report.protection.key_status == CHECKED
    assert (report.protection.hmac, report.protection.hash_only) == (2, 0)
    assert report.protection.by_key == {keyring.active.id: 2}


def test_a_shown_record_says_which_key_signed_it(store: AuditStore) -> None:
    seed(store, 1)
    keyring = store.keys.load()
    assert keyring is not None
    record = store.get(1)
    assert record.key_id == keyring.active.id
    kb = load_knowledge()
    assert protection(record, kb, "en") == f"HMAC, key {keyring.active.id}"
    assert protection(record, kb, "zh") == f"HMAC，密钥 {keyring.active.id}"
    unsigned = dataclasses.replace(record, key_id=None)
    assert protection(unsigned, kb, "en") == "hash only (recorded before keys)"


def test_init_creates_once_and_keeps_an_existing_keyring(tmp_path: Path) -> None:
    source = KeySource(tmp_path / "new" / "audit.key")
    first, created = source.init()
    again, created_again = source.init()
    assert (created, created_again) == (True, False)
    assert again.active.id == first.active.id and mode(source.path) == 0o600
    assert len(first.active.id) == 8 and first.active.created


def test_a_plain_hex_key_file_is_a_keyring(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    path.write_text("ab" * 32 + "\n")
    keyring = KeySource(path).load()
    assert keyring is not None and keyring.active.secret == bytes.fromhex("ab" * 32)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("# only a comment\n", "holds no key"),
        ("cd" * 16 + "\n", "line 1: not a key"),
        ("zz" * 32 + "\n", "line 1: not a key"),
        ("ab" * 32 + " colour=red\n", "line 1: unknown field 'colour'"),
        ("ab" * 32 + "\n\n" + "ab" * 32 + "\n", "line 3: the key repeats"),
    ],
)
def test_a_malformed_keyring_is_named_by_line_without_quoting_it(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "audit.key"
    path.write_text(text)
    with pytest.raises(AuditRequestError, match=message) as raised:
        KeySource(path).load()
    assert str(path) in str(raised.value)
    assert "cd" * 16 not in str(raised.value) and "ab" * 32 not in str(raised.value)


def test_the_keyring_file_round_trips() -> None:
    source = parse_keyring("ab" * 32 + " created=2025-01-01T00:00:00Z\n", Path("k"))
    text = format_keyring(source.keys)
    assert parse_keyring(text, Path("k")).keys == source.keys


def test_rotation_keeps_old_records_verifying_and_signs_new_ones_with_the_new_key(
    store: AuditStore, audit_key_file: Path
) -> None:
    seed(store, 2)
    audit_key_file.chmod(0o644)  # loosened by hand: the rotation writes it private again
    old = store.keys.load()
    assert old is not None
    rotated = store.keys.rotate()
    assert mode(audit_key_file) == 0o600
    assert [k.id for k in rotated.keys] == [rotated.active.id, old.active.id]
    assert rotated.keys[1].retired is not None and rotated.active.retired is None
    seed(store, 2, start=2)
    report = store.verify()
    assert report.ok, report.problem
    assert report.protection.by_key == {old.active.id: 2, rotated.active.id: 2}
    assert [r["key_id"] for r in rows(store)][2:] == [rotated.active.id] * 2


def test_rotating_without_a_keyring_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditRequestError, match="audit key init"):
        KeySource(tmp_path / "audit.key").rotate()


def test_a_record_signed_with_a_removed_key_is_reported(
    store: AuditStore, audit_key_file: Path
) -> None:
    seed(store, 2)
    rotated = store.keys.rotate()
    seed(store, 1, start=2)
    audit_key_file.write_text(format_keyring(rotated.keys[:1]))  # the retired key thrown away
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("unknown_key", 1)
    assert rotated.keys[1].id in problem.detail


def test_a_stolen_retired_key_signing_after_the_rotation_is_reported(
    store: AuditStore,
) -> None:
    seed(store, 2)
    stolen = store.keys.load()
    assert stolen is not None
    store.keys.rotate()
    seed(store, 1, start=2)  # record 3, signed by the new key
    last = rows(store)[-1]
    forged = {**last, "id": 4, "prev_hash": last["hash"], "key_id": stolen.active.id}
    forged["hash"] = record_hash(forged)
    forged["hmac"] = stolen.active.sign_record(forged["hash"])
    execute(store, records.insert().values(**forged))
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("retired_key", 4)


def test_a_stolen_retired_key_is_reported_after_an_anchor_taken_at_the_rotation(
    store: AuditStore,
) -> None:
    """Rotate, then anchor at once: even before the new key has signed anything, a record
    the old key signs after the anchor is caught."""
    seed(store, 2)
    stolen = store.keys.load()
    assert stolen is not None
    store.keys.rotate()
    _, anchor = store.anchor()
    assert anchor is not None and anchor.key_id == store.keys.signing().active.id
    last = rows(store)[-1]
    forged = {**last, "id": 3, "prev_hash": last["hash"], "customer_id": "FORGED"}
    forged["hash"] = record_hash(forged)
    forged["hmac"] = stolen.active.sign_record(forged["hash"])
    execute(store, records.insert().values(**forged))
    assert store.verify().ok  # the chain alone cannot tell: the old key signed before
    problem = store.verify(anchor=anchor).problem
    assert problem is not None and (problem.kind, problem.record_id) == ("retired_key", 3)


def test_without_a_keyring_verify_checks_hashes_only_and_says_so(
    store: AuditStore, tmp_path: Path
) -> None:
    seed(store, 3)
    with without_keyring(store, tmp_path) as hashes_only:
        report = hashes_only.verify()
        assert not hashes_only.keys.path.exists()  # nor created by verifying
    assert report.ok and report.protection.key_status == NO_KEY
    assert (report.protection.unchecked, report.protection.hmac) == (3, 0)
    assert report.protection.key_file == str(tmp_path / "no-keyring" / "audit.key")


def test_where_the_keyring_is(tmp_path: Path) -> None:
    assert load_settings(env={}, cwd=tmp_path).key_path == tmp_path / "data" / "audit.key"
    beside = {"SALES_EXPERT_DATABASE_URL": f"sqlite:///{tmp_path / 'db' / 'x.db'}"}
    assert load_settings(env=beside, cwd=tmp_path).key_path == tmp_path / "db" / "audit.key"
    remote = {"SALES_EXPERT_DATABASE_URL": "postgresql://u@db/sales"}
    assert load_settings(env=remote, cwd=tmp_path).key_path == tmp_path / "data" / "audit.key"
    named = {"SALES_EXPERT_AUDIT_KEY_FILE": "keys/k", **remote}
    assert load_settings(env=named, cwd=tmp_path).key_path == tmp_path / "keys" / "k"
    config = tmp_path / "etc" / "sales-expert.toml"
    config.parent.mkdir()
    config.write_text('audit_key_file = "secret/audit.key"\n')
    env = {"SALES_EXPERT_CONFIG": str(config)}
    assert load_settings(env=env, cwd=tmp_path).key_path == config.parent / "secret" / "audit.key"


def test_a_store_opened_by_url_alone_uses_the_key_beside_its_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALES_EXPERT_AUDIT_KEY_FILE")
    with AuditStore(f"sqlite:///{tmp_path / 'audit.db'}") as store:
        consult({"customer": customer()}, store=store)
        assert store.keys.path == tmp_path / "audit.key" and store.verify().ok
    assert mode(tmp_path / "audit.key") == 0o600


def test_a_keyring_that_cannot_be_read_or_created_is_a_named_request_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "a-file").write_text("")
    (tmp_path / "a-directory").mkdir()
    for path in (tmp_path / "a-file" / "audit.key", tmp_path / "a-directory"):
        with pytest.raises(AuditRequestError, match=f"audit keyring {path}: cannot"):
            KeySource(path).signing()
