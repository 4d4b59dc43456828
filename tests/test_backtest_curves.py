"""ROC and capture curves (``engine.backtest.curves``) against the AUC and hand counts."""

from __future__ import annotations

import random

import pytest

from engine.backtest import curves, metrics


def book(seed: int, n: int = 300) -> tuple[list[float], list[bool]]:
    rng = random.Random(seed)
    scores = [float(rng.randint(0, 12)) for _ in range(n)]  # few values: many ties
    return scores, [rng.random() < 0.05 + 0.05 * s for s in scores]


@pytest.mark.parametrize("seed", range(5))
def test_roc_area_is_the_auc_with_ties_half(seed: int) -> None:
    scores, bads = book(seed)
    points = curves.roc(metrics.cells(scores, bads))
    assert curves.area(points) == pytest.approx(metrics.auc(scores, bads), abs=1e-12)
    assert (points[0].x, points[0].y, points[-1].x, points[-1].y) == (0.0, 0.0, 1.0, 1.0)
    assert [p.x for p in points] == sorted(p.x for p in points)


def test_hand_counted_book() -> None:
    """Scores 3, 3, 2, 1 with outcomes bad, good, bad, good: reject from the top down."""
    table = metrics.cells([3.0, 3.0, 2.0, 1.0], [True, False, True, False])
    roc = [(p.score, p.x, p.y) for p in curves.roc(table)]
    assert roc == [(None, 0.0, 0.0), (3.0, 0.5, 0.5), (2.0, 0.5, 1.0), (1.0, 1.0, 1.0)]
    caught = [(p.score, p.x, p.y) for p in curves.capture(table)]
    assert caught == [(None, 0.0, 0.0), (3.0, 0.5, 0.5), (2.0, 0.75, 1.0), (1.0, 1.0, 1.0)]
    assert curves.area(curves.roc(table)) == pytest.approx(0.625)  # pairs: 1/2 + 1 + 0 + 1 of 4


def test_no_curve_without_both_kinds() -> None:
    only_good = metrics.cells([1.0, 2.0], [False, False])
    assert curves.roc(only_good) == [] and curves.capture(only_good) == []
    assert curves.area([]) is None
    only_bad = metrics.cells([1.0, 2.0], [True, True])
    assert curves.roc(only_bad) == [] and len(curves.capture(only_bad)) == 3


def test_thin_keeps_the_ends_and_the_limit() -> None:
    scores = [float(i) for i in range(1000)]
    points = curves.roc(metrics.cells(scores, [i % 7 == 0 for i in range(1000)]))
    kept = curves.thin(points, 11)
    assert len(kept) == 11 and kept[0] == points[0] and kept[-1] == points[-1]
    assert curves.thin(points[:5], 11) == points[:5]
    assert curves.as_rows(kept[:1]) == [{"score": None, "x": 0.0, "y": 0.0}]
