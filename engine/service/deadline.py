"""The per-request timeout (``sales-expert serve --timeout``): a request gets its answer within
the timeout or a 504, and a request answered 504 leaves nothing in the audit trail.

Python cannot stop the thread a route runs in, so a request past its deadline goes on running
in the background; what must not happen is that it records a consultation, a decision or an
outcome the caller was told failed. Each request has a ``Deadline`` that exactly one party
takes, under a lock:

- the route's recording step, which calls ``Deadline.claim_or_refuse`` right before it
  writes (the start of any response counts as a claim too): the timeout can no longer fire,
  the response waits for the write and is the route's own, even if it comes after the
  deadline;
- or the ``Timeout`` middleware, when the deadline passes first (``Deadline.expire``): it
  answers 504 at once; the route's later ``claim`` is refused (a 504 ``ServiceError`` that goes
  nowhere), so it writes nothing, and whatever it sends is dropped.

Claiming and expiring are one state change each under the same lock, so there is no moment in
which both could succeed. The clock starts once the body has been read (``BodyLimit`` is
outside): a slow upload is the client's time, not the service's. Health checks and batch jobs
(asynchronous, with their own progress) are not timed. When the work behind a 504 ends, the
server's log says so with the request id and how late it was.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time

from starlette.requests import Request

from engine.service.asgi import App, Message, Receive, Scope, Send, scope_language, send_json
from engine.service.asgi import state as request_state
from engine.service.errors import ServiceError, problem_body

UNTIMED = ("/healthz", "/readyz")
BATCHES = "/v1/batches"
DEADLINE, REQUEST_ID = "deadline", "request_id"
"""Keys of the request state (``request.state``) the middlewares share with the routes."""
_log = logging.getLogger("uvicorn.error")
_ABANDONED: set[asyncio.Task[None]] = set()
"""Work answered 504 and still running: asyncio keeps only weak references to tasks."""


class Deadline:
    """Who has the last word on one request: its recording (``claim``) or its timeout
    (``expire``), whichever comes first; the other is then refused."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._owner = ""

    def claim(self) -> bool:
        """Take the request for its own answer: True unless the timeout took it first (once
        claimed, it can no longer expire)."""
        with self._lock:
            self._owner = self._owner or "route"
            return self._owner == "route"

    def expire(self) -> bool:
        """Take the request for a 504: True unless it was claimed first."""
        with self._lock:
            self._owner = self._owner or "timeout"
            return self._owner == "timeout"

    def claim_or_refuse(self) -> None:
        """Call right before writing to the audit trail: returns if the write may go ahead
        (the answer will be the route's), else raises the 504 the caller was already given."""
        if not self.claim():
            raise timed_out(self.seconds)


def timed_out(seconds: float) -> ServiceError:
    return ServiceError(504, "timeout", "service.error.timeout", {"seconds": f"{seconds:g}"})


def deadline_of(request: Request) -> Deadline:
    """The request's deadline; one that never expires when nothing times the request (a path
    ``timed`` leaves out, or the app run without ``Timeout``)."""
    found = request_state(request.scope).get(DEADLINE)
    return found if isinstance(found, Deadline) else Deadline(math.inf)


def timed(path: str) -> bool:
    return path not in UNTIMED and path != BATCHES and not path.startswith(BATCHES + "/")


def _claiming(send: Send, deadline: Deadline) -> Send:
    """``send`` for the route: a response claims the request; after a 504 it goes nowhere."""

    async def claiming_send(message: Message) -> None:
        if deadline.claim():
            await send(message)

    return claiming_send


def _abandon(task: asyncio.Task[None], scope: Scope, deadline: Deadline) -> None:
    """Keep the work referenced until it ends, then say in the server's log when it ended."""
    _ABANDONED.add(task)
    started = time.monotonic()
    state = request_state(scope)

    def ended(done: asyncio.Task[None]) -> None:
        _ABANDONED.discard(done)
        route = getattr(scope.get("route"), "path", None) or "(no route)"
        failure = None if done.cancelled() else done.exception()
        _log.warning(
            "request %s (%s %s) was answered 504 after %g s; its work ended %.3f s later, "
            "its answer dropped and nothing recorded",
            state.get(REQUEST_ID, "-"),
            scope.get("method"),
            route,
            deadline.seconds,
            time.monotonic() - started,
            exc_info=failure,
        )

    task.add_done_callback(ended)


class Timeout:
    """Answers 504 when the app has neither answered nor claimed the request in ``seconds``."""

    def __init__(self, app: App, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not timed(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        deadline = request_state(scope)[DEADLINE] = Deadline(self.seconds)
        task = asyncio.ensure_future(self.app(scope, receive, _claiming(send, deadline)))
        try:
            await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:  # the server is going away: so is the work
            task.cancel()
            raise
        if not task.done() and deadline.expire():
            _abandon(task, scope, deadline)
            body = problem_body(timed_out(self.seconds), scope_language(scope))
            await send_json(send, 504, body)
            return
        await task  # done, or claimed: the route's own answer, however late


__all__ = ["DEADLINE", "REQUEST_ID", "Deadline", "Timeout", "deadline_of", "timed", "timed_out"]
