"""The Referrals page's drawing: the queue as a table, the opened request with its credit memo,
the final-decision form, and a proposal with the second approver's buttons.

What is shown is the engine's: the queue (``referral_queue``), the memo
(``credit_memo_html``), why a proposal needs a second approver (``needs_text``), a proposal
recorded (``pending_text``), a confirmation or rejection and every refusal in its words. What
people typed or the store holds (customer names and ids, actors, reasons) is shown as text
(``ui.inert``) wherever Streamlit would draw Markdown.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from engine.audit.decisions import recommendation
from engine.audit.errors import AuditRequestError
from engine.audit.memo import credit_memo_html
from engine.audit.recording import shared_store
from engine.backtest.module_text import money
from engine.labels import number, topic_value_label
from engine.policy.checks import REASON_CHARS
from engine.referrals.queue import Waiting
from engine.referrals.text import needs_text
from engine.users import User
from ui import decide, memo
from ui.i18n import kb, labeller, lang, t
from ui.inert import plain
from ui.referrals import (
    DONE,
    OPEN,
    STEPS,
    decide_prefix,
    key,
    notes,
    reason_key,
    record_decision,
    rt,
    second,
)

MEMO_HEIGHT = 720
"""Pixels of the memo's frame (it scrolls inside)."""
NONE = "—"


# -- values as read -----------------------------------------------------------------------------


def amount(value: float | None) -> str:
    """An amount with thousands grouped and its unit: ``800,000 yuan``, ``800,000 元``."""
    return NONE if value is None else money(float(value), lang())


def days(value: Any) -> str:
    return NONE if value is None else rt("days", days=number(int(value)))


def decision_label(value: Any) -> str:
    return NONE if value is None else topic_value_label("credit_decision", value, kb(), lang())


def role_label(role: str) -> str:
    """A role as the engine's sentences name it (``administrator``, ``管理员``)."""
    return kb().text(f"memo.role.{role}", lang())


def customer(entry: Waiting) -> str:
    """The customer's name and id as recorded (raw text: escape it for Markdown)."""
    name, found = entry.customer_name, entry.customer_id
    if name and found:
        return rt("customer", name=name, id=found)
    return name or found or kb().text("referrals.queue.no_customer", lang())


def hours(entry: Waiting) -> str:
    return number(round(entry.hours, 1))


def at(stamp: str) -> str:
    """A stored UTC time as people read it: ``2025-06-30 14:02 UTC``."""
    return f"{stamp[:16].replace('T', ' ')} UTC"


def status(entry: Waiting) -> str:
    """Waiting for a decision, or the proposal with who must confirm it and why."""
    if entry.proposal is None:
        return rt("status.waiting")
    payload = entry.proposal.payload or {}
    second_needs = payload["second"]
    return rt(
        "status.proposal",
        by=entry.proposal.actor,
        decision=decision_label(payload.get("decision")),
        limit=amount(payload.get("limit")),
        role=role_label(second_needs["role"]),
        needs=needs_text(second_needs["needs"], kb(), lang()),
    )


# -- the queue ----------------------------------------------------------------------------------


def table(entries: Sequence[Waiting]) -> None:
    """Every request waiting, the longest-waiting first (the engine's order)."""
    st.caption(rt("count", count=len(entries)))
    rows = [
        {
            rt("col.consultation"): f"#{e.consultation}",
            rt("col.customer"): customer(e),
            rt("col.amount"): amount(e.requested_amount),
            rt("col.term"): days(e.requested_term_days),
            rt("col.recommended"): decision_label(e.recommended),
            rt("col.hours"): round(e.hours, 1),
            rt("col.status"): status(e),
        }
        for e in entries
    ]
    wide = {rt("col.status"): st.column_config.TextColumn(width="large")}
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config=wide)


def choose(entries: Sequence[Waiting]) -> Waiting | None:
    """The request to open, by its consultation id (the oldest unless one was chosen)."""
    ids = [e.consultation for e in entries]
    if not ids:
        return None
    if st.session_state.get(OPEN) not in ids:
        st.session_state[OPEN] = ids[0]
    by_id = {e.consultation: e for e in entries}

    def label(found: int) -> str:
        entry = by_id[found]
        values = {"id": found, "customer": customer(entry), "hours": hours(entry)}
        return rt("option", amount=amount(entry.requested_amount), **values)

    chosen = st.selectbox(rt("open"), ids, format_func=labeller(ids, label), key=OPEN)
    return by_id.get(int(chosen)) if chosen is not None else None


