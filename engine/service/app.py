"""The decision service: the engine's API over HTTP (FastAPI), for a CRM, an ERP or an order
system that asks "may I ship this order on credit?" at order entry.

- ``POST /v1/consultations`` takes a case (the same pydantic ``Case`` the command line and the
  web app use, so the OpenAPI document at ``/openapi.json`` and the docs at ``/docs`` come from
  it) and answers exactly what ``sales-expert consult --json`` prints, recorded in the audit
  trail with the token's user as actor and channel ``api``; ``GET /v1/consultations/{id}`` reads
  a record back; ``POST /v1/consultations/{id}/decision`` records a final decision under the
  same rules as the web app (credit authority, proposals).
- ``GET /v1/rules``, ``/v1/rules/{id}``, ``/v1/version``; ``/healthz`` (the process answers) and
  ``/readyz`` (the rule base is loaded and the audit database answers).
- Every call but the health checks needs ``Authorization: Bearer <token>`` (``tokens``); the
  token's user has the role the users file gives, checked per route. A refusal is 401 or 403, a
  bad case 422 with every problem (field, value, message) in the language of
  ``Accept-Language`` (en, zh), a body over ``MAX_BODY_BYTES`` 413 before anything parses it;
  every error is JSON. Consultations run in the server's thread pool; the engine serialises its
  calls into durable-rules, and each worker process (``--workers``) has its own engine.
- A request not answered within ``--timeout`` seconds is answered 504, and what it would have
  recorded never is (``deadline``: the write and the timeout claim the request under one lock;
  ``recording`` puts the claim between inference and the write). Batch jobs and health checks
  are not timed.
- Every answer carries ``X-Request-Id``, and every request leaves one JSON line in the access
  log (``access_log``: who, what route, status, time, bytes; never a body, a query or a token).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.records import AuditRecord
from engine.catalog import rule_rows
from engine.core import product_version
from engine.errors import InputError
from engine.intake import parse_case
from engine.policy.live import live_policy
from engine.service.access import CONSULTING_ROLES, Caller, language, require, store
from engine.service.access_log import AccessLog
from engine.service.batches import batch_routes
from engine.service.body_limit import BodyLimit
from engine.service.deadline import Timeout, deadline_of
from engine.service.errors import ServiceError, problem_body
from engine.service.outcomes import outcome_routes
from engine.service.recording import consult_and_record, decide
from engine.service.settings import configured_access_log, configured_timeout
from knowledge_base import load_knowledge
from knowledge_base.authority import load_authority
from knowledge_base.facts import Case


class DecisionBody(BaseModel):
    """A final decision on a credit consultation, as the web app's form takes it."""

    decision: str = Field(max_length=40)
    limit: float | None = Field(default=None, ge=0)
    term_days: int | None = Field(default=None, ge=0)
    reason: str | None = Field(default=None, max_length=500)


def _json(text: str, status: int = 200) -> Response:
    return Response(content=text, status_code=status, media_type="application/json")


def _health_routes(app: FastAPI) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        try:
            version = live_policy(store()).engine().version
        except Exception as exc:  # not ready: say why, do not fail the probe with a 500
            return JSONResponse({"status": "not ready", "problem": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready", "ruleset_version": version})

    @app.get("/v1/version")
    def version(user: Caller) -> dict[str, Any]:
        live = live_policy(store())
        return {
            "product_version": product_version(),
            "ruleset_version": live.engine().version,
            "live_policy": live.draft,
        }


def _consultation_routes(app: FastAPI) -> None:
    @app.post("/v1/consultations")
    def post_consultation(case: Case, request: Request, user: Caller) -> Response:
        require(user, CONSULTING_ROLES, request)
        result = consult_and_record(case, store(), user, language(request), deadline_of(request))
        return _json(result.model_dump_json())

    @app.get("/v1/consultations/{record_id}")
    def get_consultation(record_id: int, user: Caller) -> dict[str, Any]:
        record = _record(record_id)
        return record.to_json()

    @app.post("/v1/consultations/{record_id}/decision")
    def post_decision(
        record_id: int, body: DecisionBody, request: Request, user: Caller
    ) -> dict[str, Any]:
        require(user, load_authority().roles(), request)
        _record(record_id)
        wanted = DecisionRequest(body.decision, body.limit, body.term_days, body.reason)
        return decide(store(), record_id, wanted, user, deadline_of(request)).to_json()


def _rule_routes(app: FastAPI) -> None:
    @app.get("/v1/rules")
    def rules(request: Request, user: Caller) -> list[dict[str, str]]:
        rulebase = live_policy(store()).engine().compiled.rulebase
        lang = language(request)
        return [
            {"id": r.id, "module": r.module, "title": r.title.get(lang)} for r in rulebase.rules
        ]

    @app.get("/v1/rules/{rule_id}")
    def rule(rule_id: str, request: Request, user: Caller) -> dict[str, Any]:
        compiled = live_policy(store()).engine().compiled
        found = [
            r
            for r in rule_rows(compiled.rulebase, compiled.knowledge, language(request))
            if r.id == rule_id
        ]
        if not found:
            raise ServiceError(404, "not_found", "service.error.no_rule", {"rule": rule_id[:40]})
        row = found[0]
        return {
            "id": row.id,
            "module": row.module,
            "title": row.title,
            "rationale": row.rationale,
            "conditions": list(row.conditions),
            "conclusions": list(row.conclusions),
            "sources": list(row.sources),
            "priority": row.priority,
            "parameters": list(row.parameters),
        }


def _record(record_id: int) -> AuditRecord:
    try:
        return store().get(record_id)
    except AuditRequestError as exc:
        raise ServiceError(404, "not_found", "service.error.no_record", {"id": record_id}) from exc


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(problem_body(exc, language(request)), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(jsonable_encoder(_problems(exc, request)), status_code=422)


def _problems(exc: RequestValidationError, request: Request) -> dict[str, Any]:
    """Every problem of a refused body: a case worded as the command line words it (the case's
    own checks in the caller's language), another body as its model says; field, value,
    message."""
    lang = language(request)
    found: list[dict[str, Any]] = []
    if request.url.path == "/v1/consultations" and isinstance(exc.body, dict):
        try:
            parse_case(exc.body, lang)
        except InputError as refused:
            found = [
                {"field": p.field, "value": p.value, "message": p.message} for p in refused.problems
            ]
    if not found:
        found = [
            {
                "field": ".".join(str(part) for part in e["loc"][1:]) or "(body)",
                "value": e.get("input"),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
    message = load_knowledge().text("service.error.invalid", lang, count=len(found))
    return {"error": "invalid_input", "message": message, "problems": found}


def create_app(timeout: float | None = None, access_log: str | None = None) -> FastAPI:
    """The application (``uvicorn --factory``): loads the engine and opens the audit database
    on the first request. ``timeout`` and ``access_log`` default to what ``serve`` set
    (``settings``). Outermost first: the access log sees every answer (413 and 504 too), the
    body limit reads the body before the clock starts, the timeout wraps the routes."""
    app = FastAPI(
        title="sales-expert decision service",
        version=product_version(),
        description=__doc__,
    )
    app.add_middleware(Timeout, seconds=configured_timeout() if timeout is None else timeout)
    app.add_middleware(BodyLimit)
    target = configured_access_log() if access_log is None else access_log
    app.add_middleware(AccessLog, target=target)
    _handlers(app)
    _health_routes(app)
    _consultation_routes(app)
    _rule_routes(app)
    outcome_routes(app)
    batch_routes(app)
    return app


__all__ = ["CONSULTING_ROLES", "create_app"]
