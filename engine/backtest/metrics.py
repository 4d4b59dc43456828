"""Back-test measures: how well a policy's grades separate bad customers from good ones.

Pure and deterministic (no engine import, no clock, no global random state), so that the same
book always gives the same figures and each figure can be checked against an independent,
brute-force computation (``tests/test_backtest.py``). Scores are "higher = riskier": a bad
customer is expected to score above a good one.

* ``auc``: the Mann–Whitney statistic from average ranks, tied scores counting half. Decisions
  and risk levels take four values, so ties are many; the tie correction is what keeps the
  figure honest (0.5 for a grade that says nothing, not more).
* ``ks``: the largest distance between the score CDFs of bad and good customers.
* ``wilson``: a 95 % interval for a rate that stays inside [0, 1] and is not zero-width at 0 or
  n (the normal approximation is both, exactly where small groups need a warning).
* ``bootstrap_auc``: a percentile interval from a seeded generator (numpy's PCG64); a resample
  is one multinomial draw over the (score, bad) cells rather than n draws of rows — the same
  distribution, at a cost that does not grow with the book.
* ``psi``: population stability between two distributions of categories.
* ``cutoff_costs``: what each possible cut-off of an ordered grade would have cost.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Z_95 = 1.959963984540054
"""The standard normal quantile of 97.5 %: a two-sided 95 % interval."""
SMALL_GROUP = 30
"""Groups with fewer customers are flagged ``small``: their bad rate is too uncertain to read."""
BOOTSTRAP_RESAMPLES = 500
"""Resamples of the bootstrap interval of the AUC (more: a steadier interval, slower)."""
BOOTSTRAP_SEED = 20
"""Seed of the bootstrap generator: the same book always gives the same interval."""
BOOTSTRAP_CHUNK_CELLS = 4_000_000
"""Most counts drawn at once (resamples × cells): bounds the bootstrap's memory to ~32 MB."""
PSI_EPSILON = 1e-4
"""Share given to a category empty in one period, so that its log ratio stays finite."""
PSI_WATCH = 0.1
"""PSI from which a distribution has moved enough to watch (the usual rule of thumb)."""
PSI_SHIFT = 0.25
"""PSI from which a distribution has shifted: figures of one period do not carry to the other."""


def _counts(scores: Sequence[float], bads: Sequence[bool]) -> tuple[int, int]:
    if len(scores) != len(bads):
        raise ValueError("scores and outcomes differ in length")
    positives = sum(1 for b in bads if b)
    return positives, len(bads) - positives


def auc(scores: Sequence[float], bads: Sequence[bool]) -> float | None:
    """P(a bad customer scores above a good one), ties half: (R_bad − B(B+1)/2) / (B·G) with
    R_bad the sum of the bad customers' average ranks. None without both bad and good."""
    positives, negatives = _counts(scores, bads)
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, start = 0.0, 0
    for _, group in itertools.groupby(order, key=lambda i: scores[i]):
        members = list(group)
        mean_rank = start + (len(members) + 1) / 2
        rank_sum += mean_rank * sum(1 for i in members if bads[i])
        start += len(members)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def gini(area: float | None) -> float | None:
    """The accuracy ratio, 2·AUC − 1: 0 for a random ranking, 1 for a perfect one."""
    return None if area is None else 2 * area - 1


Cells = list[tuple[float, int, int]]
"""(score, bad customers, good customers) for each distinct score, in increasing order."""


def cells(scores: Sequence[float], bads: Sequence[bool]) -> Cells:
    """The book reduced to its distinct scores: all AUC and KS need."""
    _counts(scores, bads)
    bad = Counter(s for s, b in zip(scores, bads, strict=True) if b)
    good = Counter(s for s, b in zip(scores, bads, strict=True) if not b)
    return [(s, bad[s], good[s]) for s in sorted(set(scores))]


def cells_auc(table: Sequence[tuple[float, int, int]]) -> float | None:
    """The AUC of ``cells``: each bad beats the goods below its score, half the goods level."""
    positives = sum(b for _, b, _ in table)
    negatives = sum(g for _, _, g in table)
    if not positives or not negatives:
        return None
    wins, below = 0.0, 0
    for _, bad, good in table:
        wins += bad * (below + good / 2)
        below += good
    return wins / (positives * negatives)


