"""Issue 22, "pages that read at a glance": amounts typed with thousands separators, result
tables with labels instead of ids, and text results drawn whole instead of cut metrics."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from engine.api import consult
from engine.cli_demo import seed_examples
from engine.labels import field_label, topic_value_label
from knowledge_base import load_knowledge
from tests.conftest import REPO
from tests.ui.conftest import audit_store, load_example, open_page, signed_in, submit, texts
from tests.ui.test_pages import CSV
from ui.batch_labels import labelled, labelled_csv
from ui.colours import ramp, ranks
from ui.inert import plain
from ui.numbers import EXAMPLE, parse_number, show_number

KB = load_knowledge()
pytestmark = pytest.mark.usefixtures("ui_env")
AMOUNT = "credit_credit_requested_amount"
DECISIONS = ("approve", "approve_with_conditions", "refer", "decline")


# -- numbers as people type them --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "whole", "expected"),
    [
        ("1,200,000", True, 1_200_000),
        ("1，200，000", True, 1_200_000),  # a Chinese keyboard's comma
        ("1 200 000", True, 1_200_000),
        (" 1200000 ", True, 1_200_000),
        ("１２００", True, 1200),  # full-width digits
        ("-5", True, -5),  # the model says whether a field may be negative
        ("12.0", True, 12),
        ("12.5", True, 12.5),  # kept: the model says "a whole number"
        ("1,234.56", False, 1234.56),
        ("7", False, 7.0),
    ],
)
def test_numbers_are_read_with_thousands_separators(
    typed: str, whole: bool, expected: float
) -> None:
    value = parse_number(typed, whole=whole)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "typed", ["12abc", "", "1,2", "1,,200", "--5", "1.2.3", "1e5", ",100", "9" * 70]
)
def test_what_is_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_number(typed)


def test_numbers_are_shown_with_thousands_separators() -> None:
    assert [show_number(v) for v in (1_200_000, 1_200_000.0, 1234.567, -0.5, None)] == [
        "1,200,000",
        "1,200,000",
        "1,234.567",
        "-0.5",
        "",
    ]
    for value in (1_200_000, 1234.567, -0.5, 18.5):
        assert parse_number(show_number(value)) == value


def test_an_amount_with_separators_is_accepted_and_used() -> None:
    at = signed_in("manager")
    load_example(at, "credit", "credit-refer.yaml")
    purchases = at.text_input(key="credit_customer_annual_purchases").value
    assert "," in purchases  # an example's amount is shown grouped
    at.text_input(key=AMOUNT).input("1,200,000")
    submit(at, "credit_form")
    assert not at.exception and not texts(at, "error")
    case = (audit_store().get(1).payload or {})["case"]
    assert case["credit"]["requested_amount"] == 1_200_000
    assert case["customer"]["annual_purchases"] == parse_number(purchases)
    assert at.text_input(key=AMOUNT).value == "1,200,000"  # kept as typed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_text_that_is_not_a_number_is_refused_at_the_field(lang: str) -> None:
    at = signed_in("manager")
    at.radio(key="lang").set_value(lang).run()
    load_example(at, "credit", "credit-refer.yaml")
    at.text_input(key=AMOUNT).input("12abc")
    submit(at, "credit_form")
    assert not at.exception
    label = field_label("credit", "requested_amount", KB, lang)
    field = label[:1].upper() + label[1:] + f" ({KB.text('ui.unit.yuan', lang)})"
    message = KB.text(
        "ui.form.not_a_number", lang, field=plain(field), value="12abc", example=EXAMPLE
    )
    errors = texts(at, "error")
    assert message in errors
    assert KB.text("ui.form.fix_marked", lang, count=1) in errors
    assert "1,200,000" in message and "12abc" in message
    assert audit_store().count() == 0
    assert at.text_input(key=AMOUNT).value == "12abc"  # nothing typed is lost


# -- tables with labels -----------------------------------------------------------------------


def _colour_scales(at: AppTest) -> dict[str, dict[str, Any]]:
    """Each chart's title → its colour scale (Vega-Lite spec)."""
    found = {}
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        scale = spec.get("encoding", {}).get("color", {}).get("scale")
        if scale is not None:
            found[str(spec.get("title"))] = scale
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_portfolio_shows_labels_not_ids_and_fixed_colours(lang: str) -> None:
    at = open_page(signed_in("manager"), "portfolio")
    at.radio(key="lang").set_value(lang).run()
    at.file_uploader(key="portfolio_upload").set_value(("book.csv", CSV.encode(), "text/csv"))
    at.run()
    at.button(key="portfolio_run").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    column = KB.topics["difference_class"].label.get(lang)
    assert topic_value_label("difference_class", "most_valuable", KB, lang) in set(table[column])
    cells = {str(v) for v in table.to_numpy().ravel()}
    assert not cells & {"most_valuable", "churn_risk", "approve", "ok", "vip", "high"}
    assert "difference_class" not in table.columns
    assert KB.text("ui.portfolio.column.customer_id", lang) in table.columns
    assert {"P-1", "P-2", "P-5"} <= cells  # ids stay ids
    scales = _colour_scales(at)
    decisions = scales[KB.topics["credit_decision"].label.get(lang)]
    labels = [topic_value_label("credit_decision", v, KB, lang) for v in DECISIONS]
    assert decisions["domain"] == [*labels, "—"]  # every decision, whichever the book has
    assert decisions["range"] == [*ramp(4), "#9e9e9e"]  # approve green … decline red
    assert decisions["range"][0] == "#2e7d32" and decisions["range"][3] == "#c62828"
    tiers = scales[KB.topics["value_tier"].label.get(lang)]
    assert tiers["range"][:3] == ranks(3)  # ranks in shades of one blue, not good and bad


