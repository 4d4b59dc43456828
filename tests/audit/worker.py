"""A separate process consulting through the public API, recording to the configured database
(imported by spawned processes, so it must not import the test modules)."""

from __future__ import annotations

import os
import time
from typing import Any


def consult_many(url: str, worker: int, count: int, start: Any, results: Any) -> None:
    """Wait for all workers, then run ``count`` consultations; report ids and seconds taken."""
    os.environ.update(
        {
            "SALES_EXPERT_DATABASE_URL": url,
            "SALES_EXPERT_RECORD": "on",
            "SALES_EXPERT_ACTOR": f"worker-{worker}",
        }
    )
    os.environ.pop("SALES_EXPERT_CONFIG", None)
    from engine import consult, default_engine

    default_engine()  # build before the start line, so the processes really write together
    consult({"customer": _customer(worker, -1)}, record=False)
    start.wait()
    began, ids = time.perf_counter(), []
    for i in range(count):
        result = consult({"customer": _customer(worker, i)}, channel="batch")
        ids.append(result.audit_id)
    results.put((worker, ids, time.perf_counter() - began))


def _customer(worker: int, i: int) -> dict[str, Any]:
    return {
        "id": f"W{worker}-{i}",
        "name": "Concurrent Trading",
        "nature": "company",
        "relationship_years": (i % 12) / 2,
        "annual_purchases": (i * 7919) % 3_000_000,
        "purchase_frequency": i % 40,
        "days_since_last_purchase": (i * 37) % 500,
        "gross_margin_pct": (i % 50) - 10,
        "purchases_growth_pct": (i % 90) - 40,
        "complaints_last_year": i % 6,
    }
