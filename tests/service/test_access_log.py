"""The access log's own rules (``engine.service.access_log``), beside the real server's log in
``test_service``: which caller ids are kept, and an error no handler answered still gets a JSON
500 with its id and its line, the exception going on to the server's log."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from engine.service.access_log import MAX_PATH, AccessLog, request_id
from engine.service.asgi import Message, Receive, Scope, Send


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("crm-4711", True),
        ("0f5c2a9e-6d1b-4f4e-9a57-6a1d3b9d2c11", True),
        ("order:77.retry_2", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("-starts-with-a-dash", False),
        ("has space", False),
        ("名字", False),
        ('{"customer": "Lee"}', False),
        ("", False),
    ],
)
def test_a_callers_id_is_kept_only_when_it_is_a_short_plain_token(given: str, kept: bool) -> None:
    scope = {"headers": [(b"x-request-id", given.encode())]}
    found = request_id(scope)
    assert (found == given) is kept
    assert kept or (len(found) == 16 and int(found, 16) >= 0)


def _call(app: object, path: str, log: Path, sent: list[Message]) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "client": None}
    asyncio.run(AccessLog(app, str(log))(scope, receive, send))  # type: ignore[arg-type]


def test_an_unanswered_error_is_a_json_500_with_its_id_and_its_line(tmp_path: Path) -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    log, sent = tmp_path / "access.log", []
    with pytest.raises(RuntimeError, match="a bug"):  # on to the server's log
        _call(failing, "/v1/version", log, sent)
    line = json.loads(log.read_text())
    assert (line["status"], line["path"], line["user"]) == (500, "/v1/version", None)
    assert sent[0]["status"] == 500
    assert dict(sent[0]["headers"])[b"x-request-id"].decode() == line["request_id"]
    body = json.loads(sent[1]["body"])
    assert body["error"] == "internal" and line["request_id"] in body["message"]
    assert line["bytes"] == len(sent[1]["body"])


def test_the_answer_carries_the_id_of_its_line_and_a_long_path_is_cut(tmp_path: Path) -> None:
    async def answering(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    log, sent = tmp_path / "access.log", []
    _call(answering, "/v1/rules/" + "R" * 500, log, sent)
    line = json.loads(log.read_text())
    assert dict(sent[0]["headers"])[b"x-request-id"].decode() == line["request_id"]
    assert (line["status"], line["bytes"], line["route"]) == (404, 2, None)
    assert len(line["path"]) == MAX_PATH
