"""``AuditStore``: the one way records get into the audit database, and the reads auditors use.

Appends are serialised so the chain stays linear with any number of processes and threads
writing at once: on SQLite every write transaction is ``BEGIN IMMEDIATE`` (one writer at a time
across processes, the others wait up to ``BUSY_TIMEOUT_S``) on a WAL-mode file; on PostgreSQL
it takes the transaction-level advisory lock ``LOCK_KEY`` first. Inside the lock a record reads
the last id and hash and the keyring (``keys``: read afresh, so a rotation applies to the very
next record), takes the next id and the current time, hashes, signs the hash with the active
key and inserts; the rule-base snapshot is inserted in the same transaction if its version is
new. There is no update or delete: the class has no method that issues one.

Every kind of record (``records.KINDS``) goes through ``_append``: a later kind needs a row
builder and a method that calls it, and verify, anchors and export handle it unchanged. Outcomes
(``record_outcomes``) are linked, checked and deduplicated by ``engine.outcomes.records``
inside the same lock.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from engine.audit import models, reports, verify
from engine.audit.anchor import Anchor, sign_anchor
from engine.audit.authority import PENDING, authorised
from engine.audit.backends import BUSY_TIMEOUT_S, LOCK_KEY, make_engine
from engine.audit.chain import GENESIS, RECORD_FORMAT, canonical, record_hash
from engine.audit.config import DECIDING_ROLE, AuditSettings, check_role, sqlite_file
from engine.audit.decisions import DECISION_TOPIC, DecisionRequest, recommendation, settle
from engine.audit.errors import AuditError, AuditRequestError, AuditUnavailable
from engine.audit.files import loose_mode
from engine.audit.findings import FileWarning, Report
from engine.audit.keys import KeySource, keys_for_settings, keys_for_url
from engine.audit.models import records, rulebases, utc_now
from engine.audit.records import (
    CHANNELS,
    KINDS,
    AuditRecord,
    RecordFilter,
    consultation_row,
    join_ids,
)
from engine.audit.snapshots import load_snapshot, snapshot_text
from engine.compiler import CompiledRuleBase
from engine.core import product_version
from engine.customers.directory import remember_rows
from engine.outcomes.model import Outcome
from engine.outcomes.records import OUTCOME_KIND, Settled, Who, check_recording_role
from engine.outcomes.records import plan as outcome_plan
from engine.result import Result
from knowledge_base.authority import load_authority
from knowledge_base.facts import Case

SUMMARY_COLUMNS = [c for c in records.c if c.name != "payload"]


class AuditStore:
    """An audit database. Safe to share between threads; ``close()`` when done."""

    def __init__(self, url: str, keys: KeySource | None = None) -> None:
        """``keys``: the keyring that signs and verifies; by default the configured one for
        ``url`` (``keys.keys_for_url``)."""
        self.url = url
        self.keys = keys if keys is not None else keys_for_url(url)
        self.engine = make_engine(url)
        self.backend = self.engine.dialect.name
        self._stored_versions: set[str] = set()
        try:
            self._init_schema()
        except BaseException:
            self.engine.dispose()
            raise

    @classmethod
    def from_settings(cls, settings: AuditSettings) -> AuditStore:
        if sa.make_url(settings.database_url).get_backend_name() == "sqlite":
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings.database_url, keys_for_settings(settings))

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database failures become ``AuditUnavailable`` naming the database."""
        try:
            yield
        except sa.exc.SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc
            raise AuditUnavailable(f"audit database {self.display_url}: {cause}") from exc

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A transaction holding the append lock (see the module docstring)."""
        with self._guard(), self.engine.connect() as conn:
            conn.execution_options(audit_write=True)
            with conn.begin():
                if self.backend == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
                yield conn

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    def _init_schema(self) -> None:
        with self._read() as conn:
            current = models.schema_version(conn)
        if current != models.SCHEMA_VERSION:
            with self._write() as conn:
                models.ensure_schema(conn)

    # -- appending -------------------------------------------------------------------------

    def _append(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Chain, sign and insert ``rows`` after the last record (the caller holds the lock)."""
        if not rows:
            return []
        last = conn.execute(
            sa.select(records.c.id, records.c.hash).order_by(records.c.id.desc()).limit(1)
        ).first()
        next_id, prev = (last.id + 1, last.hash) if last else (1, GENESIS)
        key = self.keys.signing().active
        chained = []
        for offset, row in enumerate(rows):
            if row["kind"] not in KINDS:
                raise AuditRequestError(f"kind: {row['kind']!r}; allowed: {', '.join(KINDS)}")
            full = {"batch_ref": None, **row, "id": next_id + offset, "prev_hash": prev}
            full.update(format=RECORD_FORMAT, key_id=key.id, created_at=utc_now())
            full["hash"] = prev = record_hash(full)
            full["hmac"] = key.sign_record(full["hash"])
            chained.append(full)
        conn.execute(records.insert(), chained)
        return chained

    def _store_snapshot(self, conn: sa.Connection, compiled: CompiledRuleBase) -> None:
        if compiled.version in self._stored_versions:
            return
        query = sa.select(rulebases.c.version).where(rulebases.c.version == compiled.version)
        if conn.scalar(query) is None:
            conn.execute(
                rulebases.insert().values(
                    version=compiled.version, created_at=utc_now(), content=snapshot_text(compiled)
                )
            )

    def record_consultation(
        self,
        result: Result,
        case: Case,
        compiled: CompiledRuleBase,
        *,
        actor: str,
        role: str,
        channel: str = "api",
    ) -> AuditRecord:
        """Append a consultation (and its rule base, if this version is new)."""
        [row] = self.record_consultations([(result, case)], compiled, actor, role, channel)
        return AuditRecord.from_row(row, json.loads(row["payload"]))

    def record_consultations(
        self,
        consulted: list[tuple[Result, Case]],
        compiled: CompiledRuleBase,
        actor: str,
        role: str,
        channel: str = "batch",
        batch_refs: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Append many consultations of one rule base in one transaction (batch runs); returns
        the stored rows (``id``, ``hash``…), in order.

        With ``batch_refs`` (one per consultation), a consultation whose reference is already
        recorded is skipped: a batch resumed after a crash never records a row twice."""
        if channel not in CHANNELS:
            raise AuditRequestError(f"channel: {channel!r}; allowed: {', '.join(CHANNELS)}")
        for result, _ in consulted:
            if result.ruleset_version != compiled.version:
                raise AuditRequestError(
                    f"a result is from rule base {result.ruleset_version}, not {compiled.version}"
                )
        check_role(role)
        refs: list[str | None] = list(batch_refs) if batch_refs else [None] * len(consulted)
        rows = [
            consultation_row(r, c, compiled.rules, actor, role, channel, ref)
            for (r, c), ref in zip(consulted, refs, strict=True)
        ]
        cases = [c for _, c in consulted]
        snapshot_text(compiled)  # fails before writing if the snapshot would not verify
        with self._write() as conn:
            self._store_snapshot(conn, compiled)
            if batch_refs:
                done = set(
                    conn.scalars(
                        sa.select(records.c.batch_ref).where(records.c.batch_ref.in_(batch_refs))
                    )
                )
                kept = [n for n, row in enumerate(rows) if row["batch_ref"] not in done]
                rows, cases = [rows[n] for n in kept], [cases[n] for n in kept]
            stored = self._append(conn, rows)
            remember_rows(conn, stored, cases)  # the customer directory, in the same transaction
        self._stored_versions.add(compiled.version)
        return stored

    def batch_ids(self, refs: list[str]) -> dict[str, int]:
        """Record id of each batch reference already recorded."""
        with self._read() as conn:
            found = conn.execute(
                sa.select(records.c.batch_ref, records.c.id).where(records.c.batch_ref.in_(refs))
            )
            return {ref: int(record_id) for ref, record_id in found}

    def record_decision(
        self,
        consultation_id: int,
        request: DecisionRequest,
        *,
        actor: str,
        role: str = DECIDING_ROLE,
        channel: str = "cli",
    ) -> AuditRecord:
        """Append a final decision on a credit consultation (see ``decisions``); one that needs
        a second approver (``authority``) is appended as a proposal that decides nothing yet."""
        deciding = load_authority().roles()
        if check_role(role) not in deciding:
            raise AuditRequestError(
                f"role: only a {' or an '.join(deciding)} can record a final decision, not a {role}"
            )
        consultation = self.get(consultation_id)
        if consultation.kind != "consultation" or consultation.payload is None:
            raise AuditRequestError(f"record {consultation_id} is a {consultation.kind}")
        row = {**self._decision_row(consultation, request, role), "actor": actor, "role": role}
        row["channel"] = channel
        with self._write() as conn:
            [stored] = self._append(conn, [row])
        return AuditRecord.from_row(stored, json.loads(stored["payload"]))

    def record_outcomes(
        self,
        outcomes: Sequence[Outcome],
        who: Who,
        lang: str = "en",
        sources: Sequence[dict[str, Any] | None] | None = None,
    ) -> list[Settled]:
        """Append outcomes in one transaction, each linked to and checked against its
        consultation, none recorded twice (``engine.outcomes.records``); the fate of each, in
        order. ``sources``: where each came from (file, row), kept in its payload."""
        check_recording_role(check_role(who.role))
        if who.channel not in CHANNELS:
            raise AuditRequestError(f"channel: {who.channel!r}; allowed: {', '.join(CHANNELS)}")
        with self._write() as conn:
            prepared = outcome_plan(conn, outcomes, who, lang, sources)
            stored = self._append(conn, prepared.rows)
        return prepared.settled([row["id"] for row in stored])

    def _decision_row(
        self, consultation: AuditRecord, request: DecisionRequest, role: str
    ) -> dict[str, Any]:
        """The decision record's columns but who and where, after checking it may be taken."""
        recommended = recommendation((consultation.payload or {})["result"])
        if recommended is None:
            raise AuditRequestError(
                f"consultation {consultation.id} has no credit decision to decide on "
                f"(no {DECISION_TOPIC} was concluded)"
            )
        version = consultation.ruleset_version
        _, kb, _ = load_snapshot(version, self.snapshot(version))
        topic = kb.topics.get(DECISION_TOPIC)
        body = authorised(settle(request, recommended, topic.value_ids() if topic else ()), role)
        pending = body.get("status") == PENDING
        return {
            "kind": "decision",
            "customer_id": consultation.customer_id,
            "modules": join_ids([topic.module if topic else "credit"]),
            "rules": "",
            "decision": None if pending else request.decision,
            "override": None if pending else body["override"],
            "ref_id": consultation.id,
            "ruleset_version": version,
            "product_version": product_version(),
            "payload": canonical(body),
        }

    # -- reading ---------------------------------------------------------------------------

    def get(self, record_id: int) -> AuditRecord:
        with self._read() as conn:
            row = conn.execute(sa.select(records).where(records.c.id == record_id)).first()
        if row is None:
            raise AuditRequestError(f"no audit record {record_id}")
        return AuditRecord.from_row(row._mapping, json.loads(row.payload))

    def decisions_for(self, consultation_id: int) -> list[AuditRecord]:
        """The final decisions recorded on a consultation, oldest first (the last one stands)."""
        return self._linked("decision", consultation_id)

    def outcomes_for(self, consultation_id: int) -> list[AuditRecord]:
        """The outcomes recorded on a consultation, oldest first (corrections included)."""
        return self._linked(OUTCOME_KIND, consultation_id)

    def _linked(self, kind: str, consultation_id: int) -> list[AuditRecord]:
        query = (
            sa.select(records)
            .where(records.c.kind == kind, records.c.ref_id == consultation_id)
            .order_by(records.c.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [AuditRecord.from_row(r._mapping, json.loads(r.payload)) for r in rows]

    def list_records(
        self, where: RecordFilter | None = None, limit: int | None = 100
    ) -> list[AuditRecord]:
        """Matching records without their payload, newest first."""
        query = sa.select(*SUMMARY_COLUMNS).where(*(where or RecordFilter()).clauses())
        query = query.order_by(records.c.id.desc()).limit(limit)
        with self._read() as conn:
            return [AuditRecord.from_row(r._mapping) for r in conn.execute(query)]

    def iter_records(self, where: RecordFilter | None = None) -> Iterator[AuditRecord]:
        """Matching records with their payload, oldest first, streamed."""
        query = (
            sa.select(records).where(*(where or RecordFilter()).clauses()).order_by(records.c.id)
        )
        with self._read() as conn:
            for row in conn.execution_options(yield_per=500).execute(query):
                yield AuditRecord.from_row(row._mapping, json.loads(row.payload))

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(records)) or 0)

    def snapshot(self, version: str) -> str:
        """The stored rule base of a version (canonical JSON)."""
        query = sa.select(rulebases.c.content).where(rulebases.c.version == version)
        with self._read() as conn:
            text = conn.scalar(query)
        if text is None:
            raise AuditError(f"the rule base {version} is not stored in the audit database")
        return str(text)

    # -- auditing --------------------------------------------------------------------------

    def verify(self, expect: tuple[int, str] | None = None, anchor: Anchor | None = None) -> Report:
        """Walk the chain (HMACs checked if the keyring exists: it is never created here) and
        the snapshots, and check an anchor; the report names the first problem found and warns
        about the database file or keyring being readable by others."""
        keyring = self.keys.load()
        with self._read() as conn:
            report = verify.verify(conn, expect, keyring, key_file=self.keys.path, anchor=anchor)
        return dataclasses.replace(report, warnings=self.file_warnings())

    def file_warnings(self, *others: Path) -> tuple[FileWarning, ...]:
        """The database file, the keyring and ``others`` if their group or others may read them."""
        database = sqlite_file(self.url)
        paths = [p for p in (database, self.keys.path, *others) if p is not None]
        return tuple(
            FileWarning(str(p), mode) for p in paths if (mode := loose_mode(p)) is not None
        )

    def anchor(self) -> tuple[Report, Anchor | None]:
        """Verify, then sign the head with the active key (created on first need); no anchor
        if the chain does not verify."""
        key = self.keys.signing().active
        report = self.verify()
        return report, sign_anchor(report, key) if report.ok else None

    def stats(self, where: RecordFilter | None = None) -> dict[str, Any]:
        with self._read() as conn:
            return reports.stats(conn, where or RecordFilter())

    def export(self, out: TextIO, fmt: str, where: RecordFilter | None = None) -> int:
        """Write matching records as CSV or JSON; returns how many were written."""
        return reports.export(self.iter_records(where), out, fmt)


__all__ = ["BUSY_TIMEOUT_S", "LOCK_KEY", "AuditStore", "make_engine"]
