"""Policy simulations on Dask (issue 23, engine/batch/cluster.py), as a user runs them: the real
``sales-expert policy simulate DRAFT --cluster local`` in its own process, with a LocalCluster of
two worker processes, gives the report of the same command on this machine's worker processes
(every figure but the seconds: tally, sample with its reasons, outcomes) and the same errors
file; a bad address is refused, naming the option, before anything runs. (The cluster runs in a
child process: its scheduler threads never share the test process with the rule engine.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.audit.store import AuditStore
from engine.batch.cluster import cluster_address_ok
from engine.batch.mapping import case_to_row
from engine.outcomes.model import COLUMNS
from engine.policy.drafts import create_draft, set_parameter, switch_rule
from engine.policy.model import Who
from tests.batch.conftest import Cli
from tests.books import generate_book, write_csv
from tests.conftest import REPO

ROWS, SEED = 300, 23
CHUNK_ROWS = 5
WINDOW_ROWS = 2 * 4 * CHUNK_ROWS
"""Rows of a window on two workers (four chunks a worker): the 20 rows of the sample, the first
changed ones, lie in the first three windows, so it fills across chunks and windows."""
HIGH = "credit.risk_high_min_score"
QUIET_RULE = "GR-024"
"""Switched off, it leaves the lint clean and moves grading answers (tests/policy/test_drafts)."""
ADMIN = Who("ada", "admin")
DASK = re.compile(r"\| +distributed$", re.MULTILINE)
"""``-X importtime``'s line for Dask's distributed package."""


@dataclass(frozen=True)
class Setup:
    book: Path
    outcomes: Path
    url: str
    data: Path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A generated book with one row that fails, its outcomes, and a draft "q3" (a cut-off
    moved and a rule switched off: values and rules cross to the workers) in an audit file."""
    folder = tmp_path_factory.mktemp("cluster_simulate")
    generated = generate_book(ROWS, SEED)
    rows = [case_to_row(r.case) for r in generated]
    rows.insert(40, rows[40] | {"customer.annual_purchases": "lots"})
    told = [
        {"customer_id": r.case["customer"]["id"], "module": "credit", "observed_at": "2024-12-31"}
        | {"outcome": "defaulted" if r.bad else "paid_on_time"}
        for r in generated
    ]
    url = f"sqlite:///{folder / 'audit.db'}"
    with AuditStore(url) as store:
        create_draft(store, "q3", ADMIN, "a looser high-risk band")
        set_parameter(store, "q3", HIGH, 55.0, ADMIN, "approve more of the medium band")
        switch_rule(store, "q3", QUIET_RULE, True, ADMIN, "market position by volume")
    return Setup(
        write_csv(folder / "book.csv", rows),
        write_csv(folder / "outcomes.csv", told, list(COLUMNS)),
        url,
        folder / "data",
    )


def simulate(setup: Setup, *more: str) -> tuple[dict[str, Any], str, bytes]:
    """The command's JSON report, its standard error (with the modules it imported: ``-X
    importtime``) and the errors file it wrote."""
    argv = ["policy", "simulate", "q3", "--book", str(setup.book), "--db", setup.url]
    argv += ["--outcomes", str(setup.outcomes), "--chunk-rows", str(CHUNK_ROWS)]
    env = {"SALES_EXPERT_DATA_DIR": str(setup.data), "SALES_EXPERT_DATABASE_URL": setup.url}
    argv += ["--workers", "2", "--json", *more]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli", *argv],
        cwd=REPO,
        env={**_environment(), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    errors = setup.book.with_name(setup.book.name + ".simulate-errors.csv")
    return json.loads(done.stdout), done.stderr, errors.read_bytes()


def _environment() -> dict[str, str]:
    """This process's environment without the product's settings (the test gives its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SALES_EXPERT_")}


def test_a_local_cluster_gives_the_report_of_this_machine_s_workers(setup: Setup) -> None:
    here, here_stderr, here_errors = simulate(setup)
    there, there_stderr, there_errors = simulate(setup, "--cluster", "local")
    assert not DASK.search(here_stderr) and DASK.search(there_stderr)  # only a cluster loads Dask
    assert {k: v for k, v in there.items() if k != "seconds"} == {
        k: v for k, v in here.items() if k != "seconds"
    }
    assert there_errors == here_errors and b",customer.annual_purchases," in there_errors
    assert "301/301 rows" in there_stderr  # the progress line
    assert (there["rows_in"], there["failed"]) == (ROWS + 1, 1)
    assert there["change"] == {
        "values": {HIGH: 55.0},
        "rules_off": [QUIET_RULE],
        "source": "draft “q3”",
    }
    rows = [s["row"] for s in there["sample"]]
    assert len(rows) == 20 and rows == sorted(rows) and rows[-1] > 2 * WINDOW_ROWS
    assert all(s["reasons"] for s in there["sample"])
    assert there["outcomes"]["linked_rows"] == ROWS


@pytest.mark.parametrize(
    ("argv", "en", "zh"),
    [
        (
            ["--cluster", "yarn"],
            "--cluster 'yarn': use `local` or `dask://HOST:PORT` (the scheduler)",
            "--cluster 'yarn'：请填写 `local` 或 `dask://HOST:PORT`（调度器地址）",
        ),
        (
            ["--cluster", "dask://scheduler:99999"],
            "--cluster 'dask://scheduler:99999': use `local` or `dask://HOST:PORT` (the scheduler)",
            "--cluster 'dask://scheduler:99999'：请填写 `local` 或 `dask://HOST:PORT`（调度器地址）",
        ),
        (
            ["--chunk-rows", "0"],
            "--chunk-rows 0: give a whole number from 1 to 10000",
            "--chunk-rows 0：请填写 1 至 10000 之间的整数",
        ),
    ],
)
def test_a_bad_address_or_chunk_size_is_refused_before_anything_runs(
    argv: list[str], en: str, zh: str, setup: Setup, cli: Cli, tmp_path: Path
) -> None:
    book = tmp_path / "book.csv"
    book.write_bytes(setup.book.read_bytes())
    for lang, want in (("en", en), ("zh", zh)):
        found = cli(
            "policy", "simulate", "q3", "--book", book, "--db", setup.url, *argv, "--lang", lang
        )
        assert found == (2, "", f"error: {want}\n")
    if argv[0] == "--cluster":  # `sales-expert batch --cluster` refuses the same addresses
        assert not cluster_address_ok(argv[1])
    assert not book.with_name("book.csv.simulate-errors.csv").exists()
