"""Audit trail (auditor, manager): search and filter the records, open one as a readable trace
with its rule-base version, final decisions and outcomes (a manager records outcomes here),
replay it, verify the chain, statistics with charts, and export (CSV cells a spreadsheet would
run as formulas are neutralised by the store).

One record is shown by ``ui.audit_record``; what the store holds is shown as text, never as
Markdown (``ui.inert``)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from engine.audit.errors import AuditError, AuditRequestError
from engine.audit.recording import shared_store
from engine.audit.records import KINDS, AuditRecord, RecordFilter
from engine.audit.reports import FORMATS
from engine.audit.store import AuditStore
from engine.audit.text import render_verify
from engine.labels import topic_value_label
from knowledge_base.schema import MODULES
from ui import auth
from ui.audit_record import detail
from ui.colours import topic_colour
from ui.i18n import colon, kb, labeller, lang, t
from ui.inert import plain

PAGE = "audit"
FILTER = f"{PAGE}_filter"
FILTER_ERRORS = f"{PAGE}_filter_errors"
LIMIT = 500


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def _text(key: str) -> str | None:
    value = str(st.session_state.get(key) or "").strip()
    return value or None


def _apply_filter() -> None:
    """The filter form's callback: a bad filter is marked at its field."""
    state = st.session_state
    try:
        where = RecordFilter(
            since=_day(state.get(f"{PAGE}_from")),
            until=_day(state.get(f"{PAGE}_to")),
            actor=_text(f"{PAGE}_actor"),
            customer=_text(f"{PAGE}_customer"),
            module=state.get(f"{PAGE}_module"),
            decision=state.get(f"{PAGE}_decision"),
            rule=(_text(f"{PAGE}_rule") or "").upper() or None,
            kind=state.get(f"{PAGE}_kind"),
        )
    except AuditRequestError as exc:
        field, _, problem = str(exc).partition(": ")
        state[FILTER_ERRORS] = {field: problem}
        return
    state[FILTER] = where
    state.pop(FILTER_ERRORS, None)


def current_filter() -> RecordFilter:
    where = st.session_state.get(FILTER)
    return where if isinstance(where, RecordFilter) else RecordFilter()


def _any(value: Any) -> str:
    return t("audit.any") if value is None else str(value)


def filters() -> None:
    problems: dict[str, str] = st.session_state.get(FILTER_ERRORS) or {}
    decisions = (
        kb().topics["credit_decision"].value_ids() if "credit_decision" in kb().topics else ()
    )
    with st.form(f"{PAGE}_filters"):
        cells = st.columns(4)
        cells[0].date_input(t("audit.from"), value=None, key=f"{PAGE}_from")
        cells[1].date_input(t("audit.to"), value=None, key=f"{PAGE}_to")
        cells[2].text_input(t("audit.actor"), key=f"{PAGE}_actor")
        cells[3].text_input(t("audit.customer"), key=f"{PAGE}_customer")
        cells = st.columns(4)
        cells[0].selectbox(
            t("audit.module"),
            [None, *MODULES],
            format_func=labeller([None, *MODULES], _any),
            key=f"{PAGE}_module",
        )
        cells[1].selectbox(
            t("audit.decision"),
            [None, *decisions],
            format_func=labeller(
                [None, *decisions],
                lambda v: (
                    _any(v) if v is None else topic_value_label("credit_decision", v, kb(), lang())
                ),
            ),
            key=f"{PAGE}_decision",
        )
        with cells[2]:
            st.text_input(t("audit.rule"), placeholder="CR-012", key=f"{PAGE}_rule")
            if "rule" in problems:
                st.error(plain(problems["rule"]), icon=":material/warning:")
        cells[3].selectbox(
            t("audit.kind"),
            [None, *KINDS],
            format_func=labeller(
                [None, *KINDS],
                lambda v: _any(v) if v is None else kb().text(f"audit.kind.{v}", lang()),
            ),
            key=f"{PAGE}_kind",
        )
        for field, problem in problems.items():
            if field != "rule":
                st.error(plain(f"{field}: {problem}"))
        st.form_submit_button(t("audit.search"), on_click=_apply_filter, type="primary")


def _row(record: AuditRecord) -> dict[str, Any]:
    return {
        t("audit.col.id"): record.id,
        t("audit.col.time"): record.created_at[:19].replace("T", " "),
        t("audit.col.kind"): kb().text(f"audit.kind.{record.kind}", lang()),
        t("audit.col.actor"): f"{record.actor} ({record.role})",
        t("audit.col.channel"): record.channel,
        t("audit.col.customer"): record.customer_id or "",
        t("audit.col.modules"): ", ".join(record.modules),
        t("audit.col.decision"): record.decision or "",
        t("audit.col.override"): ""
        if record.override is None
        else ("✔" if record.override else "—"),
        t("audit.col.ref"): "" if record.ref_id is None else record.ref_id,
        t("audit.col.version"): record.ruleset_version,
    }


def _label(record: AuditRecord) -> str:
    kind = kb().text(f"audit.kind.{record.kind}", lang())
    parts = [f"#{record.id}", kind, record.customer_id or "—", record.actor, record.decision or "—"]
    return " · ".join(parts)


