"""The service's writes to the audit trail, each made only once the request's deadline is
claimed (``deadline``): a consultation and a final decision (outcomes: ``outcomes``).

A consultation is ``engine.api.consult`` with the claim as its ``before_record`` step: the slow
part (the live policy, inference with the what-if search, the shadow answers of a draft in
shadow) comes first, and a consultation whose caller was answered 504 meanwhile is never
written.
"""

from __future__ import annotations

from engine.api import consult
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore
from engine.result import Result
from engine.service.deadline import Deadline
from engine.service.errors import ServiceError
from engine.users import User
from knowledge_base.facts import Case


def consult_and_record(
    case: Case, target: AuditStore, user: User, lang: str, deadline: Deadline
) -> Result:
    """The answer ``consult --json`` gives, recorded with ``user`` as actor and channel api,
    unless the deadline was lost before the write (then the 504 ``ServiceError``)."""
    return consult(
        case,
        lang=lang,
        actor=user.username,
        role=user.role,
        record=True,
        channel="api",
        store=target,
        before_record=deadline.claim_or_refuse,
    )


def decide(
    target: AuditStore, record_id: int, wanted: DecisionRequest, user: User, deadline: Deadline
) -> AuditRecord:
    """Record a final decision on consultation ``record_id`` under the credit authority (a 422
    when it may not be taken), unless the deadline was lost first (a 504)."""
    deadline.claim_or_refuse()
    try:
        return target.record_decision(
            record_id, wanted, actor=user.username, role=user.role, channel="api"
        )
    except AuditRequestError as exc:
        raise ServiceError(422, "decision_refused", "", {}, str(exc)) from exc


__all__ = ["consult_and_record", "decide"]
