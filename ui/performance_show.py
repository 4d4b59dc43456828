"""Drawing one back-test on the Performance page: headline metrics, the small-group warning,
a chart and a table per group, for credit the ROC and capture curves, the cost of each cut-off
and rule coverage, then what was left out and the downloads.

Every figure is the engine's (``engine.backtest``), formatted as the CLI formats it
(``engine.backtest.module_text``: percentages, three-decimal AUCs, yuan); a figure that could
not be computed reads "not available", never Python's ``None``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from engine.backtest.module_text import days, money, num, pct
from ui.i18n import kb, lang
from ui.inert import plain
from ui.performance import COST_BAD, COST_GOOD, PAGE, Figures, Measured, pt
from ui.performance_charts import curve_chart, group_chart, group_frame
from ui.performance_tables import (
    COVERED_MODULE,
    TOP_RULES,
    Table,
    coverage_table,
    csv_bytes,
    json_bytes,
    present,
    tables,
)

Metric = tuple[str, str]
"""(label, value) of a headline metric."""
METRICS_PER_ROW = 3


def _interval(figures: Figures) -> str:
    low, high = figures.get("auc_ci") or (None, None)
    if low is None or high is None:
        return num(None, lang())
    return f"{num(low, lang())}–{num(high, lang())}"


def _credit(figures: Figures) -> list[Metric]:
    chosen = lang()
    return [
        (pt("credit.n"), f"{figures['n']:,}"),
        (pt("credit.rate"), pct(figures["bad_rate"], chosen)),
        (pt("metric.auc"), num(figures["auc"], chosen)),
        (pt("metric.auc_ci"), _interval(figures)),
        (pt("metric.gini"), num(figures["gini"], chosen)),
        (pt("metric.ks"), num(figures["ks"], chosen)),
    ]


def _grading(figures: Figures) -> list[Metric]:
    chosen = lang()
    return [
        (pt("grading.n"), f"{figures['n']:,}"),
        (pt("grading.rate"), pct(figures["repeat_rate"], chosen)),
        (pt("metric.auc"), num(figures["auc"], chosen)),
        (pt("metric.auc_ci"), _interval(figures)),
        (pt("metric.gini"), num(figures["gini"], chosen)),
        (pt("metric.revenue"), money(figures["revenue"], chosen)),
    ]


def _collection(figures: Figures) -> list[Metric]:
    chosen = lang()
    return [
        (pt("collection.n"), f"{figures['n']:,}"),
        (pt("collection.rate"), pct(figures["recovered_share"], chosen)),
        (pt("column.recovery_rate"), pct(figures["recovery_rate"], chosen)),
        (pt("column.mean_days_to_recover"), days(figures["mean_days_to_recover"], chosen)),
        (pt("column.legal"), f"{figures['legal']:,}"),
        (pt("column.written_off"), f"{figures['written_off']:,}"),
    ]


def _closing(figures: Figures) -> list[Metric]:
    chosen = lang()
    return [
        (pt("closing.n"), f"{figures['n']:,}"),
        (pt("closing.rate"), pct(figures["win_rate"], chosen)),
        (pt("metric.won_value"), money(figures["won_value"], chosen)),
    ]


HEADLINES: dict[str, Callable[[Figures], list[Metric]]] = {
    "credit": _credit,
    "grading": _grading,
    "collection": _collection,
    "closing": _closing,
}


def _notes(figures: Figures) -> list[str]:
    """What the headline measures, in a sentence or two."""
    module, chosen = figures["module"], lang()
    if module == "credit":
        score = kb().text(f"backtest.score.{figures['score']}", chosen)
        days_late = figures["bad_definition"]["paid_late_over_days"]
        return [
            pt("credit.ranked", score=score),
            kb().text("backtest.definition", chosen, days=days_late),
        ]
    if module == "grading":
        return [kb().text("backtest_modules.grading.definition", chosen)]
    if module == "collection" and figures.get("overdue_column") is None:
        return [pt("collection.no_overdue")]
    return []


def headline(figures: Figures) -> None:
    """The module's headline metrics, three a row (an interval needs the width)."""
    metrics = HEADLINES[figures["module"]](figures)
    for start in range(0, len(metrics), METRICS_PER_ROW):
        row = metrics[start : start + METRICS_PER_ROW]
        for cell, (label, value) in zip(st.columns(METRICS_PER_ROW), row, strict=False):
            cell.metric(label, value)
    for note in _notes(figures):
        st.caption(note)


def small_warning(figures: Figures) -> None:
    """One line naming every group too small to read, and one for a book that small."""
    module, limit = figures["module"], figures.get("small_group", 30)
    if figures["n"] < limit:
        st.warning(pt("small_book", n=figures["n"], limit=limit))
    small = []
    for group in present(module, figures):
        frame = group_frame(group, figures)
        small += [f"{r.label} ({r.n})" for r in frame.itertuples() if r.small and r.n]
    if small:
        st.warning(pt("small_groups", limit=limit, groups=pt("separator").join(small)))


def _config(table: Table) -> dict[str, Any]:
    formats = {"percent": "percent", "money": "localized", "days": "%.1f", "number": "localized"}
    return {
        column: st.column_config.NumberColumn(format=formats[kind])
        for column, kind in table.formats.items()
        if kind in formats
    }


