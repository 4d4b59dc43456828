"""Engine behaviour: trace shape, explanations, errors surfaced, session hygiene."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from benchmarks.cases import generate_cases
from engine import (
    Engine,
    FiringBudgetExceeded,
    InputError,
    KnowledgeBaseError,
    RuleConflictError,
    RuleExecutionError,
    consult,
    default_engine,
)
from engine.intake import case_facts, engine_value, parse_case
from knowledge_base.facts import SECTIONS
from tests.conftest import customer


def test_result_json_has_the_documented_shape() -> None:
    data = consult({"customer": customer()}).model_dump(mode="json")
    assert data["ruleset_version"].startswith("rb-")
    first = data["conclusions"][0]
    assert {"topic", "value", "details", "rules", "how", "why_not"} <= first.keys()
    step = data["trace"][0]
    assert set(step) == {"seq", "rule", "matched", "asserted", "confirmed"}
    assert [s["seq"] for s in data["trace"]] == list(range(1, len(data["trace"]) + 1))


def test_trace_records_the_values_each_rule_tested() -> None:
    result = consult({"customer": customer(annual_purchases=1_234_567, purchase_frequency=20)})
    step = next(s for s in result.trace if s.rule == "GR-007")
    assert step.matched[0].fact == "customer"
    assert step.matched[0].values == {"annual_purchases": 1_234_567}
    assert [(a.topic, a.value) for a in step.asserted] == [("monetary_band", "high")]
    chained = next(s for s in result.trace if s.rule == "GR-019")
    assert {m.fact: m.values for m in chained.matched} == {
        "monetary_band": {"value": "high"},
        "frequency_band": {"value": "high"},
    }


def test_how_chains_from_input_facts_with_actual_values_and_thresholds() -> None:
    result = consult({"customer": customer(annual_purchases=1_234_567, purchase_frequency=20)})
    tier = result.conclusion("value_tier")
    assert tier is not None and tier.value == "high"
    assert [s.rule for s in tier.how] == ["GR-007", "GR-004", "GR-019"]
    assert "annual purchases 1,234,567 ≥ 1,000,000 ⇒" in tier.how[0].text


def test_why_not_names_the_rule_the_failed_condition_and_threshold() -> None:
    result = consult({"customer": customer(annual_purchases=450_000, purchase_frequency=6)})
    tier = result.conclusion("value_tier")
    assert tier is not None and tier.value == "medium"
    blocked = {w.value: w for w in tier.why_not}
    high = blocked["high"]
    assert high.rule == "GR-019"
    # the failed condition is on the purchase-amount band; the explanation follows it down to
    # the input and the threshold that decided the band
    assert (high.field, high.actual, high.expected) == (
        "customer.annual_purchases",
        450_000,
        1_000_000,
    )
    assert high.failed == (
        "needs Purchase amount is High amount, but Purchase amount is Medium amount: "
        "needs annual purchases ≥ 1,000,000, "
        "but annual purchases is 450,000"
    )
    assert blocked["low"].rule == "GR-022" and blocked["low"].expected == 200_000


def test_intermediate_bands_carry_no_why_not_of_their_own() -> None:
    result = consult({"customer": customer()})
    recency = result.conclusion("recency")
    assert recency is not None and recency.intermediate and recency.why_not == []


def test_chinese_explanations() -> None:
    result = consult({"customer": customer()}, lang="zh")
    tier = result.conclusion("value_tier")
    assert tier is not None and tier.label == "中价值客户"
    assert "近12个月采购额 450,000 ≥ 200,000" in tier.how[0].text


def test_service_tier_carries_its_entitlements() -> None:
    result = consult(
        {
            "customer": customer(
                annual_purchases=2_000_000, purchase_frequency=20, relationship_years=6
            )
        }
    )
    tier = result.conclusion("service_tier")
    assert tier is not None and tier.value == "vip"
    assert "Dedicated account manager" in tier.details["entitlements"]
    plan = result.conclusion("maintenance_plan")
    assert plan is not None and {"cadence", "channel", "offers"} <= plan.details.keys()


def _divide_by_field(records: list[dict[str, Any]]) -> None:
    records[0]["then"] = [{"topic": "test_ratio", "formula": "test_div"}]
    records[0]["module"] = "grading"


DIV_FORMULA = [
    {
        "id": "test_div",
        "text": {"en": "a / b", "zh": "a / b"},
        "description": {"en": "test", "zh": "测试"},
        "expr": {
            "op": "div",
            "args": [
                {"field": "customer.annual_purchases"},
                {"field": "customer.complaints_last_year"},
            ],
        },
    }
]
RATIO_TOPIC = [
    {
        "id": "test_ratio",
        "module": "grading",
        "kind": "number",
        "label": {"en": "ratio", "zh": "比率"},
        "description": {"en": "t", "zh": "测试"},
    }
]


def test_an_action_that_raises_surfaces_naming_the_rule(
    custom_engine: Callable[..., Engine],
) -> None:
    engine = custom_engine(edit=_divide_by_field, formulas=DIV_FORMULA, topics=RATIO_TOPIC)
    with pytest.raises(RuleExecutionError) as caught:
        engine.consult({"customer": customer(days_since_last_purchase=10, complaints_last_year=0)})
    assert caught.value.rule_id == "GR-001"
    assert "ZeroDivisionError" in str(caught.value)
    # the engine stays usable afterwards: the failed session was cleaned up
    ok = engine.consult({"customer": customer(days_since_last_purchase=10, complaints_last_year=2)})
    assert ok.value("test_ratio") == 225_000


def test_contradicting_rules_are_reported(custom_engine: Callable[..., Engine]) -> None:
    def both_recent_and_lapsed(records: list[dict[str, Any]]) -> None:
        records[2]["when"] = records[0]["when"]  # GR-003 now fires whenever GR-001 does

    engine = custom_engine(edit=both_recent_and_lapsed)
    with pytest.raises(RuleConflictError, match="GR-001 concluded 'recent' but rule GR-003"):
        engine.consult({"customer": customer(days_since_last_purchase=10)})


def test_a_rule_loop_stops_at_the_firing_budget(custom_engine: Callable[..., Engine]) -> None:
    counter = [
        {
            "id": "test_counter",
            "module": "grading",
            "kind": "number",
            "cardinality": "many",
            "label": {"en": "n", "zh": "计数"},
            "description": {"en": "t", "zh": "测试"},
        }
    ]
    step = [
        {
            "id": "test_next",
            "text": {"en": "n+1", "zh": "n+1"},
            "description": {"en": "t", "zh": "测试"},
            "expr": {
                "op": "add",
                "args": [
                    {"field": "test_counter.value"},
                    {"param": "grading.recency_recent_max_days"},
                ],
            },
        }
    ]

    def loop(records: list[dict[str, Any]]) -> None:
        records[0]["then"].append({"topic": "test_counter", "formula": "test_start"})
        records.append(
            {
                **records[1],
                "id": "GR-999",
                "when": [{"fact": "test_counter"}],
                "then": [{"topic": "test_counter", "formula": "test_next"}],
            }
        )

    start = [
        {
            "id": "test_start",
            "text": {"en": "0", "zh": "0"},
            "description": {"en": "t", "zh": "测试"},
            "expr": {"field": "customer.complaints_last_year"},
        }
    ]
    engine = custom_engine(edit=loop, formulas=step + start, topics=counter)
    with pytest.raises(FiringBudgetExceeded, match="GR-999"):
        engine.consult({"customer": customer(days_since_last_purchase=10)})


def test_a_rule_on_an_unknown_field_is_refused_at_compile_time(
    custom_engine: Callable[..., Engine],
) -> None:
    def typo(records: list[dict[str, Any]]) -> None:
        records[0]["when"][0]["tests"][0]["field"] = "days_since_last_purchse"

    with pytest.raises(KnowledgeBaseError, match=r"GR-001.*no field 'days_since_last_purchse'"):
        custom_engine(edit=typo)


@pytest.mark.parametrize(
    ("field", "value", "message", "chinese"),
    [
        ("annual_purchases", -5, "must be 0 or more", "须不小于 0"),
        (
            "nature",
            "alien",
            "must be one of: government, special_company, company, individual, partner",
            "须为以下之一：government、special_company、company、individual、partner",
        ),
        ("gross_margin_pct", "lots", "must be a valid number", "必须是有效的数字"),
        (
            "days_since_last_purchse",
            3,
            "unknown field; did you mean 'days_since_last_purchase'? Allowed: id, name, nature",
            "未知字段（是否要写“days_since_last_purchase”？）；允许的字段：id、name、nature",
        ),
    ],
)
def test_bad_input_names_the_field_the_value_and_what_is_allowed(
    field: str, value: object, message: str, chinese: str
) -> None:
    for lang, wanted in (("en", message), ("zh", chinese)):
        with pytest.raises(InputError) as caught:
            default_engine().consult({"customer": customer(**{field: value})}, lang)
        problem = caught.value.problems[0]
        assert problem.field == f"customer.{field}"
        assert problem.value == value
        assert problem.message.startswith(wanted)


def test_a_command_prints_input_problems_in_its_language() -> None:
    """Headings, the value given and the model's own checks: none left in English."""
    data = customer(annual_purchases=2_000_000_000_000)
    del data["name"]
    with pytest.raises(InputError) as problem:
        default_engine().consult({"customer": data}, "zh")
    assert problem.value.text("zh") == (
        "输入有误，共 2 处：\n"
        "  - customer.name：必填\n"
        "  - customer.annual_purchases：须不大于 1,000,000,000,000（收到的是 2000000000000）"
    )
    with pytest.raises(InputError) as english:
        default_engine().consult({"customer": data})
    assert english.value.text("en") == (
        "invalid input, 2 problem(s):\n"
        "  - customer.name: is required\n"
        "  - customer.annual_purchases: must be 1,000,000,000,000 or less (got 2000000000000)"
    )


