"""Sign-in throttling: after repeated failures a growing wait, then a temporary lockout, per
user name and per client; recorded in a small SQLite file in the data directory.

Why: a password check is a bcrypt hash (about a quarter of a second of CPU at the default
cost). Without a limit an attacker guesses as fast as the server hashes and keeps its CPU busy.
So an attempt is first *reserved* here, and a user name or client that must wait or is locked
out is refused before bcrypt runs. The web sign-in (``ui.auth``) and the CLI's ``--actor``
check (``engine.cli_authority``) both go through ``sign_in`` below.

The policy, per key (a user name, case-folded; a client: an IP address or a session)::

    failures within WINDOW_SECONDS   the next attempt
    1 .. FREE_FAILURES               at once
    FREE_FAILURES + n (n >= 1)       FIRST_WAIT_SECONDS * 2**(n-1) later (at most MAX_WAIT_SECONDS)
    USER_LOCKOUT_AFTER (user names)  locked for LOCKOUT_SECONDS (a "lockout" event)
    CLIENT_LOCKOUT_AFTER (clients)   locked for LOCKOUT_SECONDS

A successful sign-in clears the user name's count (not the client's: one's own account must not
reset a guessing client); a key's count starts afresh when its lockout ends. Every attempt is
recorded as it starts (as a failure: two attempts at once cannot both slip through) and turned
into a success if the password matched. Events older than RETAIN_SECONDS are deleted.

The record: ``<data dir>/signin.db`` (created 0600), table ``signin_events``: ``at`` (Unix
time), ``scope`` (``user``/``client``), ``key``, ``event`` (``failure``/``success``/``lockout``)
and ``peer`` (the client of a user-name event, the user name of a client event). For example::

    sqlite3 data/signin.db "SELECT datetime(at, 'unixepoch'), scope, key, event, peer
                            FROM signin_events ORDER BY id DESC LIMIT 20"
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.users import StoredUser, User, authenticate
from knowledge_base import Knowledge
from knowledge_base.errors import SalesExpertError

FREE_FAILURES = 3
"""Failures within the window that cost no wait (typing mistakes)."""
FIRST_WAIT_SECONDS = 2.0
"""The wait after the first failure past the free ones; it doubles with each further one."""
MAX_WAIT_SECONDS = 300.0
USER_LOCKOUT_AFTER = 10
"""Failures of one user name within the window that lock it."""
CLIENT_LOCKOUT_AFTER = 20
"""Failures from one client within the window that lock it (higher: an office shares one)."""
LOCKOUT_SECONDS = 15 * 60
WINDOW_SECONDS = 60 * 60
"""Failures older than this are forgotten. Longer than the waits before a lockout add up to
(2 + 4 + … + 64 s for a user name, about 55 minutes for a client), so both limits are reached:
a user name gets about ten guesses per twenty minutes, a client twenty per seventy."""
RETAIN_SECONDS = 30 * 24 * 3600
"""How long the record keeps events."""
MAX_KEY_CHARS = 200
"""Longer user names or client ids are cut (the record stays small whatever is typed)."""
GUARD_FILE = "signin.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signin_events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    event TEXT NOT NULL,
    peer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS signin_events_key ON signin_events (scope, key, at);
CREATE INDEX IF NOT EXISTS signin_events_at ON signin_events (at);
"""


class GuardUnavailable(SalesExpertError):
    """The sign-in record cannot be opened or written: sign-in is refused (fails closed)."""

    code = "signin_guard_unavailable"


@dataclass(frozen=True)
class Status:
    """Whether a user name and client may try now; if not, from when (``retry_at``)."""

    retry_at: float | None = None
    locked: bool = False
    failures: int = 0

    def allowed(self, now: float) -> bool:
        return self.retry_at is None or now >= self.retry_at

    def wait_seconds(self, now: float) -> int:
        return 0 if self.retry_at is None else max(0, math.ceil(self.retry_at - now))


@dataclass(frozen=True)
class Attempt:
    """A reserved attempt: the ids of its two events (recorded as failures until it succeeds)."""

    username: str
    client: str
    event_ids: tuple[int, int]


def _key(text: str) -> str:
    return text.strip().casefold()[:MAX_KEY_CHARS]


def _wait(failures: int) -> float:
    extra = failures - FREE_FAILURES
    return 0.0 if extra <= 0 else min(FIRST_WAIT_SECONDS * 2 ** (extra - 1), MAX_WAIT_SECONDS)


