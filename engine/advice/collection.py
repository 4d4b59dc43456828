"""Debt-collection advice after inference: the debtor types ranked with their evidence, and the
advice grouped and ordered for the collector.

Nothing here decides anything: which types, strategies, occasions, means, techniques and
cautions apply comes from the rules (``rules/collection.yaml``), and each value's evidence
score is the sum of the weights of the rules that concluded it (``engine.firing``). This module
only presents them:

- The collection advice is grouped after the other conclusions, topic by topic in ``ADVICE``
  order, at the place of the first of them.
- Debtor types are ordered by evidence score, ties in the order of the topic's values. Each
  gets ``details["rank"]`` (equal scores share a rank), ``details["signals"]`` (every signal
  behind it: id, label, the rule and the points it added, read from the trace), and — so that
  ties and mixtures are shown, not hidden — ``details["tied_with"]`` (the other types with the
  same score) and ``details["mixture"]`` (the other types found, with their scores). A type
  only weak secondary hints support is marked ``details["hint_only"]``: it has no strategies.
- Strategies follow the rank of the type they are for (``details["for_type"]``), then the
  order of the topic's values; occasions and techniques are ranked by evidence score like the
  closing coach's techniques (``details["rank"]``, ``details["evidence"]``); means keep the
  topic's order, mildest first (``details["severity"]``). Occasions, means, techniques and
  cautions list the rationales of the rules that concluded them as ``details["why"]``.
"""

from __future__ import annotations

from typing import Any

from engine.advice.evidence import evidence_lines, rationales, rule_points
from engine.advice.grouping import place_advice, split_advice
from engine.core import Context
from engine.labels import number, topic_value_label
from engine.result import Conclusion, Result

ADVICE = (
    "debtor_type",
    "observation_advice",
    "collection_strategy",
    "collection_occasion",
    "collection_means",
    "credit_hold",
    "collection_technique",
    "collection_caution",
)
"""The collection module's advice topics, in the order they are shown."""
TYPE = "debtor_type"
ADDRESSED = "type_to_address"
"""The types some signal points to as its main type: only they get strategies."""
STRATEGY = "collection_strategy"
PRIMARY = "primary_debtor_type"
"""Selected by a rule (CO-123) among the types some signal points to as their main type."""
RANKED = frozenset({"collection_occasion", "collection_technique"})
"""Ranked by evidence score, with the evidence listed."""
SEVERITY = "collection_means"
WHY = frozenset(
    {"collection_occasion", "collection_means", "collection_technique", "collection_caution"}
)
"""Topics whose rules' rationales say why the value applies to this case."""
SIGNALS = ("collection", "signals")


def signal_evidence(context: Context, conclusion: Conclusion) -> list[dict[str, Any]]:
    """Every signal behind a debtor type: id, label, the rule and the points it added. Fixed
    per type, rules and language, so made once and kept in the explainer's cache."""
    cache = context.engine.explainer(context.lang).cache
    key = ("signals", conclusion.topic, conclusion.value, *conclusion.rules)
    found: tuple[dict[str, Any], ...] | None = cache.get(key)
    if found is None:
        found = cache.put(key, tuple(_signals(context, conclusion)))
    return [dict(signal) for signal in found]  # copies: details are the caller's to change


def _signals(context: Context, conclusion: Conclusion) -> list[dict[str, Any]]:
    compiled, lang = context.engine.compiled, context.lang
    kb = compiled.knowledge
    catalogue = kb.catalogues["debtor_signals"]
    found = []
    for rule_id in dict.fromkeys(conclusion.rules):  # firing order, as in the trace
        rule = compiled.rules[rule_id]
        points = rule_points(context, rule_id, conclusion.topic, conclusion.value)
        for pattern in rule.when:
            for test in pattern.tests:
                if (pattern.fact, test.field) != SIGNALS or test.op != "contains":
                    continue
                signal = str(test.value)
                label = catalogue[signal].label.get(lang)
                found.append(
                    {
                        "id": signal,
                        "label": label,
                        "rule": rule_id,
                        "score": points,
                        "text": kb.text("collection.signal", lang, label=label, rule=rule_id),
                    }
                )
    return found


def _by_score(context: Context, found: list[Conclusion], topic: str) -> list[Conclusion]:
    """A topic's conclusions best first: evidence score, then the order of its values."""
    order = context.engine.compiled.knowledge.topics[topic].value_ids()
    return sorted(found, key=lambda c: (-(c.score or 0.0), order.index(str(c.value))))


