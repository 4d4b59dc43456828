"""Simulating the chosen draft on the Policy page: an uploaded customer book through the live
policy (the champion, ``engine.policy.live.live_change``) and the draft (the challenger,
``engine.policy.drafts.load_change``) by ``engine.policy.simulate``, with a progress bar.

The upload is written to a temporary folder the engine reads (removed afterwards, whatever
happens); the report is kept in the session with the request it answers (the draft as it was,
the live publication, the file), so a page visit or a language switch shows it again without
running it, and a changed draft or live policy never shows a stale one. The project ships no
demo book: the page asks for an upload in the batch's format (the template is offered).

Figures are drawn from the report: headline metrics, the charts (``ui.policy_charts``), the
sample of changed rows with both policies' principal reasons, and the whole report in the
words of ``sales-expert policy simulate`` (``engine.policy.simulate_text``).
"""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from engine.audit.config import load_settings
from engine.backtest.module_text import money, pct
from engine.batch.table import count_rows
from engine.errors import InputError, SalesExpertError, excerpt
from engine.policy.drafts import load_change
from engine.policy.live import LivePolicy, live_change
from engine.policy.model import Draft
from engine.policy.simulate import simulate
from engine.policy.simulate_text import answer, render, topic_label
from ui.batch import template_csv
from ui.i18n import kb, lang, upload_key
from ui.inert import plain
from ui.policy import key, pt
from ui.policy_charts import approval_chart, decision_chart, heat_map, limit_chart, policy_name

RESULT = key("simulation")
BOOK = upload_key(key("book"))
PROGRESS_STEPS = 50
READ_FAILURES = (ValueError, OSError, csv.Error, pa.ArrowException)
Request = tuple[str, int, int, str]
"""(draft, its last change, the live publication's id or 0, the upload's id)."""
Report = dict[str, Any]


@dataclass(frozen=True)
class Simulation:
    request: Request
    book: str
    """The upload's name (the report's ``book`` is the temporary file's path)."""
    report: Report | None
    problems: tuple[str, ...] = ()
    errors: bytes = b""


def _problems(exc: SalesExpertError, path: Path, name: str) -> tuple[str, ...]:
    """The engine's refusal as lines, the temporary path replaced by the upload's name."""
    if not isinstance(exc, InputError):
        return (str(exc).replace(str(path), name),)
    lines = [str(p).replace(str(path), name) for p in exc.problems]
    if exc.total > len(exc.problems):
        lines.append(pt("sim.more_problems", count=exc.total - len(exc.problems)))
    return tuple(lines)


