"""Why not: for each other value of a graded topic, the rule that would have concluded it and
the first condition that failed, with the actual value and the threshold. When that condition
is on a derived band (payment behaviour, information sufficiency…), the explanation follows the
band down to the input and threshold that decided it.

Everything that does not depend on the case — which premise a rule has, its checks, its
texts with a hole for the actual value, whether a failed test leads down to a band — is
prepared once per rule base and language. The part of a why-not that reads only bands and
categories is shared between consultations (cached by exactly what it reads); the way down to
the deciding input reads that input's value and is worked out once per consultation (a cache
keyed by the inputs under each band found it in one case in five and, filling the shared cache,
pushed the reusable why-nots out of it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.conditions import Check, check, expected
from engine.firing import Derived, Firing
from engine.intake import Fact
from engine.labels import field_label, topic_value_label
from engine.result import WhyNot
from engine.textcache import TextCache
from engine.whynot_support import (
    Inputs,
    _derived_facts,
    _hashable,
    _inputs_read,
    collapse,
    graded_topics,
    topic_values,
)
from knowledge_base import Knowledge
from rules import Rule
from rules.schema import Pattern, Test

MAX_DEPTH = 3
"""How many derived bands a why-not follows down towards the input that decided them."""

Band = tuple[str, tuple[Any, ...]]
"""A failed test on a derived band: (band topic, the values the test wanted)."""
Shallow = tuple[WhyNot, "Band | None"]
"""A why-not before following a failed band down to its input."""
HOLE, INNER = "\x00", "\x01"
"""Stand for the values a prepared text leaves out until a consultation fills them in."""


@dataclass(frozen=True)
class _Test:
    """One test of a premise, ready to say how it failed."""

    passes: Check
    field: str
    where: str  # "fact.field", as WhyNot.field reports it
    expected: Any
    failed: str  # "needs …, but <label> is <HOLE>"
    actual: Callable[[Any], str]
    band: Band | None  # the band to follow down if this test fails
    missing: str  # "needs …, but <label> is not given": the text when the value is missing
    wanted: tuple[int, ...] | None  # places (best first) of the values a topic test wants
    places: dict[Any, int] | None  # each value's place in the tested topic's declared order


@dataclass(frozen=True)
class _Premise:
    fact: str
    tests: tuple[_Test, ...]
    absent: str  # the text when no fact of this type exists


class WhyNots:
    """Why-not explanations for one compiled rule base in one language."""

    def __init__(
        self,
        rules: tuple[Rule, ...],
        kb: Knowledge,
        lang: str,
        requirements: dict[str, list[list[tuple[str, str, Callable[[Any], str]]]]],
        cache: TextCache,
    ) -> None:
        """``requirements``: per rule, per pattern, per test (what it requires, the tested
        field's label, how to show its actual value) — the explainer's texts, shared, as is
        its bounded cache."""
        self.kb, self.lang, self._cache = kb, lang, cache
        self.producers: dict[tuple[str, Any], list[Rule]] = {}
        for rule in rules:
            for conclude in rule.then:
                self.producers.setdefault((conclude.topic, conclude.value), []).append(rule)
        self._premises = {
            r.id: [self._premise(p, requirements[r.id][i]) for i, p in enumerate(r.when)]
            for r in rules
        }
        self._inputs: dict[str, Inputs] = {
            t: _inputs_read(self.producers, t, kb) for t in kb.topics
        }
        self._because = kb.text("explain.because", lang, outer=HOLE, inner=INNER)
        self._graded = graded_topics(kb)
        self._separator = kb.text("explain.list_separator", lang)

    def _premise(self, pattern: Pattern, texts: list[tuple[str, str, Any]]) -> _Premise:
        kb, lang = self.kb, self.lang
        missing = "no_fact" if pattern.fact in kb.topics else "no_section"
        label = field_label(pattern.fact, "value", kb, lang)
        absent = kb.text(f"explain.why_not_{missing}", lang, fact=label)
        tests = tuple(
            _Test(
                check(test, kb),
                test.field,
                f"{pattern.fact}.{test.field}",
                expected(test, kb),
                self._failed_text(test, need, label),
                actual,
                self._band(pattern, test),
                kb.text("explain.why_not_missing", lang, condition=need, label=label),
                *self._order(pattern, test),
            )
            for test, (need, label, actual) in zip(pattern.tests, texts, strict=True)
        )
        return _Premise(pattern.fact, tests, absent)

    def _failed_text(self, test: Test, need: str, label: str) -> str:
        """ "needs …, but <label> is <actual>"; for a yes/no test "needs …, but <what holds>"."""
        if test.op == "eq" and isinstance(test.value, bool):
            flag = f"explain.flag.{test.field}.true"
            if flag in self.kb.texts["en"]:
                return self.kb.text("explain.why_not_flag", self.lang, condition=need, actual=HOLE)
        return self.kb.text(
            "explain.why_not_test", self.lang, condition=need, label=label, actual=HOLE
        )

    def _order(
        self, pattern: Pattern, test: Test
    ) -> tuple[tuple[int, ...] | None, dict[Any, int] | None]:
        """For a test on a category topic's value: the places of the values it wants and the
        topic's order (values are declared best first), to tell a worse input from a better."""
        topic = self.kb.topics.get(pattern.fact)
        if topic is None or topic.kind != "category" or test.op not in ("eq", "in"):
            return None, None
        places = {v: i for i, v in enumerate(topic.value_ids())}
        values = (test.value,) if test.op == "eq" else tuple(test.values or ())
        return tuple(places[v] for v in values if v in places), places

    def _band(self, pattern: Pattern, test: Test) -> Band | None:
        topic = self.kb.topics.get(pattern.fact)
        if topic is None or not topic.intermediate or test.op not in ("eq", "in"):
            return None
        return topic.id, (test.value,) if test.op == "eq" else tuple(test.values or ())

    def of(self, firing: Firing, derived: Derived, facts: dict[str, Fact]) -> list[WhyNot]:
        """For each other value of a graded topic, every rule that concludes it and what
        blocked it; [] for bands, numbers and many-valued topics."""
        if derived.topic not in self._graded:
            return []
        values = topic_values(firing)
        scalars, lists, wholes = self._inputs[derived.topic]
        key = (
            "why_not",
            derived.topic,
            derived.value,
            *[facts.get(fact, _NO_FACT).get(attribute) for fact, attribute in scalars],
            *[_hashable(facts.get(fact, _NO_FACT).get(attribute)) for fact, attribute in lists],
            *[True if fact in facts else values.get(fact, ()) for fact in wholes],
        )
        found: list[Shallow] | None = self._cache.get(key)
        if found is None:
            found = self._cache.put(key, self._shallow_all(firing, derived, facts))
        deepened = [
            failure if band is None else self._deeper(failure, band, firing, facts, 0)
            for failure, band in found
        ]
        return collapse(deepened, self._separator) if len(deepened) > 1 else deepened

    def _shallow_all(
        self, firing: Firing, derived: Derived, facts: dict[str, Fact]
    ) -> list[Shallow]:
        """One why-not per other value: of the rules that conclude it, the one nearest to
        firing (fewest failed premises) among those that ask for nothing worse (for a better
        value) or nothing better (for a worse one) than the case has — a better answer is never
        explained by a worse input. Its blocking premise is the one on the decision's own path
        (a premise the concluding rule also reads: the risk verdict, the cap that bound), else
        its first failed premise."""
        topic = self.kb.topics[derived.topic]
        order = {v: i for i, v in enumerate(topic.value_ids())}
        on_path = self._path_facts(derived)
        out = []
        for alternative in topic.value_ids():
            if alternative == derived.value:
                continue
            better = order[alternative] < order.get(derived.value, len(order))
            label = topic_value_label(topic.id, alternative, self.kb, self.lang)
            best: tuple[int, int, Shallow] | None = None
            for rule in self.producers.get((topic.id, alternative), ()):
                failures = self._failures(rule.id, firing, facts, alternative, label, better)
                if failures:
                    blocking, off_path = _blocking(failures, on_path)
                    rank = (len(failures), off_path, blocking)
                    if best is None or rank[:2] < best[:2]:
                        best = rank
            if best is not None:
                out.append(best[2])
        return out

    def _path_facts(self, derived: Derived) -> frozenset[str]:
        """The facts the rules that reached the conclusion read: the decision's path."""
        return frozenset(p.fact for r in derived.rules for p in self._premises[r])

    def _failures(
        self,
        rule_id: str,
        firing: Firing,
        facts: dict[str, Fact],
        value: Any,
        label: str,
        better: bool,
    ) -> list[Shallow] | None:
        """Every failed premise of the rule (its first failed test each); None when the rule
        asks for a worse band than the case has (for a better value; a better band for a
        worse value): it is no way to that value from here."""
        found: list[Shallow] = []
        for premise in self._premises[rule_id]:
            fact = facts.get(premise.fact)
            if fact is None:
                candidates = _derived_facts(firing, premise.fact)
                if candidates is None:
                    found.append((WhyNot(value, label, rule_id, premise.absent), None))
                    continue
                if _any_passes(premise.tests, candidates):
                    continue
                fact = candidates[0]
            for test in premise.tests:
                if test.passes(fact):
                    continue
                actual = fact.get(test.field)
                if _wrong_way(test, actual, better):
                    return None
                text = (
                    test.missing
                    if actual is None
                    else test.failed.replace(HOLE, test.actual(actual))
                )
                why = WhyNot(value, label, rule_id, text, test.where, actual, test.expected)
                found.append((why, test.band))
                break
        return found

    def _shallow(
        self, rule_id: str, firing: Firing, facts: dict[str, Fact], value: Any, label: str
    ) -> Shallow | None:
        """The first condition of the rule that failed, reading only what the rule tests."""
        for premise in self._premises[rule_id]:
            fact = facts.get(premise.fact)
            if fact is None:
                candidates = _derived_facts(firing, premise.fact)
                if candidates is None:
                    return WhyNot(value, label, rule_id, premise.absent), None
                if _any_passes(premise.tests, candidates):
                    continue
                fact = candidates[0]
            for test in premise.tests:  # the first test the (first) fact fails, if any
                if not test.passes(fact):
                    actual = fact.get(test.field)
                    text = (
                        test.missing
                        if actual is None
                        else test.failed.replace(HOLE, test.actual(actual))
                    )
                    failure = WhyNot(value, label, rule_id, text, test.where, actual, test.expected)
                    return failure, test.band
        return None

    def _deeper(
        self, failure: WhyNot, band: Band, firing: Firing, facts: dict[str, Fact], depth: int
    ) -> WhyNot:
        """A failed test on a derived band: say which input and threshold decided the band."""
        if depth >= MAX_DEPTH:
            return failure
        key = ("deeper", self.lang, band, depth)
        inner: WhyNot | None = firing.memo.get(key, _UNKNOWN)
        if inner is _UNKNOWN:  # several alternatives fail on the same band: worked out once
            # Not shared between cases: the way down quotes the deciding input's value, so a
            # key of everything it reads (the inputs under the band) almost never recurs.
            inner = firing.memo[key] = self._band_failure(band, firing, facts, depth)
        if inner is None:
            return failure
        text = self._because.replace(HOLE, failure.failed).replace(INNER, inner.failed)
        return WhyNot(
            failure.value,
            failure.label,
            failure.rule,
            text,
            inner.field,
            inner.actual,
            inner.expected,
        )

    def _band_failure(
        self, band: Band, firing: Firing, facts: dict[str, Fact], depth: int
    ) -> WhyNot | None:
        """Why the band took none of the wanted values: the first producer's failed input."""
        topic, wanted = band
        for needed in wanted:
            for producer in self.producers.get((topic, needed), ()):
                found = self._shallow(producer.id, firing, facts, needed, "")
                if found is None:
                    continue
                inner, inner_band = found
                if inner_band is not None:
                    inner = self._deeper(inner, inner_band, firing, facts, depth + 1)
                if inner.field is not None:
                    return inner
        return None


def _any_passes(tests: tuple[_Test, ...], candidates: list[Fact]) -> bool:
    """Whether some candidate passes every test (plain loops: run for most rules of a
    graded topic, where generator expressions cost more than the tests)."""
    for candidate in candidates:
        for test in tests:
            if not test.passes(candidate):
                break
        else:
            return True
    return False


def _wrong_way(test: _Test, actual: Any, better: bool) -> bool:
    """Whether a failed test on an ordered topic asks for a worse value (when explaining a
    better answer) or a better one (when explaining a worse answer) than the case has."""
    if test.wanted is None or test.places is None or actual not in test.places:
        return False
    here = test.places[actual]
    if better:
        return all(place > here for place in test.wanted)
    return all(place < here for place in test.wanted)


def _blocking(failures: list[Shallow], on_path: frozenset[str]) -> tuple[Shallow, int]:
    """The failed premise on the decision's path (and 0), else the first (and 1)."""
    for failure in failures:
        where = failure[0].field
        if where is not None and where.split(".", 1)[0] in on_path:
            return failure, 0
    return failures[0], 1


_NO_FACT: Fact = {}
_UNKNOWN: Any = object()
