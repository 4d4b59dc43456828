"""The summary a manager reads first: per module, the answer, its principal reasons, the path to
a better answer and the next step — in plain words, in the consultation's language.

Nothing here decides anything: every line quotes a conclusion the rules reached or the advice
the modules added (reasons, rankings, the path to a better answer). The chains, why-nots and
evidence stay in the result for whoever opens the details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.result import Conclusion, ModuleSummary, Result
from knowledge_base import Knowledge, Text

MAX_REASONS = 4
MAX_PATHS = 3


Titles = Mapping[str, Text]
"""Rule id → its title: a reason in the summary is the rule's title, the sentence with the
values stays in the details."""


class _Found:
    """The result's conclusions by topic, gathered in one pass (the builders ask often)."""

    def __init__(self, result: Result) -> None:
        self.lang, self.trace = result.lang, result.trace
        self.by_topic: dict[str, list[Conclusion]] = {}
        for conclusion in result.conclusions:
            self.by_topic.setdefault(conclusion.topic, []).append(conclusion)

    def conclusion(self, topic: str) -> Conclusion | None:
        found = self.by_topic.get(topic)
        return found[0] if found else None

    def all(self, topic: str) -> list[Conclusion]:
        return self.by_topic.get(topic, [])


def summarise(result: Result, kb: Knowledge, titles: Titles) -> list[ModuleSummary]:
    """A summary for each module the consultation reached, in the modules' order."""
    out = []
    found = _Found(result)
    for build in _BUILDERS.values():
        made = build(found, kb, titles)
        if made is not None:
            out.append(made)
    return out


def _made(
    module: str,
    kb: Knowledge,
    lang: str,
    headline: str,
    reasons: list[str],
    path: list[str],
    next_step: str,
) -> ModuleSummary:
    title = kb.text(f"summary.title.{module}", lang)
    return ModuleSummary(module, title, headline, reasons, path, next_step)


def _named(conclusion: Conclusion, kb: Knowledge, lang: str) -> str:
    return kb.text("summary.named", lang, topic=conclusion.topic_label, value=conclusion.label)


def _path(conclusion: Conclusion) -> list[str]:
    """The cheapest proposals, or the plain statement that none exists."""
    record: dict[str, Any] | None = conclusion.details.get("path_to_better")
    if record is None:
        return []
    texts = [p["text"] for p in record["proposals"][:MAX_PATHS]]
    return texts or [record["text"]]


def _first_ranked(result: _Found, topic: str) -> Conclusion | None:
    found = result.all(topic)
    return min(found, key=lambda c: c.details.get("rank", 1_000), default=None)


def _labels(result: _Found, kb: Knowledge, topics: tuple[str, ...]) -> list[str]:
    found = [c for c in map(result.conclusion, topics) if c is not None]
    return [_named(c, kb, result.lang) for c in found][:MAX_REASONS]


def _support(result: _Found, kb: Knowledge, decision: Conclusion) -> list[str]:
    """The bands the rule that reached the decision read (risk verdict, coverage, term…): what
    an approval rests on, from the trace."""
    step = next((s for s in result.trace if s.rule == decision.rules[0]), None)
    if step is None:
        return []
    read = [m.fact for m in step.matched if m.fact in kb.topics and m.fact != decision.topic]
    found = [c for c in map(result.conclusion, dict.fromkeys(read)) if c is not None]
    return [_named(c, kb, result.lang) for c in found][:MAX_REASONS]


def _credit(result: _Found, kb: Knowledge, titles: Titles) -> ModuleSummary | None:
    lang = result.lang
    decision = result.conclusion("credit_decision")
    if decision is None:
        return None
    limit = result.conclusion("recommended_limit")
    headline = decision.label
    if limit is not None and decision.value != "decline":
        headline = kb.text(
            "summary.credit.headline", lang, decision=decision.label, limit=limit.label
        )
    weighed = decision.details.get("reasons", [])[:MAX_REASONS]
    reasons = [titles[r["rule"]].get(lang) for r in weighed]
    if not reasons:  # an approval: what the approving rule found, each as "band: value"
        reasons = _support(result, kb, decision)
    conditions = [c.label for c in result.all("credit_condition")]
    next_step = kb.text(f"summary.credit.next.{decision.value}", lang)
    if conditions:
        joined = kb.text("explain.list_separator", lang).join(conditions)
        next_step += kb.text("summary.credit.conditions", lang, conditions=joined)
    return _made("credit", kb, lang, headline, reasons, _path(decision), next_step)


def _grading(result: _Found, kb: Knowledge, titles: Titles) -> ModuleSummary | None:
    lang = result.lang
    tier, plan = result.conclusion("service_tier"), result.conclusion("maintenance_plan")
    if tier is None:
        return None
    headline = tier.label if plan is None else f"{tier.label} · {plan.label}"
    reasons = _labels(result, kb, ("value_tier", "loyalty", "difference_class", "lifecycle"))
    action = _first_ranked(result, "maintenance_action")
    next_step = (action or plan or tier).label
    return _made("grading", kb, lang, headline, reasons, _path(tier), next_step)


def _collection(result: _Found, kb: Knowledge, titles: Titles) -> ModuleSummary | None:
    lang = result.lang
    level = result.conclusion("escalation_level")
    if level is None:
        return None
    debtor = _first_ranked(result, "debtor_type")
    headline = level.label if debtor is None else f"{level.label} · {debtor.label}"
    aspects = ("escalation_by_days", "escalation_by_promises", "escalation_by_situation")
    reasons = _labels(result, kb, (*aspects, "escalation_by_relationship"))
    strategy = _first_ranked(result, "collection_strategy")
    next_step = (strategy or level).label
    return _made("collection", kb, lang, headline, reasons, _path(level), next_step)


def _closing(result: _Found, kb: Knowledge, titles: Titles) -> ModuleSummary | None:
    lang = result.lang
    states = result.all("buyer_state")
    technique = _first_ranked(result, "closing_technique")
    if not states and technique is None:
        return None
    state = states[0] if states else None
    labels = [c.label for c in states]
    headline = kb.text("explain.list_separator", lang).join(labels)
    if technique is not None:
        headline = f"{headline} · {technique.label}" if headline else technique.label
    reasons = list(technique.details.get("evidence", []))[:MAX_REASONS] if technique else []
    step = _first_ranked(result, "next_action") or technique or state
    next_step = step.label if step is not None else ""
    path = _path(state) if state else []
    return _made("closing", kb, lang, headline, reasons, path, next_step)


_BUILDERS: dict[str, Callable[[_Found, Knowledge, Titles], ModuleSummary | None]] = {
    "credit": _credit,
    "grading": _grading,
    "collection": _collection,
    "closing": _closing,
}
