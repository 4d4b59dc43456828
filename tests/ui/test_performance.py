"""The Performance page (issue 20) in AppTest: the roles that open it, the back-test of the
recorded consultations shown exactly as ``backtest_store`` computes it (metrics, group tables,
costs, rule coverage, counts) under the filters and costs chosen, the back-test of uploaded
files for every module, bad files told as problems (never a traceback), the empty store's
message, and the language switch keeping what was chosen."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import ui.performance as perf
from benchmarks.cases import generate_cases
from engine.audit.records import RecordFilter
from engine.audit.store import AuditStore
from engine.backtest import closing, collection, credit, grading
from engine.backtest.module_text import days, money, num, pct
from engine.backtest.store import Selection, backtest_store
from engine.backtest.store_modules import backtest_store_module
from engine.batch import BatchOptions, run_batch
from engine.batch.mapping import case_to_row
from engine.outcomes.model import COLUMNS, Outcome
from engine.outcomes.records import Who
from engine.result import Result
from engine.shared import default_engine
from knowledge_base import load_knowledge
from knowledge_base.facts import Case
from tests.books import generate_book
from tests.ui.conftest import audit_store, open_page, signed_in, texts, view
from ui.colours import ramp
from ui.inert import plain
from ui.navigation import allowed
from ui.performance_tables import Table, csv_bytes

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")
PAGE = "performance"
BOOK_ROWS, BOOK_SEED = 120, 5
MANAGER = Who("mona", "manager", "cli")
FILE_ROWS, FILE_SEED = 80, 12
MODULES = ("credit", "grading", "collection", "closing")


def text(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"performance.{key}", lang, **values)


def label(topic: str, value: str, lang: str = "en") -> str:
    found = KB.value_labels.get((topic, value))
    return found.get(lang) if found else value


# -- a store with consultations and outcomes ---------------------------------------------------


@functools.cache
def consulted() -> tuple[tuple[Result, Case, bool], ...]:
    """A generated credit book through the shipped engine, with each customer's truth."""
    engine = default_engine()
    return tuple(
        (engine.consult(row.case, what_if=False), Case.model_validate(row.case), row.bad)
        for row in generate_book(BOOK_ROWS, seed=BOOK_SEED)
    )


def seeded(outcomes: bool = True) -> AuditStore:
    """The app's audit store with the book recorded (the even rows as a batch, the odd ones
    through the API) and, with ``outcomes``, an outcome on every credit consultation but each
    seventh."""
    store = audit_store()
    book = consulted()
    compiled = default_engine().compiled
    stored: list[tuple[int, dict[str, Any]]] = []
    for start, channel in ((0, "batch"), (1, "api")):
        picked = list(range(start, len(book), 2))
        pairs = [(book[i][0], book[i][1]) for i in picked]
        rows = store.record_consultations(pairs, compiled, "rita", "rep", channel)
        stored += zip(picked, rows, strict=True)
    if outcomes:
        today = dt.date.today().isoformat()
        told = [
            Outcome.model_validate(
                {"consultation_id": row["id"], "module": "credit", "observed_at": today}
                | ({"outcome": "defaulted"} if book[index][2] else {"outcome": "paid_on_time"})
            )
            for index, row in stored
            if book[index][0].value("credit_decision") is not None and index % 7 != 6
        ]
        store.record_outcomes(told, MANAGER)
    return store


def opened(role: str = "manager", lang: str | None = None) -> AppTest:
    at = open_page(signed_in(role, lang), PAGE)
    assert not at.exception, at.exception
    return at


def metric_values(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.metric]


def credit_metrics(figures: dict[str, Any], lang: str = "en") -> list[str]:
    low, high = figures["auc_ci"] or (None, None)
    interval = num(None, lang) if low is None else f"{num(low, lang)}–{num(high, lang)}"
    return [
        f"{figures['n']:,}",
        pct(figures["bad_rate"], lang),
        num(figures["auc"], lang),
        interval,
        num(figures["gini"], lang),
        num(figures["ks"], lang),
    ]


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def column(frame: pd.DataFrame, key: str, lang: str = "en") -> list[Any]:
    """A column of a shown table by its text key, None for an empty cell."""
    return [None if isinstance(v, float) and math.isnan(v) else v for v in frame[text(key, lang)]]