def ks(scores: Sequence[float], bads: Sequence[bool]) -> float | None:
    """max over cut-offs t of |F_bad(t) − F_good(t)|, the CDFs taken after every tie at t."""
    table = cells(scores, bads)
    positives = sum(b for _, b, _ in table)
    negatives = sum(g for _, _, g in table)
    if not positives or not negatives:
        return None
    best, bad_cdf, good_cdf = 0.0, 0, 0
    for _, bad, good in table:
        bad_cdf, good_cdf = bad_cdf + bad, good_cdf + good
        best = max(best, abs(bad_cdf / positives - good_cdf / negatives))
    return best


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of ``successes / n``; None for an empty group."""
    if n <= 0:
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """The bad rate of one group: ``rate`` and ``ci`` are None when the group is empty."""

    name: str
    n: int
    bad: int
    rate: float | None
    ci: tuple[float, float] | None
    small: bool


def rates(keys: Sequence[str], bads: Sequence[bool], order: Sequence[str]) -> list[Rate]:
    """The bad rate of each value of ``order``, empty ones too (a decision never made shows)."""
    n, bad = Counter(keys), Counter(k for k, b in zip(keys, bads, strict=True) if b)
    return [_rate(name, n[name], bad[name]) for name in order]


def _rate(name: str, n: int, bad: int) -> Rate:
    return Rate(name, n, bad, bad / n if n else None, wilson(bad, n), n < SMALL_GROUP)


def bootstrap_auc(
    scores: Sequence[float],
    bads: Sequence[bool],
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """The 2.5 % and 97.5 % percentiles of the AUC over ``resamples`` resamples of the book
    (with replacement, same size); resamples without a bad or a good customer are skipped."""
    return bootstrap_cells_auc(cells(scores, bads), resamples, seed)


def bootstrap_cells_auc(
    table: Cells, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> tuple[float, float] | None:
    """``bootstrap_auc`` of a book given as its cells. A resample of n customers is one
    multinomial draw of n over the (score, bad/good) cells, so its cost grows with the number
    of distinct scores, not of customers (a million-customer book costs what a small one does)."""
    if cells_auc(table) is None:
        return None
    counts = np.array([(b, g) for _, b, g in table], dtype=np.int64).ravel()
    total = int(counts.sum())
    rng = np.random.Generator(np.random.PCG64(seed))
    chunk = max(1, BOOTSTRAP_CHUNK_CELLS // counts.size)
    found = [
        _resampled_aucs(rng.multinomial(total, counts / total, size=min(chunk, resamples - done)))
        for done in range(0, resamples, chunk)
    ]
    values = np.sort(np.concatenate(found))
    if not values.size:
        return None
    return _percentile(values.tolist(), 0.025), _percentile(values.tolist(), 0.975)


def _resampled_aucs(drawn: Any) -> Any:
    """The AUC of each drawn row (bad and good counts interleaved, scores increasing), as
    ``cells_auc`` computes it; rows without a bad or a good customer are left out."""
    bad, good = drawn[:, 0::2], drawn[:, 1::2]
    below = np.cumsum(good, axis=1) - good
    wins = (bad * (below + good / 2)).sum(axis=1)
    positives, negatives = bad.sum(axis=1), good.sum(axis=1)
    kept = (positives > 0) & (negatives > 0)
    return wins[kept] / (positives[kept] * negatives[kept])


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def psi(expected: Mapping[str, int], actual: Mapping[str, int]) -> float:
    """Σ (a − e)·ln(a / e) over the categories of either period, a and e their shares; an
    empty category counts as ``PSI_EPSILON``."""
    e_total, a_total = sum(expected.values()), sum(actual.values())
    if not e_total or not a_total:
        raise ValueError("PSI needs customers in both periods")
    total = 0.0
    for name in sorted(set(expected) | set(actual)):
        e = max(expected.get(name, 0) / e_total, PSI_EPSILON)
        a = max(actual.get(name, 0) / a_total, PSI_EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def psi_level(value: float) -> str:
    """``stable`` below ``PSI_WATCH``, ``watch`` below ``PSI_SHIFT``, else ``shift``."""
    return "stable" if value < PSI_WATCH else "watch" if value < PSI_SHIFT else "shift"


@dataclass(frozen=True)
class Cutoff:
    """Reject every customer graded ``reject_from`` or worse (None: accept everyone)."""

    reject_from: str | None
    accepted_bad: int
    rejected_good: int
    rejected: int
    cost: float


def cutoff_costs(
    keys: Sequence[str],
    bads: Sequence[bool],
    order: Sequence[str],
    cost_bad: float,
    cost_good_rejected: float,
) -> list[Cutoff]:
    """The cost of each cut-off of the grades ``order`` (best first): cost_bad per accepted bad
    customer plus cost_good_rejected per rejected good one. Keys outside ``order`` are
    never rejected. The last entry accepts everyone."""
    rank = {name: i for i, name in enumerate(order)}
    out = []
    for cut in [*range(len(order)), len(order)]:
        rejected = [rank.get(k, -1) >= cut for k in keys]
        accepted_bad = sum(1 for r, b in zip(rejected, bads, strict=True) if b and not r)
        rejected_good = sum(1 for r, b in zip(rejected, bads, strict=True) if r and not b)
        cost = accepted_bad * cost_bad + rejected_good * cost_good_rejected
        name = order[cut] if cut < len(order) else None
        out.append(Cutoff(name, accepted_bad, rejected_good, sum(rejected), cost))
    return out
