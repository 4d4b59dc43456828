"""What the Customers page and the customer picker ask the engine for (issue 22): the customer
directory (``engine.customers.directory``: search, one customer's last known facts), a
customer's history (``engine.customers.history``) and an import of a customer list
(``engine.customers.importing``); and the tables they are shown as, with labels, never ids.

Every value is labelled by the engine's label functions (``engine.labels``) in the current
language; numbers are grouped by thousands; a value not given is "—", never ``None``. Nothing is
decided here: the page only reads the directory, and an import is the engine's.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from engine.audit.recording import shared_store
from engine.customers.directory import Customer, find, search
from engine.customers.history import Point, customer_history
from engine.customers.importing import Imported, import_customers
from engine.errors import SalesExpertError
from engine.labels import field_label, number, topic_value_label, value_label
from engine.users import User
from ui.i18n import kb, lang, t, upload_key

PAGE = "customers"
SEARCH = f"{PAGE}_search"
OPEN = f"{PAGE}_open"
UPLOAD = upload_key(f"{PAGE}_upload")
IMPORTED = f"{PAGE}_imported"
"""The last import's summary (an ``Imported``), kept for the page to show."""
LIMIT = 200
"""At most this many customers listed (the most recently seen): a search finds the others."""
IMPORTERS = frozenset({"manager", "admin"})
"""The roles that import customer lists; everyone who sees the page reads it."""
NOTHING = "—"
POINT_TOPICS = (
    ("grade", "value_tier", "value_tier"),
    ("service", "service_tier", "service_tier"),
    ("credit", "credit_decision", "credit_decision"),
)
"""History columns read from a point's values: (column, the point's field, its topic)."""


def ct(key: str, **values: object) -> str:
    """The page text ``ui.customers.<key>`` in the current language."""
    return t(f"customers.{key}", **values)


def search_customers(text: str, limit: int = LIMIT) -> list[Customer]:
    with shared_store()._read() as conn:
        return search(conn, text.strip(), limit)


def find_customer(customer_id: str) -> Customer | None:
    with shared_store()._read() as conn:
        return find(conn, customer_id)


def history(customer_id: str) -> list[Point]:
    return customer_history(shared_store(), customer_id)


def when(stamp: str) -> str:
    """A stored UTC time to the minute: ``2026-12-04 21:32``."""
    return stamp[:16].replace("T", " ")


def option_label(customer: Customer) -> str:
    """A customer in a select box: its name and id (drawn as text by Streamlit)."""
    return ct("option", name=customer.name or ct("no_name"), id=customer.id)


def may_import(user: User | None) -> bool:
    return user is not None and user.role in IMPORTERS


def list_frame(found: Sequence[Customer]) -> pd.DataFrame:
    """The list: id, name, last seen, consultations."""
    names = [ct(f"col.{c}") for c in ("id", "name", "last_seen", "consultations")]
    rows = [[c.id, c.name or NOTHING, when(c.last_seen), c.consultations] for c in found]
    return pd.DataFrame(rows, columns=names)


def section_heading(section: str, entry: Mapping[str, Any]) -> str:
    """Which section, from where and when (and its record, unless imported)."""
    shown = {
        "section": kb().text(f"ui.section.{section}", lang()),
        "source": kb().text(f"customers.source.{entry.get('source')}", lang()),
        "at": when(str(entry.get("at", ""))),
    }
    record = entry.get("record")
    if record is None:
        return ct("facts_from", **shown)
    return ct("facts_record", record=record, **shown)


def facts_frame(section: str, values: Mapping[str, Any]) -> pd.DataFrame:
    """One section's last known values: field label and value label."""
    rows = [
        [
            field_label(section, name, kb(), lang()),
            NOTHING if value is None else value_label(section, name, value, kb(), lang()),
        ]
        for name, value in values.items()
    ]
    return pd.DataFrame(rows, columns=[ct("col.field"), ct("col.value")])


def answer(topic: str, value: Any) -> str:
    """A concluded value's label, "—" when there is none."""
    return NOTHING if value is None else topic_value_label(topic, value, kb(), lang())


def amount(value: Any) -> str:
    return NOTHING if value is None else number(value)


def outcome_label(outcome: str) -> str:
    """An outcome kind's label (an unknown one, from an edited record, as it is)."""
    key = f"outcomes.kind.{outcome}"
    return kb().text(key, lang()) if key in kb().texts[lang()] else outcome


def final_text(point: Point) -> str:
    if point.final_decision is None:
        return NOTHING
    decision = answer("credit_decision", point.final_decision)
    if point.final_limit is None:
        return decision
    return ct("final_limit", decision=decision, limit=amount(point.final_limit))


def history_row(point: Point) -> list[Any]:
    values = point.values
    labelled = [answer(topic, values.get(name)) for _, name, topic in POINT_TOPICS]
    return [
        when(point.at),
        point.record,
        *labelled,
        amount(values.get("recommended_limit")),
        final_text(point),
        answer("escalation_level", values.get("collection_stage")),
        separator().join(outcome_label(o) for o in point.outcomes) or NOTHING,
    ]


def separator() -> str:
    return "、" if lang() == "zh" else ", "


HISTORY_COLUMNS = ("at", "record", "grade", "service", "credit", "limit", "final", "stage")


def history_frame(points: Sequence[Point]) -> pd.DataFrame:
    """The history, oldest first: date, record, grade, service tier, credit recommendation,
    recommended limit, final decision, collection stage, outcomes."""
    names = [ct(f"col.{c}") for c in (*HISTORY_COLUMNS, "outcomes")]
    return pd.DataFrame([history_row(p) for p in points], columns=names)


def import_upload(name: str, data: bytes, language: str) -> Imported:
    """An uploaded list imported through a temporary file (the engine reads files)."""
    suffix = Path(name).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="sales-expert-ui-") as folder:
        path = Path(folder) / f"customers{suffix}"
        path.write_bytes(data)
        return import_customers(shared_store(), path, language)


def run_import(name: str, data: bytes) -> Imported | str:
    """The import's summary, or why it failed (the engine's message, or the file's)."""
    try:
        return import_upload(name, data, lang())
    except SalesExpertError as exc:
        return str(exc)
    except (UnicodeDecodeError, csv.Error, ValueError) as exc:
        return str(exc)


def refused_frame(summary: Imported) -> pd.DataFrame:
    """Each refused row's problems: row, field, message."""
    names = [ct(f"import.{c}") for c in ("row", "field", "message")]
    rows = [[row, field, message] for row, (field, _, message) in summary.failed]
    return pd.DataFrame(rows, columns=names)
