"""What the Customers page draws (issue 22): the list, the chooser, one customer's last known
facts and history (a table and charts over time), and the import of a customer list.

Customer ids and names are typed text: in tables, select boxes and charts Streamlit draws them
as text; in headings they go through ``plain``. Charts take the project's fixed decision colours
(``ui.colours``: green approve → red decline, in the knowledge base's order, the
same in both languages).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from engine.customers.directory import Customer
from engine.customers.history import Point
from engine.customers.importing import Imported
from engine.labels import number
from engine.users import User
from ui.auth import current_user
from ui.colours import topic_scale
from ui.customers import (
    IMPORTED,
    LIMIT,
    OPEN,
    SEARCH,
    UPLOAD,
    amount,
    answer,
    ct,
    facts_frame,
    history,
    history_frame,
    list_frame,
    may_import,
    option_label,
    refused_frame,
    run_import,
    section_heading,
    when,
)
from ui.i18n import labeller
from ui.inert import plain

DECISION = "credit_decision"
PLOT_HEIGHT = 200
"""Pixels of a chart's plotting area."""
POINT_SIZE = 140
MIN_SPAN = pd.Timedelta(hours=2)
TIME_AXIS = alt.Axis(format="%Y-%m-%d %H:%M", labelAngle=-30, labelOverlap=True)


def search_box() -> str:
    return st.text_input(ct("search"), key=SEARCH, help=ct("search_help"))


def listing(found: Sequence[Customer], text: str) -> None:
    """The customers found, as a table, with how many (and whether the list is cut)."""
    if not found:
        st.info(ct("none_found") if text.strip() else ct("empty"))
        return
    st.caption(ct("count_limited" if len(found) >= LIMIT else "count", count=number(len(found))))
    st.dataframe(list_frame(found), hide_index=True, width="stretch")


def choose(found: Sequence[Customer]) -> Customer | None:
    """A select of the customers found, keyed by id; the chosen one (if still found)."""
    if not found:
        return None
    by_id = {c.id: c for c in found}
    chosen = st.selectbox(
        ct("open"),
        list(by_id),
        index=None,
        format_func=labeller(by_id, lambda i: option_label(by_id[i])),
        key=OPEN,
    )
    return by_id.get(chosen) if chosen is not None else None


def facts(customer: Customer) -> None:
    """The last known facts, one expander per section: from where and when, labelled values."""
    st.subheader(ct("facts"))
    for section, entry in customer.facts.items():
        with st.expander(section_heading(section, entry)):
            frame = facts_frame(section, entry.get("values") or {})
            st.dataframe(frame, hide_index=True, width="stretch")


def chart_frame(points: Sequence[Point]) -> pd.DataFrame:
    """One row per credit decision over time: the recommendation and the final decision."""
    rows = []
    for point in points:
        at = pd.Timestamp(point.at)
        recommended = point.values.get(DECISION)
        if recommended is not None:
            limit = point.values.get("recommended_limit")
            rows.append((at, ct("chart.recommended"), answer(DECISION, recommended), limit))
        if point.final_decision is not None:
            decision = answer(DECISION, point.final_decision)
            rows.append((at, ct("chart.final"), decision, point.final_limit))
    frame = pd.DataFrame(rows, columns=["at", "kind", "decision", "limit"])
    frame["shown"] = [amount(v) for v in frame["limit"]]
    return frame


def time_scale(data: pd.DataFrame) -> alt.Scale:
    """The time axis around the points, never narrower than ``MIN_SPAN`` (points recorded
    minutes apart would otherwise get millisecond ticks)."""
    first, last = data["at"].min(), data["at"].max()
    pad = max((last - first) * 0.05, MIN_SPAN / 2)
    return alt.Scale(domain=[(first - pad).isoformat(), (last + pad).isoformat()])


