"""Batch jobs over the decision service: ``POST /v1/batches`` (a CSV book as the body) → a job
id; ``GET /v1/batches/{id}`` its progress; ``/results`` and ``/errors`` the files when done.

A job is a folder ``<data dir>/batches/<id>/`` holding the book, ``status.json`` and the batch
run's output files (``engine.batch.runner.run_batch``, recording every row with the caller as
actor), so every worker process of the server can answer for any job. The upload is streamed to
the book file up to ``MAX_BOOK_BYTES`` (its ``Content-Length`` is required and checked first);
the run goes on in a thread of the process that took it, one worker process per job. A job is
read by the user who started it, an auditor or an admin.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse

from engine.audit.config import load_settings
from engine.batch.runner import BatchOptions, run_batch
from engine.errors import SalesExpertError
from engine.service.access import CONSULTING_ROLES, Caller, language, require
from engine.service.errors import ServiceError
from engine.users import User

MAX_BOOK_BYTES = 200_000_000
READERS = ("auditor", "admin")


def jobs_dir() -> Path:
    return load_settings().data_dir / "batches"


def _status(job: Path, **values: Any) -> None:
    """Write the job's status atomically (a reader never sees half a file)."""
    path = job / "status.json"
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    temporary = job / "status.json.tmp"
    temporary.write_text(json.dumps({**old, **values}), encoding="utf-8")
    os.replace(temporary, path)


def _run(job: Path, user: User, lang: str) -> None:
    options = BatchOptions(
        input=job / "book.csv",
        out=job / "results.csv",
        errors=job / "errors.csv",
        workers=1,
        lang=lang,
        actor=user.username,
        role=user.role,
        record=True,
    )
    _status(job, state="running")
    try:
        summary = run_batch(
            options, on_progress=lambda done, total: _status(job, rows_done=done, rows_total=total)
        )
    except (SalesExpertError, OSError) as exc:
        _status(job, state="failed", problem=str(exc))
        return
    _status(job, state="done", rows_done=summary.rows_in, ok=summary.ok, failed=summary.failed)


async def _receive_book(request: Request, book: Path, lang: str) -> int:
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise ServiceError(411, "length_required", "service.error.length_required", {})
    if int(declared) > MAX_BOOK_BYTES:
        raise ServiceError(
            413, "too_large", "service.error.book_too_large", {"limit": f"{MAX_BOOK_BYTES:,}"}
        )
    size = 0
    with book.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BOOK_BYTES:
                raise ServiceError(
                    413,
                    "too_large",
                    "service.error.book_too_large",
                    {"limit": f"{MAX_BOOK_BYTES:,}"},
                )
            out.write(chunk)
    return size


def _job(job_id: str, user: User) -> Path:
    job = jobs_dir() / job_id
    status = job / "status.json"
    if not job_id.isalnum() or not status.exists():
        raise ServiceError(404, "not_found", "service.error.no_batch", {"id": job_id[:40]})
    owner = json.loads(status.read_text(encoding="utf-8")).get("user")
    if owner != user.username and user.role not in READERS:
        raise ServiceError(404, "not_found", "service.error.no_batch", {"id": job_id[:40]})
    return job


def batch_routes(app: FastAPI) -> None:
    @app.post("/v1/batches", status_code=202)
    async def post_batch(request: Request, user: Caller) -> dict[str, Any]:
        require(user, CONSULTING_ROLES, request)
        job_id = secrets.token_hex(16)
        job = jobs_dir() / job_id
        job.mkdir(parents=True)
        lang = language(request)
        await _receive_book(request, job / "book.csv", lang)
        _status(job, state="queued", user=user.username, rows_done=0, rows_total=None)
        threading.Thread(target=_run, args=(job, user, lang), daemon=True).start()
        return {
            "id": job_id,
            "status": f"/v1/batches/{job_id}",
            "results": f"/v1/batches/{job_id}/results",
        }

    @app.get("/v1/batches/{job_id}")
    def get_batch(job_id: str, user: Caller) -> dict[str, Any]:
        status: dict[str, Any] = json.loads(
            (_job(job_id, user) / "status.json").read_text(encoding="utf-8")
        )
        return {"id": job_id, **status}

    @app.get("/v1/batches/{job_id}/{part}")
    def get_batch_file(job_id: str, part: str, user: Caller) -> FileResponse:
        job = _job(job_id, user)
        state = json.loads((job / "status.json").read_text(encoding="utf-8")).get("state")
        if part not in ("results", "errors"):
            raise ServiceError(404, "not_found", "service.error.no_batch", {"id": job_id[:40]})
        if state != "done":
            raise ServiceError(409, "not_done", "service.error.batch_not_done", {"state": state})
        return FileResponse(
            job / f"{part}.csv", media_type="text/csv", filename=f"{job_id}-{part}.csv"
        )


__all__ = ["MAX_BOOK_BYTES", "batch_routes"]
