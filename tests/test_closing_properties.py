"""The closing coach's invariants, over generated deals, and its knowledge's completeness.

Deals are drawn from the whole declared domain of the deal section (every stage, channel,
signal, objection and flag, walk-away prices either side of each other); customers from the
grading strategy, so that every grade meets every deal.
"""

from __future__ import annotations

import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Result, consult, default_engine
from engine.intake import parse_case
from knowledge_base import load_knowledge
from knowledge_base.facts import Deal
from rules import load_rules
from tests.conftest import customer
from tests.strategies import credit_cases, customers


def _choices(field: str) -> list[str]:
    """The values a Literal (or list-of-Literal) field of the deal section allows."""
    annotation: Any = Deal.model_fields[field].annotation
    while typing.get_origin(annotation) is not typing.Literal:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return [str(a) for a in typing.get_args(annotation)]


STAGES = _choices("stage")
ACTIVE = {"proposal", "objection_handling", "negotiation", "closing"}
LATE = {"negotiation", "closing"}
HESITANT = {"avoids_commitment", "delays_decision", "vague_answers", "closed_body_language"}
DISENGAGED = {"goes_silent", "cancels_meetings"}
STAGE_ACTION = {
    "prospecting": "book_meeting",
    "needs_assessment": "explore_needs",
    "proposal": "present_value_proposal",
    "objection_handling": "resolve_objections",
    "negotiation": "negotiate_trade_offs",
    "closing": "ask_for_order",
    "after_sales": "after_sales_follow_up",
}
PRICES = st.integers(0, 2_000_000)


def _subset(field: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(_choices(field)), unique=True, max_size=5)


def deals() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "stage": st.sampled_from(STAGES),
            "contact_channel": st.sampled_from(_choices("contact_channel")),
        },
        optional={
            "objections": _subset("objections"),
            "buying_signals": _subset("buying_signals"),
            "warning_signals": _subset("warning_signals"),
            "genuine_deadline": st.booleans(),
            "quota_limit": st.booleans(),
            "competitor_move": st.booleans(),
            "success_case_available": st.booleans(),
            "budget_status": st.sampled_from(_choices("budget_status")),
            "decision_maker_present": st.booleans(),
            "complex_offer": st.booleans(),
            "our_walk_away_price": PRICES,
            "their_walk_away_price": PRICES,
            "credit_decision": st.sampled_from(_choices("credit_decision")),
        },
    )


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def advise(cust: dict[str, Any], deal: dict[str, Any]) -> Result:
    return consult({"customer": cust, "deal": deal}, record=False)


def genuine(deal: dict[str, Any]) -> bool:
    return any(deal.get(f, False) for f in ("genuine_deadline", "quota_limit", "competitor_move"))


# ------------------------------------------------------------------ urgency


@PROPERTY
@given(customers(), deals())
def test_urgency_is_never_advised_without_a_genuine_reason(
    cust: dict[str, Any], deal: dict[str, Any]
) -> None:
    result = advise(cust, deal)
    techniques = result.values("closing_technique")
    responses = result.values("objection_response")
    assert result.value("urgency_basis") == ("genuine" if genuine(deal) else "none")
    if not genuine(deal):
        assert "genuine_urgency" not in techniques
        assert "timing_genuine_deadline" not in responses
        if deal["stage"] in ACTIVE:
            assert "false_scarcity" in result.values("avoid")
    if "genuine_urgency" in techniques:
        assert genuine(deal) and deal["stage"] in ACTIVE


# ------------------------------------------------------------------ objections


def _rules_answering() -> dict[str, str]:
    """objection_response rule → the objection type its deal pattern tests."""
    found = {}
    for rule in load_rules().rules:
        if any(c.topic == "objection_response" for c in rule.then):
            tests = [t for p in rule.when for t in p.tests if t.field == "objections"]
            assert len(tests) == 1 and tests[0].op == "contains", rule.id
            found[rule.id] = str(tests[0].value)
    return found


ANSWERS = _rules_answering()


