"""Lint finds each kind of problem; the shipped rule base has none."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from engine.domains import Interval, cells
from engine.lint import lint
from knowledge_base import load_knowledge
from rules import Rule, RuleBase, load_rules


def test_shipped_rule_base_is_clean() -> None:
    assert [str(f) for f in lint(load_rules(), load_knowledge())] == []


def _with(change: Callable[[list[dict[str, Any]]], None]) -> list[str]:
    records = [r.model_dump(mode="json") for r in load_rules().rules]
    change(records)
    rulebase = RuleBase(tuple(Rule.model_validate(r) for r in records))
    return [f"{f.check} {f.where}: {f.message}" for f in lint(rulebase, load_knowledge())]


def _set_test(index: int, **fields: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(records: list[dict[str, Any]]) -> None:
        records[index]["when"][0]["tests"][0].update(fields)

    return change


def _drop(rule_id: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(records: list[dict[str, Any]]) -> None:
        records[:] = [r for r in records if r["id"] != rule_id]

    return change


def _duplicate(records: list[dict[str, Any]]) -> None:
    records.append(copy.deepcopy(records[0]))


def _cite(records: list[dict[str, Any]]) -> None:
    records[0]["sources"] = ["HB §99.9"]


def _english_only(records: list[dict[str, Any]]) -> None:
    records[0]["title"]["zh"] = "Recent buyer"


def _impossible(records: list[dict[str, Any]]) -> None:
    # recent AND beyond the lapsing window: no number of days passes both tests
    records[0]["when"][0]["tests"].append(
        {
            "field": "days_since_last_purchase",
            "op": "gt",
            "param": "grading.recency_lapsing_max_days",
        }
    )


def _impossible_value(records: list[dict[str, Any]]) -> None:
    records[18]["when"][1]["tests"] = [
        {"field": "value", "op": "in", "values": ["high"]},
        {"field": "value", "op": "ne", "value": "high"},
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_duplicate, "duplicate-id GR-001"),
        (_set_test(0, field="days_since_last_buy"), "unknown-field GR-001"),
        (_set_test(0, param="grading.no_such_threshold"), "unknown-parameter GR-001"),
        (_cite, "citation GR-001: unknown section in 'HB §99.9'"),
        (_english_only, "translation GR-001 title"),
        (_drop("GR-003"), "unproduced topic recency: no rule can conclude the value 'lapsed'"),
        (_drop("GR-003"), "never-fires GR-028: "),
        (_impossible, "never-fires GR-001: customer.days_since_last_purchase"),
        (_impossible_value, "never-fires GR-019"),
        (_drop("GR-057"), "unused parameter grading.complaints_review_min"),
    ],
)
def test_lint_reports(change: Callable[[list[dict[str, Any]]], None], expected: str) -> None:
    findings = _with(change)
    assert any(f.startswith(expected) for f in findings), findings


# ---------------------------------------------------------------- decision tables (lint_tables)


def _edit(
    rule_id: str, edit: Callable[[dict[str, Any]], None]
) -> Callable[[list[dict[str, Any]]], None]:
    def change(records: list[dict[str, Any]]) -> None:
        edit(next(r for r in records if r["id"] == rule_id))

    return change


def _only(findings: list[str], prefix: str) -> str:
    found = [f for f in findings if f.startswith(prefix)]
    assert len(found) == 1, findings
    return found[0]


def test_table_gap_names_the_topic_the_rules_and_a_witness() -> None:
    gap = _only(_with(_drop("GR-002")), "table-gap topic recency: ")
    assert "gap: no rule of GR-001, GR-003 concludes recency when" in gap
    assert "customer.days_since_last_purchase = " in gap
    assert "(between grading.recency_recent_max_days and grading.recency_lapsing_max_days)" in gap


def test_table_overlap_names_both_rules_and_a_witness() -> None:
    def widen(rule: dict[str, Any]) -> None:  # recent up to the end of the lapsing window
        rule["when"][0]["tests"][0]["param"] = "grading.recency_lapsing_max_days"

    overlap = _only(_with(_edit("GR-001", widen)), "table-overlap topic recency: ")
    assert "overlap: GR-001 (recent) and GR-002 (lapsing) both match when" in overlap
    assert "customer.days_since_last_purchase = " in overlap
    assert (
        "(between grading.recency_recent_max_days and grading.recency_lapsing_max_days)" in overlap
    )


def test_table_gap_in_a_category_input() -> None:
    def narrower(rule: dict[str, Any]) -> None:  # frequency_band in [high, medium] → [high]
        rule["when"][1]["tests"][0]["values"] = ["high"]

    gap = _only(_with(_edit("GR-019", narrower)), "table-gap topic value_tier: ")
    assert "gap: no rule of GR-019..GR-022 concludes value_tier when" in gap
    assert "frequency_band=medium, monetary_band=high" in gap


def test_table_gap_on_a_missing_input_and_a_guard() -> None:
    gap = _only(_with(_drop("CL-015")), "table-gap topic agreement_zone: ")
    assert "deal.our_walk_away_price missing" in gap
    gap = _only(_with(_drop("CL-007")), "table-gap topic deal_credit_status: ")
    assert "case.has_credit=false, deal.credit_decision missing" in gap


def test_table_too_large_to_enumerate_is_reported_not_passed() -> None:
    thresholds = [p for p in load_knowledge().parameters if p.startswith("grading.")]
    figures = ["annual_purchases", "purchase_frequency", "gross_margin_pct", "relationship_years"]

    def crowd(rule: dict[str, Any]) -> None:  # every grading threshold on four more figures
        tests = [{"field": f, "op": "ge", "param": p} for f in figures for p in thresholds]
        rule["when"][0]["tests"] += tests

    findings = _with(_edit("GR-001", crowd))
    unverified = _only(findings, "table-unverified topic recency: ")
    assert "could not verify GR-001..GR-003: more than " in unverified
    assert not any(
        f.startswith(("table-gap topic recency", "table-overlap topic recency")) for f in findings
    )


def test_tables_exempt_many_valued_topics_and_unread_gaps() -> None:
    shipped = [f for f in _with(lambda records: None) if f.startswith("table-")]
    assert not any("topic buyer_state" in f for f in shipped)  # many-valued: overlaps by design
    assert not any("topic urgency_basis" in f for f in shipped)  # CL-008/CL-009: same value
    # no rule reads recommended_channel: leaving a case without one is not a gap, but two
    # channels for one case still are an overlap
    assert not any("topic recommended_channel" in f for f in _with(_drop("CL-095")))

    def wider(rule: dict[str, Any]) -> None:  # stage in [prospecting, after_sales] + one more
        rule["when"][0]["tests"][0]["values"].append("needs_assessment")

    overlaps = [f for f in _with(_edit("CL-095", wider)) if "topic recommended_channel" in f]
    assert any("CL-095 (phone) and CL-096 (face_to_face) both match" in f for f in overlaps)


def test_cells_of_whole_numbers_leave_no_stretch_between_adjacent_thresholds() -> None:
    days = cells(Interval(0, False, 100, False), {30.0, 31.0}, integer=True)
    share = cells(Interval(0, False, 100, False), {30.0, 31.0})
    assert [c.rep for c in days] == [14, 30, 31, 66]  # no whole day strictly between 30 and 31
    assert [c.rep for c in share] == [15, 30, 30.5, 31, 65.5]
