"""Who is calling the decision service, in which language, and what their role allows; the
audit database the service works on (one per worker process)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from engine.audit.recording import shared_store
from engine.audit.store import AuditStore
from engine.service.errors import ServiceError
from engine.service.tokens import username_of
from engine.users import User, load_users, users_path
from knowledge_base import load_knowledge

CONSULTING_ROLES = ("rep", "manager", "admin")
"""Who may ask for a consultation (an auditor reads the trail, asks nothing of the rules)."""


def store() -> AuditStore:
    """The configured audit database, one per worker process (``shared_store``: the web app's
    and the batch workers' own, opened once per process)."""
    return shared_store()


def language(request: Request) -> str:
    """``zh`` when the caller's first language is Chinese, else English."""
    first = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def caller(request: Request) -> User:
    """The user of the request's bearer token, or a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    username = username_of(store(), token.strip()) if scheme.lower() == "bearer" else None
    found = load_users(users_path()).get(username) if username else None
    if found is None:
        raise ServiceError(401, "unauthenticated", "service.error.unauthenticated", {})
    request.state.user = found.user.username  # for the access log (``access_log.USER``)
    return found.user


def require(user: User, roles: tuple[str, ...], request: Request) -> None:
    """A 403 naming the user's role and the roles allowed, in the caller's language."""
    if user.role in roles:
        return
    lang, kb = language(request), load_knowledge()
    comma = "、" if lang == "zh" else ", "
    allowed = comma.join(kb.text(f"memo.role.{r}", lang) for r in roles)
    role = kb.text(f"memo.role.{user.role}", lang)
    values = {"user": user.username, "role": role, "allowed": allowed}
    raise ServiceError(403, "forbidden", "service.error.forbidden", values)


Caller = Annotated[User, Depends(caller)]
"""The user of the request's token (a route with it refuses an unauthenticated request)."""


__all__ = ["CONSULTING_ROLES", "Caller", "caller", "language", "require", "store"]
