"""One consultation's working record: runs each firing, keeps the trace and the conclusions.

durable-rules calls an action with the matched facts only; this object turns that into our
conclusions (values or formula results), refuses contradictions, de-duplicates conclusions
that several rules reach (the engine would reject the identical fact) and records every step.
Any failure is stored and raised after the engine returns, because the engine itself would
swallow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.compiler import CompiledRuleBase
from engine.errors import EngineError, FiringBudgetExceeded, RuleConflictError, RuleExecutionError
from engine.formulas import compute
from engine.intake import Fact, engine_value
from engine.trace import AssertedFact, MatchedFact, TraceStep
from knowledge_base import Knowledge
from knowledge_base.schema import FieldRef, Operation
from rules import Rule
from rules.schema import Conclude

FIRING_BUDGET = 2000
"""Most firings one consultation may take; more means rules re-trigger each other (a loop)."""


@dataclass
class Derived:
    """A concluded topic value and everything known about how it was reached."""

    topic: str
    value: Any
    rules: list[str]
    seq: int
    score: float = 0.0
    computation: dict[str, Any] | None = None


@dataclass
class Firing:
    compiled: CompiledRuleBase
    steps: list[TraceStep] = field(default_factory=list)
    derived: dict[tuple[str, Any], Derived] = field(default_factory=dict)
    errors: list[EngineError] = field(default_factory=list)

    def fire(self, rule_id: str, matched: dict[str, dict[str, Any]]) -> list[Fact]:
        """Run one firing; return the new facts the driver must assert into the engine."""
        if self.errors:
            return []
        if len(self.steps) >= FIRING_BUDGET:
            self.errors.append(
                FiringBudgetExceeded(f"more than {FIRING_BUDGET} firings; last rule {rule_id}")
            )
            return []
        rule = self.compiled.rules[rule_id]
        seq = len(self.steps) + 1
        try:
            concluded = [self._conclude(rule, c, matched, seq) for c in rule.then]
        except EngineError as exc:
            self.errors.append(exc)
            return []
        except Exception as exc:  # any bug or bad arithmetic in an action must surface
            self.errors.append(RuleExecutionError(rule_id, exc))
            return []
        asserted = [a for a, new in concluded if new]
        confirmed = [a for a, new in concluded if not new]
        self.steps.append(
            TraceStep(
                seq=seq,
                rule=rule_id,
                matched=_matched(rule, matched, self.compiled.knowledge),
                asserted=asserted,
                confirmed=confirmed,
            )
        )
        return [{"t": a.topic, "value": a.value} for a in asserted]

    def _conclude(
        self, rule: Rule, conclude: Conclude, matched: dict[str, dict[str, Any]], seq: int
    ) -> tuple[AssertedFact, bool]:
        kb = self.compiled.knowledge
        computation = None
        value: Any = conclude.value
        if conclude.formula is not None:
            number, inputs = compute(kb.formulas[conclude.formula], matched, kb)
            value = engine_value(number)
            computation = {"formula": conclude.formula, "inputs": inputs, "result": value}
        weight = kb.param(conclude.weight) if conclude.weight else 0.0
        fact = AssertedFact(topic=conclude.topic, value=value)
        existing = self.derived.get((conclude.topic, value))
        if existing is not None:
            existing.rules.append(rule.id)
            existing.score += weight
            return fact, False
        if kb.topics[conclude.topic].cardinality == "one":
            other = next((d for (t, _), d in self.derived.items() if t == conclude.topic), None)
            if other is not None:
                raise RuleConflictError(
                    conclude.topic, (other.rules[0], other.value), (rule.id, value)
                )
        self.derived[(conclude.topic, value)] = Derived(
            conclude.topic, value, [rule.id], seq, weight, computation
        )
        return fact, True


def _tested_fields(rule: Rule, kb: Knowledge) -> dict[str, list[str]]:
    """Per pattern name, the attributes its tests and the rule's formulas read."""
    fields = {p.name: [t.field for t in p.tests] for p in rule.when}
    for conclude in rule.then:
        if conclude.formula is not None:
            _formula_fields(kb.formulas[conclude.formula].expr, fields)
    return fields


def _formula_fields(expr: object, out: dict[str, list[str]]) -> None:
    if isinstance(expr, Operation):
        for arg in expr.args:
            _formula_fields(arg, out)
    elif isinstance(expr, FieldRef):
        alias, attr = expr.field.split(".", 1)
        out.setdefault(alias, []).append(attr)


def _matched(rule: Rule, matched: dict[str, dict[str, Any]], kb: Knowledge) -> list[MatchedFact]:
    read = _tested_fields(rule, kb)
    out = []
    for pattern in rule.when:
        fact = matched.get(pattern.name, {})
        names = dict.fromkeys(read.get(pattern.name, []))
        values = {n: fact.get(n) for n in names}
        out.append(MatchedFact(alias=pattern.name, fact=pattern.fact, values=values))
    return out
