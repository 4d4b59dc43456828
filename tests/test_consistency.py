"""One customer, one picture: the four modules never contradict each other.

* a case whose credit section shows less overdue than its collection section is refused, with a
  message naming both fields, their values and what is allowed, in both languages (and by the
  CLI with exit code 2);
* grading follows the collection stage: no win-back offer, coupons, VIP care, key-account
  upkeep or cross-selling once collection freezes the credit or hands the debt to legal;
* closing tells a referral from a decline: the credit manager's decision first, no prepayment;
* all of it holds for generated cases (a hypothesis property).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputError, consult, default_engine
from engine.firing import Firing
from engine.intake import parse_case
from tests.conftest import customer, run_cli
from tests.strategies import credits, customers
from tests.test_closing_properties import deals
from tests.test_collection_properties import collections

ENGINE = default_engine()
PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CREDIT = {"requested_amount": 60_000, "requested_term_days": 30}
COLLECTION = {"overdue_amount": 50_000, "days_overdue": 65, "situation": "able_to_pay"}
VIP_AT_RISK = customer(
    relationship_years=6,
    annual_purchases=1_800_000,
    purchase_frequency=24,
    days_since_last_purchase=200,
    gross_margin_pct=18.5,
    purchases_growth_pct=-30,
)
"""A VIP customer that has stopped buying: VIP care and a win-back offer without arrears."""
WELCOME = frozenset({"vip_care", "key_account", "win_back", "regular_upkeep", "automated_upkeep"})
"""Maintenance plans with offers, coupons or personal care."""


def values(firing: Firing, topic: str) -> list[Any]:
    return [d.value for d in firing.derived.values() if d.topic == topic]


def rules_of(firing: Firing, topic: str, value: Any) -> list[str]:
    return list(firing.derived[(topic, value)].rules)


# ------------------------------------------------------------------ sections checked


def test_a_credit_section_showing_nothing_overdue_beside_arrears_in_collection_is_refused() -> None:
    case = {"customer": customer(), "credit": CREDIT, "collection": COLLECTION}
    with pytest.raises(InputError) as caught:
        parse_case(case)
    problems = {p.field: p for p in caught.value.problems}
    assert set(problems) == {"credit.current_days_overdue", "credit.overdue_amount"}
    days, amount = problems["credit.current_days_overdue"], problems["credit.overdue_amount"]
    assert days.value == 0 and amount.value == 0
    assert days.message.startswith("credit.current_days_overdue is 0 but collection.days_overdue")
    assert "is 65" in days.message and "must be at least 65" in days.message
    assert "collection.overdue_amount is 50000" in amount.message
    assert "credit.overdue_amount must be at least 50000" in amount.message


def test_the_refusal_speaks_the_consultation_s_language() -> None:
    case = {"customer": customer(), "credit": CREDIT, "collection": COLLECTION}
    with pytest.raises(InputError) as caught:
        consult(case, lang="zh", record=False)
    messages = {p.field: p.message for p in caught.value.problems}
    days = messages["credit.current_days_overdue"]
    assert days.startswith("授信申请中的当前逾期天数为0，但逾期账款中的逾期天数为65：")
    assert "当前逾期天数不能小于65" in days
    assert "逾期欠款金额为50000" in messages["credit.overdue_amount"]
    assert not any(ch in days for ch in ",:;")  # Chinese punctuation, no ids inside


@pytest.mark.parametrize(
    ("days", "amount", "wrong"),
    [
        (65, 50_000, set()),  # the same arrears
        (120, 90_000, set()),  # more overdue than collection handles: other invoices too
        (64, 50_000, {"credit.current_days_overdue"}),
        (65, 49_999, {"credit.overdue_amount"}),
    ],
)
def test_the_credit_section_must_show_at_least_what_collection_shows(
    days: int, amount: int, wrong: set[str]
) -> None:
    credit = {**CREDIT, "current_days_overdue": days, "overdue_amount": amount}
    case = {"customer": customer(), "credit": credit, "collection": COLLECTION}
    if not wrong:
        parse_case(case)
        return
    with pytest.raises(InputError) as caught:
        parse_case(case)
    assert {p.field for p in caught.value.problems} == wrong


def test_either_section_alone_is_not_compared() -> None:
    parse_case({"customer": customer(), "credit": CREDIT})
    parse_case({"customer": customer(), "collection": COLLECTION})


def test_the_cli_refuses_the_inconsistent_case_with_exit_2_naming_both_fields(
    tmp_path: Path,
) -> None:
    path = tmp_path / "inconsistent.yaml"
    path.write_text(
        "customer: {id: C-1, name: Test, nature: company, relationship_years: 3,\n"
        "  annual_purchases: 450000, purchase_frequency: 6, days_since_last_purchase: 30,\n"
        "  gross_margin_pct: 12, purchases_growth_pct: 0}\n"
        "credit: {requested_amount: 60000, requested_term_days: 30}\n"
        "collection: {overdue_amount: 50000, days_overdue: 65}\n",
        encoding="utf-8",
    )
    done = run_cli("consult", "--detail", str(path), "--no-record")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    for named in (
        "credit.current_days_overdue is 0 but collection.days_overdue is 65",
        "credit.overdue_amount is 0 but collection.overdue_amount is 50000",
        "must be at least 65",
    ):
        assert named in done.stderr
    zh = run_cli("consult", "--detail", str(path), "--no-record", "--lang", "zh")
    assert zh.returncode == 2
    assert "当前逾期天数为0，但逾期账款中的逾期天数为65" in zh.stderr


# ------------------------------------------------------------------ grading follows collection


@pytest.mark.parametrize(
    ("days", "plan", "actions", "rule"),
    [
        (None, "vip_care", ["win_back_offer"], "GR-052"),  # no collection section
        (10, "vip_care", ["win_back_offer"], "GR-060"),  # negotiate: credit kept open
        (75, "settle_debt_first", [], "GR-067"),  # lawful pressure: credit frozen
        (100, "settle_debt_first", [], "GR-067"),  # suspend cooperation
        (200, "legal_recovery_hold", [], "GR-068"),  # legal recovery
    ],
)
def test_the_maintenance_plan_follows_the_collection_stage(
    days: int | None, plan: str, actions: list[str], rule: str
) -> None:
    case: dict[str, Any] = {"customer": VIP_AT_RISK}
    if days is not None:
        case["collection"] = {**COLLECTION, "days_overdue": days}
    result = consult(case, record=False)
    assert result.value("service_tier") == "vip" and result.value("loyalty") == "churn_risk"
    assert result.value("maintenance_plan") == plan
    assert result.values("maintenance_action") == actions
    chosen = result.conclusion("maintenance_plan")
    assert chosen is not None and chosen.rules == [rule]


def test_a_frozen_debtor_s_plan_says_why_in_both_languages() -> None:
    case = {"customer": VIP_AT_RISK, "collection": {**COLLECTION, "days_overdue": 75}}
    en = consult(case, record=False).conclusion("maintenance_plan")
    zh = consult(case, lang="zh", record=False).conclusion("maintenance_plan")
    assert en is not None and zh is not None
    assert en.label == "Upkeep on hold: settle the debt first"
    assert "no offers, coupons or benefits" in str(en.details["description"])
    assert zh.label == "暂停维护，先清欠款"
    assert "欠款付清之前不提供任何优惠、优惠券或权益" in str(zh.details["description"])


# ------------------------------------------------------------------ closing: referral ≠ decline


@pytest.mark.parametrize(
    ("decision", "status", "first", "technique", "rule"),
    [
        ("refer", "under_review", "await_credit_decision", None, "CL-116"),
        ("decline", "unavailable", "negotiate_trade_offs", "prepayment_offer", "CL-006"),
    ],
)
def test_a_referral_waits_for_the_credit_manager_and_a_decline_keeps_cash_terms(
    decision: str, status: str, first: str, technique: str | None, rule: str
) -> None:
    deal = {
        "stage": "negotiation",
        "objections": ["price"],
        "credit_decision": decision,
        "decision_maker_present": True,
        "budget_status": "approved",
        "our_walk_away_price": 300_000,
        "their_walk_away_price": 350_000,
        "contact_channel": "face_to_face",
    }
    result = consult({"customer": customer(), "deal": deal}, record=False)
    credit = result.conclusion("deal_credit_status")
    assert credit is not None and credit.value == status and credit.rules == [rule]
    assert result.values("next_action")[0] == first
    techniques = result.values("closing_technique")
    assert ("prepayment_offer" in techniques) == (technique == "prepayment_offer")
    if decision == "refer":
        action = result.conclusion("next_action")
        assert action is not None and action.rules == ["CL-117"]
        assert action.label == "Get the credit manager's decision first"
        assert "price_after_credit_review" in result.values("objection_response")
        assert "cash_terms_before_credit_decision" in result.values("avoid")


# ------------------------------------------------------------------ the property


def _consistent(case: dict[str, Any]) -> dict[str, Any]:
    """The credit section shows at least the arrears the collection section shows."""
    credit, coll = dict(case["credit"]), case["collection"]
    credit["current_days_overdue"] = max(credit["current_days_overdue"], coll["days_overdue"])
    credit["overdue_amount"] = max(credit["overdue_amount"], coll["overdue_amount"])
    return {**case, "credit": credit}


def cases() -> st.SearchStrategy[dict[str, Any]]:
    """A customer with an overdue account and a deal, with or without a credit request."""
    base = st.fixed_dictionaries(
        {"customer": customers(), "collection": collections(), "deal": deals()},
        optional={"credit": credits()},
    )
    return base.map(lambda case: _consistent(case) if "credit" in case else case)


@PROPERTY
@given(cases())
def test_sections_consistent(case: dict[str, Any]) -> None:
    """Arrears with frozen credit or in legal recovery: no offers from grading; a referral: no
    prepayment from closing — whatever else the case holds."""
    firing = ENGINE.infer(parse_case(case))  # inference only: the what-if search is not tested
    (level,) = values(firing, "escalation_level")
    (hold,) = values(firing, "credit_hold")
    (plan,) = values(firing, "maintenance_plan")
    actions = set(values(firing, "maintenance_action"))
    if level == "legal":
        assert plan == "legal_recovery_hold"
        assert rules_of(firing, "maintenance_plan", plan) == ["GR-068"]
    elif hold == "freeze":
        assert plan == "settle_debt_first"
        assert rules_of(firing, "maintenance_plan", plan) == ["GR-067"]
    else:
        assert plan in WELCOME
    if hold == "freeze":
        assert plan not in WELCOME and not actions & {"win_back_offer", "cross_sell"}
    decisions = values(firing, "credit_decision") or [case["deal"].get("credit_decision")]
    (status,) = values(firing, "deal_credit_status")
    if decisions == ["refer"]:
        assert status == "under_review"
        assert "prepayment_offer" not in values(firing, "closing_technique")
        assert "price_cash_terms" not in values(firing, "objection_response")
        if case["deal"]["stage"] != "after_sales":
            assert "CL-117" in rules_of(firing, "next_action", "await_credit_decision")
    else:
        assert status != "under_review"
