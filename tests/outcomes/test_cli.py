"""``sales-expert outcomes`` and the ``audit`` commands on outcome records: the template, exit codes
(0 ok, 2 a bad request naming the problem), who is recorded, ``audit show`` / ``list`` /
``verify`` — in-process (``main(argv)``), and as real processes on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from engine import cli_outcomes
from engine.audit.store import AuditStore
from engine.cli import main
from engine.csv_safe import safe_cell
from engine.outcomes.model import COLUMNS
from engine.users import User, write_users
from tests.audit.tampering import edit
from tests.audit.test_cli import run
from tests.outcomes.conftest import Clock, consulted

GOOD = "consultation_id,module,outcome,observed_at,days_late\n1,credit,paid_late,2025-03-31,9\n"


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> str:
    """A SQLite audit database with one credit consultation (1, C-1) recorded on 2025-01-10,
    configured for the CLI run in this process; users mia (manager) and ann (auditor)."""
    found = f"sqlite:///{tmp_path / 'audit.db'}"
    for name in ("SALES_EXPERT_CONFIG", "SALES_EXPERT_ROLE", "SALES_EXPERT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    users = tmp_path / "users.yaml"
    people = [(User("mia", "Mia", "manager"), "mia-pw"), (User("ann", "Ann", "auditor"), "ann-pw")]
    write_users(users, people, rounds=4)
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", found)
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALES_EXPERT_ACTOR", "keyboard")
    monkeypatch.setenv("SALES_EXPERT_USERS", str(users))
    monkeypatch.chdir(tmp_path)
    with AuditStore(found) as store:
        clock.at("2025-01-10")
        assert consulted(store, "credit", "C-1") == 1
    clock.at("2025-04-01")
    return found


def outcomes_file(tmp_path: Path, text: str = GOOD, name: str = "o.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_template_lists_every_column_and_is_spreadsheet_safe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["outcomes", "--template"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + len(cli_outcomes.TEMPLATE_ROWS) == 6
    assert {r[COLUMNS.index("module")] for r in rows[1:]} == {
        "credit",
        "collection",
        "closing",
        "grading",
    }
    assert all(cell == safe_cell(cell) for row in rows for cell in row)
    hostile = ({"module": "credit", "note": '=HYPERLINK("http://x")', "days_late": "-5"},)
    monkeypatch.setattr(cli_outcomes, "TEMPLATE_ROWS", hostile)
    [_, row] = list(csv.reader(io.StringIO(cli_outcomes.template_text())))
    assert row[COLUMNS.index("note")] == '\'=HYPERLINK("http://x")'
    assert row[COLUMNS.index("days_late")] == "-5"  # a number stays a number


def test_the_template_is_a_valid_file_whose_examples_link_to_nothing_yet(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = outcomes_file(tmp_path, cli_outcomes.template_text())
    assert main(["outcomes", "import", str(source)]) == 0
    assert "rows in 5 = ok 0 + failed 5 (+ 0 already recorded)" in capsys.readouterr().out
    text = (tmp_path / "o.errors.csv").read_text(encoding="utf-8")
    messages = [r[3] for r in csv.reader(io.StringIO(text))][1:]
    assert len(messages) == 5
    assert all(
        m.startswith(("there is no audit record", "this customer has no consultation"))
        for m in messages
    )


def test_an_import_exits_0_and_records_the_keyboard_user(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outcomes", "import", str(outcomes_file(tmp_path)), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts == {
        "rows_in": 1,
        "ok": 1,
        "failed": 0,
        "already_recorded": 0,
        "first_id": 2,
        "last_id": 2,
        "errors_file": str(tmp_path / "o.errors.csv"),
    }
    with AuditStore(url) as store:
        got = store.get(2)
    assert (got.kind, got.actor, got.role, got.channel, got.ref_id) == (
        "outcome",
        "keyboard",
        "rep",
        "cli",
        1,
    )
    assert main(["outcomes", "import", "o.csv", "--lang", "zh"]) == 0
    assert capsys.readouterr().out.strip() == "输入 1 行 = 成功 0 + 失败 0（+ 已记录过 1）"


@pytest.mark.parametrize(
    ("args", "text", "message"),
    [
        (("outcomes",), None, "give an outcomes file to import"),
        (("outcomes", "import", "missing.csv"), None, "missing.csv: no such file"),
        (("outcomes", "import", "o.csv"), "id,module,outcome,observed_at\n", "unknown column 'id'"),
        (("outcomes", "import", "o.csv", "--errors", "o.csv"), GOOD, "are the same file"),
        (("outcomes", "import", "o.csv", "--actor", "mia"), GOOD, "password"),
    ],
)
def test_bad_requests_exit_2_naming_the_problem(
    url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    text: str | None,
    message: str,
) -> None:
    if text is not None:
        outcomes_file(tmp_path, text)
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    with AuditStore(url) as store:
        assert store.count() == 1  # nothing recorded


def test_a_claimed_manager_is_recorded_and_an_auditor_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = str(outcomes_file(tmp_path))
    monkeypatch.setenv("SALES_EXPERT_PASSWORD", "ann-pw")
    assert main(["outcomes", "import", source, "--actor", "ann"]) == 2
    assert "the role 'auditor' may not record outcomes" in capsys.readouterr().err
    monkeypatch.setenv("SALES_EXPERT_PASSWORD", "mia-pw")
    assert main(["outcomes", "import", source, "--actor", "mia", "--role", "manager"]) == 0
    with AuditStore(url) as store:
        assert (store.get(2).actor, store.get(2).role) == ("mia", "manager")


def test_audit_show_and_list_tell_outcomes_and_their_consultation(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    correction = "consultation_id,module,outcome,observed_at,amount_lost,corrects,note\n"
    correction += "1,credit,written_off,2025-03-31,7000,2,wrong kind before\n"
    assert main(["outcomes", "import", str(outcomes_file(tmp_path))]) == 0
    assert main(["outcomes", "import", str(outcomes_file(tmp_path, correction, "c.csv"))]) == 0
    capsys.readouterr()
    assert main(["audit", "show", "1"]) == 0
    shown = capsys.readouterr().out
    tail = shown[shown.index("Outcomes:") :].splitlines()
    assert tail == [
        "Outcomes:",
        "  #2 2025-04-01 09:00:00 by keyboard (rep): credit, paid late, observed on 2025-03-31",
        "    days late: 9; corrected by #3",
        "  #3 2025-04-01 09:00:00 by keyboard (rep): credit, written off, observed on 2025-03-31",
        "    amount lost: 7,000; note: wrong kind before; corrects #2",
    ]
    assert main(["audit", "show", "2"]) == 0
    shown = capsys.readouterr().out
    assert "Audit record 2: outcome" in shown and "on consultation: 1" in shown
    assert "days late: 9; corrected by #3" in shown
    assert main(["audit", "show", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["consultation"], data["corrected_by"]) == (1, None)
    assert data["record"]["payload"]["outcome"]["corrects"] == 2
    assert main(["audit", "show", "1", "--json"]) == 0
    assert [o["id"] for o in json.loads(capsys.readouterr().out)["outcomes"]] == [2, 3]
    assert main(["audit", "list", "--kind", "outcome", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [3, 2]
    assert main(["audit", "show", "1", "--lang", "zh"]) == 0
    assert "    逾期天数：9；已被 #3 更正" in capsys.readouterr().out
    assert main(["audit", "replay", "2"]) == 2
    assert "record 2 is a outcome, not a consultation" in capsys.readouterr().err
    assert main(["memo", "2"]) == 2
    assert "Audit record 2 is an outcome of consultation 1" in capsys.readouterr().err


def test_as_real_processes_import_show_and_a_tampered_outcome_fails_verify(
    audit_url: str, tmp_path: Path, clock: Clock
) -> None:
    with AuditStore(audit_url) as store:
        clock.at("2025-01-10")
        consulted(store, "credit", "C-1")
    source = outcomes_file(tmp_path)
    done = run(audit_url, tmp_path, "outcomes", "import", str(source))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("rows in 1 = ok 1 + failed 0 (+ 0 already recorded)")
    again = run(audit_url, tmp_path, "outcomes", "import", str(source))
    assert "rows in 1 = ok 0 + failed 0 (+ 1 already recorded)" in again.stdout
    assert run(audit_url, tmp_path, "audit", "verify").returncode == 0
    with AuditStore(audit_url) as store:
        assert store.get(2).actor == "tester"
        edit(store, 2, decision="paid_on_time")
    verified = run(audit_url, tmp_path, "audit", "verify")
    assert verified.returncode == 1
    assert "first bad record 2" in verified.stdout
