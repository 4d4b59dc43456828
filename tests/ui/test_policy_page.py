"""The Policy page (issue 21) in AppTest: an administrator drafts and sets a parameter, a value
out of range is refused at its field naming the parameter, the value and the range, the author
is refused approving their own draft (four eyes), a second administrator approves and
publishes and the live policy line names the draft, a rollback returns to the shipped rule
base, a simulation shows the engine's figures, the page reads in Chinese with the parameters'
Chinese labels, managers and auditors read it without changing anything, and a rep cannot open
it.

Drafts a test does not drive through the page are made with the engine's API on the page's own
audit database (``audit_store``); every expected sentence is the engine's or the page's text,
escaped as the page shows it (``plain``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from engine.batch.mapping import case_to_row
from engine.parameter_values import parameter_value_problem
from engine.policy.change import PolicyChange
from engine.policy.drafts import create_draft, get_draft, set_parameter
from engine.policy.lifecycle import history, publish, review
from engine.policy.live import SHIPPED, live_policy
from engine.policy.model import APPROVE, SUBMIT, Who
from engine.policy.simulate import simulate
from engine.users import User
from knowledge_base import load_knowledge
from tests.books import generate_book
from tests.conftest import REPO
from tests.ui.conftest import BY_ROLE, audit_store, open_page, signed_in, texts, view
from ui.inert import code, plain
from ui.policy_show import at as shown_at

KB = load_knowledge()
SCRIPT = "ui/views/policy.py"
PARAM = "credit.risk_high_min_score"
ADAM = BY_ROLE["admin"]
ALMA = User("alma", "Alma Admin", "admin")
"""A second administrator: the four eyes."""
pytestmark = pytest.mark.usefixtures("ui_env")


def pt(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"ui.policy.{key}", lang, **values)


def page(user: User, lang: str | None = None) -> AppTest:
    """The Policy page on its own, signed in as ``user``."""
    at = AppTest.from_file(str(REPO / SCRIPT), default_timeout=120)
    at.session_state["user"] = user
    if lang is not None:
        at.session_state["lang"] = lang
    return at.run()


def as_user(at: AppTest, user: User) -> AppTest:
    """Another person at the same browser (the page keeps what was typed)."""
    at.session_state["user"] = user
    return at.run()


def who(user: User) -> Who:
    return Who(user.username, user.role)


def drafted(name: str = "q3", value: float = 55, *, submitted: bool = False) -> None:
    """A draft by adam setting the high-risk threshold, made with the engine's API."""
    store = audit_store()
    create_draft(store, name, who(ADAM), "looser high-risk band")
    set_parameter(store, name, PARAM, value, who(ADAM), "more approvals")
    if submitted:
        review(store, name, SUBMIT, who(ADAM), "ready for review")


def published(name: str = "q3") -> None:
    drafted(name, submitted=True)
    review(audit_store(), name, APPROVE, who(ALMA), "checked the simulation")
    publish(audit_store(), name, who(ALMA), "go live")


def choose_parameter(at: AppTest, draft: str, name: str = PARAM) -> AppTest:
    module = name.split(".", 1)[0]
    at.radio(key=f"policy_module_{draft}").set_value(module).run()
    return at.selectbox(key=f"policy_parameter_{draft}_{module}").set_value(name).run()


def set_value(at: AppTest, draft: str, value: str, reason: str, name: str = PARAM) -> AppTest:
    choose_parameter(at, draft, name)
    at.text_input(key=f"policy_value_{draft}_{name}").input(value)
    at.text_input(key=f"policy_reason_{draft}_{name}").input(reason)
    return at.button(key=f"policy_set_{draft}_{name}").click().run()


def take(at: AppTest, draft: str, event: str, reason: str) -> AppTest:
    at.text_input(key=f"policy_step_reason_{draft}").input(reason)
    return at.button(key=f"policy_step_{draft}_{event}").click().run()


def _leaves(block: Any) -> Iterator[Any]:
    """The elements under ``block`` in the order they are drawn (columns left to right)."""
    for index in sorted(block.children):
        child = block.children[index]
        if hasattr(child, "children"):
            yield from _leaves(child)
        else:
            yield child


def under(at: AppTest, key: str, row: str | None = None) -> list[str]:
    """The messages drawn right under the widget ``key`` (after the other widgets of its row,
    keys starting with ``row``), before any other element."""
    leaves = list(_leaves(at._tree))
    [place] = [i for i, e in enumerate(leaves) if getattr(e, "key", None) == key]
    found = []
    for element in leaves[place + 1 :]:
        if row is not None and str(getattr(element, "key", None) or "").startswith(row):
            continue
        if getattr(element, "type", None) not in ("error", "success"):
            break
        found.append(str(element.value))
    return found


