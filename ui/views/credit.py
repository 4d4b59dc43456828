"""Credit decision (manager): the customer and the credit request → the decision with limit
and terms, principal reasons, what would change it, the investigation advice, and the
manager's final decision recorded in the audit trail (a reason is required to override), then
the printable credit memo of the recorded consultation."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import BaseModel

from engine.audit.config import DECIDING_ROLE, load_settings
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditError, AuditRequestError
from engine.audit.recording import shared_store
from engine.labels import number, topic_value_label
from engine.result import Result
from knowledge_base.facts import Credit, Customer
from ui import auth, consult, examples, explain, memo
from ui.i18n import colon, kb, labeller, lang, t
from ui.inert import plain

PAGE = "credit"
SECTIONS: dict[str, type[BaseModel]] = {"customer": Customer, "credit": Credit}
DECIDE = "credit_decide"  # prefix of the final-decision form's keys
# The engine's field names in a refused decision ("field: problem") → the form's fields.
DECISION_FIELDS = {
    "decision": "decision",
    "limit": "limit",
    "term days": "term",
    "reason": "reason",
}


def _seed_decision(result: Result, audit_id: int | None) -> None:
    """Start the final-decision form at the recommendation (once per consultation)."""
    if st.session_state.get(f"{DECIDE}_for") == audit_id:
        return
    st.session_state[f"{DECIDE}_for"] = audit_id
    st.session_state[f"{DECIDE}_decision"] = result.value("credit_decision")
    limit = result.value("recommended_limit")
    st.session_state[f"{DECIDE}_limit"] = None if limit is None else int(limit)
    term = result.value("recommended_term_days")
    st.session_state[f"{DECIDE}_term"] = None if term is None else int(term)
    st.session_state[f"{DECIDE}_reason"] = ""
    st.session_state.pop(f"{DECIDE}_errors", None)
    st.session_state.pop(f"{DECIDE}_done", None)


def _record_decision(audit_id: int) -> None:
    """The final-decision form's callback: the audit store checks and records it."""
    user = auth.current_user()
    if user is None:
        return
    state = st.session_state
    limit, term = state.get(f"{DECIDE}_limit"), state.get(f"{DECIDE}_term")
    request = DecisionRequest(
        decision=str(state.get(f"{DECIDE}_decision")),
        limit=None if limit is None else limit,
        term_days=None if term is None else int(term),
        reason=str(state.get(f"{DECIDE}_reason") or "").strip() or None,
    )
    try:
        record = shared_store(load_settings()).record_decision(
            audit_id, request, actor=user.username, role=user.role, channel="ui"
        )
    except AuditRequestError as exc:
        field, _, problem = str(exc).partition(": ")
        where = DECISION_FIELDS.get(field, "form")
        differences = problem.partition("(")[2].rstrip(")")
        shown = plain(problem)
        if where == "reason":
            shown = t("decide.reason_required", differences=plain(differences))
        state[f"{DECIDE}_errors"] = {where: shown}
        return
    except AuditError as exc:
        state[f"{DECIDE}_errors"] = {"form": plain(exc)}
        return
    state.pop(f"{DECIDE}_errors", None)
    state[f"{DECIDE}_done"] = {
        "id": record.id,
        "override": bool(record.override),
        "differences": (record.payload or {}).get("differences", []),
    }
    state[f"{DECIDE}_reason"] = ""


def _field_error(problems: dict[str, str], field: str) -> None:
    if field in problems:
        st.error(problems[field], icon="⚠️")


