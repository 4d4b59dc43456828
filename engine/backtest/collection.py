"""The collection back-test: how much of the overdue money came back, by debtor type and means.

The debts come from a batch results file joined with an outcomes file (``join``: by
consultation, else the customer's last collection row), or from the audit store
(``store_modules``, which reads each consultation as the batch writes its results row, the
overdue amount included). A row is a collection consultation when the results show a debtor
type or a collection means. ``measure`` combines its outcomes: the amounts recovered add up (a
debt is often repaid in parts), the days to recover are the longest (the debt was recovered
when its last part came), and ``legal`` / ``written_off`` count if any outcome says so.

Recovery rate: amount recovered / amount overdue. The overdue amount is an INPUT of the
consultation (the case's ``collection.overdue_amount``), which a batch repeats in its results
column ``overdue_amount``; a results file without it (written before that column existed) may
have the book's column pasted next to it as ``collection.overdue_amount``. Without either, the
amount recovery rate is None and only the share of debts with a recovery (Wilson interval, small
groups flagged) speaks. Rows without an overdue amount count in neither side of the rate.

Groups: the primary debtor type the results report (strongest first; None when no type was
recognised), the top collection means advised, and the escalation level or collection
strategy when the results have such a column (a batch does not write them today).
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.backtest import metrics
from engine.backtest.join import (
    Cells,
    Linked,
    Spec,
    amount,
    book_source,
    interval,
    join,
    rate_row,
    ratio,
    top,
)
from engine.outcomes.model import Outcome
from knowledge_base import load_knowledge

GROUPS = (
    ("debtor_type", "primary_debtor_type"),
    ("collection_means", "collection_means"),
    ("escalation_level", "escalation_level"),
    ("collection_strategy", "collection_strategy"),
)
"""(figure key, results column, which is also the topic of its values): ``by_<key>``."""
GROUPS_TOPIC = dict(GROUPS)
MARKS = ("primary_debtor_type", "debtor_type", "collection_means")
OVERDUE_COLUMNS = ("collection.overdue_amount", "overdue_amount")
"""Where the overdue amount may be found in the results, first found first."""


def _collected(cells: Cells) -> bool:
    return any(cells.get(name) for name in MARKS)


SPEC = Spec(
    "collection",
    ("primary_debtor_type",),
    _collected,
    (*MARKS, *GROUPS_TOPIC.values(), *OVERDUE_COLUMNS),
)


@functools.cache
def order(topic: str) -> tuple[str, ...]:
    """A group's values as the knowledge base lists them, then "" (no value in the results)."""
    return (*load_knowledge().topics[topic].value_ids(), "")


@dataclass(frozen=True)
class Debt:
    """One overdue account with an outcome: how it was grouped and what came back."""

    groups: dict[str, str]
    overdue: float | None
    recovered: bool
    amount_recovered: float
    days: int | None
    legal: bool
    written_off: bool


def debt(cells: Cells, told: list[Outcome], overdue_column: str | None) -> Debt:
    """The debt of a results row from its outcomes (see the module docstring)."""
    recovered = [o for o in told if o.outcome == "recovered"]
    days = [o.days_to_recover for o in recovered if o.days_to_recover is not None]
    return Debt(
        groups={key: top(cells.get(column, "")) for key, column in GROUPS},
        overdue=amount(cells.get(overdue_column, "")) if overdue_column else None,
        recovered=bool(recovered),
        amount_recovered=float(sum(o.amount_recovered or 0.0 for o in recovered)),
        days=max(days) if days else None,
        legal=any(o.outcome == "legal" for o in told),
        written_off=any(o.outcome == "written_off" for o in told),
    )


def amounts(debts: list[Debt]) -> dict[str, Any]:
    """Money and time of a group of debts: what was overdue, what came back and how fast."""
    known = [d for d in debts if d.overdue is not None]
    overdue = float(sum(d.overdue or 0.0 for d in known))
    days = [d.days for d in debts if d.days is not None]
    return {
        "amount_overdue": overdue if known else None,
        "amount_recovered": float(sum(d.amount_recovered for d in debts)),
        "recovery_rate": ratio(sum(d.amount_recovered for d in known), overdue),
        "mean_days_to_recover": statistics.fmean(days) if days else None,
        "legal": sum(d.legal for d in debts),
        "written_off": sum(d.written_off for d in debts),
    }


def by_group(debts: list[Debt], key: str) -> list[dict[str, Any]]:
    """Each value of a group: every value the knowledge base lists, and None when some row
    had no value."""
    keys = [d.groups[key] for d in debts]
    table = metrics.rates(keys, [d.recovered for d in debts], order(GROUPS_TOPIC[key]))
    return [
        rate_row(r, key, "recovered", "recovered_share")
        | amounts([d for d in debts if d.groups[key] == r.name])
        for r in table
        if r.name or r.n
    ]


def figures(
    debts: list[Debt], columns: Sequence[str], overdue_column: str | None
) -> dict[str, Any]:
    """The collection figures of the joined debts (the JSON of the back-test)."""
    recovered = sum(d.recovered for d in debts)
    out: dict[str, Any] = {
        "module": "collection",
        "n": len(debts),
        "recovered": recovered,
        "recovered_share": ratio(recovered, len(debts)),
        "ci": interval(recovered, len(debts)),
        "overdue_column": overdue_column,
    }
    out |= amounts(debts)
    for key, column in GROUPS:
        if column in columns:
            out[f"by_{key}"] = by_group(debts, key)
    return out | {"small_group": metrics.SMALL_GROUP}


def measure(linked: Iterable[Linked], columns: Sequence[str]) -> dict[str, Any]:
    """The figures of the debts with outcomes, whichever source linked them; ``columns`` (the
    results' columns) say where the overdue amount is and which groups there are."""
    overdue_column = next((c for c in OVERDUE_COLUMNS if c in columns), None)
    debts = [debt(cells, told, overdue_column) for cells, told in linked]
    return figures(debts, columns, overdue_column)


def backtest(results: Path, outcomes: Path, lang: str = "en") -> dict[str, Any]:
    """The collection back-test of a batch results file against an outcomes file."""
    joined = join(results, outcomes, SPEC, lang)
    measured = measure(joined.linked(), joined.columns)
    return measured | joined.counts() | {"source": book_source(results, outcomes)}
