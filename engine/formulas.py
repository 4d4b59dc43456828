"""Evaluate a named formula over the facts a rule matched, recording every input it read.

The recorded inputs are what the explanation shows ("limit = min(request 500000, purchases
1200000 × share 0.25) = 300000"), so a manager can redo the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from knowledge_base import Knowledge
from knowledge_base.schema import Expr, FieldRef, Formula, Operation, ParamRef


class FormulaInputMissing(ValueError):
    """A formula read an attribute the matched fact does not have."""


def _apply(op: str, args: list[float]) -> float:
    if op == "add":
        return sum(args)
    if op == "sub":
        return args[0] - sum(args[1:])
    if op == "mul":
        return math.prod(args)
    if op == "div":
        return args[0] / args[1]
    if op == "min":
        return min(args)
    if op == "max":
        return max(args)
    if op == "round":
        return float(round(args[0], int(args[1]) if len(args) > 1 else 0))
    step = args[1]  # floor_to: round down to a multiple of step
    return math.floor(args[0] / step) * step


def evaluate(
    expr: Expr, matched: Mapping[str, Mapping[str, Any]], kb: Knowledge, inputs: dict[str, float]
) -> float:
    """Evaluate ``expr``; ``inputs`` receives every field and parameter read, by name."""
    if isinstance(expr, ParamRef):
        value = kb.param(expr.param)
        inputs[expr.param] = value
        return value
    if isinstance(expr, FieldRef):
        alias, attr = expr.field.split(".", 1)
        raw = matched.get(alias, {}).get(attr)
        if raw is None or isinstance(raw, bool | str):
            raise FormulaInputMissing(f"{expr.field} is {raw!r}, a number is needed")
        inputs[expr.field] = float(raw)
        return float(raw)
    assert isinstance(expr, Operation)
    return _apply(expr.op, [evaluate(a, matched, kb, inputs) for a in expr.args])


def compute(
    formula: Formula, matched: Mapping[str, Mapping[str, Any]], kb: Knowledge
) -> tuple[float, dict[str, float]]:
    inputs: dict[str, float] = {}
    result = evaluate(formula.expr, matched, kb, inputs)
    if not math.isfinite(result):
        raise ValueError(f"formula {formula.id} gave {result}")
    return result, inputs
