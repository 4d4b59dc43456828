"""The customer directory in the front end (issue 22) in AppTest: the Customers page lists a
customer two consultations recorded, opens it to its last known facts and its history (both
consultations, labelled, with the credit decisions charted in the fixed colours); the credit
page's picker fills the credit form with the customer's last known values; a manager imports a
small list and sees the counts and the refused row; the page reads in Chinese; an auditor reads
it without the import and a rep sees it.

Consultations are recorded with the engine's API on the page's own audit database
(``audit_store``), channel ui, as the app would record them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from engine.api import consult
from engine.labels import field_label, topic_value_label, value_label
from knowledge_base import load_knowledge
from tests.conftest import REPO
from tests.ui.conftest import audit_store, open_page, signed_in, texts
from ui.colours import ramp
from ui.inert import plain
from ui.numbers import show_number

KB = load_knowledge()
CREDIT = REPO / "tests" / "cases" / "credit" / "company-slow-payer-refer.yaml"
COLLECTION = REPO / "examples" / "collection-tough-debtor.yaml"
ID, NAME = "C-2202", "Nanhu Medical Supplies Co."
pytestmark = pytest.mark.usefixtures("ui_env")


def ct(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"ui.customers.{key}", lang, **values)


def label(topic: str, value: str, lang: str = "en") -> str:
    return topic_value_label(topic, value, KB, lang)


def two_consultations() -> dict[str, Any]:
    """The referred credit case, then a collection case of the same customer (without a credit
    section: the overdue amounts would have to agree), 50 days since its last purchase."""
    credit: dict[str, Any] = yaml.safe_load(CREDIT.read_text(encoding="utf-8"))["case"]
    consult(credit, actor="mia", role="manager", channel="ui", store=audit_store())
    collection: dict[str, Any] = yaml.safe_load(COLLECTION.read_text(encoding="utf-8"))
    collection["customer"] = {**credit["customer"], "days_since_last_purchase": 50}
    consult(collection, actor="rita", role="rep", channel="ui", store=audit_store())
    return credit


def customers_page(role: str = "manager", locale: str | None = None) -> AppTest:
    return open_page(signed_in(role, locale), "customers")


def rows(at: AppTest, index: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = at.dataframe[index].value.to_dict("records")
    return found


def opened(role: str = "manager", locale: str | None = None) -> AppTest:
    at = customers_page(role, locale)
    return at.selectbox(key="customers_open").set_value(ID).run()


def test_the_customer_is_listed_with_its_two_consultations() -> None:
    two_consultations()
    at = customers_page()
    assert not at.exception
    assert rows(at) == [
        {
            ct("col.id"): ID,
            ct("col.name"): NAME,
            ct("col.last_seen"): rows(at)[0][ct("col.last_seen")],
            ct("col.consultations"): 2,
        }
    ]
    assert ct("count", count=1) in texts(at, "caption")
    at.text_input(key="customers_search").input("nanhu").run()
    assert len(rows(at)) == 1
    at.text_input(key="customers_search").input("nobody").run()
    assert not at.dataframe and ct("none_found") in texts(at, "info")


def test_a_customer_opens_to_its_facts_history_and_chart() -> None:
    two_consultations()
    at = opened()
    assert not at.exception
    assert texts(at, "header") == [ct("title", name=plain(NAME), id=plain(ID))]
    requested = field_label("credit", "requested_amount", KB, "en")
    facts = {r[ct("col.field")]: r[ct("col.value")] for i in range(3) for r in rows(at, i + 1)}
    assert facts[requested] == "200,000"  # labels, not ids; thousands grouped
    assert facts[field_label("credit", "dbt_trend", KB, "en")] == value_label(
        "credit", "dbt_trend", "stable", KB, "en"
    )
    expanders = [e.label for e in at.expander]
    assert any(e.startswith("Customer — from the consultation of ") for e in expanders)
    assert any(e.startswith("Credit request — from the consultation of ") for e in expanders)
    history = rows(at, -1)  # the facts' tables first, the history last
    assert [r[ct("col.record")] for r in history] == [1, 2]
    first, second = history
    assert first[ct("col.credit")] == label("credit_decision", "refer")
    assert first[ct("col.stage")] == second[ct("col.credit")] == "—"
    assert second[ct("col.stage")] == label("escalation_level", "firm")
    assert first[ct("col.grade")] == label("value_tier", "high")
    [chart] = at.get("vega_lite_chart")  # no limit recommended on a referral: one chart
    spec = json.loads(chart.proto.spec)
    shown = json.dumps(spec) + "".join(str(d.data) for d in chart.proto.datasets)
    assert label("credit_decision", "refer") in shown
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"][0] == label("credit_decision", "approve")
    assert scale["range"] == ramp(len(scale["domain"]))  # approve green … decline red
    assert spec["title"] == ct("chart.decisions")


def test_the_credit_picker_fills_the_form_with_the_last_known_facts() -> None:
    credit = two_consultations()
    at = open_page(signed_in("manager"), "credit")
    at.text_input(key="credit_customer_search").input("2202").run()
    assert at.selectbox(key="credit_customer").options == [ct("option", name=NAME, id=ID)]
    at.selectbox(key="credit_customer").set_value(ID).run()
    at.button(key="credit_customer_load").click().run()
    assert not at.exception
    state = at.session_state
    assert state["credit_customer_id"] == ID
    assert state["credit_customer_days_since_last_purchase"] == "50"  # the collection's, later
    assert state["credit_customer_annual_purchases"] == show_number(
        credit["customer"]["annual_purchases"]
    )
    assert state["credit_credit_requested_amount"] == "200,000"
    assert state["credit_credit_dbt_trend"] == "stable"
    assert state["credit_credit_avg_days_beyond_terms"] == "40"
    assert at.text_input(key="credit_credit_requested_amount").value == "200,000"


def test_a_manager_imports_a_list_and_sees_the_refused_row() -> None:
    two_consultations()
    at = customers_page()
    data = "customer.id,customer.name,customer.nature\nC-9001,Lakeside Tools,company\n"
    data += "C-9002,Bad Row,spaceship\n"
    at.file_uploader(key="customers_upload").set_value(("list.csv", data.encode(), "text/csv"))
    at.run()
    at.button(key="customers_upload_run").click().run()
    assert not at.exception
    done = ct("import.done", rows=2, count=1, failed=1)
    assert done in texts(at, "warning")
    [refused] = [r for r in rows(at, -1) if r[ct("import.row")] == 2]
    assert refused[ct("import.field")].startswith("customer")
    assert rows(at)[0][ct("col.id")] == "C-9001"  # the list shows it, most recently seen first


def test_the_page_in_chinese() -> None:
    two_consultations()
    at = opened(locale="zh-CN")
    assert not at.exception
    assert texts(at, "title") == [KB.text("ui.page.customers.title", "zh")]
    history = rows(at, -1)
    assert history[0][ct("col.credit", "zh")] == label("credit_decision", "refer", "zh")
    assert history[1][ct("col.stage", "zh")] == label("escalation_level", "firm", "zh")
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"] == ct("chart.decisions", "zh")
    assert spec["encoding"]["color"]["scale"]["domain"][0] == label(
        "credit_decision", "approve", "zh"
    )
    assert texts(at, "header") == [ct("title", "zh", name=plain(NAME), id=plain(ID))]
    assert any(e.startswith("授信申请：来自 ") for e in (x.label for x in at.expander))


def test_an_auditor_reads_without_the_import_and_a_rep_sees_the_page() -> None:
    two_consultations()
    auditor = opened("auditor")
    assert not auditor.exception
    assert not auditor.get("file_uploader")
    assert ct("import.read_only") in texts(auditor, "caption")
    assert auditor.get("vega_lite_chart")
    rep = opened("rep")
    assert not rep.exception
    assert texts(rep, "title") == [KB.text("ui.page.customers.title", "en")]
    assert not rep.get("file_uploader")
