"""The decision service under load: a real ``sales-expert serve`` on 127.0.0.1, 1 and then 2
worker processes, ``--clients`` threads posting generated full cases for ``--seconds`` each.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_service [--clients 8] [--seconds 20]

Prints, per worker count, the consultations answered per second and the p50/p95/p99 latency
seen by the clients (every consultation recorded in a fresh SQLite audit database, as a CRM's
calls are), and the errors (none expected). Loopback only; figures printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.cases import generate_cases
from engine.audit.store import AuditStore
from engine.service.tokens import make_token
from engine.users import User, write_users

REPO = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(root: Path, workers: int) -> tuple[subprocess.Popen[bytes], str, str]:
    users = root / "users.yaml"
    write_users(users, [(User("crm", "CRM", "rep"), "crm-pw")], rounds=4)
    url = f"sqlite:///{root / 'audit.db'}"
    env = {
        **os.environ,
        "SALES_EXPERT_DATA_DIR": str(root),
        "SALES_EXPERT_DATABASE_URL": url,
        "SALES_EXPERT_USERS": str(users),
        "SALES_EXPERT_RECORD": "on",
    }
    with AuditStore(url) as store:
        token = make_token(store, "crm", "bench")[1]
    port = _port()
    command = [
        sys.executable,
        "-m",
        "engine.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    return server, base, token


def _client(
    base: str,
    token: str,
    cases: list[dict[str, Any]],
    stop: float,
    out: list[float],
    errors: list[int],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        n = 0
        while time.monotonic() < stop:
            begin = time.perf_counter()
            status = client.post("/v1/consultations", json=cases[n % len(cases)]).status_code
            out.append(time.perf_counter() - begin)
            if status != 200:
                errors.append(status)
            n += 1


def run(workers: int, clients: int, seconds: float) -> dict[str, Any]:
    cases = generate_cases(500, seed=21)
    with tempfile.TemporaryDirectory() as folder:
        server, base, token = _start(Path(folder), workers)
        try:
            for case in cases[:20]:  # warm every worker's engine
                httpx.post(
                    f"{base}/v1/consultations",
                    json=case,
                    timeout=60,
                    headers={"Authorization": f"Bearer {token}"},
                )
            latencies: list[float] = []
            errors: list[int] = []
            stop = time.monotonic() + seconds
            threads = [
                threading.Thread(target=_client, args=(base, token, cases, stop, latencies, errors))
                for _ in range(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            server.terminate()
            server.wait(30)
    ordered = sorted(latencies)

    def pct(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

    return {
        "workers": workers,
        "clients": clients,
        "requests": len(ordered),
        "per_second": round(len(ordered) / seconds, 1),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = [run(w, args.clients, args.seconds) for w in (1, 2)]
    if args.json:
        print(json.dumps(found, indent=2))
        return
    for f in found:
        print(
            f"{f['workers']} worker(s), {f['clients']} clients: {f['per_second']}/s "
            f"({f['requests']} in {args.seconds:g} s), p50 {f['p50_ms']} ms, "
            f"p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms, errors {f['errors']}"
        )


if __name__ == "__main__":
    main()
