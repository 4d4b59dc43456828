"""A real ``sales-expert serve`` for the service tests: users and their tokens, an audit
database and a data folder of its own, the server on a free port of 127.0.0.1 in its own process
(its output in ``server.log``), ready once ``/healthz`` answers; stopped at the end."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from engine.audit.store import AuditStore
from engine.service.tokens import make_token
from engine.users import User, write_users
from tests.conftest import REPO

USERS = [("rita", "rep"), ("mia", "manager"), ("al", "auditor"), ("ada", "admin")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Service:
    def __init__(self, base: str, url: str, tokens: dict[str, str], root: Path) -> None:
        self.base, self.url, self.tokens, self.root = base, url, tokens, root
        self.server_log = root / "server.log"

    def client(self, user: str | None = None, lang: str = "en") -> httpx.Client:
        headers = {"Accept-Language": lang}
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return httpx.Client(base_url=self.base, headers=headers, timeout=60)


def service_env(root: Path) -> dict[str, str]:
    """Settings of a service (and of a test process acting as one) living under ``root``."""
    users = root / "users.yaml"
    if not users.exists():
        write_users(users, [(User(u, u.title(), r), f"{u}-pw") for u, r in USERS], rounds=4)
        (root / "data").mkdir()
    return {
        "SALES_EXPERT_DATA_DIR": str(root / "data"),
        "SALES_EXPERT_DATABASE_URL": f"sqlite:///{root / 'data' / 'audit.db'}",
        "SALES_EXPERT_USERS": str(users),
        "SALES_EXPERT_RECORD": "on",
    }


def tokens_for(url: str) -> dict[str, str]:
    with AuditStore(url) as store:
        return {u: make_token(store, u, "crm")[1] for u, _ in USERS}


@contextlib.contextmanager
def running_service(root: Path, *options: str, workers: int = 2) -> Iterator[Service]:
    """``serve --workers N OPTIONS…`` under ``root`` (its server log: ``server.log``)."""
    env = service_env(root)
    tokens = tokens_for(env["SALES_EXPERT_DATABASE_URL"])
    port = free_port()
    command = [sys.executable, "-m", "engine.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers), *options]
    base = f"http://127.0.0.1:{port}"
    with (root / "server.log").open("wb") as log:
        server = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_up(base, server, root)
            yield Service(base, env["SALES_EXPERT_DATABASE_URL"], tokens, root)
        finally:
            server.terminate()
            server.wait(20)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError((root / "server.log").read_text())
        time.sleep(0.2)


def wait_for(found: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Poll ``found()`` until it is true (a server's log line, a file's content)."""
    deadline = time.monotonic() + seconds
    while not found():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)
