"""Formulas compiled once per rule base: every operation, the inputs recorded for the
explanation, and the errors a rule's action reports."""

from __future__ import annotations

from typing import Any

import pytest

from engine import default_engine
from engine.formulas import FormulaInputMissing, compile_formula
from knowledge_base.schema import Expr, FieldRef, Formula, Operation, ParamRef, Text

KB = default_engine().compiled.knowledge
PARAM = "closing.zopa_min_gap"
FACTS = {"a": {"x": 7, "y": 2.0, "flag": True, "name": "text"}}


def formula(expr: Expr) -> Formula:
    text = Text(en="test", zh="测试")
    return Formula(id="test_formula", text=text, description=text, expr=expr)


def op(name: str, *args: Expr) -> Operation:
    return Operation(op=name, args=args)  # type: ignore[arg-type]


X, Y = FieldRef(field="a.x"), FieldRef(field="a.y")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (op("add", X, Y, X), 16.0),
        (op("sub", X, Y, Y), 3.0),
        (op("mul", X, Y), 14.0),
        (op("div", X, Y), 3.5),
        (op("min", X, Y), 2.0),
        (op("max", X, Y), 7.0),
        (op("round", op("div", X, FieldRef(field="a.y")), Y), 3.5),
        (op("round", op("div", X, op("add", Y, Y, Y))), 1.0),
        (op("floor_to", X, Y), 6.0),
    ],
    ids=lambda v: v.op if isinstance(v, Operation) else str(v),
)
def test_each_operation_gives_its_result_and_records_its_inputs(
    expr: Expr, expected: float
) -> None:
    result, inputs = compile_formula(formula(expr), KB)(FACTS)
    assert result == expected
    assert inputs == {"a.x": 7.0, "a.y": 2.0}


def test_a_parameter_is_read_from_the_knowledge_base_and_recorded() -> None:
    result, inputs = compile_formula(formula(op("mul", X, ParamRef(param=PARAM))), KB)(FACTS)
    assert result == 7.0 * KB.param(PARAM)
    assert inputs == {"a.x": 7.0, PARAM: KB.param(PARAM)}


@pytest.mark.parametrize(
    ("field", "shown"),
    [("a.missing", "None"), ("a.flag", "True"), ("a.name", "'text'"), ("b.x", "None")],
)
def test_an_input_that_is_not_a_number_is_named_in_the_error(field: str, shown: str) -> None:
    calculate = compile_formula(formula(op("add", X, FieldRef(field=field))), KB)
    with pytest.raises(FormulaInputMissing, match=rf"^{field} is {shown}, a number is needed$"):
        calculate(FACTS)


def test_a_result_that_is_not_finite_is_refused_with_the_formulas_name() -> None:
    huge: dict[str, Any] = {"a": {"x": 1e308, "y": 1e308}}
    with pytest.raises(ValueError, match=r"^formula test_formula gave inf$"):
        compile_formula(formula(op("mul", X, Y)), KB)(huge)