def _by_catalogue(context: Context, found: list[Conclusion], topic: str) -> list[Conclusion]:
    order = context.engine.compiled.knowledge.topics[topic].value_ids()
    return sorted(found, key=lambda c: order.index(str(c.value)))


def present_types(context: Context, types: list[Conclusion]) -> None:
    """Rank, signals, ties and the mixture, on each debtor type (already in rank order)."""
    kb, lang = context.engine.compiled.knowledge, context.lang
    separator = "、" if lang == "zh" else ", "
    scores = sorted({c.score or 0.0 for c in types}, reverse=True)
    addressed = {d.value for d in context.firing.derived.values() if d.topic == ADDRESSED}
    for conclusion in types:
        score = conclusion.score or 0.0
        details: dict[str, Any] = {
            "rank": scores.index(score) + 1,
            **conclusion.details,
            "signals": signal_evidence(context, conclusion),
        }
        if conclusion.value not in addressed:
            details["hint_only"] = kb.text("collection.hint_only", lang)
        others = [c for c in types if c is not conclusion]
        tied = [c.label for c in others if (c.score or 0.0) == score]
        if tied:
            details["tied_with"] = tied
        if others:
            listed = separator.join(
                kb.text("collection.type_score", lang, label=c.label, score=number(c.score or 0))
                for c in others
            )
            details["mixture"] = kb.text("collection.mixture", lang, others=listed)
        conclusion.details = details


def _strategy_type(context: Context, conclusion: Conclusion) -> str:
    """The debtor type a strategy is for: the type its rule tests."""
    rule = context.engine.compiled.rules[conclusion.rules[0]]
    pattern = next(p for p in rule.when if p.fact == ADDRESSED)
    return str(pattern.tests[0].value)


def order_strategies(
    context: Context, strategies: list[Conclusion], types: list[Conclusion]
) -> list[Conclusion]:
    """By the rank of the type each is for, then the order of the topic's values."""
    kb, lang = context.engine.compiled.knowledge, context.lang
    type_order = [str(c.value) for c in types]
    values = kb.topics[STRATEGY].value_ids()
    keyed = []
    for conclusion in strategies:
        debtor = _strategy_type(context, conclusion)
        label = topic_value_label(TYPE, debtor, kb, lang)
        conclusion.details = {**conclusion.details, "for_type": label}
        position = type_order.index(debtor) if debtor in type_order else len(type_order)
        keyed.append(((position, values.index(str(conclusion.value))), conclusion))
    ordered = [c for _, c in sorted(keyed, key=lambda pair: pair[0])]
    for rank, conclusion in enumerate(ordered, 1):
        conclusion.details = {"rank": rank, **conclusion.details}
    return ordered


def present(context: Context, advice: list[Conclusion], topic: str) -> list[Conclusion]:
    """One advice topic's conclusions, ordered and with their details."""
    values = context.engine.compiled.knowledge.topics[topic].value_ids()
    if topic in RANKED:
        ordered = _by_score(context, advice, topic)
        for rank, conclusion in enumerate(ordered, 1):
            evidence = evidence_lines(context, conclusion, "collection.evidence")
            conclusion.details = {"rank": rank, **conclusion.details, "evidence": evidence}
    else:
        ordered = _by_catalogue(context, advice, topic)
    for conclusion in ordered:
        if topic == SEVERITY:
            severity = values.index(str(conclusion.value)) + 1
            conclusion.details = {"severity": severity, **conclusion.details}
        if topic in WHY:
            conclusion.details["why"] = rationales(context, conclusion)
    return ordered


def enrich(context: Context, result: Result) -> None:
    """The collection module's enricher (listed in ``engine.advice.ENRICHERS``)."""
    advice, rest, place = split_advice(result, ADVICE)
    if place < 0:
        return
    chosen = context.firing.one_valued.get(PRIMARY)
    primary = chosen.value if chosen is not None else None
    types = _by_score(context, advice.get(TYPE, []), TYPE)
    types.sort(key=lambda c: c.value != primary)  # the type CO-123 selected leads (stable)
    present_types(context, types)
    grouped: list[Conclusion] = []
    for topic in ADVICE:
        found = advice.get(topic, [])
        if topic == TYPE:
            grouped.extend(types)
        elif topic == STRATEGY:
            grouped.extend(order_strategies(context, found, types))
        else:
            grouped.extend(present(context, found, topic))
    place_advice(result, rest, place, grouped)
