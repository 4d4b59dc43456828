"""The policy tests' command line: ``sales-expert`` run in this process against a data
directory of the test, with a users file of two admins and a rep (bcrypt cost 4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import engine.cli
from engine.users import User, write_users

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with its own audit database, and a users file with two admins and a
    rep (bcrypt cost 4); the keyboard user, unproved, is a rep."""
    users = tmp_path / "users.yaml"
    write_users(
        users,
        [
            (User("ada", "Ada", "admin"), "ada-pw"),
            (User("bob", "Bob", "admin"), "bob-pw"),
            (User("rita", "Rita", "rep"), "rita-pw"),
        ],
        rounds=4,
    )
    for name in ("DATABASE_URL", "CONFIG", "ROLE", "PASSWORD"):
        monkeypatch.delenv(f"SALES_EXPERT_{name}", raising=False)
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALES_EXPERT_USERS", str(users))
    monkeypatch.setenv("SALES_EXPERT_ACTOR", "keyboard")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def cli(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    """``sales-expert ARGS`` in this process: exit code, output, errors."""

    def run(*args: str, password: str | None = None) -> tuple[int, str, str]:
        if password is None:
            monkeypatch.delenv("SALES_EXPERT_PASSWORD", raising=False)
        else:
            monkeypatch.setenv("SALES_EXPERT_PASSWORD", password)
        code = engine.cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    yield run
