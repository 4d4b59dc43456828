"""The Referrals page (issue 22) in AppTest: a referred consultation waits in the queue with its
customer, amount, term, recommendation and age, oldest first, and opens to its credit memo; a
manager's decision above their authority becomes a proposal (the engine's pending sentence) and
the entry shows who proposed what and who must confirm; the proposer and another manager
pressing Confirm see the engine's refusal and nothing is recorded; an administrator confirms
(the queue is empty) or rejects (the request waits again); the page reads in Chinese; a rep
cannot open it and an auditor reads it without any form or button. The credit page's own
decision form records a proposal the same way.

Referred consultations are recorded with the engine's API on the page's own audit database
(``audit_store``), channel ui; every expected sentence is the engine's or the page's text,
escaped as the page shows it (``plain``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from engine.api import consult
from engine.audit.authority import PENDING, standing, status
from engine.audit.decisions import DecisionRequest
from engine.audit.memo import credit_memo_html
from engine.audit.records import AuditRecord
from engine.referrals import queue
from engine.referrals.text import pending_text
from engine.users import User
from knowledge_base import load_knowledge
from tests.conftest import REPO
from tests.ui.conftest import (
    BY_ROLE,
    audit_store,
    load_example,
    open_page,
    signed_in,
    submit,
    texts,
)
from ui.inert import plain

KB = load_knowledge()
CASE = REPO / "tests" / "cases" / "credit" / "company-slow-payer-refer.yaml"
MIA, ADAM = BY_ROLE["manager"], BY_ROLE["admin"]
MAX = User("max", "Max Manager", "manager")
"""Another credit manager: below the administrator's authority the proposal needs."""
pytestmark = pytest.mark.usefixtures("ui_env")


def rt(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"ui.referrals.{key}", lang, **values)


def referred(customer_id: str = "C-2202") -> int:
    """Record the referred example case as the app would (channel ui); its audit id."""
    case: dict[str, Any] = yaml.safe_load(CASE.read_text(encoding="utf-8"))["case"]
    case["customer"]["id"] = customer_id
    result = consult(case, actor="mia", role="manager", channel="ui", store=audit_store())
    assert result.audit_id is not None
    return result.audit_id


def proposed(consultation: int, limit: int = 800_000) -> AuditRecord:
    """The manager's decision above her own authority, recorded with the engine's API."""
    request = DecisionRequest("approve", limit, 60, "owner's personal guarantee")
    return audit_store().record_decision(
        consultation, request, actor="mia", role="manager", channel="ui"
    )


def page(role: str = "manager", locale: str | None = None) -> AppTest:
    return open_page(signed_in(role, locale), "referrals")


def as_user(at: AppTest, user: User) -> AppTest:
    """Another person at the same browser."""
    at.session_state["user"] = user
    return at.run()


def rows(at: AppTest) -> list[dict[str, Any]]:
    [table] = at.dataframe
    found: list[dict[str, Any]] = table.value.to_dict("records")
    return found


def memo_shown(at: AppTest) -> str:
    """The HTML of the memo framed in the page (a ``data:`` URL)."""
    [frame] = at.get("iframe")
    prefix, _, encoded = str(frame.proto.src).partition("base64,")
    assert prefix == "data:text/html;charset=utf-8;"
    return base64.b64decode(encoded).decode("utf-8")


def buttons(at: AppTest) -> list[str]:
    return [b.key or "" for b in at.button if b.key != "logout_button"]


def confirm(at: AppTest, proposal: int, reason: str, step: str = "confirm") -> AppTest:
    at.text_input(key=f"referrals_second_reason_{proposal}").input(reason)
    at.button(key=f"referrals_step_{proposal}_{step}").click()
    return at.run()


@pytest.fixture
def hours_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Make the page's queue read the clock ``hours`` after the first referred consultation."""
    original = queue.referral_queue

    def later(hours: float) -> None:
        created = audit_store().get(1).created_at
        when = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        moment = when + timedelta(hours=hours)
        monkeypatch.setattr(
            queue, "referral_queue", lambda store, now=None: original(store, moment)
        )

    return later


# -- the queue --------------------------------------------------------------------------------


