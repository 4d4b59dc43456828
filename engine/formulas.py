"""Evaluate a named formula over the facts a rule matched, recording every input it read.

The recorded inputs are what the explanation shows ("limit = min(request 500000, purchases
1200000 × share 0.25) = 300000"), so a manager can redo the arithmetic.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from knowledge_base import Knowledge
from knowledge_base.schema import Expr, FieldRef, Formula, Operation, ParamRef


class FormulaInputMissing(ValueError):
    """A formula read an attribute the matched fact does not have."""


Matched = Mapping[str, Mapping[str, Any]]
"""The facts a rule matched, by pattern name."""
Evaluator = Callable[[Matched, dict[str, float]], float]
"""Part of a formula, ready to evaluate: it records every input it reads."""
Calculation = Callable[[Matched], tuple[float, dict[str, float]]]
"""A whole formula, ready to evaluate: its result and every input it read, by name."""


def _floor_to(args: list[float]) -> float:
    """Round down to a multiple of the step."""
    return math.floor(args[0] / args[1]) * args[1]


def _round(args: list[float]) -> float:
    return float(round(args[0], int(args[1]) if len(args) > 1 else 0))


_OPERATIONS: dict[str, Callable[[list[float]], float]] = {
    "add": sum,
    "sub": lambda args: args[0] - sum(args[1:]),
    "mul": math.prod,
    "div": lambda args: args[0] / args[1],
    "min": min,
    "max": max,
    "round": _round,
    "floor_to": _floor_to,
}


_PAIRS: dict[str, Callable[[float, float], float]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "min": min,
    "max": max,
    "floor_to": lambda value, step: math.floor(value / step) * step,
}
"""The two-operand forms of ``_OPERATIONS`` (``round`` with two operands reads a count)."""


def _compiled(expr: Expr, kb: Knowledge) -> Evaluator:
    """An expression as nested functions: its shape, operations and parameter values are
    resolved once per rule base; a firing only reads the matched facts."""
    if isinstance(expr, ParamRef):
        name, value = expr.param, kb.param(expr.param)

        def parameter(matched: Matched, inputs: dict[str, float]) -> float:
            inputs[name] = value
            return value

        return parameter
    if isinstance(expr, FieldRef):
        field = expr.field
        alias, attr = field.split(".", 1)

        def attribute(matched: Matched, inputs: dict[str, float]) -> float:
            raw = matched.get(alias, _NOTHING).get(attr)
            if raw is None or isinstance(raw, bool | str):
                raise FormulaInputMissing(f"{field} is {raw!r}, a number is needed")
            inputs[field] = number = float(raw)
            return number

        return attribute
    assert isinstance(expr, Operation)
    args = [_compiled(a, kb) for a in expr.args]
    pair = _PAIRS.get(expr.op)
    if pair is not None and len(args) == 2:
        return _binary(pair, *args)
    operation = _OPERATIONS[expr.op]

    def operate(matched: Matched, inputs: dict[str, float]) -> float:
        return operation([arg(matched, inputs) for arg in args])

    return operate


def _binary(pair: Callable[[float, float], float], left: Evaluator, right: Evaluator) -> Evaluator:
    """Most operations have two operands: evaluated without building a list (formulas run in
    most firings of a consultation), in the same order, so the inputs are recorded alike."""

    def operate(matched: Matched, inputs: dict[str, float]) -> float:
        first = left(matched, inputs)
        return pair(first, right(matched, inputs))

    return operate


def compile_formula(formula: Formula, kb: Knowledge) -> Calculation:
    """The formula ready to evaluate over the facts a rule matched."""
    evaluate, formula_id = _compiled(formula.expr, kb), formula.id

    def calculate(matched: Matched) -> tuple[float, dict[str, float]]:
        inputs: dict[str, float] = {}
        result = evaluate(matched, inputs)
        if not math.isfinite(result):
            raise ValueError(f"formula {formula_id} gave {result}")
        return result, inputs

    return calculate


_NOTHING: Mapping[str, Any] = {}
