"""The credit score cut-off for a target approval rate or a target bad rate.

The line moved is the high risk score threshold: below it a customer's risk allows approval
(with conditions at medium risk), from it the decision is at best refer. The very high
threshold (decline) stays where it is; the medium threshold moves only when the new high line
falls below it, to keep the bands in order.

Approval under a cut-off ``c`` is worked out, not guessed from the scores alone: a customer is
approved when its score is below ``c`` AND no other aspect holds it back (a bad debt, missing
information, an adverse report, serious delinquency, a collection freeze: CR-102..106, CR-164).
Whether another aspect holds it back does not depend on the risk cut-offs, so it is read

* from the results for a score below today's high threshold (its decision is exactly that);
* by re-running the case from the input book under an overlay that empties today's refer band
  (high = very high) for a score between the two: only those rows are re-run, and only when the
  target may need a cut-off above today's;
* as never approved from the very high threshold up (the cut-off never passes it).

The approval rate is over the book's credit consultations (``n``); the bad rate is over the
approved ones that have an outcome. For a target approval rate the cut-off whose rate is
closest is proposed (the lower one on a tie: the more prudent); for a target bad rate, the
cut-off with the largest approval rate whose bad rate is at most the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from engine.batch.mapping import row_to_case
from engine.calibrate.apply import engine_with
from engine.calibrate.book import read_book, refuse
from engine.calibrate.overlay import (
    Proposal,
    at_precision,
    clamped,
    decimals,
    percent,
    with_unit,
)
from engine.calibrate.results import APPROVALS, HIGH, MEDIUM, VERY_HIGH, Consulted
from engine.core import Engine
from engine.errors import InputError
from engine.intake import parse_case
from knowledge_base import Knowledge, Parameter, Text


@dataclass(frozen=True)
class Point:
    """What one cut-off gives on the book."""

    cut: float
    n: int
    approved: int
    with_outcome: int
    bad: int

    @property
    def approval_rate(self) -> float:
        return self.approved / self.n if self.n else 0.0

    @property
    def bad_rate(self) -> float | None:
        return self.bad / self.with_outcome if self.with_outcome else None

    def figures(self, prefix: str = "") -> dict[str, Any]:
        rate = self.bad_rate
        return {
            f"{prefix}approved": self.approved,
            f"{prefix}approval_rate": round(self.approval_rate, 6),
            f"{prefix}approved_with_outcome": self.with_outcome,
            f"{prefix}bad": self.bad,
            f"{prefix}bad_rate": None if rate is None else round(rate, 6),
        }


def free_flags(
    consulted: list[Consulted], book: Path, kb: Knowledge, rerun: bool, lang: str
) -> int:
    """Set ``free`` on every consultation; with ``rerun``, re-run those in today's refer band
    from the book (else they stay unknown and no cut-off above today's is considered). The
    number re-run. A row whose case is not in the book, or whose re-run gives another risk score
    than the results, means the results are not this book's: exit 2."""
    high, very_high = kb.param(HIGH), kb.param(VERY_HIGH)
    band: dict[int, Consulted] = {}
    for c in consulted:
        if c.score is None or c.score < high:
            c.free = c.approved
        elif c.score >= very_high:
            c.free = False
        else:
            band[c.row] = c
    if not rerun or not band:
        return 0
    count, engine = len(band), engine_with({HIGH: very_high})
    for number, row in read_book(book):
        if number in band:
            found = band.pop(number)
            found.free = _rerun(engine, row, found, book, lang)
    if band:
        raise refuse("--results", "results_mismatch", lang, row=min(band), path=str(book))
    return count


def _rerun(engine: Engine, row: dict[str, Any], c: Consulted, book: Path, lang: str) -> bool:
    """Approved under the overlay? The row must be the results' row: same customer and score."""
    mismatch = refuse("--results", "results_mismatch", lang, row=c.row, path=str(book))
    given = str(row.get("customer.id") or "").strip()
    if c.customer_id and given and given != c.customer_id:
        raise mismatch
    try:
        case = parse_case(row_to_case(row), lang)
    except InputError as exc:  # the batch consulted it: another book's row
        raise mismatch from exc
    got = engine.infer(case, trace=False).one_valued
    score = got.get("risk_score")
    if score is None or float(score.value) != c.score:
        raise mismatch
    decision = got.get("credit_decision")
    return decision is not None and decision.value in APPROVALS


def ceiling_at(parameter: Parameter, score: float) -> int | float:
    """The smallest value at the parameter's precision that is not below ``score``: as a
    ``≥`` cut-off it refuses exactly the scores from ``score`` up."""
    scale = 10 ** decimals(parameter)
    return at_precision(parameter, math.ceil(round(score * scale, 6)) / scale)


def candidates(consulted: list[Consulted], parameter: Parameter, top: float) -> list[float]:
    """Every cut-off that gives another set of approvals, up to ``top``, inside the range."""
    cuts = {float(ceiling_at(parameter, c.score)) for c in consulted if c.score is not None}
    cuts.add(top)
    return sorted({float(clamped(parameter, cut)[0]) for cut in cuts if cut <= top})


def curve(consulted: list[Consulted], cuts: list[float]) -> list[Point]:
    """Approvals and bad customers among them at each cut-off (increasing), in one pass."""
    scored = sorted((c for c in consulted if c.score is not None), key=lambda c: c.score or 0.0)
    fixed = [c for c in consulted if c.score is None and c.approved]
    approved = len(fixed)
    known = sum(1 for c in fixed if c.bad is not None)
    bad = sum(1 for c in fixed if c.bad)
    points, at = [], 0
    for cut in cuts:
        while at < len(scored) and (scored[at].score or 0.0) < cut:
            c, at = scored[at], at + 1
            if c.free:
                approved, known, bad = approved + 1, known + (c.bad is not None), bad + bool(c.bad)
        points.append(Point(cut, len(consulted), approved, known, bad))
    return points


def for_approval(points: list[Point], target: float) -> Point:
    """The cut-off whose approval rate is closest to ``target`` (the lower on a tie)."""
    return min(points, key=lambda p: (abs(p.approved - target * p.n), p.cut))


def for_bad_rate(points: list[Point], target: float) -> Point | None:
    """The largest approval rate whose bad rate is at most ``target`` (the lower cut-off on a
    tie); None when no cut-off with an approved outcome keeps it."""
    kept = [p for p in points if p.bad_rate is not None and p.bad_rate <= target]
    return max(kept, key=lambda p: (p.approved, -p.cut)) if kept else None


Kind = Literal["approval_rate", "bad_rate"]


@dataclass(frozen=True)
class Target:
    """What the cut-off should achieve: an approval rate, or a bad rate among the approved."""

    kind: Kind
    value: float


def choose(points: list[Point], target: Target) -> Point | None:
    """The cut-off meeting the target (see the module docstring); None: none keeps it."""
    if target.kind == "approval_rate":
        return for_approval(points, target.value)
    return for_bad_rate(points, target.value)


def propose_credit(
    consulted: list[Consulted], book: Path, kb: Knowledge, target: Target, lang: str
) -> dict[str, Proposal]:
    """The high risk score threshold for ``target`` (and the medium one if it must follow)."""
    high_p = kb.parameters[HIGH]
    n = len(consulted)
    widen = target.kind == "bad_rate" or sum(c.approved for c in consulted) < target.value * n
    reran = free_flags(consulted, book, kb, widen, lang)
    current = curve(consulted, [high_p.value])[0]
    top = kb.param(VERY_HIGH) if widen else high_p.value
    points = curve(consulted, candidates(consulted, high_p, top))
    chosen = choose(points, target)
    if chosen is None:
        raise _unreachable(points, target, lang)
    value = at_precision(high_p, chosen.cut)
    figures: dict[str, Any] = {f"target_{target.kind}": target.value, "n": n, "reran": reran}
    figures |= chosen.figures() | current.figures("current_")
    short = chosen.approved < target.value * n - 0.5 and chosen.cut >= kb.param(VERY_HIGH)
    figures["out_of_reach"] = target.kind == "approval_rate" and short
    reason = Text(**{lang: _reason(kb, figures, value, lang) for lang in ("en", "zh")})
    out = {
        HIGH: Proposal(
            value=value,
            current=at_precision(high_p, high_p.value),
            reason=reason,
            figures=figures,
        )
    }
    if value < kb.param(MEDIUM):
        out[MEDIUM] = _medium(kb, value)
    return out


def _unreachable(points: list[Point], target: Target, lang: str) -> Exception:
    rated = [p for p in points if p.bad_rate is not None]
    best = min(rated, key=lambda p: (p.bad_rate or 0.0, -p.approved)) if rated else None
    values = {
        "value": f"{target.value:g}",
        "lowest": percent(best.bad_rate if best else None, lang),
        "approved": best.approved if best else 0,
    }
    return refuse("--target-bad-rate", "unreachable_bad_rate", lang, **values)


def _reason(kb: Knowledge, figures: dict[str, Any], value: float, lang: str) -> str:
    """The justification in one language: the rates the cut-off gives, then today's."""
    high_p, very_high_p = kb.parameters[HIGH], kb.parameters[VERY_HIGH]
    kind = "approval_rate" if "target_approval_rate" in figures else "bad_rate"
    values = {
        "target": percent(figures[f"target_{kind}"], lang),
        "approved": f"{figures['approved']:,}",
        "n": f"{figures['n']:,}",
        "rate": percent(figures["approval_rate"], lang),
        "proposed": with_unit(high_p, value, kb, lang),
        "bad_rate": percent(figures["bad_rate"], lang),
        "bad": f"{figures['bad']:,}",
        "known": f"{figures['approved_with_outcome']:,}",
        "current": with_unit(high_p, high_p.value, kb, lang),
        "current_rate": percent(figures["current_approval_rate"], lang),
        "current_bad_rate": percent(figures["current_bad_rate"], lang),
    }
    outcome = "bad_known" if figures["approved_with_outcome"] else "bad_unknown"
    current = "current_bad" if figures["current_bad_rate"] is not None else "current"
    text = kb.text(f"calibrate.credit.reason_{kind}", lang, **values)
    text += kb.text(f"calibrate.credit.{outcome}", lang, **values)
    text += kb.text(f"calibrate.credit.{current}", lang, **values)
    if figures["reran"]:
        text += kb.text("calibrate.credit.reran", lang, reran=f"{figures['reran']:,}")
    if figures["out_of_reach"]:
        label = very_high_p.label.get(lang)
        shown = with_unit(very_high_p, very_high_p.value, kb, lang)
        text += kb.text("calibrate.credit.out_of_reach", lang, label=label, value=shown)
    return text


def _medium(kb: Knowledge, value: int | float) -> Proposal:
    """The medium threshold lowered to the new high one: the bands stay in order (CR-050..052
    would otherwise both claim the scores between them)."""
    medium_p, high_p = kb.parameters[MEDIUM], kb.parameters[HIGH]
    lowered = at_precision(medium_p, value)
    reason = {
        lang: kb.text(
            "calibrate.credit.medium",
            lang,
            label=high_p.label.get(lang),
            value=with_unit(medium_p, lowered, kb, lang),
        )
        for lang in ("en", "zh")
    }
    figures = {"follows": HIGH, "value_of_follows": value}
    return Proposal(
        value=lowered,
        current=at_precision(medium_p, medium_p.value),
        reason=Text(**reason),
        figures=figures,
    )
