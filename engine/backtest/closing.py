"""The closing back-test: are deals won more often with one advised technique than another?

The deals come from a batch results file joined with an outcomes file (``join``: by
consultation, else the customer's last closing row), or from the audit store
(``store_modules``, which reads each consultation as the batch writes its results row). A row
is a closing consultation when the results name its top technique (``top_technique``, the one
rule CL-120 selects) and the knowledge base knows it: that is what is measured, so a
consultation that advised none cannot be placed. ``measure`` decides a deal by its LATEST
outcome (observation date, then file order, or recording order in the store): a deal lost and
later revived was won, one won and then cancelled was lost. (In the store, an outcome a
correction replaced does not count at all: a correction says the first record was wrong, a
later outcome that something happened later.)

By technique: the win rate with its Wilson interval (small groups flagged) and the technique's
share of the value of all deals won. Every technique the knowledge base lists is given, the
ones never advised with n = 0, so that a missing technique shows.
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

TECHNIQUE = "top_technique"


@functools.cache
def techniques() -> tuple[str, ...]:
    """The techniques as the knowledge base lists them."""
    return tuple(load_knowledge().topics[TECHNIQUE].value_ids())


def _closing(cells: Cells) -> bool:
    return cells.get(TECHNIQUE, "") in techniques()


SPEC = Spec("closing", (TECHNIQUE,), _closing, (TECHNIQUE,))


@dataclass(frozen=True)
class Deal:
    """One deal with an outcome: the technique advised, whether it was won and for how much."""

    technique: str
    won: bool
    value: float
    """The value won (0 for a lost deal)."""


def deal(cells: Cells, told: list[Outcome]) -> Deal:
    """The deal of a results row, decided by its latest outcome (see the module docstring)."""
    last = sorted(told, key=lambda o: o.observed_at)[-1]  # stable: file order on a tie
    won = last.outcome == "won"
    return Deal(cells[TECHNIQUE], won, (last.deal_value or 0.0) if won else 0.0)


def figures(deals: list[Deal]) -> dict[str, Any]:
    """The closing figures of the joined deals (the JSON of the back-test)."""
    wins = [d.won for d in deals]
    total = float(sum(d.value for d in deals))
    table = metrics.rates([d.technique for d in deals], wins, techniques())
    rows = []
    for rate in table:
        value = float(sum(d.value for d in deals if d.technique == rate.name))
        shares = {"won_value": value, "won_value_share": ratio(value, total)}
        rows.append(rate_row(rate, "technique", "won", "win_rate") | shares)
    return {
        "module": "closing",
        "n": len(deals),
        "won": sum(wins),
        "win_rate": ratio(sum(wins), len(deals)),
        "ci": interval(sum(wins), len(deals)),
        "won_value": total,
        "by_technique": rows,
        "small_group": metrics.SMALL_GROUP,
    }


def measure(linked: Iterable[Linked], columns: Sequence[str] = ()) -> dict[str, Any]:
    """The figures of the deals with outcomes, whichever source linked them (``columns`` is
    not needed: the technique is the one column read)."""
    return figures([deal(cells, told) for cells, told in linked])


def backtest(results: Path, outcomes: Path, lang: str = "en") -> dict[str, Any]:
    """The closing back-test of a batch results file against an outcomes file."""
    joined = join(results, outcomes, SPEC, lang)
    measured = measure(joined.linked(), joined.columns)
    return measured | joined.counts() | {"source": book_source(results, outcomes)}
