"""Record formats and kinds: format 2 hashes ``batch_ref`` and ``key_id`` (format 1 did not
hash ``batch_ref``), an unknown format is a finding rather than a crash, and every kind of
record — final decisions included — is appended, hashed and signed through the one path."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Engine, consult, default_engine
from engine.audit.chain import HASHED_COLUMNS, RECORD_FORMAT, UnknownFormat, record_hash
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.models import records
from engine.audit.records import KINDS
from engine.audit.store import AuditStore
from engine.audit.text_integrity import render_verify
from engine.intake import parse_case
from knowledge_base import load_knowledge
from tests.audit.tampering import edit, rows, seed
from tests.conftest import customer


def test_format_2_hashes_every_column_but_the_hash_and_its_hmac() -> None:
    stored = {c.name for c in records.c}
    assert RECORD_FORMAT == 2
    assert set(HASHED_COLUMNS[2]) == stored - {"hash", "hmac"}
    assert "batch_ref" not in HASHED_COLUMNS[1]  # why format 2 exists


def test_an_edited_batch_reference_is_found(store: AuditStore) -> None:
    engine = default_engine()
    cases = [parse_case({"customer": customer(id=f"B-{i}")}) for i in range(3)]
    consulted = [(engine.consult(c), c) for c in cases]
    refs = ["r:1", "r:2", "r:3"]
    store.record_consultations(consulted, engine.compiled, "mia", "manager", batch_refs=refs)
    assert [r["batch_ref"] for r in rows(store)] == ["r:1", "r:2", "r:3"]
    edit(store, 2, batch_ref="r:9")  # would make a resumed batch skip or redo a row
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 2)


@pytest.mark.parametrize("value", [99, 0])
def test_an_unknown_format_is_a_finding_not_a_crash(store: AuditStore, value: int) -> None:
    seed(store, 4)
    edit(store, 3, format=value)
    report = store.verify()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.record_id, report.checked) == (
        "unknown_format",
        3,
        2,
    )
    assert repr(value) in report.problem.detail
    text = render_verify(report, load_knowledge(), "zh")
    assert "第一条有问题的记录是 3（格式未知，本程序无法校验）" in text
    with pytest.raises(UnknownFormat):
        record_hash({**rows(store)[2]})


def test_a_text_in_the_format_column_is_a_finding_too(tmp_path: Path) -> None:
    """SQLite stores what it is given, even a text in an integer column."""
    with AuditStore(f"sqlite:///{tmp_path / 'audit.db'}") as store:
        seed(store, 2)
        edit(store, 1, format="two")
        problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("unknown_format", 1)


def test_final_decisions_are_signed_records_of_the_same_chain(
    store: AuditStore, credit_engine: Engine
) -> None:
    big = {"customer": customer(annual_purchases=1_800_000)}
    consulted = consult(big, engine=credit_engine, store=store, actor="rita", role="rep")
    assert consulted.audit_id is not None
    store.record_decision(consulted.audit_id, DecisionRequest("approve"), actor="mia")
    assert [(r["kind"], r["format"]) for r in rows(store)] == [
        ("consultation", 2),
        ("decision", 2),
    ]
    report = store.verify()
    assert report.ok and report.protection.hmac == 2
    edit(store, 2, decision="decline")
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 2)


def test_only_known_kinds_are_appended_and_each_has_texts(store: AuditStore) -> None:
    seed(store, 1)
    row = {k: v for k, v in rows(store)[0].items() if k not in ("id", "hash", "hmac")}
    with store._write() as conn, pytest.raises(AuditRequestError, match="kind: 'memo'"):
        store._append(conn, [{**row, "kind": "memo"}])
    assert store.count() == 1
    kb = load_knowledge()
    for kind in KINDS:
        for lang in ("en", "zh"):
            assert kb.text(f"audit.kind.{kind}", lang) != f"audit.kind.{kind}"
