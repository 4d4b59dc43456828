"""The timeout's race, taken apart (``engine.service.deadline``): claim and expire, raced by
threads, are won by exactly one; the ``Timeout`` middleware, driven by small ASGI apps whose
work runs in a thread, answers 504 when the deadline passes first and then drops what the work
sends, keeps a late answer whose work claimed in time, and times neither health checks nor
batch jobs; and the service's three writes (a consultation, a decision, outcomes), called
through the whole application in this process with their claim held back until the caller has
its 504, write nothing, while a claim that comes in time is answered and recorded however long
the write then takes. The order of events is forced with events, not left to timing."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine.intake import parse_case
from engine.service import access
from engine.service.app import create_app
from engine.service.asgi import Message, Receive, Scope, Send
from engine.service.deadline import DEADLINE, Deadline, Timeout, timed
from engine.service.errors import ServiceError
from engine.service.recording import consult_and_record
from engine.users import User
from tests.conftest import CASES, load_golden
from tests.service.server import service_env, tokens_for

SLOW_PAYER = load_golden(CASES / "credit/company-slow-payer-refer.yaml")["case"]
NEVER = Deadline(math.inf)
"""A deadline nothing expires: recording that is not timed."""
TIMEOUT_EN = (
    "no answer within 0.05 s, the time the server allows a request: nothing was recorded; "
    "try again, or ask the operator to raise `sales-expert serve --timeout`"
)


def _race(deadline: Deadline) -> dict[str, bool]:
    """Claim and expire ``deadline`` from two threads let go at the same moment."""
    start, won = threading.Barrier(2), {}

    def race(name: str, take: Callable[[], bool]) -> None:
        start.wait()
        won[name] = take()

    threads = [
        threading.Thread(target=race, args=("claim", deadline.claim)),
        threading.Thread(target=race, args=("expire", deadline.expire)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


def test_exactly_one_of_claim_and_expire_wins_a_race_and_the_outcome_sticks() -> None:
    for _ in range(300):
        deadline = Deadline(1)
        won = _race(deadline)
        assert won["claim"] != won["expire"]
        assert (deadline.claim(), deadline.expire()) == (won["claim"], won["expire"])


def test_a_refused_claim_raises_the_504_the_caller_was_given() -> None:
    deadline = Deadline(0.05)
    assert deadline.expire()
    with pytest.raises(ServiceError) as refused:
        deadline.claim_or_refuse()
    assert (refused.value.status, refused.value.code) == (504, "timeout")


def _serve(
    work: Callable[[Deadline], int], path: str, lang: str, after: Callable[[], None] = lambda: None
) -> tuple[list[Message], float]:
    """Call ``Timeout(app, 0.05)`` once with an app that runs ``work`` in a thread (as FastAPI
    runs a route) and answers the status it returns; ``after()`` runs once the middleware has
    answered, then the call waits for the app to end. What was sent, and the seconds until the
    answer."""
    ended = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        deadline = scope["state"].get(DEADLINE, Deadline(math.inf))
        status = await asyncio.to_thread(work, deadline)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        ended.set()

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def call() -> float:
        scope = {"type": "http", "method": "POST", "path": path, "state": {}}
        scope["headers"] = [(b"accept-language", lang.encode())]
        began = time.monotonic()
        await Timeout(app, 0.05)(scope, receive, send)
        took = time.monotonic() - began
        after()
        await asyncio.wait_for(ended.wait(), 30)
        return took

    took = asyncio.run(call())
    return sent, took


def test_the_timeout_answers_504_and_the_late_work_may_neither_claim_nor_answer() -> None:
    release, claims = threading.Event(), []

    def work(deadline: Deadline) -> int:
        release.wait(10)
        claims.append(deadline.claim())
        return 200

    for lang, expected in (("en", TIMEOUT_EN), ("zh-CN,zh;q=0.9", "服务器对每个请求只允许0.05秒")):
        release.clear()
        sent, took = _serve(work, "/v1/consultations", lang, after=release.set)
        assert [m.get("status") for m in sent] == [504, None]  # the late 200 was dropped
        body = json.loads(sent[1]["body"])
        assert body["error"] == "timeout" and body["message"].startswith(expected)
        assert took < 5
    assert claims == [False, False]


def test_work_that_claimed_in_time_gives_its_own_answer_however_late() -> None:
    def work(deadline: Deadline) -> int:
        assert deadline.claim()
        time.sleep(0.3)  # the write, after the claim and past the 0.05 s deadline
        return 201

    sent, took = _serve(work, "/v1/outcomes", "en")
    assert [m.get("status") for m in sent] == [201, None] and took >= 0.3


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/v1/batches", "/v1/batches/ab12"])
def test_health_checks_and_batch_jobs_are_not_timed(path: str) -> None:
    def work(deadline: Deadline) -> int:
        time.sleep(0.2)
        return 200 if deadline.claim() else 599

    assert not timed(path)
    sent, _ = _serve(work, path, "en")
    assert [m.get("status") for m in sent] == [200, None]


@pytest.fixture
def service_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Here]:
    """The whole application in this process (0.05 s timeout) on an audit database of its own,
    with a consultation to decide on and to record outcomes of."""
    env = service_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    token = tokens_for(env["SALES_EXPERT_DATABASE_URL"])["mia"]
    rita = User("rita", "Rita", "rep")
    first = consult_and_record(parse_case(SLOW_PAYER), access.store(), rita, "en", NEVER)
    assert first.audit_id is not None
    app = create_app(timeout=0.05, access_log=str(tmp_path / "access.log"))
    yield Here(app, token, first.audit_id)  # its store is this process's for its database


class Here:
    def __init__(self, app: Any, token: str, record_id: int) -> None:
        self.app, self.token, self.record_id = app, token, record_id

    def post(
        self, write: str, request_id: str, then: Callable[[], Awaitable[None]] | None = None
    ) -> httpx.Response:
        """POST one of the writes over HTTP in this process; ``then()`` is awaited after the
        answer, the application still running (the work behind a 504 goes on in it)."""
        path, body = _writes(self.record_id)[write]
        headers = {"Authorization": f"Bearer {self.token}", "X-Request-Id": request_id}

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://here") as client:
                answer = await client.post(path, json=body, headers=headers)
                if then is not None:
                    await then()
                return answer

        return asyncio.run(call())


def _writes(record_id: int) -> dict[str, tuple[str, dict[str, Any]]]:
    outcome = {
        "consultation_id": record_id,
        "module": "credit",
        "outcome": "paid_late",
        "observed_at": date.today().isoformat(),
        "days_late": 12,
    }
    return {
        "consultation": ("/v1/consultations", SLOW_PAYER),
        "decision": (f"/v1/consultations/{record_id}/decision", {"decision": "approve"}),
        "outcomes": ("/v1/outcomes", {"outcomes": [outcome]}),
    }


async def _until(found: Callable[[], bool], what: str) -> None:
    for _ in range(600):
        if found():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited 30 s for {what}")


@pytest.mark.parametrize("write", ["consultation", "decision", "outcomes"])
def test_a_write_whose_claim_comes_after_the_504_records_nothing(
    write: str,
    service_here: Here,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    release, refused = threading.Event(), threading.Event()
    claim = Deadline.claim_or_refuse

    def held_back(deadline: Deadline) -> None:
        release.wait(30)  # until the caller has its 504
        try:
            claim(deadline)
        except ServiceError:
            refused.set()
            raise

    async def then_release_and_wait_for_the_work() -> None:
        release.set()
        said = f"request held-{write} (POST "
        await _until(lambda: any(said in r.getMessage() for r in caplog.records), "the work")

    monkeypatch.setattr(Deadline, "claim_or_refuse", held_back)
    before = access.store().count()
    answer = service_here.post(write, f"held-{write}", then_release_and_wait_for_the_work)
    assert answer.status_code == 504 and answer.json() == {
        "error": "timeout",
        "message": TIMEOUT_EN,
    }
    assert answer.headers["x-request-id"] == f"held-{write}" and refused.is_set()
    assert access.store().count() == before and access.store().verify().ok


def test_a_write_that_claimed_in_time_is_answered_and_recorded_past_the_deadline(
    service_here: Here, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim = Deadline.claim_or_refuse

    def claimed_then_slow(deadline: Deadline) -> None:
        claim(deadline)
        time.sleep(0.3)  # the write takes long: the answer waits for it

    monkeypatch.setattr(Deadline, "claim_or_refuse", claimed_then_slow)
    before = access.store().count()
    answer = service_here.post("outcomes", "in-time")
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcomes"][0]["status"] == "recorded"
    assert access.store().count() == before + 1 and access.store().verify().ok
