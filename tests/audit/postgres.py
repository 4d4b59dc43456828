"""A throwaway PostgreSQL server for the audit tests, from Debian's ``postgresql`` package.

The binaries are found under ``/usr/lib/postgresql/<version>/bin``; if there are none and we
are root, ``apt-get install postgresql`` fetches them. ``initdb`` refuses to run as root, so as
root the cluster is created and run as the ``postgres`` user, in a fresh directory under /tmp
(pytest's own temporary directories are private to root). The server listens on a free
localhost port with its socket in that directory, trusts local connections, and is stopped and
deleted at the end of the session.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")


class Unavailable(Exception):
    """PostgreSQL cannot be had here; the message says why."""


def find_bin() -> Path | None:
    """The newest installed server's bin directory."""
    found = [p.parent for p in PG_ROOT.glob("*/bin/initdb")]
    return max(found, key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0), default=None)


def install() -> None:
    """``apt-get install postgresql`` (root only)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Unavailable("PostgreSQL is not installed and apt-get cannot be used (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "postgresql"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise Unavailable(f"{' '.join(command)} failed: {done.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    run_as: str | None

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            user=self.run_as,
            cwd=self.root,
            env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "TZ": "UTC"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise Unavailable(f"{args[0]} failed: {done.stderr}{done.stdout}\n{tail}")

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


def start_server() -> PostgresServer:
    """Install if needed and able, then start a server; raises ``Unavailable``."""
    bin_dir = find_bin()
    if bin_dir is None:
        install()
        bin_dir = find_bin()
        if bin_dir is None:
            raise Unavailable("apt-get installed postgresql but no initdb was found")
    root = Path(tempfile.mkdtemp(prefix="sales-expert-pg-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres"
        try:
            account = pwd.getpwnam(run_as)
        except KeyError as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable("running as root and there is no postgres user") from exc
        os.chown(root, account.pw_uid, account.pw_gid)
    server = PostgresServer(bin_dir, root, _free_port(), run_as)
    try:
        server.start()
    except Unavailable:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
