"""The rule base with some parameters changed: to re-run consultations under proposed values.

Parameters are substituted by value when the rules are compiled (``engine.compiler``), so a
changed value means another compiled rule base and another engine (about 0.1 s to build; each
engine registers its own ruleset, so several live side by side, as the audit trail's replay of
past versions does). Nothing here changes the shipped rule base or the process's default engine.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping

from engine.compiler import compile_rulebase
from engine.core import Engine
from knowledge_base import Knowledge, load_knowledge
from rules import load_rules


def knowledge_with(values: Mapping[str, float], kb: Knowledge | None = None) -> Knowledge:
    """``kb`` (default: the shipped one) with the given parameter values; unknown names raise
    ``KeyError`` (an overlay is checked by ``load_overlay`` before it gets here)."""
    base = kb or load_knowledge()
    parameters = dict(base.parameters)
    for name, value in values.items():
        parameters[name] = base.parameters[name].model_copy(update={"value": float(value)})
    return dataclasses.replace(base, parameters=parameters)


@functools.lru_cache(maxsize=8)
def _engine(values: tuple[tuple[str, float], ...]) -> Engine:
    return Engine(compile_rulebase(load_rules(), knowledge_with(dict(values))))


def engine_with(values: Mapping[str, float]) -> Engine:
    """An engine for the shipped rules under the given parameter values (a few kept: a
    calibration and its test re-run the same overlay)."""
    return _engine(tuple(sorted((name, float(v)) for name, v in values.items())))
