"""The audit database schema (SQLAlchemy Core, the same on SQLite and PostgreSQL), versioned.

Tables:

- ``audit_records``: consultations, final decisions and outcomes (and any later kind of
  record, see ``records.KINDS``), one chain (see ``chain``), each record signed with an HMAC
  since schema 3 (see ``keys``). Written only by ``AuditStore`` appends; the application has
  no update or delete path.
- ``audit_rulebases``: each rule-base version's content, stored once, as the canonical JSON
  that hashes to the version (so it verifies itself).
- ``audit_schema``: one row per schema version applied. Opening a database runs the upgrade
  steps in ``MIGRATIONS`` from its version to ``SCHEMA_VERSION`` in one transaction; steps only
  add (tables, nullable columns, indexes), so an upgrade never loses records. A database newer
  than the program is refused rather than written with an older layout.

Texts (timestamps included, as ISO-8601 UTC strings) are stored as ``Text``/``String`` so what
is hashed is exactly what is read back on either backend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa

from engine.audit.errors import AuditUnavailable

SCHEMA_VERSION = 3
metadata = sa.MetaData()

schema_versions = sa.Table(
    "audit_schema",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.String(32), nullable=False),
)

rulebases = sa.Table(
    "audit_rulebases",
    metadata,
    sa.Column("version", sa.String(40), primary_key=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
)

records = sa.Table(
    "audit_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("format", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False, index=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("customer_id", sa.String(200), index=True),
    sa.Column("modules", sa.Text, nullable=False),
    sa.Column("rules", sa.Text, nullable=False),
    sa.Column("decision", sa.String(64), index=True),
    sa.Column("override", sa.Boolean),
    sa.Column("ref_id", sa.Integer, index=True),
    sa.Column("ruleset_version", sa.String(40), nullable=False),
    sa.Column("product_version", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    # since schema 2: "run key:row" of a batch row, so a resumed batch never records it twice;
    # for an outcome record "outcome:<sha256 of its content>", so an import never records an
    # outcome twice (engine/outcomes/records.py). Hashed since record format 2.
    sa.Column("batch_ref", sa.String(80), index=True),
    # since schema 3 (NULL in records written before): the id of the key that signed the record
    # and the HMAC of its hash under that key (keys.py); the key itself is never stored here
    sa.Column("key_id", sa.String(16)),
    sa.Column("hmac", sa.String(64)),
)

Migration = Callable[[sa.Connection], None]


def _add_batch_ref(conn: sa.Connection) -> None:
    """Schema 2: the batch row reference, a nullable column (old records keep NULL)."""
    # plain DDL, the same on SQLite and PostgreSQL: an sa.Index built here would attach itself
    # to the shared table metadata and be created twice by a later create_all
    conn.execute(sa.text("ALTER TABLE audit_records ADD COLUMN batch_ref VARCHAR(80)"))
    conn.execute(sa.text("CREATE INDEX ix_audit_records_batch_ref ON audit_records (batch_ref)"))


def _add_signature(conn: sa.Connection) -> None:
    """Schema 3: who signed a record (key id) and its HMAC, nullable: records written before
    keep NULL and are reported by ``verify`` as "hash only (recorded before keys)"."""
    conn.execute(sa.text("ALTER TABLE audit_records ADD COLUMN key_id VARCHAR(16)"))
    conn.execute(sa.text("ALTER TABLE audit_records ADD COLUMN hmac VARCHAR(64)"))


MIGRATIONS: dict[int, Migration] = {2: _add_batch_ref, 3: _add_signature}
"""Upgrade step to each version after 1, run in order on an older database."""


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def schema_version(conn: sa.Connection) -> int | None:
    """The database's schema version, or None if it has no audit tables yet."""
    if not sa.inspect(conn).has_table(schema_versions.name):
        return None
    return int(conn.scalar(sa.select(sa.func.max(schema_versions.c.version))) or 0)


def ensure_schema(conn: sa.Connection) -> int:
    """Create or upgrade the schema; call inside a serialised write transaction."""
    current = schema_version(conn)
    if current is None:
        metadata.create_all(conn)
        conn.execute(schema_versions.insert().values(version=SCHEMA_VERSION, applied_at=utc_now()))
        return SCHEMA_VERSION
    if current > SCHEMA_VERSION:
        raise AuditUnavailable(
            f"the audit database has schema version {current}, newer than this program's "
            f"{SCHEMA_VERSION}: upgrade sales-expert before using it"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        conn.execute(schema_versions.insert().values(version=version, applied_at=utc_now()))
    return SCHEMA_VERSION


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ensure_schema",
    "metadata",
    "records",
    "rulebases",
    "schema_version",
    "utc_now",
]