def timeline(data: pd.DataFrame, y: alt.X | alt.Y, title: str) -> alt.Chart:
    """Points over time coloured by credit decision, shaped by recommendation or final."""
    labels, colours = topic_scale(DECISION)
    legend = alt.Legend(title=None, orient="bottom", columns=2, labelLimit=260)
    chart: alt.Chart = (
        alt.Chart(data, title=title)
        .mark_point(filled=True, size=POINT_SIZE)
        .encode(
            x=alt.X("at:T", title=ct("chart.at"), scale=time_scale(data), axis=TIME_AXIS),
            y=y,
            color=alt.Color(
                "decision:N", scale=alt.Scale(domain=labels, range=colours), legend=legend
            ),
            shape=alt.Shape("kind:N", title=ct("chart.kind"), legend=legend),
            tooltip=[
                alt.Tooltip("at:T", title=ct("chart.at"), format="%Y-%m-%d %H:%M"),
                alt.Tooltip("kind:N", title=ct("chart.kind")),
                alt.Tooltip("decision:N", title=ct("chart.decision")),
                alt.Tooltip("shown:N", title=ct("chart.limit")),
            ],
        )
        # the width follows the page, the plot keeps its own height: with the default "fit"
        # the legends and the slanted dates took the plot's height and the points fell outside
        .properties(height=PLOT_HEIGHT, autosize=alt.AutoSizeParams(type="fit-x"))
    )
    return chart


def charts(points: Sequence[Point]) -> None:
    """The credit decisions over time and, when any was given, the limits over time."""
    data = chart_frame(points)
    if data.empty:
        st.caption(ct("chart.no_credit"))
        return
    labels, _ = topic_scale(DECISION)
    by_decision = alt.Y(
        "decision:N",
        title=None,
        scale=alt.Scale(domain=labels),
        axis=alt.Axis(labelLimit=260),
    )
    st.altair_chart(timeline(data, by_decision, ct("chart.decisions")), width="stretch")
    limits = data.dropna(subset=["limit"])
    if not limits.empty:
        by_limit = alt.Y("limit:Q", title=ct("chart.limit"), axis=alt.Axis(format=",.0f"))
        st.altair_chart(timeline(limits, by_limit, ct("chart.limits")), width="stretch")


def customer_view(customer: Customer) -> None:
    """One customer: who, when seen, the last known facts, the history and its charts."""
    name = customer.name or ct("no_name")
    st.header(ct("title", name=plain(name), id=plain(customer.id)))
    seen = {"first": when(customer.first_seen), "last": when(customer.last_seen)}
    st.caption(ct("seen", consultations=number(customer.consultations), **seen))
    facts(customer)
    st.subheader(ct("history"))
    points = history(customer.id)
    if not points:
        st.info(ct("no_history"))
        return
    st.dataframe(history_frame(points), hide_index=True, width="stretch")
    charts(points)


def import_result(found: Imported | str) -> None:
    if isinstance(found, str):
        st.error(ct("import.failed", problem=plain(found)))
        return
    refused = len({row for row, _ in found.failed})
    counts = {"rows": number(found.rows), "count": number(found.customers)}
    done = ct("import.done", failed=number(refused), **counts)
    (st.warning if refused else st.success)(done)
    if found.failed:
        st.markdown(f"**{ct('import.refused')}**")
        st.dataframe(refused_frame(found), hide_index=True, width="stretch")


def _import() -> None:
    """The import button's callback: it runs before the page is drawn again, so the list
    above shows the customers as the import left them."""
    upload = st.session_state.get(UPLOAD)
    if upload is not None and may_import(current_user()):
        st.session_state[IMPORTED] = run_import(upload.name, upload.getvalue())


def importer(user: User | None) -> None:
    """The import of a customer list (managers and administrators; others read a note)."""
    st.divider()
    st.subheader(ct("import.heading"))
    if not may_import(user):
        st.caption(ct("import.read_only"))
        return
    st.caption(ct("import.intro"))
    upload = st.file_uploader(ct("import.upload"), type=["csv"], key=UPLOAD)
    if upload is not None:
        st.button(ct("import.run"), type="primary", key=f"{UPLOAD}_run", on_click=_import)
    found = st.session_state.get(IMPORTED)
    if isinstance(found, Imported | str):
        import_result(found)
