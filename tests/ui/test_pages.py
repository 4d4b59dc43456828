"""Every page of the front end in AppTest: reachable by the roles that may see it and refused
to the others, working end to end, in both languages, with bad input marked at the field."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from engine.audit.config import ROLES
from engine.audit.decisions import DecisionRequest
from engine.cli_demo import EXAMPLES, seed_examples
from knowledge_base import load_knowledge
from knowledge_base.facts import Customer
from rules import load_rules
from tests.conftest import REPO
from tests.ui.conftest import (
    PASSWORDS,
    audit_store,
    load_example,
    login,
    new_app,
    open_page,
    signed_in,
    submit,
    texts,
    view,
)
from ui.forms import field_specs, widget_key
from ui.inert import plain
from ui.navigation import PAGES, PageSpec, allowed

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")


def title(key: str, lang: str = "en") -> str:
    return KB.text(f"ui.page.{key}.title", lang)


def text(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"ui.{key}", lang, **values)


def dot(at: AppTest) -> list[str]:
    return [str(chart.proto.spec) for chart in at.get("graphviz_chart")]


# -- signing in, roles, refused pages ---------------------------------------------------------


def test_anonymous_sees_only_the_login() -> None:
    at = new_app().run()
    assert not at.exception
    assert texts(at, "title") == [text("login.title")]
    for page in PAGES:
        with pytest.raises(ValueError):
            at.switch_page(page.script)


def test_login_with_a_wrong_password_is_refused() -> None:
    at = login(new_app(), "mia", "not-her-password")
    assert text("login.failed") in texts(at, "error")
    assert "user" not in at.session_state
    assert at.text_input(key="login_pw").value == ""


def test_login_lands_on_the_roles_first_page_and_logout_forgets() -> None:
    at = login(new_app(), "mia", PASSWORDS["mia"])
    assert not at.exception
    assert texts(at, "title") == [title("credit")]
    at.button(key="logout_button").click().run()
    assert texts(at, "title") == [text("login.title")]
    assert "user" not in at.session_state


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_exactly_its_pages(role: str) -> None:
    at = signed_in(role)
    assert not at.exception
    visible = {p.key for p in allowed(role)}
    assert visible, "every role needs a page"
    assert texts(at, "title") == [title(allowed(role)[0].key)]
    for page in PAGES:
        if page.key in visible:
            open_page(at, page.key)
            assert not at.exception, (role, page.key, at.exception)
            assert texts(at, "title") == [title(page.key)], (role, page.key)
        else:
            with pytest.raises(ValueError):  # not registered: st.navigation refuses it
                at.switch_page(page.script)


def test_role_pages_are_the_specified_ones() -> None:
    def keys(role: str) -> set[str]:
        return {p.key for p in allowed(role)}

    assert {"grading", "closing", "knowledge"} <= keys("rep")
    assert not keys("rep") & {"credit", "portfolio", "audit", "performance", "policy", "referrals"}
    assert {"credit", "grading", "portfolio", "knowledge"} <= keys("manager")
    assert not keys("manager") & {"closing"}
    assert "performance" in keys("manager")  # the back-test figures (issue 20)
    assert "audit" in keys("manager")  # managers record outcomes there (issue 20)
    assert "policy" in keys("manager")  # read only: the drafts and the live policy (issue 21)
    assert "referrals" in keys("manager")  # the referral queue (issue 22)
    assert "customers" in keys("rep") & keys("manager")  # the customer directory (issue 22)
    assert keys("auditor") == {
        "audit",
        "referrals",
        "customers",
        "performance",
        "policy",
        "knowledge",
    }
    assert keys("admin") == {p.key for p in PAGES}


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.key not in ("knowledge", "customers")], ids=lambda p: p.key
)
def test_a_page_run_directly_refuses_a_role_it_is_not_for(page: PageSpec) -> None:
    """Defence in depth: the page checks the role itself, not only the navigation."""
    other = next(r for r in ("rep", "manager", "auditor") if r not in page.roles)
    at = view(page.script, other).run()
    assert texts(at, "error") == [text("auth.refused")]
    assert not texts(at, "title")
    assert not view(page.script, None).run().title


# -- language ---------------------------------------------------------------------------------


def test_language_defaults_from_the_browser() -> None:
    at = new_app(locale="zh-CN").run()
    assert texts(at, "title") == [text("login.title", "zh")]
    assert new_app(locale="en-GB").run().title[0].value == text("login.title")


def test_language_switch_changes_labels_and_results_but_keeps_input() -> None:
    at = signed_in("rep")
    load_example(at, "grading", "grading-key-account.yaml")
    submit(at, "grading_form")
    assert "Service tier: **VIP customer**" in [e.label for e in at.expander]
    english = texts(at, "caption")
    assert KB.topics["value_tier"].label.get("en") in english
    at.radio(key="lang").set_value("zh").run()
    assert not at.exception
    assert texts(at, "title") == [title("grading", "zh")]
    assert KB.topics["value_tier"].label.get("zh") in texts(at, "caption")
    assert any("VIP客户" in e.label for e in at.expander)
    assert at.text_input(key="grading_customer_name").value == "Huadong Industrial Supplies Co."
    assert at.text_input(key="grading_customer_annual_purchases").label == "近12个月采购额 (元) *"
    # the result was re-explained in Chinese, not recorded again
    assert audit_store().count() == 1


# -- bad input --------------------------------------------------------------------------------


def test_invalid_fields_are_marked_and_nothing_typed_is_lost() -> None:
    at = signed_in("rep")
    load_example(at, "grading", "grading-key-account.yaml")
    at.text_input(key="grading_customer_name").input("")
    at.text_input(key="grading_customer_annual_purchases").input("-5")
    at.text_input(key="grading_customer_gross_margin_pct").input("250")
    submit(at, "grading_form")
    assert not at.exception
    errors = texts(at, "error")
    assert text("problem.missing") in errors
    assert text("problem.greater_than_equal", ge="0") in errors
    assert text("problem.less_than_equal", le="100") in errors
    assert text("form.fix_marked", count=3) in errors
    assert not at.metric and text("grading.result") not in texts(at, "header")  # no result
    assert at.text_input(key="grading_customer_annual_purchases").value == "-5"
    assert at.text_input(key="grading_customer_gross_margin_pct").value == "250"
    assert at.text_input(key="grading_customer_id").value == "C-1001"
    assert audit_store().count() == 0
    at.radio(key="lang").set_value("zh").run()
    assert text("problem.greater_than_equal", "zh", ge="0") not in texts(at, "error")  # stale
    submit(at, "grading_form")
    assert text("problem.greater_than_equal", "zh", ge="0") in texts(at, "error")


def test_required_fields_left_empty_are_marked() -> None:
    at = open_page(signed_in("manager"), "credit")
    submit(at, "credit_form")
    errors = texts(at, "error")
    assert errors.count(text("problem.missing")) >= 10  # every required field of both sections
    assert not at.metric


def test_form_values_survive_a_visit_to_another_page() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-refer.yaml")
    at.text_input(key="credit_credit_requested_amount").input("123,456")
    submit(at, "credit_form")  # a form's values are committed when it is submitted
    assert at.metric
    open_page(at, "knowledge")
    open_page(at, "credit")
    assert at.text_input(key="credit_credit_requested_amount").value == "123,456"
    assert at.text_input(key="credit_customer_name").value == "Baoli Textiles Ltd."


# -- credit decision and the final decision ---------------------------------------------------


def _credit_refer(at: AppTest) -> AppTest:
    load_example(at, "credit", "credit-refer.yaml")
    return submit(at, "credit_form")


def test_credit_decision_with_reasons_changes_and_explanations() -> None:
    at = _credit_refer(signed_in("manager"))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert text("credit.decision") in texts(at, "caption")  # a label, drawn whole
    assert "**Refer to a credit manager**" in texts(at, "markdown")
    assert metrics[text("credit.risk")] == "High"
    markdown = "\n".join(texts(at, "markdown"))
    assert "CR-007 Recent longest overdue over a month: longest days overdue 75 > 30" in markdown
    assert "longest days overdue ≤ 30" not in markdown  # what already happened: never proposed
    assert "No change within reach gives a better answer" in markdown  # the summary says so
    labels = [e.label for e in at.expander]
    assert "Credit decision: **Refer to a credit manager**" in labels
    assert not dot(at)  # drawn when its box is opened (the browser tests open one)
    record = audit_store().get(1)
    assert (record.actor, record.role, record.channel) == ("mia", "manager", "ui")
    assert record.decision == "refer"


def test_investigation_advice_is_ranked() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-first-order.yaml")  # approved, the record still missing
    submit(at, "credit_form")
    markdown = "\n".join(texts(at, "markdown"))
    assert "**1. " in markdown  # the most useful investigation first
    assert "Payment record with other suppliers, litigation and enforcement" in markdown


def test_override_without_a_reason_is_refused_at_the_reason_field() -> None:
    at = _credit_refer(signed_in("manager"))
    assert at.selectbox(key="credit_decide_decision").value == "refer"
    at.selectbox(key="credit_decide_decision").set_value("approve")
    at.text_input(key="credit_decide_limit").input("80,000")
    submit(at, "credit_decide")
    errors = texts(at, "error")
    assert len(errors) == 1 and errors[0].startswith(
        text("decide.reason_required", differences="")[:20]
    )
    assert "refer → approve" in errors[0]
    assert audit_store().count() == 1  # nothing recorded
    assert at.selectbox(key="credit_decide_decision").value == "approve"  # kept
    at.text_area(key="credit_decide_reason").input("New owner with a strong guarantee")
    submit(at, "credit_decide")
    assert not texts(at, "error")
    [decision] = audit_store().decisions_for(1)
    assert (decision.actor, decision.role, decision.override) == ("mia", "manager", True)
    assert decision.payload is not None
    assert decision.payload["reason"] == "New owner with a strong guarantee"
    assert decision.payload["limit"] == 80_000
    assert any(f"#{decision.id}" in s for s in texts(at, "success"))
    assert at.text_area(key="credit_decide_reason").value == ""


def test_a_limit_is_typed_with_separators_and_a_wrong_one_refused_at_its_field() -> None:
    at = _credit_refer(signed_in("manager"))
    at.selectbox(key="credit_decide_decision").set_value("approve")
    at.text_input(key="credit_decide_limit").input("80.000,00")
    at.text_area(key="credit_decide_reason").input("Guarantee from the parent company")
    submit(at, "credit_decide")
    [error] = texts(at, "error")
    assert error.startswith(plain("Limit (yuan)") + ": “") and "” is not a number" in error
    assert audit_store().count() == 1  # nothing recorded
    at.text_input(key="credit_decide_limit").input("１２０，０００")  # a Chinese keyboard's
    submit(at, "credit_decide")
    assert not texts(at, "error")
    [decision] = audit_store().decisions_for(1)
    assert decision.payload is not None and decision.payload["limit"] == 120_000


def test_accepting_the_recommendation_needs_no_reason() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-approve.yaml")
    submit(at, "credit_form")
    submit(at, "credit_decide")
    assert not texts(at, "error")
    [decision] = audit_store().decisions_for(1)
    assert decision.override is False


def test_admin_decides_on_the_credit_page_too() -> None:
    """Issue 22: the roles of the credit authority (manager, admin) take final decisions."""
    at = open_page(signed_in("admin"), "credit")
    _credit_refer(at)
    assert text("referrals.deciders_only") not in texts(at, "info")
    at.selectbox(key="credit_decide_decision").set_value("approve")
    at.text_input(key="credit_decide_limit").input("80,000")
    at.text_area(key="credit_decide_reason").input("Owner's guarantee")
    submit(at, "credit_decide")
    [decision] = audit_store().decisions_for(1)
    assert (decision.actor, decision.role, decision.decision) == ("adam", "admin", "approve")
    assert decision.payload is not None
    differences = "; ".join(plain(d) for d in decision.payload["differences"])
    assert texts(at, "success") == [
        text("decide.recorded_override", id=decision.id, differences=differences)
    ]


# -- grading and closing ----------------------------------------------------------------------


def test_grading_shows_grade_entitlements_strategy_and_plan() -> None:
    at = signed_in("rep")
    load_example(at, "grading", "grading-key-account.yaml")
    submit(at, "grading_form")
    assert "Customer value" in texts(at, "caption")
    assert "**High-value customer**" in texts(at, "markdown")
    markdown = "\n".join(texts(at, "markdown"))
    for expected in ("Dedicated account manager", "Personalisation strategy", "VIP care"):
        assert expected in markdown
    assert audit_store().get(1).actor == "rita"


def test_closing_coach_ranks_techniques_with_scripts() -> None:
    at = open_page(signed_in("rep"), "closing")
    load_example(at, "closing", "closing-ready-buyer.yaml")
    submit(at, "closing_form")
    assert not at.exception
    markdown = "\n".join(texts(at, "markdown"))
    assert "### 1. Alternative-choice close" in markdown
    assert "### 2. Genuine urgency" in markdown
    assert "Summarise what the customer has already agreed to." in markdown
    assert any("Face to face" in i for i in texts(at, "info"))


def test_closing_coach_objections_and_what_to_avoid_in_chinese() -> None:
    at = open_page(signed_in("rep", locale="zh-CN"), "closing")
    load_example(at, "closing", "closing-hesitant-buyer.yaml")
    submit(at, "closing_form")
    assert not at.exception
    assert texts(at, "title") == [title("closing", "zh")]
    assert text("closing.avoid", "zh") in texts(at, "subheader")
    assert text("closing.objections", "zh") in texts(at, "subheader")
    assert any("试用" in e for e in texts(at, "markdown"))  # the trial answers the objection
    assert len(at.error) >= 2  # what to avoid: false scarcity, pressure on a hesitant buyer


# -- portfolio --------------------------------------------------------------------------------

CSV = (
    "customer.id,customer.name,customer.nature,customer.relationship_years,"
    "customer.annual_purchases,customer.purchase_frequency,customer.days_since_last_purchase,"
    "customer.gross_margin_pct,customer.purchases_growth_pct,credit.requested_amount,"
    "credit.requested_term_days\n"
    "P-1,Alpha,company,6,1800000,24,12,18.5,14,100000,30\n"
    "P-2,Beta,company,1,50000,2,200,5,-20,,\n"
    "P-3,Gamma,wizard,3,450000,6,30,12,0,,\n"
    "P-4,Delta,company,3,-1,6,30,12,0,,\n"
    "P-5,Epsilon,company,3,450000,6,30,12,0,20000,45\n"
)


def test_portfolio_processes_good_rows_and_reports_bad_ones() -> None:
    at = open_page(signed_in("manager"), "portfolio")
    at.file_uploader(key="portfolio_upload").set_value(("book.csv", CSV.encode(), "text/csv"))
    at.run()
    at.button(key="portfolio_run").click().run()
    assert not at.exception
    assert at.get("progress")[0].proto.value == 100
    assert (
        text("portfolio.done", rows=5, ok=3, failed=2, seconds="")[:30] in texts(at, "success")[0]
    )
    results, errors = (df.value for df in at.dataframe[:2])
    ok, failed = text("portfolio.status.ok"), text("portfolio.status.failed")
    assert list(results[text("portfolio.column.status")]) == [ok, ok, failed, failed, ok]
    assert set(errors["row"].astype(int)) == {3, 4}
    assert "customer.nature" in set(errors["field"])
    assert len(at.get("vega_lite_chart")) >= 3  # grades, risk, decisions
    downloads = at.get("download_button")
    assert len(downloads) >= 3
    recorded = audit_store().list_records()  # the batch records its rows as the signed-in user
    assert len(recorded) == 3 and {(r.actor, r.channel) for r in recorded} == {("mia", "batch")}
    # the result stays after a rerun (e.g. a language switch)
    at.radio(key="lang").set_value("zh").run()
    assert len(at.dataframe) >= 2


def test_portfolio_template_has_every_input_column() -> None:
    from ui.batch import template_csv

    frame = pd.read_csv(io.BytesIO(template_csv()), dtype=str)
    assert "customer.annual_purchases" in frame.columns and len(frame) == 1


# -- audit trail ------------------------------------------------------------------------------


SEEDED = len(list(EXAMPLES.glob("*.yaml"))) + 1  # the examples and one final decision


@pytest.fixture
def seeded() -> int:
    store = audit_store()
    seed_examples(store)
    refer = next(r for r in store.list_records() if r.decision == "refer")
    store.record_decision(
        refer.id,
        DecisionRequest("approve", 50_000, 30, "long-standing customer"),
        actor="mia",
        role="manager",
        channel="ui",
    )
    return refer.id


def test_audit_search_detail_replay_verify_stats_export(seeded: int) -> None:
    at = signed_in("auditor")
    assert texts(at, "title") == [title("audit")]
    table = at.dataframe[0].value
    assert len(table) == SEEDED
    # filter by rule and actor
    at.text_input(key="audit_rule").input("CR-104")
    submit(at, "audit_filters")
    assert len(at.dataframe[0].value) == 1
    at.text_input(key="audit_rule").input("")
    at.text_input(key="audit_actor").input("mia")
    at.selectbox(key="audit_kind").set_value("decision")
    submit(at, "audit_filters")
    assert len(at.dataframe[0].value) == 1
    markdown = "\n".join(texts(at, "markdown"))
    assert plain("long-standing customer") in markdown and "refer → approve" in markdown
    # the consultation it decides on, as a readable trace
    at.selectbox(key="audit_kind").set_value(None)
    at.selectbox(key="audit_decision").set_value("refer")
    submit(at, "audit_filters")
    assert at.selectbox(key="audit_open").value == seeded
    markdown = "\n".join(texts(at, "markdown"))
    assert plain("CR-104 Refer: high risk") in markdown  # from the store: shown as text
    assert "rb-" in markdown
    assert not dot(at)  # the record's graph is drawn when its box is opened
    at.button(key="audit_replay").click().run()
    assert any("identical" in s for s in texts(at, "success"))
    at.button(key="audit_replay_current").click().run()
    assert any("nothing would change" in s for s in texts(at, "success"))
    # chain
    at.button(key="audit_verify").click().run()
    intact = plain(f"Chain intact: {SEEDED} record(s)")
    assert any(s.startswith(intact) for s in texts(at, "success"))
    # statistics: charts
    assert len(at.get("vega_lite_chart")) >= 2
    # export of the filtered records
    at.radio(key="audit_format").set_value("csv")
    at.button(key="audit_prepare").click().run()
    [download] = [d for d in at.get("download_button") if "audit_download" in d.proto.id]
    assert "1" in download.proto.label


def test_audit_bad_rule_filter_is_marked_and_kept(seeded: int) -> None:
    at = signed_in("auditor")
    at.text_input(key="audit_rule").input("XX-1")
    submit(at, "audit_filters")
    assert any("is not a rule id" in e for e in texts(at, "error"))
    assert at.text_input(key="audit_rule").value == "XX-1"
    assert len(at.dataframe[0].value) == SEEDED  # the last good filter stays


def test_audit_verify_names_the_first_bad_record(seeded: int) -> None:
    import sqlalchemy as sa

    store = audit_store()
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_records SET actor = 'mallory' WHERE id = 3"))
    at = signed_in("auditor")
    at.button(key="audit_verify").click().run()
    errors = texts(at, "error")
    assert any("first bad record 3" in e for e in errors)


# -- knowledge base ---------------------------------------------------------------------------


def _section(at: AppTest, name: str) -> AppTest:
    at.session_state["knowledge_section"] = name
    return at.run()


def test_knowledge_lists_every_rule_parameter_source_and_the_network() -> None:
    at = open_page(signed_in("rep"), "knowledge")
    [rules] = (df.value for df in at.dataframe)  # one section at a time: the rules first
    assert len(rules) == len(load_rules().rules) and not dot(at)
    markdown = "\n".join(texts(at, "markdown"))
    assert "GR-001" in markdown
    [parameters] = (df.value for df in _section(at, "parameters").dataframe)
    assert len(parameters) == len(KB.parameters)
    [sources] = (df.value for df in _section(at, "sources").dataframe)
    assert len(sources) == len(KB.sources)
    assert "MT" in set(sources.iloc[:, 0])
    [graph] = dot(_section(at, "network"))
    assert '"rule:GR-007"' in graph and '"input:customer"' in graph
    at.selectbox(key="knowledge_graph_module").set_value("credit").run()
    [graph] = dot(at)
    assert '"rule:CR-104"' in graph and '"rule:GR-007"' not in graph
    at.toggle(key="knowledge_overview").set_value(True).run()
    [graph] = dot(at)
    assert '"rule:' not in graph and '"topic:credit_decision"' in graph
    _section(at, "rules").text_input(key="knowledge_query").input("CR-104").run()
    assert len(at.dataframe[0].value) == 1


def test_knowledge_in_chinese() -> None:
    at = open_page(signed_in("auditor", locale="zh-CN"), "knowledge")
    assert texts(at, "title") == [title("knowledge", "zh")]
    rules = at.dataframe[0].value
    assert "近期购买客户" in set(rules[text("knowledge.col.title", "zh")])


def test_example_files_exist_for_every_consultation_page() -> None:
    from ui.examples import example_files

    assert example_files(("credit",)) and example_files(("closing",)) and example_files(("",))
    assert all(isinstance(p, Path) for p in example_files(("",)))


def test_page_scripts_show_nothing_by_magic() -> None:
    """A bare expression at the top level of a page script (a string after a constant, say)
    is drawn on the page by Streamlit's "magic": keep them out."""
    for page in PAGES:
        tree = ast.parse((REPO / page.script).read_text(encoding="utf-8"))
        for node in tree.body[1:]:
            bare = isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call)
            assert not bare, f"{page.script}:{node.lineno}: a bare expression is shown on the page"


def test_closing_coach_coaches_a_deal_without_a_customer() -> None:
    """Issue 22: only the deal is needed; a customer left empty is left out of the case."""
    at = open_page(signed_in("rep"), "closing")
    load_example(at, "closing", "closing-ready-buyer.yaml")
    for spec in field_specs("customer", Customer):
        key = widget_key("closing", "customer", spec.name)
        if spec.kind in ("text", "int", "float"):
            at.text_input(key=key).set_value("")
        elif spec.kind == "choice":
            at.selectbox(key=key).set_value(None)
    submit(at, "closing_form")
    assert not at.exception
    markdown = "\n".join(texts(at, "markdown"))
    assert "### 1. Alternative-choice close" in markdown
    record = audit_store().get(1)
    assert record.customer_id is None and "customer" not in {
        k for k, v in (record.payload or {})["case"].items() if v
    }
