"""The pages of the front end and which roles see them.

To add a page: write ``ui/views/<key>.py`` (start it with ``user = auth.require("<key>")``),
add a ``PageSpec`` below, and its texts ``page.<key>.title`` / ``page.<key>.intro`` in
``knowledge_base/texts/{en,zh}/ui.yaml`` (or the page's own ``ui_<key>.yaml``). The tests in
``tests/ui`` pick the page up for every role from ``PAGES``. A role's first page is where it
lands after signing in.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.i18n import t

ADMIN = "admin"
"""The administrator sees every page."""


@dataclass(frozen=True)
class PageSpec:
    key: str
    """Also the URL path (``/credit``); fixed, whatever the language."""
    script: str
    """Relative to ``ui_app.py``."""
    icon: str
    """A ``:material/…:`` icon: drawn from Streamlit's bundled font (no network, no emoji font)."""
    roles: frozenset[str]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("credit", "ui/views/credit.py", ":material/credit_score:", frozenset({"manager"})),
    PageSpec("grading", "ui/views/grading.py", ":material/star:", frozenset({"rep", "manager"})),
    PageSpec("closing", "ui/views/closing.py", ":material/handshake:", frozenset({"rep"})),
    PageSpec(
        "collection", "ui/views/collection.py", ":material/payments:", frozenset({"rep", "manager"})
    ),
    PageSpec("portfolio", "ui/views/portfolio.py", ":material/table_view:", frozenset({"manager"})),
    PageSpec("audit", "ui/views/audit.py", ":material/policy:", frozenset({"auditor", "manager"})),
    PageSpec(
        "referrals",
        "ui/views/referrals.py",
        ":material/pending_actions:",
        frozenset({"manager", "auditor"}),
    ),
    PageSpec(
        "customers",
        "ui/views/customers.py",
        ":material/groups:",
        frozenset({"rep", "manager", "auditor"}),
    ),
    PageSpec(
        "performance",
        "ui/views/performance.py",
        ":material/query_stats:",
        frozenset({"manager", "auditor"}),
    ),
    PageSpec("policy", "ui/views/policy.py", ":material/tune:", frozenset({"manager", "auditor"})),
    PageSpec(
        "knowledge",
        "ui/views/knowledge.py",
        ":material/menu_book:",
        frozenset({"rep", "manager", "auditor"}),
    ),
)


def allowed(role: str) -> list[PageSpec]:
    """The pages a role sees, in menu order."""
    return [p for p in PAGES if role == ADMIN or role in p.roles]


def may_open(role: str, key: str) -> bool:
    return any(p.key == key for p in allowed(role))


def pages_for(role: str) -> list[st.Page]:
    """``st.Page``s of the role's pages: only these are registered, so any other URL is
    refused by ``st.navigation``."""
    return [
        st.Page(p.script, title=t(f"page.{p.key}.title"), icon=p.icon, url_path=p.key)
        for p in allowed(role)
    ]
