"""Outcomes told in English or Chinese (``knowledge_base/texts/<lang>/outcomes.yaml``): one line
per outcome record with its details, which earlier outcome it corrects and which later one
corrects it. Shared by ``audit show`` and the audit page (which escapes what it shows).

What a payload holds is read defensively (``.get``): a record may have been written by an
insider, and showing it must not fail — ``audit verify`` is what judges it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.audit.records import AuditRecord
from engine.labels import recorded_value
from engine.outcomes.model import DETAILS
from knowledge_base import Knowledge

SHOWN = (*DETAILS, "note")
"""The fields shown after an outcome's head line, in this order."""


def facts_of(record: AuditRecord) -> dict[str, Any]:
    found = (record.payload or {}).get("outcome")
    return found if isinstance(found, dict) else {}


shown_value = recorded_value


def details(facts: dict[str, Any], kb: Knowledge, lang: str) -> list[tuple[str, str]]:
    """(label, value) of every detail the outcome has."""
    return [
        (kb.text(f"outcomes.field.{name}", lang), shown_value(facts[name], kb, lang))
        for name in SHOWN
        if facts.get(name) is not None
    ]


def corrected_by(outcomes: Iterable[AuditRecord]) -> dict[int, int]:
    """Earlier outcome id → the id of the last outcome that corrects it."""
    found: dict[int, int] = {}
    for record in outcomes:
        earlier = facts_of(record).get("corrects")
        if isinstance(earlier, int):
            found[earlier] = record.id
    return found


def head(record: AuditRecord, kb: Knowledge, lang: str) -> str:
    """``#12 2025-04-02 10:00:00 by mona: credit, paid late, observed on 2025-03-31``."""
    facts = facts_of(record)
    return kb.text(
        "outcomes.show.line",
        lang,
        id=record.id,
        time=record.created_at[:19].replace("T", " "),
        actor=f"{record.actor} ({record.role})",
        module=_label("module", facts.get("module"), kb, lang),
        outcome=_label("kind", facts.get("outcome"), kb, lang),
        observed=facts.get("observed_at") or "—",
    )


def _label(group: str, value: object, kb: Knowledge, lang: str) -> str:
    """The label of a module or an outcome kind; an unknown value (an edited record) as it is,
    a missing one as "—" (never "None")."""
    if value is None:
        return "—"
    key = f"outcomes.{group}.{value}"
    return kb.text(key, lang) if key in kb.texts[lang] else str(value)


def links(record: AuditRecord, later: int | None, kb: Knowledge, lang: str) -> list[str]:
    """ "corrects #9" and "corrected by #15", as they apply."""
    found = []
    earlier = facts_of(record).get("corrects")
    if earlier is not None:
        found.append(kb.text("outcomes.show.corrects", lang, id=earlier))
    if later is not None:
        found.append(kb.text("outcomes.show.corrected_by", lang, id=later))
    return found


def outcome_lines(record: AuditRecord, later: int | None, kb: Knowledge, lang: str) -> list[str]:
    """The head line, then one indented line of details and links (if any)."""
    colon, separator = ("：", "；") if lang == "zh" else (": ", "; ")
    extra = [f"{label}{colon}{value}" for label, value in details(facts_of(record), kb, lang)]
    extra += links(record, later, kb, lang)
    return [head(record, kb, lang)] + ([f"  {separator.join(extra)}"] if extra else [])


def render_outcomes(outcomes: list[AuditRecord], kb: Knowledge, lang: str) -> list[str]:
    """The outcomes section of a consultation (``audit show``)."""
    lines = [kb.text("outcomes.show.heading", lang) + (":" if lang != "zh" else "：")]
    if not outcomes:
        return [*lines, "  " + kb.text("outcomes.show.none", lang)]
    later = corrected_by(outcomes)
    for record in outcomes:
        lines += ["  " + line for line in outcome_lines(record, later.get(record.id), kb, lang)]
    return lines


__all__ = [
    "corrected_by",
    "details",
    "facts_of",
    "head",
    "links",
    "outcome_lines",
    "render_outcomes",
    "shown_value",
]
