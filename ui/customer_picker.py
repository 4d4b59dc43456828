"""The customer picker of the consultation pages (issue 22): find a customer the directory knows
and fill the page's form with its last known facts, next to the example picker and like it.

A search box narrows the customers (by id or name, the most recently seen first), a select box
keyed by customer id (never by its label) chooses one, and a button fills every section the page
has from the customer's last known facts (``Customer.case()``); a section the customer has no
facts for is emptied, so the form never mixes two customers. The picker is not drawn while the
directory is empty or cannot be read: the form works without it.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from pydantic import BaseModel

from engine.audit.errors import AuditError
from ui import forms
from ui.consult import errors_key, outcome_key
from ui.customers import find_customer, option_label, search_customers
from ui.i18n import labeller, t
from ui.inert import plain

SHOWN = 50
"""At most this many customers offered (the most recently seen): the search finds others."""


def chosen_key(page: str) -> str:
    return f"{page}_customer"


def _fill(page: str, sections: Mapping[str, type[BaseModel]]) -> None:
    """The button's callback: the chosen customer's last known facts into the page's form."""
    chosen = st.session_state.get(chosen_key(page))
    if not chosen:
        return
    try:
        customer = find_customer(str(chosen))
    except AuditError as exc:
        st.session_state[errors_key(page)] = {forms.FORM_ERROR: plain(exc)}
        return
    if customer is None:
        return
    case = customer.case()
    for name, model in sections.items():
        forms.load_section(page, name, model, case.get(name) or {})
    st.session_state.pop(outcome_key(page), None)
    st.session_state.pop(errors_key(page), None)


def customer_picker(page: str, sections: Mapping[str, type[BaseModel]]) -> None:
    """A search box, a select of the known customers and a button that fills the form."""
    try:
        if not search_customers("", 1):
            return
        left, middle, right = st.columns([2, 3, 1], vertical_alignment="bottom")
        text = left.text_input(
            t("customers.picker.search"),
            key=f"{page}_customer_search",
            help=t("customers.picker.search_help"),
        )
        found = {c.id: c for c in search_customers(text, SHOWN)}
    except AuditError:
        return
    middle.selectbox(
        t("customers.picker.label"),
        list(found),
        index=None,
        placeholder=t("customers.picker.placeholder" if found else "customers.picker.none_found"),
        format_func=labeller(found, lambda i: option_label(found[i])),
        key=chosen_key(page),
        help=t("customers.picker.help"),
    )
    right.button(
        t("customers.picker.load"),
        on_click=_fill,
        args=(page, sections),
        key=f"{page}_customer_load",
        width="stretch",
    )
