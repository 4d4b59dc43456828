"""One rule for a parameter value given from outside the rule base (``engine.parameter_values``):
an overlay file, a draft's change and a simulated change are refused with the same message,
naming the parameter by its label, the value as given with its unit, and the allowed range."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.calibrate import CalibrateError, load_overlay
from engine.lint_language import problems
from engine.parameter_values import parameter_value_problem, written
from engine.policy.change import PolicyChange
from engine.policy.checks import check_value, parse_value
from engine.policy.refusal import PolicyError
from knowledge_base import load_knowledge
from tests.overlays import proposal, write_overlay

HIGH = "credit.risk_high_min_score"
FACTOR = "credit.late_older_factor"
ZOPA = "closing.zopa_min_gap"
KB = load_knowledge()

REFUSED = [
    (
        HIGH,
        5000,
        "high risk score threshold: 5,000 points is outside the allowed range, from 0 to 1,000 "
        "points",
        "参数“高风险评分门槛”：5,000分 超出允许范围（0至1,000分）",
    ),
    (
        FACTOR,
        -0.0001,
        "older late invoice factor: -0.0001 × is outside the allowed range, from 0 to 1 ×",
        "参数“较早逾期发票保留比例”：-0.0001倍 超出允许范围（0至1倍）",
    ),
    (
        ZOPA,
        -1_234_567.5,
        "minimum room for agreement: -1,234,567.5 yuan is outside the allowed range, at least 0 "
        "yuan",
        "参数“最小成交空间”：-1,234,567.5元 超出允许范围（不低于0元）",
    ),
    (
        HIGH,
        float("nan"),
        "high risk score threshold: the value must be a finite number, got nan",
        "参数“高风险评分门槛”：取值须为有限的数字，实为 nan",
    ),
    (
        HIGH,
        "55",
        "high risk score threshold: the value must be a finite number, got '55'",
        "参数“高风险评分门槛”：取值须为有限的数字，实为 '55'",
    ),
    (
        HIGH,
        True,
        "high risk score threshold: the value must be a finite number, got true",
        "参数“高风险评分门槛”：取值须为有限的数字，实为 true",
    ),
    (
        "credit.risk_high_min_scor",
        50,
        "unknown parameter `credit.risk_high_min_scor`: the rule base has no parameter of that "
        "name; did you mean `credit.risk_high_min_score`, `credit.risk_very_high_min_score`, "
        "`credit.risk_medium_min_score`?",
        "未知参数 `credit.risk_high_min_scor`：规则库中没有该名称的参数；是否指 "
        "`credit.risk_high_min_score`、`credit.risk_very_high_min_score`、"
        "`credit.risk_medium_min_score`？",
    ),
]


def _overlay_refusal(tmp_path: Path, name: str, value: object, lang: str) -> str:
    path = write_overlay(tmp_path / "overlay.yaml", {name: proposal(value)})
    with pytest.raises(CalibrateError) as caught:
        load_overlay(path, lang)
    prefix = f"{path}: "
    assert str(caught.value).startswith(prefix)
    return str(caught.value).removeprefix(prefix)


@pytest.mark.parametrize(("name", "value", "en", "zh"), REFUSED)
def test_every_source_of_a_value_is_refused_in_the_same_words(
    name: str, value: object, en: str, zh: str, tmp_path: Path
) -> None:
    for lang, want in (("en", en), ("zh", zh)):
        assert parameter_value_problem(name, value, KB, lang) == want
        assert _overlay_refusal(tmp_path, name, value, lang) == want
        with pytest.raises(PolicyError) as drafted:
            check_value(name, value, KB, lang)  # type: ignore[arg-type]
        assert str(drafted.value) == want
        change = PolicyChange({name: value})  # type: ignore[dict-item]
        assert [p.message for p in change.problems(lang)] == [want]
        assert problems(want, lang) == [], want


@pytest.mark.parametrize(
    ("name", "value"), [(HIGH, 0), (HIGH, 1000), (FACTOR, 0.045), (ZOPA, 1e12), (HIGH, 55)]
)
def test_a_finite_value_inside_the_range_bounds_included_is_accepted(
    name: str, value: float
) -> None:
    assert parameter_value_problem(name, value, KB, "en") is None
    assert check_value(name, value, KB, "en") == float(value)


def test_a_value_typed_on_the_command_line_names_the_parameter_first() -> None:
    assert parse_value(HIGH, "1_000", KB, "en") == 1000.0
    with pytest.raises(PolicyError, match=r"the value must be a finite number, got 'abc'"):
        parse_value(HIGH, "abc", KB, "en")
    with pytest.raises(PolicyError, match=r"^unknown parameter `credit\.nope`"):
        parse_value("credit.nope", "abc", KB, "en")
    with pytest.raises(PolicyError, match=r"超出允许范围（0至1,000分）"):
        parse_value(HIGH, "1e6", KB, "zh")


def test_an_integer_too_large_for_a_float_is_not_a_finite_number() -> None:
    found = parameter_value_problem(HIGH, 10**400, KB, "en")
    assert found is not None and "must be a finite number, got <a number of about" in found


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (5000.0, "5,000"),
        (812346, "812,346"),
        (0.045, "0.045"),
        (-0.0001, "-0.0001"),
        (-1234567.5, "-1,234,567.5"),
        (1e20, "1e+20"),
    ],
)
def test_a_value_is_shown_as_given_not_rounded_to_the_parameter(value: float, shown: str) -> None:
    assert written(value) == shown


def test_the_texts_exist_in_both_languages_with_the_same_placeholders() -> None:
    en = {k: v for k, v in KB.texts["en"].items() if k.startswith("parameter_value.")}
    zh = {k: v for k, v in KB.texts["zh"].items() if k.startswith("parameter_value.")}
    assert en and set(en) == set(zh)
    for key, text in en.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", zh[key])), key
        assert problems(zh[key], "zh") == [], key
