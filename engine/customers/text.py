"""The customer directory as text, in English or Chinese: the list, one customer's last known
facts and history, an import's summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.customers.directory import Customer
from engine.customers.history import Point
from engine.customers.importing import Imported
from engine.labels import field_label, recorded_value, topic_value_label, value_label
from knowledge_base import Knowledge

_SHOWN = (
    ("grade", "value_tier", "value_tier"),
    ("service", "service_tier", "service_tier"),
    ("credit", "credit_decision", "credit_decision"),
    ("stage", "collection_stage", "escalation_level"),
)
"""A history line's placeholders: (placeholder, the point's field, the topic that labels it)."""


def _at(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def render_list(found: Sequence[Customer], kb: Knowledge, lang: str) -> str:
    if not found:
        return kb.text("customers.list.empty", lang)
    lines = [kb.text("customers.list.title", lang, count=len(found))]
    for c in found:
        name = c.name or "—"
        lines.append(
            kb.text(
                "customers.list.row",
                lang,
                id=c.id,
                name=name,
                last=_at(c.last_seen),
                consultations=c.consultations,
            )
        )
    return "\n".join(lines)


def _section_line(section: str, entry: dict[str, Any], kb: Knowledge, lang: str) -> str:
    separator = "；" if lang == "zh" else "; "
    colon = "：" if lang == "zh" else ": "
    values = separator.join(
        field_label(section, name, kb, lang) + colon + value_label(section, name, value, kb, lang)
        for name, value in entry["values"].items()
    )
    return kb.text(
        "customers.show.section",
        lang,
        section=kb.text(f"ui.section.{section}", lang),
        source=kb.text(f"customers.source.{entry['source']}", lang),
        at=_at(str(entry["at"])),
        values=values,
    )


def _point_line(point: Point, kb: Knowledge, lang: str) -> str:
    shown = {
        key: "—"
        if point.values.get(name) is None
        else topic_value_label(topic, point.values[name], kb, lang)
        for key, name, topic in _SHOWN
    }
    final = ""
    if point.final_decision is not None:
        label = topic_value_label("credit_decision", point.final_decision, kb, lang)
        final = kb.text("customers.show.final", lang, final=label)
    outcomes = ""
    if point.outcomes:
        outcomes = kb.text("customers.show.outcomes", lang, outcomes=", ".join(point.outcomes))
    limit = recorded_value(point.values.get("recommended_limit"), kb, lang)
    return kb.text(
        "customers.show.point",
        lang,
        at=_at(point.at),
        record=point.record,
        limit=limit,
        final=final,
        outcomes=outcomes,
        **shown,
    )


def render_customer(customer: Customer, history: Sequence[Point], kb: Knowledge, lang: str) -> str:
    lines = [
        kb.text("customers.show.title", lang, id=customer.id, name=customer.name or "—"),
        kb.text(
            "customers.show.seen",
            lang,
            first=_at(customer.first_seen),
            last=_at(customer.last_seen),
            consultations=customer.consultations,
        ),
        kb.text("customers.show.facts", lang),
    ]
    lines += [_section_line(s, e, kb, lang) for s, e in customer.facts.items()]
    lines.append(kb.text("customers.show.history", lang))
    lines += [_point_line(p, kb, lang) for p in history] or [kb.text("customers.show.none", lang)]
    return "\n".join(lines)


def render_import(summary: Imported, kb: Knowledge, lang: str, shown: int = 20) -> str:
    failed_rows = len({row for row, _ in summary.failed})
    lines = [
        kb.text(
            "customers.import.done",
            lang,
            rows=summary.rows,
            count=summary.customers,
            failed=failed_rows,
        )
    ]
    for row, (name, _, message) in summary.failed[:shown]:
        lines.append(
            kb.text("customers.import.problem", lang, row=row, field=name, message=message)
        )
    return "\n".join(lines)


__all__ = ["render_customer", "render_import", "render_list"]
