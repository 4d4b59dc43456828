"""What the service's ASGI middlewares share (``body_limit``, ``deadline``, ``access_log``):
the ASGI types, a request header, the caller's language and a JSON answer written by hand.

They are plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: they answer before anything
parses the body (413), answer while the route is still running (504) and see every response,
including those of the middlewares inside them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str:
    """The request header ``name`` (lower case), ``""`` when absent."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def scope_language(scope: Scope) -> str:
    """``zh`` when the caller's first language is Chinese, else English (as ``access``)."""
    first = header(scope, b"accept-language").split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def state(scope: Scope) -> MutableMapping[str, Any]:
    """The request's state (``request.state`` of a route: the same dict)."""
    found: MutableMapping[str, Any] = scope.setdefault("state", {})
    return found


async def send_json(send: Send, status: int, content: dict[str, Any]) -> None:
    """A JSON answer as the routes give one (UTF-8, Chinese as is)."""
    body = json.dumps(content, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = [
    "App",
    "Message",
    "Receive",
    "Scope",
    "Send",
    "header",
    "scope_language",
    "send_json",
    "state",
]
