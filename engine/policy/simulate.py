"""Champion against challenger: a customer book through today's policy and a changed one.

``simulate(book, change, …)`` runs every row of an input book (as ``sales-expert batch`` reads
it: CSV or Parquet, ``section.field`` columns, bad rows counted, never fatal) through today's
policy (the champion: the live policy's ``PolicyChange`` when one is published, else the
shipped rule base) and through the rule base under a ``PolicyChange`` (the challenger), and
returns what would change (``tally``: per topic, per policy; ``outcomes``: with an outcomes
file, the bad rate and cost under each).

It is the batch machinery (``engine.batch.runner``): chunks of rows go to worker processes in
order (``chunk_pool``: this machine's, or a Dask cluster's with ``cluster``, as ``sales-expert
batch --cluster`` runs them), each job carries the change itself (plain, picklable data) and the
worker builds the challenger engine from it (cached per process; a forked worker inherits the
parent's, which the parent builds first so that a refused change stops the run before any row).
Nothing is recorded, so a cluster's workers need the product alone, not the audit database.
Each compared row comes back as a few values per policy and is folded into the figures at once:
memory holds at most two windows of rows, never the book. Rows that fail validation (or either
policy) are counted and their problems go to the errors file, as the batch writes them.

Both policies are run with inference only (no explanation, about 2.5 times cheaper than a full
consultation); a worker explains, by a full consultation under both policies, only the first
changed rows of its chunk that may still enter the sample (the first ``SAMPLE_ROWS`` changed
rows of the book): a job carries how many places the sample still had when it was made, so
once the sample is full (after the first windows, on a book of any size) nothing more is
explained.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.backtest.credit import DEFAULT_COST_BAD, DEFAULT_COST_GOOD_REJECTED
from engine.batch.cluster import cluster_address_ok
from engine.batch.mapping import ERROR_HEADER, row_to_case
from engine.batch.paths import same_file
from engine.batch.runner import batched, chunk_pool, error_rows, row_problems
from engine.batch.table import Journal, Row, count_rows, read_rows
from engine.calibrate.apply import engine_with
from engine.calibrate.book import refuse
from engine.core import Engine
from engine.errors import SalesExpertError, excerpt
from engine.intake import parse_case
from engine.policy.change import PolicyChange
from engine.policy.outcomes import OutcomeJoin
from engine.policy.tally import COMPARED, SAMPLE_ROWS, Answers, Compared, Reason, Tally
from knowledge_base.facts import Case

CHUNK_ROWS = 200
"""Rows per worker job, as the batch's default."""
CONSULTATION_COLUMN = "consultation_id"
"""A book column that is not an input field: the recorded consultation a row reproduces, by
which an outcome may name it (``engine.policy.outcomes``)."""
Job = tuple[PolicyChange, PolicyChange, str, list[tuple[int, Row]], int]
"""(the champion's and the challenger's change, the language, the rows with their numbers, how
many changed rows to explain)."""
SHIPPED = PolicyChange()
"""The champion when nothing is published: the shipped rule base."""
Progress = Callable[[int, int], None]
"""``on_progress(rows done, rows in the book)``, after every window of chunks."""


def challenger_engine(change: PolicyChange, lang: str = "en") -> Engine:
    """The engine of the challenger: built once per process and change (``engine_with``)."""
    return engine_with(change.values, change.rules_off, lang=lang)


def _answers(engine: Engine, case: Case) -> Answers:
    found = engine.infer(case, trace=False).one_valued
    return tuple(found[topic].value if topic in found else None for topic in COMPARED)


def _reasons(engine: Engine, case: Case, lang: str) -> list[Reason]:
    """The principal reasons of the credit decision, as a full consultation gives them."""
    decision = engine.consult(case, lang=lang, what_if=False).conclusion("credit_decision")
    found = decision.details.get("reasons", []) if decision is not None else []
    return [{"rule": str(r.get("rule", "")), "text": str(r.get("text", ""))} for r in found]


