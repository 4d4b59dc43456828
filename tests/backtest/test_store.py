"""``sales-expert backtest`` over the audit store, on SQLite and PostgreSQL: the figures against a
count made from what the test recorded (never read back from the store), the same figures as the
results-file mode on the same data, the filters, corrections counted once, and the rule coverage
of a small crafted book exactly."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from engine import Engine
from engine.audit.store import AuditStore
from engine.cli import main
from engine.outcomes.model import COLUMNS, Outcome
from engine.shared import default_engine
from knowledge_base.facts import Case
from tests.backtest.conftest import (
    OBSERVED,
    Truth,
    cdf_ks,
    consulted_book,
    counted,
    outcome,
    pair_auc,
    record_consultations,
    settle,
    told,
)
from tests.conftest import customer
from tests.outcomes.conftest import Clock

FIGURES: tuple[str, ...] = (
    "n",
    "bad",
    "bad_rate",
    "score",
    "auc",
    "auc_ci",
    "gini",
    "ks",
    "auc_by",
)
FIGURES += ("by_decision", "by_risk_level", "cost", "rules", "never_fired", "bad_definition")


def backtest(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["backtest", *argv, "--json"]) == 0, capsys.readouterr().err
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def record_book(store: AuditStore, clock: Clock) -> tuple[list[Truth], int]:
    """The generated book on three days through two channels; outcomes as the module docstring
    of ``conftest`` tells, every seventh recorded wrong and then corrected, every tenth none.
    Returns the truths and how many outcomes were superseded."""
    book = consulted_book()
    rows = [(result, case) for result, case, _ in book]
    truths = record_consultations(store, clock, rows, default_engine().compiled)
    clock.at("2025-07-01")
    superseded = 0
    for t in truths:
        bad = book[t.index][2]
        if t.decision is None or t.index % 10 == 9:
            continue
        kind, extra = told(t.index, bad)
        if t.index % 7 == 3:
            wrong, detail = told(t.index, not bad)
            [first] = settle(store, outcome(t.record_id, wrong, **detail))
            extra |= {"corrects": first}
            superseded += 1
        t.outcomes = settle(store, outcome(t.record_id, kind, **extra))
        t.bad = bad
    return truths, superseded + extras(store, truths)


def extras(store: AuditStore, truths: list[Truth]) -> int:
    """A chain of two corrections, a later payment that does not undo a default, an outcome of
    another module; the number of outcomes superseded (2)."""
    good = next(t for t in truths if t.bad is False and t.index % 7 != 3)
    [middle] = settle(store, outcome(good.record_id, "defaulted", corrects=good.outcomes[0]))
    settle(store, outcome(good.record_id, "paid_on_time", corrects=middle))
    bad = next(t for t in truths if t.bad is True)
    settle(store, outcome(bad.record_id, "paid_on_time"))
    grading = {"module": "grading", "outcome": "purchases", "repeat_purchase": True}
    grading |= {"revenue": 10.0, "observed_at": OBSERVED, "consultation_id": good.record_id}
    settle(store, Outcome.model_validate(grading))
    return 2


def check_against(got: dict[str, Any], truths: list[Truth]) -> None:
    """The figures equal a count made from the truths."""
    joined = [t for t in truths if t.bad is not None]
    scores = [t.score or 0.0 for t in joined]
    bads = [bool(t.bad) for t in joined]
    assert (got["n"], got["bad"]) == (len(joined), sum(bads))
    assert got["score"] == "risk_score"
    area, distance = pair_auc(scores, bads), cdf_ks(scores, bads)
    assert got["auc"] == (None if area is None else pytest.approx(area, abs=1e-12))
    assert got["ks"] == (None if distance is None else pytest.approx(distance, abs=1e-12))
    by_decision = {r["decision"]: (r["n"], r["bad"]) for r in got["by_decision"] if r["n"]}
    assert by_decision == counted(truths, "decision")
    by_level = {r["risk_level"]: (r["n"], r["bad"]) for r in got["by_risk_level"] if r["n"]}
    assert by_level == counted(truths, "level")
    for row in got["by_decision"]:
        if row["n"]:
            assert row["bad_rate"] == pytest.approx(row["bad"] / row["n"])


def test_store_figures_match_an_independent_count(
    store: AuditStore, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    truths, superseded = record_book(store, clock)
    got = backtest(capsys, "--db", store.url)
    check_against(got, truths)
    assert 0 < got["bad"] < got["n"] and got["auc"] > 0.5
    decided = [t for t in truths if t.decision is not None]
    assert got["without_outcome"] == len(decided) - got["n"] > 0
    assert got["not_credit_rows"] == len(truths) - len(decided)
    assert (got["superseded_outcomes"], got["other_module_outcomes"]) == (superseded, 1)
    assert (got["unmatched"], got["invalid_outcomes"]) == (0, 0)
    assert got["source"]["mode"] == "store"


def test_rule_coverage_counts_customers_and_lists_the_credit_rules_never_fired(
    store: AuditStore, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    truths, _ = record_book(store, clock)
    got = backtest(capsys, "--db", store.url)
    joined = [t for t in truths if t.bad is not None]
    fired = {rule for t in joined for rule in t.rules}
    expected = {
        rule: (sum(rule in t.rules for t in joined), sum(rule in t.rules and bool(t.bad)
                                                           for t in joined))
        for rule in fired
    }  # fmt: skip
    assert {r["rule"]: (r["fired"], r["bad"]) for r in got["rules"]} == expected
    modules = {rule.id: rule.module for rule in default_engine().compiled.rulebase.rules}
    credit = {rule for rule, module in modules.items() if module == "credit"}
    assert got["never_fired"] == sorted(credit - fired) and got["never_fired"]
    assert all(r["module"] == modules[r["rule"]] for r in got["rules"])
    counts = [r["fired"] for r in got["rules"]]
    assert counts == sorted(counts, reverse=True)


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def as_files(truths: list[Truth], folder: Path) -> tuple[Path, Path]:
    """The same consultations as a results file (with the rules that fired) and an outcomes
    file of the outcomes that count."""
    head = ["row", "consultation_id", "customer_id", "status", "credit_decision", "risk_level"]
    head += ["risk_score", "rules_fired"]
    results = [
        {"row": i, "consultation_id": t.record_id, "status": "ok", "credit_decision": t.decision,
         "risk_level": t.level, "risk_score": t.score, "rules_fired": ";".join(sorted(t.rules))}
        for i, t in enumerate(truths, 1)
        if t.decision is not None
    ]  # fmt: skip
    kinds = [
        {"consultation_id": t.record_id, "module": "credit", "observed_at": OBSERVED,
         "outcome": "defaulted" if t.bad else "paid_on_time"}
        for t in truths
        if t.bad is not None
    ]  # fmt: skip
    return (
        write_csv(folder / "results.csv", head, results),
        write_csv(folder / "outcomes.csv", list(COLUMNS), kinds),
    )


def test_store_and_file_modes_give_the_same_figures(
    store: AuditStore, clock: Clock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truths, _ = record_book(store, clock)
    from_store = backtest(capsys, "--db", store.url, "--cost-bad", "7")
    results, outcomes = as_files(truths, tmp_path)
    from_files = backtest(capsys, "--book", str(results), "--outcomes", str(outcomes),
                          "--cost-bad", "7")  # fmt: skip
    assert set(from_store) == set(from_files)
    assert {k: from_store[k] for k in FIGURES} == {k: from_files[k] for k in FIGURES}
    assert from_store["cost"]["cost_bad"] == 7.0


def test_filters_select_by_period_channel_and_version(
    store: AuditStore,
    clock: Clock,
    credit_engine: Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    truths, _ = record_book(store, clock)
    url = store.url
    period = [t for t in truths if t.day in ("2025-02-10", "2025-03-10")]
    check_against(backtest(capsys, "--db", url, "--from", "2025-02-10"), period)
    check_against(backtest(capsys, "--db", url, "--to", "2025-02-10"),
                  [t for t in truths if t.day <= "2025-02-10"])  # fmt: skip
    day = [t for t in truths if t.day == "2025-02-10"]
    check_against(backtest(capsys, "--db", url, "--from", "2025-02-10", "--to", "2025-02-10"), day)
    api = [t for t in truths if t.channel == "api"]
    got = backtest(capsys, "--db", url, "--channel", "api")
    check_against(got, api)
    assert got["source"]["channel"] == "api"
    both = backtest(capsys, "--db", url, "--channel", "api", "--from", "2025-03-01")
    check_against(both, [t for t in api if t.day == "2025-03-10"])
    other = record_small_book(store, clock, credit_engine)
    got = backtest(capsys, "--db", url, "--version", credit_engine.version)
    assert (got["n"], got["bad"]) == (len(other), 1)
    got = backtest(capsys, "--db", url, "--version", default_engine().version)
    check_against(got, truths)


def record_small_book(store: AuditStore, clock: Clock, engine: Engine) -> list[Truth]:
    """Four customers of 2,000,000 a year under the test credit rule base (CR-901 approves,
    CR-902 would decline below 1,000,000): one defaulted, three paid, one of them corrected
    twice (paid, then defaulted, then paid)."""
    cases = [Case.model_validate({"customer": customer(id=f"V-{i}", annual_purchases=2_000_000)})
             for i in range(4)]  # fmt: skip
    clock.at("2025-04-01")
    pairs = [(engine.consult(case, what_if=False), case) for case in cases]
    rows = store.record_consultations(pairs, engine.compiled, "rita", "rep", "ui")
    ids = [row["id"] for row in rows]
    clock.at("2025-07-02")
    settle(store, outcome(ids[0], "defaulted"), outcome(ids[1], "paid_on_time"))
    [first] = settle(store, outcome(ids[2], "paid_on_time"))
    [second] = settle(store, outcome(ids[2], "defaulted", corrects=first))
    settle(store, outcome(ids[2], "paid_on_time", corrects=second))
    settle(store, outcome(ids[3], "paid_late", days_late=LATE))
    return [
        Truth(i, record_id, "approve", None, None, frozenset(), "2025-04-01", "ui",
              engine.version, bad)
        for i, (record_id, bad) in enumerate(zip(ids, [True, False, False, False], strict=True))
    ]  # fmt: skip


LATE = 30


def test_corrections_count_once_and_coverage_of_a_crafted_book_is_exact(
    store: AuditStore, clock: Clock, credit_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    record_small_book(store, clock, credit_engine)
    got = backtest(capsys, "--db", store.url)
    assert (got["n"], got["bad"], got["superseded_outcomes"]) == (4, 1, 2)
    assert got["without_outcome"] == 0 and got["score"] == "risk_level"
    approve = next(r for r in got["by_decision"] if r["decision"] == "approve")
    assert (approve["n"], approve["bad"], approve["bad_rate"]) == (4, 1, 0.25)
    credit_rules = [r for r in got["rules"] if r["module"] == "credit"]
    assert credit_rules == [
        {"rule": "CR-901", "module": "credit", "fired": 4, "bad": 1, "bad_rate": 0.25,
         "small": True}
    ]  # fmt: skip
    assert got["never_fired"] == ["CR-902"]
    assert {r["module"] for r in got["rules"]} == {"credit", "grading"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_store_text_shows_the_selection_and_the_coverage(
    store: AuditStore,
    clock: Clock,
    credit_engine: Engine,
    lang: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    record_small_book(store, clock, credit_engine)
    argv = ["backtest", "--db", store.url, "--channel", "ui", "--lang", lang]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "CR-901" in out and "CR-902" in out and store.display_url in out
    if lang == "zh":
        assert "从未触发的授信规则共 1 条：CR-902" in out and "被更正取代的结果：2" in out
    else:
        assert "never fired on this book: 1: CR-902" in out
        assert "outcomes replaced by a correction: 2" in out