def live_info(at: AppTest) -> str:
    [line] = [i for i in texts(at, "info") if i.startswith(("Live:", "现行："))]
    return line


# -- drafting ---------------------------------------------------------------------------------


def test_an_admin_creates_a_draft_and_sets_a_parameter() -> None:
    at = open_page(signed_in("admin"), "policy")  # through the navigation, as a person does
    assert not at.exception
    assert texts(at, "title") == [KB.text("ui.page.policy.title", "en")]
    version = SHIPPED.engine().version
    assert live_info(at) == pt("live.shipped", version=code(version))
    at.text_input(key="policy_create_name").input("q3")
    at.text_input(key="policy_create_reason").input("looser high-risk band")
    at.button(key="policy_create_button").click().run()
    [created] = under(at, "policy_create_button")
    assert created.startswith(plain(KB.text("policy.done.created", name="q3", version=version)))
    assert at.selectbox(key="policy_draft").value == "q3"

    choose_parameter(at, "q3")
    value = at.text_input(key=f"policy_value_q3_{PARAM}")
    assert value.value == "40"  # the shipped value, as it is typed
    set_value(at, "q3", "55", "more approvals in the high band")
    assert not at.exception
    [done] = under(at, f"policy_set_q3_{PARAM}")
    named = f"high risk score threshold ({PARAM})"
    what = KB.text("policy.change.parameter", parameter=named, value="55 points")
    assert done.startswith(plain(KB.text("policy.done.changed", name="q3", seq=1, what=what)))
    assert "Golden cases answering differently under the draft" in done.replace("\\", "")
    draft = get_draft(audit_store(), "q3")
    assert draft.values == {PARAM: 55.0} and draft.changes[0].actor == "adam"
    assert draft.changes[0].reason == "more approvals in the high band"
    assert at.text_input(key=f"policy_reason_q3_{PARAM}").value == ""  # stored: cleared
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[pt("value.draft")] == "55 points"
    assert metrics[pt("value.live")] == metrics[pt("value.shipped")] == "40 points"
    [table] = [d.value for d in at.dataframe if pt("col.differs") in d.value.columns]
    row = table[table[pt("col.id")] == PARAM].iloc[0]
    assert (row[pt("col.draft")], row[pt("col.live")], row[pt("col.differs")]) == (
        "55 points",
        "40 points",
        True,
    )
    assert row[pt("col.range")] == "from 0 to 1,000 points"


def test_an_out_of_range_value_is_refused_at_its_field() -> None:
    drafted()
    at = page(ADAM)
    set_value(at, "q3", "5000", "")
    message = parameter_value_problem(PARAM, 5000.0, KB, "en")
    assert message is not None
    for part in ("high risk score threshold", "5,000 points", "from 0 to 1,000 points"):
        assert part in message
    assert under(at, f"policy_value_q3_{PARAM}") == [plain(message)]
    [reason] = under(at, f"policy_reason_q3_{PARAM}")  # and the missing reason at its own
    assert reason.startswith(plain("a reason is required"))
    assert at.text_input(key=f"policy_value_q3_{PARAM}").value == "5000"  # nothing typed lost
    assert get_draft(audit_store(), "q3").values == {PARAM: 55.0}  # nothing stored

    set_value(at, "q3", "fifty", "a typo")
    [typo] = under(at, f"policy_value_q3_{PARAM}")
    assert "high risk score threshold" in typo and "fifty" in typo
    assert not under(at, f"policy_reason_q3_{PARAM}")


def test_a_name_already_taken_is_refused_at_the_name() -> None:
    drafted()
    at = page(ADAM)
    at.text_input(key="policy_create_name").input("q3")
    at.text_input(key="policy_create_reason").input("again")
    at.button(key="policy_create_button").click().run()
    [refused] = under(at, "policy_create_name")
    assert refused.startswith(plain("a draft named q3 already exists"))
    assert at.text_input(key="policy_create_reason").value == "again"


def test_switching_a_rule_off_is_a_change_of_the_draft() -> None:
    drafted()
    at = page(ADAM)
    at.selectbox(key="policy_rule_choice_q3").set_value("CR-104").run()
    at.text_input(key="policy_rule_reason_q3").input("retired check")
    at.button(key="policy_switch_q3").click().run()
    [refused] = under(at, "policy_rule_choice_q3")  # the lint's finding, at the rule
    assert refused.startswith(plain("the change is refused: with it the rule base fails the lint"))
    assert at.text_input(key="policy_rule_reason_q3").value == "retired check"

    at.selectbox(key="policy_rule_choice_q3").set_value("GR-025").run()
    at.button(key="policy_switch_q3").click().run()
    assert not at.exception
    [done] = under(at, "policy_switch_q3")
    assert done.startswith(plain("Draft q3: change 2 recorded: rule GR-025 switched off"))
    assert get_draft(audit_store(), "q3").rules_off == frozenset({"GR-025"})
    assert at.button(key="policy_switch_q3").label == pt("rule_on")
    assert any(line.startswith("- GR-025 · ") for line in texts(at, "markdown"))


