"""Lint finds each kind of problem; the shipped rule base has none."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

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