def records_tab(audit: AuditStore) -> None:
    filters()
    found = audit.list_records(current_filter(), LIMIT)
    st.caption(t("audit.found", count=len(found), limit=LIMIT))
    if not found:
        st.info(t("audit.none"))
        return
    st.dataframe(pd.DataFrame([_row(r) for r in found]), hide_index=True, height=280)
    by_id = {r.id: r for r in found}
    chosen = st.selectbox(
        t("audit.open"),
        list(by_id),
        format_func=labeller(by_id, lambda i: _label(by_id[i])),
        key=f"{PAGE}_open",
    )
    if chosen is not None:
        detail(audit, int(chosen))


def _decision(value: Any) -> str:
    """A decision's label for a chart (Vega draws text as text)."""
    return "—" if value is None else topic_value_label("credit_decision", value, kb(), lang())


def integrity_tab(audit: AuditStore) -> None:
    st.caption(t("audit.verify_intro"))
    if st.button(t("audit.verify"), key=f"{PAGE}_verify", type="primary"):
        report = audit.verify()
        st.session_state[f"{PAGE}_verified"] = (report.ok, render_verify(report, kb(), lang()))
    found = st.session_state.get(f"{PAGE}_verified")
    if found:
        ok, text = found
        (st.success if ok else st.error)(plain(text))


def _bars(
    data: dict[str, Any], x: str, y: str, title: str, decisions: list[str] | None = None
) -> alt.Chart:
    """Horizontal bars; with ``decisions`` (each bar's credit decision label) coloured in the
    decisions' fixed colours."""
    frame = pd.DataFrame({x: list(data), y: list(data.values())})
    colour: dict[str, Any] = {}
    if decisions is not None:
        frame["label"] = decisions
        colour["color"] = topic_colour("credit_decision")
    chart: alt.Chart = (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{x}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=240)),
            x=alt.X(f"{y}:Q", title=t("audit.count"), axis=alt.Axis(tickMinStep=1)),
            tooltip=[x, y],
            **colour,
        )
        .properties(height=alt.Step(20))
    )
    return chart


def stats_tab(audit: AuditStore) -> None:
    figures = audit.stats(current_filter())
    st.caption(t("audit.stats_filtered"))
    cells = st.columns(2)
    cells[0].metric(t("audit.consultations"), figures["consultations"])
    cells[1].metric(t("audit.final_decisions"), figures["decisions"])
    firings = dict(list(figures["rule_firings"].items())[:30])
    if firings:
        st.altair_chart(_bars(firings, "rule", "firings", t("audit.rule_firings")), width="stretch")
    left, right = st.columns(2)
    decisions: dict[str, int] = {}
    labels: list[str] = []
    for kind, key in (
        ("recommended_label", "recommended_decisions"),
        ("final_label", "final_decisions"),
    ):
        for value, count in figures[key].items():
            decisions[f"{t(f'audit.{kind}')}{colon()}{_decision(value)}"] = count
            labels.append(_decision(value))
    if decisions:
        chart = _bars(decisions, "decision", "count", t("audit.decisions_chart"), labels)
        left.altair_chart(chart, width="stretch")
    managers = figures["overrides_by_manager"]
    if managers:
        frame = pd.DataFrame(managers)
        chart = (
            alt.Chart(frame, title=t("audit.override_rates"))
            .mark_bar()
            .encode(
                x=alt.X("manager:N", title=None),
                y=alt.Y(
                    "override_rate:Q", title=t("audit.override_rate"), axis=alt.Axis(format="%")
                ),
                tooltip=["manager", "decisions", "overrides", "override_rate"],
            )
        )
        right.altair_chart(chart, width="stretch")
        st.dataframe(frame, hide_index=True)
    else:
        right.caption(t("audit.no_overrides"))


def export_tab(audit: AuditStore) -> None:
    st.caption(t("audit.export_intro"))
    fmt = st.radio(t("audit.format"), FORMATS, horizontal=True, key=f"{PAGE}_format")
    if st.button(t("audit.prepare"), key=f"{PAGE}_prepare"):
        out = io.StringIO()
        count = audit.export(out, str(fmt), current_filter())
        st.session_state[f"{PAGE}_export"] = (str(fmt), count, out.getvalue().encode("utf-8"))
    prepared = st.session_state.get(f"{PAGE}_export")
    if prepared:
        kind, count, data = prepared
        st.download_button(
            t("audit.download", count=count, format=kind.upper()),
            data,
            file_name=f"audit-export.{kind}",
            mime="text/csv" if kind == "csv" else "application/json",
            key=f"{PAGE}_download",
        )


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.audit.title"))
    st.caption(t("page.audit.intro"))
    try:
        audit = shared_store()
    except AuditError as exc:
        st.error(t("audit.unavailable", problem=plain(exc)))
        return
    records, integrity, stats, export = st.tabs(
        [
            t("audit.tab.records"),
            t("audit.tab.integrity"),
            t("audit.tab.stats"),
            t("audit.tab.export"),
        ]
    )
    with records:
        records_tab(audit)
    with integrity:
        integrity_tab(audit)
    with stats:
        stats_tab(audit)
    with export:
        export_tab(audit)


if __name__ == "__main__":
    render()
