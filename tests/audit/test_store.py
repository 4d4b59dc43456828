"""The audit store on SQLite and PostgreSQL: round trip, snapshots, replay, filters, statistics,
final decisions and overrides, export, schema versions. Tampering is in test_verify.py."""

from __future__ import annotations

import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import Engine, consult, default_engine
from engine.audit import models
from engine.audit.chain import GENESIS, canonical, record_hash, version_of
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError, AuditUnavailable
from engine.audit.records import RecordFilter, compact_result
from engine.audit.replay import replay
from engine.audit.store import AuditStore
from engine.intake import parse_case
from knowledge_base.schema import MODULES
from tests.audit.tampering import rehash, rows
from tests.conftest import customer

BIG = 1_800_000  # annual purchases: the test credit module approves, limit 180,000, 30 days


def record(store: AuditStore, engine: Engine | None = None, **fields: object) -> int:
    """Consult through the API into ``store``; returns the record id."""
    actor = str(fields.pop("actor", "rita"))
    role = str(fields.pop("role", "rep"))
    result = consult(
        {"customer": customer(**fields)}, engine=engine, store=store, actor=actor, role=role
    )
    assert result.audit_id is not None
    return result.audit_id


def test_a_consultation_round_trips_with_everything_needed_to_audit_it(store: AuditStore) -> None:
    case = {"customer": customer(id="C-77", annual_purchases=1_234_567)}
    result = consult(case, lang="zh", store=store, actor="alice", role="rep", channel="batch")
    assert result.audit_id == 1
    got = store.get(1)
    assert (got.kind, got.actor, got.role, got.channel) == ("consultation", "alice", "rep", "batch")
    assert got.customer_id == "C-77"
    rules = default_engine().compiled.rules
    used = {rules[r].module for r in result.fired_rules()}
    assert got.modules == tuple(m for m in MODULES if m in used) and "grading" in got.modules
    assert list(got.rules) == result.fired_rules() and "GR-007" in got.rules
    assert got.ruleset_version == result.ruleset_version == default_engine().version
    assert got.product_version == result.product_version
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", got.created_at)
    assert got.prev_hash == GENESIS and got.hash == record_hash(_raw(store, 1))
    assert got.payload is not None
    assert got.payload["case"] == parse_case(case).model_dump(mode="json")
    assert got.payload["lang"] == "zh"
    stored = got.payload["result"]
    assert stored == compact_result(result)
    assert stored["trace"] == result.model_dump(mode="json")["trace"]
    assert [(c["topic"], c["value"], c["rules"]) for c in stored["conclusions"]] == [
        (c.topic, c.value, c.rules) for c in result.conclusions
    ]
    # explanations are regenerated from the stored rule base, not stored
    assert "how" not in stored["conclusions"][0]


def _raw(store: AuditStore, record_id: int) -> dict[str, object]:
    """The stored columns as the database holds them (modules/rules as text)."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(models.records).where(models.records.c.id == record_id)).one()
    return dict(row._mapping)


def test_records_chain_and_the_rule_base_is_stored_once_per_version(
    store: AuditStore, changed_engine: Engine
) -> None:
    ids = [record(store), record(store), record(store, changed_engine)]
    assert ids == [1, 2, 3]
    rows = [_raw(store, i) for i in ids]
    assert rows[1]["prev_hash"] == rows[0]["hash"] and rows[2]["prev_hash"] == rows[1]["hash"]
    assert all(record_hash(r) == r["hash"] for r in rows)
    with store.engine.connect() as conn:
        stored = dict(
            conn.execute(sa.select(models.rulebases.c.version, models.rulebases.c.content)).all()
        )
    assert set(stored) == {default_engine().version, changed_engine.version}
    assert all(version_of(text) == version for version, text in stored.items())


def test_replay_under_the_recorded_rule_base_is_identical(
    store: AuditStore, changed_engine: Engine
) -> None:
    """The engine is rebuilt from the stored snapshot, not from today's files."""
    first = record(store, changed_engine)
    report = replay(store, first)
    assert report.identical and report.differences == []
    assert report.recorded_version == report.replay_version == changed_engine.version
    assert report.replay_version != default_engine().version
    assert replay(store, record(store)).identical