def check_credit(at: AppTest, figures: dict[str, Any]) -> None:
    """Everything the page shows of a credit back-test equals the engine's figures."""
    assert not at.exception, at.exception
    assert metric_values(at) == credit_metrics(figures)
    shown = frames(at)
    for frame, key, topic in (
        (shown[0], "by_decision", "credit_decision"),
        (shown[1], "by_risk_level", "risk_level"),
    ):
        rows = figures[key]
        name = key.removeprefix("by_")
        assert list(frame.iloc[:, 0]) == [label(topic, r[name]) for r in rows]
        assert column(frame, "credit.n") == [r["n"] for r in rows]
        assert column(frame, "credit.event") == [r["bad"] for r in rows]
        assert column(frame, "credit.rate") == [r["bad_rate"] for r in rows]
        assert column(frame, "column.ci_low") == [(r["ci"] or [None])[0] for r in rows]
    for frame, key in ((shown[2], "by_decision"), (shown[3], "by_risk_level")):
        cuts = figures["cost"][key]
        assert column(frame, "cost.cost") == [c["cost"] for c in cuts]
        assert column(frame, "cost.accepted_bad") == [c["accepted_bad"] for c in cuts]
        best = min(c["cost"] for c in cuts)
        marks = column(frame, "cost.lowest")
        assert marks == [text("cost.lowest_mark") if c["cost"] == best else "" for c in cuts]
    fired = [r for r in figures["rules"] if r["module"] == "credit"][:20]
    assert column(shown[4], "rules.rule") == [r["rule"] for r in fired]
    assert column(shown[4], "rules.cases") == [r["fired"] for r in fired]
    assert column(shown[4], "credit.rate") == [r["bad_rate"] for r in fired]
    titles = column(shown[4], "rules.title")
    assert titles[0] == default_engine().compiled.rules[fired[0]["rule"]].title.en
    assert column(shown[5], "rules.rule") == figures["never_fired"]


def counts(at: AppTest) -> dict[str, int]:
    frame = frames(at)[-1]
    return dict(zip(column(frame, "count.what"), column(frame, "count.count"), strict=True))


# -- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "auditor", "admin"])
def test_each_allowed_role_opens_it(role: str) -> None:
    at = opened(role)
    assert texts(at, "title") == [KB.text("ui.page.performance.title")]
    assert at.radio(key="performance_source").value == "store"
    assert texts(at, "info") == [text("empty.store")]  # nothing recorded yet


def test_a_rep_cannot_open_it() -> None:
    at = signed_in("rep")
    with pytest.raises(ValueError):
        at.switch_page("ui/views/performance.py")
    alone = view("ui/views/performance.py", "rep").run()
    assert texts(alone, "error") == [KB.text("ui.auth.refused")]
    assert not alone.metric


# -- recorded consultations ----------------------------------------------------------------------


def test_store_mode_shows_the_figures_of_backtest_store() -> None:
    store = seeded()
    at = opened()
    figures = backtest_store(store, Selection())
    assert figures["n"] > 50 and 0 < figures["bad"] < figures["n"]
    check_credit(at, figures)
    assert counts(at) == {
        text("count.without_outcome.store", module=KB.text("outcomes.module.credit")): figures[
            "without_outcome"
        ],
        text("count.not_rows.store", module=KB.text("outcomes.module.credit")): figures[
            "not_credit_rows"
        ],
        text("count.other_module_outcomes.store"): 0,
        text("count.superseded_outcomes.store"): 0,
        text("count.unmatched.store", module=KB.text("outcomes.module.credit")): 0,
        text("count.invalid_outcomes.store"): 0,
    }
    assert figures["without_outcome"] > 0
    charts = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(charts) == 4  # two groups, ROC, capture
    by_decision = charts[0]["layer"][0]["encoding"]["color"]["scale"]
    labels = [label("credit_decision", d) for d in ("approve", "approve_with_conditions")]
    assert by_decision["domain"][:2] == labels
    assert by_decision["range"] == ramp(4)
    assert ramp(4)[0] == "#2e7d32" and ramp(4)[-1] == "#c62828"  # approve green, decline red
    buttons = [b.proto.label for b in at.get("download_button")]
    assert buttons[0] == text("download.json")
    assert text("download.csv", title=text("group.by_decision")) in buttons


