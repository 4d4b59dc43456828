"""``sales-expert batch``: a whole customer book through the engine, resumable and in order.

Rows are consulted in chunks by worker processes (durable-rules never releases the GIL, so
parallelism means processes) and written in input order. After every window of chunks the
output and errors journals are flushed and a checkpoint records how far they are valid; a run
that is killed and started again with the same command cuts the journals back to the
checkpoint and continues after the last recorded row, so the final output equals an
uninterrupted run's. Bad rows never stop the run: each problem goes to the errors file.

A run is identified by its key: a hash of the whole input file (``table.fingerprint``), the
language, the rule-base version and the options that change results. An edited book has another
key, so it never resumes on the old book's rows nor reports "already complete" (and its rows
are recorded in the audit trail, whose batch references are the key and the row number). Before
anything is opened, the output files are checked to be other files than the input and than each
other (``paths``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

from engine.audit.config import load_settings
from engine.audit.recording import shared_store
from engine.batch.checkpoint import Checkpoint, load_checkpoint
from engine.batch.cluster import ClusterPool
from engine.batch.mapping import (
    ERROR_HEADER,
    OUTPUT_COLUMNS,
    OUTPUT_HEADER,
    result_cells,
    row_to_case,
)
from engine.batch.paths import check_files
from engine.batch.progress import Progress
from engine.batch.table import (
    Journal,
    Row,
    count_rows,
    fingerprint,
    is_parquet,
    journal_to_parquet,
    read_rows,
)
from engine.core import Engine
from engine.errors import InputError, SalesExpertError, excerpt
from engine.intake import parse_case
from engine.result import Result
from engine.shared import default_engine
from knowledge_base.facts import Case

T = TypeVar("T")
J = TypeVar("J")
R = TypeVar("R")
ERROR_VALUE_CHARS = 200
"""Most characters of a rejected value the errors file quotes."""
Problem = tuple[str, Any, str]
"""(field, value as the errors file quotes it, message): one line of the errors file."""
Outcome = tuple[int, str, str, list[Any] | None, list[Problem] | None]
"""(row, consultation id, customer id, output cells or None, problems or None)."""


@dataclass(frozen=True)
class BatchOptions:
    input: Path
    out: Path
    errors: Path | None = None
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    lang: str = "en"
    chunk_rows: int = 200
    restart: bool = False
    actor: str | None = None
    """Who runs the batch, for the audit trail (default: the settings' actor)."""
    role: str | None = None
    """None: the settings' role (a claimed one is proved by the front end first)."""
    record: bool | None = None
    """Record every row's consultation (default: the settings, i.e. on)."""
    what_if: bool = False
    """Search each row's path to a better answer (``path_to_better`` column): tens of
    re-runs of the rules for a row that has one, so off unless asked."""
    cluster: str | None = None
    """``local`` or ``dask://HOST:PORT``: run the chunks on Dask (``engine.batch.cluster``)."""

    @property
    def errors_path(self) -> Path:
        return self.errors or self.out.with_name(self.out.name + ".errors.csv")

    @property
    def checkpoint_path(self) -> Path:
        return self.out.with_name(self.out.name + ".checkpoint.json")

    @property
    def journal_path(self) -> Path:
        return (
            self.out.with_name(self.out.name + ".journal.csv") if is_parquet(self.out) else self.out
        )


@dataclass(frozen=True)
class Summary:
    rows_in: int
    ok: int
    failed: int
    seconds: float
    resumed_at: int
    already_complete: bool = False


RUN_KEY_HEX = 32
"""128 bits: a book edited on purpose to take another book's key (and so its checkpoint and
its rows' audit references) would need about 2**128 tries; 12 hex digits took 2**48."""


Policy = tuple[tuple[tuple[str, float], ...], tuple[str, ...]]
"""The policy a run consults under: its parameter values and switched-off rules (both empty:
the shipped rule base). A run takes the live policy (``engine.policy.live``) once, when it
starts, so every row of a run is decided under one rule-base version."""
SHIPPED: Policy = ((), ())


def live_run_policy() -> Policy:
    """The live policy of the configured audit database, as a run carries it to its workers."""
    from engine.policy.live import configured_store, live_policy  # the audit trail when used

    store = configured_store()
    if store is None:
        return SHIPPED
    live = live_policy(store)
    return tuple(sorted(live.values.items())), tuple(sorted(live.rules_off))


def policy_engine(policy: Policy) -> Engine:
    """The engine of a run's policy, built once per process (``engine_with`` caches it)."""
    if policy == SHIPPED:
        return default_engine()
    from engine.calibrate.apply import engine_with

    values, rules_off = policy
    return engine_with(dict(values), rules_off)


def run_key(options: BatchOptions, policy: Policy = SHIPPED) -> str:
    """Same input bytes, options and rule base → same key (and same consultation ids)."""
    identity = [fingerprint(options.input), options.lang, policy_engine(policy).version]
    if options.what_if:  # other results: another run (a run without it keeps its old key)
        identity.append("what-if")
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:RUN_KEY_HEX]


