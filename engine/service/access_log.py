"""The decision service's access log: one JSON line per request, and its ``X-Request-Id``.

A line says when the request came (UTC, ISO-8601), its id, method, path and route, the status,
how long it took, who called (the token's user, or null), how many bytes the answer had and
from which address: what an operator needs to follow a call, and nothing of the case. It never
holds a body, the query string or a header but the request id, so no customer, amount or
token reaches it. The paths of the routes carry only record, rule and batch ids; a path no
route knows is cut at ``MAX_PATH`` characters.

Every answer carries ``X-Request-Id``: the caller's own when it is a short plain token (``ID``),
so a CRM can follow one call through its logs and ours, else a new random one. The same id is
in the line, and in the server log about a request answered 504 (``deadline``).

Lines go to standard error (default), standard output or a file
(``sales-expert serve --access-log``). Each line is one ``write`` to a descriptor opened for
appending, so the worker processes of one server can share a file without mixing their lines.
An error no handler turned into an answer is answered here as a JSON 500 with the id (the
exception goes on to the server's log), so that answer too is JSON and has its id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from engine.service.asgi import App, Message, Receive, Scope, Send, header, send_json, state
from engine.service.asgi import scope_language as language_of
from engine.service.deadline import REQUEST_ID
from engine.service.settings import STDERR, STDOUT
from knowledge_base import load_knowledge

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
MAX_PATH = 200
USER = "user"
"""Key of the request state where ``access.caller`` leaves the token's user."""


def open_log(target: str) -> int:
    """The descriptor lines are written to: ``""`` standard error, ``-`` standard output,
    else the file, opened for appending (created readable by its owner and group)."""
    if target == STDERR:
        return sys.stderr.fileno()
    if target == STDOUT:
        return sys.stdout.fileno()
    return os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)


def request_id(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token of up to 64 characters, else a
    new one: never an arbitrary text from the caller in our log."""
    given = header(scope, b"x-request-id")
    return given if ID.fullmatch(given) else secrets.token_hex(8)


def _line(scope: Scope, seen: dict[str, Any]) -> bytes:
    route = getattr(scope.get("route"), "path", None)
    client = scope.get("client")
    entry = {
        "time": seen["time"],
        "request_id": seen["id"],
        "method": scope.get("method"),
        "path": str(scope.get("path", ""))[:MAX_PATH],
        "route": route,
        "status": seen["status"],
        "duration_ms": round((time.perf_counter() - seen["started"]) * 1000, 1),
        "user": state(scope).get(USER),
        "bytes": seen["bytes"],
        "client": client[0] if client else None,
    }
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode()


def _write(fd: int, data: bytes) -> None:
    """Write the line; a log that cannot be written is said in the server's log, and the
    answer, already given, stands."""
    try:
        while data:  # a regular file takes it whole; a pipe may take part
            data = data[os.write(fd, data) :]
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("the access log cannot be written: %s", exc)


class AccessLog:
    """Gives each request its id, adds ``X-Request-Id`` to the answer and writes the line."""

    def __init__(self, app: App, target: str) -> None:
        self.app, self.fd = app, open_log(target)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = state(scope)[REQUEST_ID] = request_id(scope)
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        seen: dict[str, Any] = {"time": now, "id": rid, "status": None, "bytes": 0}
        seen["started"] = time.perf_counter()

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if seen["status"] is None:  # nothing answered yet: a JSON 500 with the id
                text = load_knowledge().text("service.error.internal", language_of(scope), id=rid)
                await send_json(counting_send, 500, {"error": "internal", "message": text})
            raise
        finally:
            _write(self.fd, _line(scope, seen))


__all__ = ["ID", "MAX_PATH", "USER", "AccessLog", "open_log", "request_id"]
