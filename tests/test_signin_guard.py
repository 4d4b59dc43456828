"""Sign-in throttling (``engine.signin_guard``): the growing wait, the lockout, per user name
and per client, the record on disk, and that a refused attempt costs no bcrypt."""

from __future__ import annotations

import re
import sqlite3
import stat
from pathlib import Path

import pytest

from engine import signin_guard
from engine.signin_guard import (
    CLIENT_LOCKOUT_AFTER,
    FIRST_WAIT_SECONDS,
    FREE_FAILURES,
    LOCKOUT_SECONDS,
    MAX_WAIT_SECONDS,
    USER_LOCKOUT_AFTER,
    WINDOW_SECONDS,
    Attempt,
    GuardUnavailable,
    SigninGuard,
    Status,
    refusal_text,
    sign_in,
)
from engine.users import StoredUser, User, hash_password, load_users, write_users
from knowledge_base import load_knowledge

KB = load_knowledge()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(tmp_path: Path, clock: Clock) -> SigninGuard:
    return SigninGuard.in_data_dir(tmp_path / "data", clock)


def fail(guard: SigninGuard, username: str = "mia", client: str = "ip:10.0.0.9") -> Status:
    """One failed attempt, made as soon as it is allowed; the status after it."""
    attempt = guard.reserve(username, client)
    assert isinstance(attempt, Attempt), attempt
    return guard.failed(attempt)


def wait_out(clock: Clock, status: Status) -> None:
    assert status.retry_at is not None
    clock.now = status.retry_at


def test_a_few_failures_are_free_then_the_wait_doubles(guard: SigninGuard, clock: Clock) -> None:
    for _ in range(FREE_FAILURES):
        assert fail(guard).allowed(clock.now)
    waits = []
    for _ in range(4):
        status = fail(guard)
        assert not status.locked and not status.allowed(clock.now)
        waits.append(status.wait_seconds(clock.now))
        refused = guard.reserve("mia", "ip:10.0.0.9")
        assert isinstance(refused, Status) and refused.retry_at == status.retry_at
        clock.now += 1  # another client, the same user name: refused as well
        assert isinstance(guard.reserve("mia", "ip:10.0.0.10"), Status)
        wait_out(clock, status)
    first = int(FIRST_WAIT_SECONDS)
    assert waits == [first, 2 * first, 4 * first, 8 * first]


def test_the_wait_is_capped(
    guard: SigninGuard, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signin_guard, "USER_LOCKOUT_AFTER", 100)
    monkeypatch.setattr(signin_guard, "CLIENT_LOCKOUT_AFTER", 100)
    monkeypatch.setattr(signin_guard, "WINDOW_SECONDS", 10**9)
    waits = []
    for _ in range(FREE_FAILURES + 12):
        status = fail(guard)
        if status.retry_at is not None:
            waits.append(status.wait_seconds(clock.now))
            wait_out(clock, status)
    assert max(waits) == MAX_WAIT_SECONDS and waits[-3:] == [MAX_WAIT_SECONDS] * 3


def test_a_user_name_is_locked_out_then_starts_afresh(guard: SigninGuard, clock: Clock) -> None:
    for count in range(1, USER_LOCKOUT_AFTER + 1):
        status = fail(guard, client=f"ip:10.0.0.{count}")  # a new client each time
        if count < USER_LOCKOUT_AFTER:
            assert not status.locked
            if status.retry_at is not None:
                wait_out(clock, status)
    assert status.locked and status.wait_seconds(clock.now) == LOCKOUT_SECONDS
    assert isinstance(guard.reserve("MIA ", "ip:10.9.9.9"), Status)  # case and spaces folded
    assert isinstance(guard.reserve("rita", "ip:10.0.0.1"), Attempt)  # others are not locked
    clock.now += LOCKOUT_SECONDS
    assert guard.status("mia", "ip:10.9.9.9") == Status()
    assert fail(guard, client="ip:10.9.9.9").allowed(clock.now)  # free failures again


def test_a_client_is_locked_out_whatever_names_it_tries(guard: SigninGuard, clock: Clock) -> None:
    status = Status()
    for count in range(CLIENT_LOCKOUT_AFTER):
        if not status.allowed(clock.now):
            wait_out(clock, status)
        status = fail(guard, username=f"user{count}", client="ip:10.6.6.6")
    assert status.locked
    assert isinstance(guard.reserve("mia", "ip:10.6.6.6"), Status)
    assert isinstance(guard.reserve("mia", "ip:10.0.0.1"), Attempt)


