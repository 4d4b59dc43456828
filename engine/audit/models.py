"""The audit database schema (SQLAlchemy Core, the same on SQLite and PostgreSQL), versioned.

Tables:

- ``audit_records``: consultations, final decisions and outcomes (and any later kind of
  record, see ``records.KINDS``), one chain (see ``chain``), each record signed with an HMAC
  since schema 3 (see ``keys``). Written only by ``AuditStore`` appends; the application has
  no update or delete path.
- ``audit_rulebases``: each rule-base version's content, stored once, as the canonical JSON
  that hashes to the version (so it verifies itself).
- ``policy_drafts`` and ``policy_changes`` (since schema 4): named policy drafts, overlays on a
  rule-base version, and their changes (a parameter value, a rule switched off or back on), each
  with who, when and why (``engine.policy``). Changes are only ever inserted: a change undoing
  an earlier one is a later change, the last change of a target being its effective value; the
  draft's ``status`` is the one column a later step of the workbench updates (submitted,
  approved, rejected, published, rolled back), each time with a row in ``policy_events``.
- ``policy_events`` (since schema 5): each step of a draft's life after drafting (submit,
  approve, reject, publish, rollback) with who, when and why; a publication or a rollback also
  holds the policy it made live (parameter values and rules off, as canonical JSON) and its
  rule-base version. Every event is also an audit record of kind ``policy`` in the chain
  (``record_id``), so who approved and published what is signed like a consultation.
- ``customers`` (since schema 6): the customer directory (``engine.customers``), one row per
  customer id with its name and its last known facts per case section (when and from where
  they came: a consultation, a batch run, an import). A working table, kept up to date with
  the records (written in the same transaction as a consultation) and by imports; the history
  of a customer is read from the records themselves.
- ``api_tokens`` (since schema 7): the decision service's API tokens (``engine.service``),
  each for a user of the users file, stored as the SHA-256 of the token (the token itself is
  shown once, when it is made), with when it was made and, once revoked, when.
- ``web_sessions`` (since schema 8): the web app's sign-in sessions (``engine.web_sessions``):
  the user, when it was opened and until when it holds, when it was ended, the SHA-256 of the
  browser's session cookie (and, until the browser claims it, of the one-time code that hands
  the cookie over), and the values the user has typed, so that a reload loses nothing.
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

SCHEMA_VERSION = 8
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

policy_drafts = sa.Table(
    "policy_drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("base_version", sa.String(40), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.UniqueConstraint("name", name="uq_policy_drafts_name"),
)

policy_changes = sa.Table(
    "policy_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "draft_id",
        sa.Integer,
        sa.ForeignKey("policy_drafts.id", name="fk_policy_changes_draft"),
        nullable=False,
    ),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("target", sa.String(120), nullable=False),
    sa.Column("value", sa.Double),
    sa.Column("reason", sa.Text, nullable=False),
    sa.UniqueConstraint("draft_id", "seq", name="uq_policy_changes_draft_seq"),
)

policy_events = sa.Table(
    "policy_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "draft_id",
        sa.Integer,
        sa.ForeignKey("policy_drafts.id", name="fk_policy_events_draft"),
        nullable=False,
    ),
    sa.Column("at", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("state", sa.Text),
    sa.Column("version", sa.String(40)),
    sa.Column("previous_version", sa.String(40)),
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("first_seen", sa.String(32), nullable=False),
    sa.Column("last_seen", sa.String(32), nullable=False, index=True),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("consultations", sa.Integer, nullable=False),
    sa.Column("last_record", sa.Integer),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("revoked_at", sa.String(32)),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(200), nullable=False),
    sa.Column("code_hash", sa.String(64), unique=True),
    sa.Column("token_hash", sa.String(64), unique=True),
    sa.Column("opened_at", sa.String(32), nullable=False),
    sa.Column("expires_at", sa.String(32), nullable=False),
    sa.Column("ended_at", sa.String(32)),
    sa.Column("state", sa.Text, nullable=False),
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


_POLICY_TABLES_V4 = (
    """CREATE TABLE IF NOT EXISTS policy_drafts (
        id INTEGER NOT NULL,
        name VARCHAR(80) NOT NULL,
        base_version VARCHAR(40) NOT NULL,
        created_at VARCHAR(32) NOT NULL,
        author VARCHAR(200) NOT NULL,
        role VARCHAR(32) NOT NULL,
        status VARCHAR(16) NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT uq_policy_drafts_name UNIQUE (name)
    )""",
    """CREATE TABLE IF NOT EXISTS policy_changes (
        id INTEGER NOT NULL,
        draft_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        at VARCHAR(32) NOT NULL,
        actor VARCHAR(200) NOT NULL,
        role VARCHAR(32) NOT NULL,
        kind VARCHAR(16) NOT NULL,
        target VARCHAR(120) NOT NULL,
        value DOUBLE PRECISION,
        reason TEXT NOT NULL,
        PRIMARY KEY (id),
        CONSTRAINT fk_policy_changes_draft FOREIGN KEY (draft_id) REFERENCES policy_drafts (id),
        CONSTRAINT uq_policy_changes_draft_seq UNIQUE (draft_id, seq)
    )""",
)


def _add_policy_drafts(conn: sa.Connection) -> None:
    """Schema 4: the policy workbench's drafts and their changes, two new tables (nothing else
    changes). Plain DDL frozen at this version, the same on SQLite and PostgreSQL, so that a
    later step altering the live table definitions above still upgrades a schema-3 database;
    ``IF NOT EXISTS``: a database taken back to an older version number with the tables left
    (as the upgrade tests do) upgrades too."""
    for statement in _POLICY_TABLES_V4:
        conn.execute(sa.text(statement))


_POLICY_EVENTS_V5 = """CREATE TABLE IF NOT EXISTS policy_events (
        id INTEGER NOT NULL,
        draft_id INTEGER NOT NULL,
        at VARCHAR(32) NOT NULL,
        actor VARCHAR(200) NOT NULL,
        role VARCHAR(32) NOT NULL,
        event VARCHAR(16) NOT NULL,
        reason TEXT NOT NULL,
        record_id INTEGER NOT NULL,
        state TEXT,
        version VARCHAR(40),
        previous_version VARCHAR(40),
        PRIMARY KEY (id),
        CONSTRAINT fk_policy_events_draft FOREIGN KEY (draft_id) REFERENCES policy_drafts (id)
    )"""


def _add_policy_events(conn: sa.Connection) -> None:
    """Schema 5: the steps of a draft's life after drafting, one new table (frozen DDL, as for
    schema 4)."""
    conn.execute(sa.text(_POLICY_EVENTS_V5))


_CUSTOMERS_V6 = (
    """CREATE TABLE IF NOT EXISTS customers (
        id VARCHAR(200) NOT NULL,
        name VARCHAR(200),
        first_seen VARCHAR(32) NOT NULL,
        last_seen VARCHAR(32) NOT NULL,
        facts TEXT NOT NULL,
        consultations INTEGER NOT NULL,
        last_record INTEGER,
        PRIMARY KEY (id)
    )""",
    "CREATE INDEX IF NOT EXISTS ix_customers_last_seen ON customers (last_seen)",
)


def _add_customers(conn: sa.Connection) -> None:
    """Schema 6: the customer directory, one new table (frozen DDL, as for schema 4)."""
    for statement in _CUSTOMERS_V6:
        conn.execute(sa.text(statement))


_API_TOKENS_V7 = """CREATE TABLE IF NOT EXISTS api_tokens (
        id INTEGER NOT NULL,
        name VARCHAR(80) NOT NULL,
        username VARCHAR(200) NOT NULL,
        token_hash VARCHAR(64) NOT NULL,
        created_at VARCHAR(32) NOT NULL,
        revoked_at VARCHAR(32),
        PRIMARY KEY (id),
        UNIQUE (token_hash)
    )"""


def _add_api_tokens(conn: sa.Connection) -> None:
    """Schema 7: the decision service's API tokens, one new table (frozen DDL)."""
    conn.execute(sa.text(_API_TOKENS_V7))


