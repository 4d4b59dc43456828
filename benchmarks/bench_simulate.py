"""Throughput of ``policy simulate`` (champion against challenger) on a customer + credit book.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_simulate [--rows 100000] [--workers 2]
        [--seed 7] [--book BOOK] [--cluster]

Writes a generated book (``tests/books.py``: a customer and a credit section per row, as a
credit clerk sees them) and an overlay moving the high risk score threshold from 40 to 55
points, then runs the simulation in a child process (``engine.policy.simulate.simulate``, as
the command runs it: workers, chunks, streaming, the errors file) while sampling the resident
memory of the whole process tree every 0.2 s. Each row is run twice (both policies, inference
only); the first changed rows of each chunk are explained in full. Figures are printed, never
asserted. ``--cluster`` runs it a second time with the chunks on a Dask ``LocalCluster`` of
``--workers`` processes (``simulate(…, cluster="local")``, as ``policy simulate --cluster local``
runs it), so the two rates can be compared on one machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_batch import _tree_rss_mb
from engine.batch import input_columns
from engine.batch.mapping import case_to_row
from tests.books import make_row

HIGH = "credit.risk_high_min_score"
CHANGE = {HIGH: 55.0}
BLOCK = 5000


def write_book(path: Path, rows: int, seed: int) -> None:
    """``rows`` generated customers, written block by block (never held whole)."""
    columns = [c for c in input_columns() if c.split(".")[0] in ("customer", "credit")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for start in range(0, rows, BLOCK):
            block = (make_row(seed, i) for i in range(start, min(rows, start + BLOCK)))
            writer.writerows(case_to_row(row.case) for row in block)


def child(book: Path, workers: int, cluster: str | None) -> None:
    """The simulation itself (in the measured process); prints its figures as JSON."""
    from engine.policy.change import PolicyChange
    from engine.policy.simulate import simulate

    started = time.monotonic()
    errors = book.with_name(book.name + ".errors.csv")
    change = PolicyChange(CHANGE)
    report = simulate(book, change, None, "en", workers, None, errors=errors, cluster=cluster)
    decision = next(t for t in report["topics"] if t["topic"] == "credit_decision")
    print(
        json.dumps(
            {
                "rows": report["rows_in"],
                "ok": report["ok"],
                "changed_rows": report["changed_rows"],
                "decisions_changed": decision["changed"],
                "seconds": time.monotonic() - started,
            }
        )
    )


def measure(
    book: Path, workers: int, cluster: str | None = None
) -> tuple[dict[str, float], float, float]:
    """The child's figures, the wall-clock seconds and the peak RSS of its process tree."""
    args = [sys.executable, "-m", "benchmarks.bench_simulate", "--child", str(book)]
    args += ["--workers", str(workers)] + (["--in-cluster", cluster] if cluster else [])
    started = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.2)
    seconds = time.monotonic() - started
    out = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"the simulation failed with exit code {process.returncode}")
    return json.loads(out.strip().splitlines()[-1]), seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--book", type=Path, help="use this book instead of generating one")
    parser.add_argument(
        "--cluster", action="store_true", help="also on a Dask LocalCluster of --workers processes"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--in-cluster", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.workers, args.in_cluster)
        return
    with tempfile.TemporaryDirectory() as folder:
        book = args.book or Path(folder) / "book.csv"
        if args.book is None:
            started = time.monotonic()
            write_book(book, args.rows, args.seed)
            print(f"book: {args.rows:,} rows written in {time.monotonic() - started:.1f} s")
        for cluster in (None, "local") if args.cluster else (None,):
            figures, seconds, peak = measure(book, args.workers, cluster)
            rows = figures["rows"]
            where = "Dask LocalCluster, " if cluster else ""
            print(
                f"{rows:,} rows (customer + credit), {where}{args.workers} worker(s), change "
                f"{CHANGE}: {figures['changed_rows']:,} rows changed, "
                f"{figures['decisions_changed']:,} credit decisions"
            )
            print(
                f"  simulate: {figures['seconds']:.1f} s, {rows / figures['seconds']:,.0f} "
                f"rows/s; whole process {seconds:.1f} s, {rows / seconds:,.0f} rows/s; "
                f"peak RSS (all processes) {peak:,.0f} MB"
            )


if __name__ == "__main__":
    main()
