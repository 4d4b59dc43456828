"""The per-request timeout (issue 23) on a real ``sales-expert serve --timeout 0.05`` with one
worker process: a consultation past its deadline is answered 504 as JSON in the caller's
language and never recorded, not even once the work behind it ends; racing the deadline,
every consultation answered 200 is recorded exactly once and none answered 504 is; the chain
stays valid. And ``--timeout``/``--access-log`` refuse a bad value naming it and what is
allowed.

Nothing here slows the service down on purpose. The first consultation of a worker process
compiles the rule base (about a second, ~300 ms on an idle core) before it can answer: far
past the shortest timeout the service takes (``MIN_TIMEOUT``, 0.05 s), so it is cut off every
time. The fixture waits on ``/healthz``, which loads no rule base; the first test is the first
consultation this server sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from engine.api import consult
from engine.audit.store import AuditStore
from engine.cli import build_parser
from engine.service.settings import MIN_TIMEOUT
from tests.conftest import CASES, load_golden
from tests.service.server import Service, running_service, wait_for

SLOW_PAYER = load_golden(CASES / "credit/company-slow-payer-refer.yaml")["case"]
TIMEOUT_ZH = (
    "服务器对每个请求只允许0.05秒，此请求未能在时限内得到答复：未记录任何内容；"
    "请重试，或请运维人员调高 `sales-expert serve --timeout`"
)


@pytest.fixture(scope="module")
def hurried(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("timeout")
    options = ("--timeout", f"{MIN_TIMEOUT:g}", "--access-log", str(root / "access.log"))
    with running_service(root, *options, workers=1) as running:
        yield running


def _ended(service: Service, request_id: str) -> bool:
    """The server's log says the work behind a 504 has ended (its claim was refused)."""
    return f"request {request_id} (POST /v1/consultations" in service.server_log.read_text()


def test_a_consultation_past_its_deadline_is_answered_504_and_never_recorded(
    hurried: Service,
) -> None:
    with AuditStore(hurried.url) as store:
        before = store.count()
    with hurried.client("rita", lang="zh") as rep:
        late = rep.post("/v1/consultations", json=SLOW_PAYER, headers={"X-Request-Id": "late-1"})
    assert late.status_code == 504 and late.headers["x-request-id"] == "late-1"
    assert late.json() == {"error": "timeout", "message": TIMEOUT_ZH}
    wait_for(lambda: _ended(hurried, "late-1"), "the work behind the 504 to end")
    with AuditStore(hurried.url) as store:
        assert store.count() == before
        assert store.verify().ok
    log = (hurried.root / "access.log").read_text()
    assert re.search(r'"request_id": "late-1", .*"status": 504,', log), log


def test_racing_the_deadline_every_answer_is_recorded_once_and_no_504_is(
    hurried: Service,
) -> None:
    """Consultations (slower than the timeout once more than one runs) and final decisions
    (a few milliseconds before their claim, so some make it) sent six at a time: whichever
    way each race goes, what was answered is recorded once and what was answered 504 is not."""
    with AuditStore(hurried.url) as store:
        decided_on = consult(SLOW_PAYER, store=store, actor="rita", role="rep").audit_id
        before = store.count()
    decision = {"decision": "approve", "limit": 150000, "term_days": 60, "reason": "known"}

    def post(n: int) -> httpx.Response:
        case = {**SLOW_PAYER, "customer": {**SLOW_PAYER["customer"], "id": f"R-{n}"}}
        with hurried.client("mia") as manager:
            if n % 2:
                path = f"/v1/consultations/{decided_on}/decision"
                return manager.post(path, json=decision, headers={"X-Request-Id": f"race-{n}"})
            return manager.post(
                "/v1/consultations", json=case, headers={"X-Request-Id": f"race-{n}"}
            )

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(40)))
    answered = [n for n, a in enumerate(answers) if a.status_code == 200]
    late = [n for n, a in enumerate(answers) if a.status_code == 504]
    assert len(answered) + len(late) == len(answers), [a.status_code for a in answers]
    assert all(answers[n].json()["error"] == "timeout" for n in late)
    assert all(answers[n].json()["message"].startswith("no answer within 0.05 s") for n in late)
    wait_for(lambda: all(_ended(hurried, f"race-{n}") for n in late), "every 504's work to end")
    with AuditStore(hurried.url) as store:
        assert store.count() == before + len(answered)
        customers = [r.customer_id or "" for r in store.list_records(limit=None)]
        decisions = store.decisions_for(decided_on)
        assert store.verify().ok
    assert sorted(c for c in customers if c.startswith("R-")) == sorted(
        f"R-{n}" for n in answered if n % 2 == 0
    )
    assert sorted(d.id for d in decisions) == sorted(
        answers[n].json()["id"] for n in answered if n % 2
    )


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--timeout", "0", "'0': a number of seconds from 0.05 to 3600 (default 30)"),
        ("--timeout", "nan", "'nan': a number of seconds from 0.05 to 3600"),
        ("--timeout", "soon", "'soon': a number of seconds from 0.05 to 3600"),
        ("--timeout", "7200", "'7200': a number of seconds from 0.05 to 3600"),
        (
            "--access-log",
            "/no/such/folder/access.log",
            "'/no/such/folder/access.log': cannot append to it (No such file",
        ),
        ("--access-log", "", "'': a file path, or - for standard output"),
    ],
)
def test_a_bad_timeout_or_access_log_is_refused_naming_what_is_allowed(
    option: str, value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", option, value])
    assert exited.value.code == 2
    assert f"argument {option}: {said}" in capsys.readouterr().err


def test_the_serve_options_and_their_defaults(tmp_path: Path) -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.timeout, args.access_log) == (30.0, None)
    log = tmp_path / "access.log"
    args = build_parser().parse_args(["serve", "--timeout", "2.5", "--access-log", str(log)])
    assert (args.timeout, args.access_log) == (2.5, str(log)) and log.exists()
    assert build_parser().parse_args(["serve", "--access-log", "-"]).access_log == "-"
