"""Issue 19, the web app: text people typed is shown as text (never Markdown or HTML) on the
audit trail and the credit page, and repeated failed sign-ins are throttled and say when to
retry. (The same in a real browser: ``test_browser.py``.)"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from engine.api import consult
from engine.audit.decisions import DecisionRequest
from engine.intake import read_case_file
from engine.signin_guard import FREE_FAILURES, LOCKOUT_SECONDS, SigninGuard
from knowledge_base import load_knowledge
from tests.conftest import REPO
from tests.ui.conftest import (
    PASSWORDS,
    audit_store,
    load_example,
    login,
    new_app,
    signed_in,
    submit,
    texts,
)
from ui.inert import WORD_JOINER, code, plain

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")
HOST = "http://127.0.0.1:9"
CUSTOMER_ID = f"![x]({HOST}/x.png)"
CUSTOMER_NAME = f'<img src="{HOST}/y.png"> [click]({HOST}/) :red[alarm] :streamlit: $x^2$ **b**'
ACTOR = f"<b>eve</b> ![a]({HOST}/a.png)"
REASON = f"fine ![r]({HOST}/r.png)\n# heading\n<script>alert(1)</script> www.example.com a@b.co"
ACTIVE = ("![", "<img", "<b>", "<script", "](", ":red[", ":streamlit:", "$x", "**b**", "\n#")
"""Markup that would be live in Markdown: none may be left in what is drawn."""


def unescaped(markdown: str) -> str:
    """What a reader sees of ``plain`` text: backslash escapes and word joiners resolved."""
    return re.sub(r"\\(.)", r"\1", markdown, flags=re.DOTALL).replace(WORD_JOINER, "")


def drawn(at: AppTest) -> list[str]:
    """Every text Streamlit draws as Markdown: bodies, labels and metric values."""
    kinds = ("markdown", "caption", "title", "header", "subheader", "success", "info", "warning")
    found = [str(e.value) for kind in (*kinds, "error") for e in getattr(at, kind)]
    found += [str(m.label) for m in at.metric] + [str(m.value) for m in at.metric]
    found += [str(e.label) for e in at.expander]
    return found


def assert_inert(at: AppTest) -> None:
    """No active markup: every occurrence is escaped (after an odd number of backslashes)."""
    for text in drawn(at):
        for markup in ACTIVE:
            live = re.search(r"(?<!\\)(?:\\\\)*" + re.escape(markup), text)
            assert live is None, (markup, text)


# -- plain ------------------------------------------------------------------------------------


LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines splits at these


@given(hs.text(hs.characters(codec="utf-8", exclude_characters=LINE_BREAKS + WORD_JOINER)))
def test_plain_escapes_every_mark_and_reads_the_same(text: str) -> None:
    shown = plain(text)
    assert unescaped(shown) == text.strip()
    bare = re.sub(r"\\.", "", shown, flags=re.DOTALL)  # what is left once escapes are taken out
    assert not re.search(r"[!-/:-@\[-`{-~]", bare)


def test_plain_breaks_what_streamlit_matches_after_escaping() -> None:
    assert plain(":smile: :material/home: http://x") == (
        f"\\:{WORD_JOINER}smile\\:{WORD_JOINER} \\:{WORD_JOINER}material\\/home\\:{WORD_JOINER}"
        f" http\\:{WORD_JOINER}\\/\\/x"
    )
    assert WORD_JOINER in plain("www.x.cn") and WORD_JOINER in plain("a@b.co")
    assert plain("a -> b") == f"a \\-{WORD_JOINER}\\> b"
    assert plain("one\n\n  # two  \n") == "one\\\n\\# two"
    assert code("rb-1`2") == "``rb-1`2``" and code("") == ""


# -- the audit trail and the credit page ------------------------------------------------------


@pytest.fixture
def hostile() -> int:
    """A credit consultation by a hostile actor for a hostile customer, and an override with a
    hostile reason; the consultation's id."""
    case = read_case_file(REPO / "examples" / "credit-refer.yaml")
    case["customer"].update(id=CUSTOMER_ID, name=CUSTOMER_NAME)
    store = audit_store()
    result = consult(case, store=store, actor=ACTOR, role="manager", channel="ui")
    assert result.audit_id is not None
    store.record_decision(
        result.audit_id,
        DecisionRequest("approve", 50_000, 30, REASON),
        actor=ACTOR,
        role="manager",
        channel="ui",
    )
    return result.audit_id


