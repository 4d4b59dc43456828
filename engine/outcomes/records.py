"""Outcomes in the audit trail: each linked to its consultation, checked against it, and recorded
as a record of kind ``outcome`` in the one hash chain, signed like every other record
(``AuditStore.record_outcomes`` appends what ``plan`` prepares, inside the append lock).

**Linking.** By ``consultation_id``: that record, which must be a consultation (of the customer
given, if one is). By ``customer_id`` alone: the customer's latest consultation that concluded
the outcome's module and was recorded *before* the observation date (before its first moment,
UTC). Strictly before, so the link never moves: every consultation recorded later is recorded
on or after today, hence on or after any observation date an outcome may have.

**Checked against the consultation.** It concluded the module (rules of the module fired); the
outcome was observed on or after the day it was recorded, and a grading period starts on or
after it; a correction (``corrects``) names an earlier outcome record of the same consultation.

**The record.** ``ref_id`` is the consultation, ``customer_id`` and ``ruleset_version`` are the
consultation's, ``modules`` the outcome's module, ``decision`` the outcome kind (so ``audit list
--kind outcome --decision defaulted`` finds them, and a back-test can count them in the
database), the payload the outcome's fields (``Outcome.facts``), how it was linked and where it
came from (file name and row). Nothing is ever updated: a correction is a new record.

**Idempotent.** Each record carries a fingerprint of its content — ``outcome:`` + SHA-256 of the
consultation id and the outcome's fields, not of who recorded it, from which file or row, or
how it was linked — in the ``batch_ref`` column, which is indexed and inside the record hash
(record format 2). An outcome whose fingerprint is already recorded (or met earlier in the same
call) is not recorded again: re-importing a file, or the same row in another file, adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import canonical
from engine.audit.errors import AuditRequestError
from engine.audit.models import records
from engine.audit.records import join_ids, split_ids
from engine.core import product_version
from engine.errors import FieldProblem
from engine.outcomes.model import Outcome, message

OUTCOME_KIND = "outcome"
FINGERPRINT_PREFIX = "outcome:"
RECORDING_ROLES = ("rep", "manager", "admin")
"""Who may record an outcome: anyone who consults or decides; an auditor reviews the trail and
records nothing in it."""
_LINK_COLUMNS = (
    records.c.id,
    records.c.kind,
    records.c.customer_id,
    records.c.modules,
    records.c.created_at,
    records.c.ruleset_version,
    records.c.ref_id,
)


def check_recording_role(role: str) -> str:
    if role not in RECORDING_ROLES:
        raise AuditRequestError(
            f"role: the role {role!r} may not record outcomes; allowed: "
            f"{', '.join(RECORDING_ROLES)} (an auditor reviews the trail, records nothing in it)"
        )
    return role


@dataclass(frozen=True)
class Who:
    """Who records, and through which channel (as for final decisions)."""

    actor: str
    role: str
    channel: str


@dataclass(frozen=True)
class Settled:
    """What became of one outcome: recorded as ``record_id``, already recorded as
    ``duplicate_of``, or refused with ``problems``."""

    record_id: int | None = None
    duplicate_of: int | None = None
    problems: tuple[FieldProblem, ...] = ()

    @property
    def status(self) -> str:
        if self.record_id is not None:
            return "recorded"
        return "duplicate" if self.duplicate_of is not None else "failed"


def fingerprint(consultation_id: int, outcome: Outcome) -> str:
    """The content fingerprint (see the module docstring): 72 characters, fits ``batch_ref``."""
    content = canonical({"consultation": consultation_id, "outcome": outcome.facts()})
    return FINGERPRINT_PREFIX + hashlib.sha256(content.encode("utf-8")).hexdigest()


def _record(conn: sa.Connection, record_id: int) -> Any:
    return conn.execute(sa.select(*_LINK_COLUMNS).where(records.c.id == record_id)).first()


def _latest_before(conn: sa.Connection, customer: str, module: str, day: date) -> Any:
    c = records.c
    query = (
        sa.select(*_LINK_COLUMNS)
        .where(
            c.kind == "consultation",
            c.customer_id == customer,
            c.modules.contains(f",{module},", autoescape=True),
            c.created_at < f"{day.isoformat()}T00:00:00.000000Z",
        )
        .order_by(c.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


class _Problems:
    """Problems of one outcome, told in ``lang`` (texts ``outcomes.problem.<kind>``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.found: list[FieldProblem] = []

    def add(self, where: str, given: object, text: str, /, **ctx: object) -> None:
        """A problem at field ``where``: ``outcomes.problem.<text>`` filled with ``ctx``."""
        self.found.append(FieldProblem(where, given, message(text, text, self.lang, ctx)))


def _consultation(conn: sa.Connection, outcome: Outcome, problems: _Problems) -> Any:
    """The linked consultation's row, or None with the problem noted."""
    if outcome.consultation_id is None:
        customer = str(outcome.customer_id)
        row = _latest_before(conn, customer, outcome.module, outcome.observed_at)
        if row is None:
            day = outcome.observed_at.isoformat()
            problems.add("customer_id", customer, "no_consultation_before", date=day)
        return row
    row = _record(conn, outcome.consultation_id)
    if row is None:
        problems.add("consultation_id", None, "unknown_consultation", id=outcome.consultation_id)
    elif row.kind != "consultation":
        problems.add("consultation_id", None, "not_consultation", id=row.id, kind=row.kind)
    elif outcome.customer_id is not None and outcome.customer_id != row.customer_id:
        recorded = row.customer_id or "—"
        problems.add(
            "customer_id", outcome.customer_id, "customer_mismatch", id=row.id, recorded=recorded
        )
    else:
        return row
    return None


def _against(conn: sa.Connection, outcome: Outcome, row: Any, problems: _Problems) -> None:
    """The checks of an outcome against its consultation (see the module docstring)."""
    modules = split_ids(row.modules)
    if outcome.module not in modules:
        shown = ", ".join(modules) or "—"
        problems.add("module", outcome.module, "module_not_concluded", id=row.id, modules=shown)
    recorded = str(row.created_at)[:10]
    for name in ("observed_at", "period_from"):
        when = getattr(outcome, name)
        if when is not None and when.isoformat() < recorded:
            problems.add(
                name, when.isoformat(), "before_consultation", id=row.id, recorded=recorded
            )
    if outcome.corrects is None:
        return
    earlier = _record(conn, outcome.corrects)
    if earlier is None:
        problems.add("corrects", None, "corrects_unknown", id=outcome.corrects)
    elif earlier.kind != OUTCOME_KIND:
        problems.add("corrects", None, "corrects_not_outcome", id=earlier.id, kind=earlier.kind)
    elif earlier.ref_id != row.id:
        problems.add(
            "corrects",
            None,
            "corrects_other",
            id=earlier.id,
            other=earlier.ref_id,
            consultation=row.id,
        )


def outcome_row(
    outcome: Outcome, consultation: Any, who: Who, source: dict[str, Any] | None
) -> dict[str, Any]:
    """The outcome record's columns (all but id, time and the chain)."""
    payload: dict[str, Any] = {
        "outcome": outcome.facts(),
        "linked_by": "consultation_id" if outcome.consultation_id is not None else "customer_id",
    }
    if source:
        payload["source"] = source
    return {
        "kind": OUTCOME_KIND,
        "actor": who.actor,
        "role": who.role,
        "channel": who.channel,
        "customer_id": consultation.customer_id,
        "modules": join_ids([outcome.module]),
        "rules": "",
        "decision": outcome.outcome,
        "override": None,
        "ref_id": consultation.id,
        "ruleset_version": consultation.ruleset_version,
        "product_version": product_version(),
        "payload": canonical(payload),
        "batch_ref": fingerprint(consultation.id, outcome),
    }


@dataclass
class Plan:
    """The rows to append and, for every outcome, where its answer comes from: ``("new", i)``
    the i-th row, ``("known", id)`` a record already there, ``("failed", problems)``."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    slots: list[tuple[str, Any]] = field(default_factory=list)

    def settled(self, ids: Sequence[int]) -> list[Settled]:
        """Each outcome's fate, given the ids the appended rows received."""
        found = []
        for what, value in self.slots:
            if what == "failed":
                found.append(Settled(problems=tuple(value)))
            elif what == "known":
                found.append(Settled(duplicate_of=value))
            elif what == "again":
                found.append(Settled(duplicate_of=ids[value]))
            else:
                found.append(Settled(record_id=ids[value]))
        return found


def _deduplicate(
    conn: sa.Connection, result: Plan, ready: list[tuple[int, dict[str, Any]]]
) -> None:
    """Fill the pending slots: a fingerprint already recorded, or met earlier in this call, is
    a duplicate; the others are the rows to append."""
    refs = [row["batch_ref"] for _, row in ready]
    query = sa.select(records.c.batch_ref, records.c.id).where(records.c.batch_ref.in_(refs))
    known = {ref: int(found) for ref, found in conn.execute(query)} if refs else {}
    first: dict[str, int] = {}
    for slot, row in ready:
        ref = row["batch_ref"]
        if ref in known:
            result.slots[slot] = ("known", known[ref])
        elif ref in first:
            result.slots[slot] = ("again", first[ref])
        else:
            first[ref] = len(result.rows)
            result.slots[slot] = ("new", len(result.rows))
            result.rows.append(row)


def plan(
    conn: sa.Connection,
    outcomes: Sequence[Outcome],
    who: Who,
    lang: str = "en",
    sources: Sequence[dict[str, Any] | None] | None = None,
) -> Plan:
    """Link and check every outcome and prepare the rows of those not recorded yet (the caller
    holds the append lock, so nothing is recorded in between)."""
    result = Plan()
    ready: list[tuple[int, dict[str, Any]]] = []
    for index, outcome in enumerate(outcomes):
        problems = _Problems(lang)
        consultation = _consultation(conn, outcome, problems)
        if consultation is not None:
            _against(conn, outcome, consultation, problems)
        if problems.found:
            result.slots.append(("failed", problems.found))
            continue
        source = sources[index] if sources else None
        ready.append((len(result.slots), outcome_row(outcome, consultation, who, source)))
        result.slots.append(("pending", None))
    _deduplicate(conn, result, ready)
    return result


__all__ = [
    "FINGERPRINT_PREFIX",
    "OUTCOME_KIND",
    "RECORDING_ROLES",
    "Plan",
    "Settled",
    "Who",
    "check_recording_role",
    "fingerprint",
    "outcome_row",
    "plan",
]