@dataclass(frozen=True)
class Recording:
    """How a worker records its rows in the audit trail."""

    actor: str
    role: str


def _record(
    key: str, recording: Recording, consulted: list[tuple[int, Result, Case]], engine: Engine
) -> dict[int, str]:
    """Record a chunk in one transaction (rows recorded before a crash are skipped); the
    audit record id of every row, for the output's consultation_id column."""
    store = shared_store(load_settings())
    refs = [f"{key}:{number}" for number, _, _ in consulted]
    store.record_consultations(
        [(r, c) for _, r, c in consulted],
        engine.compiled,
        recording.actor,
        recording.role,
        "batch",
        batch_refs=refs,
    )
    ids = store.batch_ids(refs)
    return {number: str(ids[ref]) for (number, _, _), ref in zip(consulted, refs, strict=True)}


Job = tuple[str, str, "Recording | None", list[tuple[int, Row]], bool, Policy]
"""(run key, language, recording, rows, whether to search the path to a better answer, the
run's policy)."""


def consult_chunk(job: Job) -> list[Outcome]:
    """Worker: consult each row; a bad row becomes its problems, never an exception."""
    key, lang, recording, rows, what_if, policy = job
    engine = policy_engine(policy)
    outcomes: list[Outcome] = []
    consulted: list[tuple[int, Result, Case]] = []
    for number, row in rows:
        consultation_id = f"{key}:{number}"
        customer = str(row.get("customer.id") or "")
        try:
            case = parse_case(row_to_case(row))
            result = engine.consult(case, lang=lang, what_if=what_if)
        except SalesExpertError as exc:
            outcomes.append((number, consultation_id, customer, None, row_problems(exc)))
            continue
        outcomes.append((number, consultation_id, customer, list(result_cells(result, case)), None))
        consulted.append((number, result, case))
    if recording is not None and consulted:
        ids = _record(key, recording, consulted, engine)
        outcomes = [
            (n, ids.get(n, cid), cust, cells, problems)
            for n, cid, cust, cells, problems in outcomes
        ]
    return outcomes


def row_problems(exc: SalesExpertError, where: str = "(engine)") -> list[Problem]:
    """A failed row's lines for the errors file: each input problem with its value cut to an
    excerpt, or the engine's error (its code and message) under ``where``."""
    if isinstance(exc, InputError):
        return [(p.field, _cell_value(p.value), p.message) for p in exc.problems]
    return [(where, None, f"[{exc.code}] {exc}")]


def error_rows(number: int, problems: list[Problem]) -> list[list[Any]]:
    """The errors file's rows (``ERROR_HEADER``) of one failed input row."""
    return [[number, f, "" if v is None else v, m] for f, v, m in problems]


