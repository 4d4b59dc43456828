"""The credit memo's download button, shared by the credit decision and audit trail pages.

The memo is the engine's (``engine.audit.memo.credit_memo_html``); this only offers it. It is
made when the button is clicked (Streamlit's deferred download), not on every rerun: making it
re-runs the case under its rule base, and a memo made at the click also shows a final decision
recorded after the page was drawn.
"""

from __future__ import annotations

import streamlit as st

from engine.audit.memo import credit_memo_html
from engine.audit.recording import shared_store
from ui.i18n import kb, lang


def download_button(record_id: int, key: str, credit: bool = True) -> None:
    """The "Credit memo" button of consultation ``record_id`` in the current language, if it
    is a ``credit`` consultation (the caller knows: it concluded a credit decision)."""
    if not credit:
        return
    chosen = lang()  # bound now: the click is served outside the script run

    def memo() -> str:
        return credit_memo_html(shared_store(), record_id, chosen)

    st.download_button(
        kb().text("memo.download", chosen),
        memo,
        file_name=f"credit-memo-{record_id}-{chosen}.html",
        mime="text/html",
        key=key,
        help=kb().text("memo.download_help", chosen),
        on_click="ignore",
    )


__all__ = ["download_button"]
