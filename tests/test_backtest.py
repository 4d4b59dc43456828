"""The back-test (``engine.backtest``): each measure against an independent brute-force
computation, the bootstrap's determinism, and ``sales-expert backtest`` end to end on a
generated book whose outcomes are known (``tests/books.py``)."""

from __future__ import annotations

import csv
import json
import math
import random
from pathlib import Path

import pytest

from engine.backtest import metrics
from engine.backtest.credit import LATE_DAYS_BAD
from engine.batch import BatchOptions, run_batch
from engine.batch.mapping import case_to_row
from engine.cli import main
from engine.outcomes.model import COLUMNS
from engine.shared import default_engine
from knowledge_base import load_knowledge
from tests.books import generate_book

DECISIONS = ["approve", "approve_with_conditions", "refer", "decline"]


def brute_auc(scores: list[float], bads: list[bool]) -> float:
    """Every (bad, good) pair: 1 when the bad scores above, 1/2 on a tie."""
    pairs = [
        (s, t)
        for s, b in zip(scores, bads, strict=True)
        if b
        for t, g in zip(scores, bads, strict=True)
        if not g
    ]
    return sum(1.0 if s > t else 0.5 if s == t else 0.0 for s, t in pairs) / len(pairs)


def brute_ks(scores: list[float], bads: list[bool]) -> float:
    """The CDF distance at every observed score."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    return max(
        abs(sum(x <= t for x in bad) / len(bad) - sum(x <= t for x in good) / len(good))
        for t in scores
    )


def random_book(seed: int, n: int = 150) -> tuple[list[float], list[bool]]:
    rng = random.Random(seed)
    scores = [float(rng.randint(0, 6)) for _ in range(n)]  # few values: many ties
    return scores, [rng.random() < 0.1 + 0.1 * s for s in scores]


@pytest.mark.parametrize("seed", range(8))
def test_auc_and_ks_match_brute_force(seed: int) -> None:
    scores, bads = random_book(seed)
    area = metrics.auc(scores, bads)
    assert area == pytest.approx(brute_auc(scores, bads), abs=1e-12)
    assert metrics.cells_auc(metrics.cells(scores, bads)) == pytest.approx(area, abs=1e-12)
    assert metrics.gini(area) == pytest.approx(2 * brute_auc(scores, bads) - 1)
    assert metrics.ks(scores, bads) == pytest.approx(brute_ks(scores, bads), abs=1e-12)


def test_auc_limits() -> None:
    assert metrics.auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert metrics.auc([1, 1, 1, 1], [False, True, False, True]) == 0.5
    assert metrics.auc([1, 2], [True, True]) is None
    assert metrics.ks([1, 2, 3, 4], [False, False, True, True]) == 1.0


def test_wilson_known_values() -> None:
    """Published Wilson 95 % intervals (Newcombe 1998, table I)."""
    low, high = metrics.wilson(0, 10) or (0, 0)
    assert (low, round(high, 4)) == (0.0, 0.2775)
    assert [round(x, 4) for x in metrics.wilson(1, 10) or ()] == [0.0179, 0.4042]
    assert [round(x, 4) for x in metrics.wilson(5, 10) or ()] == [0.2366, 0.7634]
    assert metrics.wilson(0, 0) is None


def test_rates_flag_small_groups() -> None:
    keys = ["a"] * 40 + ["b"] * 5
    bads = [i < 4 for i in range(40)] + [True] * 5
    a, b, c = metrics.rates(keys, bads, ["a", "b", "c"])
    assert (a.n, a.bad, a.rate, a.small) == (40, 4, 0.1, False)
    assert (b.rate, b.small) == (1.0, True)
    assert (c.n, c.rate, c.ci, c.small) == (0, None, None, True)


def test_psi_hand_example() -> None:
    """Shares 50/50 → 60/40: 0.1·ln 1.2 + 0.1·ln 1.25."""
    value = metrics.psi({"a": 50, "b": 50}, {"a": 60, "b": 40})
    assert value == pytest.approx(0.1 * math.log(1.2) + 0.1 * math.log(1.25))
    assert metrics.psi_level(value) == "stable"
    empty = metrics.psi({"a": 10}, {"a": 5, "b": 5})
    eps = metrics.PSI_EPSILON
    assert empty == pytest.approx(-0.5 * math.log(0.5) + (0.5 - eps) * math.log(0.5 / eps))
    assert metrics.psi_level(empty) == "shift" and metrics.psi_level(0.2) == "watch"


def test_bootstrap_is_deterministic_and_covers_the_auc() -> None:
    scores, bads = random_book(3, 400)
    first = metrics.bootstrap_auc(scores, bads, resamples=100)
    assert first == metrics.bootstrap_auc(scores, bads, resamples=100)
    assert first != metrics.bootstrap_auc(scores, bads, resamples=100, seed=1)
    assert first is not None and first[0] < (metrics.auc(scores, bads) or 0) < first[1]


def test_cutoff_costs_by_hand() -> None:
    keys = ["approve", "approve", "refer", "decline", "decline"]
    bads = [False, True, False, True, True]
    cuts = metrics.cutoff_costs(keys, bads, DECISIONS, cost_bad=5, cost_good_rejected=1)
    got = [(c.reject_from, c.accepted_bad, c.rejected_good, c.cost) for c in cuts]
    assert got == [
        ("approve", 0, 2, 2.0),
        ("approve_with_conditions", 1, 1, 6.0),
        ("refer", 1, 1, 6.0),
        ("decline", 1, 1 - 1, 5.0),
        (None, 3, 0, 15.0),
    ]


def test_orders_are_best_first() -> None:
    topics = load_knowledge().topics
    assert list(topics["credit_decision"].value_ids()) == DECISIONS
    assert list(topics["risk_level"].value_ids()) == ["low", "medium", "high", "very_high"]


def write_csv(path: Path, header: list[str], rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def outcome(customer: str, bad: bool, index: int) -> dict[str, object]:
    """A bad customer defaulted or was written off; a good one paid, maybe a little late."""
    row: dict[str, object] = {"customer_id": customer, "module": "credit"}
    row["observed_at"] = "2024-12-31"
    if bad:
        kind = ("defaulted", "written_off")[index % 2]
        return row | {"outcome": kind, "amount_lost": 1000 if kind == "written_off" else ""}
    if index % 3 == 0:
        return row | {"outcome": "paid_late", "days_late": LATE_DAYS_BAD}
    return row | {"outcome": "paid_on_time"}


BOOK_ROWS = 400


@pytest.fixture(scope="module")
def ran_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """A generated book through ``run_batch`` (not recorded), and its true outcomes."""
    folder = tmp_path_factory.mktemp("backtest")
    book = generate_book(BOOK_ROWS, seed=11)
    rows = [case_to_row(row.case) for row in book]
    header = list(dict.fromkeys(key for row in rows for key in row))
    source = write_csv(folder / "book.csv", header, rows)
    results = folder / "results.csv"
    run_batch(BatchOptions(input=source, out=results, workers=1, record=False))
    extra = [
        {"customer_id": "NOT-IN-BOOK", "module": "credit", "outcome": "defaulted"}
        | {"observed_at": "2024-12-31"},
        {"customer_id": "BK-000001", "module": "closing", "outcome": "lost"}
        | {"observed_at": "2024-12-31"},
        {"customer_id": "BK-000002", "module": "credit", "outcome": "eaten"}
        | {"observed_at": "2024-12-31"},
    ]
    told = [outcome(row.case["customer"]["id"], row.bad, i) for i, row in enumerate(book)]
    outcomes = write_csv(folder / "outcomes.csv", list(COLUMNS), told + extra)
    return results, outcomes, sum(row.bad for row in book)


def test_backtest_end_to_end(
    ran_book: tuple[Path, Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    results, outcomes, bad = ran_book
    assert main(["backtest", "--book", str(results), "--outcomes", str(outcomes), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["n"], got["bad"], got["unmatched"]) == (BOOK_ROWS, bad, 1)
    assert (got["invalid_outcomes"], got["other_module_outcomes"]) == (1, 1)
    assert got["without_outcome"] == 0 and got["score"] == "risk_score"
    rates = [row["bad_rate"] for row in got["by_decision"] if not row["small"]]
    assert len(rates) >= 2 and rates == sorted(rates), got["by_decision"]
    first, last = got["by_decision"][0], got["by_decision"][-1]
    assert first["bad_rate"] < last["bad_rate"]
    assert got["auc"] > 0.6 and got["auc_ci"][0] < got["auc"] < got["auc_ci"][1]
    assert got["gini"] == pytest.approx(2 * got["auc"] - 1)
    accept_all = got["cost"]["by_decision"][-1]
    assert accept_all["reject_from"] is None and accept_all["accepted_bad"] == bad
    credit = {r.id for r in default_engine().compiled.rulebase.rules if r.module == "credit"}
    fired = {row["rule"] for row in got["rules"] if row["module"] == "credit"}
    assert fired and fired | set(got["never_fired"]) == credit  # the batch's rules_fired
    assert not fired & set(got["never_fired"])
    assert all(0 < row["fired"] <= BOOK_ROWS for row in got["rules"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_backtest_text(
    ran_book: tuple[Path, Path, int], lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    results, outcomes, _ = ran_book
    argv = ["backtest", "--book", str(results), "--outcomes", str(outcomes), "--lang", lang]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert ("授信回测" if lang == "zh" else "Credit back-test") in out
    label = load_knowledge().value_labels[("credit_decision", "decline")].get(lang)
    assert label in out and "AUC" in out


def test_consultation_id_links_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An outcome naming a consultation goes to it, not to the customer's latest one."""
    head = ["row", "consultation_id", "customer_id", "status", "credit_decision", "risk_level"]
    rows: list[dict[str, object]] = [
        dict(zip(head, [1, 41, "C-1", "ok", "approve", "low"], strict=True)),
        dict(zip(head, [2, 42, "C-1", "ok", "decline", "very_high"], strict=True)),
        dict(zip(head, [3, 43, "C-2", "failed", "", ""], strict=True)),
    ]
    results = write_csv(tmp_path / "r.csv", head, rows)
    told = [
        {"consultation_id": 41, "module": "credit", "outcome": "defaulted"},
        {"customer_id": "C-1", "module": "credit", "outcome": "paid_on_time"},
        {"consultation_id": 99, "module": "credit", "outcome": "paid_on_time"},
    ]
    outcomes = write_csv(
        tmp_path / "o.csv", list(COLUMNS), [r | {"observed_at": "2024-01-02"} for r in told]
    )
    assert main(["backtest", "--book", str(results), "--outcomes", str(outcomes), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["n"], got["unmatched"], got["not_credit_rows"]) == (2, 1, 1)
    by = {row["decision"]: row["bad_rate"] for row in got["by_decision"]}
    assert (by["approve"], by["decline"]) == (1.0, 0.0)
    assert got["score"] == "risk_level" and got["auc"] == 0.0


def test_missing_column_and_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_csv(tmp_path / "r.csv", ["row", "customer_id", "risk_level"], [])
    outcomes = write_csv(tmp_path / "o.csv", list(COLUMNS), [])
    assert main(["backtest", "--book", str(results), "--outcomes", str(outcomes)]) == 2
    assert "credit_decision" in capsys.readouterr().err
    missing = str(tmp_path / "none.csv")
    head = ["consultation_id", "credit_decision", "risk_level"]
    good = write_csv(tmp_path / "g.csv", head, [])
    assert main(["backtest", "--book", str(good), "--outcomes", missing, "--lang", "zh"]) == 2
    assert "none.csv" in capsys.readouterr().err
    assert main(["backtest", "--book", missing, "--outcomes", str(outcomes), "--lang", "zh"]) == 2
    assert "文件不存在" in capsys.readouterr().err


def test_pairs_helper_is_exhaustive() -> None:
    """The brute force itself, on a case small enough to count by hand: 2 bads × 2 goods."""
    scores, bads = [1.0, 2.0, 2.0, 3.0], [False, True, False, True]
    wins = [1.0, 0.5, 1.0, 1.0]  # (2,1) (2,2) (3,1) (3,2)
    assert brute_auc(scores, bads) == sum(wins) / 4