def _cell_value(value: object) -> object:
    """A rejected value as the errors file shows it: a text or list cut to a readable excerpt
    (a 1 MB cell must not make a 1 MB error line), numbers as they are."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return excerpt(value, ERROR_VALUE_CHARS, quoted=False)


def _recording(options: BatchOptions) -> Recording | None:
    settings = load_settings()
    if options.record is False or (options.record is None and not settings.record):
        return None
    return Recording(options.actor or settings.actor, options.role or settings.role)


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last one shorter), taken lazily: chunks and windows of a
    stream that is never held whole."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _warm() -> None:
    default_engine()  # already loaded in a forked worker: the parent's copy


def _start_method() -> str:
    """Fork when this process runs no other thread: the workers inherit the parent's loaded
    and compiled rule base instead of each loading it again (and share its memory). A process
    with threads (the web front end) spawns: forking it could copy a lock some thread holds."""
    forkable = "fork" in multiprocessing.get_all_start_methods()
    return "fork" if forkable and threading.active_count() == 1 else "spawn"


def _load_checkpoint(options: BatchOptions, key: str) -> Checkpoint:
    return load_checkpoint(
        options.checkpoint_path,
        key,
        journals=(options.journal_path, options.errors_path),
        outputs=(options.out, options.errors_path),
        restart=options.restart,
    )


EMPTY_CELLS = [""] * len(OUTPUT_COLUMNS)


def _write(outcomes: list[Outcome], out: Journal, errors: Journal, state: Checkpoint) -> None:
    out_rows: list[list[Any]] = []
    errors_out: list[list[Any]] = []
    for number, consultation_id, customer, cells, problems in outcomes:
        if cells is not None:
            out_rows.append([number, consultation_id, customer, "ok", *cells])
            state.ok += 1
        else:
            out_rows.append([number, consultation_id, customer, "failed", *EMPTY_CELLS])
            errors_out.extend(error_rows(number, problems or []))
            state.failed += 1
    out.append(out_rows)
    errors.append(errors_out)


def run_batch(
    options: BatchOptions,
    stream: TextIO | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Run (or resume) a batch; returns the counts for the summary line. ``on_progress(done,
    total)`` is called after every committed window (the front end's progress bar)."""
    started = time.monotonic()
    check_files(options)
    policy = live_run_policy()
    key = run_key(options, policy)  # builds the policy's engine before any worker forks
    state = _load_checkpoint(options, key)
    if state.complete:
        return Summary(state.rows_done, state.ok, state.failed, 0.0, state.rows_done, True)
    resumed_at = state.rows_done
    out = Journal(options.journal_path, OUTPUT_HEADER, state.out_bytes)
    errors = Journal(options.errors_path, ERROR_HEADER, state.errors_bytes)
    progress = Progress(count_rows(options.input), state.rows_done, stream)
    chunks = batched(read_rows(options.input, skip=state.rows_done), options.chunk_rows)
    recording = _recording(options)
    jobs: Iterator[Job] = (
        (key, options.lang, recording, chunk, options.what_if, policy) for chunk in chunks
    )
    try:
        with chunk_pool(options.workers, consult_chunk, options.cluster) as pool:
            for window in pool.windows(batched(jobs, max(1, options.workers) * 4)):
                for outcomes in window:
                    _write(outcomes, out, errors, state)
                    state.rows_done += len(outcomes)
                state.out_bytes, state.errors_bytes = out.commit(), errors.commit()
                state.save(options.checkpoint_path)
                progress.update(state.rows_done)
                if on_progress is not None:
                    on_progress(state.rows_done, progress.total)
    finally:
        out.close()
        errors.close()
    _finish(options, state)
    progress.finish()
    return Summary(state.rows_done, state.ok, state.failed, time.monotonic() - started, resumed_at)


def _finish(options: BatchOptions, state: Checkpoint) -> None:
    """The Parquet output from the journal, then the checkpoint that vouches for the finished
    files by their sizes (a results file deleted or edited since is not "already complete")."""
    if is_parquet(options.out):
        journal_to_parquet(options.journal_path, options.out, ("row",))
        options.journal_path.unlink()
    state.out_bytes = options.out.stat().st_size
    state.errors_bytes = options.errors_path.stat().st_size
    state.complete = True
    state.save(options.checkpoint_path)


def chunk_pool(
    workers: int, work: Callable[[J], R], cluster: str | None = None
) -> WorkerPool[J, R] | ClusterPool[J, R]:
    """The chunks' workers, one choice for a batch run and a policy simulation: this machine's
    processes, or a Dask cluster at an address ``cluster_address_ok`` has accepted (``ClusterPool``
    loads Dask, so a run without a cluster never does)."""
    if cluster is None:
        return WorkerPool(workers, work)
    return ClusterPool(cluster, work, workers)


class WorkerPool(Generic[J, R]):
    """Runs ``work`` on chunks in order: in this process for one worker, in a process pool for
    more. ``work`` is a module-level function (the pool pickles it by name) that builds what it
    needs in the worker process from the job: ``consult_chunk`` for a batch run, the policy
    simulation's comparison of two policies (``engine.policy.simulate``)."""

    def __init__(self, workers: int, work: Callable[[J], R]) -> None:
        self._work = work
        self._pool: Any = None
        if workers > 1:
            default_engine()  # loaded before forking, so that every worker shares it
            context = multiprocessing.get_context(_start_method())
            self._pool = context.Pool(workers, initializer=_warm)

    def windows(self, windows: Iterator[list[J]]) -> Iterator[list[R]]:
        """Each window's outcomes, in input order. With workers, the next window is already
        being consulted while the caller writes this one (at most two windows in memory);
        otherwise the workers would wait on every write and checkpoint."""
        if self._pool is None:
            for jobs in windows:
                yield [self._work(job) for job in jobs]
            return
        pending = None
        for jobs in windows:
            submitted = self._pool.map_async(self._work, jobs, chunksize=1)
            if pending is not None:
                yield pending.get()
            pending = submitted
        if pending is not None:
            yield pending.get()

    def __enter__(self) -> WorkerPool[J, R]:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if self._pool is not None:
            if kind is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
