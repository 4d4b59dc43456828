"""Properties of customer grading over generated customers (OWN §Grading).

* loyalty is never "loyal" or "potentially loyal" at the lowest purchase frequency band;
* a higher cost of serving never improves the difference class, and a cost left out never
  grades a customer better than a known cost up to the default shares would;
* a below-zero customer never gets the VIP tier or the concentration (or personalisation)
  strategy;
* a customer with no purchases and no orders is always a prospect, and only such a customer.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import default_engine
from engine.intake import parse_case
from knowledge_base import load_knowledge
from tests.strategies import customers

ENGINE = default_engine()
PARAMS = load_knowledge().parameters
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RANK = {"below_zero": 0, "ordinary": 1, "most_growth": 2, "most_valuable": 3}
"""Difference classes of a trading customer, worst first."""


def param(name: str) -> float:
    return PARAMS[name].value


def grade(cust: dict[str, Any]) -> dict[str, str]:
    """The one-valued grading conclusions of a consultation with only a customer section."""
    firing = ENGINE.infer(parse_case({"customer": cust}))
    found: dict[str, list[Any]] = {}
    for d in firing.derived.values():
        found.setdefault(d.topic, []).append(d.value)
    for topic in ("loyalty", "difference_class", "service_tier", "portfolio_strategy"):
        assert len(found.get(topic, [])) == 1, (topic, found.get(topic))
    return {topic: values[0] for topic, values in found.items() if len(values) == 1}


def costs() -> st.SearchStrategy[dict[str, Any]]:
    """Cost-of-serving inputs, each often missing."""
    return st.fixed_dictionaries(
        {},
        optional={
            "discounts_pct": st.floats(0, 100, allow_nan=False),
            "returns_pct": st.floats(0, 100, allow_nan=False),
            "service_cost": st.one_of(st.integers(0, 500_000), st.integers(0, 10**12)),
        },
    )


def costed_customers() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda cust, cost: {**cust, **cost}, customers(), costs())


@PROPERTY
@given(costed_customers())
def test_loyalty_is_never_loyal_at_the_lowest_frequency(cust: dict[str, Any]) -> None:
    loyalty = grade(cust)["loyalty"]
    if cust["purchase_frequency"] < param("grading.frequency_medium_min_orders"):
        assert loyalty in ("occasional", "churn_risk")


@PROPERTY
@given(
    costed_customers(),
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
    st.integers(0, 10**9),
)
def test_a_higher_cost_of_serving_never_improves_the_difference_class(
    cust: dict[str, Any], more_discounts: float, more_returns: float, more_service: int
) -> None:
    base = grade(cust)["difference_class"]
    dearer = dict(cust)
    if "discounts_pct" in cust:
        dearer["discounts_pct"] = min(100.0, cust["discounts_pct"] + more_discounts)
    if "returns_pct" in cust:
        dearer["returns_pct"] = min(100.0, cust["returns_pct"] + more_returns)
    if "service_cost" in cust:
        dearer["service_cost"] = min(10**12, cust["service_cost"] + more_service)
    dearer["complaints_last_year"] = min(1000, cust["complaints_last_year"] + 1)
    worse = grade(dearer)["difference_class"]
    if base == "prospect":
        assert worse == "prospect"
    else:
        assert RANK[worse] <= RANK[base], (base, worse)


@PROPERTY
@given(customers(), st.floats(0, 1, allow_nan=False), st.floats(0, 1, allow_nan=False))
def test_unknown_costs_are_never_better_than_small_known_ones(
    cust: dict[str, Any], share: float, service_share: float
) -> None:
    """Not giving a cost grades a customer no better than giving any cost up to the default
    share (the service cost up to the default share of purchases; complaints not counted)."""
    unknown = grade(cust)["difference_class"]
    known = {
        **cust,
        "discounts_pct": share * param("grading.default_discounts_pct"),
        "returns_pct": share * param("grading.default_returns_pct"),
        "service_cost": int(
            service_share
            * cust["annual_purchases"]
            * param("grading.default_service_cost_pct")
            / param("grading.percent_of_whole")
        ),
    }
    given_class = grade(known)["difference_class"]
    if unknown == "prospect":
        assert given_class == "prospect"
    else:
        assert RANK[unknown] <= RANK[given_class], (unknown, given_class)


@PROPERTY
@given(costed_customers())
def test_a_below_zero_customer_is_never_vip_nor_concentrated(cust: dict[str, Any]) -> None:
    grades = grade(cust)
    if grades["difference_class"] == "below_zero":
        assert grades["service_tier"] != "vip"
        assert grades["portfolio_strategy"] == "differentiation"


@PROPERTY
@given(costed_customers(), st.booleans())
def test_prospects_are_always_prospects(cust: dict[str, Any], prospect: bool) -> None:
    if prospect:
        cust = {**cust, "annual_purchases": 0, "purchase_frequency": 0}
    no_purchases = cust["annual_purchases"] == 0 and cust["purchase_frequency"] == 0
    assert (grade(cust)["difference_class"] == "prospect") == no_purchases