def test_filters_select_the_consultations() -> None:
    store = seeded()
    at = opened()
    at.selectbox(key="performance_channel").set_value("api").run()
    through_api = backtest_store(store, Selection(channel="api"))
    assert through_api["bad"] > 0 and through_api["n"] < backtest_store(store, Selection())["n"]
    check_credit(at, through_api)
    version = default_engine().compiled.version
    assert at.selectbox(key="performance_version").options == ["any", version]
    at.selectbox(key="performance_version").set_value(version).run()
    check_credit(at, backtest_store(store, Selection(channel="api", version=version)))
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    at.date_input(key="performance_from").set_value(tomorrow).run()
    assert texts(at, "info") == [text("empty.store")]
    assert not at.metric
    at.date_input(key="performance_to").set_value(dt.date.today()).run()
    assert texts(at, "error") == [text("filter.reversed")]


def test_costs_measure_again() -> None:
    store = seeded()
    at = opened()
    assert at.number_input(key="performance_cost_bad").value == credit.DEFAULT_COST_BAD
    at.number_input(key="performance_cost_bad").set_value(1.0)
    at.number_input(key="performance_cost_good").set_value(3.0).run()
    figures = backtest_store(store, Selection(), 1.0, 3.0)
    check_credit(at, figures)
    assert text("cost.note", cost_bad="1", cost_good="3") in texts(at, "caption")


def test_store_mode_measures_grading_too() -> None:
    """Another module over the recorded consultations: the page shows what the engine's store
    back-test of that module gives (repeat purchases recorded on the graded customers)."""
    store = seeded(outcomes=False)
    today = dt.date.today().isoformat()
    graded = store.list_records(RecordFilter(kind="consultation", module="grading"), limit=1000)
    told = [
        Outcome.model_validate(
            {"consultation_id": record.id, "module": "grading", "observed_at": today}
            | {"outcome": "purchases", "repeat_purchase": record.id % 3 != 0}
            | {"revenue": 1000 * (record.id % 5) if record.id % 3 else 0}
        )
        for record in graded
    ]
    store.record_outcomes(told, MANAGER)
    at = opened()
    at.radio(key="performance_store_module").set_value("grading").run()
    assert not at.exception, at.exception
    figures = backtest_store_module(store, "grading", Selection())
    assert figures["n"] == len(told) and 0 < figures["repeat"] < figures["n"]
    assert metric_values(at)[:2] == [f"{figures['n']:,}", pct(figures["repeat_rate"], "en")]
    tiers = frames(at)[0]
    assert column(tiers, "grading.n") == [r["n"] for r in figures["by_tier"]]
    assert column(tiers, "grading.rate") == [r["repeat_rate"] for r in figures["by_tier"]]


def test_an_empty_store_says_how_to_record_outcomes() -> None:
    seeded(outcomes=False)
    at = opened()
    message = texts(at, "info")
    assert message == [text("empty.store")]
    assert "sales-expert outcomes import" in message[0] and "Audit trail" in message[0]
    assert not at.metric and not at.get("vega_lite_chart")
    decided = sum(1 for r, _, _ in consulted() if r.value("credit_decision") is not None)
    assert (
        counts(at)[text("count.without_outcome.store", module=KB.text("outcomes.module.credit"))]
        == decided
    )


