"""Explanations: "how" (the chain of firings behind a conclusion) and "why not" (for each
alternative value of a graded topic, the rule that would have concluded it and the first
condition that failed, with the actual value and the threshold).

Every text part that does not depend on the case — labels, operators, thresholds, titles — is
resolved once per rule base and language (``Explainer``); a consultation only formats the
actual values it saw. Explanations are produced for every consultation, including batch runs,
so their cost is the engine's cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.conditions import Check, check, expected
from engine.firing import Derived, Firing
from engine.intake import Fact
from engine.labels import field_label, topic_value_label, value_label
from engine.result import HowStep, WhyNot
from engine.trace import AssertedFact, TraceStep
from knowledge_base import Knowledge
from rules import Rule
from rules.schema import Pattern, Test

Formatter = Callable[[Any], str]
Frame = tuple[str, str, str | None]
Shallow = tuple[WhyNot, "Pattern | None", "Test | None"]
"""A why-not before following a failed band down to its input: (failure, pattern, test)."""
"""Text before the conditions, text after them, and the conditions when they never vary."""


@dataclass(frozen=True)
class TestText:
    """A test's text with everything but the actual value resolved."""

    alias: str
    field: str
    seen: str  # format string with {actual}, or a finished text
    requirement: str  # what the test requires, without the actual value
    label: str
    actual: Formatter


def _test_text(test: Test, pattern: Pattern, kb: Knowledge, lang: str) -> TestText:
    fact = pattern.fact
    label = field_label(fact, test.field, kb, lang)
    op = kb.text(f"explain.op.{test.op}", lang)

    def actual(value: Any) -> str:
        return value_label(fact, test.field, value, kb, lang)

    if test.op in ("exists", "missing"):
        text = kb.text("explain.test_unary", lang, label=label, op=op)
        return TestText(pattern.name, test.field, text, text, label, actual)
    if test.param is not None:
        threshold = value_label(fact, test.field, kb.param(test.param), kb, lang)
        seen = kb.text(
            "explain.test_param",
            lang,
            label=label,
            op=op,
            param=test.param,
            actual="\x00",
            threshold=threshold,
        )
        need = kb.text(
            "explain.need_param", lang, label=label, op=op, param=test.param, threshold=threshold
        )
        return TestText(
            pattern.name,
            test.field,
            seen.replace("{", "{{").replace("}", "}}").replace("\x00", "{actual}"),
            need,
            label,
            actual,
        )
    wanted = value_label(fact, test.field, expected(test, kb), kb, lang)
    text = kb.text("explain.test_value", lang, label=label, op=op, expected=wanted)
    return TestText(pattern.name, test.field, text, text, label, actual)


def _seen(part: TestText, values: dict[str, dict[str, Any]]) -> str:
    if "{actual}" not in part.seen:
        return part.seen
    return part.seen.format(actual=part.actual(values.get(part.alias, {}).get(part.field)))


