"""Second approval of final credit decisions (issue 22): when a decision needs someone with a
higher authority, which decision stands, and who may confirm.

A decision that needs a second approver (``needs_second``, by ``knowledge_base/authority.yaml``)
is recorded as a proposal (``status`` pending, no ``decision`` column: it decides nothing yet).
A confirmation by someone else with the required rank is the record that makes it final: it
repeats the proposal's terms, so "the last final decision stands" still reads one record. A
rejection sends the consultation back to the referral queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.audit.records import AuditRecord
from knowledge_base.authority import Authority, load_authority

PENDING, FINAL, REJECTED = "pending", "final", "rejected"
DECLINE = "decline"


def needs_second(body: dict[str, Any], role: str, authority: Authority) -> list[str]:
    """Why a settled decision (``decisions.settle``'s payload) needs a second approver: codes
    ``decline_override``, ``above_multiple``, ``above_own_limit``; empty when it stands alone."""
    rule, recommended, limit = authority.second_approval, body["recommended"], body["limit"]
    found = []
    if rule.decline_override and recommended["decision"] == DECLINE != body["decision"]:
        found.append("decline_override")
    base = recommended.get("limit")
    if limit and base and limit > rule.limit_multiple * base:
        found.append("above_multiple")
    rank = authority.rank(role)
    own = authority.levels[rank].own_limit if rank is not None else 0
    if own is not None and limit is not None and limit > own:
        found.append("above_own_limit")
    return found


def required_rank(body: dict[str, Any], role: str, authority: Authority) -> int:
    """The lowest level that may confirm: above the proposer's (the top level: that level), and
    one whose own limit covers the decision's limit."""
    proposer = authority.rank(role) or 0
    top = len(authority.levels) - 1
    needed = min(proposer + 1, top)
    limit = body.get("limit")
    while needed < top and limit is not None:
        own = authority.levels[needed].own_limit
        if own is None or limit <= own:
            break
        needed += 1
    return needed


def authorised(body: dict[str, Any], role: str) -> dict[str, Any]:
    """The settled decision, marked as a proposal when it needs a second approver: why, and
    the lowest role that may confirm it."""
    authority = load_authority()
    reasons = needs_second(body, role, authority)
    if not reasons:
        return body
    confirmer = authority.levels[required_rank(body, role, authority)].role
    return {**body, "status": PENDING, "second": {"needs": reasons, "role": confirmer}}


def status(record: AuditRecord) -> str:
    """A decision record's status; records from before second approvals are final."""
    return str((record.payload or {}).get("status", FINAL))


def standing(decisions: Sequence[AuditRecord]) -> AuditRecord | None:
    """The decision that stands on a consultation: the last final one (a confirmation carries
    its proposal's terms), or None while nothing is final."""
    finals = [d for d in decisions if status(d) == FINAL]
    return finals[-1] if finals else None


def open_proposal(decisions: Sequence[AuditRecord]) -> AuditRecord | None:
    """The proposal waiting for a second approver, if the last step is one."""
    closed = {(d.payload or {}).get(key) for d in decisions for key in ("confirms", "rejects")}
    waiting = [d for d in decisions if status(d) == PENDING and d.id not in closed]
    return waiting[-1] if waiting else None


__all__ = [
    "FINAL",
    "PENDING",
    "REJECTED",
    "authorised",
    "needs_second",
    "open_proposal",
    "required_rank",
    "standing",
    "status",
]