def test_replay_against_todays_rule_base_shows_the_difference(
    store: AuditStore, changed_engine: Engine
) -> None:
    first = record(store, changed_engine)  # 450,000 a year: "high" under the changed threshold
    report = replay(store, first, current=True)
    assert not report.identical and report.against == "current"
    assert report.replay_version == default_engine().version
    changed = {d.topic: (d.before, d.after) for d in report.differences if d.what == "conclusion"}
    assert changed["monetary_band"] == ("high", "medium")
    assert changed["value_tier"][0] == "high" and changed["value_tier"][1] != "high"
    fired = next(d for d in report.differences if d.what == "fired")
    assert "GR-007" in fired.before and "GR-007" not in fired.after


def test_replay_refuses_a_decision_record_and_an_unknown_id(
    store: AuditStore, credit_engine: Engine
) -> None:
    first = record(store, credit_engine, annual_purchases=BIG)
    store.record_decision(first, DecisionRequest("approve"), actor="mona")
    with pytest.raises(AuditRequestError, match="record 2 is a decision"):
        replay(store, 2)
    with pytest.raises(AuditRequestError, match="no audit record 99"):
        replay(store, 99)


def test_a_decision_as_recommended_needs_no_reason_and_takes_the_recommended_terms(
    store: AuditStore, credit_engine: Engine
) -> None:
    first = record(store, credit_engine, annual_purchases=BIG)
    assert store.get(first).decision == "approve"
    decided = store.record_decision(first, DecisionRequest("approve"), actor="mona")
    assert (decided.kind, decided.ref_id, decided.role, decided.override) == (
        "decision",
        first,
        "manager",
        False,
    )
    assert decided.modules == ("credit",) and decided.customer_id == "T-1"
    assert decided.payload == {
        "decision": "approve",
        "limit": 180_000,
        "term_days": 30,
        "reason": None,
        "override": False,
        "differences": [],
        "recommended": {"decision": "approve", "limit": 180_000, "term_days": 30},
    }
    assert [d.id for d in store.decisions_for(first)] == [decided.id]


def test_an_override_without_a_reason_is_refused_naming_what_differs(
    store: AuditStore, credit_engine: Engine
) -> None:
    first = record(store, credit_engine, annual_purchases=BIG)
    with pytest.raises(AuditRequestError) as refused:
        store.record_decision(first, DecisionRequest("approve", limit=150_000), actor="mona")
    message = str(refused.value)
    assert message.startswith("reason: required")
    assert "limit 180,000 → 150,000" in message
    with pytest.raises(AuditRequestError, match="decision approve → decline"):
        store.record_decision(first, DecisionRequest("decline", reason="  "), actor="mona")
    assert store.count() == 1  # nothing was written
    done = store.record_decision(
        first, DecisionRequest("decline", reason="Known fraud case"), actor="mona"
    )
    assert done.override is True and done.payload is not None
    assert done.payload["reason"] == "Known fraud case"
    assert done.payload["limit"] is None
    assert done.payload["differences"] == [
        "decision approve → decline",
        "limit 180,000 → none",
        "term 30 → none",
    ]


def test_decisions_are_refused_without_a_credit_recommendation_or_by_a_rep(
    store: AuditStore, credit_engine: Engine, grading_engine: Engine
) -> None:
    grading_only = record(store, grading_engine)
    with pytest.raises(AuditRequestError, match="has no credit decision"):
        store.record_decision(grading_only, DecisionRequest("approve"), actor="mona")
    credit = record(store, credit_engine, annual_purchases=BIG)
    with pytest.raises(AuditRequestError, match="only a manager"):
        store.record_decision(credit, DecisionRequest("approve"), actor="rita", role="rep")
    with pytest.raises(AuditRequestError, match="'maybe' is not a credit decision"):
        store.record_decision(credit, DecisionRequest("maybe", reason="x"), actor="mona")
    with pytest.raises(AuditRequestError, match="limit: must be 0 or more"):
        store.record_decision(credit, DecisionRequest("approve", limit=-1, reason="x"), actor="m")
    with pytest.raises(AuditRequestError, match="no audit record 42"):
        store.record_decision(42, DecisionRequest("approve"), actor="mona")


