"""``POST /v1/outcomes``: what happened after consultations, from the CRM or the ERP.

The body is ``{"outcomes": [...]}``, each item an outcome as ``sales-expert outcomes import``
reads a row (``engine.outcomes.model.Outcome``: linked to its consultation by id, or by
customer). Every item comes back in order with its fate: recorded (its record id), duplicate
(the record it repeats) or failed (its problems, field by field, in the caller's language), as
the import tells them; the valid ones are recorded in one transaction.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from engine.audit.store import AuditStore
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.records import RECORDING_ROLES, Who
from engine.service.access import Caller, language, require, store
from engine.service.deadline import Deadline, deadline_of

MAX_OUTCOMES = 1000
"""Outcomes in one request; a larger file goes through ``sales-expert outcomes import``."""


class OutcomesBody(BaseModel):
    outcomes: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_OUTCOMES)


def _fate(settled: Any) -> dict[str, Any]:
    return {
        "status": settled.status,
        "record_id": settled.record_id,
        "duplicate_of": settled.duplicate_of,
        "problems": [
            {"field": p.field, "value": p.value, "message": p.message} for p in settled.problems
        ],
    }


def settle(
    target: AuditStore, items: list[dict[str, Any]], who: Who, lang: str, deadline: Deadline
) -> list[dict[str, Any]]:
    """The fate of each item, the valid ones recorded in one transaction once the deadline is
    claimed (a 504 ``ServiceError`` and nothing recorded when it was lost first)."""
    parsed = [parse_outcome(item, lang) for item in items]
    valid = [p for p in parsed if isinstance(p, Outcome)]
    deadline.claim_or_refuse()
    settled = iter(target.record_outcomes(valid, who, lang) if valid else [])
    return [
        _fate(next(settled))
        if isinstance(p, Outcome)
        else {
            "status": "failed",
            "record_id": None,
            "duplicate_of": None,
            "problems": [{"field": f.field, "value": f.value, "message": f.message} for f in p],
        }
        for p in parsed
    ]


def outcome_routes(app: FastAPI) -> None:
    @app.post("/v1/outcomes")
    def post_outcomes(body: OutcomesBody, request: Request, user: Caller) -> dict[str, Any]:
        require(user, RECORDING_ROLES, request)
        who = Who(user.username, user.role, "api")
        fates = settle(store(), body.outcomes, who, language(request), deadline_of(request))
        return {"outcomes": fates}


__all__ = ["MAX_OUTCOMES", "outcome_routes", "settle"]
