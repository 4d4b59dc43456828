"""Fixtures of the back-test tests: the audit tests' stores (SQLite file and a real PostgreSQL
server, each test with its own keyring), the outcome tests' clock, and a generated credit book
(``tests/books.py``) consulted once per session and recorded into a store with known outcomes.

What a test recorded is kept beside it (``Truth``), from the engine's results and the outcomes
the test chose, never read back from the store: the figures are checked against it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from engine.audit.store import AuditStore
from engine.outcomes.model import Outcome
from engine.outcomes.records import Settled
from engine.result import Result
from engine.shared import default_engine
from knowledge_base.facts import Case
from tests.audit.conftest import audit_key_file, audit_url, credit_engine, postgres_server, store
from tests.books import generate_book
from tests.outcomes.conftest import MANAGER, Clock, clock

__all__ = [  # fixtures, re-used
    "audit_key_file",
    "audit_url",
    "clock",
    "credit_engine",
    "postgres_server",
    "store",
]

BOOK_ROWS, BOOK_SEED = 150, 30
DAYS = ("2025-01-10", "2025-02-10", "2025-03-10")
CHANNELS = ("batch", "api")
OBSERVED = "2025-06-30"
LATE_BAD = 91  # one day past the 90 of the definition
LATE_GOOD = 90
DECISION = "credit_decision"


@dataclass
class Truth:
    """One recorded consultation as the test knows it (``index``: its row in the input)."""

    index: int
    record_id: int
    decision: str | None
    level: str | None
    score: float | None
    rules: frozenset[str]
    day: str
    channel: str
    version: str
    bad: bool | None = None  # None: no outcome counts
    outcomes: list[int] = field(default_factory=list)


@functools.cache
def consulted_book() -> tuple[tuple[Result, Case, bool], ...]:
    """The generated book through the shipped engine (once per session), with each customer's
    true outcome."""
    engine = default_engine()
    return tuple(
        (engine.consult(row.case, what_if=False), Case.model_validate(row.case), row.bad)
        for row in generate_book(BOOK_ROWS, seed=BOOK_SEED)
    )


def outcome(consultation: int, kind: str, **fields: Any) -> Outcome:
    data = {"consultation_id": consultation, "module": "credit", "outcome": kind}
    return Outcome.model_validate(data | {"observed_at": OBSERVED} | fields)


def told(index: int, bad: bool) -> tuple[str, dict[str, Any]]:
    """The outcome a customer is given: every kind, and delays either side of 90 days."""
    bads: list[tuple[str, dict[str, Any]]] = [
        ("defaulted", {}),
        ("written_off", {"amount_lost": 900.0}),
        ("paid_late", {"days_late": LATE_BAD}),
    ]
    goods: list[tuple[str, dict[str, Any]]] = [
        ("paid_on_time", {}),
        ("paid_late", {"days_late": LATE_GOOD}),
        ("paid_late", {"days_late": 5}),
    ]
    return (bads if bad else goods)[index % 3]


def settle(store: AuditStore, *outcomes: Outcome) -> list[int]:
    settled: list[Settled] = store.record_outcomes(list(outcomes), MANAGER)
    ids = [s.record_id for s in settled]
    assert all(i is not None for i in ids), [s.problems for s in settled]
    return [i for i in ids if i is not None]


def record_consultations(
    store: AuditStore, clock: Clock, rows: list[tuple[Result, Case]], compiled: Any
) -> list[Truth]:
    """Each consultation on its day (``DAYS`` in turn) through its channel (``CHANNELS`` in
    turn), one ``record_consultations`` call per (day, channel) so ids follow that order."""
    found: list[Truth] = []
    for day_index, day in enumerate(DAYS):
        for channel_index, channel in enumerate(CHANNELS):
            picked = [
                (i, r, c)
                for i, (r, c) in enumerate(rows)
                if i % len(DAYS) == day_index and i % len(CHANNELS) == channel_index
            ]
            if not picked:
                continue
            clock.at(day)
            pairs = [(r, c) for _, r, c in picked]
            stored = store.record_consultations(pairs, compiled, "rita", "rep", channel)
            for (index, result, _), row in zip(picked, stored, strict=True):
                found.append(truth(index, row["id"], result, day, channel))
    return found


def truth(index: int, record_id: int, result: Result, day: str, channel: str) -> Truth:
    score, level, decision = (result.value(t) for t in ("risk_score", "risk_level", DECISION))
    return Truth(
        index,
        record_id,
        None if decision is None else str(decision),
        None if level is None else str(level),
        None if score is None else float(str(score)),
        frozenset(step.rule for step in result.trace),
        day,
        channel,
        result.ruleset_version,
    )


def pair_auc(scores: list[float], bads: list[bool]) -> float | None:
    """Every (bad, good) pair: 1 when the bad scores above, 1/2 on a tie; None without pairs."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    if not bad or not good:
        return None
    won = sum(1.0 if s > t else 0.5 if s == t else 0.0 for s in bad for t in good)
    return won / (len(bad) * len(good))


def cdf_ks(scores: list[float], bads: list[bool]) -> float | None:
    """The distance of the bad and good customers' score CDFs, at every score."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    if not bad or not good:
        return None
    return max(
        abs(sum(x <= t for x in bad) / len(bad) - sum(x <= t for x in good) / len(good))
        for t in set(scores)
    )


def counted(truths: list[Truth], key: str) -> dict[str, tuple[int, int]]:
    """(customers, bad ones) by decision or by risk level, of those with an outcome."""
    found: dict[str, tuple[int, int]] = {}
    for t in truths:
        if t.bad is None:
            continue
        name = str(getattr(t, key))
        n, bad = found.get(name, (0, 0))
        found[name] = (n + 1, bad + int(t.bad))
    return found
