"""The curves a credit committee looks at beside the AUC: ROC and cumulative capture.

Both are read from ``metrics.cells`` (one row per distinct score), so a book of a million
customers with a few hundred distinct scores gives a few hundred points, and a store that
aggregates by score in the database can draw them without loading a row per customer. The
riskiest scores come first: reading a curve left to right is "reject from the top down".

* ROC: for each cut-off, the share of bad customers rejected (true-positive rate) against the
  share of good ones rejected (false-positive rate). Tied scores move both at once, so the
  area under the points joined by straight lines is the AUC with ties counted half — the same
  figure as ``metrics.auc`` (the tests check it).
* Capture: the share of the book rejected against the share of all bad customers caught; the
  diagonal is a policy that knows nothing, the "perfect" line catches every bad first.

Charts need few points: ``thin`` keeps at most ``MAX_POINTS``, always the first and last.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

MAX_POINTS = 201
"""Most points a curve keeps for a chart or a download (endpoints included)."""


@dataclass(frozen=True)
class Point:
    """One cut-off: reject every customer scoring ``score`` or above."""

    score: float | None
    """None for the starting point, before any customer is rejected."""
    x: float
    y: float


def _totals(table: Sequence[tuple[float, int, int]]) -> tuple[int, int]:
    return sum(b for _, b, _ in table), sum(g for _, _, g in table)


def roc(table: Sequence[tuple[float, int, int]]) -> list[Point]:
    """(false-positive rate, true-positive rate) from the riskiest score down; empty without
    both bad and good customers."""
    positives, negatives = _totals(table)
    if not positives or not negatives:
        return []
    points, bad, good = [Point(None, 0.0, 0.0)], 0, 0
    for score, bad_here, good_here in reversed(table):
        bad, good = bad + bad_here, good + good_here
        points.append(Point(score, good / negatives, bad / positives))
    return points


def capture(table: Sequence[tuple[float, int, int]]) -> list[Point]:
    """(share of the book rejected, share of bad customers caught) from the riskiest score
    down; empty without a bad customer."""
    positives, negatives = _totals(table)
    if not positives:
        return []
    points, bad, seen = [Point(None, 0.0, 0.0)], 0, 0
    for score, bad_here, good_here in reversed(table):
        bad, seen = bad + bad_here, seen + bad_here + good_here
        points.append(Point(score, seen / (positives + negatives), bad / positives))
    return points


def area(points: Sequence[Point]) -> float | None:
    """The trapezoid area under a curve's points (for ROC, the AUC)."""
    if len(points) < 2:
        return None
    return sum((b.x - a.x) * (a.y + b.y) / 2 for a, b in itertools.pairwise(points))


def thin(points: Sequence[Point], most: int = MAX_POINTS) -> list[Point]:
    """At most ``most`` points, evenly spaced along the list, the first and last kept."""
    if len(points) <= most:
        return list(points)
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def as_rows(points: Sequence[Point]) -> list[dict[str, float | None]]:
    """JSON-ready rows (``score``, ``x``, ``y``) for the ``--json`` output and the page."""
    return [{"score": p.score, "x": p.x, "y": p.y} for p in points]
