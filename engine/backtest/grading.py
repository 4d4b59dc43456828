"""The grading back-test: do better-graded customers really buy again, and bring the revenue?

The graded customers come from a batch results file joined with an outcomes file (``join``: by
consultation, else the customer's last graded row), or from the audit store (``store_modules``:
recorded consultations and the outcomes recorded on them, a correction replacing what it
corrects); either way ``measure`` turns each into a ``Customer`` by its ``purchases``
outcomes: it REPEATED if any of them says so, and its revenue is their sum (two periods
observed are two periods of purchases, not a correction of one another).

The grade is the value tier (``value_tier``, best first as the knowledge base lists it). Its
AUC is that of the tier's rank as a score of "no repeat purchase" (the bad event): 1 when every
customer who did not buy again was graded below every one who did, 0.5 for a grade that says
nothing. A tier has three values, so ties are many; they count half (``metrics.auc``). The
service tier's AUC is given as well (``auc_by``) when every joined row has one. By tier: the
repeat rate with its Wilson interval (small groups flagged), the tier's share of the revenue of
all joined customers and its mean revenue per customer (non-repeaters count, with 0).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.backtest import metrics
from engine.backtest.join import (
    Cells,
    Linked,
    Spec,
    book_source,
    interval,
    join,
    rate_row,
    ratio,
)
from engine.outcomes.model import Outcome
from knowledge_base import load_knowledge

TIER = "value_tier"
RANKED = (TIER, "service_tier")
"""The grades whose order is measured (``auc_by``); the first is the tier of the figures."""


@functools.cache
def order(topic: str) -> tuple[str, ...]:
    """A grade's values, best first, as the knowledge base lists them (read once: it is asked
    for every row of the results)."""
    return tuple(load_knowledge().topics[topic].value_ids())


def _graded(cells: Cells) -> bool:
    return cells.get(TIER, "") in order(TIER)


SPEC = Spec("grading", (TIER,), _graded, RANKED)


@dataclass(frozen=True)
class Customer:
    """One graded customer with an outcome: its grades and what it bought afterwards."""

    grades: dict[str, str]
    repeat: bool
    revenue: float


def customer(cells: Cells, told: list[Outcome]) -> Customer:
    """The customer of a results row from its outcomes (see the module docstring)."""
    grades = {topic: cells.get(topic, "") for topic in RANKED}
    repeat = any(bool(o.repeat_purchase) for o in told)
    return Customer(grades, repeat, float(sum(o.revenue or 0.0 for o in told)))


def ranks(customers: list[Customer]) -> dict[str, list[float]]:
    """Each grade as a score (its rank, 0 = best), for the grades every customer has."""
    out: dict[str, list[float]] = {}
    for topic in RANKED:
        values = order(topic)
        if all(c.grades[topic] in values for c in customers):
            out[topic] = [float(values.index(c.grades[topic])) for c in customers]
    return out


def _tier_revenue(tier: str, customers: list[Customer], total: float) -> dict[str, Any]:
    revenue = [c.revenue for c in customers if c.grades[TIER] == tier]
    return {
        "revenue": float(sum(revenue)),
        "revenue_share": ratio(sum(revenue), total),
        "mean_revenue": ratio(sum(revenue), len(revenue)),
    }


def figures(customers: list[Customer]) -> dict[str, Any]:
    """The grading figures of the joined customers (the JSON of the back-test)."""
    repeats = [c.repeat for c in customers]
    no_repeat = [not r for r in repeats]
    scored = ranks(customers)
    area = metrics.auc(scored[TIER], no_repeat)
    area_ci = metrics.bootstrap_auc(scored[TIER], no_repeat)
    total = float(sum(c.revenue for c in customers))
    table = metrics.rates([c.grades[TIER] for c in customers], repeats, order(TIER))
    return {
        "module": "grading",
        "n": len(customers),
        "repeat": sum(repeats),
        "repeat_rate": ratio(sum(repeats), len(customers)),
        "ci": interval(sum(repeats), len(customers)),
        "tier": TIER,
        "auc": area,
        "auc_ci": list(area_ci) if area_ci else None,
        "gini": metrics.gini(area),
        "auc_by": {topic: metrics.auc(scores, no_repeat) for topic, scores in scored.items()},
        "revenue": total,
        "by_tier": [
            rate_row(r, "tier", "repeat", "repeat_rate") | _tier_revenue(r.name, customers, total)
            for r in table
        ],
        "small_group": metrics.SMALL_GROUP,
    }


def measure(linked: Iterable[Linked], columns: Sequence[str] = ()) -> dict[str, Any]:
    """The figures of the graded customers with outcomes, whichever source linked them
    (``columns``, the results' columns, are not needed: both grades are always read)."""
    return figures([customer(cells, told) for cells, told in linked])


def backtest(results: Path, outcomes: Path, lang: str = "en") -> dict[str, Any]:
    """The grading back-test of a batch results file against an outcomes file."""
    joined = join(results, outcomes, SPEC, lang)
    measured = measure(joined.linked(), joined.columns)
    return measured | joined.counts() | {"source": book_source(results, outcomes)}
