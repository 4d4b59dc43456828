"""Policy (administrator; managers and auditors read it): change thresholds safely (issue 21).

The live policy at the top (and rolling it back); the drafts, with the chosen one's parameters
by module, its rules, its changes and steps, a simulation against the live policy on an
uploaded book, and the buttons of the steps the signed-in user may take now (submit, approve
or reject by someone else, publish); then every publication and rollback with what it changed.

The page gathers requests and draws what the engine returns (``ui.policy`` makes the requests,
``ui.policy_show``, ``ui.policy_params`` and ``ui.policy_simulate`` draw); every check, four
eyes included, is the engine's. A manager or an auditor sees the same page without the fields
and buttons that change anything.
"""

from __future__ import annotations

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.audit.store import AuditStore
from engine.policy.drafts import list_drafts
from engine.policy.history import shifts
from engine.policy.lifecycle import history
from engine.policy.live import LivePolicy, live_policy
from engine.policy.model import Draft
from engine.users import User
from ui import auth, policy_params, policy_show, policy_simulate
from ui.i18n import t
from ui.inert import plain
from ui.policy import PAGE, may_draft, pt


def draft_view(audit: AuditStore, draft: Draft, live: LivePolicy, user: User) -> None:
    """The chosen draft: what it is, its parameters, rules, changes and steps, a simulation
    (for those who draft), and the steps the user may take."""
    policy_show.head(draft)
    editable = may_draft(user)
    names = ["parameters", "rules", "changes"] + (["simulate"] if editable else [])
    tabs = dict(zip(names, st.tabs([pt(f"tab.{n}") for n in names]), strict=True))
    with tabs["parameters"]:
        policy_params.parameters(draft, live, editable)
    with tabs["rules"]:
        policy_params.rules(draft, editable)
    with tabs["changes"]:
        policy_show.changes(draft)
        st.markdown(f"**{pt('steps.done_title')}**")
        policy_show.events(audit, draft)
    if "simulate" in tabs:
        with tabs["simulate"]:
            policy_simulate.section(draft, live)
    st.markdown(f"#### {pt('steps.title')}")
    policy_show.steps(draft, user)


def drafts(audit: AuditStore, live: LivePolicy, user: User) -> None:
    st.subheader(pt("drafts.title"))
    if may_draft(user):
        policy_show.create_form()
    else:
        st.caption(pt("read_only"))
    found = list_drafts(audit)
    if not found:
        st.caption(pt("no_drafts"))
        return
    policy_show.drafts_table(found)
    chosen = policy_show.choose(found)
    if chosen is not None:
        draft_view(audit, chosen, live, user)


def render() -> None:
    user = auth.require(PAGE)
    st.title(t("page.policy.title"))
    st.caption(t("page.policy.intro"))
    try:
        audit = shared_store()
        live = live_policy(audit)
        st.subheader(pt("live.title"))
        policy_show.live_line(live)
        policy_show.rollback_form(live, user)
        drafts(audit, live, user)
        st.subheader(pt("history.title"))
        policy_show.history_list(shifts(history(audit)), live)
    except AuditError as exc:
        st.error(pt("unavailable", problem=plain(exc)))


if __name__ == "__main__":
    render()