def test_a_referred_consultation_waits_with_its_amount_and_age(
    hours_later: Callable[[float], None],
) -> None:
    first, second = referred(), referred("C-2203")
    hours_later(5.5)
    at = page()
    assert not at.exception
    assert texts(at, "title") == [KB.text("ui.page.referrals.title", "en")]
    assert rt("count", count=2) in texts(at, "caption")
    oldest, newest = rows(at)
    assert oldest == {
        "Consultation": f"#{first}",
        "Customer": "Nanhu Medical Supplies Co. (C-2202)",
        "Amount asked": "200,000 yuan",
        "Term asked": "60 days",
        "Recommendation": "Refer to a credit manager",
        "Hours waiting": 5.5,
        "Status": "Waiting for a decision",
    }
    assert newest["Consultation"] == f"#{second}" and newest["Hours waiting"] <= 5.5
    late = newest["Hours waiting"]
    opened = at.selectbox(key="referrals_open")
    assert opened.value == first  # the oldest opens first, by its consultation id
    assert opened.options == [
        "#1 Nanhu Medical Supplies Co. (C-2202): 200,000 yuan, waiting 5.5 h",
        f"#2 Nanhu Medical Supplies Co. (C-2203): 200,000 yuan, waiting {late:g} h",
    ]
    head = "**Consultation #1**: Nanhu Medical Supplies Co\\. \\(C\\-2202\\) asks 200,000 yuan"
    assert any(m.startswith(head) and "waiting 5.5 h" in m for m in texts(at, "markdown"))
    memo = memo_shown(at)
    assert memo == credit_memo_html(audit_store(), first, "en")
    assert "Nanhu Medical Supplies Co." in memo and "200,000 yuan" in memo
    # the form starts at the recommendation, keyed by the consultation id
    assert at.selectbox(key=f"referrals_decide_{first}_decision").value == "refer"
    opened.set_value(second).run()
    assert at.selectbox(key=f"referrals_decide_{second}_decision").value == "refer"
    assert "C-2203" in memo_shown(at)


def test_a_decision_above_the_managers_authority_is_a_proposal() -> None:
    consultation = referred()
    at = page()
    prefix = f"referrals_decide_{consultation}"
    at.selectbox(key=f"{prefix}_decision").set_value("approve")
    at.text_input(key=f"{prefix}_limit").input("800,000")
    at.text_input(key=f"{prefix}_term").input("60")
    at.text_area(key=f"{prefix}_reason").input("Owner's personal guarantee")
    submit(at, prefix)
    assert not at.exception and not texts(at, "error")
    [decision] = audit_store().decisions_for(consultation)
    assert (status(decision), decision.decision, decision.channel) == (PENDING, None, "ui")
    assert decision.payload is not None
    assert decision.payload["second"] == {"needs": ["above_own_limit"], "role": "admin"}
    assert texts(at, "info") == [pending_text(decision.id, decision.payload, KB, "en")]
    [row] = rows(at)
    assert row["Status"] == (
        "Proposal by mia: Approve, limit 800,000 yuan; waits for the role administrator or a "
        "higher one (a limit above the decider's own authority)"
    )
    markdown = texts(at, "markdown")
    line = f"Proposal #{decision.id} by mia (manager), "
    assert any(m.startswith(line) and "**Approve**, limit 800,000 yuan, term 60 days" in m
               for m in markdown)  # fmt: skip
    assert (
        "It stands only once someone with the role administrator or a higher one confirms it: "
        "a limit above the decider's own authority."
    ) in markdown
    assert rt("proposal.why", reason=plain("Owner's personal guarantee")) in texts(at, "caption")
    # no second decision while one waits: Confirm / Reject instead
    assert not [b for b in buttons(at) if prefix in b]
    assert buttons(at) == [f"referrals_step_{decision.id}_{s}" for s in ("confirm", "reject")]


def test_the_proposer_and_another_manager_are_refused_by_the_engine() -> None:
    proposal = proposed(referred())
    at = confirm(page(), proposal.id, "I checked it again")
    refusal = KB.text("referrals.error.own_proposal", "en", actor="mia", id=proposal.id)
    assert texts(at, "error") == [plain(refusal)]
    assert refusal == "mia proposed decision 2: it is confirmed or rejected by someone else"
    at = confirm(as_user(at, MAX), proposal.id, "looks fine")
    role = KB.text("memo.role.admin", "en")
    refusal = KB.text("referrals.error.authority", "en", actor="max", id=proposal.id, role=role)
    assert texts(at, "error") == [plain(refusal)]
    assert audit_store().count() == 2  # the consultation and the proposal: nothing more
    assert rows(at)[0]["Status"].startswith("Proposal by mia")