_WEB_SESSIONS_V8 = """CREATE TABLE IF NOT EXISTS web_sessions (
        id VARCHAR(32) NOT NULL,
        username VARCHAR(200) NOT NULL,
        code_hash VARCHAR(64),
        token_hash VARCHAR(64),
        opened_at VARCHAR(32) NOT NULL,
        expires_at VARCHAR(32) NOT NULL,
        ended_at VARCHAR(32),
        state TEXT NOT NULL,
        PRIMARY KEY (id),
        UNIQUE (code_hash),
        UNIQUE (token_hash)
    )"""


def _add_web_sessions(conn: sa.Connection) -> None:
    """Schema 8: the web app's sign-in sessions, one new table (frozen DDL)."""
    conn.execute(sa.text(_WEB_SESSIONS_V8))


MIGRATIONS: dict[int, Migration] = {
    2: _add_batch_ref,
    3: _add_signature,
    4: _add_policy_drafts,
    5: _add_policy_events,
    6: _add_customers,
    7: _add_api_tokens,
    8: _add_web_sessions,
}
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
    "api_tokens",
    "customers",
    "ensure_schema",
    "metadata",
    "policy_changes",
    "policy_drafts",
    "policy_events",
    "records",
    "rulebases",
    "schema_version",
    "utc_now",
    "web_sessions",
]
