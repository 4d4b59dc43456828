"""The collection coach page in AppTest: the debtor type(s) with their evidence, the source's
strategies, the occasion, the means and the cautions, for a rep and a manager, in both
languages, with bad input marked at the field."""

from __future__ import annotations

import pytest

from knowledge_base import load_knowledge
from tests.ui.conftest import audit_store, load_example, open_page, signed_in, submit, texts

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")


def text(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"ui.{key}", lang, **values)


def test_collection_coach_recognises_a_scheming_debtor_and_freezes_credit() -> None:
    at = open_page(signed_in("rep"), "collection")
    load_example(at, "collection", "collection-scheming-debtor.yaml")
    submit(at, "collection_form")
    assert not at.exception
    assert texts(at, "title") == [text("page.collection.title")]
    markdown = "\n".join(texts(at, "markdown"))
    assert "### 1. Scheming — evidence score 9" in markdown
    assert "- [weight 3] Rotates who answers (CO-006)" in markdown
    assert "**1. Counter the “wheel battle”**" in markdown
    assert "**2. “Troops at the city gate”**" in markdown
    assert "**1. At their premises**" in markdown
    assert "3. **Bank supervision** — Settle through entrusted collection" in markdown
    assert "Escalation level" in texts(at, "caption") and "**Lawful pressure**" in markdown
    assert any(
        w.startswith("**Credit while collecting: Freeze credit**") for w in texts(at, "warning")
    )
    assert any(e.startswith("**Lawful means only** — Never threaten") for e in texts(at, "error"))
    record = audit_store().get(1)
    assert record.actor == "rita" and "collection" in record.modules


def test_a_manager_sees_a_tie_in_chinese() -> None:
    at = open_page(signed_in("manager", locale="zh-CN"), "collection")
    load_example(at, "collection", "collection-mixed-debtor.yaml")
    submit(at, "collection_form")
    assert not at.exception
    assert texts(at, "title") == [text("page.collection.title", "zh")]
    markdown = "\n".join(texts(at, "markdown"))
    assert "### 1. 强硬型 — 证据得分 3" in markdown
    assert "### 1. 阴谋型 — 证据得分 3" in markdown
    assert "**并列:** 阴谋型" in texts(at, "warning")
    assert any(i.startswith("债务人还表现出") for i in texts(at, "info"))
    assert text("collection.strategies", "zh") in texts(at, "subheader")


def test_without_signals_no_type_is_claimed_and_the_page_says_what_to_observe() -> None:
    at = open_page(signed_in("rep"), "collection")
    load_example(at, "collection", "collection-tough-debtor.yaml")
    at.multiselect(key="collection_collection_signals").set_value([])
    submit(at, "collection_form")
    assert not at.exception
    assert text("collection.no_type") in texts(at, "info")
    markdown = "\n".join(texts(at, "markdown"))
    assert "**Observe the debtor's behaviour**" in markdown
    assert "- Who turns up to talk, and whether they can decide." in markdown
    assert text("collection.strategies") not in texts(at, "subheader")


def test_bad_input_is_marked_at_the_field_and_kept() -> None:
    at = open_page(signed_in("rep"), "collection")
    load_example(at, "collection", "collection-transfusion.yaml")
    at.text_input(key="collection_collection_days_overdue").input("0")
    submit(at, "collection_form")
    assert not at.exception
    assert at.text_input(key="collection_collection_days_overdue").value == "0"
    assert len(at.error) == 2  # the field and the form's summary
    assert not [m for m in texts(at, "markdown") if "evidence score" in m]