def test_an_administrator_confirms_and_the_queue_is_empty() -> None:
    consultation = referred()
    proposal = proposed(consultation)
    at = page("admin")
    assert at.selectbox(key="referrals_open").value == consultation
    at = confirm(at, proposal.id, "Guarantee verified")
    assert not texts(at, "error")
    found = standing(audit_store().decisions_for(consultation))
    assert found is not None and found.payload is not None
    assert (found.actor, found.role, found.decision, found.channel) == (
        "adam",
        "admin",
        "approve",
        "ui",
    )
    assert (found.payload["limit"], found.payload["confirms"]) == (800_000, proposal.id)
    done = KB.text("referrals.done.confirmed", "en", id=proposal.id, actor="adam", record=found.id)
    assert texts(at, "success") == [done]
    assert texts(at, "info") == [KB.text("referrals.queue.empty", "en")]
    assert not at.dataframe and not at.get("iframe")
    assert "Confirmed by (second approver)" in credit_memo_html(audit_store(), consultation, "en")


def test_an_administrator_rejects_and_the_request_waits_again() -> None:
    consultation = referred()
    proposal = proposed(consultation)
    at = confirm(page("admin"), proposal.id, "Guarantee not signed", step="reject")
    rejection = audit_store().decisions_for(consultation)[-1]
    assert rejection.payload is not None and rejection.payload["rejects"] == proposal.id
    done = KB.text(
        "referrals.done.rejected", "en", id=proposal.id, actor="adam", record=rejection.id
    )
    assert texts(at, "success") == [done]
    [row] = rows(at)
    assert row["Status"] == "Waiting for a decision"
    assert at.selectbox(key=f"referrals_decide_{consultation}_decision").value == "refer"


def test_the_page_in_chinese() -> None:
    consultation = referred()
    proposed(consultation)
    at = page(locale="zh-CN")
    assert texts(at, "title") == ["转交队列"]
    [row] = rows(at)
    assert row == {
        "咨询": f"#{consultation}",
        "客户": "Nanhu Medical Supplies Co.（C-2202）",
        "申请金额": "200,000 元",
        "申请账期": "60天",
        "系统建议": "转交信用经理审核",
        "已等待（小时）": row["已等待（小时）"],
        "状态": "mia的提议：批准，额度800,000 元；须由管理员或更高权限的人确认"
        "（额度超过决定人自身的审批权限）",
    }
    assert at.selectbox(key="referrals_open").label == "打开申请"
    assert "须由管理员或更高权限的人确认后方才生效：额度超过决定人自身的审批权限。" in texts(
        at, "markdown"
    )
    assert [b.label for b in at.button if b.key != "logout_button"] == ["确认", "驳回"]
    assert memo_shown(at) == credit_memo_html(audit_store(), consultation, "zh")
    at = confirm(at, 2, "我已核实")
    assert texts(at, "error") == [
        plain(KB.text("referrals.error.own_proposal", "zh", actor="mia", id=2))
    ]


# -- who sees it ------------------------------------------------------------------------------


def test_a_rep_cannot_open_it() -> None:
    at = signed_in("rep")
    with pytest.raises(ValueError):  # not registered for the role: st.navigation refuses it
        at.switch_page("ui/views/referrals.py")
    alone = AppTest.from_file(str(REPO / "ui/views/referrals.py"), default_timeout=120)
    alone.session_state["user"] = BY_ROLE["rep"]
    alone.run()
    assert texts(alone, "error") == [KB.text("ui.auth.refused", "en")]
    assert not alone.dataframe


def test_an_auditor_reads_it_without_any_button() -> None:
    consultation = referred()
    proposed(consultation)
    at = page("auditor")
    assert not at.exception
    [row] = rows(at)
    assert row["Status"].startswith("Proposal by mia: Approve")
    assert memo_shown(at) == credit_memo_html(audit_store(), consultation, "en")
    assert rt("read_only") in texts(at, "caption")
    assert buttons(at) == []
    assert not at.text_input and not at.text_area and not at.number_input
    assert [s.key for s in at.selectbox] == ["referrals_open"]


# -- the credit page's form -------------------------------------------------------------------


def test_the_credit_page_records_a_proposal_with_the_engines_words() -> None:
    at = load_example(signed_in("manager"), "credit", "credit-refer.yaml")
    submit(at, "credit_form")
    at.selectbox(key="credit_decide_decision").set_value("approve")
    at.text_input(key="credit_decide_limit").input("800,000")
    at.text_area(key="credit_decide_reason").input("Owner's personal guarantee")
    submit(at, "credit_decide")
    [decision] = audit_store().decisions_for(1)
    assert status(decision) == PENDING and decision.payload is not None
    assert texts(at, "info")[-1] == pending_text(decision.id, decision.payload, KB, "en")
    assert not texts(at, "success")
