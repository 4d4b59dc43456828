"""Bodies over ``MAX_BODY_BYTES`` are refused with 413 before anything parses them.

A plain ASGI middleware: a declared ``Content-Length`` over the limit is answered at once; a body
without one (chunked) is read up to the limit and refused as soon as it goes over, so a client
cannot make the service hold an unbounded body. The limit is the case file's
(``engine.safe_load``): the service takes no larger case than the command line does.
"""

from __future__ import annotations

from engine.safe_load import MAX_CASE_BYTES
from engine.service.asgi import (
    App,
    Message,
    Receive,
    Scope,
    Send,
    header,
    scope_language,
    send_json,
)
from knowledge_base import load_knowledge

MAX_BODY_BYTES = MAX_CASE_BYTES
STREAMED = ("/v1/batches",)
"""Paths that stream their body to disk under their own, larger limit (``batches``)."""


async def _too_large(send: Send, lang: str) -> None:
    text = load_knowledge().text("service.error.too_large", lang, limit=f"{MAX_BODY_BYTES:,}")
    await send_json(send, 413, {"error": "too_large", "message": text})


class BodyLimit:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in STREAMED:
            await self.app(scope, receive, send)
            return
        lang = scope_language(scope)
        declared = header(scope, b"content-length")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(send, lang)
            return
        messages: list[Message] = []
        size, more = 0, True
        while more:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            more = message["type"] == "http.request" and bool(message.get("more_body"))
            if size > MAX_BODY_BYTES:
                await _too_large(send, lang)
                return

        async def replay() -> Message:
            # the body as read, then the connection itself (a response listens for the client
            # going away: an invented disconnect would cut every streamed response short)
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


__all__ = ["MAX_BODY_BYTES", "BodyLimit"]
