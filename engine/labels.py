"""Human names for fields, topics and values in either language, from the models and the KB."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.textcache import TextCache
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS


def field_label(fact: str, field: str, kb: Knowledge, lang: str) -> str:
    """``customer.annual_purchases`` → "annual purchases" / "近12个月采购额"."""
    topic = kb.topics.get(fact)
    if topic is not None:
        return topic.label.get(lang)
    if fact == "case":
        return kb.text(f"explain.case.{field}", lang)
    model = SECTIONS.get(fact)
    info = model.model_fields.get(field) if model else None
    extra = info.json_schema_extra if info else None
    if isinstance(extra, dict) and isinstance(extra.get(lang), str):
        return str(extra[lang])
    return field.replace("_", " ")


def field_unit(fact: str, field: str) -> str:
    model = SECTIONS.get(fact)
    info = model.model_fields.get(field) if model else None
    extra = info.json_schema_extra if info else None
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


NUMBERS_KEPT = 20_000
"""Formatted numbers kept before starting afresh: a consultation shows the same input in its
"how", its why-nots and its reasons, and a book repeats amounts and thresholds."""
_numbers = TextCache(NUMBERS_KEPT)


def number(value: float | int) -> str:
    """Grouped thousands, at most two decimals. Equal values (1, 1.0, True) read the same, so
    one kept text serves them all."""
    text: str | None = _numbers.get(value)
    if text is None:
        if isinstance(value, float) and not value.is_integer():
            text = f"{value:,.2f}".rstrip("0").rstrip(".")
        else:
            text = f"{int(value):,}"
        _numbers.put(value, text)
    return text


def value_label(fact: str, field: str, value: Any, kb: Knowledge, lang: str) -> str:
    """A value as a person reads it: topic value labels, enum labels, grouped numbers."""
    if isinstance(value, bool):
        return kb.text(f"explain.bool.{str(value).lower()}", lang)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        separator = kb.text("explain.list_separator", lang)  # 、 between Chinese items
        return separator.join(value_label(fact, field, v, kb, lang) for v in value) or kb.text(
            "explain.nothing", lang
        )
    label = kb.value_labels.get((fact, str(value)))
    if label is not None:
        return label.get(lang)
    entry = kb.catalogues.get(_catalogue(fact, field), {}).get(str(value))
    if entry is not None:  # an item of a list field drawn from a catalogue
        return entry.label.get(lang)
    key = f"enum.{field}.{value}"
    text = kb.text(key, lang)
    return str(value) if text == key else text


LABELS_PER_FIELD = 256
"""Labels of non-numeric values a field's formatter keeps (enum and category values: few)."""


def value_formatter(fact: str, field: str, kb: Knowledge, lang: str) -> Callable[[Any], str]:
    """``value_label`` for one field, for texts that show the field's value in every
    consultation: numbers formatted directly, other labels looked up once per value."""
    labels = TextCache(LABELS_PER_FIELD)

    def formatted(value: Any) -> str:
        kind = type(value)
        if kind is int or kind is float:  # exact types: a bool goes to its label
            return number(value)
        if kind is list:
            return value_label(fact, field, value, kb, lang)
        label: str | None = labels.get((kind, value))
        if label is None:
            label = labels.put((kind, value), value_label(fact, field, value, kb, lang))
        return label

    return formatted


def recorded_value(value: Any, kb: Knowledge, lang: str) -> str:
    """A value read back from a record (the audit trail, an outcome): yes/no in the language,
    numbers grouped, lists joined, nothing as "—"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return kb.text(f"explain.bool.{str(value).lower()}", lang)
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list):
        return ", ".join(recorded_value(v, kb, lang) for v in value) or "—"
    return str(value)


def topic_value_label(topic_id: str, value: Any, kb: Knowledge, lang: str) -> str:
    return value_label(topic_id, "value", value, kb, lang)


def _catalogue(fact: str, field: str) -> str:
    """The catalogue a case field draws its items from (``catalogue_field``), or ""."""
    model = SECTIONS.get(fact)
    info = model.model_fields.get(field) if model else None
    extra = info.json_schema_extra if info else None
    return str(extra.get("catalogue", "")) if isinstance(extra, dict) else ""
