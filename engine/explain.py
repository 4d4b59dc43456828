"""Explanations: "how" (the chain of firings behind a conclusion, each firing as a sentence
with the values it tested) and, through ``engine.whynot``, "why not".

Every text part that does not depend on the case — labels, operators, thresholds, titles — is
resolved once per rule base and language (``Explainer``); a consultation only formats the
actual values it saw. Explanations are produced for every consultation, including batch runs,
so their cost is the engine's cost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.conditions import expected
from engine.firing import Derived, Firing
from engine.intake import Fact
from engine.labels import field_label, number, topic_value_label, value_formatter, value_label
from engine.result import HowStep, WhyNot
from engine.textcache import TextCache
from engine.trace import AssertedFact, TraceStep
from engine.whynot import WhyNots
from engine.whynot_support import graded_topics
from knowledge_base import Knowledge
from rules import Rule
from rules.schema import Pattern, Test

Formatter = Callable[[Any], str]
Frame = tuple[str, str, str | None]
"""Text before the conditions, text after them, and the conditions when they never vary."""
Conditions = tuple[str, tuple[tuple[int, str, str, Formatter, str], ...]]
"""A rule's conditions as text with holes for the actual values (``Explainer._conditions``)."""
FormulaText = tuple[str, tuple[tuple[str, str], ...]]
"""A formula's text, and the text before and after each of its inputs' values."""


@dataclass(frozen=True)
class TestText:
    """A test's text with everything but the actual value resolved."""

    alias: str
    field: str
    seen: str  # the finished text, or the text before the actual value when it has one
    requirement: str  # what the test requires, without the actual value
    label: str
    actual: Formatter
    after: str | None = None
    """The text after the actual value; None when the text quotes no value of the case."""

    @property
    def dynamic(self) -> bool:
        """Whether the text quotes the case's actual value."""
        return self.after is not None


def flag_formatter(field: str, kb: Knowledge, lang: str) -> Formatter:
    """A yes/no field's value as its sentence ("the debtor has not acknowledged the debt"):
    a why-not reads "needs …, but <sentence>", never "… is no" or "…为否"."""
    said = {
        value: kb.text(f"explain.flag.{field}.{str(value).lower()}", lang)
        for value in (True, False)
    }
    missing = kb.text("explain.not_given", lang)

    def sentence(value: Any) -> str:
        return said.get(value, missing) if isinstance(value, bool) else missing

    return sentence


def _test_text(test: Test, pattern: Pattern, kb: Knowledge, lang: str) -> TestText:
    fact = pattern.fact
    label = field_label(fact, test.field, kb, lang)
    op = kb.text(f"explain.op.{test.op}", lang)

    actual = value_formatter(fact, test.field, kb, lang)
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
        before, hole, after = seen.partition("\x00")  # a text may leave the value out
        return TestText(
            pattern.name, test.field, before, need, label, actual, after if hole else None
        )
    sentence = f"explain.flag.{test.field}.{str(test.value).lower()}"
    if test.op == "eq" and isinstance(test.value, bool) and sentence in kb.texts["en"]:
        text = kb.text(sentence, lang)  # "the debtor disputes the debt", not "… is yes"
        return TestText(
            pattern.name, test.field, text, text, label, flag_formatter(test.field, kb, lang)
        )
    wanted = value_label(fact, test.field, expected(test, kb), kb, lang)
    text = kb.text("explain.test_value", lang, label=label, op=op, expected=wanted)
    return TestText(pattern.name, test.field, text, text, label, actual)