def test_missing_required_field_is_reported() -> None:
    data = customer()
    del data["annual_purchases"]
    with pytest.raises(InputError) as caught:
        consult({"customer": data})
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("customer.annual_purchases", "is required")
    ]


def test_floats_that_durable_rules_cannot_parse_are_normalised() -> None:
    costs = {"discounts_pct": 0, "returns_pct": 0, "service_cost": 0}  # else below zero (GR-080)
    tiny = consult(
        {"customer": customer(gross_margin_pct=1e-05, purchases_growth_pct=1e-7, **costs)}
    )
    assert tiny.value("margin_band") == "thin"
    assert tiny.value("growth_trend") == "stable"


def test_why_not_texts_never_carry_another_consultations_numbers() -> None:
    """Regression: the why-not cache key must cover the inputs of the bands it descends to."""
    for amount in (450_000, 500_000, 999_999):
        result = consult({"customer": customer(annual_purchases=amount)})
        tier = result.conclusion("value_tier")
        assert tier is not None and tier.value == "medium"
        high = next(w for w in tier.why_not if w.value == "high")
        assert high.actual == amount
        assert f"but annual purchases is {amount:,}" in high.failed


def test_the_explanations_checks_agree_with_the_engine_on_every_rule() -> None:
    """Why-not re-checks conditions in Python: a rule's checks all pass exactly when the
    engine fired it (no pattern compares two facts, so each pattern is checked on its own)."""
    engine = default_engine()
    explainer = engine.explainer("en")
    rules = engine.compiled.rulebase.rules
    for case in generate_cases(150, seed=11):
        parsed = parse_case(case)
        facts = case_facts(parsed)
        firing = engine.infer(parsed, facts)
        by_type = {fact["t"]: fact for fact in facts}
        fired = {step.rule for step in firing.steps}
        for rule in rules:
            blocked = explainer._why_nots._shallow(rule.id, firing, by_type, None, "")
            assert (blocked is None) == (rule.id in fired), (rule.id, blocked, case)