def _consultation(value: object) -> int | None:
    """A book's consultation id cell as the outcome model types it (a record id), or None."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def compare_row(
    number: int, row: Row, engines: tuple[Engine, Engine], lang: str
) -> tuple[Compared, Case | None]:
    """One row under both policies; a row either policy cannot run carries its problems."""
    row = dict(row)
    consultation = _consultation(row.pop(CONSULTATION_COLUMN, None))
    customer = str(row.get("customer.id") or "")
    head = (number, customer, consultation)
    try:
        case = parse_case(row_to_case(row), lang)
    except SalesExpertError as exc:
        return Compared(*head, None, None, problems=row_problems(exc)), None
    answers: list[Answers] = []
    for where, engine in zip(("(champion)", "(challenger)"), engines, strict=True):
        try:
            answers.append(_answers(engine, case))
        except SalesExpertError as exc:
            return Compared(*head, None, None, problems=row_problems(exc, where)), None
    return Compared(*head, answers[0], answers[1]), case


def compare_chunk(job: Job) -> list[Compared]:
    """Worker: compare every row of a chunk; explain its first changed rows (the sample)."""
    champion, change, lang, rows, explain = job
    engines = (challenger_engine(champion, lang), challenger_engine(change, lang))
    out: list[Compared] = []
    explained = 0
    for number, row in rows:
        compared, case = compare_row(number, row, engines, lang)
        if case is not None and compared.changed and explained < explain:
            both = (_reasons(engines[0], case, lang), _reasons(engines[1], case, lang))
            compared = compared._replace(reasons=both)
            explained += 1
        out.append(compared)
    return out


def _wanted(tally: Tally) -> int:
    """How many changed rows a job made now must explain: the sample's empty places. A job's
    rows come after every row already folded, so its changed rows that make the sample are its
    first ones, and never more than the places empty when it was made."""
    return SAMPLE_ROWS - len(tally.sample)


def _check_files(book: Path, outcomes: Path | None, errors: Path | None, lang: str) -> None:
    """The book exists; the errors file is neither the book nor the outcomes file, nor a
    folder (it is truncated before the first row is read)."""
    if not book.is_file():
        key = "policy_simulate.error.no_such_file"
        raise refuse("--book", key, lang, option="--book", path=str(book))
    if errors is None:
        return
    if errors.is_dir():
        raise refuse("--errors", "policy_simulate.error.is_directory", lang, path=str(errors))
    for option, path in (("--book", book), ("--outcomes", outcomes)):
        if path is not None and same_file(errors, path):
            key = "policy_simulate.error.same_file"
            raise refuse("--errors", key, lang, option=option, path=str(errors))


def check_cluster_option(cluster: str | None, lang: str) -> None:
    """A ``--cluster`` address as ``sales-expert batch`` takes it (``cluster_address_ok``: ``local``
    or ``dask://HOST:PORT``), refused in the request's language before anything runs."""
    if cluster is not None and not cluster_address_ok(cluster):
        key = "policy_simulate.error.cluster"
        raise refuse("--cluster", key, lang, value=excerpt(cluster))


def _run(
    book: Path,
    jobs: Iterator[Job],
    workers: tuple[int, str | None],
    sinks: tuple[Tally, OutcomeJoin | None, Journal | None],
    on_progress: Progress | None,
) -> None:
    """Every row compared by the workers (``workers``: how many, and the cluster or None), in
    book order, folded as it comes back."""
    tally, join, journal = sinks
    total = count_rows(book)
    if on_progress is not None:
        on_progress(0, total)  # the clock of a progress line starts now, not after a window
    with chunk_pool(workers[0], compare_chunk, workers[1]) as pool:
        for window in pool.windows(batched(jobs, max(1, workers[0]) * 4)):
            lines: list[list[Any]] = []
            for chunk in window:
                for compared in chunk:
                    tally.add(compared)
                    if join is not None:
                        join.see(compared)
                    if compared.problems:
                        lines += error_rows(compared.row, compared.problems)
            if journal is not None:
                journal.append(lines)
            if on_progress is not None:
                on_progress(tally.rows_in, max(total, tally.rows_in))


def simulate(
    book: Path,
    change: PolicyChange,
    outcomes: Path | None = None,
    lang: str = "en",
    workers: int = 1,
    on_progress: Progress | None = None,
    *,
    errors: Path | None = None,
    cost_bad: float = DEFAULT_COST_BAD,
    cost_good_rejected: float = DEFAULT_COST_GOOD_REJECTED,
    chunk_rows: int = CHUNK_ROWS,
    champion_change: PolicyChange = SHIPPED,
    cluster: str | None = None,
) -> dict[str, Any]:
    """The simulation's report (the JSON of ``sales-expert policy simulate --json``).

    ``errors``: the file the failed rows' problems are written to (None: counted only). A bad
    request (a missing file, a refused change, an unreadable outcomes file) raises an
    ``InputError`` naming it before any row is run. ``champion_change``: today's policy (the
    live one, ``engine.policy.live``), the shipped rule base by default. ``cluster``: ``local``
    or ``dask://HOST:PORT`` to run the chunks on Dask (``workers``: a local cluster's processes),
    None for this machine's worker processes; the report is the same either way."""
    started = time.monotonic()
    check_cluster_option(cluster, lang)
    _check_files(book, outcomes, errors, lang)
    change.check(lang)
    champion = challenger_engine(champion_change, lang)
    challenger = challenger_engine(change, lang)
    join = OutcomeJoin.read(outcomes, lang) if outcomes is not None else None
    tally = Tally()
    journal = Journal(errors, ERROR_HEADER, None) if errors is not None else None
    chunks = batched(read_rows(book), max(1, chunk_rows))
    # made as the pool asks for them: once the sample is full, no job explains anything
    jobs: Iterator[Job] = (
        (champion_change, change, lang, chunk, _wanted(tally)) for chunk in chunks
    )
    try:
        _run(book, jobs, (workers, cluster), (tally, join, journal), on_progress)
    finally:
        if journal is not None:
            journal.close()
    versions = {"champion": champion.version, "challenger": challenger.version}
    report: dict[str, Any] = {"book": str(book), "lang": lang, "versions": versions}
    report["change"] = change.as_json()
    report["champion_change"] = champion_change.as_json()
    report |= tally.figures() | {"errors_file": None if errors is None else str(errors)}
    report["outcomes"] = join.figures(cost_bad, cost_good_rejected) if join else None
    return report | {"seconds": round(time.monotonic() - started, 3)}


__all__ = [
    "Job",
    "challenger_engine",
    "check_cluster_option",
    "compare_chunk",
    "compare_row",
    "simulate",
]
