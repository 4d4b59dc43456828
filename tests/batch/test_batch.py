"""Batch runs as a user runs them: real CSV/Parquet files, subprocesses, a real kill."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from benchmarks.cases import generate_cases
from engine.audit import recording
from engine.audit.config import load_settings
from engine.audit.recording import shared_store
from engine.audit.store import AuditStore
from engine.batch import input_columns
from engine.batch.mapping import OUTPUT_HEADER, case_to_row
from engine.batch.runner import _start_method
from engine.users import User, write_users
from tests.conftest import REPO, run_cli

BAD_ROWS = {6: ("customer.annual_purchases", "lots"), 9: ("customer.nature", "martian")}


def write_book(path: Path, rows: int, seed: int = 11) -> None:
    columns = input_columns()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for number, case in enumerate(generate_cases(rows, seed=seed), 1):
            flat = case_to_row(case)
            if number in BAD_ROWS:
                field, value = BAD_ROWS[number]
                flat[field] = value
            writer.writerow([flat.get(c, "") for c in columns])


def batch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("batch", *args, env={**os.environ, **(env or {})}, timeout=600)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "book.csv"
    write_book(path, 120)
    return path


@pytest.fixture(scope="module")
def one_worker(book: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one") / "results.csv"
    done = batch(str(book), "--out", str(out), "--workers", "1", "--no-record")
    assert done.returncode == 0, done.stderr
    assert "rows in 120 = ok 118 + failed 2" in done.stdout
    return out


def test_one_output_row_per_input_row_in_order_with_the_main_conclusions(one_worker: Path) -> None:
    rows = read_csv(one_worker)
    assert list(rows[0]) == OUTPUT_HEADER
    assert [int(r["row"]) for r in rows] == list(range(1, 121))
    assert {r["status"] for r in rows} == {"ok", "failed"}
    ok = [r for r in rows if r["status"] == "ok"]
    assert all(r["value_tier"] in ("high", "medium", "low") for r in ok)
    assert all(
        r["credit_decision"] in ("approve", "approve_with_conditions", "refer", "decline")
        for r in ok
    )
    refused = [r for r in ok if r["credit_decision"] != "approve"]
    assert refused and all(r["principal_reasons"] for r in refused)
    assessed = [r for r in ok if r["credit_decision"]]
    assert assessed and all(float(r["risk_score"]) >= 0 and r["risk_level"] for r in assessed)
    assert all(r["risk_score"] == "" for r in ok if not r["credit_decision"])


def test_bad_rows_go_to_the_errors_file_with_row_field_and_message(one_worker: Path) -> None:
    errors = read_csv(one_worker.with_name("results.csv.errors.csv"))
    assert [(int(e["row"]), e["field"], e["value"]) for e in errors] == [
        (6, "customer.annual_purchases", "lots"),
        (9, "customer.nature", "martian"),
    ]
    assert "valid integer" in errors[0]["message"]
    statuses = {int(r["row"]): r["status"] for r in read_csv(one_worker)}
    assert statuses[6] == statuses[9] == "failed"


def test_two_workers_give_the_same_output(book: Path, one_worker: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    done = batch(str(book), "--out", str(out), "--workers", "2", "--no-record", "--chunk-rows", "7")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == one_worker.read_bytes()


def test_parquet_in_and_out(book: Path, one_worker: Path, tmp_path: Path) -> None:
    import pyarrow.csv as pa_csv

    source = tmp_path / "book.parquet"
    table = pa_csv.read_csv(
        book,
        convert_options=pa_csv.ConvertOptions(
            column_types={c: "string" for c in input_columns()}, strings_can_be_null=True
        ),
    )
    pq.write_table(table, source)
    out = tmp_path / "results.parquet"
    done = batch(str(source), "--out", str(out), "--workers", "1", "--no-record")
    assert done.returncode == 0, done.stderr
    got = pq.read_table(out).to_pylist()
    expected = read_csv(one_worker)
    assert [r["row"] for r in got] == list(range(1, 121))
    assert [r["service_tier"] for r in got] == [r["service_tier"] for r in expected]


def _wait_for_checkpoint(path: Path, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            done = int(json.loads(path.read_text())["rows_done"])
            if done > 0:
                return done
        time.sleep(0.05)
    raise AssertionError("the batch finished or stalled before its first checkpoint")


def test_killed_midway_it_resumes_without_redoing_or_duplicating_rows(tmp_path: Path) -> None:
    book = tmp_path / "big.csv"
    write_book(book, 400, seed=5)
    users = tmp_path / "users.yaml"  # recording as mia needs mia's password
    write_users(users, [(User("mia", "Mia", "manager"), "mia-pw")], rounds=4)
    env = {
        "SALES_EXPERT_DATA_DIR": str(tmp_path / "data"),
        "SALES_EXPERT_RECORD": "on",
        "SALES_EXPERT_USERS": str(users),
        "SALES_EXPERT_PASSWORD": "mia-pw",
    }
    reference = tmp_path / "reference.csv"
    assert (
        batch(
            str(book), "--out", str(reference), "--workers", "1", "--no-record", env=env
        ).returncode
        == 0
    )
    out = tmp_path / "results.csv"
    args = [
        sys.executable,
        "-m",
        "engine.cli",
        "batch",
        str(book),
        "--out",
        str(out),
        "--workers",
        "2",
        "--chunk-rows",
        "10",
        "--actor",
        "mia",
    ]
    process = subprocess.Popen(
        args,
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = _wait_for_checkpoint(out.with_name("results.csv.checkpoint.json"), process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < first < 400
    done = batch(
        str(book),
        "--out",
        str(out),
        "--workers",
        "2",
        "--chunk-rows",
        "10",
        "--actor",
        "mia",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "rows in 400 = ok" in done.stdout and "resumed after row" in done.stdout
    resumed, expected = read_csv(out), read_csv(reference)
    drop = {"consultation_id"}  # audit ids here, batch references in the unrecorded run
    assert [{k: v for k, v in r.items() if k not in drop} for r in resumed] == [
        {k: v for k, v in r.items() if k not in drop} for r in expected
    ]
    with AuditStore(f"sqlite:///{tmp_path / 'data' / 'audit.db'}") as store:
        ok = sum(r["status"] == "ok" for r in resumed)
        assert store.count() == ok  # every good row recorded exactly once
        assert store.verify().ok
        ids = {r["consultation_id"] for r in resumed if r["status"] == "ok"}
        assert len(ids) == ok and store.get(int(min(ids, key=int))).channel == "batch"
        assert store.get(int(min(ids, key=int))).actor == "mia"
    again = batch(str(book), "--out", str(out), "--actor", "mia", env=env)
    assert "already complete" in again.stdout


def test_template_lists_every_input_column_and_its_example_row_consults(tmp_path: Path) -> None:
    done = batch("--template")
    lines = done.stdout.splitlines()
    assert lines[0].split(",") == input_columns()
    path = tmp_path / "template.csv"
    path.write_text(done.stdout, encoding="utf-8")
    out = tmp_path / "out.csv"
    run = batch(str(path), "--out", str(out), "--workers", "1", "--no-record")
    assert "rows in 1 = ok 1 + failed 0" in run.stdout, run.stderr
    assert read_csv(out)[0]["service_tier"] == "vip"


def test_columns_are_documented() -> None:
    done = batch("--columns")
    assert "customer.annual_purchases" in done.stdout and "principal_reasons" in done.stdout
    assert "输入列" in batch("--columns", "--lang", "zh").stdout


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    done = batch(str(tmp_path / "none.csv"), "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 2 and "input" in done.stderr


def test_workers_fork_from_a_single_threaded_process_and_spawn_from_a_threaded_one() -> None:
    assert _start_method() == "fork"  # the CLI: workers inherit the loaded rule base
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert _start_method() == "spawn"  # e.g. the web front end's server threads
    finally:
        stop.set()
        thread.join()


def _store_is_its_own(parent: int) -> bool:
    settings = load_settings()
    return shared_store(settings) is not recording._STORES[(parent, settings.database_url)]


def test_a_forked_worker_opens_its_own_audit_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path))
    shared_store(load_settings())  # the parent's connection exists before the fork
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_store_is_its_own, (os.getpid(),)) is True


def test_what_if_adds_each_row_s_path_to_a_better_answer(tmp_path: Path) -> None:
    source = tmp_path / "small.csv"
    write_book(source, 30, seed=5)
    plain, searched = tmp_path / "plain.csv", tmp_path / "searched.csv"
    assert batch(str(source), "--out", str(plain), "--workers", "1", "--no-record").returncode == 0
    done = batch(str(source), "--out", str(searched), "--workers", "1", "--no-record", "--what-if")
    assert done.returncode == 0, done.stderr
    without, with_paths = read_csv(plain), read_csv(searched)
    assert [r["credit_decision"] for r in without] == [r["credit_decision"] for r in with_paths]
    assert all(r["path_to_better"] == "" for r in without)
    found = [r["path_to_better"] for r in with_paths if r["path_to_better"]]
    assert found and all(" → " in text for text in found)
