"""The pages of the front end and which roles see them.

To add a page: write ``ui/views/<key>.py`` (start it with ``user = auth.require("<key>")``),
add a ``PageSpec`` below, and its texts ``page.<key>.title`` / ``page.<key>.intro`` in
``knowledge_base/texts/{en,zh}/ui.yaml`` (or the page's own ``ui_<key>.yaml``). The tests in
``tests/ui`` pick the page up for every role from ``PAGES``. A role's first page is where it
lands after signing in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from engine.audit.config import ROLES
from ui.i18n import kb, lang, t

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
    """``st.Page``s of the role's pages, and — hidden from the menu — a page at every other
    page's address that says why it is refused: a bookmark or a shared link never lands on
    Streamlit's "page not found", nor on a page the role may not see."""
    shown = allowed(role)
    pages = [
        st.Page(p.script, title=t(f"page.{p.key}.title"), icon=p.icon, url_path=p.key)
        for p in shown
    ]
    refused = [p for p in PAGES if p not in shown]
    return pages + [_hidden(p, _refusal(p, role)) for p in refused]


def sign_in_pages(login: Callable[[], None]) -> list[st.Page]:
    """For someone not signed in: the sign-in page, also at every page's address (hidden), so
    that a link to a page signs in first and then opens that page (its address is kept)."""
    first = st.Page(login, title=t("login.title"), url_path="login", default=True)
    return [first, *(_hidden(p, _signing_in_to(p, login)) for p in PAGES)]


def _hidden(spec: PageSpec, show: Callable[[], None]) -> st.Page:
    return st.Page(show, title=t(f"page.{spec.key}.title"), url_path=spec.key, visibility="hidden")


def _signing_in_to(spec: PageSpec, login: Callable[[], None]) -> Callable[[], None]:
    def show() -> None:
        st.info(t("auth.after_sign_in", page=t(f"page.{spec.key}.title")))
        login()

    return show


def refusal_text(spec: PageSpec, role: str) -> str:
    """Why a role may not open a page, naming the roles that may, in the current language."""
    roles = [r for r in ROLES if r == ADMIN or r in spec.roles]
    comma = kb().text("explain.list_separator", lang())
    return t(
        "auth.refused_page",
        page=t(f"page.{spec.key}.title"),
        role=t(f"role.{role}"),
        allowed=comma.join(t(f"role.{r}") for r in roles),
    )


def _refusal(spec: PageSpec, role: str) -> Callable[[], None]:
    def show() -> None:
        st.title(t(f"page.{spec.key}.title"))
        st.error(refusal_text(spec, role), icon=":material/block:")

    return show
