"""A draft's life after drafting (issue 21, engine/policy/lifecycle.py): submit, four-eyes
approval or rejection, publication that switches live consultations to the draft's policy, and
rollback that switches them back, each step an audit record in the signed chain; on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from engine.api import consult, default_engine
from engine.audit.replay import replay
from engine.audit.store import AuditStore
from engine.calibrate.apply import engine_with
from engine.policy.drafts import create_draft, get_draft, set_parameter
from engine.policy.lifecycle import draft_events, history, publish, review, rollback
from engine.policy.live import live_engine, live_policy
from engine.policy.model import (
    APPROVE,
    PUBLISHED,
    REJECT,
    REJECTED,
    ROLLED_BACK,
    SUBMIT,
    SUBMITTED,
    Who,
)
from engine.policy.refusal import PolicyError
from tests.audit import conftest as audit
from tests.conftest import CASES, load_golden

audit_key_file, audit_url = audit.audit_key_file, audit.audit_url
postgres_server, store = audit.postgres_server, audit.store

ADA, BOB, CY = Who("ada", "admin"), Who("bob", "admin"), Who("cy", "admin")
VERY_HIGH = "credit.risk_very_high_min_score"  # 70 points: the slow payer is referred
SLOW_PAYER = "credit/company-slow-payer-refer.yaml"  # refer at a high risk, declined from 45


def decision(result: Any) -> str:
    found = result.conclusion("credit_decision")
    assert found is not None
    return str(found.value)


def approved(store: AuditStore, name: str, value: float, author: Who = ADA) -> None:
    """A draft by ``author`` setting the very-high cut-off, submitted and approved by BOB."""
    create_draft(store, name, author, "tighten the very high risk band")
    set_parameter(store, name, VERY_HIGH, value, author, "decline more high risks")
    review(store, name, SUBMIT, author, "ready for review")
    review(store, name, APPROVE, BOB, "checked the simulation")


def test_publish_switches_new_consultations_and_rollback_switches_them_back(
    store: AuditStore,
) -> None:
    case = load_golden(CASES / SLOW_PAYER)["case"]
    shipped = default_engine().version
    before = consult(case, store=store, actor="rep1", role="rep")
    assert decision(before) == "refer" and before.ruleset_version == shipped

    approved(store, "tighter", 45)
    done = publish(store, "tighter", BOB, "committee approved on 4 December")
    assert done.draft.status == PUBLISHED and done.event.previous_version == shipped
    tighter = engine_with({VERY_HIGH: 45}).version
    assert done.live.draft == "tighter" and done.event.version == tighter
    assert live_policy(store).values == {VERY_HIGH: 45.0}
    during = consult(case, store=store, actor="rep1", role="rep")
    assert decision(during) == "decline" and during.ruleset_version == tighter

    undone = rollback(store, BOB, "too many declines in the first week")
    assert undone.draft.status == ROLLED_BACK and undone.live.publication is None
    after = consult(case, store=store, actor="rep1", role="rep")
    assert decision(after) == "refer" and after.ruleset_version == shipped

    # every consultation keeps the version that decided it, and replays under it
    assert during.audit_id is not None
    assert store.get(during.audit_id).ruleset_version == tighter
    assert replay(store, during.audit_id).identical
    steps = [(r.decision, r.actor) for r in store.list_records() if r.kind == "policy"]
    assert sorted(steps) == sorted(
        [("submit", "ada"), ("approve", "bob"), ("publish", "bob"), ("rollback", "bob")]
    )
    assert store.verify().ok
    shown = [(e.event, e.draft, e.version, e.previous_version) for e in history(store)]
    assert shown == [
        ("publish", "tighter", tighter, shipped),
        ("rollback", "tighter", shipped, tighter),
    ]


def test_the_author_cannot_approve_their_own_draft(store: AuditStore) -> None:
    create_draft(store, "mine", ADA, "tighten")
    set_parameter(store, "mine", VERY_HIGH, 45, CY, "decline more")
    review(store, "mine", SUBMIT, ADA, "ready")
    for who in (ADA, CY):  # the author, and whoever changed it
        with pytest.raises(PolicyError, match=rf"{who.actor} drafted or changed draft mine.*four"):
            review(store, "mine", APPROVE, who, "looks fine to me")
    with pytest.raises(PolicyError, match=r"须由他人批准或驳回（四眼原则）"):
        review(store, "mine", APPROVE, ADA, "没问题", lang="zh")
    assert get_draft(store, "mine").status == SUBMITTED
    review(store, "mine", APPROVE, BOB, "checked")
    assert [e.event for e in draft_events(store, "mine")] == ["submit", "approve"]


def test_steps_out_of_order_are_refused_and_store_nothing(store: AuditStore) -> None:
    create_draft(store, "empty", ADA, "nothing yet")
    with pytest.raises(PolicyError, match=r"changes nothing yet"):
        review(store, "empty", SUBMIT, ADA, "ready")
    set_parameter(store, "empty", VERY_HIGH, 45, ADA, "decline more")
    with pytest.raises(PolicyError, match=r"is being drafted: publishing needs a draft that is"):
        publish(store, "empty", BOB, "go")
    review(store, "empty", SUBMIT, ADA, "ready")
    with pytest.raises(PolicyError, match=r"only a draft being drafted takes changes"):
        set_parameter(store, "empty", VERY_HIGH, 50, ADA, "a little less")
    review(store, "empty", REJECT, BOB, "simulate it on last year's book first")
    assert get_draft(store, "empty").status == REJECTED
    with pytest.raises(
        PolicyError, match=r"is rejected: publishing needs a draft that is approved"
    ):
        publish(store, "empty", BOB, "go anyway")
    with pytest.raises(PolicyError, match=r"nothing to roll back"):
        rollback(store, BOB, "undo")
    assert live_policy(store).publication is None
    assert [r.decision for r in store.list_records() if r.kind == "policy"] == ["reject", "submit"]


def test_only_an_admin_takes_the_steps(store: AuditStore) -> None:
    create_draft(store, "t", ADA, "tighten")
    set_parameter(store, "t", VERY_HIGH, 45, ADA, "decline more")
    review(store, "t", SUBMIT, ADA, "ready")
    with pytest.raises(PolicyError, match=r"mia acts as manager: approving or rejecting.*admin"):
        review(store, "t", APPROVE, Who("mia", "manager"), "fine")
    with pytest.raises(PolicyError, match=r"角色为经理：只有管理员角色可以回滚政策草案"):
        rollback(store, Who("mia", "manager"), "撤销", lang="zh")


def test_a_draft_made_before_another_publication_is_stale(store: AuditStore) -> None:
    approved(store, "first", 45)
    approved(store, "second", 60)
    publish(store, "first", BOB, "committee")
    with pytest.raises(PolicyError, match=r"draft second was drafted on rule base rb-.*now rb-"):
        publish(store, "second", BOB, "committee")
    assert live_policy(store).draft == "first"


def test_a_draft_carries_the_live_policy_and_rollbacks_unwind_in_order(
    store: AuditStore,
) -> None:
    approved(store, "first", 45)
    publish(store, "first", BOB, "committee")
    create_draft(store, "second", ADA, "on top of the first")
    carried = get_draft(store, "second")
    assert carried.values == {VERY_HIGH: 45.0}
    assert carried.base_version == engine_with({VERY_HIGH: 45}).version
    set_parameter(store, "second", "credit.risk_high_min_score", 30, ADA, "a lower high band")
    review(store, "second", SUBMIT, ADA, "ready")
    review(store, "second", APPROVE, BOB, "checked")
    publish(store, "second", BOB, "committee")
    assert dict(live_policy(store).values) == {VERY_HIGH: 45.0, "credit.risk_high_min_score": 30}

    assert rollback(store, BOB, "back to the first").live.draft == "first"
    assert rollback(store, BOB, "back to the shipped rules").live.publication is None
    assert live_engine(store) is default_engine()
    with pytest.raises(PolicyError, match=r"nothing to roll back"):
        rollback(store, BOB, "once more")


def test_another_process_sees_a_publication_at_its_next_consultation(
    store: AuditStore, audit_url: str, audit_key_file: Any
) -> None:
    with AuditStore(audit_url) as other:  # as a web server would hold it
        assert live_engine(other) is default_engine()
        approved(store, "tighter", 45)
        publish(store, "tighter", BOB, "committee")
        assert live_engine(other).version == engine_with({VERY_HIGH: 45}).version
        rollback(store, BOB, "undo")
        assert live_engine(other) is default_engine()
