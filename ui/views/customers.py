"""Customers (reps, managers, administrators; auditors read it): the customer directory
(issue 22).

Search the customers consultations, batch runs and imports have named; open one to read its
last known facts per section (from where and when) and its history over time — grades, credit
recommendations and final decisions, collection stages, outcomes — as a table and charts in the
fixed decision colours. Managers and administrators import a customer list (CSV) and see the
refused rows with their problems.

``ui.customers`` makes the requests and tables, ``ui.customers_show`` draws; nothing is decided
here.
"""

from __future__ import annotations

import streamlit as st

from engine.audit.errors import AuditError
from ui import auth, customers_show
from ui.customers import PAGE, ct, search_customers
from ui.i18n import t
from ui.inert import plain


def render() -> None:
    user = auth.require(PAGE)
    st.title(t("page.customers.title"))
    st.caption(t("page.customers.intro"))
    try:
        text = customers_show.search_box()
        found = search_customers(text)
        customers_show.listing(found, text)
        chosen = customers_show.choose(found)
        if chosen is not None:
            customers_show.customer_view(chosen)
    except AuditError as exc:
        st.error(ct("unavailable", problem=plain(exc)))
    customers_show.importer(user)


if __name__ == "__main__":
    render()
