"""Closing-coach advice after inference: the ranking of techniques and actions, and its evidence.

Nothing here decides anything: which techniques, responses, actions and warnings apply comes
from the rules (``rules/closing.yaml``), and each value's evidence score is the sum of the
weights of the rules that concluded it (``engine.firing``). This module only presents them:

- The closing advice is grouped after the other conclusions, topic by topic in ``ADVICE``
  order, each topic's values by evidence score (highest first), ties in the order of the
  topic's values in ``knowledge_base/topics/closing.yaml`` (``genuine_urgency`` is last there,
  so urgency never wins a tie).
- Ranked topics get ``details["rank"]`` (1 = the best move) and ``details["evidence"]``: each
  supporting rule with its title and the points it added, so the rank can be checked.
- The offer built on a conditional credit approval lists the conditions the credit module
  concluded (``details["credit_conditions"]``), when the case had a credit section.
"""

from __future__ import annotations

from engine.advice.evidence import evidence_lines
from engine.advice.grouping import place_advice, split_advice
from engine.core import Context
from engine.labels import topic_value_label
from engine.result import Conclusion, Result

ADVICE = ("closing_technique", "objection_response", "next_action", "recommended_channel", "avoid")
"""The closing module's advice topics, in the order they are shown."""
RANKED = frozenset({"closing_technique", "next_action"})
CONDITIONS = "credit_condition"
ON_CONDITIONS = frozenset({"conditional_terms", "price_conditional_terms"})


SELECTED = {"closing_technique": "top_technique"}
"""Ranked topics whose leader a rule selects (CL-120): it comes first, whatever the sort says."""


def ranked(context: Context, found: list[Conclusion], topic: str) -> list[Conclusion]:
    """A topic's conclusions best first: the value a rule selected (``SELECTED``), then by
    evidence score and catalogue order."""
    order = context.engine.compiled.knowledge.topics[topic].value_ids()
    chosen = _selected(context, SELECTED.get(topic))
    return sorted(
        found, key=lambda c: (c.value != chosen, -(c.score or 0.0), order.index(str(c.value)))
    )


def _selected(context: Context, topic: str | None) -> object:
    if topic is None:
        return None
    chosen = context.firing.one_valued.get(topic)  # a one-valued topic: looked up directly
    return chosen.value if chosen is not None else None


def enrich(context: Context, result: Result) -> None:
    """The closing module's enricher (listed in ``engine.advice.ENRICHERS``)."""
    advice, rest, place = split_advice(result, ADVICE)
    if place < 0:
        return
    kb, lang = context.engine.compiled.knowledge, context.lang
    conditions = [
        topic_value_label(CONDITIONS, c.value, kb, lang)
        for c in result.conclusions
        if c.topic == CONDITIONS
    ]
    grouped: list[Conclusion] = []
    for topic in ADVICE:
        for rank, conclusion in enumerate(ranked(context, advice.get(topic, []), topic), 1):
            if topic in RANKED:
                evidence = evidence_lines(context, conclusion, "closing.evidence")
                conclusion.details = {"rank": rank, **conclusion.details, "evidence": evidence}
            if conclusion.value in ON_CONDITIONS and conditions:
                conclusion.details["credit_conditions"] = conditions
            grouped.append(conclusion)
    place_advice(result, rest, place, grouped)
