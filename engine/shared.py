"""The engine for the rule base shipped with the product, one per process.

Its own module so that everything needing it — the public API, the audit trail's replay and
snapshots, the batch workers, the front ends — imports it from here, and the audit trail never
imports the API that records into it.
"""

from __future__ import annotations

import functools

from engine.compiler import default_compiled
from engine.core import Engine
from engine.runtime import tune_gc


@functools.cache
def default_engine() -> Engine:
    """The engine for the rule base shipped in ``rules/`` and ``knowledge_base/``; loading it
    also tunes the process's garbage collector for many consultations (``engine.runtime``)."""
    engine = Engine(default_compiled())
    tune_gc()
    return engine
