"""Credit advice after inference: the decision's principal reasons, what would change it, and
the order of the investigations.

Nothing here decides anything: the decision, the limits and the conditions come from the rules
(``rules/credit.yaml``). This module only ranks what the rules concluded and asks the engine
"what if" on varied copies of the case.

- ``details["reasons"]`` of a decision other than the best one: 1-4 reasons ranked by weight,
  each the firing that tested the input (rule id, sentence with the values, the values).
- ``details["what_would_change"]`` (added by ``engine.advice.path_advice``): for each field of
  the credit section someone can change, the smallest single change that gives a better
  decision (structured field/from/to/op/decision, and a sentence).
- Investigations are ordered by their evidence score (the weights of the gaps each fills),
  most useful first, and numbered in ``details["priority"]``.
"""

from __future__ import annotations

from typing import Any

from engine.advice.counterfactual import Change
from engine.advice.reasons import principal_reasons
from engine.core import Context
from engine.firing import Firing
from engine.labels import field_label, topic_value_label, value_label
from engine.result import Conclusion, Result
from knowledge_base import Knowledge

DECISION = "credit_decision"
SECTION = "credit"
INVESTIGATION = "investigation"
FIRST_INVESTIGATION = "first_investigation"


def change_text(change: Change, kb: Knowledge, lang: str) -> str:
    """A change as a sentence: "longest days overdue ≤ 30 instead of 75 → Approve…"."""
    section, field = change.field.split(".", 1)
    label = field_label(section, field, kb, lang)
    after = value_label(section, field, change.after, kb, lang)
    before = value_label(section, field, change.before, kb, lang)
    if change.op == "eq":
        key = "credit.change.enum"
    elif change.op == "given":
        key = "credit.change.given"
    else:
        key = (
            "credit.change.number" if change.before is not None else "credit.change.number_missing"
        )
    op = kb.text(f"explain.op.{change.op}", lang) if change.op in ("le", "ge") else ""
    text = kb.text(key, lang, label=label, op=op, after=after, before=before)
    outcome = topic_value_label(DECISION, change.outcome, kb, lang)
    return kb.text("credit.change.outcome", lang, change=text, outcome=outcome)


def change_record(change: Change, kb: Knowledge, lang: str) -> dict[str, Any]:
    """The structured form in ``details["what_would_change"]``: for machines and sentences."""
    return {
        "field": change.field,
        "from": change.before,
        "to": change.after,
        "op": change.op,
        "decision": change.outcome,
        "text": change_text(change, kb, lang),
    }


def order_investigations(result: Result, firing: Firing) -> None:
    """Most useful channel first: the one a rule selected (CR-197), then by evidence score,
    then in the order they were concluded."""
    chosen = firing.one_valued.get(FIRST_INVESTIGATION)
    first = chosen.value if chosen is not None else None
    slots = [i for i, c in enumerate(result.conclusions) if c.topic == INVESTIGATION]
    ranked = sorted(
        (result.conclusions[i] for i in slots),
        key=lambda c: (c.value != first, -(c.score or 0.0)),
    )
    for priority, (slot, conclusion) in enumerate(zip(slots, ranked, strict=True), 1):
        conclusion.details["priority"] = priority
        result.conclusions[slot] = conclusion


def explain_decision(context: Context, decision: Conclusion) -> None:
    """Add the principal reasons and what would change a decision below the best one."""
    engine, kb, lang = context.engine, context.engine.compiled.knowledge, context.lang
    ranking = list(kb.topics[DECISION].value_ids())
    if decision.value == ranking[0]:
        return
    reasons = principal_reasons(context.firing, engine.explainer(lang), DECISION, decision.value)
    decision.details["reasons"] = [r.as_dict(rank) for rank, r in enumerate(reasons, 1)]


def enrich(context: Context, result: Result) -> None:
    """The credit module's enricher (listed in ``engine.advice.ENRICHERS``)."""
    order_investigations(result, context.firing)
    decision = result.conclusion(DECISION)
    if decision is not None:
        explain_decision(context, decision)
