"""``sales-expert backtest`` against the truth of a generated book (``tests/books.py``).

Two questions, each answered without the product's own measures:

- Does the back-test report what the results file and the outcomes really say? The test reads
  the batch results with the ``csv`` module, joins the known outcomes by customer itself and
  counts AUC by pairs, KS at every score and the bad rate of each decision; the JSON must agree.
- Does the policy rank the truth? Every customer of the book has a known default probability:
  the average true probability must rise from the best decision to the worst, and no ordering
  of the policy may beat the oracle that knows the probabilities (which would mean the
  back-test flatters the policy).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from engine.batch import BatchOptions, run_batch
from engine.batch.mapping import case_to_row
from engine.cli import main
from engine.outcomes.model import COLUMNS
from tests.books import BookRow, generate_book

ROWS, SEED = 500, 23
DECISIONS = ["approve", "approve_with_conditions", "refer", "decline"]


def pair_auc(scores: list[float], bads: list[bool]) -> float:
    """Every (bad, good) pair: 1 when the bad scores above, 1/2 on a tie."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    won = sum(1.0 if s > t else 0.5 if s == t else 0.0 for s in bad for t in good)
    return won / (len(bad) * len(good))


def cdf_ks(scores: list[float], bads: list[bool]) -> float:
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    return max(
        abs(sum(x <= t for x in bad) / len(bad) - sum(x <= t for x in good) / len(good))
        for t in set(scores)
    )


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def told(row: BookRow) -> dict[str, Any]:
    """What happened, as a credit department would record it."""
    base = {"customer_id": row.case["customer"]["id"], "module": "credit"}
    base["observed_at"] = "2025-06-30"
    return base | {"outcome": "defaulted" if row.bad else "paid_on_time"}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The book through ``run_batch``, ``backtest --json`` on it, and the truth per customer."""
    folder = tmp_path_factory.mktemp("truth")
    book = generate_book(ROWS, seed=SEED)
    rows = [case_to_row(row.case) for row in book]
    header = list(dict.fromkeys(key for row in rows for key in row))
    results = folder / "results.csv"
    run_batch(BatchOptions(input=write_csv(folder / "book.csv", header, rows), out=results))
    outcomes = write_csv(folder / "outcomes.csv", list(COLUMNS), [told(row) for row in book])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["backtest", "--book", str(results), "--outcomes", str(outcomes), "--json"])
    assert code == 0
    with results.open(encoding="utf-8", newline="") as handle:
        read = [r for r in csv.DictReader(handle) if r["status"] == "ok" and r["credit_decision"]]
    truth = {row.case["customer"]["id"]: row for row in book}
    joined = [(r, truth[r["customer_id"]]) for r in read]
    return {"reported": json.loads(printed.getvalue()), "joined": joined}


def test_the_figures_are_those_of_the_files(ran: dict[str, Any]) -> None:
    reported, joined = ran["reported"], ran["joined"]
    scores = [float(r["risk_score"]) for r, _ in joined]
    bads = [row.bad for _, row in joined]
    assert (reported["n"], reported["bad"]) == (len(joined), sum(bads))
    assert reported["bad_rate"] == pytest.approx(sum(bads) / len(bads))
    assert reported["score"] == "risk_score"
    assert reported["auc"] == pytest.approx(pair_auc(scores, bads), abs=1e-12)
    assert reported["ks"] == pytest.approx(cdf_ks(scores, bads), abs=1e-12)
    assert reported["gini"] == pytest.approx(2 * pair_auc(scores, bads) - 1, abs=1e-12)
    for group in reported["by_decision"]:
        members = [row.bad for r, row in joined if r["credit_decision"] == group["decision"]]
        assert group["n"] == len(members), group
        if members:
            assert group["bad_rate"] == pytest.approx(sum(members) / len(members)), group


def test_the_policy_ranks_the_true_probability(ran: dict[str, Any]) -> None:
    """The average true default probability rises from approve to decline, and the policy's
    risk score ranks the realised outcomes no better than the true probability itself."""
    joined = ran["joined"]
    means = []
    for decision in DECISIONS:
        truths = [row.default_probability for r, row in joined if r["credit_decision"] == decision]
        if len(truths) >= 20:  # fewer: the mean is noise
            means.append((decision, sum(truths) / len(truths)))
    assert len(means) >= 3, means
    assert [m for _, m in means] == sorted(m for _, m in means), means
    bads = [row.bad for _, row in joined]
    oracle = pair_auc([row.default_probability for _, row in joined], bads)
    assert 0.6 < ran["reported"]["auc"] <= oracle, (ran["reported"]["auc"], oracle)
