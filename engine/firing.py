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
from engine.plans import ConclusionPlan, RulePlan
from engine.trace import AssertedFact, MatchedFact, TraceStep

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
    one_valued: dict[str, Derived] = field(default_factory=dict)

    def fire(self, rule_id: str, matched: dict[str, dict[str, Any]]) -> list[Fact]:
        """Run one firing; return the new facts the driver must assert into the engine.

        Conclusions no rule matches are kept here only: asserting them would cost an engine
        call that can only answer "not handled".
        """
        if self.errors:
            return []
        if len(self.steps) >= FIRING_BUDGET:
            message = f"more than {FIRING_BUDGET} firings; last rule {rule_id}"
            self.errors.append(FiringBudgetExceeded(message))
            return []
        plan = self.compiled.plans[rule_id]
        seq = len(self.steps) + 1
        asserted: list[AssertedFact] = []
        confirmed: list[AssertedFact] = []
        to_engine: list[Fact] = []
        try:
            for conclude in plan.concludes:
                fact, new = self._conclude(plan, conclude, matched, seq)
                (asserted if new else confirmed).append(fact)
                if new and conclude.consumed:
                    to_engine.append({"t": fact.topic, "value": fact.value})
        except EngineError as exc:
            self.errors.append(exc)
            return []
        except Exception as exc:  # any bug or bad arithmetic in an action must surface
            self.errors.append(RuleExecutionError(rule_id, exc))
            return []
        self.steps.append(TraceStep(seq, rule_id, _matched(plan, matched), asserted, confirmed))
        return to_engine

    def _conclude(
        self,
        plan: RulePlan,
        conclude: ConclusionPlan,
        matched: dict[str, dict[str, Any]],
        seq: int,
    ) -> tuple[AssertedFact, bool]:
        computation = None
        fact = conclude.asserted
        if fact is None:
            assert conclude.formula is not None
            number, inputs = compute(conclude.formula, matched, self.compiled.knowledge)
            fact = AssertedFact(conclude.topic, engine_value(number))
            computation = {"formula": conclude.formula.id, "inputs": inputs, "result": fact.value}
        key = (conclude.topic, fact.value)
        existing = self.derived.get(key)
        if existing is not None:
            existing.rules.append(plan.rule.id)
            existing.score += conclude.weight
            return fact, False
        derived = Derived(
            conclude.topic, fact.value, [plan.rule.id], seq, conclude.weight, computation
        )
        if conclude.one_valued:
            other = self.one_valued.get(conclude.topic)
            if other is not None:
                raise RuleConflictError(
                    conclude.topic, (other.rules[0], other.value), (plan.rule.id, fact.value)
                )
            self.one_valued[conclude.topic] = derived
        self.derived[key] = derived
        return fact, True


def _matched(plan: RulePlan, matched: dict[str, dict[str, Any]]) -> list[MatchedFact]:
    out = []
    for alias, fact_type, names in plan.reads:
        fact = matched.get(alias, {})
        out.append(MatchedFact(alias, fact_type, {n: fact.get(n) for n in names}))
    return out
