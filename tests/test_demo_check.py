"""The demo is safe by default (issue 19): ``sales-expert demo --check-address`` refuses a
network address while the users file holds a public demo password, and ``scripts/start.sh``
listens on 127.0.0.1 unless told otherwise and stops when the check refuses. Streamlit is never
started here: ``start.sh`` runs against stand-ins for ``setup.sh`` and ``streamlit``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.demo_check import demo_passwords_in_use, is_loopback
from engine.users import DEMO_USERS, User, write_demo_users, write_users
from tests.conftest import REPO, run_cli

DEMO_NAMES = [d.username for d in DEMO_USERS]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_only_loopback_addresses_are_this_machine_only(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_demo_passwords_are_found_only_while_they_sign_in(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    write_demo_users(path, rounds=4)
    assert demo_passwords_in_use(path) == DEMO_NAMES
    write_users(path, [(User("mia", "Mia", "manager"), "a-real-secret")], rounds=4)
    assert demo_passwords_in_use(path) == []
    assert demo_passwords_in_use(tmp_path / "none.yaml") == []


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A data directory whose users file holds the demo users (bcrypt cost 4)."""
    write_demo_users(tmp_path / "data" / "users.yaml", rounds=4)
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SALES_EXPERT_") and k != "STREAMLIT_SERVER_ADDRESS"
    }
    environ["SALES_EXPERT_DATA_DIR"] = str(tmp_path / "data")
    return environ


def test_the_check_warns_on_loopback_and_refuses_the_network(env: dict[str, str]) -> None:
    local = run_cli("demo", "--check-address", "127.0.0.1", env=env)
    assert local.returncode == 0, local.stderr
    assert "WARNING" in local.stderr and "public demo passwords" in local.stderr
    assert "this machine only" in local.stdout
    refused = run_cli("demo", "--check-address", "0.0.0.0", env=env)
    assert refused.returncode == 2
    assert "Refusing to start on 0.0.0.0" in refused.stderr and "rita, mia" in refused.stderr
    assert "--allow-demo-on-network" in refused.stderr
    allowed = run_cli("demo", "--check-address", "0.0.0.0", "--allow-demo-on-network", env=env)
    assert allowed.returncode == 0 and "WARNING" in allowed.stderr
    zh = run_cli("demo", "--check-address", "10.1.2.3", "--lang", "zh", env=env)
    assert zh.returncode == 2 and "拒绝在网络地址 10.1.2.3 上启动" in zh.stderr
    assert "rita、mia" in zh.stderr


def test_own_users_may_listen_on_the_network(env: dict[str, str]) -> None:
    users = Path(env["SALES_EXPERT_DATA_DIR"]) / "users.yaml"
    write_users(users, [(User("mia", "Mia", "manager"), "a-real-secret")], rounds=4)
    done = run_cli("demo", "--check-address", "0.0.0.0", env=env)
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr and "reachable from the network" in done.stdout


def start(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str, list[str]]:
    """``bash scripts/start.sh ARGS`` in a copy of the repository's scripts whose setup.sh does
    nothing and whose ``streamlit`` writes its arguments down: exit code, stderr, arguments."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "start.sh", root / "scripts" / "start.sh")
    (root / "scripts" / "setup.sh").write_text("exit 0\n")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    cli = bin_dir / "sales-expert"
    cli.write_text(
        '#!/bin/sh\n[ "$*" = demo ] && exit 0  # the seeding is tested elsewhere\n'
        f'PYTHONPATH="{REPO}" exec "{sys.executable}" -m engine.cli "$@"\n'
    )
    streamlit = bin_dir / "streamlit"
    streamlit.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{root}/streamlit-args"\n')
    for script in (cli, streamlit):
        script.chmod(0o755)
    done = subprocess.run(
        ["bash", str(root / "scripts" / "start.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    called = root / "streamlit-args"
    return (
        done.returncode,
        done.stderr,
        called.read_text().split("\n")[:-1] if called.exists() else [],
    )


def test_start_listens_on_loopback_by_default(tmp_path: Path, env: dict[str, str]) -> None:
    code, stderr, args = start(tmp_path, env, "--server.port", "8502")
    assert code == 0, stderr
    assert "public demo passwords" in stderr
    assert args == ["run", "ui/server.py", "--server.headless", "true", "--server.address",
                    "127.0.0.1", "--server.port", "8502"]  # fmt: skip


@pytest.mark.parametrize("given", [["--server.address", "0.0.0.0"], ["--address=0.0.0.0"]])
def test_start_refuses_the_network_with_demo_users(
    tmp_path: Path, env: dict[str, str], given: list[str]
) -> None:
    code, stderr, args = start(tmp_path, env, *given)
    assert code == 2 and "Refusing to start on 0.0.0.0" in stderr
    assert args == []  # streamlit was not started


def test_start_on_the_network_when_allowed(tmp_path: Path, env: dict[str, str]) -> None:
    code, stderr, args = start(
        tmp_path, env, "--allow-demo-on-network", "--address", "0.0.0.0", "--server.port", "8503"
    )
    assert code == 0, stderr
    assert args[-4:] == ["--server.address", "0.0.0.0", "--server.port", "8503"]
    assert "--allow-demo-on-network" not in args
