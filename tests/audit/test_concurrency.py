"""Several processes recording at once (SQLite and PostgreSQL): nothing lost, one valid chain."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from engine.audit.records import RecordFilter
from engine.audit.store import AuditStore
from tests.audit.worker import consult_many

PROCESSES, EACH = 4, 250


@pytest.mark.slow
def test_four_processes_writing_250_consultations_each_lose_nothing(audit_url: str) -> None:
    AuditStore(audit_url).close()  # schema first; racing to create it is the next test
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [
        ctx.Process(target=consult_many, args=(audit_url, n, EACH, start, results))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    reported = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    ids = [i for _, batch, _ in reported for i in batch]
    assert sorted(ids) == list(range(1, PROCESSES * EACH + 1))
    assert all(batch == sorted(batch) for _, batch, _ in reported)
    with AuditStore(audit_url) as store:
        began = time.perf_counter()
        report = store.verify()
        verify_seconds = time.perf_counter() - began
        assert report.ok, report.problem
        assert report.checked == store.count() == PROCESSES * EACH
        for n in range(PROCESSES):
            found = store.list_records(RecordFilter(actor=f"worker-{n}"), limit=None)
            assert len(found) == EACH and {r.channel for r in found} == {"batch"}
    slowest = max(seconds for _, _, seconds in reported)
    backend = audit_url.split(":")[0]
    print(f"\n{backend}: {PROCESSES}×{EACH} in {slowest:.1f}s; verify {verify_seconds:.2f}s")


@pytest.mark.slow
def test_processes_creating_the_schema_at_once_agree(audit_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(3), ctx.Queue()
    workers = [
        ctx.Process(target=consult_many, args=(audit_url, n, 5, start, results)) for n in range(3)
    ]
    for worker in workers:
        worker.start()
    reported = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sorted(i for _, batch, _ in reported for i in batch) == list(range(1, 16))
    with AuditStore(audit_url) as store:
        assert store.verify().ok and store.verify().snapshots == 1