@PROPERTY
@given(customers(), deals())
def test_every_objection_raised_gets_a_response(cust: dict[str, Any], deal: dict[str, Any]) -> None:
    result = advise(cust, deal)
    answered = {
        ANSWERS[rule]
        for c in result.conclusions
        if c.topic == "objection_response"
        for rule in c.rules
    }
    assert answered == set(deal.get("objections", []))
    for c in result.conclusions:
        if c.topic == "objection_response":
            assert {"acknowledge", "redirect", "resolve"} <= c.details.keys(), c.value


# ------------------------------------------------------------------ pressure


def hesitant_deals() -> st.SearchStrategy[dict[str, Any]]:
    """Deals with a hesitancy signal and no buying signal, often with a real deadline and a
    timing objection: the cases where urgency scores most against a hesitant buyer."""

    def make(deal: dict[str, Any], signal: str, timing: bool, deadline: bool) -> dict[str, Any]:
        objections = set(deal.get("objections", [])) | ({"timing"} if timing else set())
        warnings = {*deal.get("warning_signals", []), signal}
        return {
            **deal,
            "stage": deal["stage"] if deal["stage"] in ACTIVE else "negotiation",
            "buying_signals": [],
            "warning_signals": sorted(warnings),
            "objections": sorted(objections),
            "genuine_deadline": deadline or deal.get("genuine_deadline", False),
        }

    return st.builds(make, deals(), st.sampled_from(sorted(HESITANT)), st.booleans(), st.booleans())


@PROPERTY
@given(customers(), st.one_of(deals(), hesitant_deals()))
def test_a_hesitant_or_silent_buyer_is_never_pressed(
    cust: dict[str, Any], deal: dict[str, Any]
) -> None:
    result = advise(cust, deal)
    warnings = set(deal.get("warning_signals", []))
    if warnings & (HESITANT | DISENGAGED):
        assert "pressure_on_hesitant" in result.values("avoid")
    techniques = result.values("closing_technique")
    if warnings & HESITANT and "ready" not in result.values("buyer_state"):
        # lowering the risk (a trial) always outranks urgency for a hesitant buyer
        assert not techniques or techniques[0] != "genuine_urgency"
        if deal["stage"] in ACTIVE:
            assert techniques.index("trial_offer") < (
                techniques.index("genuine_urgency") if "genuine_urgency" in techniques else 99
            )


# ------------------------------------------------------------------ ranking


