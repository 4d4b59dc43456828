"""Outcomes in the audit store, on SQLite and PostgreSQL: linked to a consultation by id or by
customer and date, checked against it, recorded once (idempotent), corrected by new records,
signed in the one chain — and a tampered outcome record fails ``verify``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from engine.audit.chain import canonical
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.records import RecordFilter
from engine.audit.store import AuditStore
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.records import Settled, Who, fingerprint
from tests.audit.tampering import edit, rehash, rows
from tests.outcomes.conftest import MANAGER, Clock, consulted


def outcome(**fields: Any) -> Outcome:
    data = {"module": "credit", "outcome": "paid_on_time", "observed_at": "2025-03-31", **fields}
    found = parse_outcome(data, "en", date(2025, 12, 31))
    assert isinstance(found, Outcome), found
    return found


def record(store: AuditStore, *outcomes: Outcome, who: Who = MANAGER) -> list[Settled]:
    return store.record_outcomes(list(outcomes), who)


def problems(settled: Settled) -> dict[str, str]:
    assert settled.status == "failed", settled
    return {p.field: p.message for p in settled.problems}


def test_an_outcome_is_a_signed_record_of_the_chain_linked_to_its_consultation(
    store: AuditStore, clock: Clock
) -> None:
    clock.at("2025-01-10")
    consultation = consulted(store, "credit", "C-7")
    clock.at("2025-04-02")
    paid_late = outcome(consultation_id=consultation, outcome="paid_late", days_late=12)
    [settled] = record(store, paid_late)
    assert (settled.status, settled.record_id) == ("recorded", 2)
    got = store.get(2)
    assert (got.kind, got.ref_id, got.customer_id, got.modules) == (
        "outcome",
        1,
        "C-7",
        ("credit",),
    )
    assert (got.decision, got.actor, got.role, got.channel) == (
        "paid_late",
        "mona",
        "manager",
        "cli",
    )
    assert got.ruleset_version == store.get(1).ruleset_version
    assert got.payload == {
        "outcome": {
            "module": "credit",
            "outcome": "paid_late",
            "observed_at": "2025-03-31",
            "days_late": 12,
        },
        "linked_by": "consultation_id",
    }
    raw = rows(store)[1]
    assert raw["format"] == 2 and raw["key_id"] == store.keys.load().active.id  # type: ignore[union-attr]
    assert raw["batch_ref"] == fingerprint(1, paid_late) and raw["batch_ref"].startswith("outcome:")
    assert raw["prev_hash"] == rows(store)[0]["hash"]
    assert [o.id for o in store.outcomes_for(1)] == [2]
    assert [r.id for r in store.list_records(RecordFilter(kind="outcome"))] == [2]
    assert [r.id for r in store.list_records(RecordFilter(decision="paid_late"))] == [2]
    assert store.verify().ok


def test_by_customer_and_date_the_latest_consultation_of_the_module_before_the_date(
    store: AuditStore, clock: Clock
) -> None:
    clock.at("2025-01-10")
    first = consulted(store, "credit", "C-1")  # 1
    clock.at("2025-02-10")
    latest_credit = consulted(store, "credit", "C-1")  # 2
    clock.at("2025-02-20")
    grading_only = consulted(store, "grading", "C-1")  # 3: no credit
    consulted(store, "credit", "C-2")  # 4: another customer
    clock.at("2025-03-15", "09:30:00")
    same_day = consulted(store, "credit", "C-1")  # 5: on the observation day, not before it
    clock.at("2025-04-01")
    found = record(
        store,
        outcome(customer_id="C-1", observed_at="2025-03-01"),
        outcome(customer_id="C-1", observed_at="2025-03-15", outcome="defaulted"),
        outcome(customer_id="C-1", observed_at="2025-03-16", outcome="paid_late", days_late=3),
        outcome(
            customer_id="C-1",
            observed_at="2025-03-01",
            module="grading",
            outcome="purchases",
            repeat_purchase=False,
            revenue=0,
        ),
        outcome(customer_id="C-1", observed_at="2025-02-10"),
    )
    assert [s.record_id for s in found] == [6, 7, 8, 9, 10]
    linked = [store.get(i).ref_id for i in (6, 7, 8, 9, 10)]
    # 2025-02-10: consultation 2 was recorded that day, so only consultation 1 is before it
    assert linked == [latest_credit, latest_credit, same_day, grading_only, first]
    assert store.get(6).payload["linked_by"] == "customer_id"  # type: ignore[index]


def test_the_day_before_links_to_the_earlier_consultation(store: AuditStore, clock: Clock) -> None:
    clock.at("2025-01-10")
    first = consulted(store, "credit", "C-1")
    clock.at("2025-02-10")
    consulted(store, "credit", "C-1")
    [settled] = record(store, outcome(customer_id="C-1", observed_at="2025-02-10"))
    assert settled.record_id is not None and store.get(settled.record_id).ref_id == first
    [none] = record(store, outcome(customer_id="C-1", observed_at="2025-01-10"))
    assert problems(none) == {
        "customer_id": "this customer has no consultation of this module recorded before 2025-01-10"
    }


def test_what_the_consultation_refuses(store: AuditStore, clock: Clock) -> None:
    clock.at("2025-01-10")
    credit = consulted(store, "credit", "C-1")
    grading = consulted(store, "grading", "C-1")
    decision = store.record_decision(credit, DecisionRequest("approve"), actor="mona").id
    found = record(
        store,
        outcome(consultation_id=99),
        outcome(consultation_id=grading),
        outcome(consultation_id=decision),
        outcome(consultation_id=credit, customer_id="C-9"),
        outcome(consultation_id=credit, observed_at="2025-01-09"),
    )
    assert [problems(s) for s in found] == [
        {"consultation_id": "there is no audit record 99"},
        {
            "module": f"consultation {grading} concluded nothing in this module "
            "(it concluded: grading)"
        },
        {"consultation_id": f"record {decision} is not a consultation (it is: final decision)"},
        {"customer_id": f"consultation {credit} is about customer C-1, not this one"},
        {
            "observed_at": f"is before consultation {credit} was recorded (2025-01-10): an outcome "
            "follows its consultation"
        },
    ]
    assert store.count() == 3  # nothing recorded
    zh = store.record_outcomes([outcome(consultation_id=99)], MANAGER, "zh")
    assert problems(zh[0]) == {"consultation_id": "不存在审计记录 99"}


def test_recording_twice_records_once(store: AuditStore, clock: Clock) -> None:
    clock.at("2025-01-10")
    consultation = consulted(store, "credit", "C-1")
    by_id = outcome(consultation_id=consultation, outcome="written_off", amount_lost=500)
    by_customer = outcome(customer_id="C-1", outcome="written_off", amount_lost=500.0)
    first = record(store, by_id, by_id)
    assert [(s.record_id, s.duplicate_of) for s in first] == [(2, None), (None, 2)]
    again = record(store, by_customer, who=Who("rita", "rep", "ui"))  # same content, other link
    assert [(s.status, s.duplicate_of) for s in again] == [("duplicate", 2)]
    other = record(
        store, outcome(consultation_id=consultation, outcome="written_off", amount_lost=501)
    )
    assert other[0].record_id == 3
    assert store.count() == 3 and store.verify().ok


def test_a_correction_is_a_new_record_and_the_corrected_one_is_unchanged(
    store: AuditStore, clock: Clock
) -> None:
    clock.at("2025-01-10")
    credit = consulted(store, "credit", "C-1")
    other = consulted(store, "credit", "C-2")
    [wrong] = record(store, outcome(consultation_id=credit, outcome="paid_on_time"))
    [elsewhere] = record(store, outcome(consultation_id=other))
    before = rows(store)[wrong.record_id - 1]  # type: ignore[operator]
    fixed = outcome(
        consultation_id=credit, outcome="paid_late", days_late=20, corrects=wrong.record_id
    )
    [correction] = record(store, fixed)
    assert correction.record_id == 5
    assert rows(store)[wrong.record_id - 1] == before  # type: ignore[operator]
    assert store.get(5).payload["outcome"]["corrects"] == wrong.record_id  # type: ignore[index]
    assert [o.id for o in store.outcomes_for(credit)] == [3, 5]
    refused = record(
        store,
        outcome(consultation_id=credit, corrects=77),
        outcome(consultation_id=credit, corrects=credit),
        outcome(consultation_id=credit, corrects=elsewhere.record_id),
    )
    assert [problems(s) for s in refused] == [
        {"corrects": "there is no audit record 77 to correct"},
        {"corrects": f"record {credit} is not an outcome (it is: consultation)"},
        {"corrects": f"outcome record 4 is about consultation {other}, not consultation {credit}"},
    ]


def test_a_tampered_outcome_record_fails_verify(store: AuditStore, clock: Clock) -> None:
    clock.at("2025-01-10")
    consultation = consulted(store, "credit", "C-1")
    record(store, outcome(consultation_id=consultation, outcome="written_off", amount_lost=90_000))
    consulted(store, "grading", "C-3")
    assert store.verify().ok
    payload = json.loads(rows(store)[1]["payload"])
    payload["outcome"]["amount_lost"] = 9_000
    edit(store, 2, payload=canonical(payload))
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 2)
    # the same edit with every hash recomputed (no key): the HMAC gives it away
    rehash(store, lambda row: {**row, "payload": canonical(payload)} if row["id"] == 2 else row)
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("hmac_mismatch", 2)


def test_an_edited_fingerprint_fails_verify(store: AuditStore, clock: Clock) -> None:
    consultation = consulted(store, "credit", "C-1")
    record(store, outcome(consultation_id=consultation, observed_at=clock.now[:10]))
    edit(store, 2, batch_ref="outcome:" + "0" * 64)  # would let the outcome be recorded twice
    problem = store.verify().problem
    assert problem is not None and (problem.kind, problem.record_id) == ("altered", 2)


@pytest.mark.parametrize("role", ["auditor", "king"])
def test_an_auditor_records_no_outcome(store: AuditStore, role: str) -> None:
    consultation = consulted(store, "credit", "C-1")
    with pytest.raises(AuditRequestError, match="role"):
        record(store, outcome(consultation_id=consultation), who=Who("ann", role, "cli"))
    assert store.count() == 1
