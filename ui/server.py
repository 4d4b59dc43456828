"""The web app's server: ``ui_app.py`` as a Streamlit ``App`` with one route of its own.

    streamlit run ui/server.py        (scripts/start.sh does it)

``POST /_session/claim`` takes the one-time code the page received on signing in and answers
with the session cookie (``engine.web_sessions``): ``HttpOnly`` so no script in the page can
read it, ``SameSite=Strict`` so no other site's page sends it, ``Secure`` behind HTTPS. The
route is the only way the server can set a cookie: Streamlit's own pages speak over a
WebSocket, which cannot.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine.audit.recording import shared_store
from engine.web_sessions import COOKIE, claim

CLAIM_PATH = "/_session/claim"
MAX_CODE_BYTES = 256


async def claim_cookie(request: Request) -> JSONResponse:
    """The session cookie for a valid one-time code; 400 for anything else."""
    body = await request.body()
    code = body[: MAX_CODE_BYTES + 1].decode(errors="replace").strip()
    claimed = None
    if 0 < len(code) <= MAX_CODE_BYTES:
        claimed = await run_in_threadpool(claim, shared_store(), code)
    if claimed is None:
        return JSONResponse({"error": "invalid or spent sign-in code"}, status_code=400)
    token, seconds = claimed
    response = JSONResponse({"status": "signed in"})
    response.set_cookie(
        COOKIE,
        token,
        max_age=seconds,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


app = st.App(
    str(Path(__file__).resolve().parents[1] / "ui_app.py"),
    routes=[Route(CLAIM_PATH, claim_cookie, methods=["POST"])],
)
