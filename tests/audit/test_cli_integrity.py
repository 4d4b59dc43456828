"""``sales-expert audit key init|rotate|list``, ``audit anchor`` and ``audit verify`` with
``--anchor`` / ``--require-key``: exit codes and messages, in English and Chinese.

In-process (``main(argv)``, the same entry point) on a SQLite file in the test's directory,
except one run as a real process, as a user or ``scripts/setup.sh`` runs it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from engine.audit.keys import KEY_ENV
from engine.audit.store import AuditStore
from engine.cli import main
from tests.audit.tampering import delete, edit, seed
from tests.conftest import run_cli


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> AuditStore:
    """The configured database is ``<tmp>/data/audit.db``, signed with the test's keyring;
    returns a store on it to seed and tamper with."""
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path / "data"))
    for name in ("SALES_EXPERT_DATABASE_URL", "SALES_EXPERT_CONFIG", "SALES_EXPERT_USERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    return AuditStore(f"sqlite:///{tmp_path / 'data' / 'audit.db'}")


def call(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_key_init_rotate_and_list(
    cli: AuditStore, capsys: pytest.CaptureFixture[str], audit_key_file: Path
) -> None:
    code, out, _ = call(capsys, "audit", "key", "init")
    assert code == 0 and f"Created the audit keyring {audit_key_file} (mode 0600)" in out
    assert stat.S_IMODE(audit_key_file.stat().st_mode) == 0o600
    code, out, _ = call(capsys, "audit", "key", "init", "--lang", "zh")
    assert code == 0 and f"审计密钥环 {audit_key_file} 已存在，保持不变" in out
    first = json.loads(call(capsys, "audit", "key", "list", "--json")[1])
    code, out, _ = call(capsys, "audit", "key", "rotate")
    assert code == 0 and "new active key" in out and first["active"] in out
    listed = json.loads(call(capsys, "audit", "key", "list", "--json")[1])
    assert [k["id"] for k in listed["keys"]][1:] == [first["active"]]
    assert [k["active"] for k in listed["keys"]] == [True, False]
    text = call(capsys, "audit", "key", "list")[1]
    assert f"{first['active']}  retired" in text
    assert audit_key_file.read_text().split("\n")[0].startswith("# sales-expert audit keyring")


def test_key_rotate_without_a_keyring_exits_2(
    cli: AuditStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = call(capsys, "audit", "key", "rotate")
    assert code == 2 and out == "" and "run `sales-expert audit key init` first" in err
    code, out, _ = call(capsys, "audit", "key", "list")
    assert code == 0 and "No audit keyring at" in out


def test_anchor_then_verify_it_through_appends_and_a_truncation(
    cli: AuditStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(cli, 3)
    anchor = tmp_path / "anchor.json"
    code, out, _ = call(capsys, "audit", "anchor", "--out", str(anchor))
    assert code == 0 and "Anchored the head: record 3 of 3" in out and str(anchor) in out
    printed = json.loads(call(capsys, "audit", "anchor")[1])  # no --out: printed for a notary
    assert {k: printed[k] for k in ("count", "last_id")} == {"count": 3, "last_id": 3}
    seed(cli, 2, start=3)
    code, out, _ = call(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 0 and "the anchored head is unchanged; 2 record(s) appended since" in out
    assert "Protection: HMAC checked on 5 record(s)" in out
    delete(cli, 3, 4, 5)
    code, out, _ = call(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1
    assert "Anchor check FAILED at record 3 — removed from the end of the chain" in out
    code, out, _ = call(capsys, "audit", "verify", "--anchor", str(anchor), "--lang", "zh")
    assert code == 1 and "锚点校验失败：记录 3（链尾记录被删除，即截断）" in out
    report = json.loads(call(capsys, "audit", "verify", "--anchor", str(anchor), "--json")[1])
    assert (report["ok"], report["problem"]["kind"], report["problem"]["record_id"]) == (
        False,
        "truncated",
        3,
    )


def test_an_edited_or_malformed_anchor_file_is_refused(
    cli: AuditStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(cli, 2)
    anchor = tmp_path / "anchor.json"
    assert call(capsys, "audit", "anchor", "--out", str(anchor))[0] == 0
    data = json.loads(anchor.read_text())
    anchor.write_text(json.dumps({**data, "count": 1, "last_id": 1}))  # "it was shorter"
    code, out, _ = call(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 1 and "the anchor file was edited" in out
    anchor.write_text('{"type": "something else"}')
    code, out, err = call(capsys, "audit", "verify", "--anchor", str(anchor))
    assert code == 2 and out == "" and "not a sales-expert audit anchor" in err
    code, _, err = call(capsys, "audit", "verify", "--anchor", str(tmp_path / "none.json"))
    assert code == 2 and "cannot read" in err


def test_a_broken_chain_is_not_anchored(
    cli: AuditStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    seed(cli, 3)
    edit(cli, 2, actor="mallory")
    code, out, _ = call(capsys, "audit", "anchor", "--out", str(tmp_path / "a.json"))
    assert code == 1 and "not anchored" in out and "first bad record 2" in out
    assert not (tmp_path / "a.json").exists()


def test_verify_without_a_keyring_says_hash_only_and_require_key_fails(
    cli: AuditStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seed(cli, 2)
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "elsewhere" / "audit.key"))
    code, out, _ = call(capsys, "audit", "verify")
    assert code == 0 and "Chain intact: 2 record(s)" in out
    assert "hash only checked — no audit keyring at" in out
    code, out, _ = call(capsys, "audit", "verify", "--lang", "zh")
    assert code == 0 and "保护：仅校验了哈希" in out
    code, out, _ = call(capsys, "audit", "verify", "--require-key")
    assert code == 1 and "--require-key: the HMACs could not be checked" in out
    report = json.loads(call(capsys, "audit", "verify", "--json")[1])
    assert report["protection"]["key_status"] == "no_key"
    assert report["protection"]["unchecked"] == 2


def test_verify_names_an_unknown_format_and_a_forged_hmac(
    cli: AuditStore, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(cli, 3)
    edit(cli, 3, format=7)
    code, out, _ = call(capsys, "audit", "verify")
    assert code == 1 and "first bad record 3 — of a format this program does not know" in out
    assert "Protection: HMAC checked on 2 record(s)" in out


def test_setup_initialises_the_key_as_a_real_process(tmp_path: Path) -> None:
    """What ``scripts/setup.sh`` runs: the default keyring, beside the default database."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}
    done = run_cli("audit", "key", "init", cwd=tmp_path, env=environ)
    assert done.returncode == 0, done.stderr
    key = tmp_path / "data" / "audit.key"
    assert f"Created the audit keyring {key}" in done.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = run_cli("audit", "key", "init", cwd=tmp_path, env=environ)
    assert again.returncode == 0 and "exists: kept" in again.stdout
    verified = run_cli("audit", "verify", "--require-key", cwd=tmp_path, env=environ)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert stat.S_IMODE((tmp_path / "data" / "audit.db").stat().st_mode) == 0o600


def test_verify_warns_about_a_users_file_others_can_read(
    cli: AuditStore, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    users = tmp_path / "data" / "users.yaml"
    users.write_text("users: {}\n")
    users.chmod(0o644)
    code, out, _ = call(capsys, "audit", "verify")
    assert code == 0 and f"Warning: {users} can be read by its group or by others" in out
    report = json.loads(call(capsys, "audit", "verify", "--json")[1])
    assert report["warnings"] == [{"path": str(users), "mode": "0644"}]
