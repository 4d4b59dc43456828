"""Golden cases: input → expected conclusions and the exact set of rules that fired."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import consult, default_engine
from tests.conftest import golden_cases, load_golden

CASES = golden_cases()


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden_case(path: Path) -> None:
    golden = load_golden(path)
    result = consult(golden["case"])
    for topic, expected in golden["expect"]["conclusions"].items():
        if isinstance(expected, list):
            assert sorted(result.values(topic)) == sorted(expected), topic
        else:
            assert result.value(topic) == expected, topic
    for topic, order in golden["expect"].get("ranking", {}).items():  # ranked many-valued topics
        assert result.values(topic) == order, topic
    for topic, scores in golden["expect"].get("scores", {}).items():  # evidence scores by value
        assert {c.value: c.score for c in result.conclusions if c.topic == topic} == scores, topic
    assert sorted(set(result.fired_rules())) == sorted(golden["expect"]["fired"])


@pytest.mark.parametrize("module", ["grading", "credit", "collection"])
def test_golden_cases_cover_every_rule_of_the_module(module: str) -> None:
    fired: set[str] = set()
    for path in golden_cases(module):
        fired.update(consult(load_golden(path)["case"]).fired_rules())
    rules = {r.id for r in default_engine().compiled.rulebase.rules if r.module == module}
    assert rules - fired == set(), "rules no golden case exercises"


CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_LIST = re.compile(r"[\u4e00-\u9fff], [\u4e00-\u9fff]")


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden_case_in_chinese(path: Path) -> None:
    """The same conclusions and rules in 简体中文, every label and "how" sentence in Chinese,
    with Chinese list punctuation (、) rather than an ASCII comma between Chinese words."""
    golden = load_golden(path)
    result = consult(golden["case"], lang="zh")
    assert sorted(set(result.fired_rules())) == sorted(golden["expect"]["fired"])
    for topic, expected in golden["expect"]["conclusions"].items():
        got = sorted(result.values(topic)) if isinstance(expected, list) else result.value(topic)
        assert got == (sorted(expected) if isinstance(expected, list) else expected), topic
    for conclusion in result.conclusions:
        assert CJK.search(conclusion.topic_label), conclusion.topic
        for step in conclusion.how:
            assert CJK.search(step.text) and not ASCII_LIST.search(step.text), step.text