# -- four eyes, publishing, rolling back ------------------------------------------------------


def test_the_author_is_refused_approving_their_own_draft() -> None:
    drafted()
    at = page(ADAM)
    take(at, "q3", "submit", "ready for review")
    assert any(s.startswith(plain("Draft q3 submitted by adam")) for s in texts(at, "success"))
    assert pt("steps.four_eyes", actor="adam") in texts(at, "caption")
    take(at, "q3", "approve", "looks right to me")
    four_eyes = "adam drafted or changed draft q3: approving or rejecting it is for someone else"
    [refused] = under(at, "policy_step_q3_approve", row="policy_step_q3_")  # under the buttons
    assert refused.startswith(plain(four_eyes))
    assert get_draft(audit_store(), "q3").status == "submitted"  # nothing stored


def test_a_second_admin_approves_and_publishes_and_the_draft_is_live() -> None:
    drafted(submitted=True)
    at = page(ALMA)
    assert pt("steps.four_eyes", actor="alma") not in texts(at, "caption")
    take(at, "q3", "approve", "checked the simulation")
    assert not at.exception
    assert any(s.startswith(plain("Draft q3 approved by alma")) for s in texts(at, "success"))
    take(at, "q3", "publish", "go live on Monday")
    assert not at.exception
    live = live_policy(audit_store())
    assert live.draft == "q3" and live.values == {PARAM: 55.0}
    assert live.publication is not None
    published = audit_store().get(live.publication.record_id)
    assert (published.kind, published.channel, published.actor) == ("policy", "ui", "alma")
    values = {"draft": code("q3"), "version": code(live.engine().version), "actor": "alma"}
    values |= {"at": shown_at(live.publication.at), "record": live.publication.record_id}
    assert live_info(at) == pt("live.published", **values)
    assert pt("live.reason", reason=plain("go live on Monday")) in texts(at, "caption")
    assert any(plain("Live policy now: rule base") in s for s in texts(at, "success"))
    history_text = "\n".join(texts(at, "markdown"))
    assert plain(f"high risk score threshold ({PARAM}): 40 points → 55 points") in history_text
    assert at.selectbox(key="policy_draft").value == "q3"
    assert not [b for b in at.button if (b.key or "").startswith("policy_step_q3_")]


def test_a_rollback_returns_to_the_shipped_rule_base() -> None:
    published()
    at = page(ALMA)
    at.button(key="policy_rollback_button").click().run()
    assert under(at, "policy_rollback_reason")  # a reason is required, at its field
    assert live_policy(audit_store()).draft == "q3"
    at.text_input(key="policy_rollback_reason").input("too many approvals")
    at.button(key="policy_rollback_button").click().run()
    assert not at.exception
    assert live_policy(audit_store()).publication is None
    assert live_info(at) == pt("live.shipped", version=code(SHIPPED.engine().version))
    assert any(s.startswith(plain("Draft q3 rolled back by alma")) for s in texts(at, "success"))
    assert [e.event for e in history(audit_store())] == ["publish", "rollback"]
    assert pt("history.count", count=2) in texts(at, "caption")
    assert not [b for b in at.button if b.key == "policy_rollback_button"]


# -- simulation -------------------------------------------------------------------------------


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Path]:
    rows = [case_to_row(row.case) for row in generate_book(40, seed=11)]
    path = tmp_path / "book.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    yield path


def test_a_simulation_shows_the_engines_figures_and_charts(book: Path) -> None:
    drafted()
    at = page(ADAM)
    at.file_uploader(key="policy_book").set_value(("mine.csv", book.read_bytes(), "text/csv"))
    at.run()
    at.button(key="policy_simulate_q3").click().run()
    assert not at.exception
    expected = simulate(book, PolicyChange({PARAM: 55.0}))
    counts = {k: f"{expected[k]:,}" for k in ("ok", "failed")} | {
        "rows": f"{expected['rows_in']:,}"
    }
    assert texts(at, "success") == [pt("sim.done", book=plain("mine.csv"), **counts)]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[pt("sim.changed")] == f"{expected['changed_rows']:,}"
    assert expected["changed_rows"] > 0
    heat_maps = [t for t in expected["topics"] if t["kind"] != "number" and t["concluded"]]
    # approval rate, total limit, decisions under each policy, one heat map per topic
    assert len(at.get("vega_lite_chart")) == 3 + len(heat_maps)
    [sample] = [d.value for d in at.dataframe if pt("col.what_changed") in d.value.columns]
    assert len(sample) == len(expected["sample"])
    assert list(sample[pt("col.row")]) == [r["row"] for r in expected["sample"]]
    [report] = [c.value for c in at.code]
    assert "mine.csv" in report and str(book) not in report


