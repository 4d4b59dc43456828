"""A batch's results as people read them (issue 22): the portfolio page's table and its
"readable" download show each value's label (``Most valuable``, not ``most_valuable``), numbers
with grouped thousands and headers in the current language. Ids stay ids: the row number, the
consultation and customer ids and the rules fired. The engine's file, with ids, is still
offered for the back-test and for re-import."""

from __future__ import annotations

import pandas as pd

from engine.batch import OUTPUT_COLUMNS
from engine.csv_safe import csv_text
from engine.labels import number, topic_value_label
from knowledge_base import Knowledge
from ui.numbers import parse_number

LIST_SEPARATOR = ";"
"""How a batch cell lists several values (``engine.batch.mapping``)."""
LABELLED = {c.name: c.topic for c in OUTPUT_COLUMNS if c.take in ("value", "values", "top")}
"""Output columns holding a topic's value(s): each value has a label."""
NUMBERS = ("overdue_amount",)
"""Other columns holding a number."""
STATUS = "status"


def _cell(topic: str, text: str, kb: Knowledge, lang: str) -> str:
    if not text:
        return ""
    try:
        return number(parse_number(text))
    except ValueError:
        pass
    items = text.split(LIST_SEPARATOR) if LIST_SEPARATOR in text else [text]
    labels = [topic_value_label(topic, item.strip(), kb, lang) for item in items]
    return kb.text("explain.list_separator", lang).join(labels)


def _header(name: str, kb: Knowledge, lang: str) -> str:
    topic = LABELLED.get(name)
    if topic is not None and topic in kb.topics:
        return kb.topics[topic].label.get(lang)
    key = f"ui.portfolio.column.{name}"
    text = kb.text(key, lang)
    return name if text == key else text


def labelled(frame: pd.DataFrame, kb: Knowledge, lang: str) -> pd.DataFrame:
    """The results table with labels for values and headers (a copy; cells are text)."""
    shown = frame.copy()
    for name in shown.columns:
        if name in LABELLED:
            shown[name] = [_cell(LABELLED[name], v, kb, lang) for v in shown[name]]
        elif name in NUMBERS:
            shown[name] = [_cell("", v, kb, lang) for v in shown[name]]
        elif name == STATUS:
            shown[name] = [
                kb.text(f"ui.portfolio.status.{v}", lang) if v else v for v in shown[name]
            ]
    headers: list[str] = []
    for name in shown.columns:
        header = _header(str(name), kb, lang)
        headers.append(header if header not in headers else f"{header} ({name})")
    shown.columns = pd.Index(headers)
    return shown


def labelled_csv(frame: pd.DataFrame) -> bytes:
    """A labelled table as a CSV a spreadsheet opens in either language (UTF-8 with its
    signature) and does not evaluate (``engine.csv_safe``)."""
    rows = [list(frame.columns), *frame.itertuples(index=False, name=None)]
    return csv_text(rows).encode("utf-8-sig")
