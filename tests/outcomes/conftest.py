"""Fixtures of the outcome tests: the audit tests' stores (an empty database on SQLite and on a
real PostgreSQL server, each test with its own keyring), a clock that sets when records are
recorded, and consultations of given modules for given customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import engine.audit.store as store_module
from engine import consult
from engine.audit.store import AuditStore
from engine.intake import read_case_file
from engine.outcomes.records import Who
from tests.audit.conftest import audit_key_file, audit_url, postgres_server, store
from tests.conftest import REPO, customer

__all__ = ["audit_key_file", "audit_url", "postgres_server", "store"]  # fixtures, re-used

EXAMPLES = REPO / "examples"
MODULE_EXAMPLES = {
    "credit": "credit-approve.yaml",
    "collection": "collection-legal-recovery.yaml",
    "closing": "closing-ready-buyer.yaml",
}
"""An example case whose consultation concludes the module (and grading); grading alone is a
customer section only."""
MANAGER = Who("mona", "manager", "cli")


@dataclass
class Clock:
    """The time the next records are recorded at (UTC, the stored form)."""

    now: str = "2025-01-10T09:00:00.000000Z"

    def at(self, day: str, time: str = "09:00:00") -> Clock:
        self.now = f"{day}T{time}.000000Z"
        return self


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock()
    monkeypatch.setattr(store_module, "utc_now", lambda: found.now)
    return found


def case_for(module: str, customer_id: str) -> dict[str, Any]:
    """A case concluding ``module`` (and grading) for ``customer_id``."""
    if module == "grading":
        return {"customer": customer(id=customer_id)}
    case = read_case_file(EXAMPLES / MODULE_EXAMPLES[module])
    case["customer"]["id"] = customer_id
    return case


def consulted(store: AuditStore, module: str, customer_id: str = "C-1") -> int:
    """Consult a case of ``module`` into ``store``; the consultation's record id."""
    result = consult(case_for(module, customer_id), store=store, actor="rita", role="rep")
    assert result.audit_id is not None
    return result.audit_id
