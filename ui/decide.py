"""The final-decision form, shared by the Credit decision and Referrals pages (issue 22).

Who may decide are the roles of the credit authority (``knowledge_base/authority.yaml``: a
credit manager and an administrator). The form gathers the decision (the ``credit_decision``
topic's values, shown by their labels), the limit, the term and the reason; the audit store
checks and records it (``AuditStore.record_decision``). A refusal is shown under the field it
names; a decision beyond the decider's authority comes back as a proposal, told in the engine's
words (``engine.referrals.text.pending_text``), otherwise as a recorded (or overriding) final
decision.

Keys are built from a prefix the page makes from ids (``credit_decide``,
``referrals_decide_12``): ``<prefix>_decision``, ``_limit``, ``_term``, ``_reason``; the form's
key is the prefix itself, ``<prefix>_errors`` holds the refusals by field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from engine.audit.authority import PENDING
from engine.audit.decisions import DecisionRequest, Terms
from engine.audit.errors import AuditError, AuditRequestError
from engine.audit.recording import shared_store
from engine.labels import topic_value_label
from engine.referrals.text import pending_text
from engine.users import User
from knowledge_base.authority import load_authority
from ui import auth
from ui.i18n import kb, labeller, lang, t
from ui.inert import plain
from ui.numbers import read_typed, show_number

FIELDS = {"decision": "decision", "limit": "limit", "term days": "term", "reason": "reason"}
"""The engine's field names in a refused decision ("field: problem") → the form's fields."""


@dataclass(frozen=True)
class Decided:
    """What recording a decision stored: a final decision, or a proposal (``payload`` says
    why it needs a second approver)."""

    record_id: int
    override: bool
    differences: tuple[str, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.payload.get("status") == PENDING


def may_decide(user: User | None) -> bool:
    """Whether the user's role takes final credit decisions (the authority's roles)."""
    return user is not None and user.role in load_authority().roles()


def _whole(value: float | int | None) -> int | None:
    return None if value is None else int(value)


def seed(prefix: str, audit_id: int, terms: Terms | None) -> None:
    """Start the form at the recommendation, once per consultation."""
    state = st.session_state
    if state.get(f"{prefix}_for") == audit_id:
        return
    state[f"{prefix}_for"] = audit_id
    state[f"{prefix}_decision"] = None if terms is None else terms.decision
    state[f"{prefix}_limit"] = "" if terms is None else show_number(_whole(terms.limit))
    state[f"{prefix}_term"] = "" if terms is None else show_number(_whole(terms.term_days))
    state[f"{prefix}_reason"] = ""
    state.pop(f"{prefix}_errors", None)


def _request(prefix: str) -> DecisionRequest | dict[str, str]:
    """The decision typed in the form, or the problems of its number fields (typed as people
    type amounts: ``1,200,000``)."""
    state = st.session_state
    limit, limit_problem = read_typed(state.get(f"{prefix}_limit"), t("decide.limit"), True)
    term, term_problem = read_typed(state.get(f"{prefix}_term"), t("decide.term"), True)
    if limit_problem or term_problem:
        return {k: v for k, v in (("limit", limit_problem), ("term", term_problem)) if v}
    return DecisionRequest(
        decision=str(state.get(f"{prefix}_decision")),
        limit=limit,
        term_days=None if term is None else int(term),
        reason=str(state.get(f"{prefix}_reason") or "").strip() or None,
    )


def _refusal(exc: AuditRequestError) -> dict[str, str]:
    """The refusal under its field: a missing reason in the page's words, naming what the
    decision changes; any other problem as the engine says it."""
    name, _, problem = str(exc).partition(": ")
    where = FIELDS.get(name, "form")
    if where == "reason":
        differences = problem.partition("(")[2].rstrip(")")
        return {where: t("decide.reason_required", differences=plain(differences))}
    return {where: plain(problem)}


def submit(prefix: str, audit_id: int) -> Decided | None:
    """Record the decision typed in the form on consultation ``audit_id`` (a callback's work):
    what was stored, or None with the refusals kept for the form."""
    user = auth.current_user()
    if user is None:
        return None
    state = st.session_state
    wanted = _request(prefix)
    if isinstance(wanted, dict):
        state[f"{prefix}_errors"] = wanted
        return None
    try:
        record = shared_store().record_decision(
            audit_id, wanted, actor=user.username, role=user.role, channel="ui"
        )
    except AuditRequestError as exc:
        state[f"{prefix}_errors"] = _refusal(exc)
        return None
    except AuditError as exc:
        state[f"{prefix}_errors"] = {"form": plain(exc)}
        return None
    state.pop(f"{prefix}_errors", None)
    state[f"{prefix}_reason"] = ""
    payload = dict(record.payload or {})
    differences = tuple(str(d) for d in payload.get("differences", ()))
    return Decided(record.id, bool(payload.get("override")), differences, payload)


def _problem(problems: dict[str, str], name: str) -> None:
    if name in problems:
        st.error(problems[name], icon=":material/warning:")


def _decision_select(prefix: str) -> None:
    knowledge, chosen = kb(), lang()
    values = knowledge.topics["credit_decision"].value_ids()
    label = labeller(values, lambda v: topic_value_label("credit_decision", v, knowledge, chosen))
    st.selectbox(t("decide.decision"), values, format_func=label, key=f"{prefix}_decision")


def form(prefix: str, intro: str, on_submit: Callable[[], None]) -> None:
    """The form: decision, limit and term side by side, the reason, each with its refusal
    under it; ``on_submit`` records it."""
    problems: dict[str, str] = st.session_state.get(f"{prefix}_errors") or {}
    with st.form(prefix):
        st.caption(intro)
        cells = st.columns(3)
        with cells[0]:
            _decision_select(prefix)
            _problem(problems, "decision")
        with cells[1]:
            st.text_input(t("decide.limit"), key=f"{prefix}_limit")
            _problem(problems, "limit")
        with cells[2]:
            st.text_input(t("decide.term"), key=f"{prefix}_term")
            _problem(problems, "term")
        st.text_area(t("decide.reason"), help=t("decide.reason_help"), key=f"{prefix}_reason")
        _problem(problems, "reason")
        _problem(problems, "form")
        st.form_submit_button(t("decide.submit"), on_click=on_submit, type="primary")


def outcome(decided: Decided) -> None:
    """What recording did, in the page's language: the engine's proposal sentence, or the
    final decision recorded."""
    if decided.pending:
        st.info(
            pending_text(decided.record_id, decided.payload, kb(), lang()),
            icon=":material/hourglass_top:",
        )
    elif decided.override:
        differences = "; ".join(plain(d) for d in decided.differences)
        st.success(t("decide.recorded_override", id=decided.record_id, differences=differences))
    else:
        st.success(t("decide.recorded", id=decided.record_id))


__all__ = ["Decided", "form", "may_decide", "outcome", "seed", "submit"]
