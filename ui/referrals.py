"""What the Referrals page asks the engine for (issue 22): the referral queue
(``engine.referrals.queue``), final decisions on a referred consultation (``ui.decide`` →
``AuditStore.record_decision``) and second approvals of a proposal
(``engine.referrals.approvals``); and the page's texts, widget keys and notes.

Every request is a button's callback, so it runs before the page is drawn again and the page
shows the queue as the request left it. Every check is the engine's, the second approver's
authority and four eyes included: the page shows the buttons to everyone who takes credit
decisions and shows the engine's refusal under them. Nothing is decided here.

Widget keys are built from ids (a consultation's, a proposal's audit record id), never from
labels. A note is kept per place of the page: a refusal (in the language of the request), or
what the last request stored, told in the page's language each time it is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from engine.audit.errors import AuditError, AuditRequestError
from engine.audit.recording import shared_store
from engine.audit.records import AuditRecord
from engine.referrals.approvals import CONFIRM, REJECT, Who, second_approval
from ui import auth, decide
from ui.i18n import lang, t

PAGE = "referrals"
OPEN = f"{PAGE}_open"
"""The opened request (its consultation's audit record id)."""
NOTES = f"{PAGE}_notes"
DONE = "done"
"""The place of the last request's outcome (drawn above the opened request)."""
STEPS = (CONFIRM, REJECT)


def rt(key: str, **values: object) -> str:
    """The page text ``ui.referrals.<key>`` in the current language."""
    return t(f"referrals.{key}", **values)


def key(*parts: object) -> str:
    """A widget key or a note's place from ids: ``referrals_second_reason_14``."""
    return "_".join([PAGE, *(str(p) for p in parts)])


def decide_prefix(consultation: int) -> str:
    """The keys' prefix of the final-decision form on ``consultation`` (``ui.decide``)."""
    return key("decide", consultation)


def reason_key(proposal: int) -> str:
    return key("second_reason", proposal)


@dataclass(frozen=True)
class Note:
    """A refusal (``text``), or what a request stored: a decision (``decided``), or the
    confirmation or rejection (``second``) of proposal ``of``."""

    text: str | None = None
    decided: decide.Decided | None = None
    second: AuditRecord | None = None
    of: int | None = None


def notes() -> dict[str, Note]:
    found: dict[str, Note] = st.session_state.setdefault(NOTES, {})
    return found


def record_decision(consultation: int) -> None:
    """The decision form's callback: the audit store checks and records it (refusals stay
    under the form's fields)."""
    found = notes()
    found.clear()
    decided = decide.submit(decide_prefix(consultation), consultation)
    if decided is not None:
        found[DONE] = Note(decided=decided)


def second(proposal: int, step: str) -> None:
    """Confirm or reject ``proposal`` with the reason typed; the engine's refusal is noted
    under the buttons."""
    user = auth.current_user()
    if user is None:
        return
    found = notes()
    found.clear()
    reason = str(st.session_state.get(reason_key(proposal)) or "")
    who = Who(user.username, user.role)
    try:
        record = second_approval(
            shared_store(), proposal, step, who, reason, channel="ui", lang=lang()
        )
    except AuditRequestError as exc:
        found[key("second", proposal)] = Note(text=str(exc))
        return
    except AuditError as exc:
        found[key("second", proposal)] = Note(text=rt("unavailable", problem=str(exc)))
        return
    st.session_state[reason_key(proposal)] = ""
    found[DONE] = Note(second=record, of=proposal)


__all__ = [
    "DONE",
    "OPEN",
    "PAGE",
    "STEPS",
    "Note",
    "decide_prefix",
    "key",
    "notes",
    "reason_key",
    "record_decision",
    "rt",
    "second",
]
