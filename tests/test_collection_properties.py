"""The debt collection module's invariants, over generated overdue accounts.

Accounts are drawn from the whole declared domain of the collection section (amounts either
side of the large-amount mark, days around every band, every situation, any set of signals);
customers from the grading strategy, so that every grade meets every account. An oracle written
from the parameters (not from the rules) gives the escalation level each account must get. A
credible repayment plan (acknowledged, first payment made, not too long, debtor not insolvent)
holds the days and the broken promises at negotiation: inability is not bad faith.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Result, consult, default_engine
from engine.firing import Firing
from engine.intake import parse_case
from knowledge_base import load_knowledge
from knowledge_base.facts import Collection
from knowledge_base.facts.customer import MONEY_MAX
from rules import load_rules
from tests.conftest import customer
from tests.strategies import credit_cases, customers

ENGINE = default_engine()
KB = ENGINE.compiled.knowledge
RULES = [r for r in load_rules().rules if r.module == "collection"]
LEVELS = list(KB.topics["escalation_level"].value_ids())
"""Mildest first: negotiate, firm, pressure, suspend, legal."""
MEANS = list(KB.topics["collection_means"].value_ids())
"""Mildest first: transfusion … legal_recovery."""
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _choices(field: str) -> list[str]:
    annotation: Any = Collection.model_fields[field].annotation
    while typing.get_origin(annotation) is not typing.Literal:
        annotation = typing.get_args(annotation)[0]
    return [str(a) for a in typing.get_args(annotation)]


SIGNALS = _choices("signals")
SITUATIONS = _choices("situation")


def param(name: str) -> float:
    return KB.param(name)


def _days() -> st.SearchStrategy[int]:
    """Mostly around the escalation bands (30/60/90/120/180 days), sometimes anywhere."""
    return st.one_of(st.integers(1, 200), st.integers(1, 36_500))


def _valid(coll: dict[str, Any]) -> dict[str, Any]:
    """The draw as a valid section: an acknowledged debt is not disputed, a plan payment needs
    a plan (both refused by the model)."""
    if coll.get("debt_acknowledged"):
        coll["debt_disputed"] = False
    if "plan_months" not in coll:
        coll.pop("plan_first_payment_made", None)
    return coll


def collections() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "overdue_amount": st.one_of(st.integers(1, 600_000), st.integers(1, 10**12)),
            "days_overdue": _days(),
        },
        optional={
            "invoices_overdue": st.integers(1, 10),
            "promises_kept": st.integers(0, 5),
            "promises_broken": st.integers(0, 6),
            "unanswered_attempts": st.integers(0, 5),
            "disputed_attempts": st.integers(0, 3),
            "debt_disputed": st.booleans(),
            "situation": st.sampled_from(SITUATIONS),
            "signals": st.lists(st.sampled_from(SIGNALS), unique=True, max_size=6),
            "debt_acknowledged": st.booleans(),
            "plan_months": st.integers(1, 120),
            "plan_first_payment_made": st.booleans(),
        },
    ).map(_valid)


def infer(cust: dict[str, Any], coll: dict[str, Any]) -> Firing:
    return ENGINE.infer(parse_case({"customer": cust, "collection": coll}))


def values(firing: Firing, topic: str) -> list[Any]:
    return [d.value for d in firing.derived.values() if d.topic == topic]


def level(firing: Firing) -> int:
    (found,) = values(firing, "escalation_level")
    return LEVELS.index(found)


def severest_means(firing: Firing) -> int:
    """Index of the most severe means advised, -1 for none."""
    return max((MEANS.index(v) for v in values(firing, "collection_means")), default=-1)


def advise(cust: dict[str, Any], coll: dict[str, Any]) -> Result:
    return consult({"customer": cust, "collection": coll}, record=False)


# ------------------------------------------------------------------ the escalation oracle


def credible_plan(coll: dict[str, Any]) -> bool:
    return bool(
        coll.get("plan_months", 10**6) <= param("collection.credible_plan_max_months")
        and coll.get("debt_acknowledged")
        and coll.get("plan_first_payment_made")
        and coll.get("situation") != "insolvent"
    )


def plan_value(coll: dict[str, Any]) -> str:
    if "plan_months" not in coll:
        return "none"
    return "credible" if credible_plan(coll) else "not_credible"


def days_level(coll: dict[str, Any]) -> str:
    if credible_plan(coll):
        return "negotiate"
    days = coll["days_overdue"]
    if coll["overdue_amount"] >= param("collection.large_amount_min"):
        bands = [
            ("legal", "large_legal"),
            ("suspend", "large_suspend"),
            ("pressure", "large_pressure"),
        ]
        floor = "firm"
    else:
        bands = [
            ("legal", "legal"),
            ("suspend", "suspend"),
            ("pressure", "pressure"),
            ("firm", "firm"),
        ]
        floor = "negotiate"
    return next((lv for lv, name in bands if days >= param(f"collection.{name}_min_days")), floor)


def promises_level(coll: dict[str, Any]) -> str:
    if credible_plan(coll):
        return "negotiate"
    broken = coll.get("promises_broken", 0)
    for lv in ("legal", "suspend", "pressure", "firm"):
        if broken >= param(f"collection.{lv}_min_broken_promises"):
            return lv
    return "negotiate"


def expected_level(coll: dict[str, Any], difference_class: str) -> str:
    aspects = [
        days_level(coll),
        promises_level(coll),
        "legal" if coll.get("situation") == "insolvent" else "negotiate",
        "firm" if difference_class == "below_zero" else "negotiate",
    ]
    return max(aspects, key=LEVELS.index)


MEANS_AT = {
    "negotiate": set(),
    "firm": {"administrative_intervention"},
    "pressure": {"administrative_intervention", "bank_supervision", "economic_counter_pressure"},
    "suspend": {"bank_supervision", "economic_counter_pressure", "suspend_cooperation"},
    "legal": {"suspend_cooperation", "legal_recovery"},
}


@PROPERTY
@given(customers(), collections())
def test_the_level_is_the_highest_any_aspect_calls_for_and_sets_the_means(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    firing = infer(cust, coll)  # a RuleConflictError would fail the test here
    for topic in (
        "escalation_level",
        "repayment_plan",
        "escalation_by_days",
        "escalation_by_promises",
        "escalation_by_situation",
        "escalation_by_relationship",
        "relationship_value",
        "credit_hold",
    ):
        assert len(values(firing, topic)) == 1, topic
    (difference_class,) = values(firing, "difference_class")
    (service_tier,) = values(firing, "service_tier")
    want = expected_level(coll, difference_class)
    assert values(firing, "escalation_level") == [want]
    assert values(firing, "repayment_plan") == [plan_value(coll)]
    valuable = service_tier in ("vip", "key") and difference_class != "below_zero"
    transfusion = (
        valuable and coll.get("situation") == "temporarily_short" and want in ("negotiate", "firm")
    )
    assert set(values(firing, "collection_means")) == MEANS_AT[want] | (
        {"transfusion"} if transfusion else set()
    )
    frozen = want in ("pressure", "suspend", "legal")
    assert values(firing, "credit_hold") == ["freeze" if frozen else "keep"]


# ------------------------------------------------------------------ monotone escalation


@PROPERTY
@given(customers(), collections(), st.integers(0, 400))
def test_more_days_overdue_never_gives_milder_means(
    cust: dict[str, Any], coll: dict[str, Any], more: int
) -> None:
    later = {**coll, "days_overdue": min(coll["days_overdue"] + more, 36_500)}
    base, worse = infer(cust, coll), infer(cust, later)
    assert level(worse) >= level(base), (coll, later)
    assert severest_means(worse) >= severest_means(base), (coll, later)
    if values(base, "credit_hold") == ["freeze"]:
        assert values(worse, "credit_hold") == ["freeze"]


@PROPERTY
@given(customers(), collections(), st.integers(0, 6))
def test_more_broken_promises_never_give_milder_means(
    cust: dict[str, Any], coll: dict[str, Any], more: int
) -> None:
    later = {**coll, "promises_broken": coll.get("promises_broken", 0) + more}
    base, worse = infer(cust, coll), infer(cust, later)
    assert level(worse) >= level(base), (coll, later)
    assert severest_means(worse) >= severest_means(base), (coll, later)
    if values(base, "credit_hold") == ["freeze"]:
        assert values(worse, "credit_hold") == ["freeze"]


@PROPERTY
@given(customers(), collections(), st.integers(0, 1_000_000))
def test_a_larger_amount_never_gives_milder_means(
    cust: dict[str, Any], coll: dict[str, Any], more: int
) -> None:
    # the largest amount a case may carry stays the ceiling: the comparison needs a valid case
    larger = {**coll, "overdue_amount": min(coll["overdue_amount"] + more, MONEY_MAX)}
    assert level(infer(cust, larger)) >= level(infer(cust, coll))


def test_the_escalation_thresholds_rise_with_the_level() -> None:
    days = [param(f"collection.{lv}_min_days") for lv in ("firm", "pressure", "suspend", "legal")]
    large = [param(f"collection.large_{lv}_min_days") for lv in ("pressure", "suspend", "legal")]
    promises = [
        param(f"collection.{lv}_min_broken_promises")
        for lv in ("firm", "pressure", "suspend", "legal")
    ]
    assert days == sorted(set(days)) and large == sorted(set(large))
    assert promises == sorted(set(promises))
    # a large amount reaches every level no later than an ordinary one
    assert all(lg <= normal for lg, normal in zip(large, days[1:], strict=True))


# ------------------------------------------------------------------ guardrails

FORBIDDEN = re.compile(
    r"threat|harass|shame|shaming|humiliat|intimidat|blackmail|violen|"
    r"威胁|恐吓|骚扰|羞辱|辱骂|暴力|胁迫|曝光",
    re.IGNORECASE,
)
NEGATION = re.compile(
    r"\b(never|not|no|don't|without|avoid|unlawful|illegal)\b|绝不|不得|切勿|禁止|严禁|避免|违法|不要|勿|并不"
)
NOT_ADVICE = frozenset({"signals"})
"""Details that describe the debtor's behaviour, not what to do."""


