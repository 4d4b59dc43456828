"""The decision service (issue 23) as a CRM calls it: a real ``sales-expert serve`` on
127.0.0.1 with two worker processes, called over HTTP with httpx: tokens and roles, the answer
``consult --json`` gives, recorded once with the caller as actor, refusals as JSON (401, 403,
404, 413, 422 in English and Chinese), concurrent clients leaving a valid chain, and the access
log (``--access-log``): one JSON line per request with the id its answer carries, and no case
value and no token in it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from benchmarks.cases import generate_cases
from engine.audit.store import AuditStore
from engine.batch import input_columns
from engine.batch.mapping import case_to_row
from engine.service.tokens import make_token, revoke
from tests.conftest import CASES, load_golden
from tests.service.server import Service, running_service, wait_for

SLOW_PAYER = load_golden(CASES / "credit/company-slow-payer-refer.yaml")["case"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("service")
    with running_service(root, "--access-log", str(root / "access.log")) as running:
        yield running


def test_health_readiness_and_the_openapi_document(service: Service) -> None:
    with service.client() as anyone:
        assert anyone.get("/healthz").json() == {"status": "ok"}
        ready = anyone.get("/readyz").json()
        assert ready["status"] == "ready" and ready["ruleset_version"].startswith("rb-")
        document = anyone.get("/openapi.json").json()
    assert {"/v1/consultations", "/v1/consultations/{record_id}/decision"} <= set(document["paths"])
    assert "Case" in document["components"]["schemas"]


def test_a_consultation_is_answered_as_the_command_line_and_recorded_once(
    service: Service,
) -> None:
    with service.client("rita") as rep:
        answer = rep.post("/v1/consultations", json=SLOW_PAYER)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        decision = next(c for c in result["conclusions"] if c["topic"] == "credit_decision")
        assert decision["value"] == "refer" and result["audit_id"] is not None
        assert "shadow" not in result and result["summary"][0]["module"]
        record = rep.get(f"/v1/consultations/{result['audit_id']}").json()
    assert (record["actor"], record["role"], record["channel"]) == ("rita", "rep", "api")
    assert record["ruleset_version"] == result["ruleset_version"]


def test_refusals_are_json_with_the_reason(service: Service) -> None:
    with service.client() as anyone:
        refused = anyone.post("/v1/consultations", json=SLOW_PAYER)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthenticated"
    with service.client("al", lang="zh-CN") as auditor:
        refused = auditor.post("/v1/consultations", json=SLOW_PAYER)
        assert refused.status_code == 403
        assert (
            refused.json()["message"]
            == "al 的角色为审计员：此请求仅限以下角色：销售代表、经理、管理员"
        )
    with service.client("rita") as rep:
        assert (
            rep.post("/v1/consultations/1/decision", json={"decision": "approve"}).status_code
            == 403
        )
        assert rep.get("/v1/consultations/99999").status_code == 404
        big = {"customer": {"id": "C-1", "name": "x" * 1_100_000}}
        too_large = rep.post("/v1/consultations", json=big)
        assert too_large.status_code == 413 and too_large.json()["error"] == "too_large"


def test_a_bad_case_lists_every_problem_in_the_callers_language(service: Service) -> None:
    case = {
        **SLOW_PAYER,
        "collection": {"overdue_amount": 80_000, "days_overdue": 20, "promises_kept": 0},
    }
    for lang, expected in (("en", "credit.overdue_amount is 0 but"), ("zh", "授信申请中的")):
        with service.client("rita", lang=lang) as rep:
            refused = rep.post("/v1/consultations", json=case)
        body = refused.json()
        assert refused.status_code == 422 and body["error"] == "invalid_input"
        fields = {p["field"]: p["message"] for p in body["problems"]}
        assert fields["credit.overdue_amount"].startswith(expected), fields
    with service.client("rita") as rep:
        wrong = rep.post("/v1/consultations", json={**SLOW_PAYER, "customer": {"id": "C-1"}})
    assert wrong.status_code == 422
    assert "customer.nature" in {p["field"] for p in wrong.json()["problems"]}


def test_decisions_follow_the_credit_authority(service: Service) -> None:
    with service.client("rita") as rep:
        record = rep.post("/v1/consultations", json=SLOW_PAYER).json()["audit_id"]
    with service.client("mia") as manager:
        small = manager.post(
            f"/v1/consultations/{record}/decision",
            json={"decision": "approve", "limit": 150000, "term_days": 60, "reason": "known"},
        )
        assert small.status_code == 200 and small.json()["decision"] == "approve"
        large = manager.post(
            f"/v1/consultations/{record}/decision",
            json={"decision": "approve", "limit": 900000, "term_days": 60, "reason": "big"},
        )
        assert large.status_code == 200 and large.json()["payload"]["status"] == "pending"
        bad = manager.post(f"/v1/consultations/{record}/decision", json={"decision": "maybe"})
        assert bad.status_code == 422 and "allowed" in bad.json()["message"]


def test_rules_and_version(service: Service) -> None:
    with service.client("al", lang="zh") as auditor:
        rules = auditor.get("/v1/rules").json()
        one = auditor.get("/v1/rules/CR-012").json()
        missing = auditor.get("/v1/rules/XX-999")
        version = auditor.get("/v1/version").json()
    assert len(rules) == 508 and one["id"] == "CR-012" and one["conditions"]
    assert missing.status_code == 404 and missing.json()["message"] == "规则库中没有规则 XX-999"
    assert version["ruleset_version"].startswith("rb-") and version["live_policy"] is None


def test_concurrent_clients_are_each_recorded_once_and_the_chain_holds(
    service: Service,
) -> None:
    with AuditStore(service.url) as store:
        before = store.count()

    def post(n: int) -> int:
        case = {**SLOW_PAYER, "customer": {**SLOW_PAYER["customer"], "id": f"P-{n}"}}
        with service.client("rita") as rep:
            return rep.post("/v1/consultations", json=case).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, range(160)))
    assert codes == [200] * 160
    with AuditStore(service.url) as store:
        assert store.count() == before + 160
        customers = {r.customer_id for r in store.list_records(limit=None) if r.channel == "api"}
        assert {f"P-{n}" for n in range(160)} <= customers
        assert store.verify().ok


def test_a_revoked_token_is_refused(service: Service) -> None:
    with AuditStore(service.url) as store:
        token_id = make_token(store, "rita", "spare")
        revoke(store, token_id[0].id)
    with httpx.Client(
        base_url=service.base, headers={"Authorization": f"Bearer {token_id[1]}"}
    ) as c:
        assert c.get("/v1/version").status_code == 401


def test_outcomes_come_back_each_with_its_fate(service: Service) -> None:
    with service.client("rita") as rep:
        record = rep.post("/v1/consultations", json=SLOW_PAYER).json()["audit_id"]
    paid = {
        "consultation_id": record,
        "module": "credit",
        "outcome": "paid_late",
        "observed_at": date.today().isoformat(),
        "days_late": 12,
    }
    wrong = {
        "consultation_id": record,
        "module": "weather",
        "outcome": "sunny",
        "observed_at": date.today().isoformat(),
    }
    with service.client("mia", lang="zh") as manager:
        first = manager.post("/v1/outcomes", json={"outcomes": [paid, wrong]}).json()["outcomes"]
        again = manager.post("/v1/outcomes", json={"outcomes": [paid]}).json()["outcomes"]
    assert first[0]["status"] == "recorded", first[0]
    assert first[0]["record_id"] > record
    assert first[1]["status"] == "failed" and first[1]["problems"][0]["field"] == "module"
    assert again == [
        {
            "status": "duplicate",
            "record_id": None,
            "duplicate_of": first[0]["record_id"],
            "problems": [],
        }
    ]
    with service.client("al") as auditor:
        assert auditor.post("/v1/outcomes", json={"outcomes": [paid]}).status_code == 403


def test_a_batch_job_runs_a_book_and_serves_its_results(service: Service) -> None:
    columns = input_columns()
    rows = [case_to_row(c) for c in generate_cases(12, seed=31, sections=("customer", "credit"))]
    rows[3]["customer.nature"] = "martian"
    lines = [",".join(columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    book = ("\n".join(lines) + "\n").encode()
    with service.client("rita") as rep:
        started = rep.post("/v1/batches", content=book, headers={"Content-Type": "text/csv"})
        assert started.status_code == 202, started.text
        job = started.json()["id"]
        early = rep.get(f"/v1/batches/{job}/results")
        assert early.status_code in (200, 409)
        deadline = time.monotonic() + 120
        while (status := rep.get(f"/v1/batches/{job}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
        assert (status["state"], status["ok"], status["failed"]) == ("done", 11, 1)
        results = rep.get(f"/v1/batches/{job}/results").text.splitlines()
        errors = rep.get(f"/v1/batches/{job}/errors").text
    assert len(results) == 13 and "customer.nature" in errors
    with service.client("mia") as other:  # another rep's or manager's job is not theirs
        assert other.get(f"/v1/batches/{job}").status_code == 404
    with service.client("al") as auditor:
        assert auditor.get(f"/v1/batches/{job}").json()["state"] == "done"


LOGGED = {"time", "request_id", "method", "path", "route", "status", "duration_ms", "user"}
LOGGED |= {"bytes", "client"}


def _access_log(service: Service, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The access log's lines by request id, once the lines of ``ids`` are there (a line is
    written just after its answer)."""
    log = service.root / "access.log"
    wait_for(lambda: all(f'"request_id": "{i}"' in log.read_text() for i in ids), "log lines")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(set(line) == LOGGED for line in lines), lines
    return {line["request_id"]: line for line in lines}


