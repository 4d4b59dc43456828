"""A publication switches what every front end decides with, without a restart (issue 21): a
command-line consultation and a batch run started after it, each in its own process, decide
under the published policy and record its version; after a rollback they decide under the
shipped rule base again."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
import yaml

from engine.audit.store import AuditStore
from engine.batch import input_columns
from engine.batch.mapping import case_to_row
from engine.calibrate.apply import engine_with
from engine.intake import parse_case
from engine.policy.drafts import create_draft, set_parameter
from engine.policy.lifecycle import publish, review, rollback
from engine.policy.model import APPROVE, SUBMIT, Who
from engine.shared import default_engine
from tests.conftest import CASES, load_golden, run_cli

ADA, BOB = Who("ada", "admin"), Who("bob", "admin")
VERY_HIGH = "credit.risk_very_high_min_score"
SLOW_PAYER = CASES / "credit/company-slow-payer-refer.yaml"  # refer; declined from 45 points


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A process environment whose configured audit database is a file of this test."""
    settings = {
        "SALES_EXPERT_DATA_DIR": str(tmp_path / "data"),
        "SALES_EXPERT_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
    }
    drop = ("SALES_EXPERT_CONFIG", "SALES_EXPERT_ROLE", "SALES_EXPERT_RECORD")
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **settings}


def consult_in_a_process(env: dict[str, str], case: Path) -> dict[str, object]:
    done = run_cli("consult", str(case), "--json", env=env)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def decision(result: dict[str, object]) -> object:
    conclusions = result["conclusions"]
    assert isinstance(conclusions, list)
    return next(c["value"] for c in conclusions if c["topic"] == "credit_decision")


def write_book(path: Path) -> None:
    case = parse_case(load_golden(SLOW_PAYER)["case"]).model_dump(mode="json", exclude_none=True)
    row = case_to_row(case)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(input_columns())
        writer.writerow([row.get(c, "") for c in input_columns()])


def test_consult_and_batch_follow_the_live_policy(env: dict[str, str], tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(load_golden(SLOW_PAYER)["case"]), encoding="utf-8")
    book, out = tmp_path / "book.csv", tmp_path / "out.csv"
    write_book(book)
    tighter = engine_with({VERY_HIGH: 45}).version
    with AuditStore(env["SALES_EXPERT_DATABASE_URL"]) as store:
        create_draft(store, "tighter", ADA, "tighten the very high risk band")
        set_parameter(store, "tighter", VERY_HIGH, 45, ADA, "decline more high risks")
        review(store, "tighter", SUBMIT, ADA, "ready")
        review(store, "tighter", APPROVE, BOB, "checked")
        publish(store, "tighter", BOB, "committee")

        published = consult_in_a_process(env, case)
        assert (published["ruleset_version"], decision(published)) == (tighter, "decline")
        done = run_cli("batch", str(book), "--out", str(out), env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        with out.open(encoding="utf-8", newline="") as handle:
            [row] = list(csv.DictReader(handle))
        assert row["credit_decision"] == "decline"
        recorded = store.get(int(row["consultation_id"]))
        assert recorded.ruleset_version == tighter and recorded.channel == "batch"

        rollback(store, BOB, "undo")
        after = consult_in_a_process(env, case)
        shipped = default_engine().version
        assert (after["ruleset_version"], decision(after)) == (shipped, "refer")
        assert store.verify().ok
