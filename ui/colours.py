"""Colours that carry meaning and never move, for every chart of the app.

The values of an ordered topic (best first in the knowledge base: decisions, risk levels,
escalation stages) take a fixed green-to-amber-to-red ramp by their place in that order, so
"approve" is green and "decline" red in either language, whatever values a chart happens to
show. Tiers (value, service) are ranks rather than good and bad news: they take shades of one
blue, darkest for the top tier. The scale's domain is every value of the topic, so a value's
colour does not depend on which others are present.
"""

from __future__ import annotations

import altair as alt

from engine.labels import topic_value_label
from ui.i18n import kb, lang

GOOD, MIDDLE, BAD = "#2e7d32", "#f9a825", "#c62828"
"""The ends and middle of the semantic ramp: green, amber, red."""
TOP, BOTTOM = "#0d3b66", "#a9c6e8"
"""The ends of the rank ramp: dark blue (top tier) to pale blue."""
NONE, NONE_COLOUR = "—", "#9e9e9e"
"""A bar or point with no value (no credit decision): grey, never a colour of the topic's."""
RANKS = frozenset({"value_tier", "service_tier"})
"""Topics whose values are ranks, not good and bad news."""


def _mix(a: str, b: str, share: float) -> str:
    """The colour ``share`` of the way from ``a`` to ``b`` (``#rrggbb``)."""
    start = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    end = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(
        f"{round(s + (e - s) * share):02x}" for s, e in zip(start, end, strict=True)
    )


def ramp(count: int) -> list[str]:
    """``count`` colours from green (best) through amber to red (worst)."""
    if count <= 1:
        return [GOOD] * count
    out = []
    for index in range(count):
        place = index / (count - 1)
        out.append(
            _mix(GOOD, MIDDLE, place * 2) if place <= 0.5 else _mix(MIDDLE, BAD, place * 2 - 1)
        )
    return out


def ranks(count: int) -> list[str]:
    """``count`` shades of blue, darkest first."""
    return [_mix(TOP, BOTTOM, i / max(1, count - 1)) for i in range(count)]


def topic_scale(topic: str) -> tuple[list[str], list[str]]:
    """Every value label of ``topic`` in the knowledge base's order (current language) and its
    fixed colour."""
    labels = [topic_value_label(topic, v, kb(), lang()) for v in kb().topics[topic].value_ids()]
    return labels, (ranks if topic in RANKS else ramp)(len(labels))


def topic_colour(topic: str, field: str = "label") -> alt.Color:
    """An Altair colour encoding of ``field`` (labels of ``topic``) in the topic's colours."""
    labels, colours = topic_scale(topic)
    scale = alt.Scale(domain=[*labels, NONE], range=[*colours, NONE_COLOUR])
    return alt.Color(f"{field}:N", scale=scale, legend=None)


__all__ = ["BAD", "GOOD", "MIDDLE", "ramp", "ranks", "topic_colour", "topic_scale"]
