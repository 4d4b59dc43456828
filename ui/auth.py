"""Signing in: the users file (``engine.users``: bcrypt hashes, one role each) checked on the
server behind the sign-in throttle (``engine.signin_guard``), the signed-in user kept in the
session, and the guard every page starts with.

A browser reload starts a new Streamlit session; the signed-in user and what they typed come
back from the server-side session its cookie names (``ui.session``), until they sign out.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from engine.audit.config import load_settings
from engine.audit.errors import AuditRequestError
from engine.signin_guard import GuardUnavailable, SigninGuard, refusal_text, sign_in
from engine.users import StoredUser, User, UsersFileError, load_users, users_path
from ui import navigation, session
from ui.i18n import LANG_KEY, kb, lang, t
from ui.inert import plain

USER_KEY = session.USER_KEY
"""Where the signed-in user is kept: the web session restores it there after a reload."""
LOGIN_ERROR = "login_error"


def current_user() -> User | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def client_id() -> str:
    """Who is signing in, as far as Streamlit can tell (for the per-client limit): the
    connection's IP address; on a loopback connection (a proxy on this machine) the last hop of
    ``X-Forwarded-For``; else this browser session (a reload makes a new one, so the user-name
    limit is what holds then)."""
    address = st.context.ip_address
    if address:
        return f"ip:{address}"
    forwarded = str(st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    if forwarded:
        return f"forwarded:{forwarded}"
    ctx = get_script_run_ctx()
    return f"session:{ctx.session_id if ctx is not None else 'unknown'}"


def _users() -> tuple[SigninGuard, dict[str, StoredUser]] | str:
    """The sign-in guard and the users, or the problem to show."""
    try:
        settings = load_settings()
        path = users_path(settings)
        users = load_users(path)
    except (UsersFileError, AuditRequestError) as exc:
        return t("login.users_file_bad", problem=plain(exc))
    if not users:
        return t("login.no_users", path=plain(path))
    return SigninGuard.in_data_dir(settings.data_dir), users


def _sign_in() -> None:
    """The login form's callback: runs before the page is drawn again. The password is checked
    behind the sign-in guard (``engine.signin_guard``): a user name or client that failed too
    often is told when to retry, without a password check."""
    username = str(st.session_state.get("login_user", "")).strip()
    password = str(st.session_state.get("login_pw", ""))
    st.session_state["login_pw"] = ""
    found = _users()
    if isinstance(found, str):
        st.session_state[LOGIN_ERROR] = found
        return
    guard, users = found
    try:
        outcome = sign_in(guard, users, username, password, client_id())
    except GuardUnavailable as exc:
        st.session_state[LOGIN_ERROR] = kb().text("signin.unavailable", lang(), problem=plain(exc))
        return
    if outcome.user is None:
        said = [t("login.failed")] if outcome.checked else []
        if outcome.refused is not None:
            said.append(refusal_text(outcome.refused, kb(), lang(), guard.clock()))
        st.session_state[LOGIN_ERROR] = " ".join(said)
        return
    st.session_state.pop(LOGIN_ERROR, None)
    st.session_state[USER_KEY] = outcome.user
    session.begin(outcome.user)


def login_page() -> None:
    st.title(t("login.title"))
    st.caption(t("login.intro"))
    with st.form("login"):
        st.text_input(t("login.username"), key="login_user")
        st.text_input(t("login.password"), type="password", key="login_pw")
        st.form_submit_button(t("login.submit"), on_click=_sign_in, type="primary")
    problem = st.session_state.get(LOGIN_ERROR)
    if problem:
        st.error(problem)


def logout() -> None:
    """End the session on the server and forget the user and everything they entered; keep
    the language (and the note that the cookie was looked at: it opens nothing now)."""
    session.close()
    for key in list(st.session_state):
        if key not in (LANG_KEY, session.CHECKED_KEY):
            del st.session_state[key]


def user_box(user: User) -> None:
    st.sidebar.markdown(t("user.signed_in", name=plain(user.name), username=plain(user.username)))
    st.sidebar.caption(t("user.role", role=t(f"role.{user.role}")))
    st.sidebar.button(t("user.logout"), on_click=logout, key="logout_button")


def require(page: str) -> User:
    """A page's first line: the signed-in user, or a refusal if their role may not see it
    (defence in depth: ``st.navigation`` does not register the page for them anyway)."""
    user = current_user()
    if user is None or not navigation.may_open(user.role, page):
        st.error(t("auth.refused"))
        st.stop()
    assert user is not None
    return user
