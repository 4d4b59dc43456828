"""What one audit record holds, how a consultation becomes one, and how records are filtered.

Filter columns are derived from the consultation when it is recorded (and hashed with it):

- ``customer_id``: ``case.customer.id`` (none for a deal coached without a customer);
- ``modules``: the modules of the rules that fired, in the rule base's module order;
- ``rules``: the ids of the rules that fired, in firing order (a rule firing twice is listed
  twice, so statistics count firings);
- ``decision``: the ``credit_decision`` conclusion if the credit module concluded one, and for
  a final decision record the decision the manager took.

``modules`` and ``rules`` are stored as ``,a,b,`` so that "did rule CR-012 fire" is a portable
``LIKE '%,CR-012,%'`` on either backend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import canonical
from engine.audit.decisions import DECISION_TOPIC
from engine.audit.errors import AuditRequestError
from engine.audit.models import records
from engine.result import Result
from knowledge_base.facts import Case
from knowledge_base.schema import MODULES
from rules import Rule

KINDS = ("consultation", "decision", "outcome", "policy")
"""Kinds of record, all in the one chain. A later kind (an outcome, a policy event) is added here
(16 characters at most) with its texts (``audit.kind.<kind>``, both languages), a row builder
like ``consultation_row`` and an ``AuditStore`` method appending through ``_append``: hashing,
signing, ``verify``, anchors and export need no change. ``_append`` refuses any other kind."""
CHANNELS = ("cli", "api", "ui", "batch", "demo")
RULE_ID = re.compile(r"^[A-Z]{2}-\d{3}$")


def join_ids(items: list[str] | tuple[str, ...]) -> str:
    return f",{','.join(items)}," if items else ""


def split_ids(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


@dataclass(frozen=True)
class AuditRecord:
    """One stored record; ``payload`` is None in listings that leave it out."""

    id: int
    kind: str
    created_at: str
    actor: str
    role: str
    channel: str
    customer_id: str | None
    modules: tuple[str, ...]
    rules: tuple[str, ...]
    decision: str | None
    override: bool | None
    ref_id: int | None
    ruleset_version: str
    product_version: str
    prev_hash: str
    hash: str
    payload: dict[str, Any] | None = None
    key_id: str | None = None
    """The key whose HMAC the record carries; None for one recorded before keys (schema 3)."""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any], payload: dict[str, Any] | None = None) -> AuditRecord:
        skip = ("modules", "rules", "payload", "key_id")
        plain = {k: row[k] for k in cls.__dataclass_fields__ if k not in skip}
        plain["key_id"] = row.get("key_id")  # not in listings made without it
        return cls(
            **plain,
            modules=split_ids(row["modules"]),
            rules=split_ids(row["rules"]),
            payload=payload,
        )

    def summary(self) -> dict[str, Any]:
        """JSON-ready, without the payload."""
        data = asdict(self)
        data.pop("payload")
        data["modules"], data["rules"] = list(self.modules), list(self.rules)
        return data

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "payload": self.payload}


def compact_result(result: Result) -> dict[str, Any]:
    """What the audit keeps of a result: versions, conclusions (topic, value, rules, score)
    and the full trace. Explanations, catalogue texts, reasons and "what would change" are
    derived: replay and ``audit show`` regenerate them from the stored rule base. Keeping them
    would multiply a record's size by three to ten (89 KB for a refused credit request)."""
    head = result.model_dump(
        mode="json", include={"ruleset_version", "product_version", "lang", "trace"}
    )
    conclusions = [
        {"topic": c.topic, "value": c.value, "rules": list(c.rules), "score": c.score}
        for c in result.conclusions
    ]
    return {**head, "conclusions": conclusions}


def consultation_row(
    result: Result,
    case: Case,
    rules: dict[str, Rule],
    actor: str,
    role: str,
    channel: str,
    batch_ref: str | None = None,
) -> dict[str, Any]:
    """The columns of a consultation record (all but id, time and the chain)."""
    fired = [step.rule for step in result.trace]
    used = {rules[r].module for r in fired if r in rules}
    decision = result.value(DECISION_TOPIC)
    payload: dict[str, Any] = {
        "case": case.model_dump(mode="json"),
        "lang": result.lang,
        "result": compact_result(result),
    }
    if batch_ref is not None:
        payload["batch"] = batch_ref
    if result.shadow is not None:  # answers of a policy in shadow: recorded, never shown
        payload["shadow"] = result.shadow
    return {
        "kind": "consultation",
        "actor": actor,
        "role": role,
        "channel": channel,
        "customer_id": case.customer.id if case.customer is not None else None,
        "modules": join_ids([m for m in MODULES if m in used]),
        "rules": join_ids(fired),
        "decision": None if decision is None else str(decision),
        "override": None,
        "ref_id": None,
        "ruleset_version": result.ruleset_version,
        "product_version": result.product_version,
        "payload": canonical(payload),
        "batch_ref": batch_ref,
    }


def _moment(text: str, field: str, end: bool) -> str:
    """A date (whole day) or an ISO date-time, as the stored UTC text form."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            moment = start + timedelta(days=1) if end else start
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    except ValueError as exc:
        raise AuditRequestError(
            f"{field}: {text!r} is not a date (YYYY-MM-DD) or an ISO date-time"
        ) from exc
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class RecordFilter:
    """Which records: ``since``/``until`` are dates (inclusive) or ISO date-times, UTC."""

    since: str | None = None
    until: str | None = None
    actor: str | None = None
    customer: str | None = None
    module: str | None = None
    decision: str | None = None
    rule: str | None = None
    kind: str | None = None

    def __post_init__(self) -> None:
        if self.module is not None and self.module not in MODULES:
            raise AuditRequestError(
                f"module: {self.module!r} is not a module; allowed: {', '.join(MODULES)}"
            )
        if self.rule is not None and not RULE_ID.match(self.rule):
            raise AuditRequestError(f"rule: {self.rule!r} is not a rule id (like CR-012)")
        if self.kind is not None and self.kind not in KINDS:
            raise AuditRequestError(f"kind: {self.kind!r}; allowed: {', '.join(KINDS)}")

    def clauses(self) -> list[sa.ColumnElement[bool]]:
        c = records.c
        found: list[sa.ColumnElement[bool]] = []
        if self.since:
            found.append(c.created_at >= _moment(self.since, "since", end=False))
        if self.until:
            bound = _moment(self.until, "until", end=True)
            found.append(c.created_at < bound if len(self.until) == 10 else c.created_at <= bound)
        for column, value in (
            (c.actor, self.actor),
            (c.customer_id, self.customer),
            (c.decision, self.decision),
            (c.kind, self.kind),
        ):
            if value is not None:
                found.append(column == value)
        if self.module:
            found.append(c.modules.contains(f",{self.module},", autoescape=True))
        if self.rule:
            found.append(c.rules.contains(f",{self.rule},", autoescape=True))
        return found


__all__ = [
    "CHANNELS",
    "KINDS",
    "AuditRecord",
    "RecordFilter",
    "consultation_row",
    "join_ids",
    "split_ids",
]