class Explainer:
    """Explanation texts for one compiled rule base in one language."""

    def __init__(self, rules: tuple[Rule, ...], kb: Knowledge, lang: str) -> None:
        self.kb, self.lang = kb, lang
        self._rules = {r.id: r for r in rules}
        self._tests = {
            r.id: [[_test_text(t, p, kb, lang) for t in p.tests] for p in r.when] for r in rules
        }
        self._and = kb.text("explain.and", lang)
        self._parts = {rid: [p for ps in tests for p in ps] for rid, tests in self._tests.items()}
        self._fixed_text = {rid: not any(p.dynamic for p in ps) for rid, ps in self._parts.items()}
        self._frames: dict[tuple[str, str, str], Frame] = {}
        self.graded = graded_topics(kb)
        """The topics ``why_not`` explains; for any other it returns []."""
        self.cache = TextCache()
        """Texts that depend only on what they show, shared by consultations (bounded)."""
        self._shown = TextCache()
        """Each (topic, value)'s label, topic label and catalogue details (bounded)."""
        self.shown = self._shown.get
        """``presentation`` when it is already known (None otherwise): the lookup alone."""
        self._fixed_links: dict[tuple[str, str, str], HowStep] = {}
        self._formula_texts: dict[tuple[str, str], FormulaText] = {}
        self._holes: dict[str, Conditions] = {}
        self._one_link = frozenset(
            r.id
            for r in rules
            if self._fixed_text[r.id] and len(r.then) == 1 and r.then[0].value is not None
        )
        """Rules whose every firing reads the same (fixed conditions, one fixed conclusion)."""
        self._rule_links: dict[str, HowStep] = {}
        """The shared link of each rule in ``_one_link`` that has fired: found by rule id."""
        self._numeric = {
            t.id: (t.label.get(lang), t.intermediate)
            for t in kb.topics.values()
            if t.kind == "number"
        }
        """Label and whether intermediate of each number topic: a computed number's
        presentation is its formatted value with these (``_presentation`` gives the same)."""

    @functools.cached_property
    def _why_nots(self) -> WhyNots:
        """Built on first use: the audit views make explainers for sentences only."""
        requirements = {
            rid: [[(p.requirement, p.label, p.actual) for p in ps] for ps in tests]
            for rid, tests in self._tests.items()
        }
        rules = tuple(self._rules.values())
        return WhyNots(rules, self.kb, self.lang, requirements, self.cache)

    def why_not(self, firing: Firing, derived: Derived, facts: dict[str, Fact]) -> list[WhyNot]:
        """For each other value of a graded topic, every rule that concludes it and what
        blocked it (``engine.whynot``)."""
        return self._why_nots.of(firing, derived, facts)

    def link(self, firing: Firing, step: TraceStep) -> HowStep:
        """The step as a link of a chain; the chains and the principal reasons share it."""
        return self.links(firing)[step.seq - 1]

    def links(self, firing: Firing) -> list[HowStep]:
        """Every step of the consultation as a link, in order (a traced consultation records
        every firing, so step ``seq`` is at ``seq - 1``): worked out once."""
        key = ("links", self.lang)
        found: list[HowStep] | None = firing.memo.get(key)
        if found is None:
            found = firing.memo[key] = []
            fixed_text, fixed_links, of_rule = self._fixed_text, self._fixed_links, self._rule_links
            for step in firing.steps:  # most steps have a shared link: looked up here directly
                link = of_rule.get(step.rule)
                if link is None:
                    concluded = step.asserted or step.confirmed
                    if concluded and fixed_text[step.rule]:
                        first = concluded[0]
                        link = fixed_links.get((step.rule, first.topic, first.value))
                    if link is None:
                        link = self.how_step(step)
                found.append(link)
        return found

    def how_step(self, step: TraceStep) -> HowStep:
        """The step as a link; one shared object per rule and conclusion when the sentence
        quotes no value of the case (the rule tests only bands and categories)."""
        concluded = step.asserted or step.confirmed
        if concluded and self._fixed_text[step.rule] and isinstance(concluded[0].value, str):
            key = (step.rule, concluded[0].topic, concluded[0].value)
            link = self._fixed_links.get(key)
            if link is None:  # at most one per rule conclusion: bounded by the rule base
                link = self._fixed_links[key] = HowStep(step.rule, self.step_sentence(step))
                if step.rule in self._one_link:
                    self._rule_links[step.rule] = link
            return link
        return HowStep(step.rule, self.step_sentence(step))

    def step_sentence(self, step: TraceStep) -> str:
        """One firing as a sentence: the rule's title, the tested values, what it concluded."""
        concluded = step.asserted or step.confirmed
        first = concluded[0] if concluded else None
        prefix, suffix, fixed = self._framed(step.rule, first)
        if fixed is not None:
            return prefix + fixed + suffix
        holes = self._holes.get(step.rule)
        if holes is None:  # one per rule that quotes values: bounded by the rule base
            holes = self._holes[step.rule] = self._conditions(step.rule)
        text, matched = holes[0], step.matched
        for position, alias, name, shown, after in holes[1]:
            record = matched[position] if position < len(matched) else None
            if record is None or record.alias != alias:  # a step read back from a record
                record = next((m for m in matched if m.alias == alias), None)
            text += shown(None if record is None else record.values.get(name)) + after
        return prefix + text + suffix

    def _conditions(self, rule_id: str) -> Conditions:
        """The rule's conditions as text with a hole for each actual value: the text before
        the first value, then per value where to read it (its pattern's place in the step's
        matched facts, the pattern's name, the field), how to show it and the text after."""
        places = {p.name: i for i, p in enumerate(self._rules[rule_id].when)}
        head: str | None = None
        holes: list[tuple[int, str, str, Formatter, str]] = []
        current, hole = "", None
        for i, part in enumerate(self._parts[rule_id]):
            current += (self._and if i else "") + part.seen
            if part.after is not None:
                if hole is None:
                    head = current
                else:
                    holes.append((*hole, current))
                hole = places[part.alias], part.alias, part.field, part.actual
                current = part.after
        assert head is not None and hole is not None  # asked only for rules that quote values
        holes.append((*hole, current))
        return head, tuple(holes)

    def _framed(self, rule_id: str, first: AssertedFact | None) -> Frame:
        """The frame of a rule's sentence; built once per rule and concluded category, or
        per rule and topic for a computed number (its label is put in afterwards)."""
        computed = first is not None and not isinstance(first.value, str)
        shown = AssertedFact(first.topic, NUMBER) if first is not None and computed else first
        key = (rule_id, shown.topic, shown.value) if shown is not None else (rule_id, "", "")
        frame = self._frames.get(key)
        if frame is None:  # at most one per rule conclusion: bounded by the rule base
            frame = self._frames[key] = self._frame(rule_id, shown)
        if first is None or not computed:
            return frame
        label = topic_value_label(first.topic, first.value, self.kb, self.lang)
        prefix, suffix, fixed = frame
        return prefix.replace(NUMBER, label), suffix.replace(NUMBER, label), fixed

    def _frame(self, rule_id: str, first: AssertedFact | None) -> Frame:
        """The sentence around the conditions, and the conditions if no value varies."""
        rule, kb, lang = self._rules[rule_id], self.kb, self.lang
        parts = self._parts[rule_id]
        topic = kb.topics[first.topic] if first else None
        value = ""
        if first is not None:
            value = first.value
            if value != NUMBER:  # a computed number's label is put in per consultation
                value = topic_value_label(first.topic, value, kb, lang)
        fields = {
            "rule": rule.id,
            "title": rule.title.get(lang),
            "topic": topic.label.get(lang) if topic else "",
            "value": value,
        }
        if not parts:
            return kb.text("explain.step_no_conditions", lang, **fields), "", ""
        prefix, _, suffix = kb.text("explain.step", lang, conditions="\x00", **fields).partition(
            "\x00"
        )
        dynamic = any(p.dynamic for p in parts)
        return prefix, suffix, None if dynamic else self._and.join(p.seen for p in parts)

    def formula_details(self, rule_id: str, computation: dict[str, Any]) -> dict[str, Any]:
        """A formula's computation with its text and its inputs as a person reads them,
        "annual purchases 2,000,000": the field's or parameter's name, never its id (the ids
        stay in ``inputs`` for programs)."""
        inputs: dict[str, Any] = computation["inputs"]
        key = (rule_id, computation["formula"])
        found = self._formula_texts.get(key)
        if found is None:  # at most one per rule and formula: bounded by the rule base
            found = self._formula_texts[key] = self._formula_text(rule_id, key[1], tuple(inputs))
        text, frames = found
        shown = [
            before + number(value) + after
            for (before, after), value in zip(frames, inputs.values(), strict=True)
        ]
        return {**computation, "text": text, "shown": shown}

    def _formula_text(self, rule_id: str, formula_id: str, keys: tuple[str, ...]) -> FormulaText:
        """The formula's text and the text around each input's value ("annual purchases ",
        ""). A formula reads the same inputs in the same order in every firing (it evaluates
        every operand, ``engine.formulas``), so this is kept per rule and formula."""
        facts = {p.name: p.fact for p in self._rules[rule_id].when}
        text = self.kb.formulas[formula_id].text.get(self.lang)
        return text, tuple(self._input_frame(k, facts) for k in keys)

    def _input_frame(self, key: str, facts: dict[str, str]) -> tuple[str, str]:
        label = self._input_name(key, facts)
        text = self.kb.text("explain.formula_input", self.lang, label=label, value="\x00")
        before, _, after = text.partition("\x00")
        return before, after

    def _input_name(self, key: str, facts: dict[str, str]) -> str:
        """A parameter's label, or the label of ``alias.attribute`` of the matched fact."""
        parameter = self.kb.parameters.get(key)
        if parameter is not None:
            return parameter.label.get(self.lang)
        alias, _, attribute = key.partition(".")
        label = field_label(facts.get(alias, alias), attribute, self.kb, self.lang)
        if self.lang == "en" and label[1:2].islower():  # a topic's label, inside a sentence
            label = label[:1].lower() + label[1:]
        return label

    def selection(self, computation: dict[str, Any]) -> list[str]:
        """A selection's candidates, most evidence first: "Tough: 7 points" (kept: a book
        shows the same few combinations again and again)."""
        among, points = computation["select"], computation["points"]
        key = ("selection", among, *points.items())
        found: tuple[str, ...] | None = self.cache.get(key)
        if found is None:
            found = self.cache.put(
                key, tuple(self._selection_line(among, *p) for p in points.items())
            )
        return list(found)

    def _selection_line(self, among: str, value: Any, points: float) -> str:
        label = topic_value_label(among, value, self.kb, self.lang)
        return self.kb.text("explain.selection_line", self.lang, value=label, points=number(points))

    def presentation(self, concluded: tuple[str, Any]) -> tuple[str, str, bool, dict[str, Any]]:
        """Label, topic label, whether intermediate, catalogue details of a (topic, value):
        fixed per value, so kept (keyed by the consultation's own key of the conclusion)."""
        shown: tuple[str, str, bool, dict[str, Any]] | None = self._shown.get(concluded)
        if shown is None:
            topic, value = concluded
            kind = type(value)
            numeric = self._numeric.get(topic) if kind is int or kind is float else None
            if numeric is not None:  # a computed number: new in most consultations, not kept
                return number(value), numeric[0], numeric[1], _NO_DETAILS
            shown = self._shown.put(concluded, self._presentation(topic, value))
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


_NO_DETAILS: dict[str, Any] = {}
"""A number's catalogue details (none); ``assemble`` copies details before changing them."""

NUMBER = "\x01"
"""Stands for a computed number in a cached sentence frame until the number is put in."""


def step_sentence(rule: Rule, step: TraceStep, kb: Knowledge, lang: str) -> str:
    """A recorded firing as a sentence, for rule bases not currently compiled (audit display)."""
    return Explainer((rule,), kb, lang).step_sentence(step)
