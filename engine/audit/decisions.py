"""A manager's final decision on a credit consultation, checked against the recommendation.

The recommendation is what the consultation concluded: the credit module's ``credit_decision``
(its values come from the recorded rule base's topic), ``recommended_limit`` and
``recommended_term_days``. A decision that differs from it in any of the three is an override,
and an override needs a reason. A limit or term the manager does not give is taken from the
recommendation when the decision is the recommended one, and is "none" otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.audit.errors import AuditRequestError

DECISION_TOPIC = "credit_decision"
LIMIT_TOPIC = "recommended_limit"
TERM_TOPIC = "recommended_term_days"
"""The credit module's topics the audit trail reads (the link between the two, named once)."""


@dataclass(frozen=True)
class Terms:
    """A decision with its limit (currency units) and payment term (days), either may be none."""

    decision: str
    limit: float | int | None = None
    term_days: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "limit": self.limit, "term_days": self.term_days}


@dataclass(frozen=True)
class DecisionRequest:
    """What a manager decided; ``reason`` is mandatory when it overrides the recommendation."""

    decision: str
    limit: float | int | None = None
    term_days: int | None = None
    reason: str | None = None


def _number(value: Any) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def recommendation(result: dict[str, Any]) -> Terms | None:
    """The credit recommendation in a recorded result (its JSON form), or None if none."""
    values = {c["topic"]: c["value"] for c in result.get("conclusions", ())}
    if values.get(DECISION_TOPIC) is None:
        return None
    term = _number(values.get(TERM_TOPIC))
    return Terms(
        decision=str(values[DECISION_TOPIC]),
        limit=_number(values.get(LIMIT_TOPIC)),
        term_days=None if term is None else int(term),
    )


def _checked(request: DecisionRequest, allowed: tuple[str, ...]) -> None:
    if allowed and request.decision not in allowed:
        raise AuditRequestError(
            f"decision: {request.decision!r} is not a credit decision; "
            f"allowed: {', '.join(allowed)}"
        )
    if request.limit is not None and request.limit < 0:
        raise AuditRequestError(f"limit: must be 0 or more, got {request.limit}")
    if request.term_days is not None and request.term_days < 0:
        raise AuditRequestError(f"term days: must be 0 or more, got {request.term_days}")


def _show(value: object) -> str:
    if value is None:
        return "none"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def settle(
    request: DecisionRequest, recommended: Terms, allowed: tuple[str, ...]
) -> dict[str, Any]:
    """The decision record's payload; refuses an override without a reason, naming what differs."""
    _checked(request, allowed)
    same = request.decision == recommended.decision
    taken = Terms(
        decision=request.decision,
        limit=_number(
            request.limit if request.limit is not None or not same else recommended.limit
        ),
        term_days=request.term_days
        if request.term_days is not None or not same
        else recommended.term_days,
    )
    differences = [
        f"{name} {_show(getattr(recommended, attr))} → {_show(getattr(taken, attr))}"
        for name, attr in (("decision", "decision"), ("limit", "limit"), ("term", "term_days"))
        if getattr(recommended, attr) != getattr(taken, attr)
    ]
    reason = (request.reason or "").strip()
    if differences and not reason:
        raise AuditRequestError(
            "reason: required, because the decision differs from the recommendation ("
            + "; ".join(differences)
            + ")"
        )
    return {
        **taken.as_json(),
        "reason": reason or None,
        "override": bool(differences),
        "differences": differences,
        "recommended": recommended.as_json(),
    }


__all__ = [
    "DECISION_TOPIC",
    "LIMIT_TOPIC",
    "TERM_TOPIC",
    "DecisionRequest",
    "Terms",
    "recommendation",
    "settle",
]
