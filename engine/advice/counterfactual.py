"""What would change a conclusion: the smallest single-input changes that improve it.

Found by re-running inference on varied copies of the case, never from a hand-written table,
so the answer always agrees with the rules. Only fields from which some chain of rules reaches
the topic are varied, and never a field declared historical (the late-invoice counts, days
beyond terms, the customer's turnover: no one can change what already happened). For each,
the candidate values are:

- for an enumerated field, every other value, nearest in declared order first;
- for a number the rules compare with parameters, each threshold (``≤ p`` and ``≥ p`` as is,
  ``< p`` and ``> p`` one step beyond);
- for a number formulas read (an amount, a term), the boundary towards whichever end of its
  declared range improves the outcome: bisection (geometric midpoints across wide ranges) to
  0.1 %, then the roundest number in what is left if it still improves.

A topic's values are declared best first; a change "improves" when the conclusion moves to an
earlier value. Per field the change kept is the improving candidate nearest the current value
(for a field not given: the least demanding improving value). Stated as "≤"/"≥" the new value,
which assumes the outcome is monotone in the field; the credit properties test that it is.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.core import Engine
from engine.domains import Interval, field_domain
from knowledge_base.facts import SECTIONS, Case
from knowledge_base.schema import FieldRef, Operation

Outcome = Callable[[Case], Any]
FLOAT_STEP = 0.1
BISECTION_STEPS = 60
RELATIVE_PRECISION = 0.001
"""Bisection stops within 0.1 % of the boundary (or one step: 1 for integers)."""


@dataclass(frozen=True)
class Change:
    """One single-input change and the conclusion it leads to."""

    field: str
    before: Any
    after: Any
    op: str  # "le", "ge" (a number), "eq" (a category) or "given" (any value, if given)
    outcome: Any


def _is_int(section: str, field: str) -> bool:
    annotation = SECTIONS[section].model_fields[field].annotation
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    return int in (options or (annotation,))


def _enum_values(section: str, field: str, engine: Engine) -> tuple[Any, ...] | None:
    domain = field_domain(section, field, engine.compiled.knowledge)
    if not isinstance(domain, frozenset):
        return None
    annotation = SECTIONS[section].model_fields[field].annotation
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return tuple(sorted(domain, key=str))


def threshold_candidates(engine: Engine, section: str, field: str) -> list[float]:
    """Values just on the passing side of every parameter the rules compare ``field`` with."""
    kb = engine.compiled.knowledge
    step = 1 if _is_int(section, field) else FLOAT_STEP
    out: set[float] = set()
    for rule in engine.compiled.rulebase.rules:
        for pattern in rule.when:
            if pattern.fact != section:
                continue
            for test in pattern.tests:
                if test.field == field and test.param is not None:
                    bound = kb.param(test.param)
                    offset = {"lt": -step, "gt": step}.get(test.op, 0)
                    out.add(round(bound + offset, 4))
    return sorted(out)


def formula_fields(engine: Engine, section: str) -> set[str]:
    """Fields of ``section`` that some formula reads (through a pattern on the section)."""
    kb = engine.compiled.knowledge
    found: set[str] = set()
    for rule in engine.compiled.rulebase.rules:
        aliases = {p.name for p in rule.when if p.fact == section}
        for conclude in rule.then:
            if conclude.formula is not None:
                for ref in _field_refs(kb.formulas[conclude.formula].expr):
                    alias, attr = ref.field.split(".", 1)
                    if alias in aliases:
                        found.add(attr)
    return found


def _field_refs(expr: object) -> Iterator[FieldRef]:
    if isinstance(expr, Operation):
        for arg in expr.args:
            yield from _field_refs(arg)
    elif isinstance(expr, FieldRef):
        yield expr


_RELEVANT: dict[tuple[str, str, str], frozenset[str]] = {}


def relevant_fields(engine: Engine, section: str, topic: str) -> frozenset[str]:
    """Fields of ``section`` from which some chain of rules reaches ``topic``; varying any
    other field (an amount only the collection referral reads) cannot change it."""
    key = (engine.version, section, topic)
    if key not in _RELEVANT:
        _RELEVANT[key] = frozenset(_reaching(engine, section, topic))
    return _RELEVANT[key]


def _reaching(engine: Engine, section: str, topic: str) -> set[str]:
    kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
    feeding = _feeding_topics(engine, topic)
    fields: set[str] = set()
    for rule in rules:
        if not any(c.topic in feeding for c in rule.then):
            continue
        aliases = {p.name for p in rule.when if p.fact == section}
        fields.update(t.field for p in rule.when if p.fact == section for t in p.tests)
        for conclude in rule.then:
            if conclude.formula is not None:
                refs = _field_refs(kb.formulas[conclude.formula].expr)
                fields.update(
                    r.field.split(".", 1)[1] for r in refs if r.field.split(".")[0] in aliases
                )
    return fields


class Search:
    """Single-field variations of one case, judged by ``outcome`` (best-first ``ranking``)."""

    def __init__(
        self, engine: Engine, case: Case, section: str, outcome: Outcome, ranking: list[Any]
    ) -> None:
        self.engine, self.case, self.section = engine, case, section
        self.outcome, self.ranking = outcome, ranking
        self.current = self.rank(outcome(case))
        self.model = getattr(case, section)

    def rank(self, value: Any) -> int:
        return len(self.ranking) - self.ranking.index(value) if value in self.ranking else 0

    def try_value(self, field: str, value: Any) -> Any | None:
        """The outcome if ``field`` had ``value``, when that is better than now; else None."""
        variant = self.case.model_copy(
            update={self.section: self.model.model_copy(update={field: value})}
        )
        found = self.outcome(variant)
        return found if self.rank(found) > self.current else None

    def changes(self, topic: str) -> list[Change]:
        out = []
        numeric_by_formula = formula_fields(self.engine, self.section)
        relevant = relevant_fields(self.engine, self.section, topic)
        for field in (f for f in _negotiable(self.section) if f in relevant):
            found = self.field_change(field, field in numeric_by_formula)
            if found is not None:
                out.append(found)
        return sorted(out, key=lambda c: -self.rank(c.outcome))

    def field_change(self, field: str, read_by_formula: bool) -> Change | None:
        before = getattr(self.model, field)
        enum = _enum_values(self.section, field, self.engine)
        if enum is not None:
            return self.enum_change(field, before, enum)
        domain = field_domain(self.section, field, self.engine.compiled.knowledge)
        if not isinstance(domain, Interval):
            return None
        candidates = threshold_candidates(self.engine, self.section, field)
        if read_by_formula and before is not None:
            candidates += self.boundaries(field, before, domain)
        return self.numeric_change(field, before, candidates, domain)

    def enum_change(self, field: str, before: Any, values: tuple[Any, ...]) -> Change | None:
        here = values.index(before) if before in values else -1
        order = sorted(
            (v for v in values if v != before), key=lambda v: abs(values.index(v) - here)
        )
        for value in order:
            outcome = self.try_value(field, value)
            if outcome is not None:
                return Change(f"{self.section}.{field}", before, value, "eq", outcome)
        return None

    def numeric_change(
        self, field: str, before: Any, candidates: list[float], domain: Interval
    ) -> Change | None:
        tried: dict[float, Any | None] = {}
        for candidate in sorted(set(candidates)):
            value = self._fit(field, candidate, domain)
            if value is not None and value != before and value not in tried:
                tried[value] = self.try_value(field, value)
        better = {v: o for v, o in tried.items() if o is not None}
        if not better:
            return None
        name = f"{self.section}.{field}"
        if before is not None:
            value = min(better, key=lambda v: (abs(v - before), v))
            return Change(name, before, value, "le" if value < before else "ge", better[value])
        worse = [v for v, o in tried.items() if o is None]
        if not worse:  # any value helps: giving the figure is what matters
            return Change(name, None, None, "given", min(better.values(), key=self.rank))
        value, op = _least_demanding(better, worse)
        return Change(name, before, value, op, better[value])

    def _fit(self, field: str, value: float, domain: Interval) -> float | None:
        if _is_int(self.section, field):
            value = float(math.floor(value)) if value >= 0 else float(math.ceil(value))
        if value < domain.lo or value > domain.hi:
            return None
        if (domain.lo_open and value == domain.lo) or (domain.hi_open and value == domain.hi):
            return None
        return int(value) if _is_int(self.section, field) else value

    def boundaries(self, field: str, before: float, domain: Interval) -> list[float]:
        """The nearest improving values below and above ``before``: probe each end of the
        declared range once, bisect only towards an end that improves."""
        out = []
        for end in (domain.lo, domain.hi):
            fitted = self._fit(field, end if math.isfinite(end) else 0.0, domain)
            if fitted is None or fitted == before:
                continue
            if self.try_value(field, fitted) is not None:
                out.append(self._bisect(field, before, fitted, domain))
        return out

    def _bisect(self, field: str, worse: float, better: float, domain: Interval) -> float:
        """Narrow [worse, better] to the improving value nearest ``worse``, to one step or
        a relative precision; geometric midpoints cover a range of 10^12 in a few steps."""
        step = 1.0 if _is_int(self.section, field) else FLOAT_STEP
        for _ in range(BISECTION_STEPS):
            if abs(better - worse) <= max(step, RELATIVE_PRECISION * abs(better)):
                break
            low, high = sorted((worse, better))
            wide = low > 0 and high / low > 4
            middle = math.sqrt(low * high) if wide else (low + high) / 2
            fitted = self._fit(field, middle, domain)
            if fitted is None or fitted in (worse, better):
                break
            if self.try_value(field, fitted) is not None:
                better = fitted
            else:
                worse = fitted
        return self._roundest_improving(field, worse, better, domain)

    def _roundest_improving(
        self, field: str, worse: float, better: float, domain: Interval
    ) -> float:
        """The roundest number between the bisection's bounds, if it still improves: people
        read "≤ 500,000" more easily than "≤ 499,864"."""
        low, high = sorted((worse, better))
        smallest = 0 if _is_int(self.section, field) else -1
        for power in range(12, smallest - 1, -1):
            unit = 10.0**power
            candidate = math.ceil(low / unit) * unit
            if candidate > high:
                continue
            fitted = self._fit(field, round(candidate, 4), domain)
            if fitted is None or fitted in (worse, better):
                return better
            return fitted if self.try_value(field, fitted) is not None else better
        return better


def _negotiable(section: str) -> list[str]:
    """The section's fields a change could be asked of: not those declared historical."""
    fields = SECTIONS[section].model_fields
    return [
        name
        for name, info in fields.items()
        if not (
            isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("historical")
        )
    ]