def test_list_filters_by_date_actor_customer_module_decision_rule_and_kind(
    store: AuditStore, credit_engine: Engine, grading_engine: Engine
) -> None:
    a = record(store, grading_engine, actor="alice", id="C-1", annual_purchases=150_000)
    b = record(store, credit_engine, actor="bob", id="C-2", annual_purchases=BIG)
    c = record(store, credit_engine, actor="bob", id="C-3", annual_purchases=450_000)
    d = store.record_decision(b, DecisionRequest("approve"), actor="mona").id

    def ids(**filters: str) -> list[int]:
        return [r.id for r in store.list_records(RecordFilter(**filters))]

    assert ids() == [d, c, b, a]
    assert ids(actor="bob") == [c, b]
    assert ids(customer="C-2") == [d, b]
    assert ids(module="credit") == [d, c, b]
    assert ids(decision="approve") == [d, b]
    assert ids(decision="approve", kind="consultation") == [b]
    assert ids(rule="CR-902") == [c]
    assert ids(rule="GR-007") == [b]  # only C-2 buys enough for a high amount
    today = store.get(a).created_at[:10]
    assert ids(since=today, until=today) == [d, c, b, a]
    assert ids(since="2999-01-01") == [] and ids(until="2000-01-01") == []
    assert ids(since=store.get(c).created_at) == [d, c]
    assert store.list_records(limit=2)[0].payload is None  # listings leave the payload out
    for bad in ({"rule": "CR-12"}, {"module": "sales"}, {"kind": "x"}):
        with pytest.raises(AuditRequestError):
            RecordFilter(**bad)
    with pytest.raises(AuditRequestError, match="not a date"):
        store.list_records(RecordFilter(since="yesterday"))


def test_stats_count_rule_firings_decisions_and_overrides_by_manager(
    store: AuditStore, credit_engine: Engine
) -> None:
    approve = [record(store, credit_engine, annual_purchases=BIG) for _ in range(3)]
    record(store, credit_engine, annual_purchases=450_000)
    store.record_decision(approve[0], DecisionRequest("approve"), actor="mona")
    store.record_decision(approve[1], DecisionRequest("refer", reason="new owner"), actor="mona")
    store.record_decision(approve[2], DecisionRequest("approve"), actor="max")
    stats = store.stats()
    assert (stats["consultations"], stats["decisions"]) == (4, 3)
    assert stats["rule_firings"]["CR-901"] == 3 and stats["rule_firings"]["CR-902"] == 1
    assert stats["recommended_decisions"] == {"approve": 3, "decline": 1}
    assert stats["final_decisions"] == {"approve": 2, "refer": 1}
    assert stats["overrides_by_manager"] == [
        {"manager": "max", "decisions": 1, "overrides": 0, "override_rate": 0.0},
        {"manager": "mona", "decisions": 2, "overrides": 1, "override_rate": 0.5},
    ]
    assert store.stats(RecordFilter(actor="max"))["decisions"] == 1


def test_csv_export_neutralises_formulas_and_json_export_is_complete(store: AuditStore) -> None:
    record(store, actor="=cmd|' /C calc'!A0", id="+SUM(1,2)")
    record(store, actor="@evil", id="-2+3")
    record(store, actor="alice", id="C-1")
    out = io.StringIO()
    assert store.export(out, "csv") == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["actor"] for r in rows] == ["'=cmd|' /C calc'!A0", "'@evil", "alice"]
    assert [r["customer_id"] for r in rows] == ["'+SUM(1,2)", "'-2+3", "C-1"]
    assert "service_tier=" in rows[0]["conclusions"] and rows[0]["hash"] == store.get(1).hash
    data = io.StringIO()
    store.export(data, "json", RecordFilter(actor="alice"))
    exported = json.loads(data.getvalue())
    assert [e["id"] for e in exported] == [3]
    assert exported[0]["payload"]["case"]["customer"]["id"] == "C-1"
    with pytest.raises(AuditRequestError, match="format"):
        store.export(io.StringIO(), "xlsx")


