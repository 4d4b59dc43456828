"""Declared domains of fact attributes, and whether a set of tests can be satisfied in them.

Lint uses this to find rules that can never fire: a numeric attribute constrained to an empty
interval (``x ≥ 100`` and ``x < 50``, or outside the field's declared range), or a category
attribute asked for a value it cannot take. The decision-table check (``engine.lint_tables``)
enumerates inputs instead: each numeric domain cut into elementary cells at the rules'
thresholds (``cells``), values no test tells apart merged (``value_classes``), and the states
an input can be in (``input_states``: also *missing* or *absent*), on which ``holds`` says
whether a test passes, with the engine's semantics; ``pattern_literals`` reads a rule
pattern as such tests on inputs.
"""

from __future__ import annotations

import enum
import itertools
import math
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import annotated_types

from engine.conditions import COMPARE
from engine.intake import CASE_FACT, catalogue_lists
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS, Case
from rules.schema import Pattern, Test


@dataclass(frozen=True)
class Interval:
    lo: float = -math.inf
    lo_open: bool = False
    hi: float = math.inf
    hi_open: bool = False

    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))

    def contains(self, x: float) -> bool:
        above = self.lo < x or (self.lo == x and not self.lo_open)
        return above and (x < self.hi or (x == self.hi and not self.hi_open))

    def cut(self, op: str, bound: float) -> Interval:
        if op in ("ge", "gt"):
            open_ = op == "gt"
            if bound > self.lo or (bound == self.lo and open_):
                return Interval(bound, open_, self.hi, self.hi_open)
            return self
        open_ = op == "lt"
        if bound < self.hi or (bound == self.hi and open_):
            return Interval(self.lo, self.lo_open, bound, open_)
        return self


Domain = Interval | frozenset[Any] | None
"""Numeric interval, finite set of values, or None for free text."""


def _literal_values(annotation: Any) -> frozenset[Any] | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return frozenset(args)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in args:
            found = _literal_values(arg)
            if found is not None:
                return found
    if annotation is bool:
        return frozenset({True, False})
    return None


def _numeric(annotation: Any) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    return any(a in (int, float) for a in options)


def field_domain(fact: str, field: str, kb: Knowledge) -> Domain:
    """The values an attribute may take, as declared by the case model or the topic."""
    topic = kb.topics.get(fact)
    if topic is not None:
        return frozenset(topic.value_ids()) if topic.kind == "category" else Interval()
    if fact == CASE_FACT:
        return frozenset({True, False})
    info = SECTIONS[fact].model_fields[field]
    values = _literal_values(info.annotation)
    if values is not None:
        return values
    if not _numeric(info.annotation):
        return None
    interval = Interval()
    for meta in info.metadata:
        for attr, op in (("ge", "ge"), ("gt", "gt"), ("le", "le"), ("lt", "lt")):
            bound = getattr(meta, attr, None)
            if isinstance(meta, annotated_types.BaseMetadata) and bound is not None:
                interval = interval.cut(op, float(bound))
    return interval


def narrow(domain: Domain, test: Test, kb: Knowledge) -> Domain:
    """What is left of ``domain`` for values that pass ``test``."""
    if isinstance(domain, Interval) and test.param is not None:
        return domain.cut(test.op, kb.param(test.param))
    if isinstance(domain, frozenset):
        if test.op == "eq":
            return domain & {test.value}
        if test.op == "in":
            return domain & set(test.values or ())
        if test.op == "ne":
            return domain - {test.value}
        if test.op == "not_in":
            return domain - set(test.values or ())
    return domain


def is_empty(domain: Domain) -> bool:
    if isinstance(domain, Interval):
        return domain.empty()
    return domain is not None and len(domain) == 0


def _annotation(fact: str, field: str) -> Any:
    model = SECTIONS.get(fact)
    info = model.model_fields.get(field) if model is not None else None
    return info.annotation if info is not None else None


def field_optional(fact: str, field: str) -> bool:
    """Whether a case field may be left out: it admits None, and absent values never reach
    the engine (fields with a default, such as a count defaulting to 0, are always given)."""
    return type(None) in typing.get_args(_annotation(fact, field))


def field_integer(fact: str, field: str) -> bool:
    """Whether a case field holds whole numbers only: a threshold of 30.5 days or a gap
    between ``≤ 30`` and ``≥ 31`` holds no value of such a field."""
    annotation = _annotation(fact, field)
    options = typing.get_args(annotation) or (annotation,)
    return int in options and float not in options


def list_items(fact: str, field: str) -> frozenset[Any] | None:
    """The items a list field (a catalogue list such as ``deal.objections``) may hold."""
    annotation = _annotation(fact, field)
    options = typing.get_args(annotation) if annotation is not None else ()
    for option in (annotation, *options):
        if typing.get_origin(option) is list:
            return _literal_values(typing.get_args(option)[0])
    return None


