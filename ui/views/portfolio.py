"""Portfolio (manager): a CSV of customers through the batch engine, with a progress bar, the
results table, charts of grades, risk and decisions, and downloads of the results and of the
rows that failed validation with their errors (the good rows are processed all the same).

The results table and its first download show labels, not ids (``ui.batch_labels``); the
engine's results file, with ids, and the errors file are offered too. Every downloaded cell is
neutralised against formula injection (``engine.csv_safe``); the tables on the page show the
cells restored, as text."""

from __future__ import annotations

import io
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from engine.batch import input_columns
from engine.csv_safe import restore_cell
from engine.labels import topic_value_label
from engine.users import User
from ui import auth, batch, batch_labels
from ui.batch import BatchRun
from ui.colours import topic_colour
from ui.i18n import kb, lang, t, upload_key

PAGE = "portfolio"
RESULT = f"{PAGE}_result"
# Output columns charted: each is a topic, so its values have labels. (No bare strings at the
# top level of a page script: Streamlit's "magic" would show them on the page.)
CHARTS = ("service_tier", "value_tier", "risk_level", "credit_decision")


def run(name: str, data: bytes, user: User) -> BatchRun:
    """Run the uploaded file, driving a progress bar."""
    bar = st.progress(0.0, text=t("portfolio.starting"))

    def progress(done: int, rows: int) -> None:
        share = min(1.0, done / rows) if rows else 1.0
        bar.progress(share, text=t("portfolio.progress", done=done, total=rows))

    found = batch.run_file(name, data, user, lang(), progress)
    bar.progress(1.0, text=t("portfolio.progress", done=found.rows, total=found.rows))
    return found


def _frame(data: bytes) -> pd.DataFrame:
    """A downloadable CSV as the table shown: its cells as the engine gave them, without the
    apostrophe that keeps a formula-like cell inert in a spreadsheet (the page shows text)."""
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    return frame.map(restore_cell)


def _chart(frame: pd.DataFrame, topic: str) -> alt.Chart | None:
    if topic not in frame or "status" not in frame:
        return None
    values = frame.loc[(frame["status"] == "ok") & (frame[topic] != ""), topic]
    if values.empty:
        return None
    knowledge, chosen = kb(), lang()
    counts = values.value_counts().rename_axis("value").reset_index(name="count")
    counts["label"] = [topic_value_label(topic, v, knowledge, chosen) for v in counts["value"]]
    title = knowledge.topics[topic].label.get(chosen) if topic in knowledge.topics else topic
    chart: alt.Chart = (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=240)),
            x=alt.X("count:Q", title=t("portfolio.count"), axis=alt.Axis(tickMinStep=1)),
            color=topic_colour(topic),  # fixed per value, whatever the language
            tooltip=["label", "count"],
        )
        .properties(height=alt.Step(28))
    )
    return chart


def show(result: BatchRun) -> None:
    st.success(
        t(
            "portfolio.done",
            rows=result.rows,
            ok=result.ok,
            failed=result.failed,
            seconds=f"{result.seconds:.1f}",
        )
    )
    results, errors = _frame(result.results), _frame(result.errors)
    shown = batch_labels.labelled(results, kb(), lang())
    stem = Path(result.name).stem
    cells = st.columns(3)
    cells[0].download_button(
        t("portfolio.download_results"),
        batch_labels.labelled_csv(shown),
        file_name=f"{stem}-results-{lang()}.csv",
        mime="text/csv",
        key=f"{PAGE}_download_results",
    )
    cells[1].download_button(
        t("portfolio.download_results_ids"),
        result.results,
        file_name=f"{stem}-results.csv",
        mime="text/csv",
        key=f"{PAGE}_download_results_ids",
    )
    cells[2].download_button(
        t("portfolio.download_errors"),
        result.errors,
        file_name=f"{stem}-errors.csv",
        mime="text/csv",
        key=f"{PAGE}_download_errors",
        disabled=errors.empty,
    )
    st.subheader(t("portfolio.charts"))
    charts = [c for c in (_chart(results, topic) for topic in CHARTS) if c is not None]
    columns = st.columns(2)
    for index, chart in enumerate(charts):
        columns[index % 2].altair_chart(chart, width="stretch")
    st.subheader(t("portfolio.results"))
    st.dataframe(shown, hide_index=True, height=360)
    st.subheader(t("portfolio.errors", count=len(errors)))
    if errors.empty:
        st.caption(t("portfolio.no_errors"))
    else:
        st.dataframe(errors, hide_index=True)


def render() -> None:
    user = auth.require(PAGE)
    st.title(t("page.portfolio.title"))
    st.caption(t("page.portfolio.intro"))
    with st.expander(t("portfolio.format")):
        st.markdown(t("portfolio.format_text"))
        st.code(",".join(input_columns()), language=None, wrap_lines=True)
        st.download_button(
            t("portfolio.template"),
            batch.template_csv(),
            file_name="portfolio-template.csv",
            mime="text/csv",
        )
    upload = st.file_uploader(t("portfolio.upload"), type=["csv"], key=upload_key(f"{PAGE}_upload"))
    if upload is not None and st.button(t("portfolio.run"), type="primary", key=f"{PAGE}_run"):
        st.session_state[RESULT] = run(upload.name, upload.getvalue(), user)
    found = st.session_state.get(RESULT)
    if isinstance(found, BatchRun):
        show(found)


if __name__ == "__main__":
    render()