def test_each_request_has_its_id_and_one_access_log_line_without_case_data(
    service: Service,
) -> None:
    secret = "Jadeite Lantern Trading"  # a customer name: case data, never logged
    case = {**SLOW_PAYER, "customer": {**SLOW_PAYER["customer"], "name": secret}}
    started = datetime.now(UTC)
    with service.client("rita") as rep:
        ok = rep.post("/v1/consultations", json=case, headers={"X-Request-Id": "crm-4711.a"})
        bad = rep.post(
            "/v1/consultations",
            json={**case, "customer": {"id": "C-1", "name": secret}},
            headers={"X-Request-Id": f"{secret} / not an id"},
        )
        big = rep.post(
            "/v1/consultations", json={"customer": {"id": "C-1", "name": secret * 50_000}}
        )
        missing = rep.get("/v1/consultations/99999")
    with httpx.Client(base_url=service.base) as stranger:
        refused = stranger.post(
            f"/v1/consultations?customer={secret}",
            json=case,
            headers={"Authorization": "Bearer sx_stolen-or-made-up"},
        )
    answers = [ok, bad, big, missing, refused]
    assert [a.status_code for a in answers] == [200, 422, 413, 404, 401]
    ids = [a.headers["x-request-id"] for a in answers]
    assert ids[0] == "crm-4711.a" and len(set(ids)) == 5
    assert all(re.fullmatch("[0-9a-f]{16}", i) for i in ids[1:]), ids  # made by the service
    lines = _access_log(service, set(ids))
    for answer, rid in zip(answers, ids, strict=True):
        line = lines[rid]
        assert (line["status"], line["bytes"]) == (answer.status_code, len(answer.content))
        assert line["method"] == answer.request.method and line["client"] == "127.0.0.1"
        assert line["duration_ms"] >= 0 and line["time"].endswith("Z")
        assert started - timedelta(seconds=1) <= datetime.fromisoformat(line["time"])
    assert [lines[i]["user"] for i in ids] == ["rita", "rita", None, "rita", None]
    assert (lines[ids[3]]["path"], lines[ids[3]]["route"]) == (
        "/v1/consultations/99999",
        "/v1/consultations/{record_id}",
    )
    assert (lines[ids[4]]["path"], lines[ids[4]]["route"]) == (
        "/v1/consultations",
        "/v1/consultations",
    )
    assert lines[ids[2]]["route"] is None  # refused before any route saw it
    everything = (service.root / "access.log").read_text()
    assert (
        secret not in everything and "Jadeite" not in everything and "customer=" not in everything
    )
    assert "sx_" not in everything and not any(t in everything for t in service.tokens.values())