def test_sentences_of_computed_numbers_quote_each_consultations_own_number() -> None:
    """A formula rule's sentence frame is cached per rule with a hole for the number: the hole
    must be filled with this consultation's result, never a previous one's."""
    from engine.labels import number

    engine = default_engine()
    quoted: set[tuple[str, Any]] = set()
    for lang in ("en", "zh"):
        for case in generate_cases(40, seed=3):
            result = engine.consult(case, lang=lang, what_if=False)
            first_concluded = {s.rule: s.asserted[0].topic for s in result.trace if s.asserted}
            for found in result.conclusions:
                # a computed number that its rule concludes first (the sentence ends with it)
                if "formula" in found.details and first_concluded[found.rules[0]] == found.topic:
                    own = found.how[-1]
                    assert own.rule == found.rules[0]
                    assert own.text.endswith(f"= {number(found.value)}"), (found.topic, own.text)
                    quoted.add((found.topic, found.value))
    assert len({value for _, value in quoted}) > 20  # many different numbers, not one repeated


def test_one_consultations_explanations_share_each_steps_sentence() -> None:
    """The "how" chains and the principal reasons quote the same firing with the same text."""
    engine = default_engine()
    checked = 0
    for case in generate_cases(60, seed=8):
        result = engine.consult(case, what_if=False)
        decision = result.conclusion("credit_decision")
        if decision is None or not decision.details.get("reasons"):
            continue
        texts: dict[str, set[str]] = {}
        for conclusion in result.conclusions:
            for step in conclusion.how:
                texts.setdefault(step.rule, set()).add(step.text)
        for reason in decision.details["reasons"]:
            assert reason["text"] in texts[reason["rule"]]
            checked += 1
    assert checked > 20


def test_the_explanation_cache_starts_afresh_past_its_bound() -> None:
    from engine.textcache import TextCache

    cache = TextCache(size=2)
    assert cache.put(("a",), []) == [] and cache.get(("a",)) == []  # empty results are kept
    cache.put(("b",), "B")
    cache.put(("c",), "C")  # the third entry: the cache is cleared first
    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == (None, None, "C")