@dataclass(frozen=True)
class Cell:
    """An elementary piece of a numeric domain: no threshold lies strictly inside it, so every
    threshold test is true on all of it or on none of it, and ``rep`` stands for all of it."""

    span: Interval
    rep: float

    def describe(self, names: dict[float, str]) -> str:
        """The representative value and where the cell lies among the named thresholds."""
        span, rep = self.span, self.rep
        text = str(int(rep)) if float(rep).is_integer() else f"{rep:g}"
        lo, hi = names.get(span.lo), names.get(span.hi)
        if span.lo == span.hi:
            return f"{text} (= {lo})" if lo else text
        if lo and hi:
            return f"{text} (between {lo} and {hi})"
        return f"{text} (above {lo})" if lo else (f"{text} (below {hi})" if hi else text)


def _representative(span: Interval, integer: bool) -> float | None:
    """A value inside ``span`` (a whole number for integer fields), or None if there is none."""
    lo, hi = span.lo, span.hi
    if integer:
        lo = lo if math.isinf(lo) else (math.floor(lo) + 1 if span.lo_open else math.ceil(lo))
        hi = hi if math.isinf(hi) else (math.ceil(hi) - 1 if span.hi_open else math.floor(hi))
        if lo > hi:
            return None
        if not math.isinf(lo) and not math.isinf(hi):
            return float((int(lo) + int(hi)) // 2)
    if math.isinf(lo) and math.isinf(hi):
        return 0.0
    if math.isinf(lo):
        return hi if integer else hi - 1
    if math.isinf(hi):
        return lo if integer else lo + 1
    return (lo + hi) / 2


def cells(domain: Interval, cuts: set[float], integer: bool = False) -> list[Cell]:
    """``domain`` cut at every threshold inside it: each threshold becomes a point cell and the
    stretches between them open cells. Cells holding no admissible value are left out."""
    pieces: list[Interval] = []
    lo, lo_open = domain.lo, domain.lo_open
    for point in sorted(c for c in cuts if domain.contains(c)):
        pieces += [Interval(lo, lo_open, point, True), Interval(point, False, point, False)]
        lo, lo_open = point, True
    pieces.append(Interval(lo, lo_open, domain.hi, domain.hi_open))
    found = []
    for piece in pieces:
        rep = None if piece.empty() else _representative(piece, integer)
        if rep is not None:
            found.append(Cell(piece, rep))
    return found


class TooMany(Exception):
    """More states or combinations than an analysis can enumerate."""


class Mark(enum.Enum):
    """States of an input besides its values."""

    ABSENT = "absent"  # the section or topic is not there at all
    MISSING = "missing"  # an optional field left out
    OTHER = "other"  # a free-text value no test names


Constraint = tuple[Any, ...]
"""A test normalised for analysis: ``("cmp", op, bound)``, ``("in", values)``, ``("not_in",
values)``, ``("exists",)``, ``("missing",)``, ``("contains", item)``, ``("present",)`` (the
fact is there), ``("absent",)``, ``("nonempty", allowed)`` (a case flag on a list) or
``("any", tests)`` (one of a many-valued topic's values passes all of ``tests``)."""


def holds(c: Constraint, state: object) -> bool:
    """Whether a variable in ``state`` passes ``c``, with the engine's semantics: an absent
    fact or a missing attribute fails every test but ``missing``."""
    kind: str = c[0]
    if kind == "absent":
        return state is Mark.ABSENT
    if kind == "nonempty":  # case.has_<section>_<list>: the section is there, the list not empty
        return bool((isinstance(state, frozenset) and len(state) > 0) in c[1])
    if state is Mark.ABSENT:
        return False
    if state is Mark.MISSING:  # the section is there, this field is not
        return kind in ("missing", "present")
    if kind in ("present", "exists", "missing"):
        return kind != "missing"
    if kind == "cmp":
        return isinstance(state, Cell) and COMPARE[c[1]](state.rep, c[2])
    if kind == "contains":
        return isinstance(state, frozenset) and bool(c[1] in state)
    if kind == "any":  # one of a many-valued topic's facts passes all the pattern's tests
        elements = state if isinstance(state, frozenset) else frozenset()
        return any(all(holds(sub, e) for sub in c[1]) for e in elements)
    return bool(state in c[1]) == (kind == "in")


def constraint(test: Test, domain: object, kb: Knowledge) -> Constraint:
    """A test as a constraint; category tests as the subset of the domain they allow, so that
    ``ne: adverse`` and ``in: [the others]`` are recognised as the same premise."""
    if test.op in ("exists", "missing"):
        return (test.op,)
    if test.op == "contains":
        return ("contains", test.value)
    if test.param is not None:
        return ("cmp", test.op, kb.param(test.param))
    if isinstance(domain, frozenset):
        return ("in", narrow(domain, test, kb))
    named = frozenset(test.values or ()) | ({test.value} if test.value is not None else set())
    return ("in" if test.op in ("eq", "in") else "not_in", named)


def value_classes(values: Iterable[object], tests: list[Constraint]) -> list[object]:
    """One value per class of values every test treats alike, in declared order."""
    seen: dict[tuple[bool, ...], object] = {}
    for value in values:
        seen.setdefault(tuple(holds(c, value) for c in tests), value)
    return list(seen.values())


def _subsets(items: list[object]) -> list[object]:
    """Every set of ``items``: the contents of a list field, or a many-valued topic's values."""
    if len(items) > 16:
        raise TooMany
    return [frozenset(s) for n in range(len(items) + 1) for s in itertools.combinations(items, n)]


def _element_tests(tests: list[Constraint]) -> list[Constraint]:
    """Tests on one element of a list or of a many-valued topic (``contains`` and ``any``)."""
    found: list[Constraint] = [("in", frozenset({c[1]})) for c in tests if c[0] == "contains"]
    return found + [sub for c in tests if c[0] == "any" for sub in c[1]]


def _topic_states(name: str, tests: list[Constraint], kb: Knowledge) -> list[object]:
    """A topic's value classes (sets of them if many-valued) or a number's cells, or absent."""
    topic = kb.topics[name]
    if topic.kind == "number":
        return [*cells(Interval(), {c[2] for c in tests if c[0] == "cmp"}), Mark.ABSENT]
    if topic.cardinality == "many":
        values = value_classes(topic.value_ids(), _element_tests(tests))
        return [*_subsets(values)[1:], Mark.ABSENT]  # no fact at all is "absent"
    return [*value_classes(topic.value_ids(), tests), Mark.ABSENT]


ALWAYS_CHECKED_WITH = ("customer",)
"""Sections the decision tables are checked with as present: the customer is required with
credit and collection (``Case``), whose tables are the ones that read it; a deal coached without
a customer is covered by its golden case rather than by enumerating an absent customer."""


def input_states(var: Var, tests: list[Constraint], kb: Knowledge) -> list[object]:
    """Every state of ``var`` worth telling apart, given the tests on it."""
    kind, fact, name = var
    if kind == "section":
        required = fact in ALWAYS_CHECKED_WITH or (
            fact in Case.model_fields and Case.model_fields[fact].is_required()
        )
        return [True] if required else [True, False]
    if kind == "topic":
        return _topic_states(fact, tests, kb)
    items = list_items(fact, name)
    domain = field_domain(fact, name, kb)
    found: list[object]
    if items is not None:
        found = _subsets(value_classes(sorted(items, key=str), _element_tests(tests)))
    elif isinstance(domain, Interval):
        cuts = {c[2] for c in tests if c[0] == "cmp"}
        found = list(cells(domain, cuts, field_integer(fact, name)))
    else:
        named = sorted({str(v) for c in tests if c[0] in ("in", "not_in") for v in c[1]})
        known = sorted(domain, key=str) if domain is not None else [*named, Mark.OTHER]
        found = value_classes(known, tests)
    missing = [Mark.MISSING] if field_optional(fact, name) else []
    return [*found, *missing, Mark.ABSENT]


class Var(NamedTuple):
    """One input of a rule's premises, as the decision-table check enumerates it."""

    kind: str  # "section" (is it there), "field" of a section, or "topic" (its value)
    fact: str
    field: str = ""


Literal = tuple[Var, Constraint]
PRESENT: Constraint = ("present",)
TRUE: Constraint = ("in", frozenset({True}))


def _flag_literal(test: Test, kb: Knowledge) -> Literal:
    """A test on the ``case`` fact, read as the section presence or list emptiness it reports."""
    allowed = narrow(frozenset({True, False}), test, kb)
    for section, items in catalogue_lists():
        if test.field == f"has_{section}_{items}":
            return Var("field", section, items), ("nonempty", allowed)
    return Var("section", test.field.removeprefix("has_")), ("in", allowed)


def pattern_literals(pattern: Pattern, kb: Knowledge) -> list[Literal]:
    """A pattern as premises on variables: its fact is there, and each test holds."""
    if pattern.fact == CASE_FACT:
        return [_flag_literal(t, kb) for t in pattern.tests]
    topic = kb.topics.get(pattern.fact)
    if topic is None:
        found: list[Literal] = [(Var("section", pattern.fact), TRUE)]
        for t in pattern.tests:
            domain = field_domain(pattern.fact, t.field, kb)
            found.append((Var("field", pattern.fact, t.field), constraint(t, domain, kb)))
        return found
    var, values = Var("topic", topic.id), frozenset(topic.value_ids())
    domain = values if topic.kind == "category" else None
    tests = [constraint(t, domain, kb) for t in pattern.tests]
    if topic.cardinality == "many":  # the pattern matches any one of the topic's facts
        return [(var, ("any", tuple(sorted(tests, key=repr))))]
    return [(var, PRESENT), *((var, c) for c in tests)]
