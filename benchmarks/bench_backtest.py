"""The credit back-test over the audit store: its time and peak memory on a large store.

    .venv/bin/python -m benchmarks.bench_backtest [--consultations 1000000] [--db URL]
        [--real 300] [--seed 5] [--reuse]

Builds a SQLite audit store of N credit consultations with outcomes (in a temporary folder, or
at ``--db``, a SQLite URL whose file must not exist yet; ``--reuse`` times the store at ``--db``
as it is, building nothing) and times ``sales-expert backtest --db URL --json`` on it.

What is real and what is synthesized:

* ``--real`` generated cases (``benchmarks/cases.py``, customer and credit sections) are
  consulted for real by the shipped engine and recorded with ``record_consultations``.
* The other consultations are COPIES of those real records (their credit-deciding ones, in
  turn): the same ``modules``, ``rules``, ``decision``, rule-base version and payload (the
  payload, so the case inside it, is the template's verbatim); what varies is the
  ``customer_id`` column (``BK-0000001``…) and the channel (batch, api, ui, cli in turn).
* Each consultation gets one credit outcome, drawn (seeded) with a probability of going bad
  that rises with the template's risk score: paid on time, paid 20 or 120 days late, defaulted
  or written off; 1 % get a wrong outcome first and then a correction (``corrects``) naming it.
  Outcome records are built by ``engine.outcomes.records.outcome_row`` (fingerprint included).
* Every record, copy or not, goes through ``AuditStore._append`` inside ``AuditStore._write``,
  the path every record takes: ids, the hash chain and the HMAC are real, and ``audit verify``
  passes on the result. Records are appended ``CHUNK`` at a time, one transaction each; every
  record carries the time it was appended (all on the day of the build).

The back-test is timed twice, each in a fresh process: the command as a user runs it (wall
time and the process's peak memory, max RSS), then its parts (``_child``: the counts, the
streamed query folded case by case, the figures and within them the bootstrap of the AUC's
interval). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks.cases import generate_cases
from engine.audit.records import CHANNELS
from engine.audit.store import AuditStore
from engine.outcomes.model import Outcome
from engine.outcomes.records import Who, outcome_row
from engine.shared import default_engine
from knowledge_base.facts import Case

CHUNK = 5000
"""Consultations appended per transaction (with their outcomes, in the next one)."""
CORRECTED_SHARE = 0.01
COPY_CHANNELS = tuple(c for c in CHANNELS if c in ("batch", "api", "ui", "cli"))
COPIED: tuple[str, ...] = ("kind", "actor", "role", "modules", "rules", "decision", "override")
COPIED += ("ref_id", "ruleset_version", "product_version", "payload", "batch_ref")
WHO = Who("bench", "manager", "batch")
KINDS: dict[str, dict[str, Any]] = {
    "paid_on_time": {},
    "paid_late": {"days_late": 20},
    "paid_late_long": {"outcome": "paid_late", "days_late": 120},
    "defaulted": {},
    "written_off": {"amount_lost": 5000},
}


@dataclass
class Built:
    """What a build made, how long it took and the size of the files (database and WAL)."""

    consultations: int
    outcomes: int
    seconds: float
    size_mb: float


def _outcome(kind: str, corrects: int | None = None) -> Outcome:
    """An outcome of ``kind`` observed today (its link is the record's, not this field)."""
    data: dict[str, Any] = {"consultation_id": 1, "module": "credit", "outcome": kind}
    data |= {"observed_at": date.today().isoformat(), **KINDS[kind], "corrects": corrects}
    return Outcome.model_validate(data)


def _risk_score(payload: str) -> float:
    conclusions = json.loads(payload)["result"]["conclusions"]
    return float(next(c["value"] for c in conclusions if c["topic"] == "risk_score"))


def bad_shares(scores: list[float]) -> list[float]:
    """Each template's chance of going bad: from 2 % at the lowest risk score to 40 % at the
    highest (logistic in between), so that the back-test has something to rank."""
    low, high = min(scores), max(scores)
    spread = [(s - low) / (high - low) if high > low else 0.5 for s in scores]
    return [1 / (1 + math.exp(3.9 - 3.5 * x)) for x in spread]


def real_templates(store: AuditStore, count: int, seed: int) -> list[dict[str, Any]]:
    """Consult ``count`` generated cases for real, record them; the credit-deciding records."""
    engine = default_engine()
    cases = generate_cases(count, seed=seed, sections=("customer", "credit"))
    consulted = [(engine.consult(c, what_if=False), Case.model_validate(c)) for c in cases]
    stored = store.record_consultations(consulted, engine.compiled, "bench", "rep", "batch")
    return [row for row in stored if row["decision"] is not None]


def copy_row(templates: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """Consultation ``index``: its template's columns, its own customer id and channel."""
    row = {key: templates[index % len(templates)][key] for key in COPIED}
    return row | {"customer_id": f"BK-{index:07d}", "channel": COPY_CHANNELS[index % 4]}


def _kind(bad: bool, rng: random.Random) -> str:
    if bad:
        return rng.choice(("defaulted", "written_off", "paid_late_long"))
    return rng.choice(("paid_on_time", "paid_on_time", "paid_late"))


def record_outcomes(
    store: AuditStore, consultations: list[dict[str, Any]], shares: list[float], rng: random.Random
) -> int:
    """One outcome per consultation, a share of them wrong and then corrected; how many."""
    rows, corrected = [], []
    for row, share in zip(consultations, shares, strict=True):
        kind = _kind(rng.random() < share, rng)
        if rng.random() < CORRECTED_SHARE:
            corrected.append((row, kind))
            kind = "defaulted" if kind in ("paid_on_time", "paid_late") else "paid_on_time"
        rows.append(outcome_row(_outcome(kind), SimpleNamespace(**row), WHO, None))
    first = {r["ref_id"]: r["id"] for r in _append(store, rows)}
    fixes = [
        outcome_row(_outcome(kind, first[row["id"]]), SimpleNamespace(**row), WHO, None)
        for row, kind in corrected
    ]
    return len(rows) + len(_append(store, fixes))


def _append(store: AuditStore, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The store's own append path: one transaction under the append lock, chained, signed."""
    if not rows:
        return []
    with store._write() as conn:
        return store._append(conn, rows)


def build(url: str, consultations: int, real: int, seed: int) -> Built:
    """The store of the module docstring; what it holds and how long it took."""
    started, rng, outcomes = time.perf_counter(), random.Random(seed), 0
    with AuditStore(url) as store:
        templates = real_templates(store, real, seed)
        shares = bad_shares([_risk_score(t["payload"]) for t in templates])
        for start in range(0, consultations, CHUNK):
            end = min(start + CHUNK, consultations)
            fresh = [copy_row(templates, i) for i in range(max(start, len(templates)), end)]
            stored = templates[start:end] + _append(store, fresh)
            chances = [shares[i % len(templates)] for i in range(start, end)]
            outcomes += record_outcomes(store, stored, chances, rng)
            _progress(end, consultations, started)
    size = sum(p.stat().st_size for p in Path(sqlite_path(url)).parent.glob("*.db*"))
    return Built(consultations, outcomes, time.perf_counter() - started, size / 2**20)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _progress(done: int, total: int, started: float) -> None:
    if done % (20 * CHUNK) == 0 or done == total:
        rate = done / (time.perf_counter() - started)
        print(f"  built {done:,} / {total:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)


def _child(url: str) -> None:
    """In a fresh process: the back-test's parts as the CLI runs them, timed (the bootstrap of
    the AUC's interval on its own: it is most of the figures' time), and the peak RSS."""
    from engine.backtest import credit, metrics
    from engine.backtest.store import Selection, _counts, _modules, reading, stream_cases

    spent = {"bootstrap_s": 0.0}
    bootstrap = metrics.bootstrap_auc

    def timed_bootstrap(*args: Any, **kwargs: Any) -> tuple[float, float] | None:
        begin = time.perf_counter()
        try:
            return bootstrap(*args, **kwargs)
        finally:
            spent["bootstrap_s"] += time.perf_counter() - begin

    metrics.bootstrap_auc = timed_bootstrap  # a timer around it: the same results
    started = time.perf_counter()
    with AuditStore(url) as store:
        versions: set[str] = set()
        with reading(store) as conn:
            _counts(conn, Selection())
            counted = time.perf_counter()
            tally = credit.fold(stream_cases(conn, Selection(), versions))
        streamed = time.perf_counter()
        out = credit.figures(tally, 5.0, 1.0, _modules(store, versions))
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    spent |= {"counts_s": counted - started, "stream_s": streamed - counted}
    spent |= {"figures_s": done - streamed, "total_s": done - started, "peak_rss_mb": peak}
    print(json.dumps(spent | {key: out[key] for key in ("n", "bad", "auc", "ks", "auc_ci")}))


def measure(url: str) -> dict[str, Any]:
    """``_child`` in a fresh interpreter: its report."""
    code = f"from benchmarks.bench_backtest import _child; _child({url!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def cli_run(url: str) -> tuple[float, float]:
    """``sales-expert backtest --db URL --json`` as a user runs it: seconds and max RSS (MB)."""
    args = [sys.executable, "-m", "engine.cli", "backtest", "--db", url, "--json"]
    started = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--consultations", type=int, default=1_000_000)
    parser.add_argument("--db", help="SQLite URL to build (a new file; default: a temporary one)")
    parser.add_argument("--real", type=int, default=300, help="cases consulted for real")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="time the --db store, build nothing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"sqlite:///{Path(folder) / 'audit.db'}"
        if not args.reuse:
            built = build(url, args.consultations, args.real, args.seed)
            print(
                f"built {built.consultations:,} credit consultations with "
                f"{built.outcomes:,} outcome records in {built.seconds:,.0f} s "
                f"({built.size_mb:,.0f} MB on disk)"
            )
        seconds, peak = cli_run(url)  # the first child: RUSAGE_CHILDREN is its own peak
        report = measure(url)
    print(f"`sales-expert backtest --db … --json`: {seconds:.1f} s, peak RSS {peak:,.0f} MB")
    print(
        f"  in-process breakdown: counts {report['counts_s']:.1f} s, streamed query and fold "
        f"{report['stream_s']:.1f} s, figures {report['figures_s']:.1f} s (of which the AUC "
        f"bootstrap {report['bootstrap_s']:.1f} s), total {report['total_s']:.1f} s, "
        f"peak RSS {report['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"  {report['n']:,} consultations with outcomes, {report['bad']:,} bad; "
        f"AUC {report['auc']:.3f}, KS {report['ks']:.3f}"
    )


if __name__ == "__main__":
    main()