def _least_demanding(better: dict[float, Any], worse: list[float]) -> tuple[float, str]:
    """For a field not given: the improving value nearest the non-improving ones."""
    if max(better) < min(worse):
        return max(better), "le"
    if min(better) > max(worse):
        return min(better), "ge"
    value = min(better, key=lambda v: min(abs(v - w) for w in worse))
    return value, "le" if value < min(worse) else "ge"


def what_would_change(engine: Engine, case: Case, section: str, topic: str) -> list[Change]:
    """Smallest single changes of ``section``'s fields that give ``topic`` a better value
    (the topic's values are declared best first)."""
    if getattr(case, section, None) is None:
        return []
    ranking = list(engine.compiled.knowledge.topics[topic].value_ids())
    unread = {name: None for name in SECTIONS if name not in feeding_sections(engine, topic)}
    trimmed = case.model_copy(update=unread)  # every variant re-runs only what can matter
    return Search(engine, trimmed, section, _outcome(engine, topic), ranking).changes(topic)


_FEEDING: dict[tuple[str, str], frozenset[str]] = {}


def feeding_sections(engine: Engine, topic: str) -> frozenset[str]:
    """The case sections some chain of rules reaching ``topic`` reads, as a fact or through
    the case fact's ``has_<section>`` flags. Leaving the others out of the re-runs cannot change
    ``topic`` (the deal section never reaches a credit decision) and saves their rules."""
    key = (engine.version, topic)
    if key not in _FEEDING:
        kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
        feeding = _feeding_topics(engine, topic)
        read: set[str] = set()
        for rule in (r for r in rules if any(c.topic in feeding for c in r.then)):
            read.update(p.fact for p in rule.when if p.fact in SECTIONS)
            flags = (t.field for p in rule.when if p.fact not in kb.topics for t in p.tests)
            read.update(n for n in SECTIONS for f in flags if f.startswith(f"has_{n}"))
        _FEEDING[key] = frozenset(read)
    return _FEEDING[key]


def _feeding_topics(engine: Engine, topic: str) -> set[str]:
    kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
    feeding, grew = {topic}, True
    while grew:
        before = len(feeding)
        for rule in rules:
            if any(c.topic in feeding for c in rule.then):
                feeding.update(p.fact for p in rule.when if p.fact in kb.topics)
        grew = len(feeding) > before
    return feeding


def _outcome(engine: Engine, topic: str) -> Outcome:
    def outcome(case: Case) -> Any:
        firing = engine.infer(case, trace=False)
        return next((d.value for d in firing.derived.values() if d.topic == topic), None)

    return outcome
