"""Back-test measures of a credit policy on a book with known outcomes (the AUC is the
product's own, ``engine.backtest.metrics``).

The bad rate by decision and by risk level says whether the policy's grades mean anything;
the AUC of the risk score says how well it ranks; the "three-question rule of thumb" is the
baseline any policy must beat, or its extra inputs and rules earn nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.backtest import metrics


@dataclass(frozen=True)
class Assessed:
    """What the policy concluded for one customer of the book, and what really happened."""

    decision: str
    risk_level: str
    risk_score: float
    thumb: int
    bad: bool


@dataclass(frozen=True)
class Group:
    name: str
    n: int
    share: float
    bad_rate: float | None  # None when the group is empty


def rule_of_thumb(credit: Mapping[str, Any]) -> int:
    """Count of three yes/no questions a clerk asks without any system, missing = no:
    anything overdue now, any delay over 60 days in the record, debt ratio over 70 %."""
    overdue_now = credit.get("current_days_overdue", 0) > 0 or credit.get("overdue_amount", 0) > 0
    long_delay = (credit.get("longest_days_overdue") or 0) > 60 or any(
        (credit.get(f"late_24m_{bucket}") or 0) > 0 for bucket in ("61_90", "over_90")
    )
    leveraged = (credit.get("debt_ratio_pct") or 0) > 70
    return int(overdue_now) + int(long_delay) + int(leveraged)


def auc(scores: Sequence[float], bads: Sequence[bool]) -> float:
    """The product's own AUC (``engine.backtest.metrics``, checked there against pair counting);
    a book without both bad and good customers is a broken test book."""
    found = metrics.auc(scores, bads)
    if found is None:
        raise ValueError("AUC needs both bad and good customers")
    return found


def groups(keys: Sequence[str], bads: Sequence[bool], order: Sequence[str]) -> list[Group]:
    """n, share of the book and bad rate of each value of ``order`` (all of them, empty ones
    too, so that a decision the policy never makes shows up)."""
    out = []
    for name in order:
        members = [bad for key, bad in zip(keys, bads, strict=True) if key == name]
        rate = sum(members) / len(members) if members else None
        out.append(Group(name, len(members), len(members) / max(1, len(keys)), rate))
    return out


def by_decision(rows: Sequence[Assessed], order: Sequence[str]) -> list[Group]:
    return groups([r.decision for r in rows], [r.bad for r in rows], order)


def by_risk_level(rows: Sequence[Assessed], order: Sequence[str]) -> list[Group]:
    return groups([r.risk_level for r in rows], [r.bad for r in rows], order)


def score_auc(rows: Sequence[Assessed]) -> float:
    return auc([r.risk_score for r in rows], [r.bad for r in rows])


def thumb_auc(rows: Sequence[Assessed]) -> float:
    return auc([float(r.thumb) for r in rows], [r.bad for r in rows])


def _lines(title: str, table: list[Group]) -> list[str]:
    out = [f"{title:<26}{'n':>8}{'share':>8}{'bad rate':>10}"]
    for g in table:
        rate = "-" if g.bad_rate is None else f"{100 * g.bad_rate:.1f} %"
        out.append(f"  {g.name:<24}{g.n:>8}{100 * g.share:>7.1f}%{rate:>10}")
    return out


def report(rows: Sequence[Assessed], decisions: Sequence[str], levels: Sequence[str]) -> str:
    """The back-test table, as the benchmark prints it and the test shows it on failure."""
    bad = sum(r.bad for r in rows) / max(1, len(rows))
    lines = [f"{len(rows)} customers, bad rate {100 * bad:.1f} %"]
    lines += _lines("decision", by_decision(rows, decisions))
    lines += _lines("risk level", by_risk_level(rows, levels))
    lines.append(f"AUC risk_score {score_auc(rows):.3f}   rule of thumb {thumb_auc(rows):.3f}")
    return "\n".join(lines)
