"""The browser session that survives a reload (``engine.web_sessions`` keeps it on the server).

Every run of the app calls ``restore`` first and ``keep`` last:

- ``restore``: a new Streamlit session (a reload, a new tab, a bookmark) with a live session
  cookie is signed in again as that user — whose role is read from the users file again, so a
  changed role holds at once — with the language and the typed form values it had.
- ``begin`` (after the password check) opens the server-side session; the next run hands the
  cookie over with ``hand_over`` (a one-line script posting the one-time code to the app's own
  ``/_session/claim`` route, ``ui.server``).
- ``keep`` stores the form values and the language when they changed since the last run.
- ``end`` (signing out) closes the session on the server: the cookie opens nothing after that.

Under ``streamlit run ui_app.py`` (no route) and in AppTest there is no cookie: sign-in works
as before and simply does not survive a reload.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.errors import SalesExpertError
from engine.users import User, load_users, users_path
from engine.web_sessions import COOKIE, end, open_session, resume, save_state
from ui import forms
from ui.i18n import LANG_KEY, LANGUAGES
from ui.inert import plain

SESSION_KEY = "_web_session"
"""The server-side session's id for this browser session."""
CODE_KEY = "_web_session_code"
"""The one-time code still to be handed to the browser."""
SAVED_KEY = "_web_session_saved"
"""The state last stored (as JSON), so that an unchanged run writes nothing."""
CHECKED_KEY = "_web_session_checked"
PROBLEM_KEY = "_web_session_problem"
USER_KEY = "user"
"""The signed-in user in the page's state (``ui.auth`` reads and sets it there too)."""


def restore() -> None:
    """Sign a new browser session in again from its cookie (once per Streamlit session)."""
    if st.session_state.get(CHECKED_KEY):
        return
    st.session_state[CHECKED_KEY] = True
    token = str(st.context.cookies.get(COOKIE) or "")
    if not token or st.session_state.get(USER_KEY) is not None:
        return
    try:
        found = resume(shared_store(), token)
        stored = load_users(users_path()).get(found.username) if found else None
    except (SalesExpertError, OSError, ValueError):
        return  # no session then: the sign-in page asks for the password
    if found is None or stored is None:
        return
    st.session_state[USER_KEY] = stored.user
    st.session_state[SESSION_KEY] = found.id
    _put_back(found.state)


def _put_back(state: dict[str, Any]) -> None:
    language = state.get("lang")
    if language in LANGUAGES:
        st.session_state[LANG_KEY] = language
    values = state.get("values")
    if isinstance(values, dict):
        forms.put_values(values)
    st.session_state[SAVED_KEY] = _as_text(_state())


def begin(user: User) -> None:
    """Open the server-side session of a user who just signed in (a sign-in callback)."""
    try:
        session_id, code = open_session(shared_store(), user.username)
    except (AuditError, OSError) as exc:
        st.session_state[PROBLEM_KEY] = plain(exc)
        return
    st.session_state[SESSION_KEY] = session_id
    st.session_state[CODE_KEY] = code


def hand_over() -> str | None:
    """Give the browser its cookie (once); the problem to show if the session could not be kept."""
    code = st.session_state.pop(CODE_KEY, None)
    if code:
        script = (
            "<script>fetch('/_session/claim',{method:'POST',credentials:'same-origin',"
            f"body:{json.dumps(code)}}})</script>"
        )
        st.html(script, unsafe_allow_javascript=True)
    problem = st.session_state.pop(PROBLEM_KEY, None)
    return None if problem is None else str(problem)


def _state() -> dict[str, Any]:
    return {"lang": st.session_state.get(LANG_KEY), "values": forms.current_values()}


def _as_text(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, sort_keys=True, default=str)


def keep() -> None:
    """Store the language and the form values with the session, if they changed."""
    session_id = st.session_state.get(SESSION_KEY)
    if not session_id:
        return
    state = _state()
    text = _as_text(state)
    if text == st.session_state.get(SAVED_KEY):
        return
    try:
        save_state(shared_store(), str(session_id), json.loads(text))
    except (AuditError, OSError):
        return  # kept next time: what is typed is still in this browser session
    st.session_state[SAVED_KEY] = text


def close() -> None:
    """End the server-side session (signing out)."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id:
        with contextlib.suppress(AuditError, OSError):  # the cookie still expires at its time
            end(shared_store(), str(session_id))


__all__ = ["begin", "close", "hand_over", "keep", "restore"]
