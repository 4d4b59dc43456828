"""One consultation's working record: runs each firing, keeps the trace and the conclusions.

durable-rules calls an action with the matched facts only; this object turns that into our
conclusions (values or formula results), refuses contradictions, de-duplicates conclusions
that several rules reach (the engine would reject the identical fact) and records every step.
Any failure is stored and raised after the engine returns, because the engine itself would
swallow it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from engine.compiler import CompiledRuleBase
from engine.errors import EngineError, FiringBudgetExceeded, RuleConflictError, RuleExecutionError
from engine.intake import engine_value
from engine.plans import ConclusionPlan, RulePlan
from engine.trace import AssertedFact, MatchedFact, TraceStep
from rules.schema import Selection

FIRING_BUDGET = 2000
"""Most firings one consultation may take; more means rules re-trigger each other (a loop)."""


@dataclass(slots=True)
class Derived:
    """A concluded topic value and everything known about how it was reached."""

    topic: str
    value: Any
    rules: list[str]
    seqs: list[int]
    """The firing of each rule in ``rules``: the first concluded, the others confirmed."""
    seq: int
    """The firing that first reached the conclusion (``seqs[0]``, read very often)."""
    score: float = 0.0
    computation: dict[str, Any] | None = None


@dataclass
class Firing:
    """``trace=False`` keeps only the conclusions: for the many re-runs of a what-if search."""

    compiled: CompiledRuleBase
    trace: bool = True
    steps: list[TraceStep] = field(default_factory=list)
    derived: dict[tuple[str, Any], Derived] = field(default_factory=dict)
    errors: list[EngineError] = field(default_factory=list)
    one_valued: dict[str, Derived] = field(default_factory=dict)
    fired: int = 0
    chains: list[tuple[int, ...]] = field(default_factory=list)
    """Per recorded step, the positions (``seq - 1``) of the firings from the input facts to
    it: its parents' chains (the firings that first concluded the categories it matched), then
    itself, each once where it first appears. The "how" of every conclusion reads these."""
    plans: dict[str, RulePlan] = field(init=False, repr=False)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    """What explaining this consultation has already worked out (a step's sentence, the input
    behind a failed band): the "how" chains, the why-nots and the principal reasons ask for the
    same pieces many times over. Keys start with the asker's name and language."""

    def __post_init__(self) -> None:
        self.plans = self.compiled.plans  # read at every firing

    def step(self, seq: int) -> TraceStep:
        """The recorded firing number ``seq`` (a traced consultation records every firing)."""
        step = self.steps[seq - 1]
        return step if step.seq == seq else next(s for s in self.steps if s.seq == seq)

    def fire(self, rule_id: str, matched: dict[str, dict[str, Any]]) -> list[AssertedFact]:
        """Run one firing; return the new conclusions the driver must assert into the engine.

        Conclusions no rule matches are kept here only: asserting them would cost an engine
        call that can only answer "not handled".
        """
        if self.errors or self.fired >= FIRING_BUDGET:
            return self._refused(rule_id)
        self.fired = seq = self.fired + 1
        plan = self.plans[rule_id]
        asserted: list[AssertedFact] = []
        confirmed: list[AssertedFact] = []
        told: list[AssertedFact] = asserted if plan.tells_all else []
        derived, one_valued = self.derived, self.one_valued
        try:
            for conclude in plan.concludes:
                fixed = conclude.fixed  # a fixed value: its fact and key made once
                if fixed is None:
                    fact, computation = self._computed(conclude, matched)
                    key = (fact.topic, fact.value)
                else:
                    (fact, key), computation = fixed, None
                existing = derived.get(key)
                if existing is None:  # new: kept (a second value of a one-valued topic refused)
                    made = Derived(
                        fact.topic, fact.value, [rule_id], [seq], seq, conclude.weight, computation
                    )
                    if conclude.one_valued:  # a second value is a rule conflict
                        other = one_valued.get(fact.topic)
                        if other is not None:
                            raise _conflict(other, made)
                        one_valued[fact.topic] = made
                    derived[key] = made
                    asserted.append(fact)
                    if conclude.told_apart:
                        told.append(fact)
                else:  # another rule reached it first: this firing confirms it
                    existing.rules.append(rule_id)
                    existing.seqs.append(seq)
                    existing.score += conclude.weight
                    confirmed.append(fact)
        except EngineError as exc:
            self.errors.append(exc)
            return []
        except Exception as exc:  # any bug or bad arithmetic in an action must surface
            self.errors.append(RuleExecutionError(rule_id, exc))
            return []
        if self.trace:
            self._record_step(TraceStep(seq, rule_id, [], asserted, confirmed), plan, matched)
        return told

    def _refused(self, rule_id: str) -> list[AssertedFact]:
        """No firing after an error, nor past the budget (which is an error itself)."""
        if not self.errors:
            message = f"more than {FIRING_BUDGET} firings; last rule {rule_id}"
            self.errors.append(FiringBudgetExceeded(message))
        return []

    def _record_step(
        self, step: TraceStep, plan: RulePlan, matched: dict[str, dict[str, Any]]
    ) -> None:
        """Keep the step with the matched facts as the trace shows them (only the attributes
        the rule read), and its chain."""
        records, parents, derived = step.matched, [], self.derived
        for alias, fact_type, names, shared, fixed in plan.reads:
            if fixed is not None:  # a fixed value of a concluded topic: one record, one key
                record, key = fixed
                parent = derived.get(key)
                if parent is not None:
                    parents.append(self.chains[parent.seq - 1])
                records.append(record)
                continue
            fact = matched.get(alias, _EMPTY)
            if shared is not None:  # a concluded topic's value: records shared per value
                value = fact.get("value")
                entry = shared.get(value)
                if entry is None:
                    entry = MatchedFact(alias, fact_type, {"value": value}), (fact_type, value)
                    if isinstance(value, str):
                        shared[value] = entry
                record, key = entry
                parent = derived.get(key)
                if parent is not None:
                    parents.append(self.chains[parent.seq - 1])
            elif len(names) == 1:  # most patterns read one attribute: skip the comprehension
                record = MatchedFact(alias, fact_type, {names[0]: fact.get(names[0])})
            else:
                record = MatchedFact(alias, fact_type, {n: fact.get(n) for n in names})
            records.append(record)
        at = step.seq - 1
        if not parents:
            self.chains.append((at,))
        elif len(parents) == 1:  # most steps: nothing to de-duplicate
            self.chains.append((*parents[0], at))
        else:
            self.chains.append(tuple(dict.fromkeys(itertools.chain(*parents, (at,)))))
        self.steps.append(step)

    def _computed(
        self, conclude: ConclusionPlan, matched: dict[str, dict[str, Any]]
    ) -> tuple[AssertedFact, dict[str, Any]]:
        """A formula's result or a selection as a fact, and the computation the explanation
        shows."""
        if conclude.select is not None:
            return self._selected(conclude)
        assert conclude.formula is not None and conclude.calculate is not None
        number, inputs = conclude.calculate(matched)
        value = engine_value(number)
        computation = {"formula": conclude.formula.id, "inputs": inputs, "result": value}
        return AssertedFact(conclude.topic, value), computation

    def _selected(self, conclude: ConclusionPlan) -> tuple[AssertedFact, dict[str, Any]]:
        """The value of the ranked topic with the most evidence so far (the rule runs after the
        weighing): ties to the value declared first, a ``never_on_tie`` value only alone."""
        select, places = conclude.select, conclude.places
        assert select is not None and places is not None
        key = ("selected", conclude.topic)
        made: tuple[AssertedFact, dict[str, Any]] | None = self.memo.get(key)
        if made is None:  # the rule fires once per candidate: the first firing decides
            made = self.memo[key] = self._select(conclude.topic, select, places)
        return made

    def _select(
        self, topic: str, select: Selection, places: dict[str, int]
    ) -> tuple[AssertedFact, dict[str, Any]]:
        allowed = None
        if select.within is not None:
            allowed = {d.value for d in self.derived.values() if d.topic == select.within}
        points = {
            d.value: d.score
            for d in self.derived.values()
            if d.topic == select.among and (allowed is None or d.value in allowed)
        }
        if not points:  # the rule's patterns should make this impossible: a rule-base error
            raise ValueError(f"nothing to select among the values of {select.among}")
        best = max(points.values())
        tied = sorted((v for v, p in points.items() if p == best), key=lambda v: places[v])
        eligible = [v for v in tied if v not in select.never_on_tie] or tied
        chosen = eligible[0]
        computation = {
            "select": select.among,
            "points": dict(sorted(points.items(), key=lambda item: (-item[1], places[item[0]]))),
            "result": chosen,
        }
        return AssertedFact(topic, chosen), computation


_EMPTY: dict[str, Any] = {}


def _conflict(other: Derived, made: Derived) -> RuleConflictError:
    """Two values of a one-valued topic: the first rule's and the second's."""
    return RuleConflictError(made.topic, (other.rules[0], other.value), (made.rules[0], made.value))
