"""Evidence lines of a ranked conclusion: each supporting rule with the points it added.

The closing coach and the collection advice both show why a value ranks where it does. A
line depends only on the rule, the concluded value and the language — never on the case — so
the lines are kept in the explainer's bounded cache and shared by every consultation (a batch
shows the same few hundred lines again and again).
"""

from __future__ import annotations

from typing import Any

from engine.core import Context
from engine.labels import number
from engine.result import Conclusion


def rule_points(context: Context, rule_id: str, topic: str, value: Any) -> float:
    """What the rule's weights add to ``topic = value`` (0 for an unweighted rule)."""
    plan = context.engine.compiled.plans[rule_id]
    return sum(c.weight for c in plan.concludes if c.topic == topic and c.value == value)


def evidence_lines(context: Context, conclusion: Conclusion, text_key: str) -> list[str]:
    """One line per rule that concluded the value, in firing order, from the text ``text_key``
    (placeholders: rule, title, points)."""
    cache = context.engine.explainer(context.lang).cache
    key = ("evidence", text_key, conclusion.topic, conclusion.value, *conclusion.rules)
    lines: tuple[str, ...] | None = cache.get(key)
    if lines is None:
        made = (_line(context, conclusion, rule_id, text_key) for rule_id in conclusion.rules)
        lines = cache.put(key, tuple(made))
    return list(lines)


def rationales(context: Context, conclusion: Conclusion) -> list[str]:
    """Why each rule that concluded the value applies: its rationale (fixed per rule)."""
    cache = context.engine.explainer(context.lang).cache
    key = ("why", *conclusion.rules)
    found: tuple[str, ...] | None = cache.get(key)
    if found is None:
        rules, lang = context.engine.compiled.rules, context.lang
        found = cache.put(key, tuple(rules[r].rationale.get(lang) for r in conclusion.rules))
    return list(found)


def _line(context: Context, conclusion: Conclusion, rule_id: str, text_key: str) -> str:
    compiled, lang = context.engine.compiled, context.lang
    points = rule_points(context, rule_id, conclusion.topic, conclusion.value)
    title = compiled.rules[rule_id].title.get(lang)
    return compiled.knowledge.text(text_key, lang, rule=rule_id, title=title, points=number(points))
