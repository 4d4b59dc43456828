"""The customer directory (issue 22, engine/customers/): filled by consultations, batch
recordings and imports, keeping the last known facts per section; a customer's history read
from the records; the command line; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

import engine.cli
from benchmarks.cases import generate_cases
from engine.api import consult, default_engine
from engine.audit.decisions import DecisionRequest
from engine.audit.store import AuditStore
from engine.batch import input_columns
from engine.customers.directory import find, search
from engine.customers.history import customer_history
from engine.customers.importing import import_customers
from engine.intake import parse_case
from tests.audit import conftest as audit
from tests.conftest import CASES, load_golden

audit_key_file, audit_url = audit.audit_key_file, audit.audit_url
postgres_server, store = audit.postgres_server, audit.store

SLOW_PAYER = CASES / "credit/company-slow-payer-refer.yaml"  # customer C-2202, referred
OVERDUE = CASES / "collection/cooperative-transfusion.yaml"


def case_of(path: Path, **customer: Any) -> dict[str, Any]:
    case: dict[str, Any] = load_golden(path)["case"]
    case["customer"] = {**case["customer"], **customer}
    return case


def test_consultations_keep_the_last_facts_of_each_section(store: AuditStore) -> None:
    first = consult(case_of(SLOW_PAYER), store=store, actor="rita", role="rep")
    later = consult(
        case_of(
            OVERDUE, id="C-2202", name="Nanhu Medical Supplies Co.", annual_purchases=1_600_000
        ),
        store=store,
        actor="rita",
        role="rep",
    )
    with store._read() as conn:
        kept = find(conn, "C-2202")
    assert kept is not None and kept.consultations == 2
    assert set(kept.facts) == {"customer", "credit", "collection"}
    assert kept.facts["credit"]["record"] == first.audit_id  # kept from the first consultation
    assert kept.facts["collection"]["record"] == later.audit_id
    assert kept.facts["customer"]["values"]["annual_purchases"] == 1_600_000
    assert kept.case()["credit"]["requested_amount"] == 200_000
    assert kept.last_record == later.audit_id and kept.facts["customer"]["source"] == "consultation"
    known = kept.case()  # the credit form is filled with its sections' last known facts
    filled = parse_case({"customer": known["customer"], "credit": known["credit"]})
    assert filled.customer.id == "C-2202"


def test_a_batch_recording_fills_the_directory(store: AuditStore) -> None:
    engine = default_engine()
    cases = [parse_case(c) for c in generate_cases(3, seed=4, sections=("customer", "credit"))]
    consulted = [(engine.consult(c), c) for c in cases]
    refs = [f"run:{n}" for n in range(3)]
    store.record_consultations(consulted, engine.compiled, "rita", "rep", batch_refs=refs)
    with store._read() as conn:
        found = {c.id: c for c in search(conn)}
    assert set(found) == {c.customer.id for c in cases}
    assert {c.facts["credit"]["source"] for c in found.values()} == {"batch"}


def test_history_shows_each_consultation_and_the_decision_that_stands(store: AuditStore) -> None:
    first = consult(case_of(SLOW_PAYER), store=store, actor="rita", role="rep")
    assert first.audit_id is not None
    store.record_decision(
        first.audit_id, DecisionRequest("approve", 150_000, 60, "known payer"), actor="mia"
    )
    consult(case_of(OVERDUE, id="C-2202"), store=store, actor="rita", role="rep")
    points = customer_history(store, "C-2202")
    assert [p.values["credit_decision"] for p in points] == ["refer", None]
    assert (points[0].final_decision, points[0].final_limit) == ("approve", 150_000)
    assert points[1].values["collection_stage"] is not None
    assert points[0].values["value_tier"] is not None


def write_list(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns = input_columns()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def test_an_import_keeps_the_valid_rows_and_lists_the_others(
    store: AuditStore, tmp_path: Path
) -> None:
    rows = [
        {"customer.id": "K-1", "customer.name": "Kaiyuan Trading", "customer.nature": "company"},
        {"customer.name": "No id Ltd", "customer.nature": "company"},
        {"customer.id": "K-3", "customer.nature": "martian"},
        {"customer.id": "K-4", "customer.annual_purchases": "1200000"},
    ]
    summary = import_customers(store, write_list(tmp_path / "list.csv", rows))
    assert (summary.rows, summary.customers) == (4, 2)
    assert [(row, name) for row, (name, _, _) in summary.failed] == [
        (2, "customer.id"),
        (3, "customer.nature"),
    ]
    with store._read() as conn:
        imported = find(conn, "K-1")
    assert imported is not None and imported.consultations == 0
    assert imported.facts["customer"]["source"] == "import" and imported.name == "Kaiyuan Trading"


def test_the_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit_url = f"sqlite:///{tmp_path / 'cli.db'}"  # the command line on SQLite: the store
    # tests above run on both backends
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", audit_url)
    with AuditStore(audit_url) as opened:
        consult(case_of(SLOW_PAYER), store=opened, actor="rita", role="rep")

    def run(*args: str) -> tuple[int, str]:
        code = engine.cli.main(list(args))
        return code, capsys.readouterr().out

    code, out = run("customers", "--search", "nanhu")
    assert code == 0 and out.startswith("Customers, the most recently seen first (1):\n  C-2202")
    code, out = run("customers", "show", "C-2202", "--lang", "zh")
    assert out.startswith("客户 C-2202：Nanhu Medical Supplies Co.\n")
    assert "  授信申请（咨询，" in out and "授信转交信用经理审核" in out
    code, out = run("customers", "show", "C-2202", "--json")
    assert json.loads(out)["history"][0]["credit_decision"] == "refer"
    listed = write_list(tmp_path / "l.csv", [{"customer.id": "K-9", "customer.name": "Kilo"}])
    code, out = run("customers", "import", str(listed))
    assert out.startswith("Rows read: 1; customers kept: 1; rows refused: 0.")
    assert engine.cli.main(["customers", "show", "NOPE"]) == 2