def test_bad_rows_are_counted_and_an_unreadable_book_is_told() -> None:
    drafted()
    at = page(ADAM)
    good = case_to_row(generate_book(1, seed=3)[0].case)
    bad = good | {"customer.id": "B-2", "customer.nature": "wizard"}
    out = io.StringIO()
    writer = csv.DictWriter(out, list(good))
    writer.writeheader()
    writer.writerows([good, bad])
    at.file_uploader(key="policy_book").set_value(("two.csv", out.getvalue().encode(), "text/csv"))
    at.run()
    at.button(key="policy_simulate_q3").click().run()
    assert not at.exception
    counts = {"rows": "2", "ok": "1", "failed": "1"}
    assert texts(at, "success") == [pt("sim.done", book=plain("two.csv"), **counts)]
    [download] = at.get("download_button")[1:]  # after the template's
    assert download.proto.label == pt("sim.download_errors", count="1")

    at.file_uploader(key="policy_book").set_value(("bin.csv", b"\xff\xfe\x00a,b\n", "text/csv"))
    at.run()
    at.button(key="policy_simulate_q3").click().run()
    assert not at.exception
    [problem] = texts(at, "error")
    assert problem.startswith(plain(pt("sim.unreadable", problem="")))
    assert not at.get("vega_lite_chart")


# -- language, roles --------------------------------------------------------------------------


def test_the_page_reads_in_chinese_with_the_chinese_parameter_names() -> None:
    drafted()
    at = page(ADAM, "zh")
    assert texts(at, "title") == ["政策"]
    choose_parameter(at, "q3")
    assert "**高风险评分门槛**" in texts(at, "markdown")
    [table] = [d.value for d in at.dataframe if pt("col.differs", "zh") in d.value.columns]
    row = table[table[pt("col.id", "zh")] == PARAM].iloc[0]
    assert row[pt("col.parameter", "zh")] == "高风险评分门槛"
    assert (row[pt("col.draft", "zh")], row[pt("col.live", "zh")]) == ("55分", "40分")
    set_value(at, "q3", "5000", "太宽松")
    message = parameter_value_problem(PARAM, 5000.0, KB, "zh")
    assert message == "参数“高风险评分门槛”：5,000分 超出允许范围（0至1,000分）"
    assert under(at, f"policy_value_q3_{PARAM}") == [plain(message)]
    shown = texts(at, "markdown") + texts(at, "caption") + texts(at, "error") + texts(at, "info")
    for line in shown:
        assert PARAM not in line and "None" not in line, line
    # the language switch keeps what was typed (keys are ids, not labels)
    at.session_state["lang"] = "en"
    at.run()
    assert at.text_input(key=f"policy_value_q3_{PARAM}").value == "5000"
    assert texts(at, "title") == ["Policy"]


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_managers_and_auditors_read_the_page_without_changing_anything(role: str) -> None:
    drafted(submitted=True)
    at = open_page(signed_in(role), "policy")
    assert not at.exception
    assert texts(at, "title") == [KB.text("ui.page.policy.title", "en")]
    assert pt("read_only") in texts(at, "caption")
    assert at.selectbox(key="policy_draft").value == "q3"
    assert not at.text_input  # no field to type a change, a reason or a name into
    assert not [b for b in at.button if (b.key or "").startswith("policy_")]
    assert pt("steps.read_only", status="submitted for approval") in texts(at, "caption")
    choose_parameter(at, "q3")
    assert {m.label for m in at.metric} == {pt(f"value.{v}") for v in ("draft", "live", "shipped")}


def test_a_rep_cannot_open_the_policy_page() -> None:
    at = signed_in("rep")
    with pytest.raises(ValueError):  # not registered for a rep: st.navigation refuses it
        at.switch_page(SCRIPT)
    direct = view(SCRIPT, "rep").run()  # and run on its own, the page refuses the role
    assert texts(direct, "error") == [KB.text("ui.auth.refused", "en")]
    assert not direct.title


def test_widget_keys_are_ids() -> None:
    """Every key the page gives a widget is built from ids: the same in both languages."""
    drafted()
    keys = {}
    for lang in ("en", "zh"):
        at = page(ADAM, lang)
        choose_parameter(at, "q3")
        keys[lang] = {w.key for w in at.text_input} | {b.key for b in at.button}
    assert keys["en"] == keys["zh"]
    assert f"policy_value_q3_{PARAM}" in keys["en"]
