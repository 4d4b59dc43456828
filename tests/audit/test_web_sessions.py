"""The web app's sign-in sessions (``engine.web_sessions``) on SQLite and PostgreSQL: the
one-time code is spent once, the cookie's token opens only a live session, what is typed is
kept with it, and only hashes are stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from engine.audit.errors import AuditRequestError
from engine.audit.models import web_sessions
from engine.audit.store import AuditStore
from engine.web_sessions import (
    CLAIM_SECONDS,
    DEFAULT_HOURS,
    HOURS_ENV,
    claim,
    end,
    open_session,
    resume,
    save_state,
    session_hours,
)


def _set(store: AuditStore, session_id: str, **values: str) -> None:
    with store._write() as conn:
        conn.execute(web_sessions.update().where(web_sessions.c.id == session_id).values(**values))


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_code_is_claimed_once_and_its_token_opens_the_session(store: AuditStore) -> None:
    session_id, code = open_session(store, "rita", hours=8)
    claimed = claim(store, code)
    assert claimed is not None
    token, seconds = claimed
    assert 8 * 3600 - 60 < seconds <= 8 * 3600
    assert claim(store, code) is None  # spent
    found = resume(store, token)
    assert found is not None
    assert (found.id, found.username, found.state) == (session_id, "rita", {})
    assert resume(store, token + "x") is None
    assert resume(store, "") is None
    with store._read() as conn:
        row = conn.execute(sa.select(web_sessions)).one()
    assert token not in str(tuple(row)) and code not in str(tuple(row))  # hashes only


def test_typed_values_are_kept_until_sign_out(store: AuditStore) -> None:
    session_id, code = open_session(store, "mia")
    claimed = claim(store, code)
    assert claimed is not None
    state = {"lang": "zh", "values": {"grading_customer_name": "华东工业", "x_flag": True}}
    save_state(store, session_id, state)
    found = resume(store, claimed[0])
    assert found is not None and found.state == state
    end(store, session_id)
    assert resume(store, claimed[0]) is None
    save_state(store, session_id, state)  # a late save of an ended session keeps nothing
    with store._read() as conn:
        kept = conn.execute(sa.select(web_sessions.c.state, web_sessions.c.ended_at)).one()
    assert kept.state == "{}" and kept.ended_at is not None


def test_an_ended_or_late_code_gives_no_cookie(store: AuditStore) -> None:
    ended, ended_code = open_session(store, "ada")
    end(store, ended)
    assert claim(store, ended_code) is None
    late, late_code = open_session(store, "ada")
    _set(store, late, opened_at=_ago(seconds=CLAIM_SECONDS + 5))
    assert claim(store, late_code) is None
    assert claim(store, "no-such-code") is None


def test_an_expired_session_does_not_open(store: AuditStore) -> None:
    session_id, code = open_session(store, "rita")
    claimed = claim(store, code)
    assert claimed is not None
    _set(store, session_id, expires_at=_ago(seconds=1))
    assert resume(store, claimed[0]) is None


def test_the_session_lifetime_setting() -> None:
    assert session_hours({}) == DEFAULT_HOURS
    assert session_hours({HOURS_ENV: " 8 "}) == 8.0
    for bad in ("eight", "0", "-2", "100000"):
        with pytest.raises(AuditRequestError) as refused:
            session_hours({HOURS_ENV: bad})
        message = str(refused.value)
        assert HOURS_ENV in message and repr(bad) in message and "between 0 and 720" in message
