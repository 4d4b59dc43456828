"""Per-rule facts the firing loop needs, computed once per compiled rule base.

A firing happens tens of times per consultation and hundreds of thousands of times in a batch;
looking up the rule, working out which attributes its tests and formulas read, and resolving
weights and cardinalities once, instead of per firing, is most of the engine's own speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.formulas import Calculation, compile_formula
from engine.trace import AssertedFact, MatchedFact
from knowledge_base import Knowledge
from knowledge_base.schema import FieldRef, Formula, Operation
from rules import Rule
from rules.schema import Pattern, Selection


@dataclass(frozen=True)
class ConclusionPlan:
    topic: str
    value: str | None
    formula: Formula | None
    calculate: Calculation | None
    """The formula ready to evaluate (``engine.formulas``), made once per rule base."""
    weight: float
    one_valued: bool
    told_apart: bool
    """Some rule matches this topic (so the engine must be told about it) while another
    conclusion of the rule is matched by none: the firing lists it apart from the rule's other
    new conclusions (when all are matched, that list is the new ones: ``RulePlan.tells_all``)."""
    fixed: tuple[AssertedFact, tuple[str, Any]] | None
    """A fixed-value conclusion's trace record and its key among a consultation's conclusions,
    shared by every consultation; None for a formula's result or a selection."""
    select: Selection | None = None
    places: dict[str, int] | None = None
    """For a selection: each value's place in the ranked topic's declared order (ties)."""


Shared = dict[Any, tuple[MatchedFact, tuple[str, Any]]]
"""Per concluded category value a pattern matched: its trace record, the same for every
consultation (nothing changes a recorded fact), and the (topic, value) key of the conclusion it
matched. Made once per rule, pattern and value: bounded by the rule base."""
Read = tuple[str, str, tuple[str, ...], Shared | None, tuple[MatchedFact, tuple[str, Any]] | None]
"""How a firing records one pattern's fact: (pattern name, fact type, attributes read, the
shared records of a pattern that reads only a concluded topic's value, and — when the pattern
fixes that value — its one record and key)."""


Known = tuple[tuple[str, str, dict[str, Any] | None], ...]
"""Per pattern of a rule whose matched facts are known without reading them back from the
core: (pattern name, fact type, the concluded fact it matches or None for a case section)."""


@dataclass(frozen=True, eq=False)
class RulePlan:
    rule: Rule
    reads: tuple[Read, ...]
    """For each pattern, how a firing records its fact (``Read``)."""
    concludes: tuple[ConclusionPlan, ...]
    tells_all: bool
    """Every conclusion of the rule is consumed: its new ones are all told to the engine."""
    known: Known | None = None
    """When every pattern matches either a case section (a consultation has one fact of each)
    or one fixed value of a concluded topic, the facts any activation of the rule matched:
    the driver then need not decode them from the core's message."""


def _formula_fields(expr: object, out: dict[str, list[str]]) -> None:
    if isinstance(expr, Operation):
        for arg in expr.args:
            _formula_fields(arg, out)
    elif isinstance(expr, FieldRef):
        alias, attr = expr.field.split(".", 1)
        out.setdefault(alias, []).append(attr)


def _fixed(topic: str, value: Any) -> tuple[AssertedFact, tuple[str, Any]]:
    return AssertedFact(topic, value), (topic, value)


def plan_rule(rule: Rule, kb: Knowledge, consumed: frozenset[str]) -> RulePlan:
    read = {p.name: [t.field for t in p.tests] for p in rule.when}
    tells_all = all(c.topic in consumed for c in rule.then)
    concludes = []
    for conclude in rule.then:
        formula = kb.formulas[conclude.formula] if conclude.formula else None
        if formula is not None:
            _formula_fields(formula.expr, read)
        select = conclude.select
        places = (
            {v: i for i, v in enumerate(kb.topics[select.among].value_ids())} if select else None
        )
        concludes.append(
            ConclusionPlan(
                topic=conclude.topic,
                value=conclude.value,
                formula=formula,
                calculate=compile_formula(formula, kb) if formula else None,
                weight=kb.param(conclude.weight) if conclude.weight else 0.0,
                one_valued=kb.topics[conclude.topic].cardinality == "one",
                told_apart=conclude.topic in consumed and not tells_all,
                fixed=None if formula or select else _fixed(conclude.topic, conclude.value),
                select=select,
                places=places,
            )
        )
    reads = tuple(_read(p, tuple(dict.fromkeys(read[p.name])), kb) for p in rule.when)
    return RulePlan(rule, reads, tuple(concludes), tells_all, _known(rule, kb))


def _read(pattern: Pattern, names: tuple[str, ...], kb: Knowledge) -> Read:
    if pattern.fact not in kb.topics or names != ("value",):
        return pattern.name, pattern.fact, names, None, None
    value = _fixed_value(pattern)
    fixed = None
    if value is not None:
        fixed = MatchedFact(pattern.name, pattern.fact, {"value": value}), (pattern.fact, value)
    return pattern.name, pattern.fact, names, {}, fixed


def _fixed_value(pattern: Pattern) -> str | bool | None:
    """The value a pattern on a concluded topic requires (``is: high``), if it requires one."""
    return next((t.value for t in pattern.tests if t.field == "value" and t.op == "eq"), None)


def _known(rule: Rule, kb: Knowledge) -> Known | None:
    """The rule's matched facts, if its patterns alone determine them (``RulePlan.known``)."""
    known: list[tuple[str, str, dict[str, Any] | None]] = []
    for pattern in rule.when:
        if pattern.fact not in kb.topics:  # a case section: the consultation's one such fact
            known.append((pattern.name, pattern.fact, None))
            continue
        value = _fixed_value(pattern)
        if value is None:  # a band, a list or a number: only the core's message says which
            return None
        known.append((pattern.name, pattern.fact, {"t": pattern.fact, "value": value}))
    return tuple(known)
