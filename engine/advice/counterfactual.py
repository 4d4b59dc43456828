"""What would change a conclusion: the smallest single-input changes that improve it.

Found by re-running inference on varied copies of the case, never from a hand-written table,
so the answer always agrees with the rules. Only fields from which some chain of rules reaches
the topic are varied, and only fields declared with a kind of change someone can make
(``knowledge_base/changes.yaml``): never a historical one (the late-invoice counts, years in
business: no one can change what already happened) nor a fixed one (the customer's nature). A
kind may move a number one way only (a payment lowers what is overdue) or change a field only
while it is unknown (an investigation). For each field, the candidate values are:

- for an enumerated field, every other value, nearest in declared order first; for a field
  still unknown, the least favourable result first ("a neutral report would be enough");
- for a list of catalogue items (buying signals), each item not yet in it, added;
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
from dataclasses import dataclass
from typing import Any

from engine.advice.reach import (
    feeding_sections,
    focused,
    formula_fields,
    relevant_fields,
)
from engine.core import Engine
from engine.domains import Interval, field_domain
from knowledge_base.facts import SECTIONS, Case
from knowledge_base.schema import ChangeKind

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
    op: str  # "le", "ge" (a number), "eq" (a category), "add" (an item) or "given" (any value)
    outcome: Any

    @property
    def section(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.field.split(".", 1)[1]

    def applied(self) -> Any:
        """The field's value after the change (a list with the item added)."""
        if self.op == "add":
            return [*(self.before or []), self.after]
        return self.after


UNKNOWN = (None, "not_done", "unknown")
"""Values meaning "not known yet": the only ones a ``from_unknown`` kind may change."""


def _is_int(section: str, field: str) -> bool:
    annotation = SECTIONS[section].model_fields[field].annotation
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    return int in (options or (annotation,))


def enum_values(section: str, field: str, engine: Engine) -> tuple[Any, ...] | None:
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


