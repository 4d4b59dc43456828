"""The credit module end to end: decisions, limits with their formulas, reasons, what would
change the decision, investigation order, grade chaining, collection, both languages."""

from __future__ import annotations

from typing import Any

import pytest

from engine import InputError, consult, default_engine
from engine.render import render_result
from engine.result import Conclusion, Result
from knowledge_base.facts.credit import BUCKETS
from tests.conftest import customer

CLEAN: dict[str, Any] = {
    "requested_amount": 100_000,
    "requested_term_days": 30,
    "on_time_payment_pct": 96,
    "longest_days_overdue": 8,
    "debt_ratio_pct": 42,
    "years_in_business": 14,
    "registered_capital": 8_000_000,
    "financial_trend": "stable",
    "bank_report": "favourable",
    "agency_report": "favourable",
    # the payment pattern: one short delay a year, none older, paid within terms on average
    "worst_delay_months_ago": 6,
    **{f"late_12m_{b}": 0 for b in ("31_60", "61_90", "over_90")},
    **{f"late_24m_{b}": 0 for b in ("31_60", "61_90", "over_90")},
    "late_12m_1_30": 1,
    "late_24m_1_30": 1,
    "avg_days_beyond_terms": 1,
    "dbt_trend": "stable",
}
BIG = {"annual_purchases": 2_000_000, "purchase_frequency": 20}
"""A customer whose purchases make a 100,000 request a low exposure (0.05 of a year)."""


def run(credit: dict[str, Any], lang: str = "en", **cust: Any) -> Result:
    return consult({"customer": customer(**{**BIG, **cust}), "credit": credit}, lang=lang)


def decision(result: Result) -> Conclusion:
    found = result.conclusion("credit_decision")
    assert found is not None
    return found


def test_a_clean_customer_is_approved_as_asked_without_reasons() -> None:
    result = run(CLEAN)
    assert decision(result).value == "approve"
    assert (result.value("recommended_limit"), result.value("recommended_term_days")) == (
        100_000,
        30,
    )
    assert result.values("credit_condition") == []
    assert "reasons" not in decision(result).details
    assert "what_would_change" not in decision(result).details


def test_the_limit_shows_its_formula_inputs_and_numbers() -> None:
    # 450,000 a year, medium risk (fair payment 15 + moderate exposure 10 = 25):
    # capacity = min(cap 400,000, floor_to(450,000 × 0.15 × 1.0, 1,000)) = 67,000
    result = run(
        {
            **CLEAN,
            "on_time_payment_pct": 85,
            "requested_amount": 90_000,
            "current_credit_limit": 200_000,
        },
        annual_purchases=450_000,
    )
    assert decision(result).value == "approve_with_conditions"
    capacity = result.conclusion("credit_capacity")
    assert capacity is not None and capacity.value == 67_000
    formula = capacity.details["formula"]
    assert formula["formula"] == "credit_capacity"
    assert formula["inputs"]["size.value"] == 450_000
    assert formula["inputs"]["security.value"] == 1.0
    assert formula["inputs"]["share.value"] == 0.15
    assert formula["inputs"]["cap.value"] == 400_000
    assert formula["inputs"]["credit.limit_rounding_step"] == 1_000
    limit = result.conclusion("recommended_limit")
    assert limit is not None and limit.value == 67_000
    assert limit.details["formula"]["text"] == "recommended limit = min(request, capacity)"
    assert limit.details["formula"]["inputs"] == {
        "credit.requested_amount": 90_000,
        "capacity.value": 67_000,
    }
    assert sorted(result.values("credit_condition")) == ["guarantee", "reduced_amount"]


def test_formula_inputs_are_shown_by_name_never_by_id() -> None:
    """People read "requested amount 90,000" and a parameter's own name, not
    ``credit.requested_amount=90000.0``; the ids stay in ``inputs`` for programs."""
    case = {**CLEAN, "on_time_payment_pct": 85, "requested_amount": 90_000}
    for lang, step in (
        ("en", "credit limit rounding step 1,000"),
        ("zh", "授信额度取整单位 1,000"),
    ):
        result = run(case, annual_purchases=450_000, lang=lang)
        shown = result.conclusion("credit_capacity").details["formula"]["shown"]
        assert step in shown, shown
        limit = result.conclusion("recommended_limit").details["formula"]["shown"]
        assert limit[0] == ("requested credit 90,000" if lang == "en" else "申请授信额度 90,000")
        assert not any("." in text.split()[0] or "_" in text for text in shown + limit)


REFER = {**CLEAN, "longest_days_overdue": 75, "debt_ratio_pct": 55}
"""A recent delay of 75 days (poor payment, 30 points) + moderate leverage (10) = 40: high risk,
refer (whatever security is offered)."""