def test_the_language_switch_keeps_the_source_and_filters() -> None:
    store = seeded()
    at = opened()
    at.selectbox(key="performance_channel").set_value("api").run()
    at.number_input(key="performance_cost_bad").set_value(2.0).run()
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert texts(at, "title") == [KB.text("ui.page.performance.title", "zh")]
    assert at.radio(key="performance_source").value == "store"
    assert at.selectbox(key="performance_channel").value == "api"
    assert at.selectbox(key="performance_channel").options[0] == text("filter.any", "zh")
    assert at.number_input(key="performance_cost_bad").value == 2.0
    figures = backtest_store(store, Selection(channel="api"), 2.0)
    assert metric_values(at) == credit_metrics(figures, "zh")
    assert [m.label for m in at.metric][:2] == [text("credit.n", "zh"), text("credit.rate", "zh")]
    first = frames(at)[0]
    assert list(first.iloc[:, 0]) == [
        label("credit_decision", r["decision"], "zh") for r in figures["by_decision"]
    ]
    # the files source keeps its module through a switch back to English
    at.radio(key="performance_source").set_value("files").run()
    at.radio(key="performance_file_module").set_value("closing").run()
    at.radio(key="lang").set_value("en").run()
    assert at.radio(key="performance_source").value == "files"
    assert at.radio(key="performance_file_module").value == "closing"
    assert texts(at, "info") == [text("files.waiting")]


# -- files -----------------------------------------------------------------------------------


def _outcome(module: str, customer: str, index: int) -> dict[str, object]:
    """A deterministic outcome of each module for the index-th results row."""
    row: dict[str, object] = {"customer_id": customer, "module": module}
    row["observed_at"] = "2025-06-30"
    if module == "credit":
        return row | {"outcome": "defaulted" if index % 4 == 0 else "paid_on_time"}
    if module == "grading":
        repeat = index % 3 != 0
        return (
            row
            | {"outcome": "purchases", "repeat_purchase": "yes" if repeat else "no"}
            | {"revenue": 1000 * (index % 5) if repeat else 0}
        )
    if module == "collection":
        if index % 3 == 0:
            return row | {"outcome": "legal"}
        return row | {"outcome": "recovered", "amount_recovered": 500 + index, "days_to_recover": 9}
    if index % 2:
        return row | {"outcome": "won", "deal_value": 2000 + index}
    return row | {"outcome": "lost"}


