"""``policy simulate DRAFT --from --to [--channel]``: the consultations recorded in a period, run
under the live policy and the draft (issue 21), checked against re-running each recorded case
under both rule bases independently."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cases import generate_cases
from engine.api import consult
from engine.audit.store import AuditStore
from engine.calibrate.apply import engine_with
from engine.cli_policy_simulate import add_simulate
from engine.core import Engine
from engine.intake import parse_case
from engine.policy.drafts import create_draft, set_parameter
from engine.policy.model import Who
from engine.shared import default_engine
from tests.conftest import CASES, load_golden

VERY_HIGH = "credit.risk_very_high_min_score"
SLOW_PAYER = CASES / "credit/company-slow-payer-refer.yaml"


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[str, dict[int, dict[str, Any]]]:
    """An audit database with 40 generated consultations through the UI and the slow payer
    through the CLI, and a draft lowering the very-high cut-off to 45 points."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    cases: dict[int, dict[str, Any]] = {}
    with AuditStore(url) as store:
        for case in generate_cases(40, seed=5, sections=("customer", "credit")):
            result = consult(case, store=store, actor="rita", role="rep", channel="ui")
            assert result.audit_id is not None
            cases[result.audit_id] = case
        slow = load_golden(SLOW_PAYER)["case"]
        result = consult(slow, store=store, actor="rita", role="rep", channel="cli")
        assert result.audit_id is not None
        cases[result.audit_id] = slow
        create_draft(store, "q3", Who("ada", "admin"), "tighten")
        set_parameter(store, "q3", VERY_HIGH, 45, Who("ada", "admin"), "decline more")
    return url, cases


def simulate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    add_simulate(parser.add_subparsers())
    args = parser.parse_args(["simulate", *argv])
    code: int = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def decision(case: dict[str, Any], engine: Engine) -> object:
    found = engine.infer(parse_case(case), trace=False).one_valued
    return found["credit_decision"].value if "credit_decision" in found else None


def test_recorded_consultations_of_a_period_are_the_book(
    recorded: tuple[str, dict[int, dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    url, cases = recorded
    today = datetime.now(UTC).date().isoformat()
    code, out, err = simulate(
        capsys, "q3", "--db", url, "--from", today, "--to", today, "--workers", "1", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["recorded"] == {
        "from": today,
        "to": today,
        "channel": None,
        "version": None,
        "rows": 41,
    }
    assert report["book"] == f"the 41 consultations recorded from {today} to {today}"
    changed = {
        record
        for record, case in cases.items()
        if decision(case, default_engine()) != decision(case, engine_with({VERY_HIGH: 45}))
    }
    credit = next(t for t in report["topics"] if t["topic"] == "credit_decision")
    assert credit["changed"] == len(changed) > 0
    sampled = {
        row["consultation_id"]
        for row in report["sample"]
        if any(c["topic"] == "credit_decision" for c in row["changes"])
    }
    assert sampled == changed  # fewer than the sample's 20 places: every one is listed

    code, out, _ = simulate(
        capsys, "q3", "--db", url, "--from", today, "--channel", "cli", "--workers", "1"
    )
    assert code == 0
    assert out.startswith(
        f"Simulation of the 1 consultations recorded from {today} to any day (channel cli):"
    )
    slow = max(cases)
    assert f"(audit record {slow}: `sales-expert audit show {slow}`)" in out


def test_a_book_and_a_period_together_are_refused(
    recorded: tuple[str, dict[int, dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = recorded
    code, _, err = simulate(capsys, "q3", "--db", url, "--book", "b.csv", "--from", "2026-01-01")
    assert (code, err) == (
        2,
        "error: give either a book (--book) or a period of recorded "
        "consultations (--from/--to, --channel), not both\n",
    )
    code, _, err = simulate(capsys, "q3", "--db", url, "--from", "2026-02-30")
    assert code == 2 and "2026-02-30" in err
