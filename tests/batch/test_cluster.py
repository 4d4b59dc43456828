"""Portfolio runs on Dask (issue 23, engine/batch/cluster.py), as a user runs them: the real
``sales-expert batch --cluster local`` in its own process, with a LocalCluster of two worker
processes. It gives the single-machine output byte for byte; a client killed after its first
window resumes without redoing it while a worker process is killed mid-run, every row recorded
exactly once with a valid chain; a bad address is refused. (The cluster runs in a child process:
its scheduler threads never share the test process with the rule engine.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from engine.audit.store import AuditStore
from tests.batch.conftest import Cli
from tests.batch.test_batch import write_book
from tests.conftest import REPO

ROWS = 120
LONG = 1500
"""Rows of the book a client is killed in: long enough to outlast its first window."""


def command(book: Path, out: Path, *more: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "engine.cli",
        "batch",
        str(book),
        "--out",
        str(out),
        "--chunk-rows",
        "10",
        "--workers",
        "2",
        *more,
    ]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cluster") / "book.csv"
    write_book(path, ROWS)
    return path


@pytest.fixture(scope="module")
def here(book: Path) -> bytes:
    """The single-machine output, unrecorded."""
    out = book.with_name("here.csv")
    done = subprocess.run(
        command(book, out, "--no-record"), cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


@pytest.fixture(scope="module")
def long_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A longer book and its single-machine output, unrecorded."""
    path = tmp_path_factory.mktemp("long") / "book.csv"
    write_book(path, LONG)
    out = path.with_name("here.csv")
    done = subprocess.run(
        command(path, out, "--no-record"), cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return path, out.read_bytes()


def test_a_local_cluster_gives_the_single_machine_output(book: Path, here: bytes) -> None:
    out = book.with_name("cluster.csv")
    done = subprocess.run(
        command(book, out, "--no-record", "--cluster", "local"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "rows in 120 = ok 118 + failed 2" in done.stdout
    assert out.read_bytes() == here


def _rows_done(checkpoint: Path) -> int:
    try:
        return int(json.loads(checkpoint.read_text(encoding="utf-8")).get("rows_done", 0))
    except (OSError, ValueError):
        return 0


def _workers_of(client: psutil.Process) -> list[psutil.Process]:
    """The cluster's worker processes: spawned children of the client's nannies."""
    return [p for p in client.children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]


def _wait(condition: object, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_client_resumes_and_a_lost_worker_changes_nothing(
    long_book: tuple[Path, bytes], tmp_path: Path
) -> None:
    book, here = long_book
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    env = {
        **os.environ,
        "SALES_EXPERT_DATABASE_URL": url,
        "SALES_EXPERT_RECORD": "on",
        "SALES_EXPERT_DATA_DIR": str(tmp_path / "data"),
    }
    out = tmp_path / "results.csv"
    checkpoint = out.with_name(out.name + ".checkpoint.json")
    first = subprocess.Popen(
        command(book, out, "--cluster", "local"),
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(lambda: _rows_done(checkpoint) > 0 or first.poll() is not None)
    stopped_at = _rows_done(checkpoint)
    for process in [psutil.Process(first.pid), *psutil.Process(first.pid).children(True)]:
        process.kill()  # the client and its cluster die at once
    first.wait(30)
    assert 0 < stopped_at < LONG

    second = subprocess.Popen(
        command(book, out, "--cluster", "local"),
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = psutil.Process(second.pid)
    # once the resumed run has committed a window, its cluster is up and working: kill a worker
    _wait(lambda: _rows_done(checkpoint) > stopped_at or second.poll() is not None)
    killed = _workers_of(client)[:1]
    for worker in killed:
        os.kill(worker.pid, signal.SIGKILL)  # a worker lost in the middle of the run
    stdout, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr
    assert killed and f"resumed after row {stopped_at})" in stdout.replace(",", "")
    assert _without_ids(out.read_bytes()) == _without_ids(here)
    with AuditStore(url) as store:
        records = store.list_records(limit=None)
        ok = sum(1 for line in _without_ids(here)[1:] if ",ok," in ",".join(line))
        assert len(records) == ok  # each row once: a recomputed chunk recorded nothing again
        assert store.verify().ok


def _without_ids(output: bytes) -> list[list[str]]:
    """The output without the consultation_id column (recorded runs name audit records)."""
    lines = [line.split(",") for line in output.decode().splitlines()]
    where = lines[0].index("consultation_id")
    return [line[:where] + line[where + 1 :] for line in lines]


def test_a_bad_cluster_address_is_refused(book: Path, cli: Cli) -> None:
    code, _, err = cli("batch", book, "--out", book.with_name("x.csv"), "--cluster", "yarn")
    assert (
        code == 2
        and "--cluster: use `local` or `dask://HOST:PORT` (the scheduler) (got 'yarn')" in err
    )