def _texts(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for k, v in node.items() if k not in NOT_ADVICE for t in _texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def advising_harm(text: str) -> list[str]:
    """Sentences that mention threats, harassment or shaming without ruling them out."""
    sentences = re.split(r"(?<=[.;:!?。；：！？])\s*", text)
    return [s for s in sentences if FORBIDDEN.search(s) and not NEGATION.search(s.lower())]


def test_no_topic_value_of_any_module_advises_threats_harassment_or_shaming() -> None:
    for topic in KB.topics.values():
        for value in topic.values:
            assert not FORBIDDEN.search(value.id), (topic.id, value.id)
            material = [value.label.en, value.label.zh, value.description.en, value.description.zh]
            for text in value.details.values():
                for item in text if isinstance(text, list) else [text]:
                    material += [item.en, item.zh]
            for text in material:
                assert advising_harm(text) == [], (topic.id, value.id, text)
    for rule in load_rules().rules:  # rationales are shown as why advice applies
        for text in (rule.rationale.en, rule.rationale.zh, rule.title.en, rule.title.zh):
            if rule.module != "collection" or not _describes_signal(rule.id):
                assert advising_harm(text) == [], (rule.id, text)


def _describes_signal(rule_id: str) -> bool:
    """Signal rules name the debtor's behaviour (e.g. raising voice or threatening)."""
    rule = next(r for r in RULES if r.id == rule_id)
    return any(t.op == "contains" and t.field == "signals" for p in rule.when for t in p.tests)


@PROPERTY
@given(customers(), collections())
def test_no_conclusion_ever_advises_threats_harassment_or_shaming(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    for lang in ("en", "zh"):
        result = consult({"customer": cust, "collection": coll}, lang=lang, record=False)
        for c in result.conclusions:
            for text in [str(c.value), c.label, *_texts(c.details)]:
                assert advising_harm(text) == [], (c.topic, c.value, text)
        assert "lawful_means_only" in result.values("collection_caution")


@PROPERTY
@given(customers(), collections())
def test_legal_recovery_is_advised_once_a_threshold_is_passed_and_never_before(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    firing = infer(cust, coll)
    large = coll["overdue_amount"] >= param("collection.large_amount_min")
    legal_days = param("collection.large_legal_min_days" if large else "collection.legal_min_days")
    broken = coll.get("promises_broken", 0)
    unwilling = not credible_plan(coll)  # a credible plan holds days and promises at negotiate
    passed = (
        (unwilling and coll["days_overdue"] >= legal_days)
        or (unwilling and broken >= param("collection.legal_min_broken_promises"))
        or coll.get("situation") == "insolvent"
    )
    means = values(firing, "collection_means")
    assert ("legal_recovery" in means) == passed
    assert ("hand_over_to_legal" in values(firing, "collection_caution")) == passed
    if passed:  # legal recovery is the top escalation: nothing milder than suspension with it
        assert set(means) <= {"suspend_cooperation", "legal_recovery"}


# ------------------------------------------------------------------ debtor types


def _signal_rules() -> dict[str, list[tuple[str, str, float]]]:
    """signal → [(rule id, debtor type, weight)] from the rule definitions."""
    found: dict[str, list[tuple[str, str, float]]] = {}
    for rule in RULES:
        tests = [t for p in rule.when for t in p.tests if t.field == "signals"]
        if not tests:
            continue
        (test,) = tests
        for c in rule.then:
            if c.topic == "debtor_type":
                assert c.value is not None and c.weight is not None, rule.id
                found.setdefault(str(test.value), []).append((rule.id, c.value, param(c.weight)))
    return found


SIGNAL_RULES = _signal_rules()


@PROPERTY
@given(customers(), collections())
def test_types_are_scored_by_their_signals_with_ties_and_mixtures_shown(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    result = advise(cust, coll)
    signals = coll.get("signals", [])
    expected: dict[str, float] = {}
    for signal in signals:
        for _, debtor, weight in SIGNAL_RULES[signal]:
            expected[debtor] = expected.get(debtor, 0.0) + weight
    types = [c for c in result.conclusions if c.topic == "debtor_type"]
    assert {c.value: c.score for c in types} == expected
    assert [c.score for c in types] == sorted((c.score or 0 for c in types), reverse=True)
    for c in types:
        shown = {(s["id"], s["rule"], s["score"]) for s in c.details["signals"]}
        assert shown == {
            (sig, rid, w) for sig in signals for rid, t, w in SIGNAL_RULES[sig] if t == c.value
        }
        tied = {o.label for o in types if o is not c and o.score == c.score}
        assert set(c.details.get("tied_with", [])) == tied
        assert ("mixture" in c.details) == (len(types) > 1)
    ranks = [c.details["rank"] for c in types]
    assert ranks == sorted(ranks) and (not ranks or ranks[0] == 1)
    if not signals:
        assert types == [] and result.values("collection_strategy") == []
        assert "observe_behaviour" in result.values("observation_advice")
    else:
        assert "observe_behaviour" not in result.values("observation_advice")


def test_a_types_signals_are_shared_text_but_each_result_owns_its_copy() -> None:
    """Signal evidence is made once per type and rules, so a result that changes its own
    details must not change what the next consultation shows."""
    cust = customer()
    coll = {
        "overdue_amount": 50_000,
        "days_overdue": 40,
        "situation": "able_to_pay",
        "signals": ["denies_obligation"],
    }
    first = advise(cust, coll)
    (debtor,) = [c for c in first.conclusions if c.topic == "debtor_type"]
    expected = [dict(s) for s in debtor.details["signals"]]
    assert expected and expected[0]["id"] == "denies_obligation"
    debtor.details["signals"][0]["label"] = "changed by the first caller"
    debtor.details["signals"].append({"id": "added"})
    (again,) = [c for c in advise(cust, coll).conclusions if c.topic == "debtor_type"]
    assert again.details["signals"] == expected


@PROPERTY
@given(customers(), collections())
def test_strategies_are_the_source_s_for_each_type_addressed(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    result = advise(cust, coll)
    main = {SIGNAL_RULES[s][0][1] for s in coll.get("signals", [])}
    strategies = [c for c in result.conclusions if c.topic == "collection_strategy"]
    legal = result.value("escalation_level") == "legal"  # personal pressure stops there
    assert {str(c.value) for c in strategies} == {
        s
        for s, debtor in STRATEGY_TYPE.items()
        if debtor in main and not (legal and s in PERSONAL_PRESSURE)
    }
    assert {STRATEGY_TYPE[str(c.value)] for c in strategies} <= main
    type_order = [c.value for c in result.conclusions if c.topic == "debtor_type"]
    positions = [type_order.index(STRATEGY_TYPE[str(c.value)]) for c in strategies]
    assert positions == sorted(positions)  # strategies follow the rank of their type
    for c in strategies:
        assert {"do", "say", "for_type", "rank"} <= c.details.keys(), c.value
    for c in result.conclusions:
        if c.topic == "debtor_type" and c.value not in main:
            assert "hint_only" in c.details


def _strategy_types() -> dict[str, str]:
    found = {}
    for rule in RULES:
        for c in rule.then:
            if c.topic == "collection_strategy":
                (pattern,) = [p for p in rule.when if p.fact == "type_to_address"]
                found[str(c.value)] = str(pattern.tests[0].value)
    return found


STRATEGY_TYPE = _strategy_types()
PERSONAL_PRESSURE = frozenset(
    {"carrot_and_stick", "troops_at_the_gate", "courteous_offensive", "constraint"}
)
"""Strategies that press the debtor in person: they stop once the debt is in legal recovery."""


def test_personal_pressure_strategies_are_exactly_those_stopped_in_legal_recovery() -> None:
    stopped = set()
    for rule in RULES:
        gated = [p for p in rule.when if p.fact == "escalation_level"]
        for c in rule.then:
            if c.topic == "collection_strategy" and gated:
                (pattern,) = gated
                assert "legal" not in (pattern.tests[0].values or ()), rule.id
                stopped.add(str(c.value))
    assert stopped == PERSONAL_PRESSURE


# ------------------------------------------------------------------ ranking and grouping

ADVICE = [
    "debtor_type",
    "observation_advice",
    "collection_strategy",
    "collection_occasion",
    "collection_means",
    "credit_hold",
    "collection_technique",
    "collection_caution",
]


@PROPERTY
@given(customers(), collections())
def test_advice_is_grouped_and_ranked_by_evidence_then_catalogue_order(
    cust: dict[str, Any], coll: dict[str, Any]
) -> None:
    result = advise(cust, coll)
    for topic in ("collection_occasion", "collection_technique"):
        ranked = [c for c in result.conclusions if c.topic == topic]
        order = KB.topics[topic].value_ids()
        keys = [(-(c.score or 0), order.index(c.value)) for c in ranked]
        assert keys == sorted(keys), topic
        assert [c.details["rank"] for c in ranked] == list(range(1, len(ranked) + 1))
        for c in ranked:
            assert len(c.details["evidence"]) == len(c.rules) == len(c.details["why"])
    means = result.values("collection_means")
    assert means == sorted(means, key=MEANS.index)  # mildest first
    occasions = result.values("collection_occasion")
    assert occasions, "an occasion is always advised"
    advice = [c.topic for c in result.conclusions if c.topic in ADVICE]
    assert advice == sorted(advice, key=ADVICE.index)


@settings(max_examples=30, deadline=None)
@given(customers())
def test_without_a_collection_section_the_module_says_nothing(cust: dict[str, Any]) -> None:
    result = consult({"customer": cust}, record=False)
    topics = {t.id for t in KB.topics.values() if t.module == "collection"}
    assert not [c for c in result.conclusions if c.topic in topics]
    assert not [r for r in result.fired_rules() if r.startswith("CO-")]


# ------------------------------------------------------------------ chaining with credit


@PROPERTY
@given(credit_cases(), collections())
def test_a_credit_freeze_declines_credit_and_an_open_line_changes_nothing(
    case: dict[str, Any], coll: dict[str, Any]
) -> None:
    credit = dict(case["credit"])  # the credit section shows the arrears collection shows
    credit["current_days_overdue"] = max(credit["current_days_overdue"], coll["days_overdue"])
    credit["overdue_amount"] = max(credit["overdue_amount"], coll["overdue_amount"])
    case = {**case, "credit": credit}
    with_collection = ENGINE.infer(parse_case({**case, "collection": coll}))
    without = ENGINE.infer(parse_case(case))
    (hold,) = values(with_collection, "credit_hold")
    (cap,) = values(with_collection, "collection_cap")
    assert values(without, "collection_cap") == ["open"]
    if hold == "freeze":
        assert cap == "decline"
        assert values(with_collection, "credit_decision") == ["decline"]
        assert "CR-128" in with_collection.derived[("credit_decision", "decline")].rules
    else:
        assert cap == "open"
        assert values(with_collection, "credit_decision") == values(without, "credit_decision")
        assert values(with_collection, "recommended_limit") == values(without, "recommended_limit")


def test_the_freeze_is_named_among_the_credit_decision_s_reasons() -> None:
    credit = {
        "on_time_payment_pct": 96,
        "longest_days_overdue": 8,
        "debt_ratio_pct": 42,
        "years_in_business": 14,
        "registered_capital": 8_000_000,
        "financial_trend": "stable",
        "bank_report": "favourable",
        "agency_report": "favourable",
        "requested_amount": 60_000,
        "requested_term_days": 30,
        "current_days_overdue": 65,  # the same arrears as the collection section
        "overdue_amount": 50_000,
    }
    coll = {"overdue_amount": 50_000, "days_overdue": 65, "situation": "able_to_pay"}
    case = {"customer": customer(), "credit": credit, "collection": coll}
    alone = consult({"customer": customer(), "credit": credit}, record=False)
    assert alone.value("credit_decision") != "decline"
    result = consult(case, record=False)
    decision = result.conclusion("credit_decision")
    assert decision is not None and decision.value == "decline" and decision.rules == ["CR-128"]
    (reason,) = decision.details["reasons"]
    assert reason["rule"] == "CR-127" and reason["score"] == param(
        "credit.weight_collection_freeze"
    )
    assert reason["facts"] == {"credit_hold": "freeze"}
    assert "Collection has frozen credit" in reason["text"]
    assert decision.details["what_would_change"] == []  # no credit field lifts a freeze
    zh = consult(case, lang="zh", record=False).conclusion("credit_decision")
    assert zh is not None and "催收已冻结授信" in zh.details["reasons"][0]["text"]


# ------------------------------------------------------------------ knowledge completeness


def test_every_strategy_means_occasion_and_technique_has_a_rule_citing_the_source() -> None:
    citation = {
        "collection_strategy": "MKT-CM §Credit/debtor types",
        "collection_occasion": "MKT-CM §Credit/collection occasions",
        "collection_technique": "MKT-CM §Credit/collection techniques",
        "collection_means": "MKT-CM §Credit/collection means",
        "debtor_type": "MKT-CM §Credit/debtor types",
    }
    for topic, source in citation.items():
        producers: dict[str, list[str]] = {v: [] for v in KB.topics[topic].value_ids()}
        for rule in RULES:
            for c in rule.then:
                if c.topic == topic:
                    producers[str(c.value)].append(rule.id)
                    if topic == "collection_means" and c.value == "legal_recovery":
                        # legal recovery is not one of the source's means: it is the law of
                        # 法理情义 (techniques) and compliance (PK §Ethics)
                        assert set(rule.sources) == {
                            "MKT-CM §Credit/collection techniques",
                            "PK §Ethics",
                        }
                    else:
                        assert source in rule.sources, (rule.id, rule.sources)
        assert all(producers.values()), (topic, producers)
    assert len(STRATEGY_TYPE) == 14  # the source's table: 2 + 2 + 2 + 3 + 2 + 3
    assert set(STRATEGY_TYPE.values()) == set(KB.topics["debtor_type"].value_ids())


def test_every_signal_is_read_by_a_rule_and_every_type_can_be_recognised() -> None:
    catalogue = KB.catalogues["debtor_signals"]
    assert 20 <= len(catalogue) <= 30
    assert set(SIGNAL_RULES) == set(catalogue) == set(SIGNALS)
    mains = {rules[0][1] for rules in SIGNAL_RULES.values()}
    assert mains == set(KB.topics["debtor_type"].value_ids())
    for entry in catalogue.values():
        assert entry.description.en and re.search(r"[\u4e00-\u9fff]", entry.description.zh)


REQUIRED_DETAILS = {
    "collection_strategy": {"do", "say"},
    "collection_occasion": {"where", "when"},
    "collection_means": {"how_to"},
    "collection_technique": {"how_to"},
    "collection_caution": {"how_to"},
    "observation_advice": {"observe"},
}


@pytest.mark.parametrize("topic", sorted(REQUIRED_DETAILS))
def test_every_advice_value_carries_its_material(topic: str) -> None:
    for value in load_knowledge().topics[topic].values:
        assert REQUIRED_DETAILS[topic] <= value.details.keys(), value.id


# ------------------------------------------------------------------ fixed examples


def test_a_tie_is_shown_on_both_types_in_chinese() -> None:
    coll = {
        "overdue_amount": 70_000,
        "days_overdue": 10,
        "promises_broken": 1,
        "situation": "able_to_pay",
        "signals": ["raises_voice", "breaks_promises"],
    }
    result = consult({"customer": customer(), "collection": coll}, lang="zh", record=False)
    tough, scheming = (c for c in result.conclusions if c.topic == "debtor_type")
    assert (tough.value, tough.score, scheming.value, scheming.score) == (
        "tough",
        3,
        "scheming",
        3,
    )
    assert tough.details["rank"] == scheming.details["rank"] == 1
    assert tough.details["tied_with"] == ["阴谋型"] and scheming.details["tied_with"] == ["强硬型"]
    assert tough.details["signals"] == [
        {
            "id": "raises_voice",
            "label": "大声呵斥或出言威胁",
            "rule": "CO-001",
            "score": 3,
            "text": "大声呵斥或出言威胁（CO-001）",
        }
    ]
    assert tough.details["mixture"].startswith("债务人还表现出阴谋型（3分）的特征。")
    silence = result.conclusion("collection_strategy")
    assert silence is not None and silence.value == "silence" and silence.label == "沉默策略"
    assert silence.details["for_type"] == "强硬型" and silence.details["do"].startswith(
        "债务人高声"
    )


def test_a_valuable_customer_short_of_cash_gets_transfusion_and_keeps_credit() -> None:
    vip = customer(
        relationship_years=6,
        annual_purchases=1_800_000,
        purchase_frequency=24,
        gross_margin_pct=18.5,
        purchases_growth_pct=14,
    )
    coll = {
        "overdue_amount": 80_000,
        "days_overdue": 20,
        "situation": "temporarily_short",
        "signals": ["proposes_plan"],
    }
    result = consult({"customer": vip, "collection": coll}, record=False)
    assert result.value("service_tier") == "vip"
    assert result.values("collection_means") == ["transfusion"]
    assert result.value("credit_hold") == "keep"
    transfusion = result.conclusion("collection_means")
    assert transfusion is not None and transfusion.rules == ["CO-059"]
    assert transfusion.details["severity"] == 1
    # the same account from an ordinary customer gets no transfusion
    plain = consult(
        {"customer": customer(annual_purchases=150_000), "collection": coll}, record=False
    )
    assert plain.value("service_tier") == "ordinary" and plain.values("collection_means") == []


def test_an_insolvent_debtor_moving_assets_goes_to_legal_recovery_at_once() -> None:
    coll = {
        "overdue_amount": 30_000,
        "days_overdue": 5,
        "situation": "insolvent",
        "signals": ["moves_assets"],
    }
    result = consult({"customer": customer(), "collection": coll}, record=False)
    assert result.value("escalation_level") == "legal"
    assert result.values("collection_means") == ["suspend_cooperation", "legal_recovery"]
    assert result.values("collection_caution") == [
        "lawful_means_only",
        "preserve_assets_lawfully",
        "hand_over_to_legal",
    ]
    top = result.conclusion("collection_technique")
    assert top is not None and top.value == "act_fast"
    assert top.score == 6  # assets moving 3 + insolvent 2 + legal level 1
    level = next(c for c in result.conclusions if c.topic == "escalation_level")
    assert level.rules == ["CO-058"]