class SigninGuard:
    """The throttle over one record file; ``clock`` is injectable for tests."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock

    @classmethod
    def in_data_dir(cls, data_dir: Path, clock: Callable[[], float] = time.time) -> SigninGuard:
        return cls(data_dir / GUARD_FILE, clock)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: concurrent attempts queue here)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            if stat.S_IMODE(self.path.stat().st_mode) & 0o077:  # made by something else
                os.chmod(self.path, 0o600)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise GuardUnavailable(f"sign-in record {self.path}: {exc}") from exc
        try:
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise GuardUnavailable(f"sign-in record {self.path}: {exc}") from exc
        finally:
            conn.close()

    def _key_status(self, conn: sqlite3.Connection, scope: str, key: str, now: float) -> Status:
        def last(event: str) -> float:
            row = conn.execute(
                "SELECT MAX(at) FROM signin_events WHERE scope = ? AND key = ? AND event = ?",
                (scope, key, event),
            ).fetchone()
            return float(row[0]) if row and row[0] is not None else -math.inf

        lockout = last("lockout")
        if now < lockout + LOCKOUT_SECONDS:
            return Status(lockout + LOCKOUT_SECONDS, locked=True)
        since = max(now - WINDOW_SECONDS, lockout, last("success") if scope == "user" else -1)
        count, latest = conn.execute(
            "SELECT COUNT(*), MAX(at) FROM signin_events"
            " WHERE scope = ? AND key = ? AND event = 'failure' AND at > ?",
            (scope, key, since),
        ).fetchone()
        wait = _wait(int(count))
        retry = float(latest) + wait if wait and latest is not None else None
        return Status(retry, failures=int(count))

    def _status(self, conn: sqlite3.Connection, username: str, client: str, now: float) -> Status:
        found = (
            self._key_status(conn, "user", _key(username), now),
            self._key_status(conn, "client", _key(client), now),
        )
        waits = [s.retry_at for s in found if s.retry_at is not None and now < s.retry_at]
        return Status(
            max(waits) if waits else None,
            locked=any(s.locked for s in found),
            failures=max(s.failures for s in found),
        )

    def status(self, username: str, client: str) -> Status:
        now = self.clock()
        with self._transaction() as conn:
            return self._status(conn, username, client, now)

    def reserve(self, username: str, client: str) -> Attempt | Status:
        """Start an attempt (recorded as a failure of both keys), or the refusal if the user
        name or client must wait or is locked out."""
        now = self.clock()
        user, peer = _key(username), _key(client)
        with self._transaction() as conn:
            found = self._status(conn, username, client, now)
            if not found.allowed(now):
                return found
            conn.execute("DELETE FROM signin_events WHERE at < ?", (now - RETAIN_SECONDS,))
            ids = tuple(
                int(
                    conn.execute(
                        "INSERT INTO signin_events (at, scope, key, event, peer)"
                        " VALUES (?, ?, ?, 'failure', ?)",
                        (now, scope, key, other),
                    ).lastrowid
                    or 0
                )
                for scope, key, other in (("user", user, peer), ("client", peer, user))
            )
        return Attempt(username, client, (ids[0], ids[1]))

    def succeeded(self, attempt: Attempt) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE signin_events SET event = 'success' WHERE id = ?",
                [(i,) for i in attempt.event_ids],
            )

    def failed(self, attempt: Attempt) -> Status:
        """The attempt failed (it is recorded already): lock what reached its limit; the new
        status, so the caller can say when to try again."""
        now = self.clock()
        user, peer = _key(attempt.username), _key(attempt.client)
        with self._transaction() as conn:
            limits = (
                ("user", user, peer, USER_LOCKOUT_AFTER),
                ("client", peer, user, CLIENT_LOCKOUT_AFTER),
            )
            for scope, key, other, limit in limits:
                if self._key_status(conn, scope, key, now).failures >= limit:
                    conn.execute(
                        "INSERT INTO signin_events (at, scope, key, event, peer)"
                        " VALUES (?, ?, ?, 'lockout', ?)",
                        (now, scope, key, other),
                    )
            return self._status(conn, attempt.username, attempt.client, now)


def refusal_text(status: Status, kb: Knowledge, lang: str, now: float) -> str:
    """What to tell someone who must wait or is locked out: when to try again."""
    if status.locked:
        minutes = max(1, math.ceil(status.wait_seconds(now) / 60))
        at = time.strftime("%H:%M", time.localtime(status.retry_at or now))
        return kb.text("signin.locked", lang, minutes=minutes, time=at)
    return kb.text("signin.wait", lang, seconds=max(1, status.wait_seconds(now)))


@dataclass(frozen=True)
class SignIn:
    """The outcome of ``sign_in``: the user, or why not and until when (``refused``)."""

    user: User | None
    refused: Status | None = None
    """Set when the attempt was refused unchecked, or when the failure now imposes a wait."""
    checked: bool = True
    """False when bcrypt did not run (the user name or client had to wait or was locked)."""


def sign_in(
    guard: SigninGuard,
    users: Mapping[str, StoredUser],
    username: str,
    password: str,
    client: str,
) -> SignIn:
    """Check a password behind the guard: the one way front ends sign someone in."""
    attempt = guard.reserve(username, client)
    if isinstance(attempt, Status):
        return SignIn(None, attempt, checked=False)
    user = authenticate(users, username, password)
    if user is not None:
        guard.succeeded(attempt)
        return SignIn(user)
    after = guard.failed(attempt)
    return SignIn(None, after if not after.allowed(guard.clock()) else None)


__all__ = [
    "CLIENT_LOCKOUT_AFTER",
    "FIRST_WAIT_SECONDS",
    "FREE_FAILURES",
    "GUARD_FILE",
    "LOCKOUT_SECONDS",
    "MAX_WAIT_SECONDS",
    "RETAIN_SECONDS",
    "USER_LOCKOUT_AFTER",
    "WINDOW_SECONDS",
    "Attempt",
    "GuardUnavailable",
    "SignIn",
    "SigninGuard",
    "Status",
    "refusal_text",
    "sign_in",
]
