"""The Streamlit app starts and shows the example customer's grading in both languages."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


def test_app_shows_the_example_grading() -> None:
    at = AppTest.from_file(str(REPO / "ui_app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Customer grading"
    labels = [e.label for e in at.expander]
    assert "Service tier: **VIP customer**" in labels


def test_app_switches_to_chinese() -> None:
    at = AppTest.from_file(str(REPO / "ui_app.py"), default_timeout=60).run()
    at.radio(key="lang").set_value("zh").run()
    assert at.title[0].value == "客户分级"
    assert any("VIP客户" in e.label for e in at.expander)
