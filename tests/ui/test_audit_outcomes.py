"""Recording an outcome on the audit page (AppTest): a manager picks the kind, the date and the
amounts that kind needs; problems are marked at their field and nothing is recorded; the same
outcome twice is recorded once; an auditor reads outcomes but records none."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from engine import consult
from engine.intake import read_case_file
from knowledge_base import load_knowledge
from tests.conftest import REPO
from tests.ui.conftest import audit_store, open_page, signed_in, texts
from ui.inert import plain

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")


def text(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"outcomes.ui.{key}", lang, **values)


def seeded() -> int:
    """A recorded credit consultation (customer C-1001), the only record."""
    case = read_case_file(REPO / "examples" / "credit-approve.yaml")
    result = consult(case, store=audit_store(), actor="rita", role="rep", channel="ui")
    assert result.audit_id == 1
    return result.audit_id


def opened(role: str, locale: str | None = None) -> AppTest:
    seeded()
    at = open_page(signed_in(role, locale), "audit")
    assert at.selectbox(key="audit_open").value == 1
    return at


def test_a_manager_records_an_outcome_with_problems_at_their_fields() -> None:
    at = opened("manager")
    assert text("none") in texts(at, "caption")
    kind = at.selectbox(key="audit_outcome_1_kind")
    assert kind.options == [  # the consultation concluded grading and credit
        "customer grading: purchases in a later period",
        "credit: paid on time",
        "credit: paid late",
        "credit: defaulted",
        "credit: written off",
    ]
    kind.set_value("credit:paid_late").run()
    assert at.text_input(key="audit_outcome_1_days_late") is not None
    at.button(key="audit_outcome_1_submit").click().run()
    errors = texts(at, "error")
    assert errors == [plain("is required"), plain("is required when the outcome is “paid late”")]
    assert audit_store().count() == 1  # nothing recorded

    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.text_input(key="audit_outcome_1_days_late").input("12")
    at.text_input(key="audit_outcome_1_note").input("paid after **two** reminders")
    at.button(key="audit_outcome_1_submit").click().run()
    assert not texts(at, "error")
    assert texts(at, "success") == [text("recorded", id=2)]
    [record] = audit_store().outcomes_for(1)
    assert (record.id, record.actor, record.role, record.channel) == (2, "mia", "manager", "ui")
    assert record.payload is not None
    assert record.payload["outcome"] == {
        "module": "credit",
        "outcome": "paid_late",
        "observed_at": date.today().isoformat(),
        "days_late": 12,
        "note": "paid after **two** reminders",
    }
    markdown = "\n".join(texts(at, "markdown"))
    assert plain("credit, paid late") in markdown
    assert plain("note: paid after **two** reminders") in markdown  # typed text shown as text
    assert at.date_input(key="audit_outcome_1_observed_at").value is None  # cleared
    at.selectbox(key="audit_open").set_value(2).run()  # the outcome record on its own
    assert text("on_consultation", id=1) in texts(at, "markdown")
    at.selectbox(key="audit_open").set_value(1).run()
    at.selectbox(key="audit_outcome_1_kind").set_value("credit:paid_late").run()

    # the same outcome again: recorded once
    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.text_input(key="audit_outcome_1_days_late").input("12")
    at.text_input(key="audit_outcome_1_note").input("paid after **two** reminders")
    at.button(key="audit_outcome_1_submit").click().run()
    assert texts(at, "info") == [text("duplicate", id=2)]
    assert audit_store().count() == 2


def test_a_correction_names_the_earlier_outcome_and_the_kind_shows_its_fields() -> None:
    at = opened("admin")
    at.selectbox(key="audit_outcome_1_kind").set_value("credit:written_off").run()
    assert not [n for n in at.text_input if n.key == "audit_outcome_1_days_late"]
    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.text_input(key="audit_outcome_1_amount_lost").input("4,500")
    at.button(key="audit_outcome_1_submit").click().run()
    assert texts(at, "success") == [text("recorded", id=2)]
    [written_off] = audit_store().outcomes_for(1)
    assert written_off.payload is not None
    assert written_off.payload["outcome"]["amount_lost"] == 4500  # typed "4,500"
    at.selectbox(key="audit_outcome_1_kind").set_value("credit:paid_on_time").run()
    recorded = date.fromisoformat(audit_store().get(1).created_at[:10])  # UTC
    yesterday = recorded - timedelta(days=1)  # before the consultation was recorded
    at.date_input(key="audit_outcome_1_observed_at").set_value(yesterday)
    at.selectbox(key="audit_outcome_1_corrects").set_value(2)
    at.button(key="audit_outcome_1_submit").click().run()
    [error] = texts(at, "error")
    assert error.startswith(plain("is before consultation 1 was recorded"))
    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.button(key="audit_outcome_1_submit").click().run()
    assert texts(at, "success") == [text("recorded", id=3)]
    outcomes = audit_store().outcomes_for(1)
    assert [(o.id, o.decision) for o in outcomes] == [(2, "written_off"), (3, "paid_on_time")]
    assert outcomes[1].payload is not None and outcomes[1].payload["outcome"]["corrects"] == 2
    markdown = "\n".join(texts(at, "markdown"))
    assert plain("corrected by #3") in markdown and plain("corrects #2") in markdown


def test_an_auditor_reads_outcomes_but_records_none() -> None:
    at = opened("auditor")
    assert text("managers_only") in texts(at, "caption")
    assert not [b for b in at.button if "audit_outcome" in (b.key or "")]


def test_the_form_in_chinese() -> None:
    at = opened("manager", locale="zh-CN")
    kind = at.selectbox(key="audit_outcome_1_kind")
    assert kind.label == "结果"
    assert "授信：逾期付款" in kind.options
    at.selectbox(key="audit_outcome_1_kind").set_value("credit:paid_late").run()
    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.button(key="audit_outcome_1_submit").click().run()
    assert texts(at, "error") == [plain("结果为“逾期付款”时必填")]


def test_an_amount_that_is_not_a_number_is_refused_at_its_field() -> None:
    at = opened("manager")
    at.selectbox(key="audit_outcome_1_kind").set_value("credit:written_off").run()
    at.date_input(key="audit_outcome_1_observed_at").set_value(date.today())
    at.text_input(key="audit_outcome_1_amount_lost").input("4.500,00")
    at.button(key="audit_outcome_1_submit").click().run()
    [error] = texts(at, "error")
    assert error.startswith("Amount lost: “") and "” is not a number" in error
    assert "1,200,000" in error and audit_store().outcomes_for(1) == []
