"""Explanations: "how" (the chain of firings behind a conclusion) and "why not" (for each
alternative value of a one-valued topic, the rule that would have concluded it and the first
condition that failed, with the actual value and the threshold)."""

from __future__ import annotations

from typing import Any

from engine.conditions import expected, holds
from engine.firing import Derived, Firing
from engine.intake import Fact
from engine.labels import field_label, topic_value_label, value_label
from engine.result import HowStep, WhyNot
from engine.trace import TraceStep
from knowledge_base import Knowledge
from rules import Rule
from rules.schema import Pattern, Test


def describe_test(
    test: Test, fact: str, actual: Any, kb: Knowledge, lang: str, requirement: bool = False
) -> str:
    """A test with the value it saw, or (``requirement``) only what it requires."""
    label = field_label(fact, test.field, kb, lang)
    op = kb.text(f"explain.op.{test.op}", lang)
    if test.op in ("exists", "missing"):
        return kb.text("explain.test_unary", lang, label=label, op=op)
    if test.param is not None and requirement:
        return kb.text(
            "explain.need_param",
            lang,
            label=label,
            op=op,
            param=test.param,
            threshold=value_label(fact, test.field, kb.param(test.param), kb, lang),
        )
    if test.param is not None:
        return kb.text(
            "explain.test_param",
            lang,
            label=label,
            op=op,
            param=test.param,
            actual=value_label(fact, test.field, actual, kb, lang),
            threshold=value_label(fact, test.field, kb.param(test.param), kb, lang),
        )
    return kb.text(
        "explain.test_value",
        lang,
        label=label,
        op=op,
        expected=value_label(fact, test.field, expected(test, kb), kb, lang),
    )


def _conditions(rule: Rule, step: TraceStep, kb: Knowledge, lang: str) -> str:
    values = {m.alias: m.values for m in step.matched}
    parts = [
        describe_test(t, p.fact, values.get(p.name, {}).get(t.field), kb, lang)
        for p in rule.when
        for t in p.tests
    ]
    return kb.text("explain.and", lang).join(parts)


def step_sentence(rule: Rule, step: TraceStep, kb: Knowledge, lang: str) -> str:
    """One firing as a sentence: the rule's title, the tested values, what it concluded."""
    conclusions = step.asserted + step.confirmed
    topic = kb.topics[conclusions[0].topic] if conclusions else None
    value = conclusions[0].value if conclusions else ""
    fields = {
        "rule": rule.id,
        "title": rule.title.get(lang),
        "topic": topic.label.get(lang) if topic else "",
        "value": topic_value_label(topic.id, value, kb, lang) if topic else "",
    }
    conditions = _conditions(rule, step, kb, lang)
    if conditions:
        return kb.text("explain.step", lang, conditions=conditions, **fields)
    return kb.text("explain.step_no_conditions", lang, **fields)


def how(firing: Firing, derived: Derived, lang: str) -> list[HowStep]:
    """Depth-first chain: the firings that produced each derived fact a rule used, then it."""
    rules = firing.compiled.rules
    by_concluded = {(d.topic, d.value): d for d in firing.derived.values()}
    chain: list[HowStep] = []
    seen: set[int] = set()

    def visit(d: Derived) -> None:
        if d.seq in seen:
            return
        seen.add(d.seq)
        step = firing.steps[d.seq - 1]
        for matched in step.matched:
            parent = by_concluded.get((matched.fact, matched.values.get("value")))
            if parent is not None:
                visit(parent)
        rule = rules[step.rule]
        chain.append(
            HowStep(rule=rule.id, text=step_sentence(rule, step, firing.compiled.knowledge, lang))
        )

    visit(derived)
    return chain


def _candidates(pattern: Pattern, firing: Firing, facts: dict[str, Fact]) -> list[Fact] | None:
    if pattern.fact in facts:
        return [facts[pattern.fact]]
    if pattern.fact in firing.compiled.knowledge.topics:
        found = [{"value": d.value} for d in firing.derived.values() if d.topic == pattern.fact]
        return found or None
    return None


def _first_failure(
    rule: Rule, firing: Firing, facts: dict[str, Fact], lang: str, value: Any, topic: str
) -> WhyNot | None:
    kb = firing.compiled.knowledge
    label = topic_value_label(topic, value, kb, lang)
    for pattern in rule.when:
        candidates = _candidates(pattern, firing, facts)
        if candidates is None:
            key = (
                "explain.why_not_no_fact"
                if pattern.fact in kb.topics
                else "explain.why_not_no_section"
            )
            return WhyNot(
                value=value,
                label=label,
                rule=rule.id,
                failed=kb.text(key, lang, fact=field_label(pattern.fact, "value", kb, lang)),
            )
        if any(all(holds(t, c, kb) for t in pattern.tests) for c in candidates):
            continue
        fact = candidates[0]
        test = next(t for t in pattern.tests if not holds(t, fact, kb))
        actual = fact.get(test.field)
        text = kb.text(
            "explain.why_not_test",
            lang,
            condition=describe_test(test, pattern.fact, actual, kb, lang, True),
            label=field_label(pattern.fact, test.field, kb, lang),
            actual=value_label(pattern.fact, test.field, actual, kb, lang),
        )
        return WhyNot(
            value=value,
            label=label,
            rule=rule.id,
            failed=text,
            field=f"{pattern.fact}.{test.field}",
            actual=actual,
            expected=expected(test, kb),
        )
    return None


def why_not(firing: Firing, derived: Derived, facts: dict[str, Fact], lang: str) -> list[WhyNot]:
    """For each other value of the topic, every rule that concludes it and what blocked it."""
    kb = firing.compiled.knowledge
    topic = kb.topics[derived.topic]
    if topic.kind != "category" or topic.cardinality != "one":
        return []
    out: list[WhyNot] = []
    for alternative in topic.value_ids():
        if alternative == derived.value:
            continue
        for rule in firing.compiled.rulebase.rules:
            if any(c.topic == topic.id and c.value == alternative for c in rule.then):
                failure = _first_failure(rule, firing, facts, lang, alternative, topic.id)
                if failure is not None:
                    out.append(failure)
    return out