def test_success_clears_the_user_name_but_not_the_client(guard: SigninGuard, clock: Clock) -> None:
    for _ in range(FREE_FAILURES):
        fail(guard, client="ip:10.0.0.1")
    attempt = guard.reserve("mia", "ip:10.0.0.1")
    assert isinstance(attempt, Attempt)
    guard.succeeded(attempt)
    assert guard.status("mia", "ip:10.0.0.2").failures == 0
    assert guard.status("someone", "ip:10.0.0.1").failures == FREE_FAILURES


def test_failures_older_than_the_window_are_forgotten(guard: SigninGuard, clock: Clock) -> None:
    for _ in range(FREE_FAILURES):
        fail(guard)
    clock.now += WINDOW_SECONDS + 1
    assert guard.status("mia", "ip:10.0.0.9").failures == 0
    assert fail(guard).allowed(clock.now)


def test_the_record_is_private_and_names_every_event(tmp_path: Path, clock: Clock) -> None:
    guard = SigninGuard.in_data_dir(tmp_path / "data", clock)
    for count in range(USER_LOCKOUT_AFTER):
        status = fail(guard, client=f"ip:10.0.0.{count}")
        if not status.locked and status.retry_at is not None:
            wait_out(clock, status)
    attempt = guard.reserve("rita", "ip:10.0.0.1")
    assert isinstance(attempt, Attempt)
    guard.succeeded(attempt)
    assert stat.S_IMODE(guard.path.stat().st_mode) == 0o600
    with sqlite3.connect(guard.path) as conn:
        rows = conn.execute("SELECT scope, key, event, peer FROM signin_events").fetchall()
    assert rows.count(("user", "mia", "failure", "ip:10.0.0.0")) == 1
    assert ("user", "mia", "lockout", "ip:10.0.0.9") in rows
    assert ("user", "rita", "success", "ip:10.0.0.1") in rows
    assert ("client", "ip:10.0.0.1", "success", "rita") in rows


def test_an_unwritable_record_refuses_sign_in(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "signin.db").mkdir()
    with pytest.raises(GuardUnavailable, match=r"signin\.db"):
        SigninGuard.in_data_dir(tmp_path, clock).reserve("mia", "x")


def test_a_refused_attempt_runs_no_bcrypt(
    guard: SigninGuard, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "users.yaml"
    write_users(path, [(User("mia", "Mia", "manager"), "right-pw")], rounds=4)
    users = load_users(path)
    results = [sign_in(guard, users, "mia", "wrong", "c") for _ in range(FREE_FAILURES)]
    assert all(r.user is None and r.checked and r.refused is None for r in results)
    after = sign_in(guard, users, "mia", "wrong", "c")
    assert after.checked and after.refused is not None  # the failure that starts the wait
    calls: list[str] = []
    monkeypatch.setattr(signin_guard, "authenticate", lambda *a: calls.append("bcrypt"))
    refused = sign_in(guard, users, "mia", "right-pw", "c")
    assert refused.user is None and not refused.checked and refused.refused is not None
    assert calls == []
    monkeypatch.undo()
    wait_out(clock, after.refused)
    assert sign_in(guard, users, "mia", "right-pw", "c").user == User("mia", "Mia", "manager")


def test_an_unknown_user_name_is_throttled_like_a_known_one(guard: SigninGuard) -> None:
    users = {"mia": StoredUser(User("mia", "Mia", "manager"), hash_password("pw", rounds=4))}
    for _ in range(FREE_FAILURES):
        assert sign_in(guard, users, "nobody", "x", "c").refused is None
    assert sign_in(guard, users, "nobody", "x", "c").refused is not None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_refusals_say_when_to_retry(lang: str, clock: Clock) -> None:
    wait = refusal_text(Status(clock.now + 8), KB, lang, clock.now)
    assert "8" in wait
    locked = refusal_text(Status(clock.now + LOCKOUT_SECONDS, locked=True), KB, lang, clock.now)
    assert str(LOCKOUT_SECONDS // 60) in locked
    if lang == "zh":
        assert "秒" in wait and "分钟" in locked and "，" in locked


def test_access_texts_exist_in_both_languages_with_the_same_values() -> None:
    """The texts of ``knowledge_base/texts/<lang>/access.yaml`` (sign-in, CLI authority,
    demo address check)."""
    prefixes = ("signin.", "authority.", "demo_check.")
    en = {k: v for k, v in KB.texts["en"].items() if k.startswith(prefixes)}
    zh = {k: v for k, v in KB.texts["zh"].items() if k.startswith(prefixes)}
    assert en.keys() == zh.keys() and len(en) >= 14
    for key, text in en.items():
        assert set(re.findall(r"{(\w+)", text)) == set(re.findall(r"{(\w+)", zh[key])), key
