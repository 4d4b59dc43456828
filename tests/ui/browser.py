"""The browser tests' machinery: headless Chromium (Debian's, driven by Playwright) against a
real ``streamlit run ui/server.py`` server on a free local port, with the demo users created by
``sales-expert demo`` in a temporary data directory; a ``Session`` per browser context.

Screenshots are saved to ``$E2E_ARTIFACTS`` (default ``artifacts/``). Every session also proves
the app is self-contained: no request leaves 127.0.0.1. Chromium comes from ``apt-get install
chromium`` (``scripts/setup.sh test``); without it the tests are skipped, except in CI (``CI``
set), where that is a failure. The fixtures are made available to every test module of
``tests/ui`` by its ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.users import DEMO_USERS, User, write_users
from tests.audit.conftest import in_ci
from tests.conftest import REPO, run_cli

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or REPO / "artifacts")
TIMEOUT_MS = 30_000
SECOND_ADMIN = (User("alma", "Alma Admin", "admin"), "admin2-demo")
"""Besides the demo users: a second administrator, to approve what the first one drafted."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _server_env(data: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SALES_EXPERT_USERS", "SALES_EXPERT_CONFIG", "SALES_EXPERT_DATABASE_URL")
    }
    env.update(
        {
            "SALES_EXPERT_DATA_DIR": str(data),
            "SALES_EXPERT_RECORD": "on",
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_HEADLESS": "true",
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
            "STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal",
        }
    )
    return env


@contextlib.contextmanager
def _streamlit(root: Path, env: dict[str, str]) -> Iterator[str]:
    """``streamlit run ui/server.py`` on 127.0.0.1 in ``root``, until it is healthy; its URL."""
    port = _free_port()
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "server.py"),
             "--server.address", "127.0.0.1", "--server.port", str(port)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text()}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run ui/server.py`` on 127.0.0.1, after ``sales-expert demo`` (which keeps the
    users file written first: the demo users and a second administrator)."""
    root = tmp_path_factory.mktemp("e2e")
    env = _server_env(root / "data")
    demo_users = [(User(d.username, d.name, d.role), d.password) for d in DEMO_USERS]
    write_users(root / "data" / "users.yaml", [*demo_users, SECOND_ADMIN])
    demo = run_cli("demo", cwd=root, env=env)
    assert demo.returncode == 0, demo.stderr
    with _streamlit(root, env) as base:
        yield base


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[str]:
    """A server of its own with the demo users and an empty audit trail (no demo records): a
    test that needs to see a queue empty."""
    env = _server_env(tmp_path / "data")
    demo_users = [(User(d.username, d.name, d.role), d.password) for d in DEMO_USERS]
    write_users(tmp_path / "data" / "users.yaml", demo_users)
    with _streamlit(tmp_path, env) as base:
        yield base


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (apt-get install -y chromium)"
        if in_ci():
            pytest.fail(f"the browser tests must run in CI: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One browser context (a new Streamlit session) and the requests it made elsewhere."""

    def __init__(self, browser: Any, base: str, locale: str = "en-US") -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, base_url=base, locale=locale
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.external: list[str] = []
        self.page.on("request", self._request)

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.base, "data:", "blob:")):
            self.external.append(request.url)

    def idle(self, settle_ms: int = 200) -> None:
        page = self.page
        page.wait_for_timeout(settle_ms)
        app = '[data-testid="stApp"]'
        page.wait_for_selector(f'{app}[data-test-connection-state="CONNECTED"]', state="attached")
        page.wait_for_selector(f'{app}[data-test-script-state="notRunning"]', state="attached")

    def login(self, username: str, password: str) -> None:
        page = self.page
        page.goto("/")
        self.idle()
        page.get_by_role("textbox", name=re.compile("^(Username|用户名)$")).fill(username)
        page.get_by_role("textbox", name=re.compile("^(Password|密码)$")).fill(password)
        page.get_by_role("button", name=re.compile("^(Sign in|登录)$")).click()
        self.idle()

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the select box labelled ``label`` (typed, then clicked: a
        dropdown opened during a rerun can close again, so it is reopened if needed)."""
        box = self.page.get_by_test_id("stSelectbox").filter(
            has=self.page.get_by_text(label, exact=True)
        )
        choice = self.page.get_by_role("option", name=option, exact=True)
        for _ in range(3):
            box.locator("input").click()
            box.locator("input").fill(option)
            try:
                choice.wait_for(state="visible", timeout=5_000)
            except Exception:  # playwright's TimeoutError: try again
                self.idle()
                continue
            choice.click()
            break
        else:
            raise AssertionError(f"no option {option!r} in the select box {label!r}")
        self.idle()

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.idle()

    def shot(self, name: str, height: int = 1800) -> Path:
        """Streamlit scrolls inside its own container: enlarge the viewport, not full_page."""
        self.page.set_viewport_size({"width": 1400, "height": height})
        self.idle()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()
        assert not self.external, f"the browser tried to reach outside: {self.external[:5]}"


def _sessions(chromium: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``make(locale)`` → a new browser session on ``server``; each is screenshot if the test
    failed, then closed (which fails on any request that left the app)."""
    opened: list[Session] = []

    def make(locale: str = "en-US") -> Session:
        found = Session(chromium, server, locale)
        opened.append(found)
        return found

    yield make
    failed = getattr(request.node, "rep_call", None)
    for index, found in enumerate(opened):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            found.page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}-{index}.png"))
        found.close()


@pytest.fixture
def session(chromium: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _sessions(chromium, server, request)


@pytest.fixture
def empty_session(
    chromium: Any, empty_server: str, request: pytest.FixtureRequest
) -> Iterator[Any]:
    yield from _sessions(chromium, empty_server, request)