def test_reasons_are_ranked_specific_and_tied_to_the_rules_used() -> None:
    result = run(REFER)
    refer = decision(result)
    assert (refer.value, refer.rules) == ("refer", ["CR-104"])
    reasons = refer.details["reasons"]
    # the high risk verdict (CR-071) is not an input: the reasons are the indicators behind it
    assert [r["rule"] for r in reasons] == ["CR-007", "CR-029"]
    assert [r["rank"] for r in reasons] == [1, 2]
    assert [r["score"] for r in reasons] == [30, 10]
    first = reasons[0]
    assert first["facts"] == {"credit.longest_days_overdue": 75, "worst_delay_recency": "recent"}
    assert "longest days overdue 75 > 30" in first["text"]
    assert reasons[1]["facts"] == {"credit.debt_ratio_pct": 55, "payer_profile": "trade"}
    assert set(result.fired_rules()) >= {r["rule"] for r in reasons}


def test_a_referral_held_by_the_payment_record_has_no_path_within_reach() -> None:
    refer = decision(run(REFER))
    # the delay of 75 days is on record: no one can change it, so nothing is proposed
    assert refer.details["what_would_change"] == []
    path = refer.details["path_to_better"]
    assert path["proposals"] == []
    assert path["complete"] is True
    assert path["text"].startswith("No change within reach gives a better answer")
    # an old delay would help, if it were: still not proposed
    stale = decision(run({**REFER, "worst_delay_months_ago": None}))
    fields = {
        c["field"] for p in stale.details["path_to_better"]["proposals"] for c in p["changes"]
    }
    assert "credit.worst_delay_months_ago" not in fields


def test_what_would_change_finds_the_largest_request_that_would_be_covered() -> None:
    # exposure 550,000 / 2,000,000 = 0.275 is moderate (10 points): low risk, capacity
    # 2,000,000 × 0.25 = 500,000, so a request of 550,000 is reduced
    result = run({**CLEAN, "requested_amount": 550_000})
    assert decision(result).value == "approve_with_conditions"
    assert result.values("credit_condition") == ["reduced_amount"]
    change = decision(result).details["what_would_change"][0]
    assert (change["field"], change["from"], change["to"], change["decision"]) == (
        "credit.requested_amount",
        550_000,
        500_000,
        "approve",
    )


def test_missing_information_is_a_state_not_an_error() -> None:
    result = run({"requested_amount": 50_000, "requested_term_days": 30}, purchase_frequency=6)
    assert result.value("information_sufficiency") == "insufficient"
    assert result.value("payment_behaviour") == "unknown"
    refer = decision(result)
    assert refer.value == "refer"
    assert {r["rule"] for r in refer.details["reasons"]} >= {"CR-080", "CR-081"}


def test_investigations_are_ordered_by_what_they_would_settle() -> None:
    result = run({"requested_amount": 50_000, "requested_term_days": 30}, purchase_frequency=6)
    found = [c for c in result.conclusions if c.topic == "investigation"]
    assert [c.value for c in found] == [
        "credit_agency_report",  # records 30 + basic 20 + independent 25
        "bank_enquiry",  # records 25 + independent 20
        "internal_records",  # records 40: the customer has orders in our books
        "customer_documents",
        "industry_enquiry",
    ]
    assert [c.details["priority"] for c in found] == [1, 2, 3, 4, 5]
    assert [c.score for c in found] == [75, 45, 40, 30, 15]
    agency = found[0].details
    assert agency["covers"] == ["basic information", "credit records"]
    assert any("litigation" in ask for ask in agency["asks"])


def test_the_grade_scales_the_limit_but_never_overrides_serious_delinquency() -> None:
    request = {**CLEAN, "requested_amount": 1_100_000, "current_credit_limit": 1_000_000}
    grades = {
        margin: run(request, annual_purchases=4_000_000, gross_margin_pct=margin)
        for margin in (20, 10, -3)
    }
    most_valuable, ordinary, below_zero = grades[20], grades[10], grades[-3]
    # low risk (exposure 0.275: 10 points): 4,000,000 × 0.25 = 1,000,000 × 1.5 / 1.0 / 0.5
    assert [g.value("credit_appetite") for g in grades.values()] == [
        "generous",
        "standard",
        "strict",
    ]
    assert [g.value("credit_capacity") for g in grades.values()] == [
        1_500_000,
        1_000_000,
        500_000,
    ]
    assert [g.value("recommended_limit") for g in grades.values()] == [
        1_100_000,
        1_000_000,
        500_000,
    ]
    assert decision(most_valuable).value == "approve"
    assert "partial_prepayment" in below_zero.values("credit_condition")
    assert "partial_prepayment" not in ordinary.values("credit_condition")
    serious = run(
        {**CLEAN, "bad_debts_count": 1, "security_offered": "collateral"}, gross_margin_pct=20
    )
    assert serious.value("credit_appetite") == "generous"
    assert decision(serious).value == "decline"
    assert decision(serious).details["reasons"][0]["rule"] == "CR-015"


