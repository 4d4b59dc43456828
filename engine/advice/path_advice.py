"""The path to a better answer, in every module: what the user could do, cheapest first.

Each module's headline topic — the credit decision, the service tier, the escalation level, the
buyer's state — gets ``details["path_to_better"]``: ``proposals`` (each a set of up to three
changes with the answer it gives and its cost, and a sentence), ``complete`` (whether every
set was tried) and, when no proposal exists, ``text`` saying so plainly. The credit decision
keeps ``details["what_would_change"]``: the single changes, in the form it always had.

Found by ``engine.advice.paths`` (re-running the rules on varied cases), so it always agrees
with the rules; batch runs skip it unless asked (``Context.what_if``).
"""

from __future__ import annotations

from typing import Any

from engine.advice.counterfactual import Change
from engine.advice.credit import change_record
from engine.advice.paths import PathToBetter, Proposal, path_to_better
from engine.core import Context
from engine.labels import field_label, field_unit, topic_value_label, value_label
from engine.result import Result
from knowledge_base import Knowledge

TARGETS: dict[str, tuple[str, str]] = {
    "grading": ("customer", "service_tier"),
    "credit": ("credit", "credit_decision"),
    "collection": ("collection", "escalation_level"),
    "closing": ("deal", "buyer_state"),
}
"""Per module: the case section whose fields may change, and the topic to better."""


def change_sentence(change: Change, kb: Knowledge, lang: str) -> str:
    """The change as an instruction: the field's own sentence if it has one (``whatif.field.
    <section>.<field>``), else its kind's (``knowledge_base/changes.yaml``)."""
    section, field = change.section, change.name
    label = field_label(section, field, kb, lang)
    value = value_label(section, field, change.after, kb, lang)
    unit = field_unit(section, field)
    if unit and unit != "%" and isinstance(change.after, int | float):
        unit_label = kb.text(f"memo.unit.{unit}", lang)
        if unit_label != f"memo.unit.{unit}":
            value = kb.text("whatif.with_unit", lang, value=value, unit=unit_label)
    elif unit == "%" and isinstance(change.after, int | float):
        value += "%"
    own = f"whatif.field.{section}.{field}"
    if kb.text(own, lang) != own:
        return kb.text(own, lang, field=label, value=value)
    extra = _kind_of(section, field)
    return kb.changes[extra].action.get(lang).format(field=label, value=value)


def _kind_of(section: str, field: str) -> str:
    from knowledge_base.facts import SECTIONS

    extra = SECTIONS[section].model_fields[field].json_schema_extra
    return str(extra["change"]) if isinstance(extra, dict) else ""


def proposal_record(proposal: Proposal, topic: str, kb: Knowledge, lang: str) -> dict[str, Any]:
    """A proposal for machines (each change's field, from, to, kind) and people (a sentence)."""
    steps = [change_sentence(c, kb, lang) for c in proposal.changes]
    outcome = topic_value_label(topic, proposal.outcome, kb, lang)
    separator = kb.text("whatif.and", lang)
    return {
        "changes": [
            {
                "field": c.field,
                "from": c.before,
                "to": c.after,
                "op": c.op,
                "kind": _kind_of(c.section, c.name),
            }
            for c in proposal.changes
        ],
        "outcome": proposal.outcome,
        "cost": proposal.cost,
        "text": kb.text("whatif.proposal", lang, steps=separator.join(steps), outcome=outcome),
    }


def path_record(path: PathToBetter, topic: str, kb: Knowledge, lang: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "proposals": [proposal_record(p, topic, kb, lang) for p in path.proposals],
        "complete": path.complete,
    }
    if not path.proposals:
        key = "whatif.none" if path.complete else "whatif.not_found"
        record["text"] = kb.text(key, lang)
    return record


def enrich(context: Context, result: Result) -> None:
    """Add the path to a better answer to each module's headline (listed in ``ENRICHERS``)."""
    if not context.what_if:
        return
    kb, lang = context.engine.compiled.knowledge, context.lang
    for section, topic in TARGETS.values():
        headline = result.conclusion(topic)
        if headline is None or getattr(context.case, section, None) is None:
            continue
        best = next(iter(kb.topics[topic].value_ids()))
        if best in result.values(topic):
            continue  # already the best answer: nothing to better
        path = path_to_better(context.engine, context.case, section, topic)
        headline.details["path_to_better"] = path_record(path, topic, kb, lang)
        if topic == "credit_decision" and headline.value != "approve":
            singles = [p.changes[0] for p in path.proposals if len(p.changes) == 1]
            headline.details["what_would_change"] = [change_record(c, kb, lang) for c in singles]
