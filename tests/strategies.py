"""Hypothesis strategies for valid cases, spanning each field's whole declared range."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.conftest import customer

NATURES = ["government", "special_company", "company", "individual", "partner"]


def customers() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        customer,
        nature=st.sampled_from(NATURES),
        relationship_years=st.floats(0, 100, allow_nan=False),
        annual_purchases=st.one_of(st.integers(0, 5_000_000), st.integers(0, 10**12)),
        purchase_frequency=st.integers(0, 10_000),
        days_since_last_purchase=st.integers(0, 36_500),
        gross_margin_pct=st.floats(-100, 100, allow_nan=False),
        purchases_growth_pct=st.floats(-100, 1000, allow_nan=False),
        complaints_last_year=st.integers(0, 1000),
    )


REPORTS = ["not_done", "favourable", "neutral", "adverse"]
SECURITY = ["none", "guarantee", "bank_guarantee", "collateral"]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _days() -> st.SearchStrategy[int]:
    """Mostly around the credit thresholds (15/30/90 days), sometimes anywhere."""
    return st.one_of(st.integers(0, 120), st.integers(0, 36_500))


def _amounts() -> st.SearchStrategy[int]:
    return st.one_of(st.integers(1, 2_000_000), st.integers(1, 10**12))


BUCKETS = ("1_30", "31_60", "61_90", "over_90")


@st.composite
def late_counts(draw: st.DrawFn) -> dict[str, int]:
    """The late-invoice counts as a credit section holds them: none, 12 months, or 12 and 24
    months with every 24-month count at least its 12-month count."""
    shape = draw(st.sampled_from(["none", "12m", "24m"]))
    if shape == "none":
        return {}
    counts = {f"late_12m_{b}": draw(st.integers(0, 6), label=f"12m_{b}") for b in BUCKETS}
    if shape == "24m":
        for b in BUCKETS:
            counts[f"late_24m_{b}"] = counts[f"late_12m_{b}"] + draw(st.integers(0, 6))
    return counts


def _pattern() -> st.SearchStrategy[dict[str, Any]]:
    """The payment-pattern fields other than the counts, each often missing."""
    return st.fixed_dictionaries(
        {},
        optional={
            "avg_days_beyond_terms": st.floats(0, 60, allow_nan=False),
            "dbt_trend": st.sampled_from(["improving", "stable", "worsening"]),
            "worst_delay_months_ago": st.integers(0, 60),
            "worst_delay_disputed": st.booleans(),
            "monthly_income": st.integers(1, 200_000),
            "monthly_debt_payments": st.integers(0, 100_000),
        },
    )


def credits() -> st.SearchStrategy[dict[str, Any]]:
    """Valid credit sections over each field's whole range, optional fields often missing."""
    return st.builds(
        lambda base, counts, pattern: {**base, **counts, **pattern},
        _base_credits(),
        late_counts(),
        _pattern(),
    )


def _base_credits() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "requested_amount": _amounts(),
            "requested_term_days": st.integers(1, 3650),
            "current_receivables": st.one_of(st.just(0), st.integers(0, 2_000_000)),
            "current_credit_limit": _maybe(st.integers(0, 2_000_000)),
            "on_time_payment_pct": _maybe(st.floats(0, 100, allow_nan=False)),
            "longest_days_overdue": _maybe(_days()),
            "current_days_overdue": st.one_of(st.just(0), _days()),
            "overdue_amount": st.one_of(st.just(0), st.integers(0, 1_000_000)),
            "bad_debts_count": st.sampled_from([0, 0, 0, 1, 2]),
            "debt_ratio_pct": _maybe(st.floats(0, 1000, allow_nan=False)),
            "years_in_business": _maybe(st.floats(0, 200, allow_nan=False)),
            "registered_capital": _maybe(st.integers(0, 10**9)),
            "annual_turnover": _maybe(st.integers(0, 10**10)),
            "financial_trend": _maybe(st.sampled_from(["improving", "stable", "deteriorating"])),
            "bank_report": st.sampled_from(REPORTS),
            "agency_report": st.sampled_from(REPORTS),
            "organisation_report": st.sampled_from(REPORTS),
            "internal_report": st.sampled_from(REPORTS),
            "security_offered": st.sampled_from(SECURITY),
        }
    )


def credit_cases() -> st.SearchStrategy[dict[str, Any]]:
    """A customer and a credit request, both spanning their declared ranges."""
    return st.fixed_dictionaries({"customer": customers(), "credit": credits()})
