"""Principal reasons of a conclusion: the input-level firings behind it, ranked by weight.

Why a walk and not the "how" chain: the chain lists every firing a conclusion depends on,
including the aspects that allowed more (a good payment record under a decision capped by
missing information). The reasons are only the premises that *set* the conclusion. Rules mark
them with a pattern alias starting with ``cause``; the walk follows those premises down to the
firings that tested input facts and quotes them with the values they saw.

- A rule with cause patterns: follow each derived cause to the rules that concluded it; a cause
  that is an input section makes the rule itself a reason (e.g. "no strong security").
- A rule without cause patterns whose premises are all derived facts tested against no
  threshold only combines them (a sum, a relabelling): follow all its premises.
- Any other rule is a leaf: the reason itself.

Each reason's score is the ``weight`` parameter of the nearest weighted rule on its path (the
leaf's own, else its closest weighted ancestor's); a weight of 0 marks a premise that added
nothing (a "good" band) and drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.explain import Explainer
from engine.firing import Firing
from engine.trace import TraceStep
from knowledge_base import Knowledge
from rules import Rule
from rules.schema import Pattern

Shape = tuple[float | None, tuple[tuple[str, str, bool], ...]]
"""A rule as the walk sees it: its weight, and per cause pattern (fact type, pattern name,
whether the fact is a concluded topic)."""
_NO_VALUES: dict[str, Any] = {}

CAUSE_PREFIX = "cause"
MAX_REASONS = 4


@dataclass(frozen=True)
class Reason:
    """One principal reason: the firing that tested the input, its values and its weight."""

    rule: str
    score: float
    text: str
    facts: dict[str, Any]

    def as_dict(self, rank: int) -> dict[str, Any]:
        return {
            "rank": rank,
            "rule": self.rule,
            "score": self.score,
            "text": self.text,
            "facts": self.facts,
        }


def rule_weight(rule: Rule, kb: Knowledge) -> float | None:
    """The rule's weight as a reason: its first weighted conclusion's parameter, if any."""
    for conclude in rule.then:
        if conclude.weight is not None:
            return kb.param(conclude.weight)
    return None


def cause_patterns(rule: Rule, kb: Knowledge) -> list[Pattern]:
    """The premises that set the rule's conclusion (see the module docstring)."""
    marked = [p for p in rule.when if p.alias is not None and p.alias.startswith(CAUSE_PREFIX)]
    if marked:
        return marked
    only_derived = all(p.fact in kb.topics for p in rule.when)
    thresholded = any(t.param is not None for p in rule.when for t in p.tests)
    return list(rule.when) if only_derived and not thresholded else []


class _Walk:
    """Collects the leaves under one conclusion; each (rule, fact) is visited once."""

    def __init__(self, firing: Firing, explainer: Explainer) -> None:
        self.firing = firing
        self.explainer = explainer
        self.kb = firing.compiled.knowledge
        self.rules = firing.compiled.rules
        self.leaves: dict[str, Reason] = {}
        self.seen: set[tuple[str, str, Any]] = set()

    def conclusion(self, topic: str, value: Any, inherited: float) -> None:
        derived = self.firing.derived.get((topic, value))
        if derived is None:
            return
        for rule_id, seq in zip(derived.rules, derived.seqs, strict=True):
            if (rule_id, topic, value) not in self.seen:
                self.seen.add((rule_id, topic, value))
                self.firing_of(rule_id, seq, inherited)

    def firing_of(self, rule_id: str, seq: int, inherited: float) -> None:
        rule = self.rules[rule_id]
        step = self.firing.step(seq)
        weight, causes = self._shape(rule)
        score = inherited if weight is None else weight
        if not causes:
            self.leaf(rule, step, score)
            return
        values = {m.alias: m.values for m in step.matched}
        for fact, name, derived in causes:
            if not derived:  # an input section: the rule itself is the reason
                self.leaf(rule, step, score)
                continue
            seen_value = values.get(name, _NO_VALUES).get("value")
            for cause_value in self._values(fact, seen_value):
                self.conclusion(fact, cause_value, score)

    def _shape(self, rule: Rule) -> Shape:
        """The rule's weight and causes: fixed per rule, kept in the explainer's cache."""
        key = ("reason_shape", rule.id)
        shape: Shape | None = self.explainer.cache.get(key)
        if shape is None:
            causes = tuple(
                (p.fact, p.name, p.fact in self.kb.topics) for p in cause_patterns(rule, self.kb)
            )
            shape = self.explainer.cache.put(key, (rule_weight(rule, self.kb), causes))
        return shape

    def _values(self, topic: str, seen: Any) -> list[Any]:
        if seen is not None:
            return [seen]
        return [d.value for d in self.firing.derived.values() if d.topic == topic]

    def leaf(self, rule: Rule, step: TraceStep, score: float) -> None:
        facts = {
            (m.fact if m.fact in self.kb.topics else f"{m.fact}.{name}"): value
            for m in step.matched
            for name, value in m.values.items()
        }
        reason = Reason(rule.id, score, self.explainer.link(self.firing, step).text, facts)
        known = self.leaves.get(rule.id)
        if known is None or known.score < score:
            self.leaves[rule.id] = reason


def principal_reasons(
    firing: Firing, explainer: Explainer, topic: str, value: Any, limit: int = MAX_REASONS
) -> list[Reason]:
    """The ``limit`` heaviest reasons behind ``topic = value``, heaviest first.

    Reasons that quote the same input values (two rules noticing the same missing figure) are
    kept once, with the larger weight; reasons of weight 0 are dropped.
    """
    if not firing.trace:
        return []  # reasons quote the recorded firings
    walk = _Walk(firing, explainer)
    walk.conclusion(topic, value, 0.0)
    ranked = sorted(walk.leaves.values(), key=lambda r: -r.score)
    out: list[Reason] = []
    quoted: list[dict[str, Any]] = []
    for reason in ranked:
        if reason.score <= 0 or reason.facts in quoted:
            continue
        quoted.append(reason.facts)
        out.append(reason)
    return out[:limit]
