"""Referred credit requests and second approvals (issue 22, engine/referrals/ and
engine/audit/authority.py): the queue, decisions beyond the decider's authority recorded as
proposals, confirmation or rejection by someone else with a higher authority, the chain; on
SQLite and PostgreSQL, and from the command line."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import engine.cli
from engine.api import consult
from engine.audit.authority import FINAL, PENDING, needs_second, required_rank, standing, status
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.memo import credit_memo_html
from engine.audit.store import AuditStore
from engine.referrals.approvals import CONFIRM, REJECT, ReferralError, Who, second_approval
from engine.referrals.queue import referral_queue
from engine.referrals.text import render_queue
from engine.users import User, write_users
from knowledge_base import load_knowledge
from knowledge_base.authority import load_authority
from tests.audit import conftest as audit
from tests.conftest import CASES, load_golden

audit_key_file, audit_url = audit.audit_key_file, audit.audit_url
postgres_server, store = audit.postgres_server, audit.store

REFER = CASES / "credit/company-slow-payer-refer.yaml"  # asks 200,000 for 60 days
DECLINE = CASES / "credit/decline-very-high-risk.yaml"
APPROVE = CASES / "credit/approve-most-valuable.yaml"  # 250,000 recommended


def body(decision: str, limit: float | None, rec: str, rec_limit: float | None) -> dict[str, Any]:
    return {
        "decision": decision,
        "limit": limit,
        "recommended": {"decision": rec, "limit": rec_limit},
    }


def test_when_a_decision_needs_a_second_approver() -> None:
    authority = load_authority()
    assert needs_second(body("approve", 100_000, "refer", None), "manager", authority) == []
    assert needs_second(body("approve", 600_000, "refer", None), "manager", authority) == [
        "above_own_limit"
    ]
    assert needs_second(body("approve", 600_000, "refer", None), "admin", authority) == []
    assert needs_second(body("approve", 50_000, "decline", None), "manager", authority) == [
        "decline_override"
    ]
    assert needs_second(body("approve", 400_000, "approve", 250_000), "manager", authority) == [
        "above_multiple"
    ]
    assert needs_second(body("approve", 375_000, "approve", 250_000), "manager", authority) == []
    assert required_rank(body("approve", 600_000, "refer", None), "manager", authority) == 1
    assert required_rank(body("approve", 50_000, "decline", None), "admin", authority) == 1


def consulted(store: AuditStore, path: Path) -> int:
    result = consult(load_golden(path)["case"], store=store, actor="rita", role="rep")
    assert result.audit_id is not None
    return result.audit_id


def test_a_referral_waits_until_decided_and_a_large_limit_until_confirmed(
    store: AuditStore,
) -> None:
    small, large, declined = (
        consulted(store, REFER),
        consulted(store, REFER),
        consulted(store, DECLINE),
    )
    assert [w.consultation for w in referral_queue(store)] == [small, large]
    entry = referral_queue(store)[0]
    assert (entry.requested_amount, entry.requested_term_days, entry.recommended) == (
        200_000,
        60,
        "refer",
    )

    first = store.record_decision(
        small, DecisionRequest("approve", 150_000, 60, "known payer"), actor="mia", role="manager"
    )
    assert status(first) == FINAL and first.decision == "approve"
    proposal = store.record_decision(
        large,
        DecisionRequest("approve", 800_000, 60, "strategic account"),
        actor="mia",
        role="manager",
    )
    assert status(proposal) == PENDING and proposal.decision is None
    assert (proposal.payload or {})["second"] == {"needs": ["above_own_limit"], "role": "admin"}
    grant = store.record_decision(
        declined,
        DecisionRequest("approve", 50_000, 30, "guarantee from the parent"),
        actor="mia",
        role="manager",
    )
    assert (grant.payload or {})["second"]["needs"] == ["decline_override"]
    waiting = referral_queue(store)
    assert [(w.consultation, w.proposal.id if w.proposal else None) for w in waiting] == [
        (large, proposal.id),
        (declined, grant.id),
    ]
    text = render_queue(waiting, load_knowledge(), "en")
    assert (
        f"      proposal #{proposal.id} by mia: Approve, limit 800,000 yuan; to be confirmed by "
        "the role administrator or a higher one (a limit above the decider's own authority)"
    ) in text.splitlines()

    with pytest.raises(
        ReferralError, match=f"mia proposed decision {proposal.id}: it is confirmed"
    ):
        second_approval(store, proposal.id, CONFIRM, Who("mia", "manager"), "fine")
    with pytest.raises(ReferralError, match="that needs the role administrator or a higher one"):
        second_approval(store, proposal.id, CONFIRM, Who("max", "manager"), "fine")
    with pytest.raises(ReferralError, match="须具备管理员或更高的权限"):
        second_approval(store, proposal.id, CONFIRM, Who("max", "manager"), "好", lang="zh")
    waiting_memo = credit_memo_html(store, large)
    assert (
        f"Decision {proposal.id}, proposed by mia, waits for a second approver with the role "
        "administrator or a higher one."
    ) in waiting_memo
    confirmed = second_approval(store, proposal.id, CONFIRM, Who("ada", "admin"), "board approved")
    memo = credit_memo_html(store, large)
    assert "Confirmed by (second approver)" in memo and "board approved" in memo
    assert "waits for a second approver" not in memo
    assert (confirmed.decision, (confirmed.payload or {})["limit"]) == ("approve", 800_000)
    assert standing(store.decisions_for(large)) == confirmed
    rejected = second_approval(store, grant.id, REJECT, Who("ada", "admin"), "no guarantee seen")
    assert rejected.decision is None and standing(store.decisions_for(declined)) is None
    with pytest.raises(
        ReferralError, match=f"decision {grant.id} has already been confirmed or rejected"
    ):
        second_approval(store, grant.id, CONFIRM, Who("ada", "admin"), "changed my mind")
    assert referral_queue(store) == []
    assert store.verify().ok


def test_an_auditor_or_a_rep_takes_no_final_decision(store: AuditStore) -> None:
    record = consulted(store, REFER)
    with pytest.raises(AuditRequestError, match="only a manager or an admin can record"):
        store.record_decision(record, DecisionRequest("approve"), actor="al", role="auditor")


def test_the_queue_from_the_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    audit_url = f"sqlite:///{tmp_path / 'cli.db'}"  # the command line on SQLite: the store
    # tests above run on both backends
    users = tmp_path / "users.yaml"
    write_users(
        users,
        [(User("mia", "Mia", "manager"), "mia-pw"), (User("ada", "Ada", "admin"), "ada-pw")],
        rounds=4,
    )
    monkeypatch.setenv("SALES_EXPERT_USERS", str(users))
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", audit_url)
    with AuditStore(audit_url) as opened:
        large = consulted(opened, REFER)

    def run(*args: str, password: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setenv("SALES_EXPERT_PASSWORD", password or "")
        code = engine.cli.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("referrals", "--lang", "zh")
    assert code == 0 and out.startswith("等待中的授信申请，按等待时间先后（共1项）：")
    assert (
        f"  #{large}  Nanhu Medical Supplies Co.：申请200,000 元，期限60天；"
        "建议：转交信用经理审核；" in out
    )
    manager = ("--actor", "mia", "--role", "manager")
    code, out, err = run(
        "audit",
        "decide",
        str(large),
        "--decision",
        "approve",
        "--limit",
        "800000",
        "--reason",
        "strategic",
        *manager,
        password="mia-pw",
    )
    assert code == 0, err
    proposal = large + 1
    assert out.startswith(
        f"Recorded as proposal {proposal}: it decides nothing until someone with the role "
        "administrator or a higher one confirms it"
    )
    code, out, _ = run("referrals", "--json")
    assert json.loads(out)[0]["proposal"]["confirmer_role"] == "admin"
    code, out, err = run(
        "referrals",
        "confirm",
        str(proposal),
        "--reason",
        "board",
        "--actor",
        "ada",
        "--role",
        "admin",
        password="ada-pw",
    )
    assert code == 0, err
    assert (
        out == f"Decision {proposal} confirmed by ada (audit record {proposal + 1}): it stands.\n"
    )
    code, out, _ = run("referrals")
    assert out == "No credit request is waiting for a decision.\n"
    code, _, err = run(
        "referrals",
        "reject",
        "1",
        "--reason",
        "x",
        "--actor",
        "ada",
        "--role",
        "admin",
        password="ada-pw",
    )
    assert code == 2 and "audit record 1 is not a decision waiting for a second approver" in err


def test_ages_count_from_the_recording(store: AuditStore) -> None:
    record = consulted(store, REFER)
    [entry] = referral_queue(store)
    later = referral_queue(store, now=_parse(entry.recorded_at) + timedelta(hours=30))
    assert entry.consultation == record and round(later[0].hours) == 30


def _parse(text: str) -> Any:
    from datetime import UTC, datetime

    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
