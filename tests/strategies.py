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