def done_note() -> None:
    """What the last request stored, in the page's language."""
    note = notes().get(DONE)
    if note is None:
        return
    if note.decided is not None:
        decide.outcome(note.decided)
    elif note.second is not None and note.of is not None:
        step = "confirmed" if "confirms" in (note.second.payload or {}) else "rejected"
        values = {"id": note.of, "actor": plain(note.second.actor), "record": note.second.id}
        st.success(kb().text(f"referrals.done.{step}", lang(), **values))


# -- the opened request ---------------------------------------------------------------------------


def head(entry: Waiting) -> None:
    term = entry.requested_term_days
    values = {"id": entry.consultation, "customer": plain(customer(entry))}
    values |= {"amount": amount(entry.requested_amount), "hours": hours(entry)}
    values["term"] = "" if term is None else rt("head_term", term=days(term))
    st.markdown(rt("head", recommended=decision_label(entry.recommended), **values))


def memo_view(consultation: int) -> None:
    """The credit memo in a frame of its own, and its download. The memo is self-contained
    HTML; it is framed as a ``data:`` URL, so it runs with an origin of its own, not the
    app's."""
    st.markdown(f"**{rt('memo')}**")
    try:
        html = credit_memo_html(shared_store(), consultation, lang())
    except AuditRequestError as exc:
        st.error(plain(exc), icon=":material/warning:")
        return
    encoded = base64.b64encode(html.encode("utf-8")).decode("ascii")
    src = f"data:text/html;charset=utf-8;base64,{encoded}"
    st.iframe(src, height=MEMO_HEIGHT, alt=rt("memo"))
    memo.download_button(consultation, key("memo", consultation))


def decision_form(entry: Waiting) -> None:
    """The final decision on the request, starting at the recommendation."""
    prefix = decide_prefix(entry.consultation)
    found = shared_store().get(entry.consultation)
    decide.seed(prefix, entry.consultation, recommendation((found.payload or {})["result"]))
    intro = rt("decide_intro", id=entry.consultation)
    decide.form(prefix, intro, lambda: record_decision(entry.consultation))


def problem_at(where: str) -> None:
    note = notes().get(where)
    if note is not None and note.text is not None:
        st.error(plain(note.text), icon=":material/warning:")


def second_buttons(proposal: int) -> None:
    """Confirm or reject, with the reason; the engine's refusal under the buttons."""
    help_text = rt("proposal.reason_help", limit=REASON_CHARS)
    label = rt("proposal.reason")
    st.text_input(label, key=reason_key(proposal), max_chars=REASON_CHARS, help=help_text)
    cells = st.columns(len(STEPS))
    for cell, step in zip(cells, STEPS, strict=True):
        cell.button(
            rt(f"proposal.{step}"),
            key=key("step", proposal, step),
            on_click=second,
            args=(proposal, step),
            type="primary" if step == STEPS[0] else "secondary",
            width="stretch",
        )
    problem_at(key("second", proposal))


def proposal_view(entry: Waiting, user: User) -> None:
    """The decision waiting for a second approver: who proposed what, why it needs one, and
    (for those who take credit decisions) the buttons."""
    proposal = entry.proposal
    assert proposal is not None
    payload = proposal.payload or {}
    st.markdown(f"**{rt('proposal.heading')}**")
    values: dict[str, object] = {"id": proposal.id, "by": plain(proposal.actor)}
    values |= {"role": role_label(proposal.role or ""), "at": at(proposal.created_at)}
    values |= {"decision": decision_label(payload.get("decision"))}
    values |= {"limit": amount(payload.get("limit")), "term": days(payload.get("term_days"))}
    st.markdown(rt("proposal.line", **values))
    st.caption(rt("proposal.why", reason=plain(payload.get("reason") or rt("no_reason"))))
    needs = payload["second"]
    text = needs_text(needs["needs"], kb(), lang())
    st.markdown(rt("proposal.needs", role=role_label(needs["role"]), needs=text))
    if decide.may_decide(user):
        second_buttons(proposal.id)


def entry_view(entry: Waiting, user: User) -> None:
    """The opened request: its memo (an A4 page: the whole width), then what the last request
    did, then the decision (or the proposal waiting)."""
    head(entry)
    memo_view(entry.consultation)
    done_note()
    if entry.proposal is not None:
        proposal_view(entry, user)
    elif decide.may_decide(user):
        st.markdown(f"**{t('decide.heading')}**")
        decision_form(entry)
    if not decide.may_decide(user):
        st.caption(rt("read_only"))


__all__ = ["choose", "done_note", "entry_view", "table"]
