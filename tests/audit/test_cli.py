"""``sales-expert consult`` recording and the ``audit`` commands, as real subprocesses."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import Engine, consult
from engine.audit.keys import KEY_ENV
from engine.audit.models import records
from engine.audit.store import AuditStore
from engine.cli import main
from engine.users import User, write_users
from tests.conftest import REPO, customer, run_cli

EXAMPLE = REPO / "examples" / "grading-key-account.yaml"


def run(url: str, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}
    environ[KEY_ENV] = os.environ[KEY_ENV]  # the test's keyring (conftest.audit_key_file)
    environ.update(
        SALES_EXPERT_DATABASE_URL=url,
        SALES_EXPERT_DATA_DIR=str(cwd / "data"),
        SALES_EXPERT_ACTOR="tester",
        **env,
    )
    return run_cli(*args, cwd=cwd, env=environ)


def signed(tmp_path: Path, username: str, role: str) -> dict[str, str]:
    """The environment that proves ``--actor username`` (``engine.cli_authority``): a users
    file holding that user with ``role``, and their password."""
    path = tmp_path / "users.yaml"
    write_users(path, [(User(username, username, role), f"{username}-pw")], rounds=4)
    return {"SALES_EXPERT_USERS": str(path), "SALES_EXPERT_PASSWORD": f"{username}-pw"}


def test_consult_records_and_the_auditor_commands_read_it(audit_url: str, tmp_path: Path) -> None:
    done = run(audit_url, tmp_path, "consult", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("Recorded as audit record 1.")
    bo = signed(tmp_path, "bo", "manager")
    args = ("consult", str(EXAMPLE), "--json", "--actor", "bo", "--role", "manager")
    done = run(audit_url, tmp_path, *args, **bo)
    assert json.loads(done.stdout)["audit_id"] == 2

    listed = json.loads(run(audit_url, tmp_path, "audit", "list", "--json", "--actor", "bo").stdout)
    assert [(r["id"], r["actor"], r["role"], r["channel"]) for r in listed] == [
        (2, "bo", "manager", "cli")
    ]
    assert listed[0]["customer_id"] == "C-1001" and "GR-044" in listed[0]["rules"]

    shown = run(audit_url, tmp_path, "audit", "show", "1")
    assert shown.returncode == 0, shown.stderr
    assert "Audit record 1: consultation" in shown.stdout and "tester (rep)" in shown.stdout
    assert "3. GR-007 High purchase amount: annual purchases 1,800,000 ≥ 1,000,000" in shown.stdout
    data = json.loads(run(audit_url, tmp_path, "audit", "show", "1", "--json").stdout)
    assert data["record"]["payload"]["case"]["customer"]["id"] == "C-1001"

    replayed = run(audit_url, tmp_path, "audit", "replay", "1")
    assert replayed.returncode == 0 and "identical" in replayed.stdout
    current = json.loads(
        run(audit_url, tmp_path, "audit", "replay", "2", "--current", "--json").stdout
    )
    assert current["identical"] is True and current["against"] == "current"

    verified = run(audit_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "Chain intact: 2 record(s)" in verified.stdout
    report = json.loads(run(audit_url, tmp_path, "audit", "verify", "--json").stdout)
    assert (report["ok"], report["checked"], report["head_id"]) == (True, 2, 2)

    stats = json.loads(run(audit_url, tmp_path, "audit", "stats", "--json").stdout)
    assert stats["consultations"] == 2 and stats["rule_firings"]["GR-044"] == 2


def test_verify_exits_1_naming_the_first_bad_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore(url) as store:
        for i in range(4):
            consult({"customer": customer(id=f"C-{i}")}, store=store)
        with store.engine.begin() as conn:
            conn.execute(sa.update(records).where(records.c.id == 3).values(customer_id="C-X"))
    done = run(url, tmp_path, "audit", "verify")
    assert done.returncode == 1
    assert "first bad record 3" in done.stdout and "2 sound record(s)" in done.stdout
    report = json.loads(run(url, tmp_path, "audit", "verify", "--json").stdout)
    assert report["ok"] is False and report["problem"]["record_id"] == 3
    assert report["problem"]["kind"] == "altered"
    zh = run(url, tmp_path, "audit", "verify", "--lang", "zh")
    assert "第一条有问题的记录是 3（被篡改）" in zh.stdout


def test_a_managers_decision_needs_a_reason_to_override(
    tmp_path: Path, credit_engine: Engine
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    with AuditStore(url) as store:
        big = {"customer": customer(annual_purchases=1_800_000)}
        consult(big, engine=credit_engine, store=store, actor="rita", role="rep")
    mona = signed(tmp_path, "mona", "manager")
    refused = run(
        url,
        tmp_path,
        *("audit", "decide", "1", "--decision", "approve", "--limit", "150000", "--actor", "mona"),
        **mona,
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert "reason: required" in refused.stderr and "limit 180,000 → 150,000" in refused.stderr
    done = run(
        url,
        tmp_path,
        "audit",
        "decide",
        "1",
        "--decision",
        "approve",
        "--limit",
        "150000",
        "--reason",
        "New owner; lower exposure at first",
        "--actor",
        "mona",
        "--json",
        **mona,
    )
    assert done.returncode == 0, done.stderr
    decided = json.loads(done.stdout)
    assert (decided["id"], decided["ref_id"], decided["actor"], decided["override"]) == (
        2,
        1,
        "mona",
        True,
    )
    assert decided["payload"]["limit"] == 150_000 and decided["payload"]["term_days"] == 30
    shown = run(url, tmp_path, "audit", "show", "1").stdout
    assert "#2" in shown and "New owner; lower exposure at first" in shown
    assert run(url, tmp_path, "audit", "replay", "1").returncode == 0  # rebuilt from the snapshot
    stats = json.loads(run(url, tmp_path, "audit", "stats", "--json").stdout)
    assert stats["overrides_by_manager"] == [
        {"manager": "mona", "decisions": 1, "overrides": 1, "override_rate": 1.0}
    ]
    decide_2 = ("audit", "decide", "2", "--decision", "approve", "--actor", "mona")
    not_credit = run(url, tmp_path, *decide_2, **mona)
    assert not_credit.returncode == 2 and "is a decision" in not_credit.stderr


def test_export_csv_neutralises_formula_injection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    evil = tmp_path / "evil.yaml"
    evil.write_text(json.dumps({"customer": customer(id='=HYPERLINK("http://x")')}))
    admin = signed(tmp_path, "@admin", "rep")
    assert run(url, tmp_path, "consult", str(evil), "--actor", "@admin", **admin).returncode == 0
    done = run(url, tmp_path, "audit", "export")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows[0]["customer_id"] == '\'=HYPERLINK("http://x")' and rows[0]["actor"] == "'@admin"
    target = tmp_path / "out.json"
    done = run(url, tmp_path, "audit", "export", "--json", "--output", str(target))
    assert "Exported 1 record(s)" in done.stdout
    assert json.loads(target.read_text())[0]["customer_id"] == '=HYPERLINK("http://x")'


def test_recording_can_be_switched_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    done = run(url, tmp_path, "consult", str(EXAMPLE), "--no-record")
    assert done.returncode == 0 and "Recorded" not in done.stdout
    done = run(url, tmp_path, "consult", str(EXAMPLE), "--json", SALES_EXPERT_RECORD="off")
    assert json.loads(done.stdout)["audit_id"] is None
    assert json.loads(run(url, tmp_path, "audit", "list", "--json").stdout) == []


def test_the_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}
    done = run_cli("consult", str(EXAMPLE), "--lang", "zh", cwd=tmp_path, env=environ)
    assert done.returncode == 0, done.stderr
    assert "已记入审计记录 1。" in done.stdout
    assert (tmp_path / "data" / "audit.db").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("audit", "show", "999"), "no audit record 999"),
        (("audit", "list", "--rule", "R12"), "is not a rule id"),
        (("audit", "list", "--from", "last week"), "is not a date"),
        (("audit", "verify", "--expect", "7"), "is not ID:HASH"),
        (("audit", "decide", "1", "--decision", "approve"), "only a manager"),  # a rep by default
    ],
)
def test_bad_requests_exit_2_with_the_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    """In-process (``main(argv)``): the same entry point, without a process start per case."""
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    monkeypatch.delenv("SALES_EXPERT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_an_unknown_role_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["consult", str(EXAMPLE), "--role", "boss"])
    assert exited.value.code == 2 and "invalid choice: 'boss'" in capsys.readouterr().err


def test_a_bad_config_file_exits_2_and_an_unreachable_database_exits_1(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    done = run(url, tmp_path, "audit", "list", SALES_EXPERT_CONFIG=str(tmp_path / "none.toml"))
    assert done.returncode == 2 and "no such file" in done.stderr
    down = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    done = run(down, tmp_path, "audit", "verify")
    assert done.returncode == 1 and "[audit_unavailable]" in done.stderr
    assert "127.0.0.1" in done.stderr