def test_a_condition_text_that_leaves_the_value_out_quotes_no_value() -> None:
    """A translation may leave ``{actual}`` out of a threshold test's text: the sentence then
    stays fixed rather than getting the value appended."""
    import dataclasses

    from engine.explain import Explainer

    compiled = default_engine().compiled
    kb = compiled.knowledge
    rule = next(r for r in compiled.rulebase.rules if any(t.param for p in r.when for t in p.tests))
    edited = {**kb.texts["en"], "explain.test_param": "{label} {op} {threshold} ({param})"}
    plain = dataclasses.replace(kb, texts={**kb.texts, "en": edited})
    for knowledge, quoted in ((kb, True), (plain, False)):
        parts = [p for ps in Explainer((rule,), knowledge, "en")._tests[rule.id] for p in ps]
        tests = [t for pattern in rule.when for t in pattern.tests]
        thresholded = [p for p, t in zip(parts, tests, strict=True) if t.param]
        assert thresholded and all(p.dynamic is quoted for p in thresholded), rule.id


def test_case_facts_keep_every_given_value_in_field_order() -> None:
    """The facts read the validated sections directly: same keys, order and engine values as
    the sections' own dump."""
    for raw in generate_cases(200, seed=5):
        case = parse_case(raw)
        by_type = {f["t"]: f for f in case_facts(case)}
        for name in SECTIONS:
            section = getattr(case, name)
            if section is None:
                assert name not in by_type
                continue
            dumped = {k: engine_value(v) for k, v in section.model_dump().items() if v is not None}
            assert by_type[name] == {"t": name, **dumped}
            assert list(by_type[name]) == ["t", *dumped]


def test_a_fields_formatter_shows_each_value_as_value_label_does() -> None:
    """Formatters keep labels per value: a bool must not take the label of the number 1, and
    values past the kept labels' bound are still shown right."""
    from engine.labels import LABELS_PER_FIELD, value_formatter, value_label

    kb = default_engine().compiled.knowledge
    for lang in ("en", "zh"):
        shown = value_formatter("credit", "bank_report", kb, lang)
        values: list[Any] = [True, 1, 1.0, 1.5, False, 0, "adverse", "not_done", None, ["a"]]
        for value in values * 2:  # the second pass reads what the first one kept
            assert shown(value) == value_label("credit", "bank_report", value, kb, lang)
        assert shown(True) != shown(1)
        for n in range(LABELS_PER_FIELD * 2):
            assert shown(f"v{n}") == f"v{n}"


def test_a_consultation_stops_at_the_firing_budget_with_an_error_naming_the_last_rule() -> None:
    """Rules that keep re-triggering each other would never stop: past FIRING_BUDGET firings
    the consultation fails instead, and fires nothing more."""
    from engine.errors import FiringBudgetExceeded
    from engine.firing import FIRING_BUDGET, Firing

    compiled = default_engine().compiled
    rule_id = next(r for r, plan in compiled.plans.items() if plan.concludes[0].fixed)
    firing = Firing(compiled)
    for _ in range(FIRING_BUDGET):
        firing.fire(rule_id, {})
    assert firing.errors == [] and firing.fired == FIRING_BUDGET
    assert firing.fire(rule_id, {}) == []
    (error,) = firing.errors
    assert isinstance(error, FiringBudgetExceeded)
    assert str(error) == f"more than {FIRING_BUDGET} firings; last rule {rule_id}"
    assert firing.fire(rule_id, {}) == [] and len(firing.errors) == 1
    assert len(firing.steps) == FIRING_BUDGET


def test_numbers_read_the_same_whether_kept_or_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Formatted numbers are kept (bounded): equal values share a text, and a kept text is
    the one formatting gives."""
    from engine import labels

    monkeypatch.setattr(labels, "_numbers", labels.TextCache(labels.NUMBERS_KEPT))
    labels._numbers.put(0.5, "kept")  # a kept text is what is shown…
    assert labels.number(0.5) == "kept"
    monkeypatch.setattr(labels, "_numbers", labels.TextCache(labels.NUMBERS_KEPT))  # …so: empty
    cases = [(1234567, "1,234,567"), (1234567.0, "1,234,567"), (2.5, "2.5"), (0.125, "0.12")]
    cases += [(-3.1, "-3.1"), (-0.0, "0"), (1e20, "100,000,000,000,000,000,000"), (7.999, "8")]
    for _ in range(2):  # formatted, then kept
        assert [labels.number(v) for v, _ in cases] == [text for _, text in cases]
    for n in range(labels.NUMBERS_KEPT + 10):
        labels.number(n + 0.5)
    assert len(labels._numbers) <= labels.NUMBERS_KEPT
    assert labels.number(1234567) == "1,234,567"
