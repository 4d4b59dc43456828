"""The closing back-test: are deals won more often with one advised technique than another?

A batch results file is joined with an outcomes file (``join``: by consultation, else the
customer's last closing row). A row is a closing consultation when the results name its top
technique (``top_technique``, the one rule CL-120 selects) and the knowledge base knows it: that
is what is measured, so a consultation that advised none cannot be placed. A deal is decided by
its LATEST outcome (observation date, then file order): a deal lost and later revived was won,
one won and then cancelled was lost.

By technique: the win rate with its Wilson interval (small groups flagged) and the technique's
share of the value of all deals won. Every technique the knowledge base lists is given, the
ones never advised with n = 0, so that a missing technique shows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.backtest import metrics
from engine.backtest.join import Cells, Spec, interval, join, rate_row, ratio
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


def backtest(results: Path, outcomes: Path, lang: str = "en") -> dict[str, Any]:
    """The closing back-test of a batch results file against an outcomes file."""
    joined = join(results, outcomes, SPEC, lang)
    deals = [deal(cells, told) for cells, told in joined.linked()]
    return figures(deals) | joined.counts()
