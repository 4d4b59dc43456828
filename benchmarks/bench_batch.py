"""Batch throughput with one worker and with all cores, and the run's peak memory.

    .venv/bin/python -m benchmarks.bench_batch [--rows 20000] [--full] [--record]

Writes a generated customer book (customer sections only by default — a grading portfolio;
``--full`` adds credit, deal and collection sections), runs ``sales-expert batch`` on it as a
user would (a subprocess, ``--workers 1`` then ``--workers N``), and samples the resident
memory of the whole process tree (parent and workers) every 0.2 s. Figures are printed.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cases import generate_cases
from engine.batch import input_columns


def write_book(path: Path, rows: int, full: bool) -> None:
    sections = None if full else ("customer",)
    columns = input_columns()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for start in range(0, rows, 5000):
            for case in generate_cases(min(5000, rows - start), seed=start, sections=sections):
                flat = {
                    f"{s}.{k}": (";".join(v) if isinstance(v, list) else v)
                    for s, section in case.items()
                    for k, v in section.items()
                }
                writer.writerow([flat.get(c, "") for c in columns])


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, from /proc (MB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 2**20


def run(
    book: Path,
    out: Path,
    workers: int,
    record: bool,
    what_if: bool = False,
    cluster: str | None = None,
) -> tuple[float, float]:
    """Seconds and peak tree RSS (MB) of one batch run."""
    args = [
        sys.executable,
        "-m",
        "engine.cli",
        "batch",
        str(book),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--restart",
    ]
    env = {**os.environ, "SALES_EXPERT_DATA_DIR": str(out.parent / "data")}
    if not record:
        args.append("--no-record")
    if what_if:
        args.append("--what-if")
    if cluster:
        args += ["--cluster", cluster]
    started = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.2)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"batch failed with exit code {process.returncode}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--full", action="store_true", help="every section, not customer only")
    parser.add_argument("--record", action="store_true", help="record rows in the audit trail")
    parser.add_argument("--what-if", action="store_true", help="search each row's path to better")
    parser.add_argument("--book", type=Path, help="use this CSV instead of generating one")
    parser.add_argument("--workers", type=int, help="only this worker count (default: 1 and all)")
    parser.add_argument(
        "--cluster", action="store_true", help="also each worker count on a Dask LocalCluster"
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        book = args.book or Path(folder) / "book.csv"
        if args.book is None:
            write_book(book, args.rows, args.full)
        rows = sum(1 for _ in book.open(encoding="utf-8")) - 1
        print(
            f"{rows:,} rows ({'full cases' if args.full else 'customer sections'}), "
            f"audit recording {'on' if args.record else 'off'}"
            f"{', path to better searched' if args.what_if else ''}"
        )
        rates = {}
        for workers in [args.workers] if args.workers else sorted({1, cores}):
            for cluster in (None, "local") if args.cluster else (None,):
                out = Path(folder) / f"out{workers}{cluster or ''}.csv"
                seconds, peak = run(book, out, workers, args.record, args.what_if, cluster)
                if cluster is None:
                    rates[workers] = rows / seconds
                where = "Dask LocalCluster, " if cluster else ""
                print(
                    f"  {where}{workers} worker(s): {seconds:8.1f} s  {rows / seconds:8,.0f} "
                    f"rows/s  peak RSS (all processes) {peak:,.0f} MB"
                )
        if len(rates) > 1:
            print(f"  speed-up with {cores} workers: {rates[cores] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
