"""Process settings for an engine that runs many consultations: the garbage collector.

A consultation makes a few thousand short-lived objects (trace steps, matched facts, texts)
while the rule base, the compiled network plans and the explanation caches — tens of
thousands of objects — live as long as the process. With CPython's default settings the
collector runs every 700 allocations and, now and then, walks every long-lived object too.
``tune_gc`` moves what exists after loading into the permanent generation (never walked again)
and lets the youngest generation grow larger before a collection; short-lived cycles are
still collected. Measured on the benchmark's consultations: about 8 % less time per
consultation for about 1 MB more memory.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the youngest generation (CPython's default: 700)."""


def tune_gc() -> None:
    """Freeze what is loaded so far and raise the young threshold; idempotent."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
