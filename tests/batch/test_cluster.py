"""Portfolio runs on Dask (issue 23, engine/batch/cluster.py): a real LocalCluster of two worker
processes gives the single-machine output byte for byte; a run stopped after its first window
resumes on the cluster without redoing it, every row recorded exactly once with a valid chain;
a worker killed mid-run changes nothing; a bad address is refused."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest

from engine.audit.store import AuditStore
from engine.batch.runner import BatchOptions, run_batch
from tests.batch.conftest import Cli
from tests.batch.test_batch import write_book

ROWS = 120


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "book.csv"
    write_book(path, ROWS)
    return path


@pytest.fixture(scope="module")
def here(book: Path) -> bytes:
    """The single-machine output, unrecorded."""
    out = book.with_name("here.csv")
    run_batch(BatchOptions(input=book, out=out, workers=1, record=False, chunk_rows=10))
    return out.read_bytes()


def test_a_local_cluster_gives_the_single_machine_output(book: Path, here: bytes) -> None:
    out = book.with_name("cluster.csv")
    options = BatchOptions(
        input=book, out=out, workers=2, record=False, chunk_rows=10, cluster="local"
    )
    summary = run_batch(options)
    assert (summary.rows_in, summary.ok, summary.failed) == (ROWS, 118, 2)
    assert out.read_bytes() == here


class Stop(Exception):
    pass


def test_a_stopped_run_resumes_and_a_lost_worker_changes_nothing(
    book: Path, here: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", url)
    monkeypatch.setenv("SALES_EXPERT_RECORD", "on")
    out = tmp_path / "results.csv"
    options = BatchOptions(
        input=book, out=out, workers=2, chunk_rows=10, cluster="local", actor="rita", role="rep"
    )

    def stop_after_the_first_window(done: int, total: int) -> None:
        raise Stop  # the client dies after the first window was written and checkpointed

    with pytest.raises(Stop):
        run_batch(options, on_progress=stop_after_the_first_window)
    killed: list[int] = []

    def kill_a_worker(done: int, total: int) -> None:
        if not killed:  # a worker process of the cluster dies in the middle of the run
            workers = [
                p
                for p in psutil.Process().children(recursive=True)
                if "spawn_main" in " ".join(p.cmdline())  # a LocalCluster worker process
            ]
            if workers:
                os.kill(workers[0].pid, signal.SIGKILL)
                killed.append(workers[0].pid)

    summary = run_batch(options, on_progress=kill_a_worker)
    assert killed, "no worker process of the cluster was found to kill"
    assert summary.resumed_at > 0 and summary.rows_in == ROWS
    assert _rows(out.read_bytes()) == _rows(here)
    with AuditStore(url) as store:
        records = store.list_records(limit=None)
        assert len(records) == 118 and len({r.customer_id for r in records}) <= 118
        assert store.verify().ok


def _rows(output: bytes) -> list[list[str]]:
    """The output without the consultation_id column (recorded runs name audit records)."""
    lines = [line.split(",") for line in output.decode().splitlines()]
    where = lines[0].index("consultation_id")
    return [line[:where] + line[where + 1 :] for line in lines]


def test_a_bad_cluster_address_is_refused(book: Path, cli: Cli) -> None:
    code, _, err = cli("batch", book, "--out", book.with_name("x.csv"), "--cluster", "yarn")
    assert code == 2 and "--cluster 'yarn': use `local` or `dask://HOST:PORT`" in err
