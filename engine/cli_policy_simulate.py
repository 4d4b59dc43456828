"""``sales-expert policy simulate``: what a policy change would change on a customer book.

    policy simulate (--overlay FILE | DRAFT) (--book BOOK | --from DATE --to DATE [--channel CH])
                    [--outcomes FILE] [--workers N] [--cluster ADDRESS] [--chunk-rows N]
                    [--json] [--lang zh]
                    [--cost-bad X --cost-good-rejected Y] [--errors FILE]

Runs every row of BOOK (an input book as `sales-expert batch` reads it: CSV or Parquet) through
today's policy (the champion) and through the changed one (the challenger): today's rule base
with the parameter values of an overlay FILE (`sales-expert calibrate --out`) or of a DRAFT of
the policy workbench, and its rules switched off. Prints, per topic, the migration of answers
(from → to counts) and the share that changed; the approval rate and total recommended limit
under each policy; with an outcomes FILE (as `sales-expert backtest --book` reads it, linked to
the book's rows by customer id, or by a `consultation_id` column of the book), the bad rate
among approved and the cost under each; and the first changed rows with both policies'
principal reasons. Rows that fail are counted and listed in the errors file (default:
BOOK.simulate-errors.csv). Instead of a book, --from/--to (and --channel) take the consultations
recorded in the audit database in that period (``engine.policy.recorded``), each row linked to
its record by ``consultation_id`` (errors default: recorded.simulate-errors.csv). Nothing is
recorded. With --cluster (`local`: a Dask LocalCluster of --workers processes here;
dask://HOST:PORT: a running scheduler, whose workers run this product at the same version), the
chunks (--chunk-rows rows each, 200 by default) run on Dask, as `sales-expert batch --cluster`
runs them; the report is the same. Exit 2 on a bad request, naming the option or file, the
value and what is allowed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from engine.audit.config import sqlite_file
from engine.audit.errors import AuditRequestError
from engine.audit.records import CHANNELS
from engine.backtest.credit import DEFAULT_COST_BAD, DEFAULT_COST_GOOD_REJECTED, refuse_option
from engine.backtest.store import Selection
from engine.batch.progress import Progress
from engine.calibrate.book import refuse
from engine.cli_backtest import option_day
from engine.errors import InputError, excerpt
from engine.policy.change import PolicyChange
from engine.policy.drafts import load_change, open_store
from engine.policy.live import live_change
from engine.policy.recorded import recorded_label, write_recorded_book
from engine.policy.simulate import CHUNK_ROWS, check_cluster_option, simulate
from engine.policy.simulate_text import render
from knowledge_base import load_knowledge

EXIT_INPUT = 2
MAX_WORKERS = 64
"""Most worker processes asked for: a typo (``--workers 400``) must not fork hundreds."""
MAX_CHUNK_ROWS = 10_000
"""Most rows per worker job: a window holds four jobs per worker, and two windows are held."""


def add_simulate(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simulate`` to the sub-commands of ``sales-expert policy``."""
    p = subs.add_parser(
        "simulate",
        help="Run a book through today's policy and a changed one; report what would change.",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("draft", nargs="?", metavar="DRAFT", help="a draft of the policy workbench")
    p.add_argument("--overlay", metavar="FILE", help="parameter overlay file (instead of DRAFT)")
    p.add_argument("--db", metavar="URL", help="audit database of the DRAFT (default: configured)")
    p.add_argument("--book", help="input book (CSV or Parquet), as `sales-expert batch` reads it")
    p.add_argument("--from", dest="since", metavar="DATE", help="recorded on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="until", metavar="DATE", help="recorded on or before (YYYY-MM-DD)")
    p.add_argument("--channel", choices=CHANNELS, help="recorded through this channel only")
    p.add_argument("--outcomes", metavar="FILE", help="outcomes file (CSV or Parquet)")
    p.add_argument("--workers", help="worker processes (default: all cores)")
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on Dask: `local` (a LocalCluster of --workers processes here) or "
        "dask://HOST:PORT (a running scheduler; the rows go to its workers through it)",
    )
    p.add_argument(
        "--chunk-rows", metavar="N", help=f"rows per worker task (default: {CHUNK_ROWS})"
    )
    p.add_argument(
        "--errors", metavar="FILE", help="errors file (default: BOOK.simulate-errors.csv)"
    )
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument(
        "--cost-bad",
        default=str(DEFAULT_COST_BAD),
        help="cost of approving a customer who goes bad (default %(default)s)",
    )
    p.add_argument(
        "--cost-good-rejected",
        default=str(DEFAULT_COST_GOOD_REJECTED),
        help="cost of not approving a customer who would have paid (default %(default)s)",
    )
    p.set_defaults(func=cmd_simulate)


def _whole(option: str, value: str | None, most: int, lang: str) -> int | None:
    """``--workers``, ``--chunk-rows``: a whole number from 1 to ``most``, None if not given;
    refused with the text named after the option (``policy_simulate.error.chunk_rows``)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit() and 1 <= int(text) <= most:
        return int(text)
    key = "policy_simulate.error." + option.removeprefix("--").replace("-", "_")
    raise refuse(option, key, lang, value=excerpt(value, quoted=False), max=most)


def _sizes(args: argparse.Namespace, lang: str) -> tuple[int, int]:
    """(worker processes, rows per worker job): ``--workers`` (default: all cores) and
    ``--chunk-rows`` (default: the batch's chunk)."""
    workers = _whole("--workers", args.workers, MAX_WORKERS, lang)
    chunk_rows = _whole("--chunk-rows", args.chunk_rows, MAX_CHUNK_ROWS, lang)
    return workers or min(os.cpu_count() or 1, MAX_WORKERS), chunk_rows or CHUNK_ROWS


def _cost(option: str, value: str, lang: str) -> float:
    """A cost as ``sales-expert backtest`` takes it: a finite number, 0 or more."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise refuse_option(option, "bad_cost", lang, value=excerpt(value, quoted=False))
    return number


def _draft_change(name: str, url: str | None, lang: str) -> PolicyChange:
    """A draft's change, read from the audit database (``engine.policy.drafts``), named in the
    report in the command's language."""
    missing = sqlite_file(url) if url else None
    if missing is not None and not missing.is_file():  # reading a draft creates no database
        raise refuse("--db", "policy_simulate.error.no_database", lang, value=url)
    change = load_change(name, lang, url)
    source = load_knowledge().text("policy_simulate.draft_source", lang, name=name)
    return dataclasses.replace(change, source=source)


def _change(args: argparse.Namespace, lang: str) -> PolicyChange:
    """The challenger's change: an overlay file or a draft, exactly one of them."""
    if args.overlay is not None and args.draft is not None:
        raise refuse("--overlay, DRAFT", "policy_simulate.error.source_both", lang)
    if args.overlay is not None:
        overlay = Path(args.overlay)
        if not overlay.is_file():
            key = "policy_simulate.error.no_such_file"
            raise refuse("--overlay", key, lang, option="--overlay", path=args.overlay)
        return PolicyChange.from_overlay(overlay, lang)
    if args.draft is not None:
        return _draft_change(args.draft, args.db, lang)
    raise refuse("--overlay, DRAFT", "policy_simulate.error.source_none", lang)


class ProgressLine:
    """``on_progress`` of the simulation: a progress line on standard error, as ``sales-expert
    batch`` draws it (started at the first report, when the book's size is known)."""

    def __init__(self) -> None:
        self._line: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._line is None:
            self._line = Progress(total)
        self._line.total = total
        self._line.update(done)

    def finish(self) -> None:
        if self._line is not None:
            self._line.finish()


def _period(args: argparse.Namespace, lang: str) -> Selection | None:
    """The recorded consultations to run instead of a book, or None (a book is given)."""
    if args.since is None and args.until is None and args.channel is None:
        if not args.book:
            raise refuse("--book", "policy_simulate.error.no_book", lang)
        return None
    if args.book:
        raise refuse("--book, --from", "policy_simulate.error.book_and_period", lang)
    since, until = option_day("--from", args.since, lang), option_day("--to", args.until, lang)
    if since is not None and until is not None and since > until:
        raise refuse_option("--from", "period_reversed", lang, since=since, until=until)
    return Selection(since, until, args.channel)


def _run(args: argparse.Namespace, lang: str) -> str:
    """Check the request, simulate, and return what to print."""
    check_cluster_option(args.cluster, lang)  # before a period's consultations are read
    period = _period(args, lang)
    if period is None:
        return _simulate(args, Path(args.book), lang)
    with tempfile.TemporaryDirectory(prefix="sales-expert-recorded-") as folder:
        book = Path(folder) / "recorded.csv"
        with open_store(args.db) as store:
            count = write_recorded_book(store, period, book)
        described = recorded_label(period, count, load_knowledge(), lang)
        return _simulate(args, book, lang, (described, period.as_json() | {"rows": count}))


def _errors_file(args: argparse.Namespace, book: Path, recorded: bool) -> Path:
    """``--errors``, or beside the book (in the working folder for recorded consultations,
    whose book is a temporary file)."""
    if args.errors:
        return Path(args.errors)
    if recorded:
        return Path("recorded.simulate-errors.csv")
    return book.with_name(book.name + ".simulate-errors.csv")


def _simulate(
    args: argparse.Namespace, book: Path, lang: str, recorded: tuple[str, object] | None = None
) -> str:
    """Simulate over ``book`` (a file, or the recorded consultations written as one)."""
    workers, chunk_rows = _sizes(args, lang)
    cost_bad = _cost("--cost-bad", args.cost_bad, lang)
    cost_good_rejected = _cost("--cost-good-rejected", args.cost_good_rejected, lang)
    outcomes = Path(args.outcomes) if args.outcomes else None
    if outcomes is not None and not outcomes.is_file():
        key = "policy_simulate.error.no_such_file"
        raise refuse("--outcomes", key, lang, option="--outcomes", path=args.outcomes)
    change, champion = _change(args, lang), live_change(args.db)
    if args.overlay is not None:  # an overlay's values apply over today's policy
        values = {**champion.values, **change.values}
        change = dataclasses.replace(change, values=values, rules_off=champion.rules_off)
    errors = _errors_file(args, book, recorded is not None)
    progress = ProgressLine()
    report = simulate(
        book,
        change,
        outcomes,
        lang,
        workers,
        progress,
        errors=errors,
        cost_bad=cost_bad,
        cost_good_rejected=cost_good_rejected,
        chunk_rows=chunk_rows,
        champion_change=champion,
        cluster=args.cluster,
    )
    progress.finish()
    if recorded is not None:
        report["book"], report["recorded"] = recorded
    if args.json:
        return json.dumps(report, ensure_ascii=False, indent=2)
    return render(report, lang)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate and print; a bad request prints its message and exits 2 (also when called
    by a parser other than ``sales-expert``'s, whose ``main`` does the same)."""
    try:
        text = _run(args, args.lang)
    except (InputError, AuditRequestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(text)
    return 0


__all__ = ["add_simulate", "cmd_simulate"]
