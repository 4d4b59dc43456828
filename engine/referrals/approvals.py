"""Confirming or rejecting a decision that waits for a second approver.

Only someone other than the proposer, whose authority level is at least the one the proposal
names (``knowledge_base/authority.yaml``), may confirm or reject it, with a reason. A
confirmation is a decision record repeating the proposal's terms with status final (it is what
stands); a rejection records why and sends the request back to the referral queue. Both are
appended in one transaction that first checks, inside the lock, that the proposal is still open.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from engine.audit.authority import FINAL, REJECTED, open_proposal, status
from engine.audit.chain import canonical
from engine.audit.errors import AuditRequestError
from engine.audit.models import records
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore
from engine.core import product_version
from engine.policy.checks import check_reason
from knowledge_base import load_knowledge
from knowledge_base.authority import load_authority

CONFIRM, REJECT = "confirm", "reject"


class ReferralError(AuditRequestError):
    """A confirmation or rejection that is refused (nothing was recorded)."""

    code = "referral_refused"


def refuse(key: str, lang: str, **values: object) -> ReferralError:
    return ReferralError(load_knowledge().text(f"referrals.error.{key}", lang, **values))


@dataclass(frozen=True)
class Who:
    actor: str
    role: str


def _proposal(store: AuditStore, proposal_id: int, lang: str) -> AuditRecord:
    try:
        found = store.get(proposal_id)
    except AuditRequestError:
        raise refuse("no_proposal", lang, id=proposal_id) from None
    if found.kind != "decision" or status(found) != "pending":
        raise refuse("no_proposal", lang, id=proposal_id)
    return found


def _check_who(proposal: AuditRecord, who: Who, lang: str) -> None:
    if who.actor == proposal.actor:
        raise refuse("own_proposal", lang, actor=who.actor, id=proposal.id)
    authority = load_authority()
    needed = str((proposal.payload or {})["second"]["role"])
    rank, required = authority.rank(who.role), authority.rank(needed)
    if rank is None or required is None or rank < required:
        role = load_knowledge().text(f"memo.role.{needed}", lang)
        raise refuse("authority", lang, actor=who.actor, id=proposal.id, role=role)


def _row(proposal: AuditRecord, who: Who, step: str, reason: str) -> dict[str, object]:
    terms = {k: v for k, v in (proposal.payload or {}).items() if k not in ("status", "second")}
    confirmed = step == CONFIRM
    body = {
        **terms,
        "status": FINAL if confirmed else REJECTED,
        ("confirms" if confirmed else "rejects"): proposal.id,
        "proposed_by": proposal.actor,
        "second_reason": reason,
    }
    return {
        "kind": "decision",
        "actor": who.actor,
        "role": who.role,
        "channel": "cli",
        "customer_id": proposal.customer_id,
        "modules": ",credit,",
        "rules": "",
        "decision": terms["decision"] if confirmed else None,
        "override": terms["override"] if confirmed else None,
        "ref_id": proposal.ref_id,
        "ruleset_version": proposal.ruleset_version,
        "product_version": product_version(),
        "payload": canonical(body),
    }


def _still_open(conn: sa.Connection, proposal: AuditRecord) -> bool:
    query = (
        sa.select(records)
        .where(records.c.kind == "decision", records.c.ref_id == proposal.ref_id)
        .order_by(records.c.id)
    )
    decisions = [
        AuditRecord.from_row(r._mapping, json.loads(r.payload)) for r in conn.execute(query)
    ]
    found = open_proposal(decisions)
    return found is not None and found.id == proposal.id


def second_approval(
    store: AuditStore,
    proposal_id: int,
    step: str,
    who: Who,
    reason: str,
    *,
    channel: str = "cli",
    lang: str = "en",
) -> AuditRecord:
    """Confirm (``CONFIRM``) or reject (``REJECT``) a proposal; the record appended."""
    why = check_reason(reason, lang)
    proposal = _proposal(store, proposal_id, lang)
    _check_who(proposal, who, lang)
    row = {**_row(proposal, who, step, why), "channel": channel}
    with store._write() as conn:
        if not _still_open(conn, proposal):
            raise refuse("closed", lang, id=proposal_id)
        [stored] = store._append(conn, [row])
    return AuditRecord.from_row(stored, json.loads(str(stored["payload"])))


__all__ = ["CONFIRM", "REJECT", "ReferralError", "Who", "second_approval"]