class Search:
    """Variations of one case, judged by ``topic``'s value (its values declared best first).

    Each variant's run is kept (by the changes it makes): the search of sets asks again about
    variants the single changes already tried.
    """

    def __init__(self, engine: Engine, case: Case, section: str, topic: str) -> None:
        self.engine, self.case, self.section, self.topic = engine, case, section, topic
        self.ranking = list(engine.compiled.knowledge.topics[topic].value_ids())
        self._order = {v: i for i, v in enumerate(self.ranking)}
        self._focused = focused(engine, topic)
        self.model = getattr(case, section)
        self.kinds = actionable(section, engine)
        self.tried = 0
        """Re-runs of inference so far (the set search keeps to a budget)."""
        self._runs: dict[tuple[tuple[str, Any], ...], frozenset[tuple[str, Any]]] = {}
        self.current = self.rank(self.outcome(()))

    def rank(self, value: Any) -> int:
        return len(self.ranking) - self.ranking.index(value) if value in self.ranking else 0

    def concluded(self, moves: tuple[tuple[str, Any], ...]) -> frozenset[tuple[str, Any]]:
        """Every (topic, value) the variant with ``moves`` concludes (run once per variant)."""
        key = tuple(sorted((f, tuple(v) if isinstance(v, list) else v) for f, v in moves))
        found = self._runs.get(key)
        if found is None:
            self.tried += 1
            firing = self._focused.infer(self.with_values(dict(moves)), trace=False)
            found = self._runs[key] = frozenset(firing.derived)
        return found

    def outcome(self, moves: tuple[tuple[str, Any], ...]) -> Any:
        """``topic``'s value with ``moves``; for a many-valued topic the best value concluded."""
        order, topic = self._order, self.topic
        found = [value for t, value in self.concluded(moves) if t == topic]
        return min(found, key=lambda v: order.get(v, len(order))) if found else None

    def with_values(self, values: dict[str, Any]) -> Case:
        """The case with some of the section's fields changed (not validated: a variant)."""
        return self.case.model_copy(update={self.section: self.model.model_copy(update=values)})

    def try_value(self, field: str, value: Any) -> Any | None:
        """The outcome if ``field`` had ``value``, when that is better than now; else None."""
        return self.try_many(((field, value),))

    def try_many(self, moves: tuple[tuple[str, Any], ...]) -> Any | None:
        """The outcome with every (field, value) of ``moves``, when better than now; else None."""
        found = self.outcome(moves)
        return found if self.rank(found) > self.current else None

    def changes(self, topic: str) -> list[Change]:
        out = []
        numeric_by_formula = formula_fields(self.engine, self.section)
        relevant = relevant_fields(self.engine, self.section, topic)
        for field in (f for f in self.kinds if f in relevant):
            found = self.field_change(field, field in numeric_by_formula)
            if found is not None:
                out.append(found)
        return sorted(out, key=lambda c: -self.rank(c.outcome))

    def field_change(self, field: str, read_by_formula: bool) -> Change | None:
        before, kind = getattr(self.model, field), self.kinds[field]
        if kind.from_unknown and not (before in UNKNOWN or before == []):
            return None
        if isinstance(before, list):
            return self.item_change(field, before)
        enum = enum_values(self.section, field, self.engine)
        if enum is not None:
            return self.enum_change(field, before, enum, kind)
        domain = field_domain(self.section, field, self.engine.compiled.knowledge)
        if not isinstance(domain, Interval):
            return None
        candidates = threshold_candidates(self.engine, self.section, field)
        if read_by_formula and before is not None:
            candidates += self.boundaries(field, before, domain)
        if before is not None and kind.direction != "either":
            lower = kind.direction == "lower"
            candidates = [c for c in candidates if (c < before if lower else c > before)]
        return self.numeric_change(field, before, candidates, domain)

    def item_change(self, field: str, before: list[Any]) -> Change | None:
        """Add one catalogue item (a buying signal to look for), in declared order."""
        for item in list_items(self.section, field):
            if item not in before:
                outcome = self.try_value(field, [*before, item])
                if outcome is not None:
                    return Change(f"{self.section}.{field}", before, item, "add", outcome)
        return None

    def enum_change(
        self, field: str, before: Any, values: tuple[Any, ...], kind: ChangeKind
    ) -> Change | None:
        here = values.index(before) if before in values else -1
        order = sorted(
            (v for v in values if v != before), key=lambda v: abs(values.index(v) - here)
        )
        if kind.from_unknown:  # the least favourable result that is enough: listed last
            order = [v for v in reversed(values) if v not in UNKNOWN]
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
            value = self.fit(field, candidate, domain)
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

    def fit(self, field: str, value: float, domain: Interval) -> float | None:
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
            fitted = self.fit(field, end if math.isfinite(end) else 0.0, domain)
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
            fitted = self.fit(field, middle, domain)
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
            fitted = self.fit(field, round(candidate, 4), domain)
            if fitted is None or fitted in (worse, better):
                return better
            return fitted if self.try_value(field, fitted) is not None else better
        return better


def actionable(section: str, engine: Engine) -> dict[str, ChangeKind]:
    """The section's fields someone can change, with the kind of change: declared on each field
    (``fact_field(change=…)``); historical and fixed fields are left out."""
    kinds = engine.compiled.knowledge.changes
    found: dict[str, ChangeKind] = {}
    for name, info in SECTIONS[section].model_fields.items():
        extra = info.json_schema_extra
        kind = extra.get("change") if isinstance(extra, dict) else None
        if isinstance(kind, str) and kind in kinds:
            found[name] = kinds[kind]
    return found


def list_items(section: str, field: str) -> tuple[Any, ...]:
    """The items a list field may hold, in declared order (its ``Literal``)."""
    annotation = SECTIONS[section].model_fields[field].annotation
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
    return ()


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
    unread = {name: None for name in SECTIONS if name not in feeding_sections(engine, topic)}
    trimmed = case.model_copy(update=unread)  # every variant re-runs only what can matter
    return Search(engine, trimmed, section, topic).changes(topic)