def _write(path: Path, header: list[str], rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Generated cases of every section through the batch, and an outcome of every module
    for every customer."""
    folder = tmp_path_factory.mktemp("performance")
    rows = [case_to_row(case) for case in generate_cases(FILE_ROWS, seed=FILE_SEED)]
    header = list(dict.fromkeys(key for row in rows for key in row))
    results = folder / "results.csv"
    run_batch(BatchOptions(input=_write(folder / "book.csv", header, rows), out=results,
                           workers=1, record=False))  # fmt: skip
    with results.open(encoding="utf-8", newline="") as handle:
        customers = [r["customer_id"] for r in csv.DictReader(handle)]
    told = [_outcome(m, c, i) for i, c in enumerate(customers) for m in MODULES]
    return results, _write(folder / "outcomes.csv", list(COLUMNS), told)


def uploaded(at: AppTest, module: str, results: bytes, outcomes: bytes, name: str = "r") -> None:
    at.radio(key="performance_source").set_value("files").run()
    at.radio(key="performance_file_module").set_value(module).run()
    at.file_uploader(key="performance_results").set_value((f"{name}.csv", results, "text/csv"))
    at.file_uploader(key="performance_outcomes").set_value(("o.csv", outcomes, "text/csv"))
    at.run()


def test_files_mode_credit_equals_the_engine(files: tuple[Path, Path]) -> None:
    results, outcomes = files
    at = opened()
    uploaded(at, "credit", results.read_bytes(), outcomes.read_bytes(), "book-results")
    figures = credit.backtest(results, outcomes, "en")
    check_credit(at, figures)
    assert text("source_files", results=plain("book-results.csv"), outcomes=plain("o.csv")) in (
        texts(at, "caption")
    )
    assert counts(at)[text("count.other_module_outcomes.book")] == 3 * FILE_ROWS


GROUP_KEYS = {
    "grading": ["by_tier"],
    "collection": ["by_debtor_type", "by_collection_means"],
    "closing": ["by_technique"],
}
RATES = {"grading": "repeat_rate", "collection": "recovered_share", "closing": "win_rate"}


@pytest.mark.parametrize("module", ["grading", "collection", "closing"])
def test_files_mode_other_modules(module: str, files: tuple[Path, Path]) -> None:
    results, outcomes = files
    at = opened()
    uploaded(at, module, results.read_bytes(), outcomes.read_bytes())
    assert not at.exception, at.exception
    measure = {"grading": grading, "collection": collection, "closing": closing}[module]
    figures = measure.backtest(results, outcomes, "en")
    assert figures["n"] > 0
    assert metric_values(at)[:2] == [f"{figures['n']:,}", pct(figures[RATES[module]], "en")]
    if module == "grading":
        assert metric_values(at)[5] == money(figures["revenue"], "en")
    if module == "collection":
        assert metric_values(at)[3] == days(figures["mean_days_to_recover"], "en")
    keys = [k for k in GROUP_KEYS[module] if k in figures]
    shown = frames(at)
    assert len(shown) == len(keys) + 1  # the groups, then the counts
    for frame, key in zip(shown, keys, strict=False):
        assert column(frame, f"{module}.n") == [r["n"] for r in figures[key]]
        assert column(frame, f"{module}.rate") == [r[RATES[module]] for r in figures[key]]
    assert len(at.get("vega_lite_chart")) == len(keys)
    named = KB.text(f"outcomes.module.{module}")
    assert counts(at)[text("count.not_rows.book", module=named)] == figures[f"not_{module}_rows"]


def test_a_bad_file_shows_the_engines_problems(files: tuple[Path, Path]) -> None:
    _, outcomes = files
    at = opened()
    uploaded(at, "credit", b"row,customer_id\n1,C-1\n", outcomes.read_bytes(), "mine")
    assert not at.exception
    missing = KB.text("backtest.file.missing_columns", columns="credit_decision, risk_level")
    assert texts(at, "error") == [plain(f"mine.csv: {missing}")]
    assert not at.metric
    at.file_uploader(key="performance_results").set_value(("mine.csv", b"\xff\xfe\x00", "text/csv"))
    at.run()
    assert not at.exception
    [error] = texts(at, "error")
    assert error.startswith(text("unreadable", problem="")) and "utf" in error.lower()


def test_an_outcomes_file_with_bad_columns_is_refused_in_chinese(files: tuple[Path, Path]) -> None:
    results, _ = files
    at = opened(lang="zh-CN")
    uploaded(at, "grading", results.read_bytes(), b"module,outcome,nonsense\n", "r")
    assert not at.exception
    errors = texts(at, "error")
    assert errors and all(e.startswith("o\\.csv") for e in errors)
    assert any("nonsense" in e for e in errors)


def test_files_over_the_limit_are_refused(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    results, _ = files
    monkeypatch.setattr(perf, "MAX_FILE_BYTES", 1000)
    at = opened()
    uploaded(at, "credit", results.read_bytes(), b"module\n", "big")
    assert texts(at, "error") == [text("files.too_large", names=plain("big.csv"), limit="0")]
    assert not at.metric


def test_the_csv_download_is_spreadsheet_safe() -> None:
    frame = pd.DataFrame({"Group": ["=HYPERLINK(1)", "refer"], "Rate": [0.25, float("nan")]})
    data = csv_bytes(Table("t", "T", frame))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Group", "Rate"], ["'=HYPERLINK(1)", "0.25"], ["refer", ""]]


def test_the_page_is_for_managers_auditors_and_admins() -> None:
    for role, expected in (("manager", True), ("auditor", True), ("admin", True), ("rep", False)):
        assert ("performance" in {p.key for p in allowed(role)}) is expected, role
