"""Signing in: the users file (``engine.users``: bcrypt hashes, one role each) checked on the
server, the signed-in user kept in the session, and the guard every page starts with.

A browser reload starts a new session and so signs out; nothing is stored in the browser.
"""

from __future__ import annotations

import streamlit as st

from engine.users import User, UsersFileError, authenticate, load_users, users_path
from ui import navigation
from ui.i18n import LANG_KEY, t

USER_KEY = "user"
LOGIN_ERROR = "login_error"


def current_user() -> User | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, User) else None


def _sign_in() -> None:
    """The login form's callback: runs before the page is drawn again."""
    username = str(st.session_state.get("login_user", "")).strip()
    password = str(st.session_state.get("login_pw", ""))
    st.session_state["login_pw"] = ""
    path = users_path()
    try:
        users = load_users(path)
    except UsersFileError as exc:
        st.session_state[LOGIN_ERROR] = t("login.users_file_bad", problem=str(exc))
        return
    if not users:
        st.session_state[LOGIN_ERROR] = t("login.no_users", path=str(path))
        return
    user = authenticate(users, username, password)
    if user is None:
        st.session_state[LOGIN_ERROR] = t("login.failed")
        return
    st.session_state.pop(LOGIN_ERROR, None)
    st.session_state[USER_KEY] = user


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
    """Forget the user and everything they entered; keep the language."""
    for key in list(st.session_state):
        if key != LANG_KEY:
            del st.session_state[key]


def user_box(user: User) -> None:
    st.sidebar.markdown(t("user.signed_in", name=user.name, username=user.username))
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
