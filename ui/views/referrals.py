"""Referrals (credit managers and administrators; auditors read it): the referral queue
(issue 22).

Credit requests referred to a credit manager and decisions waiting for a second approver, the
longest-waiting first, as a table; the opened request's credit memo beside the final-decision
form, or, when a decision on it waits for a second approver, who proposed what, why it needs
one, and Confirm / Reject with a reason. Every step is recorded in the audit trail by the
engine, which also refuses the proposer and a lower authority (shown under the buttons).

``ui.referrals`` makes the requests, ``ui.referrals_show`` draws; nothing is decided here. An
auditor sees the same page without the form and the buttons.
"""

from __future__ import annotations

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.referrals.queue import referral_queue
from ui import auth, referrals_show
from ui.i18n import kb, lang, t
from ui.inert import plain
from ui.referrals import PAGE, rt


def render() -> None:
    user = auth.require(PAGE)
    st.title(t("page.referrals.title"))
    st.caption(t("page.referrals.intro"))
    try:
        entries = referral_queue(shared_store())
        if not entries:
            st.info(kb().text("referrals.queue.empty", lang()), icon=":material/check_circle:")
            referrals_show.done_note()
            return
        referrals_show.table(entries)
        chosen = referrals_show.choose(entries)
        if chosen is not None:
            referrals_show.entry_view(chosen, user)
    except AuditError as exc:
        st.error(rt("unavailable", problem=plain(exc)))


if __name__ == "__main__":
    render()
