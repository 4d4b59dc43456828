"""What a policy draft is: a named overlay on a rule-base version, made of dated changes.

A change sets a parameter's value, switches a rule off or switches it back on; each carries who
made it (actor and role), when (UTC) and why. Changes are never edited: undoing one is a later
change, and the draft's effective state is the last change of each target (``values``,
``rules_off``). The tables are ``policy_drafts`` and ``policy_changes`` of the audit database
(``engine.audit.models``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PARAMETER, RULE_OFF, RULE_ON = "parameter", "rule_off", "rule_on"
CHANGE_KINDS = (PARAMETER, RULE_OFF, RULE_ON)
OPEN = "draft"
"""The status of a draft being drafted, the only one that takes changes."""
SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
PUBLISHED, ROLLED_BACK = "published", "rolled_back"
STATUSES = (OPEN, SUBMITTED, APPROVED, REJECTED, PUBLISHED, ROLLED_BACK)
SUBMIT, APPROVE, REJECT, PUBLISH, ROLLBACK = "submit", "approve", "reject", "publish", "rollback"
SHADOW, SHADOW_STOP = "shadow", "shadow_stop"
EVENTS = (SUBMIT, APPROVE, REJECT, PUBLISH, ROLLBACK, SHADOW, SHADOW_STOP)
"""The steps of a draft's life after drafting (``engine.policy.lifecycle``): each is a row of
``policy_events`` and an audit record of kind ``policy``."""


@dataclass(frozen=True)
class Who:
    """Who makes a draft or a change: a proved actor and their role."""

    actor: str
    role: str
    channel: str = "cli"
    """Where the request came from (cli, ui, api): the audit record of a step says so."""


@dataclass(frozen=True)
class Pending:
    """A change checked and about to be stored: its sequence number, time and author are
    given when it is written, inside the lock."""

    kind: str
    target: str
    value: float | None
    reason: str


@dataclass(frozen=True)
class Change:
    """One stored change of a draft; ``seq`` numbers a draft's changes from 1."""

    seq: int
    at: str
    actor: str
    role: str
    kind: str
    target: str
    value: float | None
    reason: str

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Change:
        value = row["value"]
        return cls(
            seq=int(row["seq"]),
            at=str(row["at"]),
            actor=str(row["actor"]),
            role=str(row["role"]),
            kind=str(row["kind"]),
            target=str(row["target"]),
            value=None if value is None else float(value),
            reason=str(row["reason"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "kind": self.kind,
            "target": self.target,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Draft:
    """A stored draft with its changes in order."""

    id: int
    name: str
    base_version: str
    created_at: str
    author: str
    role: str
    status: str
    reason: str
    changes: tuple[Change, ...] = ()

    @property
    def last_seq(self) -> int:
        return self.changes[-1].seq if self.changes else 0

    @property
    def values(self) -> dict[str, float]:
        """The effective parameter values: the last value each changed parameter was set to."""
        found: dict[str, float] = {}
        for change in self.changes:
            if change.kind == PARAMETER and change.value is not None:
                found[change.target] = change.value
        return found

    @property
    def rules_off(self) -> frozenset[str]:
        """The rules whose last change switched them off."""
        off: set[str] = set()
        for change in self.changes:
            if change.kind == RULE_OFF:
                off.add(change.target)
            elif change.kind == RULE_ON:
                off.discard(change.target)
        return frozenset(off)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "base_version": self.base_version,
            "created_at": self.created_at,
            "author": self.author,
            "role": self.role,
            "reason": self.reason,
            "changes": [c.to_json() for c in self.changes],
            "effective": {"parameters": self.values, "rules_off": sorted(self.rules_off)},
        }


@dataclass(frozen=True)
class Event:
    """One stored step of a draft's life; a publication or a rollback also holds the policy it
    made live (``values``, ``rules_off``) and the rule-base versions after and before it."""

    id: int
    draft: str
    at: str
    actor: str
    role: str
    event: str
    reason: str
    record_id: int
    version: str | None = None
    previous_version: str | None = None
    values: Mapping[str, float] | None = None
    rules_off: frozenset[str] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "draft": self.draft,
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "event": self.event,
            "reason": self.reason,
            "audit_record": self.record_id,
        }
        if self.version is not None:
            data["version"] = self.version
            data["previous_version"] = self.previous_version
            data["parameters"] = dict(self.values or {})
            data["rules_off"] = sorted(self.rules_off or ())
        return data


__all__ = [
    "APPROVE",
    "APPROVED",
    "CHANGE_KINDS",
    "EVENTS",
    "OPEN",
    "PARAMETER",
    "PUBLISH",
    "PUBLISHED",
    "REJECT",
    "REJECTED",
    "ROLLBACK",
    "ROLLED_BACK",
    "RULE_OFF",
    "RULE_ON",
    "SHADOW",
    "SHADOW_STOP",
    "STATUSES",
    "SUBMIT",
    "SUBMITTED",
    "Change",
    "Draft",
    "Event",
    "Pending",
    "Who",
]
