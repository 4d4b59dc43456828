"""The web app's sign-in sessions, kept on the server so that a reload keeps the user signed in
and what they typed, and signing out ends the session for good.

Streamlit starts a new server session on every reload, and its own state dies with the old
one. The browser keeps a session cookie instead, which the server alone can read and set
(``HttpOnly``, ``SameSite=Strict``): the cookie holds a random token and the database only its
SHA-256 (as for API tokens, ``engine.service.tokens``), so a copy of the database opens no
session. Streamlit cannot set a cookie itself, so signing in is handed over in two steps:

1. ``open_session`` (after the password check) stores the session with the SHA-256 of a
   one-time code, which the page gives the browser;
2. the browser posts the code to the app's ``/_session/claim`` route (``ui.server``), which
   ``claim``s it — the code is spent, a fresh token replaces it — and sets the cookie.

A code that is not claimed within ``CLAIM_SECONDS`` is worthless. ``resume`` finds the live
session of a cookie (not ended, not expired); ``save_state`` keeps the typed values (only when
they changed: the page asks at every run); ``end`` closes it on signing out, and a closed or
expired session never opens again, whatever the browser still holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.audit.errors import AuditRequestError
from engine.audit.models import utc_now, web_sessions
from engine.audit.store import AuditStore

COOKIE = "sales_expert_session"
"""The name of the browser's session cookie."""
HOURS_ENV = "SALES_EXPERT_SESSION_HOURS"
DEFAULT_HOURS = 12.0
"""How long a session holds after signing in: a working day, then the password again."""
MAX_HOURS = 24.0 * 30
CLAIM_SECONDS = 120
"""How long the one-time code that hands the cookie to the browser stays valid."""


@dataclass(frozen=True)
class WebSession:
    id: str
    username: str
    expires_at: str
    state: dict[str, Any]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_hours(env: Mapping[str, str] | None = None) -> float:
    """The session lifetime: ``$SALES_EXPERT_SESSION_HOURS`` or ``DEFAULT_HOURS``."""
    raw = (os.environ if env is None else env).get(HOURS_ENV, "").strip()
    if not raw:
        return DEFAULT_HOURS
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not 0 < hours <= MAX_HOURS:
        raise AuditRequestError(
            f"{HOURS_ENV}: {raw!r} is not a number of hours between 0 and {MAX_HOURS:g} "
            f"(default {DEFAULT_HOURS:g})"
        )
    return hours


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def open_session(store: AuditStore, username: str, hours: float | None = None) -> tuple[str, str]:
    """A new session for ``username`` (whose password was just checked): its id and the
    one-time code the browser claims the cookie with."""
    now = datetime.now(UTC)
    session_id, code = secrets.token_hex(16), secrets.token_urlsafe(32)
    lifetime = timedelta(hours=session_hours() if hours is None else hours)
    row = {
        "id": session_id,
        "username": username,
        "code_hash": digest(code),
        "token_hash": None,
        "opened_at": _stamp(now),
        "expires_at": _stamp(now + lifetime),
        "ended_at": None,
        "state": "{}",
    }
    with store._write() as conn:
        conn.execute(web_sessions.insert().values(**row))
    return session_id, code


def claim(store: AuditStore, code: str) -> tuple[str, int] | None:
    """Spend a one-time code: the cookie's token and how many seconds the session has left, or
    None for a code that is unknown, spent, too old, or of an ended session."""
    now = datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with store._write() as conn:
        row = conn.execute(
            sa.select(web_sessions).where(web_sessions.c.code_hash == digest(code))
        ).first()
        if row is None:
            return None
        conn.execute(  # spent whatever happens next: a code is tried once
            web_sessions.update()
            .where(web_sessions.c.id == row.id)
            .values(code_hash=None, token_hash=None if row.ended_at else digest(token))
        )
    opened = datetime.fromisoformat(str(row.opened_at))
    left = int((datetime.fromisoformat(str(row.expires_at)) - now).total_seconds())
    if row.ended_at is not None or (now - opened).total_seconds() > CLAIM_SECONDS or left <= 0:
        return None
    return token, left


def resume(store: AuditStore, token: str) -> WebSession | None:
    """The live session a cookie's token belongs to, or None (unknown, ended or expired)."""
    if not token:
        return None
    with store._read() as conn:
        row = conn.execute(
            sa.select(web_sessions).where(
                web_sessions.c.token_hash == digest(token),
                web_sessions.c.ended_at.is_(None),
                web_sessions.c.expires_at > utc_now(),
            )
        ).first()
    if row is None:
        return None
    state = json.loads(str(row.state))
    return WebSession(str(row.id), str(row.username), str(row.expires_at), state)


def save_state(store: AuditStore, session_id: str, state: Mapping[str, Any]) -> None:
    """Keep what the user typed with a live session (nothing is kept for an ended one)."""
    text = json.dumps(dict(state), ensure_ascii=False, sort_keys=True)
    with store._write() as conn:
        conn.execute(
            web_sessions.update()
            .where(web_sessions.c.id == session_id, web_sessions.c.ended_at.is_(None))
            .values(state=text)
        )


def end(store: AuditStore, session_id: str) -> None:
    """Sign out: the session is closed and its typed values forgotten."""
    with store._write() as conn:
        conn.execute(
            web_sessions.update()
            .where(web_sessions.c.id == session_id, web_sessions.c.ended_at.is_(None))
            .values(ended_at=utc_now(), state="{}", code_hash=None)
        )


__all__ = [
    "CLAIM_SECONDS",
    "COOKIE",
    "DEFAULT_HOURS",
    "HOURS_ENV",
    "WebSession",
    "claim",
    "end",
    "open_session",
    "resume",
    "save_state",
    "session_hours",
]