def decision_form(result: Result, audit_id: int | None) -> None:
    st.subheader(t("decide.heading"))
    if audit_id is None:
        st.info(t("decide.not_recorded"))
        return
    user = auth.current_user()
    if user is None or user.role != DECIDING_ROLE:
        st.info(t("decide.managers_only"))
        return
    _seed_decision(result, audit_id)
    knowledge = kb()
    values = knowledge.topics["credit_decision"].value_ids()
    problems: dict[str, str] = st.session_state.get(f"{DECIDE}_errors") or {}
    with st.form(DECIDE):
        st.caption(t("decide.intro", id=audit_id))
        left, middle, right = st.columns(3)
        with left:
            st.selectbox(
                t("decide.decision"),
                values,
                format_func=labeller(
                    values, lambda v: topic_value_label("credit_decision", v, knowledge, lang())
                ),
                key=f"{DECIDE}_decision",
            )
            _field_error(problems, "decision")
        with middle:
            st.number_input(
                t("decide.limit"), value=None, step=1000, min_value=0, key=f"{DECIDE}_limit"
            )
            _field_error(problems, "limit")
        with right:
            st.number_input(t("decide.term"), value=None, step=1, min_value=0, key=f"{DECIDE}_term")
            _field_error(problems, "term")
        st.text_area(t("decide.reason"), help=t("decide.reason_help"), key=f"{DECIDE}_reason")
        _field_error(problems, "reason")
        _field_error(problems, "form")
        st.form_submit_button(
            t("decide.submit"), on_click=_record_decision, args=(audit_id,), type="primary"
        )
    done: dict[str, Any] | None = st.session_state.get(f"{DECIDE}_done")
    if done:
        if done["override"]:
            st.success(
                t(
                    "decide.recorded_override",
                    id=done["id"],
                    differences="; ".join(plain(d) for d in done["differences"]),
                )
            )
        else:
            st.success(t("decide.recorded", id=done["id"]))


def _money(value: Any) -> str:
    return "—" if value is None else number(value)


def headline(result: Result) -> None:
    decision = result.conclusion("credit_decision")
    if decision is None:
        st.warning(t("credit.no_decision"))
        return
    level = result.conclusion("risk_level")
    score = result.value("risk_score")
    st.metric(t("credit.decision"), decision.label)  # a row of its own: labels are long
    cells = st.columns(3)
    cells[0].metric(t("credit.limit"), _money(result.value("recommended_limit")))
    term = result.value("recommended_term_days")
    cells[1].metric(t("credit.term"), "—" if term is None else t("credit.days", days=number(term)))
    cells[2].metric(
        t("credit.risk"),
        level.label if level else "—",
        help=None if score is None else t("credit.risk_score", score=number(score)),
    )
    st.markdown(f"*{decision.details.get('description', '')}*")
    conditions = [c.label for c in result.conclusions if c.topic == "credit_condition"]
    if conditions:
        st.markdown(f"**{t('credit.conditions')}:** " + "; ".join(conditions))


def reasons(result: Result) -> None:
    decision = result.conclusion("credit_decision")
    if decision is None:
        return
    left, right = st.columns(2)
    with left:
        st.subheader(t("credit.reasons"))
        found = decision.details.get("reasons")
        if found:
            st.markdown("\n".join(f"{r['rank']}. {explain.item_text(r)}" for r in found))
        else:
            st.caption(t("credit.no_reasons"))
    with right:
        st.subheader(t("credit.what_would_change"))
        changes = decision.details.get("what_would_change")
        if changes:
            st.markdown("\n".join(f"- {c['text']}" for c in changes))
        elif changes is None:
            st.caption(t("credit.best_already"))
        else:
            st.caption(t("credit.no_single_change"))


def investigations(result: Result) -> None:
    found = sorted(
        (c for c in result.conclusions if c.topic == "investigation"),
        key=lambda c: c.details.get("priority", 0),
    )
    st.subheader(t("credit.investigation"))
    info = result.conclusion("information_sufficiency")
    if info is not None:
        st.caption(f"{info.topic_label}{colon()}{info.label}")
    if not found:
        st.caption(t("credit.no_investigation"))
    for item in found:
        with st.container(border=True):
            st.markdown(f"**{item.details.get('priority', '')}. {item.label}**")
            explain.details(item, skip=frozenset({"priority"}))
    for topic in ("collection_referral", "amount_to_collect"):
        explain.topic_card(result, topic)


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.credit.title"))
    st.caption(t("page.credit.intro"))
    examples.example_picker(PAGE, ("credit",), SECTIONS)
    found = consult.section_form(PAGE, SECTIONS, "credit.submit")
    if found is None:
        return
    outcome, result = found
    st.header(t("credit.result"))
    consult.recorded_note(outcome, result)
    headline(result)
    reasons(result)
    investigations(result)
    decision_form(result, outcome.audit_id)
    if outcome.audit_id is not None:  # the committee's printable memo of the recorded case
        credited = result.value("credit_decision") is not None
        memo.download_button(outcome.audit_id, f"{PAGE}_memo", credited)
    explain.explanations(result, ("credit",))
    explain.explanations(result, ("grading",), heading=t("credit.grading_heading"))


if __name__ == "__main__":
    render()
