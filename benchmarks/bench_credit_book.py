"""Credit quality on a generated book with a known truth: bad rate by decision and risk level.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_credit_book [--rows 20000] [--seed 7]
        [--basic]

The book (``tests/books.py``) draws each customer's latent truth, its 12-month default
probability from a logistic model independent of the policy, the case a credit clerk would
see and whether the customer went bad. Every case is run through the engine's inference (no
explanation, no "what would change it"); the table shows, per decision and per risk level, how
many customers and how many of them went bad, and the AUC of the risk score against that of a
three-question rule of thumb. ``--basic`` leaves out the late-invoice bucket fields. Figures
are printed, never asserted (``tests/test_credit_backtest.py`` asserts on a smaller book).
"""

from __future__ import annotations

import argparse
import time

from engine import default_engine
from engine.intake import parse_case
from tests.backtest_metrics import Assessed, report, rule_of_thumb
from tests.books import BookRow, generate_book

TOPICS = ("credit_decision", "risk_level", "risk_score")


def assess(rows: list[BookRow]) -> list[Assessed]:
    """Each customer's decision, risk level and score from the shipped rule base."""
    engine = default_engine()
    out = []
    for row in rows:
        firing = engine.infer(parse_case(row.case))
        got = {d.topic: d.value for d in firing.derived.values() if d.topic in TOPICS}
        thumb = rule_of_thumb(row.case["credit"])
        out.append(
            Assessed(got["credit_decision"], got["risk_level"], got["risk_score"], thumb, row.bad)
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--basic", action="store_true", help="no late-invoice bucket fields")
    args = parser.parse_args()
    start = time.perf_counter()
    book = generate_book(args.rows, args.seed, extended=not args.basic)
    generated = time.perf_counter()
    assessed = assess(book)
    done = time.perf_counter()
    knowledge = default_engine().compiled.knowledge
    decisions = list(knowledge.topics["credit_decision"].value_ids())
    levels = list(knowledge.topics["risk_level"].value_ids())
    print(f"book seed {args.seed}, rule base {default_engine().version}")
    print(report(assessed, decisions, levels))
    print(
        f"generated {args.rows / (generated - start):,.0f} rows/s, "
        f"assessed {args.rows / (done - generated):,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
