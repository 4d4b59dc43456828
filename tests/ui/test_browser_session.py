"""Sessions in a real browser: a reload keeps the user and what they typed, signing out ends
the session on the server, a link to a page opens it after signing in, and a page the role
may not open says why (``ui.session``, ``ui.server``, ``ui.navigation``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

COOKIE = "sales_expert_session"
PERFORMANCE_ZH = "效果评估"


def test_a_reload_keeps_the_user_and_the_form_until_sign_out(session: Any) -> None:
    from playwright.sync_api import expect

    rep = session()
    rep.login("rita", "rep-demo")
    page = rep.page
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name=re.compile("Customer grading$")).click()
    rep.idle()
    name = page.get_by_role("textbox", name=re.compile("^Customer name"))
    name.fill("Reload Trading Co.")
    name.press("Tab")
    rep.idle()
    page.get_by_test_id("stSidebar").get_by_text("简体中文", exact=True).click()
    rep.idle()
    cookie = next(c for c in rep.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find(COOKIE) == -1  # no script can read it

    page.reload()
    rep.idle()
    expect(page.get_by_role("heading", name="客户分级").first).to_be_visible()
    expect(page.get_by_role("textbox", name=re.compile("^客户名称"))).to_have_value(
        "Reload Trading Co."
    )
    expect(page.get_by_test_id("stSidebar").get_by_text("Rita Rep")).to_be_visible()
    rep.shot("13-reload-keeps-session-zh", 1000)

    page.get_by_role("button", name="退出登录").click()
    rep.idle()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.reload()  # a new session in the browser's language, and the cookie opens nothing
    rep.idle()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)


def test_a_link_to_a_page_opens_it_after_signing_in(session: Any) -> None:
    from playwright.sync_api import expect

    auditor = session()
    page = auditor.page
    page.goto("/performance")  # not the auditor's first page, where signing in lands anyway
    auditor.idle()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Sign in to open Performance.")).to_be_visible()
    expect(page.get_by_role("heading", name="Performance")).to_have_count(0)
    page.get_by_test_id("stSidebar").get_by_text("简体中文", exact=True).click()
    auditor.idle()  # the language picked before signing in is kept
    page.get_by_role("textbox", name="用户名").fill("ada")
    page.get_by_role("textbox", name="密码").fill("auditor-demo")
    page.get_by_role("button", name="登录").click()
    auditor.idle()
    expect(page.get_by_role("heading", name=PERFORMANCE_ZH).first).to_be_visible()
    assert page.url.endswith("/performance")


def test_a_page_the_role_may_not_open_says_why(session: Any) -> None:
    from playwright.sync_api import expect

    rep = session()
    rep.login("rita", "rep-demo")
    nav = rep.page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name=re.compile("Closing coach$"))).to_have_count(1)
    for hidden in ("Credit decision", "Portfolio", "Audit trail", "Policy"):
        expect(nav.get_by_role("link", name=re.compile(f"{hidden}$"))).to_have_count(0)
    rep.page.goto("/policy")
    rep.idle()
    expect(rep.page.get_by_text("Policy is not open to your role (Sales rep)")).to_be_visible()
    expect(rep.page.get_by_text("it is for Manager, Auditor, Administrator")).to_be_visible()
    expect(rep.page.get_by_role("button", name=re.compile("Simulate"))).to_have_count(0)
    rep.shot("14-refused-page", 700)


def test_every_page_survives_switching_to_chinese_and_back(session: Any) -> None:
    """An administrator sees every page: each one, with what it opens by default (the newest
    record, the first rule…), is switched to 简体中文 and back without an error."""
    from playwright.sync_api import expect

    from knowledge_base import load_knowledge
    from ui.navigation import PAGES

    kb = load_knowledge()
    admin = session()
    admin.login("adam", "admin-demo")
    page = admin.page
    sidebar = page.get_by_test_id("stSidebar")
    for spec in PAGES:
        english, chinese = (kb.text(f"ui.page.{spec.key}.title", lang) for lang in ("en", "zh"))
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name=re.compile(f"{re.escape(english)}$")).click()
        admin.idle()
        expect(page.get_by_role("heading", name=english).first).to_be_visible()
        sidebar.get_by_text("简体中文", exact=True).click()
        admin.idle()
        expect(page.get_by_role("heading", name=chinese).first).to_be_visible()
        sidebar.get_by_text("English", exact=True).click()
        admin.idle()
        expect(page.get_by_role("heading", name=english).first).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        if spec.key == "knowledge":
            expect(page.get_by_text(re.compile(r"\b0 rule"))).to_have_count(0)


def test_the_rules_behind_one_conclusion_drawn_larger_than_the_page(session: Any) -> None:
    from playwright.sync_api import expect

    auditor = session()
    auditor.login("ada", "auditor-demo")
    page = auditor.page
    nav = page.get_by_test_id("stSidebarNav")
    nav.get_by_role("link", name=re.compile("Knowledge base$")).click()
    auditor.idle()
    page.get_by_text("Rule network", exact=True).click()
    auditor.idle()
    page.get_by_text("the rules behind one conclusion", exact=True).click()
    auditor.idle()
    auditor.choose("Conclusion", "Collection · Escalation level")
    graph = page.get_by_test_id("stGraphVizChart")
    expect(graph.locator("svg g.node").first).to_be_visible()
    fitted = graph.locator("svg").bounding_box()
    assert fitted is not None and fitted["width"] <= 1400
    nodes = graph.locator("svg g.node").count()
    assert 3 <= nodes < 120  # one conclusion's rules: a readable picture
    auditor.shot("16-rules-behind-one-conclusion", 1200)
    page.get_by_text("3,600 px", exact=True).click()
    auditor.idle()
    wide = page.get_by_test_id("stGraphVizChart").locator("svg").bounding_box()
    assert wide is not None and wide["width"] > 3000
    box = page.locator(".st-key-knowledge_graph_box")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth + 1000")  # scrolls across
    page.get_by_text("a module's rules", exact=True).click()
    page.get_by_text("2,400 px", exact=True).click()
    auditor.idle()
    auditor.choose("Module shown", "Collection")
    expect(graph.locator("svg g.node").first).to_be_visible()
    box.evaluate("b => { b.scrollLeft = 400; }")
    auditor.shot("17-module-network-larger-than-the-page", 1000)