class Explainer:
    """Explanation texts for one compiled rule base in one language."""

    def __init__(self, rules: tuple[Rule, ...], kb: Knowledge, lang: str) -> None:
        self.kb, self.lang = kb, lang
        self._rules = {r.id: r for r in rules}
        self._tests = {
            r.id: [[_test_text(t, p, kb, lang) for t in p.tests] for p in r.when] for r in rules
        }
        self._checks: dict[str, list[list[Check]]] = {
            r.id: [[check(t, kb) for t in p.tests] for p in r.when] for r in rules
        }
        self._and = kb.text("explain.and", lang)
        self.producers: dict[tuple[str, Any], list[Rule]] = {}
        for rule in rules:
            for conclude in rule.then:
                self.producers.setdefault((conclude.topic, conclude.value), []).append(rule)
        self._why_not_inputs = {t: _inputs_read(self.producers, t, kb) for t in kb.topics}
        self._fixed_text = {
            rid: all("{actual}" not in p.seen for ps in tests for p in ps)
            for rid, tests in self._tests.items()
        }
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _cached(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """Texts depend only on the values they show: many consultations share them."""
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = make()
        return found

    def how_step(self, step: TraceStep) -> HowStep:
        """The step as a link of a chain; shared between consultations when its text is."""
        concluded = step.asserted or step.confirmed
        if concluded and isinstance(concluded[0].value, str) and self._fixed_text[step.rule]:
            key = ("how", step.rule, concluded[0].topic, concluded[0].value)
            link: HowStep = self._cached(key, lambda: HowStep(step.rule, self.step_sentence(step)))
            return link
        return HowStep(step.rule, self.step_sentence(step))

    def step_sentence(self, step: TraceStep) -> str:
        """One firing as a sentence: the rule's title, the tested values, what it concluded."""
        concluded = step.asserted or step.confirmed
        first = concluded[0] if concluded else None
        if first is None or isinstance(first.value, str):
            key = ("frame", step.rule, first.topic if first else "", first.value if first else "")
            frame: Frame = self._cached(key, lambda: self._frame(step.rule, first))
        else:  # a computed number: different in every consultation, not worth caching
            frame = self._frame(step.rule, first)
        prefix, suffix, fixed = frame
        if fixed is not None:
            return prefix + fixed + suffix
        values = {m.alias: m.values for m in step.matched}
        parts = self._tests[step.rule]
        return prefix + self._and.join(_seen(p, values) for ps in parts for p in ps) + suffix

    def _frame(self, rule_id: str, first: AssertedFact | None) -> Frame:
        """The sentence around the conditions, and the conditions if no value varies."""
        rule, kb, lang = self._rules[rule_id], self.kb, self.lang
        parts = [p for ps in self._tests[rule_id] for p in ps]
        topic = kb.topics[first.topic] if first else None
        fields = {
            "rule": rule.id,
            "title": rule.title.get(lang),
            "topic": topic.label.get(lang) if topic else "",
            "value": topic_value_label(topic.id, first.value, kb, lang) if topic and first else "",
        }
        if not parts:
            return kb.text("explain.step_no_conditions", lang, **fields), "", ""
        prefix, _, suffix = kb.text("explain.step", lang, conditions="\x00", **fields).partition(
            "\x00"
        )
        dynamic = any("{actual}" in p.seen for p in parts)
        return prefix, suffix, None if dynamic else self._and.join(p.seen for p in parts)

    def how_chains(self, firing: Firing) -> dict[int, list[HowStep]]:
        """For every firing (by seq), the chain of firings from input facts to it."""
        by_concluded = {(d.topic, d.value): d.seq for d in firing.derived.values()}
        links: dict[int, HowStep] = {}
        chains: dict[int, list[int]] = {}
        for step in firing.steps:  # parents always fire before their children
            seqs: dict[int, None] = {}  # an ordered set: each firing once, first place kept
            for matched in step.matched:
                parent = by_concluded.get((matched.fact, matched.values.get("value")))
                if parent is not None:
                    seqs.update(dict.fromkeys(chains[parent]))
            seqs[step.seq] = None
            chains[step.seq] = list(seqs)
            links[step.seq] = self.how_step(step)
        return {seq: [links[s] for s in seqs] for seq, seqs in chains.items()}

    def presentation(self, topic_id: str, value: Any) -> tuple[str, str, bool, dict[str, Any]]:
        """Label, topic label, whether intermediate, catalogue details: fixed per value."""
        shown: tuple[str, str, bool, dict[str, Any]] = self._cached(
            ("show", topic_id, value), lambda: self._presentation(topic_id, value)
        )
        return shown

    def _presentation(self, topic_id: str, value: Any) -> tuple[str, str, bool, dict[str, Any]]:
        kb, lang = self.kb, self.lang
        topic = kb.topics[topic_id]
        details: dict[str, Any] = {}
        entry = topic.value(str(value)) if topic.kind == "category" else None
        if entry is not None:
            details["description"] = entry.description.get(lang)
            for key, text in entry.details.items():
                details[key] = (
                    [t.get(lang) for t in text] if isinstance(text, list) else text.get(lang)
                )
        label = topic_value_label(topic_id, value, kb, lang)
        return label, topic.label.get(lang), topic.intermediate, details

    def why_not(
        self,
        firing: Firing,
        derived: Derived,
        facts: dict[str, Fact],
        values: dict[str, tuple[Any, ...]] | None = None,
    ) -> list[WhyNot]:
        """For each other value of a graded topic, every rule that concludes it and what
        blocked it."""
        topic = self.kb.topics[derived.topic]
        if topic.kind != "category" or topic.cardinality != "one" or topic.intermediate:
            return []
        values = values if values is not None else topic_values(firing)
        seen = tuple(_read(values, facts, source) for source in self._why_not_inputs[topic.id])
        key = ("why_not", topic.id, derived.value, *seen)
        found: list[Shallow] = self._cached(key, lambda: self._why_not(firing, derived, facts))
        # the way down to the deciding input reads that input's value: never cached
        return [
            failure
            if pattern is None or test is None
            else self._deeper(failure, pattern, test, firing, facts, 0)
            for failure, pattern, test in found
        ]

    def _why_not(self, firing: Firing, derived: Derived, facts: dict[str, Fact]) -> list[Shallow]:
        topic = self.kb.topics[derived.topic]
        out = []
        for alternative in topic.value_ids():
            if alternative == derived.value:
                continue
            label = topic_value_label(topic.id, alternative, self.kb, self.lang)
            for rule in self.producers.get((topic.id, alternative), ()):
                failure = self._shallow_failure(rule, firing, facts, alternative, label)
                if failure is not None:
                    out.append(failure)
        return out

    def _first_failure(
        self,
        rule: Rule,
        firing: Firing,
        facts: dict[str, Fact],
        value: Any,
        label: str,
        depth: int = 0,
    ) -> WhyNot | None:
        found = self._shallow_failure(rule, firing, facts, value, label)
        if found is None:
            return None
        failure, pattern, test = found
        if pattern is None or test is None:
            return failure
        return self._deeper(failure, pattern, test, firing, facts, depth)

    def _shallow_failure(
        self, rule: Rule, firing: Firing, facts: dict[str, Fact], value: Any, label: str
    ) -> Shallow | None:
        """The first condition of ``rule`` that failed, reading only what the rule tests."""
        kb = self.kb
        patterns = zip(rule.when, self._tests[rule.id], self._checks[rule.id], strict=True)
        for pattern, parts, checks in patterns:
            candidates = _candidates(pattern, firing, facts)
            if candidates is None:
                key = (
                    "explain.why_not_no_fact"
                    if pattern.fact in kb.topics
                    else "explain.why_not_no_section"
                )
                text = kb.text(
                    key, self.lang, fact=field_label(pattern.fact, "value", kb, self.lang)
                )
                return WhyNot(value, label, rule.id, text), None, None
            if any(_passes(checks, c) for c in candidates):
                continue
            fact = candidates[0]
            index = next(i for i, passes in enumerate(checks) if not passes(fact))
            test, part = pattern.tests[index], parts[index]
            actual = fact.get(test.field)
            text = kb.text(
                "explain.why_not_test",
                self.lang,
                condition=part.requirement,
                label=part.label,
                actual=part.actual(actual),
            )
            failure = WhyNot(
                value,
                label,
                rule.id,
                text,
                f"{pattern.fact}.{test.field}",
                actual,
                expected(test, kb),
            )
            return failure, pattern, test
        return None

    def _deeper(
        self,
        failure: WhyNot,
        pattern: Pattern,
        test: Test,
        firing: Firing,
        facts: dict[str, Fact],
        depth: int,
    ) -> WhyNot:
        """A failed test on a derived band: say which input and threshold decided the band."""
        topic = self.kb.topics.get(pattern.fact)
        if topic is None or not topic.intermediate or depth >= MAX_DEPTH:
            return failure
        wanted = (
            [test.value] if test.op == "eq" else list(test.values or ()) if test.op == "in" else []
        )
        for needed in wanted:
            for producer in self.producers.get((topic.id, needed), ()):
                inner = self._first_failure(producer, firing, facts, needed, "", depth + 1)
                if inner is not None and inner.field is not None:
                    text = self.kb.text(
                        "explain.because", self.lang, outer=failure.failed, inner=inner.failed
                    )
                    return WhyNot(
                        failure.value,
                        failure.label,
                        failure.rule,
                        text,
                        inner.field,
                        inner.actual,
                        inner.expected,
                    )
        return failure


MAX_DEPTH = 3
"""How many derived bands a why-not follows down towards the input that decided them."""

CACHE_SIZE = 20_000
"""Cached texts per language and rule base before the cache starts afresh (bounded memory)."""

Source = tuple[str, str]
"""(fact type, attribute) a why-not explanation reads; attribute "" for a whole topic."""


def _inputs_read(
    producers: dict[tuple[str, Any], list[Rule]], topic: str, kb: Knowledge
) -> tuple[Source, ...]:
    """Everything the rules concluding any value of ``topic`` test: the key of the cached
    (shallow) why-not. Following a failed band down to its input reads more (the input's
    value), which is why that step is done afresh for every consultation."""
    sources: dict[Source, None] = {}
    for (concluded, _), rules in producers.items():
        if concluded != topic:
            continue
        for rule in rules:
            for pattern in rule.when:
                sources[(pattern.fact, "")] = None  # the band's values / the section's presence
                if pattern.fact not in kb.topics:
                    sources.update(((pattern.fact, t.field), None) for t in pattern.tests)
    return tuple(sources)


def topic_values(firing: Firing) -> dict[str, tuple[Any, ...]]:
    values: dict[str, tuple[Any, ...]] = {}
    for topic, value in firing.derived:
        values[topic] = (*values.get(topic, ()), value)
    return values


def _read(values: dict[str, tuple[Any, ...]], facts: dict[str, Fact], source: Source) -> Any:
    fact, attribute = source
    if attribute:
        return _hashable(facts.get(fact, {}).get(attribute))
    if fact in facts:
        return True
    return values.get(fact, ())


def _passes(checks: list[Check], fact: Fact) -> bool:
    return all(passes(fact) for passes in checks)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _candidates(pattern: Pattern, firing: Firing, facts: dict[str, Fact]) -> list[Fact] | None:
    if pattern.fact in facts:
        return [facts[pattern.fact]]
    if pattern.fact in firing.compiled.knowledge.topics:
        found = [{"value": d.value} for d in firing.derived.values() if d.topic == pattern.fact]
        return found or None
    return None


def step_sentence(rule: Rule, step: TraceStep, kb: Knowledge, lang: str) -> str:
    """A recorded firing as a sentence, for rule bases not currently compiled (audit display)."""
    return Explainer((rule,), kb, lang).step_sentence(step)
