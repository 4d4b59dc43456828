"""The credit policy's promises to a credit manager, checked on generated cases (hypothesis).

- Missing information is never better than mildly bad information: for every optional credit
  input, leaving it out gives a risk score at least as high and a decision no better than the
  mildest adverse value of that input (its first band worse than the best one).
- Security is kept apart from default risk: a guarantee or collateral never lowers the risk
  level and never lifts a referral or a decline; it may only enlarge the limit.
- No cliffs: one more day late (in the record, now, or on average), one more short delay, one
  month more recent, moves the decision by one level at most; one more invoice of any kind
  never moves it from approve straight to decline.
- Monotone in the payment pattern: more or later late invoices, more days beyond terms, a
  worsening trend or a more recent delay never give a better decision or limit.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import default_engine
from engine.intake import parse_case
from knowledge_base.facts.credit import BUCKETS
from tests.strategies import credit_cases

ENGINE = default_engine()
KB = ENGINE.compiled.knowledge
DECISIONS = list(KB.topics["credit_decision"].value_ids())
"""Best first: approve, approve_with_conditions, refer, decline."""
INCOME_MAX = 10**9
"""The largest monthly income the credit section accepts."""
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Credit = dict[str, Any]


def outcome(case: dict[str, Any]) -> tuple[int, float, float]:
    """(rank of the decision, 0 best; risk score; recommended limit or 0)."""
    firing = ENGINE.infer(parse_case(case))
    found = {d.topic: d.value for d in firing.derived.values()}
    limit = found.get("recommended_limit")
    return DECISIONS.index(found["credit_decision"]), found["risk_score"], limit or 0.0


def changed(case: dict[str, Any], change: Callable[[Credit], None]) -> dict[str, Any]:
    out = copy.deepcopy(case)
    change(out["credit"])
    return out


def _set(**values: Any) -> Callable[[Credit], None]:
    return lambda credit: credit.update(values)


def _late_12m_mild(credit: Credit) -> None:
    """Three short delays this year: the fewest that make the late-invoice pattern fair."""
    for bucket in BUCKETS:
        credit[f"late_12m_{bucket}"] = 3 if bucket == "1_30" else 0
        credit.pop(f"late_24m_{bucket}", None)


def _late_12m_missing(credit: Credit) -> None:
    for window in ("12m", "24m"):
        for bucket in BUCKETS:
            credit.pop(f"late_{window}_{bucket}", None)


def _late_24m_mild(credit: Credit) -> None:
    """The 12-month counts (none if not given) and one short delay in the year before."""
    for bucket in BUCKETS:
        recent = credit.get(f"late_12m_{bucket}") or 0
        credit[f"late_12m_{bucket}"] = recent
        credit[f"late_24m_{bucket}"] = recent + (1 if bucket == "1_30" else 0)


def _late_24m_missing(credit: Credit) -> None:
    _late_24m_mild(credit)
    for bucket in BUCKETS:
        credit.pop(f"late_24m_{bucket}")


def _param(name: str) -> float:
    return KB.param(name)


def _drop(field: str) -> Callable[[Credit], None]:
    return lambda credit: credit.pop(field, None)


def _instalment(credit: Credit) -> float:
    month = KB.param("credit.days_per_month")
    return float(credit["requested_amount"] * month / max(credit["requested_term_days"], month))


def _income_mild(credit: Credit) -> None:
    """An income that puts the debt service at a moderate burden at most (below the high line),
    with unknown other debts taken at their assumed share of the income."""
    debts = credit.get("monthly_debt_payments")
    if debts is None:
        spare = 0.4 - KB.param("credit.consumer_unknown_debt_share")
        needed = math.ceil(_instalment(credit) / spare)
    else:
        needed = math.ceil((debts + _instalment(credit)) / 0.4)
    assume(needed <= INCOME_MAX)  # no income a person can declare carries this request
    credit["monthly_income"] = max(1, needed)


def _debts_mild(credit: Credit) -> None:
    """Other repayments that bring the debt service up to the moderate line, never past it
    (rounded down: with an income of 1 yuan, rounding up would make them a heavy burden)."""
    income = credit.get("monthly_income")
    line = KB.param("credit.dsr_moderate_min_ratio")
    credit["monthly_debt_payments"] = max(0, math.floor(line * (income or 0) - _instalment(credit)))


MILD_AND_MISSING: dict[str, tuple[Callable[[Credit], None], Callable[[Credit], None]]] = {
    "monthly_income": (_income_mild, _drop("monthly_income")),
    "monthly_debt_payments": (_debts_mild, _drop("monthly_debt_payments")),
    "on_time_payment_pct": (
        _set(on_time_payment_pct=_param("credit.on_time_good_min_pct") - 0.5),
        _drop("on_time_payment_pct"),
    ),
    "longest_days_overdue": (
        _set(longest_days_overdue=int(_param("credit.longest_overdue_good_max_days")) + 1),
        _drop("longest_days_overdue"),
    ),
    "worst_delay_months_ago": (_set(worst_delay_months_ago=0), _drop("worst_delay_months_ago")),
    "late_12m_*": (_late_12m_mild, _late_12m_missing),
    "late_24m_*": (_late_24m_mild, _late_24m_missing),
    "avg_days_beyond_terms": (
        _set(avg_days_beyond_terms=_param("credit.dbt_good_max_days") + 0.5),
        _drop("avg_days_beyond_terms"),
    ),
    "dbt_trend": (_set(dbt_trend="worsening"), _drop("dbt_trend")),
    "debt_ratio_pct": (
        _set(debt_ratio_pct=_param("credit.debt_ratio_moderate_min_pct")),
        _drop("debt_ratio_pct"),
    ),
    "years_in_business": (
        _set(years_in_business=_param("credit.business_established_min_years")),
        _drop("years_in_business"),
    ),
    "registered_capital": (_set(registered_capital=0), _drop("registered_capital")),
    "annual_turnover": (_set(annual_turnover=0), _drop("annual_turnover")),
    "financial_trend": (_set(financial_trend="deteriorating"), _drop("financial_trend")),
    **{
        report: (_set(**{report: "neutral"}), _set(**{report: "not_done"}))
        for report in ("bank_report", "agency_report", "organisation_report", "internal_report")
    },
}
"""Each optional credit input: (set its mildest adverse value, leave it out). Not here:
``current_credit_limit``, whose absence means "no line yet" (the first line is bounded by the
capacity alone), not an unknown."""


def test_every_optional_credit_input_is_covered() -> None:
    from knowledge_base.facts import Credit as Model

    optional = {f for f, info in Model.model_fields.items() if info.default is None}
    covered = {f.replace("_*", "") for f in MILD_AND_MISSING}
    grouped = {f for f in optional if f.startswith(("late_12m", "late_24m"))}
    assert optional - grouped - covered == {"current_credit_limit"}
    assert {f[:8] for f in grouped} == {"late_12m", "late_24m"} <= covered


@PROPERTY
@given(credit_cases(), st.sampled_from(sorted(MILD_AND_MISSING)))
def test_missing_is_never_better_than_mildly_adverse(case: dict[str, Any], field: str) -> None:
    mild, missing = MILD_AND_MISSING[field]
    base = changed(case, _set(security_offered="none"))
    mild_rank, mild_score, _ = outcome(changed(base, mild))
    missing_rank, missing_score, _ = outcome(changed(base, missing))
    assert missing_score >= mild_score, field
    assert missing_rank >= mild_rank, field


@PROPERTY
@given(credit_cases(), st.sampled_from(["guarantee", "bank_guarantee", "collateral"]))
def test_security_never_lowers_the_risk_nor_lifts_a_referral(
    case: dict[str, Any], security: str
) -> None:
    bare = ENGINE.infer(parse_case(changed(case, _set(security_offered="none"))))
    secured = ENGINE.infer(parse_case(changed(case, _set(security_offered=security))))

    def value(firing: Any, topic: str) -> Any:
        return next((d.value for d in firing.derived.values() if d.topic == topic), None)

    assert value(secured, "risk_level") == value(bare, "risk_level")
    assert value(secured, "risk_score") == value(bare, "risk_score")
    if value(bare, "credit_decision") in ("refer", "decline"):
        assert value(secured, "credit_decision") == value(bare, "credit_decision")
    else:
        assert (value(secured, "recommended_limit") or 0) >= (value(bare, "recommended_limit") or 0)


def _more(field: str, step: float, top: float) -> Callable[[Credit], None]:
    def change(credit: Credit) -> None:
        credit[field] = min((credit.get(field) or 0) + step, top)

    return change


def _one_more_late(bucket: str) -> Callable[[Credit], None]:
    def change(credit: Credit) -> None:
        if credit.get("late_12m_1_30") is None:
            _late_24m_mild(credit)
        for window in ("12m", "24m"):
            if credit.get(f"late_{window}_{bucket}") is not None:
                credit[f"late_{window}_{bucket}"] += 1

    return change


def _more_recent(credit: Credit) -> None:
    months = credit.get("worst_delay_months_ago")
    credit["worst_delay_months_ago"] = max((months if months is not None else 1) - 1, 0)


ONE_STEP: dict[str, Callable[[Credit], None]] = {
    "longest_days_overdue": _more("longest_days_overdue", 1, 36_500),
    "current_days_overdue": _more("current_days_overdue", 1, 36_500),
    "avg_days_beyond_terms": _more("avg_days_beyond_terms", 1, 3650),
    "late 1-30 days": _one_more_late("1_30"),
    "worst_delay_months_ago": _more_recent,
}
"""One step worse on a scale of degree: a day, a short delay, a month more recent."""
CUT_OFFS = [KB.param(f"credit.risk_{level}_min_score") for level in ("medium", "high", "very_high")]
SMALLEST_GAP = min(high - low for low, high in itertools.pairwise(CUT_OFFS))
"""A step may add at most this many points, so it crosses one risk cut-off at most."""
ONE_MORE_INVOICE = {f"late {b}": _one_more_late(b) for b in BUCKETS}


EDGES = {
    "longest_days_overdue": (
        "longest_overdue_good_max_days",
        "longest_overdue_fair_max_days",
        "longest_overdue_poor_max_days",
    ),
    "current_days_overdue": (
        "current_overdue_good_max_days",
        "current_overdue_fair_max_days",
        "current_overdue_poor_max_days",
    ),
    "avg_days_beyond_terms": ("dbt_good_max_days", "dbt_fair_max_days", "dbt_poor_max_days"),
    "worst_delay_months_ago": ("delay_recent_max_months",),
}
"""Where one step crosses a band: the field's thresholds (one month past the recent limit)."""