@pytest.mark.parametrize(
    ("days", "amount", "referral"),
    [(10, 6_000, "follow_up"), (45, 30_000, "collect"), (120, 5_000, "collect"), (45, 900, None)],
)
def test_existing_overdue_debt_is_referred_to_collection(
    days: int, amount: int, referral: str | None
) -> None:
    result = run({**CLEAN, "current_days_overdue": days, "overdue_amount": amount})
    assert result.value("collection_referral") == referral
    assert result.value("amount_to_collect") == (amount if referral else None)


def test_chinese_reasons_and_changes() -> None:
    refer = decision(run(REFER, lang="zh"))
    assert refer.label == "转交信用经理审核"
    assert "历史最长逾期天数 75 > 30" in refer.details["reasons"][0]["text"]
    assert refer.details["what_would_change"] == []
    assert refer.details["path_to_better"]["text"].startswith("在可控范围内没有任何改变")


@pytest.mark.parametrize(
    ("lang", "reasons", "changes"),
    [("en", "principal reasons:", "what would change it:"), ("zh", "主要理由：", "如何改变决策：")],
)
def test_text_rendering_shows_reasons_and_changes(lang: str, reasons: str, changes: str) -> None:
    result = run(REFER, lang=lang)
    text = render_result(result, "T-1", default_engine().compiled.knowledge)
    assert reasons in text and changes in text
    weight = "权重" if lang == "zh" else "weight"
    assert f"1. [{weight} 30] CR-007" in text


def test_cases_without_a_credit_section_get_no_credit_conclusions() -> None:
    result = consult({"customer": customer()})
    assert result.value("service_tier") is not None
    assert not [c for c in result.conclusions if c.topic.startswith("credit")]
    assert all(not step.rule.startswith("CR-") for step in result.trace)


def test_bad_credit_input_names_the_field() -> None:
    with pytest.raises(InputError) as caught:
        run({**CLEAN, "requested_amount": 0, "bank_report": "great"})
    fields = {p.field for p in caught.value.problems}
    assert fields == {"credit.requested_amount", "credit.bank_report"}


def test_when_no_single_change_is_enough_the_text_says_so() -> None:
    nothing_known = run(
        {"requested_amount": 100_000, "requested_term_days": 60}, annual_purchases=120_000
    )
    assert decision(nothing_known).details["what_would_change"] == []
    text = render_result(nothing_known, "T-1", default_engine().compiled.knowledge)
    assert "what would change it: none" in text


@pytest.mark.parametrize(
    ("counts", "lang", "field", "says"),
    [
        ({"late_12m_1_30": 1}, "en", "credit.late_12m_over_90", "give all four counts"),
        ({"late_12m_1_30": 1}, "zh", "credit.late_12m_over_90", "四档须一并填写"),
        (
            {**{f"late_{w}_{b}": 0 for w in ("12m", "24m") for b in BUCKETS}, "late_12m_1_30": 2},
            "en",
            "credit.late_24m_1_30",
            "late_24m_1_30 is 0 but late_12m_1_30 is 2",
        ),
        (
            {**{f"late_{w}_{b}": 0 for w in ("12m", "24m") for b in BUCKETS}, "late_12m_1_30": 2},
            "zh",
            "credit.late_24m_1_30",
            "近24个月包含近12个月",
        ),
        ({f"late_24m_{b}": 0 for b in BUCKETS}, "en", "credit.late_12m_1_30", "need the 12-month"),
    ],
)
def test_late_invoice_counts_that_do_not_fit_together_are_refused_at_their_field(
    counts: dict[str, int], lang: str, field: str, says: str
) -> None:
    base = {k: v for k, v in CLEAN.items() if not k.startswith("late_")}
    with pytest.raises(InputError) as caught:
        run({**base, **counts}, lang=lang)
    messages = {p.field: p.message for p in caught.value.problems}
    assert says in messages[field]


def test_what_would_change_leaves_out_only_sections_that_cannot_reach_the_decision() -> None:
    from engine.advice.counterfactual import Search, what_would_change
    from engine.advice.reach import feeding_sections
    from engine.intake import parse_case

    engine = default_engine()
    assert feeding_sections(engine, "credit_decision") == {"customer", "credit", "collection"}
    deal = {"stage": "closing", "objections": ["price"], "contact_channel": "phone"}
    case = parse_case({"customer": customer(**BIG), "credit": REFER, "deal": deal})
    untrimmed = Search(engine, case, "credit", "credit_decision")
    assert what_would_change(engine, case, "credit", "credit_decision") == untrimmed.changes(
        "credit_decision"
    )
