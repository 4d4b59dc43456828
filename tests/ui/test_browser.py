"""The front end in a real browser (``tests.ui.browser``: headless Chromium against a real
``streamlit run ui/server.py`` server with the demo users and records).

The main scenario is the issue's: a manager signs in, gets a credit decision for an example
customer, records an override (refused first without a reason); an auditor signs in and finds
it. Screenshots are saved to ``$E2E_ARTIFACTS`` (default ``artifacts/``) as test artifacts.
Every test also proves the app is self-contained: no request leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from tests.ui.browser import Session

pytestmark = pytest.mark.e2e


def test_manager_overrides_a_credit_decision_and_the_auditor_finds_it(session: Any) -> None:
    from playwright.sync_api import expect

    manager = session()
    manager.login("mia", "manager-demo")
    page = manager.page
    expect(page.get_by_role("heading", name="Credit decision").first).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    # managers open the audit trail too: they record outcomes there
    expect(nav.get_by_role("link", name=re.compile("Audit trail$"))).to_have_count(1)

    manager.choose("Example case", "credit-refer")
    manager.click("Load example")
    expect(page.get_by_role("textbox", name=re.compile("^Customer name"))).to_have_value(
        "Baoli Textiles Ltd."
    )
    manager.click("Get the credit decision")
    expect(page.get_by_text("Refer to a credit manager", exact=True).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Recorded as audit record #\d+"))).to_be_visible()
    expect(
        page.get_by_text("CR-007 Recent longest overdue over a month", exact=False).first
    ).to_be_visible()

    opened = page.get_by_test_id("stExpander").filter(
        has_text="Credit decision: Refer to a credit manager"
    )
    opened.get_by_text("Credit decision: Refer to a credit manager").click()
    graph = opened.get_by_test_id("stGraphVizChart")
    expect(graph.locator("svg g.node").first).to_be_visible()
    assert graph.locator("svg g.node").count() >= 5
    assert graph.locator("svg g.edge").count() >= 4
    manager.shot("1-manager-credit-decision", 2600)

    # override without a reason: refused at the reason field
    manager.choose("Final decision", "Approve")
    manager.click("Record the final decision")
    refusal = page.get_by_text(re.compile("^A reason is required"))
    expect(refusal).to_be_visible()
    manager.shot("2-manager-override-refused", 2600)
    page.get_by_role("textbox", name="Reason").fill("Long-standing customer; owner guarantees")
    manager.click("Record the final decision")
    done = page.get_by_text(re.compile(r"^Override recorded as audit record #(\d+)"))
    expect(done).to_be_visible()
    decision_id = re.search(r"#(\d+)", done.inner_text()).group(1)  # type: ignore[union-attr]
    manager.shot("3-manager-override-recorded", 2600)

    auditor = session()
    auditor.login("ada", "auditor-demo")
    page = auditor.page
    expect(page.get_by_role("heading", name="Audit trail").first).to_be_visible()
    auditor.choose("Kind", "final decision")
    auditor.click("Apply filters")
    expect(page.get_by_text("Long-standing customer; owner guarantees")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Record #{decision_id}")).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").filter(has_text="mia (manager)")).to_be_visible()
    auditor.shot("4-auditor-finds-the-override", 1600)
    page.get_by_role("tab", name="Verify chain").click()
    auditor.click("Verify the chain")
    expect(page.get_by_text(re.compile("^Chain intact"))).to_be_visible()


def test_chinese_interface_from_the_browser_language(session: Any) -> None:
    from playwright.sync_api import expect

    rep = session(locale="zh-CN")
    rep.login("rita", "rep-demo")
    page = rep.page
    expect(page.get_by_role("heading", name="客户分级").first).to_be_visible()
    rep.choose("示例案例", "grading-key-account")
    rep.click("载入示例")
    rep.click("对客户分级")
    expect(page.get_by_text("高价值客户", exact=True).first).to_be_visible()
    opened = page.get_by_test_id("stExpander").filter(has_text="客户服务等级：VIP客户")
    opened.get_by_text("客户服务等级：VIP客户").click()
    graph = opened.get_by_test_id("stGraphVizChart")
    expect(graph.locator("svg g.node").first).to_be_visible()
    rep.shot("5-rep-grading-zh", 2400)
    # switching the language keeps what was entered and re-labels it
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    rep.idle()
    expect(page.get_by_role("heading", name="Customer grading").first).to_be_visible()
    region = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Region", exact=True))
    expect(region.locator("input")).to_have_value("East China")
    expect(page.get_by_role("textbox", name=re.compile("^Customer name"))).to_have_value(
        "Huadong Industrial Supplies Co."
    )
    expect(page.get_by_text("High-value customer", exact=True).first).to_be_visible()


def test_portfolio_upload_with_a_bad_row(session: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    book = tmp_path / "book.csv"
    book.write_text(
        "customer.id,customer.name,customer.nature,customer.relationship_years,"
        "customer.annual_purchases,customer.purchase_frequency,"
        "customer.days_since_last_purchase,customer.gross_margin_pct,"
        "customer.purchases_growth_pct,credit.requested_amount,credit.requested_term_days\n"
        "P-1,Alpha,company,6,1800000,24,12,18.5,14,100000,30\n"
        "P-2,Beta,wizard,1,50000,2,200,5,-20,,\n"
        "P-3,Gamma,company,3,450000,6,30,12,0,,\n",
        encoding="utf-8",
    )
    manager = session()
    manager.login("mia", "manager-demo")
    manager.page.get_by_test_id("stSidebarNav").get_by_role(
        "link", name=re.compile("Portfolio$")
    ).click()
    manager.idle()
    manager.page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(book))
    manager.idle()
    manager.click("Run the portfolio")
    expect(manager.page.get_by_text(re.compile(r"^3 rows: 2 processed, 1 failed"))).to_be_visible()
    expect(manager.page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    manager.shot("6-manager-portfolio", 2000)


def test_knowledge_base_rule_network_renders_offline(session: Any) -> None:
    from playwright.sync_api import expect

    auditor = session(locale="zh-CN")
    auditor.login("ada", "auditor-demo")
    page = auditor.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile("知识库$")).click()
    auditor.idle()
    expect(page.get_by_role("heading", name="知识库").first).to_be_visible()
    page.get_by_text("规则网络", exact=True).click()
    auditor.idle()
    auditor.choose("显示的模块", "授信")
    graph = page.get_by_test_id("stGraphVizChart")
    expect(graph.locator("svg g.node").first).to_be_visible()
    assert graph.locator("svg g.node").count() > 50
    auditor.shot("7-auditor-rule-network-zh", 1400)


def test_typed_markup_reaches_the_auditor_as_text(session: Any) -> None:
    """Issue 19: a customer id written as a Markdown image made the auditor's browser fetch
    it. Typed text (customer id and name, the override's reason) is shown as text: no image,
    no request to its address (``Session.close`` also fails on any request that leaves the
    app), and the reader sees exactly what was typed."""
    from playwright.sync_api import expect

    host = "http://127.0.0.1:9"
    customer_id = f"![x]({host}/x.png)"
    name = f'<img src="{host}/y.png"> :red[alarm] $x^2$'
    reason = f"ok ![r]({host}/r.png) <script>alert(1)</script>"
    manager = session()
    manager.login("mia", "manager-demo")
    page = manager.page
    manager.choose("Example case", "credit-refer")
    manager.click("Load example")
    page.get_by_role("textbox", name=re.compile("^Customer id")).fill(customer_id)
    page.get_by_role("textbox", name=re.compile("^Customer name")).fill(name)
    manager.click("Get the credit decision")
    expect(page.get_by_text("Refer to a credit manager", exact=True).first).to_be_visible()
    manager.choose("Final decision", "Approve")
    page.get_by_role("textbox", name="Reason").fill(reason)
    manager.click("Record the final decision")
    expect(page.get_by_text(re.compile(r"^Override recorded as audit record #\d+"))).to_be_visible()

    auditor = session()
    auditor.login("ada", "auditor-demo")  # the newest record opens: the override
    page = auditor.page
    values = page.get_by_test_id("stMetricValue")
    expect(values.filter(has_text="127.0.0.1")).to_have_count(1)
    shown = [v.replace("\u2060", "") for v in values.all_inner_texts()]
    assert customer_id in shown
    body = page.get_by_test_id("stMain").inner_text().replace("\u2060", "")
    assert reason in body
    assert page.locator(f'img[src^="{host}"]').count() == 0
    assert page.locator('[data-testid="stMain"] a[href^="http://127.0.0.1:9"]').count() == 0
    auditor.shot("8-auditor-sees-typed-markup-as-text", 1400)


def test_manager_opens_performance_and_its_charts_render(session: Any, tmp_path: Path) -> None:
    """Issue 20: the Performance page in a browser. The demo records consultations but no
    outcome, so the recorded source says how to record them; a results file and its outcomes
    file uploaded under "Files" give the credit back-test with its four charts drawn."""
    from playwright.sync_api import expect

    from engine.batch import BatchOptions, run_batch
    from engine.batch.mapping import case_to_row
    from engine.outcomes.model import COLUMNS
    from tests.books import generate_book

    book = generate_book(120, seed=11)
    rows = [case_to_row(row.case) for row in book]
    source, results, outcomes = (tmp_path / n for n in ("book.csv", "results.csv", "outcomes.csv"))
    for path, header, table in (
        (source, list(dict.fromkeys(k for r in rows for k in r)), rows),
        (
            outcomes,
            list(COLUMNS),
            [
                {"customer_id": row.case["customer"]["id"], "module": "credit"}
                | {"observed_at": "2025-06-30"}
                | {"outcome": "defaulted" if row.bad or i % 9 == 0 else "paid_on_time"}
                for i, row in enumerate(book)
            ],
        ),
    ):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows(table)
    run_batch(BatchOptions(input=source, out=results, workers=1, record=False))

    manager = session()
    manager.login("mia", "manager-demo")
    page = manager.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile("Performance$")).click()
    manager.idle()
    expect(page.get_by_role("heading", name="Performance").first).to_be_visible()
    expect(page.get_by_text(re.compile("^No outcome is recorded yet"))).to_be_visible()
    page.get_by_test_id("stRadio").get_by_text("Files", exact=True).click()
    manager.idle()
    uploads = page.get_by_test_id("stFileUploaderDropzoneInput")
    uploads.nth(0).set_input_files(str(results))
    manager.idle()
    uploads.nth(1).set_input_files(str(outcomes))
    manager.idle()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="Bad rate")).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(4)  # bad rate by decision, by risk level, ROC, capture
    for index in range(4):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_text("Approve", exact=True).first).to_be_attached()
    manager.shot("9-manager-performance", 3000)
    # in Chinese: the same uploads and figures, relabelled, the charts drawn again
    page.get_by_test_id("stSidebar").get_by_text("简体中文", exact=True).click()
    manager.idle()
    expect(page.get_by_role("heading", name="效果评估").first).to_be_visible()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="坏账率")).to_be_visible()
    expect(charts).to_have_count(4)
    for index in range(4):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_visible()
    manager.shot("10-manager-performance-zh", 3000)


def _field(page: Any, key: str) -> Any:
    """The input of the widget with ``key``: Streamlit marks its element ``st-key-<key>``, every
    character other than a letter, a digit, ``_`` and ``-`` replaced by ``-``."""
    return page.locator(f".st-key-{re.sub(r'[^a-zA-Z0-9_-]', '-', key)} input")


def _write_book(path: Path, rows: int) -> None:
    from engine.batch.mapping import case_to_row
    from tests.books import generate_book

    table = [case_to_row(row.case) for row in generate_book(rows, seed=11)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(dict.fromkeys(k for r in table for k in r)))
        writer.writeheader()
        writer.writerows(table)


def _open_policy(user: Session) -> None:
    nav = user.page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name=re.compile("Policy$")).click()
    user.idle()


def test_a_policy_is_drafted_simulated_approved_by_another_admin_and_published(
    session: Any, tmp_path: Path
) -> None:
    """Issue 21: an administrator drafts a higher high-risk threshold, simulates it on a book,
    submits it and signs out; a second administrator approves and publishes it, and the live
    policy line names the draft."""
    from playwright.sync_api import expect

    book = tmp_path / "book.csv"
    _write_book(book, 60)
    admin = session()
    admin.login("adam", "admin-demo")
    page = admin.page
    _open_policy(admin)
    expect(page.get_by_role("heading", name="Policy").first).to_be_visible()
    expect(page.get_by_text(re.compile("^Live: the shipped rule base"))).to_be_visible()

    _field(page, "policy_create_name").fill("q3")
    _field(page, "policy_create_reason").fill("looser high-risk band")
    admin.click("Create the draft")
    expect(page.get_by_text(re.compile("^Draft q3 created on rule base"))).to_be_visible()
    page.locator(".st-key-policy_module_q3").get_by_text("Credit", exact=True).click()
    admin.idle()
    admin.choose("Parameter", "high risk score threshold")
    value = _field(page, "policy_value_q3_credit.risk_high_min_score")
    expect(value).to_have_value("40")
    value.fill("5000")
    _field(page, "policy_reason_q3_credit.risk_high_min_score").fill("more approvals")
    admin.click("Set the value")
    expect(page.get_by_text("outside the allowed range, from 0 to 1,000 points")).to_be_visible()
    value.fill("55")
    admin.click("Set the value")
    expect(page.get_by_text(re.compile(r"^Draft q3:\W* change 1 recorded"))).to_be_visible()

    page.get_by_role("tab", name="Simulate").click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(book))
    admin.idle()
    admin.click("Simulate draft q3 against the live policy")
    expect(page.get_by_text(re.compile(r"^book\.csv: 60 rows, 60 compared"))).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts.nth(3)).to_be_visible()  # approval, limit, decisions, the first heat map
    assert charts.count() >= 4
    for index in range(charts.count()):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_visible()
    expect(page.get_by_test_id("stMetricLabel").filter(has_text="changed answer")).to_be_visible()
    admin.shot("11-admin-policy-simulation", 3400)

    _field(page, "policy_step_reason_q3").fill("simulated on the example book")
    admin.click("Submit for approval")
    expect(page.get_by_text(re.compile("^Draft q3 submitted by adam"))).to_be_visible()
    admin.click("Sign out")

    admin.login("alma", "admin2-demo")
    _open_policy(admin)
    expect(page.get_by_text(re.compile("^Draft q3: submitted for approval"))).to_be_visible()
    _field(page, "policy_step_reason_q3").fill("checked the simulation")
    admin.click("Approve")
    expect(page.get_by_text(re.compile("^Draft q3 approved by alma"))).to_be_visible()
    _field(page, "policy_step_reason_q3").fill("go live")
    admin.click("Publish as the live policy")
    expect(page.get_by_text(re.compile("^Draft q3 published by alma"))).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Live: draft q3, rule base rb-\w+, published"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("40 points → 55 points$"))).to_be_visible()
    admin.shot("12-admin-policy-published", 2400)


def _open_referrals(user: Session) -> None:
    nav = user.page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name=re.compile("Referrals$")).click()
    user.idle()


def test_a_referred_request_is_proposed_by_a_manager_and_confirmed_by_an_admin(
    empty_session: Any,
) -> None:
    """Issue 22: a credit request the rules refer waits in the referral queue; the manager opens
    it (its credit memo beside the decision), approves 800,000 yuan with a reason — above her
    own authority, so it is recorded as a proposal — and is refused when she confirms it
    herself; she signs out, the administrator signs in, confirms it, and the queue is empty."""
    from playwright.sync_api import expect

    manager = empty_session()
    manager.login("mia", "manager-demo")
    page = manager.page
    manager.choose("Example case", "credit-refer")
    manager.click("Load example")
    manager.click("Get the credit decision")
    expect(page.get_by_text("Refer to a credit manager", exact=True).first).to_be_visible()

    _open_referrals(manager)
    expect(page.get_by_role("heading", name="Referrals").first).to_be_visible()
    expect(page.get_by_text("1 waiting, the longest-waiting first.")).to_be_visible()
    head = r"^Consultation #1: Baoli Textiles Ltd\. \(C-1310\) asks 100,000 yuan for 30 days"
    expect(page.get_by_text(re.compile(head))).to_be_visible()
    opened = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text("Open a request"))
    expect(opened.locator("input")).to_have_value(
        re.compile(r"^#1 Baoli Textiles Ltd\. \(C-1310\): 100,000 yuan, waiting [\d.]+ h$")
    )
    memo = page.frame_locator('[data-testid="stIFrame"]')
    expect(memo.get_by_role("heading", name="Credit memo")).to_be_visible()
    expect(memo.get_by_text("Baoli Textiles Ltd.").first).to_be_visible()

    manager.choose("Final decision", "Approve")
    page.get_by_role("textbox", name="Limit (yuan)").fill("800,000")
    page.get_by_role("textbox", name="Reason").fill("Owner's personal guarantee")
    manager.click("Record the final decision")
    pending = page.get_by_text(re.compile(r"^Recorded as proposal (\d+): it decides nothing"))
    expect(pending).to_be_visible()
    proposal = re.search(r"proposal (\d+)", pending.inner_text()).group(1)  # type: ignore[union-attr]
    expect(page.get_by_text(re.compile(f"^Proposal #{proposal} by mia"))).to_be_visible()
    page.get_by_role("textbox", name="Reason").fill("checked again")
    manager.click("Confirm")
    refused = f"^mia proposed decision {proposal}:\u2060? it is confirmed or rejected by someone"
    expect(page.get_by_text(re.compile(refused))).to_be_visible()  # the engine's refusal
    manager.shot("13-manager-referral-proposed", 1600)
    manager.click("Sign out")

    manager.login("adam", "admin-demo")
    _open_referrals(manager)
    expect(page.get_by_text(re.compile(f"^Proposal #{proposal} by mia"))).to_be_visible()
    page.get_by_role("textbox", name="Reason").fill("Guarantee verified")
    manager.click("Confirm")
    expect(
        page.get_by_text(
            re.compile(f"^Decision {proposal} confirmed by adam \\(audit record \\d+\\): it stands")
        )
    ).to_be_visible()
    expect(page.get_by_text("No credit request is waiting for a decision.")).to_be_visible()
    expect(page.get_by_test_id("stIFrame")).to_have_count(0)
    manager.shot("14-admin-referral-confirmed", 1000)


def test_a_rep_opens_a_demo_customer_with_its_history_chart(session: Any) -> None:
    """Issue 22: the demo records two consultations of C-1001 (a credit approval and a grading;
    earlier tests of the session may add more); a rep finds the customer on the Customers page
    and opens it: its last known facts, its history and the charts of its credit decisions and
    limits."""
    from playwright.sync_api import expect

    rep = session()
    rep.login("rita", "rep-demo")
    page = rep.page
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=re.compile("Customers$")).click()
    rep.idle()
    expect(page.get_by_role("heading", name="Customers").first).to_be_visible()
    page.get_by_role("textbox", name="Search").fill("huadong")
    page.get_by_role("textbox", name="Search").press("Enter")
    rep.idle()
    rep.choose("Open a customer", "Huadong Industrial Supplies Co. (C-1001)")
    header = "Huadong Industrial Supplies Co. (C-1001)"
    expect(page.get_by_role("heading", name=header).first).to_be_visible()
    # two demo consultations, and those earlier tests of the session recorded
    expect(
        page.get_by_text(re.compile(r"^First seen .*; consultations: ([2-9]|\d\d+)\.$"))
    ).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"^Credit request — from the consultation of "))
    ).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)  # the credit decisions, the limits
    for index in range(2):
        expect(charts.nth(index).locator("canvas, svg").first).to_be_visible()
    expect(
        page.get_by_text("Only a manager or an administrator imports customer lists.")
    ).to_be_visible()
    rep.shot("15-rep-customer-history", 2200)
