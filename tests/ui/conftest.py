"""Fixtures of the front-end tests: a data directory with the demo users and an audit
database of its own, and AppTests of ``ui_app.py`` signed in as any role.

The users file is written with a low bcrypt cost (4) so that signing in stays fast; the
format and the check are the production ones (``engine.users``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.audit.config import load_settings
from engine.audit.recording import shared_store
from engine.audit.store import AuditStore
from engine.users import DEMO_USERS, User, write_demo_users
from tests.conftest import REPO

APP = REPO / "ui_app.py"
PASSWORDS = {d.username: d.password for d in DEMO_USERS}
BY_ROLE = {d.role: User(d.username, d.name, d.role) for d in DEMO_USERS}
TIMEOUT = 120


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item (the browser tests screenshot failures)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.yaml"
    write_demo_users(path, rounds=4)
    return path


@pytest.fixture
def ui_env(tmp_path: Path, users_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory (audit database) per test, recording on, the demo users."""
    data = tmp_path / "data"
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(data))
    monkeypatch.setenv("SALES_EXPERT_USERS", str(users_file))
    monkeypatch.setenv("SALES_EXPERT_RECORD", "on")
    for name in ("SALES_EXPERT_DATABASE_URL", "SALES_EXPERT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield data


def audit_store() -> AuditStore:
    """The store the app records into (the same shared one, per database)."""
    return shared_store(load_settings())


def new_app(locale: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if locale is not None:
        at.context = {"locale": locale}
    return at


def signed_in(role: str, locale: str | None = None) -> AppTest:
    """The app after a sign-in as the demo user of ``role`` (session seeded, no bcrypt)."""
    at = new_app(locale)
    at.session_state["user"] = BY_ROLE[role]
    return at.run()


def view(script: str, role: str | None) -> AppTest:
    """A page script run on its own (without the navigation), as ``role`` or signed out."""
    at = AppTest.from_file(str(REPO / script), default_timeout=TIMEOUT)
    if role is not None:
        at.session_state["user"] = BY_ROLE[role]
    return at


def login(at: AppTest, username: str, password: str) -> AppTest:
    """Sign in through the form, as a person does."""
    at.run()
    at.text_input(key="login_user").input(username)
    at.text_input(key="login_pw").input(password)
    submit(at, "login")
    return at


def submit(at: AppTest, form: str) -> AppTest:
    """Click the submit button of ``form`` (an ``st.form``'s, or a case form's
    ``<form>_submit``) and run."""
    [button] = [
        b
        for b in at.button
        if (b.key or "").startswith(f"FormSubmitter:{form}-") or b.key == f"{form}_submit"
    ]
    button.click()
    return at.run()


def open_page(at: AppTest, key: str) -> AppTest:
    return at.switch_page(f"ui/views/{key}.py").run()


def load_example(at: AppTest, page: str, example: str) -> AppTest:
    at.selectbox(key=f"{page}_example").set_value(example)
    at.button(key=f"{page}_example_load").click()
    return at.run()


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


from tests.ui.browser import (  # noqa: E402,F401  the browser tests' fixtures, for every module
    chromium,
    empty_server,
    empty_session,
    server,
    session,
)
