"""A language switch cannot break a page: every page, opened by an administrator (who sees all
of them) with something open on it — a result, a record, a customer — is switched to 简体中文
and back, and must come back exactly as it was: no exception, the same headings, the same
choices in every select box, the same typed values, the same tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from engine.cli_demo import seed_examples
from tests.ui.conftest import audit_store, load_example, open_page, signed_in, submit, texts
from ui.navigation import PAGES

pytestmark = pytest.mark.usefixtures("ui_env")

EXAMPLES = {
    "credit": "credit-refer.yaml",
    "grading": "grading-key-account.yaml",
    "closing": "closing-hesitant-buyer.yaml",
    "collection": "collection-tough-debtor.yaml",
}


def _consulted(page: str) -> Callable[[AppTest], None]:
    def consult(at: AppTest) -> None:
        load_example(at, page, EXAMPLES[page])
        submit(at, f"{page}_form")

    return consult


def _first_of(key: str) -> Callable[[AppTest], None]:
    def choose(at: AppTest) -> None:
        at.selectbox(key=key).select_index(0).run()

    return choose


OPEN: dict[str, Callable[[AppTest], None]] = {
    **{page: _consulted(page) for page in EXAMPLES},
    "audit": _first_of("audit_open"),
    "customers": _first_of("customers_open"),
}


def _snapshot(at: AppTest) -> dict[str, Any]:
    return {
        "titles": texts(at, "title"),
        "headers": texts(at, "header") + texts(at, "subheader"),
        "selects": {b.key: b.value for b in at.selectbox},
        "typed": {b.key: b.value for b in at.text_input},
        "tables": [tuple(d.value.shape) for d in at.dataframe],
        "errors": texts(at, "error"),
    }


def _switch(at: AppTest, language: str) -> AppTest:
    at.radio(key="lang").set_value(language).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", [p.key for p in PAGES])
def test_a_page_survives_switching_to_chinese_and_back(page: str) -> None:
    seed_examples(audit_store())
    at = signed_in("admin")
    open_page(at, page)
    opened = OPEN.get(page)
    if opened is not None:
        opened(at)
    assert not at.exception, at.exception
    before = _snapshot(at)
    chinese = _snapshot(_switch(at, "zh"))
    assert chinese["titles"] != before["titles"]  # really switched
    assert chinese["selects"] == before["selects"] and chinese["typed"] == before["typed"]
    assert chinese["tables"] == before["tables"]
    after = _snapshot(_switch(at, "en"))
    assert after == before
    if page == "knowledge":
        shown = "\n".join(texts(at, "markdown") + texts(at, "caption"))
        assert "0 rule(s)" not in shown and " 0 rules" not in shown
