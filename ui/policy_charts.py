"""The charts of a simulation on the Policy page (``engine.policy.simulate``'s report).

- A migration heat map per topic: the live policy's answer (rows) against the draft's
  (columns), each cell the number of customers. Unchanged customers (the diagonal) are grey,
  moved ones blue, darker for more, so what the draft moves stands out however few they are.
- The credit decisions under each policy, stacked in the fixed semantic colours of the
  Performance page (green approve → red decline, by the topic's order in the knowledge base,
  the same in both languages).
- The approval rate and the total recommended limit under each policy.

Answers are the engine's labels (``engine.policy.simulate_text.answer``: a value's label, "not
concluded"), in the topic's order, so the axes read the same way whatever the book holds.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from engine.backtest.module_text import money, pct
from engine.policy.simulate_text import answer, topic_label
from ui.colours import ramp
from ui.i18n import kb, lang
from ui.performance_charts import NEUTRAL, POLICY_LINE
from ui.policy import pt

UNCHANGED = "#e0e0e0"
MOVED = ["#c6dbef", "#4292c6"]
"""Light to medium blue: moved cells stand out from the grey ones, their counts (in black)
readable on the darkest."""
POLICIES = ("champion", "challenger")
Report = dict[str, Any]


def policy_name(policy: str, draft: str) -> str:
    """ "Live policy" or "Draft q3": how the charts name the two policies."""
    return pt("sim.live") if policy == "champion" else pt("sim.draft", name=draft)


def order(topic: str) -> list[str]:
    """The topic's answers as labels, in the knowledge base's order, "not concluded" last."""
    values: list[Any] = [*kb().topics[topic].value_ids(), None]
    return [answer(topic, v, lang()) for v in values]


def matrix_frame(figures: dict[str, Any]) -> pd.DataFrame:
    topic = figures["topic"]
    cells = figures["matrix"]
    return pd.DataFrame(
        {
            "from": [answer(topic, c["from"], lang()) for c in cells],
            "to": [answer(topic, c["to"], lang()) for c in cells],
            "n": [int(c["n"]) for c in cells],
            "same": [c["from"] == c["to"] for c in cells],
        }
    )


def heat_map(figures: dict[str, Any], draft: str) -> alt.LayerChart:
    """One topic's migration matrix, from (live policy) → to (draft)."""
    topic = figures["topic"]
    data = matrix_frame(figures)
    shown = [label for label in order(topic) if label in set(data["from"]) | set(data["to"])]
    x_axis = alt.Axis(labelAngle=-35, labelLimit=160, labelOverlap=False)
    y_axis = alt.Axis(labelLimit=200, labelOverlap=False)
    x = alt.X("to:N", sort=shown, title=policy_name("challenger", draft), axis=x_axis)
    y = alt.Y("from:N", sort=shown, title=policy_name("champion", draft), axis=y_axis)
    tooltip = [
        alt.Tooltip("from:N", title=policy_name("champion", draft)),
        alt.Tooltip("to:N", title=policy_name("challenger", draft)),
        alt.Tooltip("n:Q", title=pt("sim.customers"), format=","),
    ]
    base = alt.Chart(data, title=topic_label(topic, kb(), lang()))
    same = base.transform_filter(alt.datum.same).mark_rect(color=UNCHANGED)
    moved = base.transform_filter(~alt.datum.same).mark_rect()
    counts = base.mark_text(fontSize=12).encode(x=x, y=y, text=alt.Text("n:Q", format=","))
    return alt.LayerChart(
        layer=[
            same.encode(x=x, y=y, tooltip=tooltip),
            moved.encode(
                x=x,
                y=y,
                tooltip=tooltip,
                color=alt.Color("n:Q", scale=alt.Scale(range=MOVED), legend=None),
            ),
            counts,
        ],
        height=alt.Step(34),
    )


def decision_frame(figures: dict[str, Any], draft: str) -> pd.DataFrame:
    """Customers per credit decision under each policy (the matrix summed by row, by
    column)."""
    topic = figures["topic"]
    rank = {label: i for i, label in enumerate(order(topic))}
    rows = []
    for policy, end in zip(POLICIES, ("from", "to"), strict=True):
        totals: dict[str, int] = {}
        for cell in figures["matrix"]:
            if cell[end] is not None:
                label = answer(topic, cell[end], lang())
                totals[label] = totals.get(label, 0) + int(cell["n"])
        name = policy_name(policy, draft)
        rows += [
            {"policy": name, "decision": k, "n": n, "rank": rank[k]} for k, n in totals.items()
        ]
    return pd.DataFrame(rows, columns=["policy", "decision", "n", "rank"])


def decision_chart(figures: dict[str, Any], draft: str) -> alt.Chart:
    """The credit decisions under each policy, stacked, in the semantic colours."""
    data = decision_frame(figures, draft)
    labels = order(figures["topic"])[:-1]
    colours = ramp(len(labels))
    title = topic_label(figures["topic"], kb(), lang())
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("policy:N", title=None, sort=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("n:Q", title=pt("sim.customers"), stack="zero"),
            color=alt.Color(
                "decision:N",
                scale=alt.Scale(domain=labels, range=colours),
                legend=alt.Legend(title=None, orient="bottom", columns=3, labelLimit=220),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("policy:N", title=pt("sim.policy")),
                alt.Tooltip("decision:N", title=title),
                alt.Tooltip("n:Q", title=pt("sim.customers"), format=","),
            ],
        )
        .properties(height=alt.Step(40))
    )
    return chart


def _pair_chart(title: str, values: list[float | None], shown: list[str], draft: str) -> alt.Chart:
    names = [policy_name(p, draft) for p in POLICIES]
    data = pd.DataFrame({"policy": names, "value": values, "shown": shown})
    colours = alt.Scale(domain=names, range=[NEUTRAL, POLICY_LINE])
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("policy:N", title=None, sort=names, axis=alt.Axis(labelLimit=200)),
        x=alt.X("value:Q", title=None),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("policy:N", scale=colours, legend=None),
        tooltip=[
            alt.Tooltip("policy:N", title=pt("sim.policy")),
            alt.Tooltip("shown:N", title=title),
        ],
    )
    text = base.mark_text(align="left", dx=4).encode(text="shown:N")
    chart: alt.Chart = (bars + text).properties(height=alt.Step(40))
    return chart


def approval_chart(report: Report, draft: str) -> alt.Chart:
    figures = [report["policies"][p] for p in POLICIES]
    rates = [f["approval_rate"] for f in figures]
    shown = [pct(r, lang()) for r in rates]
    return _pair_chart(pt("sim.approval"), rates, shown, draft)


def limit_chart(report: Report, draft: str) -> alt.Chart:
    totals = [report["policies"][p]["total_recommended_limit"] for p in POLICIES]
    shown = [money(v, lang()) for v in totals]
    return _pair_chart(pt("sim.total_limit"), totals, shown, draft)


__all__ = [
    "approval_chart",
    "decision_chart",
    "decision_frame",
    "heat_map",
    "limit_chart",
    "matrix_frame",
    "order",
    "policy_name",
]
