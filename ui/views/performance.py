"""Performance (manager, auditor, admin): the back-test of the product's advice against what
really happened, with charts, downloadable (issue 20).

Two sources: the consultations recorded in the audit database and the outcomes recorded on
them (filtered by period, channel and rule-base version), or a batch results file and an
outcomes file uploaded here. The page gathers the request, asks the engine
(``ui.performance``) and draws what it returns (``ui.performance_tables``,
``ui.performance_charts``); typed and stored text (file names, database addresses, the
engine's messages) is shown as text (``ui.inert``)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.audit.records import CHANNELS
from engine.backtest.store import Selection, recorded_versions
from ui import auth, forms
from ui import performance as perf
from ui.i18n import labeller, lang, t
from ui.inert import plain
from ui.performance import Costs, Measured, pt
from ui.performance_show import channel_label, show


def keep() -> None:
    """Keep the source, filters and costs while the page or their source is not shown
    (``forms.keep_values`` re-sets the registered keys at every run)."""
    keys: set[str] = st.session_state.setdefault(forms.KEYS, set())
    keys.update(perf.KEPT)


def module_choice(key: str, options: list[str]) -> str:
    """The module radio of a source: the modules that source measures."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    chosen = st.radio(
        pt("module"),
        options,
        format_func=labeller(options, lambda m: t(f"module.{m}")),
        key=key,
        horizontal=True,
    )
    return str(chosen)


def _day(value: object) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def store_filters(versions: list[str]) -> Selection | None:
    """Period, channel and rule-base version; None (and the problem shown) for a period that
    ends before it starts."""
    cells = st.columns(4)
    since = _day(cells[0].date_input(pt("filter.from"), value=None, key=perf.SINCE))
    until = _day(cells[1].date_input(pt("filter.to"), value=None, key=perf.UNTIL))
    channels: list[str | None] = [None, *CHANNELS]
    channel = cells[2].selectbox(
        pt("filter.channel"),
        channels,
        format_func=labeller(channels, channel_label),
        key=perf.CHANNEL,
    )
    known: list[str | None] = [None, *versions]
    if st.session_state.get(perf.VERSION) not in known:
        st.session_state[perf.VERSION] = None
    version = cells[3].selectbox(
        pt("filter.version"),
        known,
        format_func=labeller(known, lambda v: pt("filter.any") if v is None else str(v)),
        key=perf.VERSION,
    )
    if since is not None and until is not None and since > until:
        st.error(pt("filter.reversed"))
        return None
    return Selection(since, until, channel, version)


def chosen_costs(module: str) -> Costs:
    """The two costs of the cut-off table (credit only), as last entered: their inputs are
    drawn beside the table (``performance_show.costs``); changing one measures again."""
    if module not in perf.COSTED:
        return perf.DEFAULT_COSTS
    st.session_state.setdefault(perf.COST_BAD, perf.DEFAULT_COSTS[0])
    st.session_state.setdefault(perf.COST_GOOD, perf.DEFAULT_COSTS[1])
    return float(st.session_state[perf.COST_BAD]), float(st.session_state[perf.COST_GOOD])


def from_store() -> Measured | None:
    """The recorded consultations: the database opened, the request gathered and measured
    (again only when the request or the database changed)."""
    try:
        audit = shared_store()
        versions = recorded_versions(audit)
        records = audit.count()
    except AuditError as exc:
        st.error(pt("unavailable", problem=plain(exc)))
        return None
    module = module_choice(perf.STORE_MODULE, list(perf.STORE_MODULES))
    selection = store_filters(versions)
    costs = chosen_costs(module)
    if selection is None:
        return None
    key = ("store", module, audit.display_url, records, selection, costs)
    return perf.remembered(key, lambda: perf.measure_store(module, audit, selection, costs))


def from_files() -> Measured | None:
    """A results file and an outcomes file: both uploaded, within the size limit, measured."""
    module = module_choice(perf.FILE_MODULE, list(perf.FILE_MODULES))
    cells = st.columns(2)
    types = list(perf.FILE_TYPES)
    results = cells[0].file_uploader(
        pt("files.results"), type=types, help=pt("files.results_help"), key=perf.RESULTS_FILE
    )
    outcomes = cells[1].file_uploader(
        pt("files.outcomes"), type=types, help=pt("files.outcomes_help"), key=perf.OUTCOMES_FILE
    )
    costs = chosen_costs(module)
    if results is None or outcomes is None:
        st.info(pt("files.waiting"))
        return None
    limit = perf.upload_limit()
    large = [f.name for f in (results, outcomes) if f.size > limit]
    if large:
        shown = plain(pt("separator").join(large))
        st.error(pt("files.too_large", names=shown, limit=f"{limit / 1_000_000:,.0f}"))
        return None
    key = ("files", module, results.file_id, outcomes.file_id, costs, lang())
    return perf.remembered(
        key,
        lambda: perf.measure_files(
            module,
            perf.Upload(results.name, results.getvalue()),
            perf.Upload(outcomes.name, outcomes.getvalue()),
            costs,
        ),
    )


def render() -> None:
    auth.require(perf.PAGE)
    st.title(t("page.performance.title"))
    st.caption(t("page.performance.intro"))
    keep()
    source = st.radio(
        pt("source.label"),
        perf.SOURCES,
        format_func=labeller(perf.SOURCES, lambda s: pt(f"source.{s}")),
        key=perf.SOURCE,
        horizontal=True,
    )
    measured = from_store() if source == "store" else from_files()
    if measured is not None:
        show(measured)


if __name__ == "__main__":
    render()
