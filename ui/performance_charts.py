"""The charts of the Performance page: a rate per group with its 95 % interval, and the ROC and
cumulative-capture curves with the diagonal of a policy that knows nothing.

Colours carry meaning and never move: the values of an ordered topic (decisions, risk levels,
value tiers; best first in the knowledge base) take a fixed green-to-red ramp by their place
in that order, so "approve" is green and "decline" red in either language, whatever groups a
book happens to have. Groups of unordered topics (debtor types, techniques) share one neutral
colour. Charts are drawn from the engine's figures with labels, never ids; Vega draws text as
text, so a label needs no escaping here.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from ui.colours import ramp
from ui.performance import Figures, pt
from ui.performance_tables import Group, value_label

NEUTRAL = "#4e79a7"
POLICY_LINE, CHANCE_LINE = "#1f5fa8", "#9e9e9e"
WHISKER = "#333333"
SMALL_OPACITY = 0.45
"""Bars of groups too small to read are drawn pale."""


def _interval(row: dict[str, Any], end: int) -> float | None:
    ci = row.get("ci")
    return float(ci[end]) if ci else None


def group_frame(group: Group, figures: Figures) -> pd.DataFrame:
    """One row per group: its label, rate, interval, size and whether it is too small."""
    rows = figures[group.key]
    return pd.DataFrame(
        {
            "label": [value_label(group.topic, r[group.field], group.field) for r in rows],
            "rate": [r[group.rate] for r in rows],
            "low": [_interval(r, 0) for r in rows],
            "high": [_interval(r, 1) for r in rows],
            "n": [r["n"] for r in rows],
            "small": [bool(r["small"]) for r in rows],
        }
    )


def group_chart(module: str, group: Group, figures: Figures) -> alt.LayerChart:
    """Horizontal bars of the group rates, in the topic's order, each with its interval."""
    data = group_frame(group, figures)
    labels = list(data["label"])
    colours = ramp(len(labels)) if group.semantic else [NEUTRAL] * len(labels)
    rate_title = pt(f"{module}.rate")
    y = alt.Y("label:N", sort=labels, title=None, axis=alt.Axis(labelLimit=260))
    base = alt.Chart(data, title=pt(f"group.{group.key}"))
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("rate:Q", title=rate_title, axis=alt.Axis(format="%")),
        color=alt.Color("label:N", scale=alt.Scale(domain=labels, range=colours), legend=None),
        opacity=alt.when(alt.datum.small).then(alt.value(SMALL_OPACITY)).otherwise(alt.value(1.0)),
        tooltip=[
            alt.Tooltip("label:N", title=pt("chart.group")),
            alt.Tooltip("n:Q", title=pt(f"{module}.n")),
            alt.Tooltip("rate:Q", title=rate_title, format=".1%"),
            alt.Tooltip("low:Q", title=pt("column.ci_low"), format=".1%"),
            alt.Tooltip("high:Q", title=pt("column.ci_high"), format=".1%"),
        ],
    )
    whiskers = base.mark_rule(color=WHISKER, strokeWidth=1.5).encode(
        y=y, x=alt.X("low:Q"), x2=alt.X2("high:Q")
    )
    return alt.LayerChart(layer=[bars, whiskers], height=alt.Step(30))


def curve_chart(name: str, points: list[dict[str, Any]]) -> alt.Chart | None:
    """The curve ``name`` (roc or capture) of the figures with the diagonal; None when the book
    cannot draw it (no bad or no good customer)."""
    if not points:
        return None
    policy, chance = pt("curve.policy"), pt("curve.chance")
    data = pd.DataFrame(
        {
            "x": [p["x"] for p in points] + [0.0, 1.0],
            "y": [p["y"] for p in points] + [0.0, 1.0],
            "line": [policy] * len(points) + [chance, chance],
            "order": [*range(len(points)), 0, 1],
        }
    )
    lines = alt.Scale(domain=[policy, chance], range=[POLICY_LINE, CHANCE_LINE])
    dashes = alt.Scale(domain=[policy, chance], range=[[1, 0], [5, 4]])
    unit = alt.Scale(domain=[0, 1])
    chart: alt.Chart = (
        alt.Chart(data, title=pt(f"curve.{name}.title"))
        .mark_line()
        .encode(
            x=alt.X("x:Q", title=pt(f"curve.{name}.x"), axis=alt.Axis(format="%"), scale=unit),
            y=alt.Y("y:Q", title=pt(f"curve.{name}.y"), axis=alt.Axis(format="%"), scale=unit),
            color=alt.Color("line:N", scale=lines, legend=alt.Legend(title=None, orient="bottom")),
            strokeDash=alt.StrokeDash("line:N", scale=dashes, legend=None),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("x:Q", title=pt(f"curve.{name}.x"), format=".1%"),
                alt.Tooltip("y:Q", title=pt(f"curve.{name}.y"), format=".1%"),
            ],
        )
        .properties(height=320)
    )
    return chart
