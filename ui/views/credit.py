"""Credit decision (manager): the customer and the credit request → the decision with limit
and terms, principal reasons, what would change it, the investigation advice, and the final
decision of a credit manager or an administrator recorded in the audit trail (a reason is
required to override; one beyond the decider's authority is recorded as a proposal that waits
on the Referrals page), then the printable credit memo of the recorded consultation."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import BaseModel

from engine.audit.decisions import Terms
from engine.labels import number
from engine.result import Result
from knowledge_base.facts import Credit, Customer
from ui import auth, consult, customer_picker, decide, examples, explain, memo
from ui.i18n import colon, t

PAGE = "credit"
SECTIONS: dict[str, type[BaseModel]] = {"customer": Customer, "credit": Credit}
DECIDE = "credit_decide"  # prefix of the final-decision form's keys (``ui.decide``)


def _record_decision(audit_id: int) -> None:
    """The final-decision form's callback: the audit store checks and records it."""
    decided = decide.submit(DECIDE, audit_id)
    if decided is not None:
        st.session_state[f"{DECIDE}_done"] = decided


def decision_form(result: Result, audit_id: int | None) -> None:
    st.subheader(t("decide.heading"))
    if audit_id is None:
        st.info(t("decide.not_recorded"))
        return
    if not decide.may_decide(auth.current_user()):
        st.info(t("referrals.deciders_only"))
        return
    if st.session_state.get(f"{DECIDE}_for") != audit_id:
        st.session_state.pop(f"{DECIDE}_done", None)
    limit, term = result.value("recommended_limit"), result.value("recommended_term_days")
    decide.seed(DECIDE, audit_id, Terms(result.value("credit_decision"), limit, term))
    decide.form(DECIDE, t("decide.intro", id=audit_id), lambda: _record_decision(audit_id))
    done: decide.Decided | None = st.session_state.get(f"{DECIDE}_done")
    if done is not None:
        decide.outcome(done)


def _money(value: Any) -> str:
    return "—" if value is None else number(value)


def headline(result: Result) -> None:
    decision = result.conclusion("credit_decision")
    if decision is None:
        st.warning(t("credit.no_decision"))
        return
    level = result.conclusion("risk_level")
    score = result.value("risk_score")
    explain.figure(t("credit.decision"), decision.label)  # labels are long: drawn whole
    cells = st.columns(3)
    cells[0].metric(t("credit.limit"), _money(result.value("recommended_limit")))
    term = result.value("recommended_term_days")
    cells[1].metric(t("credit.term"), "—" if term is None else t("credit.days", days=number(term)))
    cells[2].metric(  # a risk level is a word or two: it fits
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
    customer_picker.customer_picker(PAGE, SECTIONS)
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
