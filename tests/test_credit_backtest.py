"""Back-test of the credit policy on a generated book with a known truth (``tests/books.py``).

Quality is measured, not asserted: a policy whose decisions do not sort customers by how often
they really go bad is wrong however consistent its rules are. The book is run once per module
(6,000 customers, about ten seconds: with fewer, the AUC rests on the luck of a few hundred
bad customers); every failure prints the whole back-test table.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

import pytest

from benchmarks.bench_credit_book import assess
from engine import default_engine
from tests.backtest_metrics import (
    Assessed,
    Group,
    by_decision,
    by_risk_level,
    report,
    score_auc,
    thumb_auc,
)
from tests.books import EXTENDED, generate_book

ROWS, SEED = 6000, 7
MIN_CASES = 30
"""Fewer customers than this in a decision or risk level and its bad rate is mostly noise."""
MIN_AUC = 0.70
ENGINE = default_engine()
DECISIONS = list(ENGINE.compiled.knowledge.topics["credit_decision"].value_ids())
"""Best first: approve, approve_with_conditions, refer, decline."""
LEVELS = list(ENGINE.compiled.knowledge.topics["risk_level"].value_ids())
"""Lowest first: low, medium, high, very_high."""


@pytest.fixture(scope="module")
def assessed() -> list[Assessed]:
    return assess(generate_book(ROWS, SEED))


@pytest.fixture(scope="module")
def table(assessed: list[Assessed]) -> str:
    return report(assessed, DECISIONS, LEVELS)


def assert_rising(groups: Sequence[Group], what: str, table: str) -> None:
    """Every group common enough to measure, and each one's bad rate above the previous's."""
    rare = [f"{g.name} ({g.n})" for g in groups if g.n < MIN_CASES]
    assert not rare, f"{what} too rare to measure (< {MIN_CASES} cases): {rare}\n{table}"
    flat = [
        f"{low.name} {low.bad_rate:.3f} >= {high.name} {high.bad_rate:.3f}"
        for low, high in itertools.pairwise(groups)
        if low.bad_rate is not None and high.bad_rate is not None
        if low.bad_rate >= high.bad_rate
    ]
    assert not flat, f"bad rate does not rise by {what}: {flat}\n{table}"


def test_bad_rate_rises_from_approve_to_decline(assessed: list[Assessed], table: str) -> None:
    assert_rising(by_decision(assessed, DECISIONS), "decision", table)


def test_bad_rate_rises_with_the_risk_level(assessed: list[Assessed], table: str) -> None:
    assert_rising(by_risk_level(assessed, LEVELS), "risk level", table)


def test_risk_score_ranks_better_than_the_rule_of_thumb(
    assessed: list[Assessed], table: str
) -> None:
    score, thumb = score_auc(assessed), thumb_auc(assessed)
    assert score >= MIN_AUC, f"AUC of risk_score {score:.3f} < {MIN_AUC}\n{table}"
    assert score > thumb, f"AUC of risk_score {score:.3f} <= rule of thumb {thumb:.3f}\n{table}"


def test_the_same_seed_gives_the_same_book() -> None:
    first, again, other = generate_book(300, 11), generate_book(300, 11), generate_book(300, 12)
    assert first == again
    assert [r.case for r in first] != [r.case for r in other]
    basic = generate_book(300, 11, extended=False)
    assert [r.bad for r in basic] == [r.bad for r in first]
    assert all(not EXTENDED & r.case["credit"].keys() for r in basic)


def test_outcomes_follow_the_latent_probability() -> None:
    """The drawn outcomes agree with the model: the book's bad rate within 4 standard errors
    of its mean default probability, and the bad customers' mean probability well above."""
    book = generate_book(ROWS, SEED)
    probability = [r.default_probability for r in book]
    expected = statistics.fmean(probability)
    observed = sum(r.bad for r in book) / len(book)
    assert abs(observed - expected) < 4 * (expected * (1 - expected) / len(book)) ** 0.5
    bad = statistics.fmean(r.default_probability for r in book if r.bad)
    assert bad > 1.5 * expected


def test_payment_fields_come_from_one_invoice_history() -> None:
    """The on-time share, the longest delay and the bucket counts tell one story."""
    for row in generate_book(500, 3):
        credit = row.case["credit"]
        if row.latent.new or "on_time_payment_pct" not in credit:
            assert not {"on_time_payment_pct", "longest_days_overdue"} & credit.keys(), credit
            continue
        longest = credit["longest_days_overdue"]
        assert (credit["on_time_payment_pct"] == 100) == (longest == 0), credit
        assert credit["current_days_overdue"] <= longest, credit
        if "late_24m_over_90" in credit:
            late = [credit[f"late_24m_{b}"] for b in ("1_30", "31_60", "61_90", "over_90")]
            top = max((i for i, n in enumerate(late) if n), default=-1)
            assert top == (-1 if longest == 0 else min(3, (longest - 1) // 30)), credit