@PROPERTY
@given(customers(), deals())
def test_advice_is_ranked_by_evidence_then_catalogue_order(
    cust: dict[str, Any], deal: dict[str, Any]
) -> None:
    result = advise(cust, deal)
    kb = load_knowledge()
    for topic in ("closing_technique", "next_action"):
        ranked = [c for c in result.conclusions if c.topic == topic]
        order = kb.topics[topic].value_ids()
        keys = [(-(c.score or 0), order.index(c.value)) for c in ranked]
        assert keys == sorted(keys), topic
        assert [c.details["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
        for c in ranked:
            assert len(c.details["evidence"]) == len(c.rules)
            assert all(
                line.startswith(rule)
                for line, rule in zip(c.details["evidence"], c.rules, strict=True)
            )
    # the advice topics come grouped, in a fixed order, after the other conclusions' first one
    advice = [c.topic for c in result.conclusions if c.topic in ADVICE]
    assert advice == sorted(advice, key=ADVICE.index)


ADVICE = ["closing_technique", "objection_response", "next_action", "recommended_channel", "avoid"]


# ------------------------------------------------------------------ chaining


@PROPERTY
@given(customers(), deals())
def test_the_credit_decision_shapes_the_offers(cust: dict[str, Any], deal: dict[str, Any]) -> None:
    result = advise(cust, deal)
    decision = deal.get("credit_decision")
    status = {
        None: "not_assessed",
        "approve": "cleared",
        "approve_with_conditions": "conditional",
        "refer": "under_review",
        "decline": "unavailable",
    }[decision]
    assert result.value("deal_credit_status") == status
    techniques, responses = result.values("closing_technique"), result.values("objection_response")
    if status in ("unavailable", "conditional", "under_review"):
        assert "instalment_offer" not in techniques
        assert "price_instalments" not in responses
        if deal["stage"] in ACTIVE:
            assert "credit_terms_beyond_decision" in result.values("avoid")
    if status == "unavailable" and deal["stage"] in ACTIVE:
        assert {"prepayment_offer", "pilot_order"} <= set(techniques)
    if status == "under_review":  # the credit manager decides first: no cash terms before it
        assert "prepayment_offer" not in techniques and "price_cash_terms" not in responses
        if deal["stage"] != "after_sales":
            assert "await_credit_decision" in result.values("next_action")
        if deal["stage"] in ACTIVE:
            assert "cash_terms_before_credit_decision" in result.values("avoid")
    if "price" in deal.get("objections", []):
        wanted = {
            "cleared": "price_instalments",
            "not_assessed": "price_instalments",
            "conditional": "price_conditional_terms",
            "unavailable": "price_cash_terms",
            "under_review": "price_after_credit_review",
        }[status]
        assert wanted in responses
    if "instalment_offer" in techniques and status == "not_assessed":
        assert "request_credit_assessment" in result.values("next_action")


@PROPERTY
@given(credit_cases(), deals())
def test_a_credit_section_s_decision_always_sets_the_deal_s_credit_status(
    case: dict[str, Any], deal: dict[str, Any]
) -> None:
    # inference only: the credit enricher's what-if search is not what is tested here
    firing = default_engine().infer(parse_case({**case, "deal": deal}))
    found = {}
    for derived in firing.derived.values():
        found.setdefault(derived.topic, []).append(derived.value)
    (decision,) = found["credit_decision"]
    status = {
        "approve": "cleared",
        "approve_with_conditions": "conditional",
        "refer": "under_review",
        "decline": "unavailable",
    }[decision]
    assert found["deal_credit_status"] == [status]  # whatever deal.credit_decision says
    if "price" in deal.get("objections", []):
        offer = {
            "cleared": "price_instalments",
            "conditional": "price_conditional_terms",
            "unavailable": "price_cash_terms",
            "under_review": "price_after_credit_review",
        }[status]
        assert offer in found["objection_response"]


@PROPERTY
@given(customers(), deals())
def test_high_value_customers_get_the_relationship_preserving_variants(
    cust: dict[str, Any], deal: dict[str, Any]
) -> None:
    result = advise(cust, deal)
    techniques = result.values("closing_technique")
    high = result.value("value_tier") == "high"
    assert not (high and "concession_trade" in techniques)
    assert not (not high and "partnership_trade" in techniques)
    if high and deal["stage"] in LATE:
        assert "hard_close_on_key_account" in result.values("avoid")
    if high and "price" in deal.get("objections", []):
        assert "price_partnership_terms" in result.values("objection_response")
        if deal["stage"] in LATE and result.value("agreement_zone") != "none":
            assert "partnership_trade" in techniques


@PROPERTY
@given(customers(), deals())
def test_one_valued_topics_are_complete_partitions(
    cust: dict[str, Any], deal: dict[str, Any]
) -> None:
    result = advise(cust, deal)  # a RuleConflictError would fail the test here
    for topic in ("deal_credit_status", "urgency_basis", "agreement_zone", "recommended_channel"):
        assert len(result.values(topic)) == 1, topic
    stage_actions = [a for a in result.values("next_action") if a in STAGE_ACTION.values()]
    assert stage_actions == [STAGE_ACTION[deal["stage"]]]
    both = "our_walk_away_price" in deal and "their_walk_away_price" in deal
    if both:
        gap = deal["their_walk_away_price"] - deal["our_walk_away_price"]
        assert result.value("agreement_gap") == gap
        assert result.value("agreement_zone") == ("exists" if gap >= 0 else "none")
    else:
        assert result.value("agreement_zone") == "unknown"


@settings(max_examples=30, deadline=None)
@given(customers())
def test_without_a_deal_the_closing_coach_says_nothing(cust: dict[str, Any]) -> None:
    result = consult({"customer": cust}, record=False)
    closing = {t.id for t in load_knowledge().topics.values() if t.module == "closing"}
    assert not [c for c in result.conclusions if c.topic in closing]
    assert not [r for r in result.fired_rules() if r.startswith("CL-")]


# ------------------------------------------------------------------ fixed examples


CREDIT_DECLINED = {
    "on_time_payment_pct": 96,
    "longest_days_overdue": 130,
    "bank_report": "adverse",
    "current_days_overdue": 100,
    "overdue_amount": 85000,
    "bad_debts_count": 1,
    "requested_amount": 300000,
    "requested_term_days": 60,
}


def test_a_credit_section_takes_precedence_over_the_deal_s_credit_decision() -> None:
    deal = {
        "stage": "negotiation",
        "objections": ["price"],
        "credit_decision": "approve",
        "contact_channel": "phone",
    }
    result = consult(
        {"customer": customer(), "credit": CREDIT_DECLINED, "deal": deal}, record=False
    )
    assert result.value("credit_decision") == "decline"
    status = result.conclusion("deal_credit_status")
    assert status is not None and status.value == "unavailable" and status.rules == ["CL-003"]
    assert "price_cash_terms" in result.values("objection_response")
    assert "instalment_offer" not in result.values("closing_technique")


def test_the_conditional_offer_lists_the_credit_conditions() -> None:
    credit = {
        "on_time_payment_pct": 85,
        "longest_days_overdue": 20,
        "debt_ratio_pct": 55,
        "years_in_business": 6,
        "financial_trend": "stable",  # an unknown trend would count as deteriorating: refer
        "bank_report": "favourable",
        "agency_report": "favourable",
        "annual_turnover": 20_000_000,
        "requested_amount": 60_000,
        "requested_term_days": 90,
    }
    deal = {"stage": "closing", "objections": ["price"], "contact_channel": "face_to_face"}
    result = consult({"customer": customer(), "credit": credit, "deal": deal}, record=False)
    assert result.value("credit_decision") == "approve_with_conditions"
    offer = next(c for c in result.conclusions if c.value == "conditional_terms")
    conditions = [c.label for c in result.conclusions if c.topic == "credit_condition"]
    assert conditions and offer.details["credit_conditions"] == conditions


def test_details_and_evidence_are_shown_in_chinese() -> None:
    deal = {
        "stage": "closing",
        "buying_signals": ["asks_delivery"],
        "contact_channel": "phone",
        "decision_maker_present": True,
    }
    result = consult({"customer": customer(), "deal": deal}, lang="zh", record=False)
    top = result.conclusion("closing_technique")
    assert top is not None and top.value == "alternative_choice"
    assert top.label == "二选一成交法" and top.details["rank"] == 1
    assert top.details["script"][1].startswith("给出两个都意味着成交的选项")
    assert top.details["evidence"] == [
        "CL-034 后期客户有购买意向：二选一成交（+3）",
        "CL-036 决策人在场的成交阶段（+1）",
    ]
    assert top.how[0].text.startswith("CL-019 客户询问交货：观察到的购买信号包含询问交货")


# ------------------------------------------------------------------ knowledge completeness

REQUIRED_DETAILS = {
    "closing_technique": {"why", "script", "risk"},
    "objection_response": {"acknowledge", "redirect", "resolve"},
    "next_action": {"how_to"},
    "avoid": {"why", "instead"},
}


@pytest.mark.parametrize("topic", sorted(REQUIRED_DETAILS))
def test_every_advice_value_carries_its_material(topic: str) -> None:
    for value in load_knowledge().topics[topic].values:
        assert REQUIRED_DETAILS[topic] <= value.details.keys(), value.id
        if topic == "closing_technique":
            script = value.details["script"]
            assert isinstance(script, list) and len(script) >= 2, value.id


def test_every_catalogue_item_is_read_by_some_closing_rule() -> None:
    tested = {
        (t.field, str(t.value))
        for r in load_rules().rules
        if r.module == "closing"
        for p in r.when
        for t in p.tests
        if t.op == "contains"
    }
    kb = load_knowledge()
    for field, catalogue in (
        ("objections", "objection_types"),
        ("buying_signals", "buying_signals"),
        ("warning_signals", "warning_signals"),
    ):
        unused = {i for i in kb.catalogues[catalogue] if (field, i) not in tested}
        assert unused == set(), field


def test_catalogue_labels_name_the_signals_in_explanations() -> None:
    deal = {"stage": "proposal", "warning_signals": ["checks_time"], "contact_channel": "phone"}
    result = consult({"customer": customer(), "deal": deal}, record=False)
    summary = result.conclusion("closing_technique")
    assert summary is not None and summary.value == "focused_summary"
    assert "warning signals includes Checks the time" in summary.how[0].text
    assert default_engine().compiled.rules["CL-032"].sources == ("MT §Behaviour",)