def test_the_audit_decisions_chart_colours_bars_by_decision() -> None:
    seed_examples(audit_store())
    at = open_page(signed_in("auditor"), "audit")
    [scale] = _colour_scales(at).values()
    approve = topic_value_label("credit_decision", "approve", KB, "en")
    assert scale["domain"][0] == approve and scale["range"][0] == ramp(4)[0]


def test_the_readable_download_is_the_table_shown() -> None:
    raw = pd.DataFrame(
        {
            "customer_id": ["=HYPERLINK(1)"],
            "status": ["ok"],
            "difference_class": ["most_valuable"],
            "loyalty": ["churn_risk"],
            "debtor_type": ["tough;scheming"],
            "recommended_limit": ["1200000"],
        }
    )
    shown = labelled(raw, KB, "zh")
    data = labelled_csv(shown)
    assert data.startswith(b"\xef\xbb\xbf")  # opens as UTF-8 in a spreadsheet
    back = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")
    assert list(back.columns) == list(shown.columns)
    row = back.iloc[0]
    assert row[KB.topics["difference_class"].label.get("zh")] == "最具价值客户"
    assert row[KB.topics["loyalty"].label.get("zh")] == topic_value_label(
        "loyalty", "churn_risk", KB, "zh"
    )
    assert "、" in row[KB.topics["debtor_type"].label.get("zh")]
    assert row[KB.topics["recommended_limit"].label.get("zh")] == "1,200,000"
    assert row[KB.text("ui.portfolio.column.customer_id", "zh")] == "'=HYPERLINK(1)"  # inert


# -- results drawn whole ----------------------------------------------------------------------

LONGEST_METRIC = 20


@pytest.mark.parametrize(
    ("page", "example", "shown"),
    [
        ("grading", "grading-key-account.yaml", ("value_tier", "service_tier")),
        ("credit", "credit-refer.yaml", ("credit_decision",)),
        ("credit", "credit-approve-with-conditions.yaml", ("credit_decision",)),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_results_are_not_cut_in_metrics(
    page: str, example: str, shown: tuple[str, ...], lang: str
) -> None:
    at = open_page(signed_in("manager"), page)
    at.radio(key="lang").set_value(lang).run()
    load_example(at, page, example)
    submit(at, f"{page}_form")
    assert not at.exception
    too_long = [m.value for m in at.metric if len(str(m.value)) > LONGEST_METRIC]
    assert not too_long
    case = yaml.safe_load((REPO / "examples" / example).read_text(encoding="utf-8"))
    result = consult(case, lang=lang, record=False)
    markdown = texts(at, "markdown")
    for topic in shown:
        found = result.conclusion(topic)
        assert found is not None and f"**{found.label}**" in markdown
