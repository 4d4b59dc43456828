"""Opening the audit database: SQLAlchemy engines for SQLite and PostgreSQL, set up so that
appends can be serialised (see ``store``), and a new SQLite file created private.

SQLite: every connection waits up to ``BUSY_TIMEOUT_S`` for the write lock, uses WAL and full
synchronous commits, and lets SQLAlchemy emit ``BEGIN`` itself (``BEGIN IMMEDIATE`` for writes,
so one writer at a time across processes). The database file is created empty with mode 0600
before SQLite opens it: it holds customers' data, and SQLite would create it with the umask's
mode (usually 0644). Its ``-wal`` and ``-shm`` files take the database file's mode.

PostgreSQL: ``postgresql://`` URLs use psycopg 3; appends take the advisory lock ``LOCK_KEY``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.audit.config import sqlite_file
from engine.audit.errors import AuditRequestError
from engine.audit.files import touch_private

BUSY_TIMEOUT_S = 60
LOCK_KEY = 0x5A1E5_A0D17
"""PostgreSQL advisory lock id serialising appends (any constant unique in the database)."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get("audit_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _create_private_sqlite(url: str) -> None:
    """An empty 0600 file where a new SQLite database is to be (an empty file is an empty
    database); nothing if it exists or its directory does not (SQLite reports that)."""
    path = sqlite_file(url)
    if path is not None and path.parent.is_dir():
        touch_private(path)


def make_engine(url: str) -> sa.Engine:
    """A SQLAlchemy engine for a SQLite or PostgreSQL URL, set up for serialised appends."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise AuditRequestError(f"database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_private_sqlite(url)
        engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise AuditRequestError(
        f"database URL: {backend!r} is not supported; use sqlite:///… or postgresql://…"
    )


__all__ = ["BUSY_TIMEOUT_S", "LOCK_KEY", "make_engine"]