def test_the_audit_trail_shows_typed_text_as_text(hostile: int) -> None:
    at = signed_in("auditor")  # opens the newest record: the final decision
    assert not at.exception
    assert_inert(at)
    assert plain(CUSTOMER_ID) in [m.value for m in at.metric]
    markdown = "\n".join(texts(at, "markdown"))
    assert plain(REASON) in markdown and plain(ACTOR) in " ".join(m.value for m in at.metric)
    assert "fine ![r]" in unescaped(markdown) and "# heading" in unescaped(markdown)
    at.selectbox(key="audit_open").set_value(hostile).run()  # the consultation, with its trace
    assert not at.exception
    assert_inert(at)
    assert plain(CUSTOMER_ID) in [m.value for m in at.metric]
    assert plain(REASON) in "\n".join(texts(at, "markdown"))
    at.button(key="audit_replay").click().run()
    assert_inert(at)
    at.button(key="audit_verify").click().run()
    assert_inert(at)


def test_the_credit_page_shows_typed_text_as_text() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-refer.yaml")
    at.text_input(key="credit_customer_id").input(CUSTOMER_ID)
    at.text_input(key="credit_customer_name").input(CUSTOMER_NAME)
    submit(at, "credit_form")
    assert not at.exception and at.metric
    assert_inert(at)
    assert audit_store().get(1).customer_id == CUSTOMER_ID  # recorded as typed


def test_a_problem_quoting_typed_text_shows_it_as_text() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-refer.yaml")
    at.text_input(key="credit_customer_id").input("![x](http://127.0.0.1:9/" + "x" * 80 + ")")
    submit(at, "credit_form")
    assert texts(at, "error") and not at.metric  # too long: refused at the field
    assert_inert(at)


# -- sign-in throttling -----------------------------------------------------------------------


def signin_text(key: str, lang: str = "en") -> str:
    """The part of ``signin.<key>`` before its first value."""
    return KB.text(f"signin.{key}", lang).split("{")[0]


def test_repeated_failed_sign_ins_must_wait_even_with_the_right_password() -> None:
    at = new_app()
    for _ in range(FREE_FAILURES):
        login(at, "mia", "guess")
        assert texts(at, "error") == [KB.text("ui.login.failed")]
    login(at, "mia", "guess")
    [error] = texts(at, "error")
    assert error.startswith(KB.text("ui.login.failed")) and signin_text("wait") in error
    login(at, "mia", PASSWORDS["mia"])  # at once: refused without a password check
    [error] = texts(at, "error")
    assert error.startswith(signin_text("wait")) and KB.text("ui.login.failed") not in error
    assert "user" not in at.session_state


@pytest.mark.parametrize(("locale", "lang"), [("en-GB", "en"), ("zh-CN", "zh")])
def test_a_locked_out_user_name_is_told_when_to_retry(ui_env: Path, locale: str, lang: str) -> None:
    guard = SigninGuard.in_data_dir(ui_env)
    guard.status("mia", "")  # creates the record
    with sqlite3.connect(guard.path) as conn:
        conn.execute(
            "INSERT INTO signin_events (at, scope, key, event, peer) VALUES (?, ?, ?, ?, ?)",
            (time.time(), "user", "mia", "lockout", "ip:10.0.0.9"),
        )
    at = login(new_app(locale), "mia", PASSWORDS["mia"])
    [error] = texts(at, "error")
    assert error.startswith(signin_text("locked", lang))
    assert f"{LOCKOUT_SECONDS // 60}" in error
    assert "user" not in at.session_state
    assert (
        login(new_app(locale), "rita", PASSWORDS["rita"]).session_state["user"].username == "rita"
    )
