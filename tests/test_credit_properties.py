"""Properties of the credit module over generated cases (hypothesis).

Monotone: everything else equal, a worse payment record, more overdue, higher leverage or an
adverse report never gives a better decision or a higher limit, and a larger request never a
better decision. Bounded: the limit never exceeds the request. Explained: every decision
below approve carries 1-4 reasons tied to rules that fired. Complete: every one-valued credit
topic the decision depends on gets exactly one value (no gaps, no contradictions).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import default_engine
from engine.advice.reasons import principal_reasons
from engine.firing import Firing
from engine.intake import parse_case
from tests.strategies import credit_cases

ENGINE = default_engine()
DECISIONS = list(ENGINE.compiled.knowledge.topics["credit_decision"].value_ids())
"""Best first: approve, approve_with_conditions, refer, decline."""
ONE_VALUED = [
    "payment_behaviour",
    "leverage",
    "business_tenure",
    "financial_outlook",
    "exposure",
    "adverse_reports",
    "risk_score",
    "risk_level",
    "risk_verdict",
    "credit_appetite",
    "basic_information",
    "credit_records",
    "independent_check",
    "information_sufficiency",
    "credit_decision",
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def infer(case: dict[str, Any]) -> Firing:
    return ENGINE.infer(parse_case(case))


def values(firing: Firing, topic: str) -> list[Any]:
    return [d.value for d in firing.derived.values() if d.topic == topic]


def outcome(case: dict[str, Any]) -> tuple[int, float]:
    """(goodness of the decision: higher is better, recommended limit or 0)."""
    firing = infer(case)
    decision = values(firing, "credit_decision")[0]
    limit = values(firing, "recommended_limit")
    return len(DECISIONS) - DECISIONS.index(decision), float(limit[0]) if limit else 0.0


def with_credit(case: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(case)
    out["credit"].update(changes)
    return out


def assert_not_better(base: dict[str, Any], worse: dict[str, Any]) -> None:
    (base_rank, base_limit), (worse_rank, worse_limit) = outcome(base), outcome(worse)
    assert worse_rank <= base_rank, (base["credit"], worse["credit"])
    assert worse_limit <= base_limit, (base["credit"], worse["credit"])


@PROPERTY
@given(credit_cases(), st.data())
def test_a_worse_payment_record_never_gives_a_better_decision_or_limit(
    case: dict[str, Any], data: st.DataObject
) -> None:
    on_time = data.draw(st.floats(0, 100, allow_nan=False), label="on_time")
    longest = data.draw(st.integers(0, 400), label="longest")
    base = with_credit(case, on_time_payment_pct=on_time, longest_days_overdue=longest)
    field = data.draw(st.sampled_from(["on_time", "longest", "bad_debts"]), label="field")
    if field == "on_time":
        worse = with_credit(base, on_time_payment_pct=data.draw(st.floats(0, on_time)))
    elif field == "longest":
        worse = with_credit(base, longest_days_overdue=data.draw(st.integers(longest, 500)))
    else:
        more = data.draw(st.integers(base["credit"]["bad_debts_count"], 10))
        worse = with_credit(base, bad_debts_count=more)
    assert_not_better(base, worse)


@PROPERTY
@given(credit_cases(), st.integers(0, 400), st.integers(0, 1_000_000))
def test_more_overdue_never_gives_a_better_decision_or_limit(
    case: dict[str, Any], extra_days: int, extra_amount: int
) -> None:
    credit = case["credit"]
    worse = with_credit(
        case,
        current_days_overdue=min(credit["current_days_overdue"] + extra_days, 36_500),
        overdue_amount=credit["overdue_amount"] + extra_amount,
    )
    assert_not_better(case, worse)


@PROPERTY
@given(credit_cases(), st.floats(0, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False))
def test_higher_leverage_never_gives_a_better_decision_or_limit(
    case: dict[str, Any], first: float, second: float
) -> None:
    low, high = sorted((first, second))
    assert_not_better(with_credit(case, debt_ratio_pct=low), with_credit(case, debt_ratio_pct=high))


@PROPERTY
@given(
    credit_cases(),
    st.sampled_from(["bank_report", "agency_report", "organisation_report", "internal_report"]),
    st.sampled_from(["not_done", "favourable", "neutral"]),
)
def test_an_adverse_report_never_gives_a_better_decision_or_limit(
    case: dict[str, Any], channel: str, before: str
) -> None:
    base = with_credit(case, **{channel: before})
    assert_not_better(base, with_credit(case, **{channel: "adverse"}))


@PROPERTY
@given(credit_cases(), st.integers(0, 10**9))
def test_a_larger_request_never_gives_a_better_decision(case: dict[str, Any], more: int) -> None:
    larger = min(case["credit"]["requested_amount"] + more, 10**12)
    base_rank, _ = outcome(case)
    larger_rank, _ = outcome(with_credit(case, requested_amount=larger))
    assert larger_rank <= base_rank


@PROPERTY
@given(credit_cases())
def test_limit_and_term_are_bounded_by_the_request(case: dict[str, Any]) -> None:
    firing = infer(case)
    decision = values(firing, "credit_decision")[0]
    limits, terms = values(firing, "recommended_limit"), values(firing, "recommended_term_days")
    if decision in ("approve", "approve_with_conditions"):
        assert 0 < limits[0] <= case["credit"]["requested_amount"]
        assert 0 < terms[0] <= case["credit"]["requested_term_days"]
    else:
        assert limits == [] and terms == []


@PROPERTY
@given(credit_cases())
def test_every_credit_topic_gets_exactly_one_value(case: dict[str, Any]) -> None:
    firing = infer(case)
    for topic in ONE_VALUED:
        assert len(values(firing, topic)) == 1, topic


@PROPERTY
@given(credit_cases())
def test_conditions_exactly_when_approved_with_conditions(case: dict[str, Any]) -> None:
    firing = infer(case)
    decision = values(firing, "credit_decision")[0]
    conditions = values(firing, "credit_condition")
    assert bool(conditions) == (decision == "approve_with_conditions")
    if values(firing, "information_sufficiency") == ["sufficient"]:
        assert values(firing, "investigation") == []
    if values(firing, "information_sufficiency") == ["insufficient"]:
        assert values(firing, "investigation") != []


@PROPERTY
@given(credit_cases(), st.sampled_from(["en", "zh"]))
def test_every_decision_below_approve_has_one_to_four_reasons(
    case: dict[str, Any], lang: str
) -> None:
    firing = infer(case)
    decision = values(firing, "credit_decision")[0]
    if decision == "approve":
        return
    reasons = principal_reasons(firing, ENGINE.explainer(lang), "credit_decision", decision)
    assert 1 <= len(reasons) <= 4
    fired = {step.rule for step in firing.steps}
    scores = [r.score for r in reasons]
    assert scores == sorted(scores, reverse=True) and min(scores) > 0
    for reason in reasons:
        assert reason.rule in fired
        assert reason.text.startswith(reason.rule)
        assert reason.facts  # the values the rule tested
