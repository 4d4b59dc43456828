"""The CLI's authority (``engine.cli_authority``): without ``--actor``/``--role`` it records the
person at the keyboard; a claimed actor or role needs that user's password, checked against the
users file with the web sign-in's rules (the role is the file's), behind the same throttle."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.api import consult
from engine.audit.store import AuditStore
from engine.cli_authority import AuthorityError, recording_identity
from engine.intake import read_case_file
from engine.signin_guard import FREE_FAILURES
from engine.users import User, write_users
from tests.conftest import REPO

GRADING = REPO / "examples" / "grading-key-account.yaml"
CREDIT = REPO / "examples" / "credit-refer.yaml"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A data directory with its own audit database and a users file (bcrypt cost 4)."""
    users = tmp_path / "users.yaml"
    write_users(
        users,
        [(User("mia", "Mia", "manager"), "mia-pw"), (User("rita", "Rita", "rep"), "rita-pw")],
        rounds=4,
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}
    environ.update(
        SALES_EXPERT_DATA_DIR=str(tmp_path / "data"),
        SALES_EXPERT_USERS=str(users),
        SALES_EXPERT_RECORD="on",
        SALES_EXPERT_ACTOR="keyboard",
    )
    return environ


def cli(env: dict[str, str], *args: str, **more: str) -> subprocess.CompletedProcess[str]:
    """``sales-expert ARGS`` with no terminal (standard input is /dev/null: never prompted)."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=REPO,
        env={**env, **more},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


def records(env: dict[str, str]) -> list[tuple[str, str]]:
    """(actor, role) of every record, newest first."""
    database = Path(env["SALES_EXPERT_DATA_DIR"]) / "audit.db"
    if not database.exists():
        return []
    with AuditStore(f"sqlite:///{database}") as store:
        return [(r.actor, r.role) for r in store.list_records()]


def test_without_a_claim_the_keyboard_user_is_recorded(env: dict[str, str]) -> None:
    done = cli(env, "consult", str(GRADING), "--json")
    assert done.returncode == 0, done.stderr
    assert records(env) == [("keyboard", "rep")]


def test_a_claimed_actor_with_the_password_is_recorded_with_the_files_role(
    env: dict[str, str],
) -> None:
    done = cli(
        env, "consult", str(GRADING), "--json", "--actor", "mia", SALES_EXPERT_PASSWORD="mia-pw"
    )
    assert done.returncode == 0, done.stderr
    role_too = cli(
        env,
        "consult",
        str(GRADING),
        "--json",
        "--role",
        "rep",
        SALES_EXPERT_ACTOR="rita",
        SALES_EXPERT_PASSWORD="rita-pw",
    )
    assert role_too.returncode == 0, role_too.stderr
    assert records(env) == [("rita", "rep"), ("mia", "manager")]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("--actor", "mia"), None, "SALES_EXPERT_PASSWORD"),
        (("--actor", "mia"), "wrong", "unknown user or wrong password"),
        (("--actor", "nobody"), "mia-pw", "unknown user or wrong password"),
        (("--actor", "mia", "--role", "rep"), "mia-pw", "mia has the role manager"),
        (("--role", "manager"), "mia-pw", "unknown user or wrong password"),  # keyboard: no user
    ],
)
def test_an_unproved_claim_exits_2_and_records_nothing(
    env: dict[str, str], args: tuple[str, ...], password: str | None, message: str
) -> None:
    more = {} if password is None else {"SALES_EXPERT_PASSWORD": password}
    done = cli(env, "consult", str(GRADING), *args, **more)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and done.stdout == ""
    assert records(env) == []


def test_a_role_set_in_the_environment_is_a_claim_too(env: dict[str, str]) -> None:
    """``SALES_EXPERT_ROLE=manager`` alone would make anyone a manager: it needs the password."""
    refused = cli(env, "consult", str(GRADING), "--json", SALES_EXPERT_ROLE="manager")
    assert refused.returncode == 2 and "SALES_EXPERT_PASSWORD" in refused.stderr
    proved = cli(
        env,
        "consult",
        str(GRADING),
        "--json",
        SALES_EXPERT_ACTOR="mia",
        SALES_EXPERT_ROLE="manager",
        SALES_EXPERT_PASSWORD="mia-pw",
    )
    assert proved.returncode == 0, proved.stderr
    assert records(env) == [("mia", "manager")]


def test_nothing_recorded_needs_no_password(env: dict[str, str]) -> None:
    done = cli(env, "consult", str(GRADING), "--json", "--actor", "mia", "--no-record")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["audit_id"] is None


def test_a_final_decision_needs_a_proved_manager(env: dict[str, str]) -> None:
    data = Path(env["SALES_EXPERT_DATA_DIR"])
    data.mkdir()
    with AuditStore(f"sqlite:///{data / 'audit.db'}") as store:
        consult(read_case_file(CREDIT), store=store, actor="rita", role="rep")
    decide = ("audit", "decide", "1", "--decision", "refer", "--json")
    assert "only a manager" in cli(env, *decide).stderr  # the keyboard user is a rep
    refused = cli(env, *decide, "--role", "manager")
    assert refused.returncode == 2 and "SALES_EXPERT_PASSWORD" in refused.stderr
    as_rita = cli(env, *decide, "--actor", "rita", SALES_EXPERT_PASSWORD="rita-pw")
    assert as_rita.returncode == 2 and "only a manager" in as_rita.stderr
    done = cli(env, *decide, "--actor", "mia", SALES_EXPERT_PASSWORD="mia-pw")
    assert done.returncode == 0, done.stderr
    assert (json.loads(done.stdout)["actor"], json.loads(done.stdout)["role"]) == ("mia", "manager")


def test_wrong_passwords_are_throttled_like_the_web_sign_in(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal
    wrong = {**env, "SALES_EXPERT_PASSWORD": "guess"}
    for _ in range(FREE_FAILURES + 1):
        with pytest.raises(AuthorityError, match="wrong password"):
            recording_identity("mia", None, env=wrong)
    with pytest.raises(AuthorityError, match=r"try again in \d+ s") as refused:
        recording_identity("mia", None, env={**env, "SALES_EXPERT_PASSWORD": "mia-pw"})
    assert refused.value.code == "cli_authority_refused"
    zh = {**wrong, "SALES_EXPERT_ACTOR": "rita"}
    for _ in range(FREE_FAILURES + 1):
        with pytest.raises(AuthorityError):
            recording_identity(None, "rep", env=zh, lang="zh")
    with pytest.raises(AuthorityError, match="秒后重试"):
        recording_identity(None, "rep", env=zh, lang="zh")


def test_a_missing_users_file_is_named(env: dict[str, str], tmp_path: Path) -> None:
    missing = {**env, "SALES_EXPERT_USERS": str(tmp_path / "none.yaml")}
    with pytest.raises(AuthorityError, match="no users file"):
        recording_identity("mia", None, env=missing, sources=())


def test_a_credential_source_can_be_added(env: dict[str, str]) -> None:
    """Where an API token will go: a source returning the user its credential proves."""
    token = lambda claim: User(claim.username, "Mia", claim.users[claim.username].user.role)  # noqa: E731
    assert recording_identity("mia", None, env=env, sources=(token,)) == ("mia", "manager")
    with pytest.raises(AuthorityError, match="SALES_EXPERT_PASSWORD"):
        recording_identity("mia", None, env=env, sources=(lambda claim: None,))
