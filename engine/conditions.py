"""Evaluate a rule's tests in Python, for explanations and lint only — never for inference.

"Why not" needs the first condition that failed and its threshold; the engine does not say
which condition blocked an activation, so the explanation re-checks the recorded facts with
the same semantics the compiler gives the engine (a missing attribute fails every test but
``missing``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from knowledge_base import Knowledge
from rules.schema import Test

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def expected(test: Test, kb: Knowledge) -> Any:
    """The operand a test compares with: a parameter's value, a value or a list of values."""
    if test.param is not None:
        return kb.param(test.param)
    if test.values is not None:
        return list(test.values)
    return test.value


def _numeric(actual: Any) -> bool:
    return isinstance(actual, int | float) and not isinstance(actual, bool)


def holds(test: Test, fact: dict[str, Any], kb: Knowledge) -> bool:
    actual = fact.get(test.field)
    if test.op == "exists":
        return actual is not None
    if test.op == "missing":
        return actual is None
    if actual is None:
        return False
    operand = expected(test, kb)
    if test.op == "eq":
        return bool(actual == operand)
    if test.op == "ne":
        return bool(actual != operand)
    if test.op == "in":
        return bool(actual in operand)
    if test.op == "not_in":
        return bool(actual not in operand)
    if test.op == "contains":
        return isinstance(actual, list) and bool(operand in actual)
    if not _numeric(actual):
        return False
    return bool(_COMPARE[test.op](actual, operand))
