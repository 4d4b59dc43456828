"""Files holding secrets or personal data are created 0600 whatever the umask: the SQLite audit
database (and its WAL), the keyring, the users file; files left broader are tightened when the
product rewrites them, and ``verify`` warns about the others."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import consult
from engine.audit.files import create_private, loose_mode, replace_private
from engine.audit.keys import KeySource
from engine.audit.store import AuditStore
from engine.audit.text_integrity import render_verify
from engine.users import User, load_users, write_users
from knowledge_base import load_knowledge
from tests.conftest import customer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask (files 0644 unless the program says otherwise)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_sqlite_audit_database_and_its_wal_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore(url, KeySource(tmp_path / "audit.key")) as store:
        consult({"customer": customer()}, store=store)
        assert mode(tmp_path / "audit.db") == 0o600
        assert mode(tmp_path / "audit.db-wal") == 0o600  # SQLite copies the database's mode
        assert mode(tmp_path / "audit.key") == 0o600
        assert store.verify().warnings == ()


def test_an_existing_database_keeps_its_mode_and_verify_warns_about_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore(url, KeySource(tmp_path / "audit.key")) as store:
        consult({"customer": customer()}, store=store)
    (tmp_path / "audit.db").chmod(0o644)
    (tmp_path / "audit.key").chmod(0o640)
    with AuditStore(url, KeySource(tmp_path / "audit.key")) as store:
        report = store.verify()
    assert mode(tmp_path / "audit.db") == 0o644  # not changed behind the owner's back
    assert [(Path(w.path).name, w.mode) for w in report.warnings] == [
        ("audit.db", "0644"),
        ("audit.key", "0640"),
    ]
    text = render_verify(report, load_knowledge(), "en")
    assert f"chmod 600 {tmp_path / 'audit.db'}" in text
    assert "(mode 0640)" in text
    zh = render_verify(report, load_knowledge(), "zh")
    assert "的权限为 0644，同组或其他用户可以读取" in zh


def test_the_users_file_is_written_private_and_tightened_on_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users: {}\n")
    path.chmod(0o644)
    (tmp_path / "users.yaml.tmp").write_text("left over by a crash")
    (tmp_path / "users.yaml.tmp").chmod(0o666)
    write_users(path, [(User("mia", "Mia Manager", "manager"), "pw")], rounds=4)
    assert mode(path) == 0o600
    assert not (tmp_path / "users.yaml.tmp").exists()
    assert set(load_users(path)) == {"mia"}
    fresh = tmp_path / "new" / "users.yaml"
    write_users(fresh, [(User("rita", "Rita Rep", "rep"), "pw")], rounds=4)
    assert mode(fresh) == 0o600


def test_private_files_are_created_whole_once_and_replaced_private(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    assert create_private(path, "first") is True
    assert create_private(path, "second") is False and path.read_text() == "first"
    path.chmod(0o644)
    assert loose_mode(path) == "0644"
    replace_private(path, "third")
    assert (path.read_text(), mode(path), loose_mode(path)) == ("third", 0o600, None)
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary file left
    assert loose_mode(tmp_path / "missing") is None
