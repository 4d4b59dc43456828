"""Evaluate a rule's tests in Python, for explanations only — never for inference.

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

COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    # the numeric comparisons of rule tests, shared by lint's range analysis (engine.domains)
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


Check = Callable[[dict[str, Any]], bool]
"""A test made ready to run on a fact: its operator and operand resolved once."""


def _compared(name: str, compare: Callable[[Any, Any], Any], operand: Any) -> Check:
    def check(fact: dict[str, Any]) -> bool:
        actual = fact.get(name)
        return (
            isinstance(actual, int | float)
            and not isinstance(actual, bool)
            and bool(compare(actual, operand))
        )

    return check


def _present(name: str, compare: Callable[[Any, Any], Any], operand: Any) -> Check:
    def check(fact: dict[str, Any]) -> bool:
        actual = fact.get(name)
        return actual is not None and bool(compare(actual, operand))

    return check


def _contains(container: Any, item: Any) -> bool:
    return isinstance(container, list) and item in container


_PRESENT: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "in": lambda actual, operand: actual in operand,
    "not_in": lambda actual, operand: actual not in operand,
    "contains": _contains,
}


def check(test: Test, kb: Knowledge) -> Check:
    """The test as a function of a fact, with the semantics the compiler gives the engine: a
    missing attribute fails every test but ``missing``; order comparisons need a number."""
    name = test.field
    if test.op == "exists":
        return lambda fact: fact.get(name) is not None
    if test.op == "missing":
        return lambda fact: fact.get(name) is None
    operand = expected(test, kb)
    if test.op in _PRESENT:
        return _present(name, _PRESENT[test.op], operand)
    return _compared(name, COMPARE[test.op], operand)