def run(request: Request, name: str, data: bytes) -> Simulation:
    """The simulation of the upload, a progress bar moving as the rows are compared."""
    bar = st.progress(0.0, text=pt("sim.starting"))

    def progress(done: int, total: int) -> None:
        share = min(1.0, done / total) if total else 1.0
        bar.progress(share, text=pt("sim.progress", done=f"{done:,}", total=f"{total:,}"))

    url = load_settings().database_url
    with tempfile.TemporaryDirectory(prefix="sales-expert-ui-") as folder:
        book, errors = Path(folder) / "book.csv", Path(folder) / "errors.csv"
        book.write_bytes(data)
        try:
            chunk = max(1, min(200, count_rows(book) // PROGRESS_STEPS))
            report = simulate(
                book,
                load_change(request[0], lang(), url),
                lang=lang(),
                on_progress=progress,
                errors=errors,
                chunk_rows=chunk,
                champion_change=live_change(url),
            )
        except SalesExpertError as exc:
            bar.empty()
            return Simulation(request, name, None, _problems(exc, book, name))
        except READ_FAILURES as exc:
            bar.empty()
            shown = excerpt(str(exc).replace(str(book), name), 300)
            return Simulation(request, name, None, (pt("sim.unreadable", problem=shown),))
        kept = errors.read_bytes() if errors.exists() else b""
    rows = f"{report['rows_in']:,}"
    bar.progress(1.0, text=pt("sim.progress", done=rows, total=rows))
    return Simulation(request, name, report | {"book": name, "errors_file": None}, (), kept)


def section(draft: Draft, live: LivePolicy) -> None:
    """The upload, the button, and the last simulation of this draft on this upload."""
    st.caption(pt("sim.intro"))
    with st.expander(pt("sim.format")):
        st.markdown(pt("sim.format_text"))
        st.download_button(
            pt("sim.template"),
            template_csv(),
            file_name="book-template.csv",
            mime="text/csv",
            key=key("template"),
        )
    upload = st.file_uploader(pt("sim.upload"), type=["csv"], key=BOOK)
    if upload is None:
        st.caption(pt("sim.waiting"))
        return
    marker = live.publication.id if live.publication else 0
    request: Request = (draft.name, draft.last_seq, marker, upload.file_id)
    label = pt("sim.run", name=draft.name)
    if st.button(label, key=key("simulate", draft.name), type="primary"):
        st.session_state[RESULT] = run(request, upload.name, upload.getvalue())
    found = st.session_state.get(RESULT)
    if isinstance(found, Simulation) and found.request == request:
        show(found, draft.name)


def show(found: Simulation, draft: str) -> None:
    for problem in found.problems:
        st.error(plain(problem), icon=":material/warning:")
    report = found.report
    if report is None:
        return
    headline(report, found.book, draft)
    charts(report, draft)
    sample(report, draft)
    if found.errors and report["failed"]:
        st.download_button(
            pt("sim.download_errors", count=f"{report['failed']:,}"),
            found.errors,
            file_name=f"{Path(found.book).stem}-errors.csv",
            mime="text/csv",
            key=key("errors", draft),
        )
    with st.expander(pt("sim.report")):
        st.code(render(report, lang()), language=None, wrap_lines=True)


def _delta(before: float | None, after: float | None, points: bool) -> str | None:
    if before is None or after is None:
        return None
    if points:
        return pt("sim.points", delta=f"{100 * (after - before):+.1f}")
    return f"{after - before:+,.0f}"


def headline(report: Report, book: str, draft: str) -> None:
    """Rows compared and changed; approval rate and total limit, live → draft."""
    chosen = lang()
    rows = {"rows": f"{report['rows_in']:,}", "ok": f"{report['ok']:,}"}
    st.success(pt("sim.done", book=plain(book), failed=f"{report['failed']:,}", **rows))
    policies = report["policies"]
    live, new = policies["champion"], policies["challenger"]
    share = report["changed_share"]
    cells = st.columns(3)
    cells[0].metric(
        pt("sim.changed"),
        f"{report['changed_rows']:,}",
        pt("sim.share", share=_rate(share)),
        delta_color="off",
        delta_arrow="off",
    )
    cells[1].metric(
        pt("sim.approval_of", name=draft),
        _rate(new["approval_rate"]),
        _delta(live["approval_rate"], new["approval_rate"], True),
        help=pt("sim.before", value=_rate(live["approval_rate"])),
    )
    limits = (live["total_recommended_limit"], new["total_recommended_limit"])
    cells[2].metric(
        pt("sim.total_limit_of", name=draft),
        money(limits[1], chosen),
        _delta(limits[0], limits[1], False),
        help=pt("sim.before", value=money(limits[0], chosen)),
    )


def _rate(value: float | None) -> str:
    return pct(value, lang())


def charts(report: Report, draft: str) -> None:
    """Approval rate and total limit side by side; the credit decisions under each policy;
    then a heat map per topic that either policy concludes."""
    cells = st.columns(2)
    cells[0].altair_chart(approval_chart(report, draft), width="stretch")
    cells[1].altair_chart(limit_chart(report, draft), width="stretch")
    topics = [f for f in report["topics"] if f["kind"] != "number" and f["concluded"]]
    decisions = next((f for f in topics if f["topic"] == "credit_decision"), None)
    if decisions is not None:
        st.altair_chart(decision_chart(decisions, draft), width="stretch")
    st.markdown(f"**{pt('sim.migrations')}**")
    st.caption(pt("sim.migrations_help"))
    cells = st.columns(2)
    for index, figures in enumerate(topics):
        cells[index % 2].altair_chart(heat_map(figures, draft), width="stretch")


def _reasons(reasons: list[dict[str, str]]) -> str:
    texts = [r["text"] for r in reasons]
    return " | ".join(texts) if texts else kb().text("policy_simulate.no_reasons", lang())


def sample(report: Report, draft: str) -> None:
    """The first changed rows: what changed, and both policies' principal reasons."""
    rows = report["sample"]
    if not rows:
        st.caption(pt("sim.no_sample"))
        return
    changed = f"{report['changed_rows']:,}"
    st.markdown(f"**{pt('sim.sample', shown=len(rows), changed=changed)}**")
    separator = "；" if lang() == "zh" else "; "
    table = [
        {
            pt("col.row"): row["row"],
            pt("col.customer"): row["customer_id"],
            pt("col.what_changed"): separator.join(_change(c) for c in row["changes"]),
            policy_name("champion", draft): _reasons(row["reasons"]["champion"]),
            policy_name("challenger", draft): _reasons(row["reasons"]["challenger"]),
        }
        for row in rows
    ]
    st.dataframe(pd.DataFrame(table), hide_index=True)


def _change(change: dict[str, Any]) -> str:
    topic, chosen = change["topic"], lang()
    before, after = (answer(topic, change[p], chosen) for p in ("champion", "challenger"))
    label = topic_label(topic, kb(), chosen)
    values = {"topic": label, "before": before, "after": after}
    return kb().text("policy_simulate.sample_change", chosen, **values)


__all__ = ["RESULT", "Simulation", "run", "section", "show"]