@st.composite
def step_cases(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A case and a field, the field often placed right at one of its band edges."""
    case, field = draw(credit_cases()), draw(st.sampled_from(sorted(ONE_STEP)))
    edges = [KB.param(f"credit.{name}") for name in EDGES.get(field, ())]
    if edges and draw(st.booleans()):
        start = draw(st.sampled_from(edges)) + (1 if field == "worst_delay_months_ago" else 0)
        case = changed(case, _set(**{field: start}))
    return case, field


@settings(PROPERTY, max_examples=300)
@given(step_cases())
def test_one_step_worse_moves_the_decision_one_level_at_most(
    drawn: tuple[dict[str, Any], str],
) -> None:
    base, field = drawn
    before, score_before, _ = outcome(base)
    after, score_after, _ = outcome(changed(base, ONE_STEP[field]))
    assert 0 <= score_after - score_before <= SMALLEST_GAP, field
    assert before <= after <= before + 1, (field, DECISIONS[before], DECISIONS[after])


@PROPERTY
@given(credit_cases(), st.sampled_from(sorted(ONE_MORE_INVOICE)))
def test_one_more_late_invoice_never_turns_approve_into_decline(
    case: dict[str, Any], bucket: str
) -> None:
    before, _, _ = outcome(case)
    after, _, _ = outcome(changed(case, ONE_MORE_INVOICE[bucket]))
    assert before <= after
    assert not (DECISIONS[before] == "approve" and DECISIONS[after] == "decline")


WORSE_PATTERN: dict[str, Callable[[Credit], None]] = {
    **{f"more late {b}": _one_more_late(b) for b in BUCKETS},
    "more days beyond terms": _more("avg_days_beyond_terms", 7, 3650),
    "worsening trend": _set(dbt_trend="worsening"),
    "a more recent delay": _more_recent,
    "not a settled dispute": _set(worst_delay_disputed=False),
}


@PROPERTY
@given(credit_cases(), st.sampled_from(sorted(WORSE_PATTERN)))
def test_a_worse_payment_pattern_never_gives_a_better_decision_or_limit(
    case: dict[str, Any], change: str
) -> None:
    rank, score, limit = outcome(case)
    worse_rank, worse_score, worse_limit = outcome(changed(case, WORSE_PATTERN[change]))
    assert worse_score >= score and worse_rank >= rank and worse_limit <= limit, change


@PROPERTY
@given(
    credit_cases(),
    st.integers(1, 200_000),
    st.sampled_from(["monthly_income", "monthly_debt_payments"]),
)
def test_a_consumers_missing_income_or_debts_is_never_better_than_a_moderate_burden(
    case: dict[str, Any], income: int, field: str
) -> None:
    """The same promise for individuals, whose affordability replaces the company ratios."""
    base = copy.deepcopy(case)
    base["customer"]["nature"] = "individual"
    base = changed(base, _set(monthly_income=income, security_offered="none"))
    mild, missing = MILD_AND_MISSING[field]
    mild_rank, mild_score, _ = outcome(changed(base, mild))
    missing_rank, missing_score, _ = outcome(changed(base, missing))
    assert missing_score >= mild_score and missing_rank >= mild_rank, field


WORSE_STANDING: dict[str, Callable[[Credit], None]] = {
    "fewer years in business": lambda c: c.update(
        years_in_business=max((c.get("years_in_business") or 0) - 3, 0)
    ),
    "a worse financial trend": lambda c: c.update(
        financial_trend={"improving": "stable"}.get(c.get("financial_trend"), "deteriorating")
    ),
    "a lower income": lambda c: c.update(
        monthly_income=max((c.get("monthly_income") or 2) // 2, 1)
    ),
    "more other repayments": _more("monthly_debt_payments", 500, 10**9),
    "more current receivables": _more("current_receivables", 50_000, 10**12),
}


@PROPERTY
@given(credit_cases(), st.sampled_from(sorted(WORSE_STANDING)), st.booleans())
def test_a_weaker_standing_never_gives_a_better_decision(
    case: dict[str, Any], change: str, consumer: bool
) -> None:
    """Monotone in the remaining risk inputs, for companies and consumers alike."""
    base = copy.deepcopy(case)
    if consumer:
        base["customer"]["nature"] = "individual"
    rank, score, _ = outcome(base)
    worse_rank, worse_score, _ = outcome(changed(base, WORSE_STANDING[change]))
    assert worse_score >= score and worse_rank >= rank, change
