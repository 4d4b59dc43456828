"""A generated credit book and its true outcomes, for trying the back-test and calibration.

    PYTHONPATH=. .venv/bin/python -m benchmarks.example_book book --rows 2000 --seed 11 \\
        --out book.csv
    PYTHONPATH=. .venv/bin/python -m benchmarks.example_book outcomes --rows 2000 --seed 11 \\
        --results results.csv --out outcomes.csv

``book`` writes the input book of ``tests/books.py`` (customers with a credit request, drawn
from a latent truth the rules never see) as ``sales-expert batch`` reads it. ``outcomes``
draws the same book again (same rows and seed: the same customers) and writes what happened to
each — a customer who went bad ``defaulted`` (every fifth ``written_off`` with the amount
lost), a good one ``paid_on_time`` or, one in four, ``paid_late`` within 60 days — as
``sales-expert outcomes import`` reads it. Each outcome names the consultation of the
``results`` file (the batch's ``consultation_id``, an audit record id when the batch recorded),
so the same file serves ``backtest --book`` and ``outcomes import``; it is observed today,
which is when an outcome may be recorded at the latest.

A company has its own book and outcomes: this exists so that the README's walk-through can be
rerun anywhere, with figures that can be checked against the truth.
"""

from __future__ import annotations

import argparse
import csv
from datetime import date
from pathlib import Path
from typing import Any

from engine.batch.mapping import case_to_row
from engine.outcomes.model import COLUMNS
from tests.books import BookRow, generate_book

WRITTEN_OFF_EVERY = 5
LATE_EVERY = 4
LATE_DAYS = 45


def write_book(rows: list[BookRow], out: Path) -> None:
    table = [case_to_row(row.case) for row in rows]
    header = list(dict.fromkeys(key for row in table for key in row))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(table)


def consultation_ids(results: Path) -> dict[str, str]:
    """Customer id → consultation id of a batch results file (the last row of a customer)."""
    with results.open(encoding="utf-8", newline="") as handle:
        return {r["customer_id"]: r["consultation_id"] for r in csv.DictReader(handle)}


def what_happened(row: BookRow, index: int) -> dict[str, Any]:
    """The outcome of one customer, from its drawn truth."""
    requested = row.case.get("credit", {}).get("requested_amount") or 0
    if row.bad and index % WRITTEN_OFF_EVERY == 0:
        return {"outcome": "written_off", "amount_lost": round(0.6 * requested)}
    if row.bad:
        return {"outcome": "defaulted"}
    if index % LATE_EVERY == 0:
        return {"outcome": "paid_late", "days_late": LATE_DAYS}
    return {"outcome": "paid_on_time"}


def write_outcomes(rows: list[BookRow], results: Path, out: Path) -> int:
    """One outcome per customer of the book that the results consulted; returns how many."""
    ids, observed, written = consultation_ids(results), date.today().isoformat(), 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(COLUMNS))
        writer.writeheader()
        for index, row in enumerate(rows):
            customer = row.case["customer"]["id"]
            if not ids.get(customer):
                continue
            link = {"consultation_id": ids[customer], "customer_id": customer}
            base = link | {"module": "credit", "observed_at": observed}
            writer.writerow(base | what_happened(row, index))
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("book", "outcomes"))
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--results", type=Path, help="batch results of the book (outcomes)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = generate_book(args.rows, seed=args.seed)
    if args.what == "book":
        write_book(rows, args.out)
        print(f"{args.out}: {len(rows)} customers (seed {args.seed})")
        return
    if args.results is None:
        parser.error("outcomes needs --results (the batch results of the book)")
    written = write_outcomes(rows, args.results, args.out)
    bad = sum(row.bad for row in rows)
    print(f"{args.out}: {written} outcomes, {bad} of {len(rows)} customers went bad")


if __name__ == "__main__":
    main()