def draw_table(table: Table) -> None:
    """A table, its highlighted rows (the cheapest cut-off) marked by colour as well."""
    data = table.frame
    if table.highlight:
        marked = set(table.highlight)
        styled = data.style.apply(
            lambda row: ["background-color: #e3f2e5; font-weight: 600" if row.name in marked
                         else "" for _ in row],
            axis=1,
        )  # fmt: skip
        st.dataframe(styled, hide_index=True, column_config=_config(table))
    else:
        st.dataframe(data, hide_index=True, column_config=_config(table))


def groups(figures: Figures, found: list[Table]) -> None:
    """A chart per group, two side by side, then each group's table across the page (its
    columns need the width)."""
    module = figures["module"]
    by_name = {table.name: table for table in found}
    shown = present(module, figures)
    for start in range(0, len(shown), 2):
        pair = shown[start : start + 2]
        for cell, group in zip(st.columns(2), pair, strict=False):
            cell.altair_chart(group_chart(module, group, figures), width="stretch")
        for group in pair:
            titled(by_name[group.key])


def titled(table: Table) -> None:
    """A table under its title (the group's chart above carries the same title)."""
    st.markdown(f"**{table.title}**")
    draw_table(table)


def curves(figures: Figures) -> None:
    st.subheader(pt("curve.heading"))
    cells = st.columns(2)
    for cell, name in zip(cells, ("roc", "capture"), strict=True):
        chart = curve_chart(name, figures["curves"][name])
        if chart is None:
            cell.caption(pt("curve.none", title=pt(f"curve.{name}.title")))
        else:
            cell.altair_chart(chart, width="stretch")
    st.caption(pt("curve.note"))


def cost_inputs() -> None:
    """The two costs, keyed: the page reads them before measuring (``chosen_costs``)."""
    cells = st.columns(2)
    for cell, key, label in (
        (cells[0], COST_BAD, "cost.input_bad"),
        (cells[1], COST_GOOD, "cost.input_good"),
    ):
        cell.number_input(pt(label), min_value=0.0, step=0.5, help=pt("cost.input_help"), key=key)


def costs(figures: Figures, found: list[Table]) -> None:
    cost = figures["cost"]
    st.subheader(pt("cost.heading"))
    cost_inputs()
    st.caption(
        pt(
            "cost.note",
            cost_bad=f"{cost['cost_bad']:g}",
            cost_good=f"{cost['cost_good_rejected']:g}",
        )
    )
    for name in ("cost_by_decision", "cost_by_risk_level"):
        titled(next(t for t in found if t.name == name))


def coverage(figures: Figures, found: list[Table]) -> None:
    st.subheader(pt("rules.heading"))
    fired = coverage_table(figures)
    if fired is None:
        st.caption(kb().text("backtest.coverage.unknown", lang()))
        return
    credit = [r for r in figures["rules"] if r["module"] == COVERED_MODULE]
    st.caption(pt("rules.shown", shown=min(TOP_RULES, len(credit)), count=len(credit)))
    draw_table(fired)
    never = next(t for t in found if t.name == "never_fired")
    st.markdown(f"**{never.title}**")
    if never.frame.empty:
        st.caption(kb().text("backtest.coverage.all_fired", lang()))
    else:
        draw_table(never)


def downloads(figures: Figures, found: list[Table]) -> None:
    module = figures["module"]
    st.subheader(pt("download.heading"))
    cells = st.columns(3)
    cells[0].download_button(
        pt("download.json"),
        json_bytes(figures),
        file_name=f"backtest-{module}.json",
        mime="application/json",
        on_click="ignore",
        key=f"{PAGE}_download_json",
    )
    for index, table in enumerate(found, 1):
        cells[index % 3].download_button(
            pt("download.csv", title=table.title),
            csv_bytes(table),
            file_name=f"backtest-{module}-{table.name.replace('_', '-')}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{PAGE}_download_{table.name}",
        )


def channel_label(channel: str | None) -> str:
    """A channel by its label ("any" for no channel chosen)."""
    return pt("filter.any") if channel is None else kb().text(f"memo.channel.{channel}", lang())


def source_line(figures: Figures) -> str:
    """Which consultations or files the figures measure."""
    source = figures.get("source") or {}
    if source.get("mode") == "store":
        values = {
            "database": plain(source.get("database", "")),
            "since": source.get("from") or pt("filter.first"),
            "until": source.get("to") or pt("filter.today"),
            "channel": channel_label(source.get("channel")),
            "version": plain(source.get("version") or pt("filter.any")),
        }
        return pt("source_store", **values)
    return pt(
        "source_files",
        results=plain(source.get("book", "")),
        outcomes=plain(source.get("outcomes", "")),
    )


def show(measured: Measured) -> None:
    """The back-test, or why there is none."""
    for problem in measured.problems:
        st.error(problem)
    figures = measured.figures
    if figures is None:
        return
    st.caption(source_line(figures))
    found = tables(figures)
    if not figures["n"]:
        mode = (figures.get("source") or {}).get("mode")
        st.info(pt("empty.store" if mode == "store" else "empty.files"))
    else:
        headline(figures)
        small_warning(figures)
        groups(figures, found)
        if figures["module"] == "credit":
            curves(figures)
            costs(figures, found)
            coverage(figures, found)
    st.subheader(pt("count.title"))
    draw_table(next(t for t in found if t.name == "counts"))
    downloads(figures, found)


__all__ = ["channel_label", "show"]
