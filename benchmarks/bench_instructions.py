"""Instructions per consultation, (a) the stock durable-rules host against (b) this engine's full
consultation, counted by valgrind (callgrind): a figure a shared, noisy machine cannot move.

Wall-clock ratios from ``benchmarks.bench_engine`` swing by ±15 % on a 2-core VM whose
neighbours come and go; the number of instructions each path executes does not. Each path runs
in a fresh process twice — generating ``--cases`` cases both times, consulting none of them
and all of them — and the difference, divided by the cases, is the cost of one consultation
without the process start, the rule-base load and the making of the test cases.
Instructions are not time (C and interpreted Python retire them at different rates), so this
complements the wall-clock benchmark rather than replacing it.

    .venv/bin/python -m benchmarks.bench_instructions [--cases 150]

Needs ``valgrind`` (Debian package ``valgrind``); takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys
from benchmarks.bench_engine import project_path, stock_path
from benchmarks.cases import generate_cases
from engine import default_engine
path, count, made = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = stock_path(default_engine().compiled) if path == "a" else project_path()
run(generate_cases(1, seed=3)[0])  # first-use work outside the count
cases = generate_cases(made)  # made alike with and without consultations: outside the count
for case in cases[:count]:
    run(case)
"""


def instructions(path: str, count: int, made: int) -> int:
    """Instructions callgrind counts for one process that generates ``made`` cases and runs
    ``count`` consultations."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                "-c",
                CHILD,
                path,
                str(count),
                str(made),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_consultation(path: str, count: int) -> float:
    """Both processes generate the same cases, so the difference is the consultations alone:
    generating a case (≈ 3 M instructions) is no part of either path's cost."""
    return (instructions(path, count, count) - instructions(path, 0, count)) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=150)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    stock = per_consultation("a", args.cases)
    ours = per_consultation("b", args.cases)
    print(f"{args.cases} generated cases (every section), instructions per consultation:")
    print(f"(a) stock durable-rules host, no trace    {stock / 1e6:8.2f} M")
    print(f"(b) full consultation                     {ours / 1e6:8.2f} M")
    print(f"ratio a/b: {stock / ours:.2f}x")


if __name__ == "__main__":
    main()