def test_threads_writing_at_once_keep_one_linear_chain(store: AuditStore) -> None:
    def work(n: int) -> list[int]:
        return [record(store, actor=f"thread-{n}", id=f"C-{n}-{i}") for i in range(20)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [i for batch in pool.map(work, range(8)) for i in batch]
    assert sorted(ids) == list(range(1, 161))
    report = store.verify()
    assert report.ok and report.checked == 160


def _downgrade_to_schema_1(store: AuditStore) -> None:
    """Turn a database into what schema 1 created, as an old install left it: its records of
    format 1, hash only (no key), and no batch_ref, key_id or hmac column."""
    rehash(store, lambda row: {**row, "format": 1, "key_id": None, "hmac": None})
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_audit_records_batch_ref"))
        for column in ("batch_ref", "key_id", "hmac"):
            conn.execute(sa.text(f"ALTER TABLE audit_records DROP COLUMN {column}"))
        conn.execute(sa.text("DELETE FROM audit_schema"))
        conn.execute(models.schema_versions.insert().values(version=1, applied_at="old"))


def test_reopening_keeps_the_records_and_an_upgrade_keeps_them_too(
    audit_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AuditStore(audit_url) as first:
        record(first)
        record(first)
        _downgrade_to_schema_1(first)
    with AuditStore(audit_url) as upgraded:  # schema 1 → 8, nothing lost
        report = upgraded.verify()
        assert upgraded.count() == 2 and report.ok
        assert (report.protection.hash_only, report.protection.hmac) == (2, 0)
        with upgraded.engine.connect() as conn:
            assert models.schema_version(conn) == models.SCHEMA_VERSION == 8
            columns = {c["name"] for c in sa.inspect(conn).get_columns("audit_records")}
            assert {"batch_ref", "key_id", "hmac"} <= columns
        record(upgraded)  # the first signed record, format 2, after the old ones
        report = upgraded.verify()
        assert upgraded.count() == 3 and report.ok
        assert (report.protection.hash_only, report.protection.hmac) == (2, 1)
        assert upgraded.get(3).hash == rows(upgraded)[2]["hash"]
        assert [r["format"] for r in rows(upgraded)] == [1, 1, 2]
    monkeypatch.setattr(models, "SCHEMA_VERSION", 1)
    with pytest.raises(AuditUnavailable, match="schema version 8, newer than this program's 1"):
        AuditStore(audit_url)


def test_a_batch_row_is_recorded_once_even_when_recorded_again(store: AuditStore) -> None:
    engine = default_engine()
    cases = [parse_case({"customer": customer(id=f"C-{i}")}) for i in range(3)]
    consulted = [(engine.consult(c), c) for c in cases]
    refs = ["run1:1", "run1:2", "run1:3"]
    first = store.record_consultations(
        consulted[:2], engine.compiled, "mia", "manager", batch_refs=refs[:2]
    )
    again = store.record_consultations(
        consulted, engine.compiled, "mia", "manager", batch_refs=refs
    )
    assert [r["id"] for r in first] == [1, 2]
    assert [(r["id"], r["batch_ref"]) for r in again] == [(3, "run1:3")]
    assert store.count() == 3 and store.verify().ok


def test_the_application_has_no_update_or_delete_path() -> None:
    source = "\n".join(p.read_text() for p in Path(models.__file__).parent.glob("*.py"))
    for statement in ("sa.update", "sa.delete", ".update()", ".delete()", "UPDATE ", "DELETE "):
        assert statement not in source
    assert not [name for name in dir(AuditStore) if re.search("update|delete|remove", name)]


def test_the_snapshot_content_hashes_to_the_version_the_compiler_gives() -> None:
    from engine.audit.snapshots import snapshot_text

    compiled = default_engine().compiled
    text = snapshot_text(compiled)
    assert version_of(text) == compiled.version
    assert canonical(json.loads(text)) == text


def test_a_batch_is_appended_in_one_transaction_and_chains_with_the_rest(
    store: AuditStore, grading_engine: Engine
) -> None:
    record(store, grading_engine)
    cases = [parse_case({"customer": customer(id=f"B-{i}")}) for i in range(30)]
    consulted = [(grading_engine.consult(c), c) for c in cases]
    rows = store.record_consultations(consulted, grading_engine.compiled, "batch-runner", "rep")
    assert [r["id"] for r in rows] == list(range(2, 32))
    assert store.get(31).customer_id == "B-29" and store.get(31).channel == "batch"
    record(store, grading_engine)
    report = store.verify()
    assert report.ok and report.checked == 32
    with pytest.raises(AuditRequestError, match="not a role"):
        store.record_consultations(consulted, grading_engine.compiled, "x", "boss")
    with pytest.raises(AuditRequestError, match="is from rule base"):
        store.record_consultations(consulted, default_engine().compiled, "x", "rep")
