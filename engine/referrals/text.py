"""The referral queue and second-approval outcomes as text, in English or Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.backtest.module_text import money
from engine.labels import number, topic_value_label
from engine.referrals.queue import Waiting
from knowledge_base import Knowledge
from knowledge_base.authority import load_authority


def needs_text(needs: Sequence[str], kb: Knowledge, lang: str) -> str:
    multiple = number(load_authority().second_approval.limit_multiple)
    separator = "；" if lang == "zh" else "; "
    return separator.join(kb.text(f"referrals.needs.{n}", lang, multiple=multiple) for n in needs)


def _decision(value: Any, kb: Knowledge, lang: str) -> str:
    return "—" if value is None else topic_value_label("credit_decision", value, kb, lang)


def _amount(value: Any, lang: str) -> str:
    return "—" if value is None else money(float(value), lang)


def _lines(entry: Waiting, kb: Knowledge, lang: str) -> list[str]:
    term = entry.requested_term_days
    row = kb.text(
        "referrals.queue.row",
        lang,
        consultation=entry.consultation,
        customer=entry.customer_name
        or entry.customer_id
        or kb.text("referrals.queue.no_customer", lang),
        amount=_amount(entry.requested_amount, lang),
        term="" if term is None else kb.text("referrals.queue.term", lang, term=term),
        recommended=_decision(entry.recommended, kb, lang),
        hours=number(round(entry.hours, 1)),
    )
    if entry.proposal is None:
        return [row]
    payload = entry.proposal.payload or {}
    second = payload["second"]
    proposal = kb.text(
        "referrals.queue.proposal",
        lang,
        id=entry.proposal.id,
        by=entry.proposal.actor,
        decision=_decision(payload.get("decision"), kb, lang),
        limit=_amount(payload.get("limit"), lang),
        role=kb.text(f"memo.role.{second['role']}", lang),
        needs=needs_text(second["needs"], kb, lang),
    )
    return [row, proposal]


def render_queue(entries: Sequence[Waiting], kb: Knowledge, lang: str) -> str:
    if not entries:
        return kb.text("referrals.queue.empty", lang)
    lines = [kb.text("referrals.queue.title", lang, count=len(entries))]
    for entry in entries:
        lines += _lines(entry, kb, lang)
    return "\n".join(lines)


def pending_text(record_id: int, payload: dict[str, Any], kb: Knowledge, lang: str) -> str:
    """What recording a decision that needs a second approver did."""
    second = payload["second"]
    return kb.text(
        "referrals.done.pending",
        lang,
        id=record_id,
        role=kb.text(f"memo.role.{second['role']}", lang),
        needs=needs_text(second["needs"], kb, lang),
    )


__all__ = ["needs_text", "pending_text", "render_queue"]
