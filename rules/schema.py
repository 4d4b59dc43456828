"""The shape of a rule record: one place to read a rule's id, conditions, conclusions and texts.

A rule is data. Its conditions are typed tests on one fact each; the engine compiles them to
durable-rules JSON conditions. Numbers never appear in a rule: a numeric test names a parameter
of the knowledge base, a numeric conclusion names a formula.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from knowledge_base.schema import Module, Strict, Text

NUMERIC_OPS = ("lt", "le", "gt", "ge")
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists", "missing", "contains"]


class Test(Strict):
    """One test on an attribute of the pattern's fact.

    ``eq``/``ne`` compare with a category ``value`` (or a boolean); ``lt``..``ge`` with a named
    ``param``; ``in``/``not_in`` with ``values``; ``contains`` checks a list attribute holds
    ``value``; ``exists``/``missing`` check an optional input was given or not.
    """

    field: str = Field(pattern=r"^[a-z0-9_]+$")
    op: Op
    param: str | None = None
    value: str | bool | None = None
    values: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _operands_fit_the_operator(self) -> Test:
        given = {k for k in ("param", "value", "values") if getattr(self, k) is not None}
        wanted = {
            "eq": {"value"},
            "ne": {"value"},
            "contains": {"value"},
            "lt": {"param"},
            "le": {"param"},
            "gt": {"param"},
            "ge": {"param"},
            "in": {"values"},
            "not_in": {"values"},
            "exists": set(),
            "missing": set(),
        }[self.op]
        if given != wanted:
            need = ", ".join(sorted(wanted)) or "no operand"
            raise ValueError(f"operator {self.op!r} takes {need}; got {sorted(given) or 'none'}")
        if self.values is not None and len(self.values) == 0:
            raise ValueError("values must not be empty")
        return self


class Pattern(Strict):
    """The facts one rule pattern matches: a case section (``customer``) or a derived topic.

    For topics, ``is: high`` and ``in: [high, medium]`` are shorthands for tests on ``value``.
    """

    fact: str = Field(pattern=r"^[a-z0-9_]+$")
    alias: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    tests: tuple[Test, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthand(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not ({"is", "in"} & data.keys()):
            return data
        data = dict(data)
        tests = list(data.get("tests", ()))
        if "is" in data:
            tests.insert(0, {"field": "value", "op": "eq", "value": data.pop("is")})
        if "in" in data:
            tests.insert(0, {"field": "value", "op": "in", "values": data.pop("in")})
        data["tests"] = tests
        return data

    @property
    def name(self) -> str:
        """The alias under which the matched fact is known to the rule and its formulas."""
        return self.alias or self.fact


class Selection(Strict):
    """Which value of a ranked topic a rule selects: the one with the most evidence.

    The evidence is the weights the rules concluding each value added (``Conclude.weight``),
    read when the selecting rule fires — it runs after the weighing (a low priority). Ties go to
    the value declared first, except that a value listed in ``never_on_tie`` wins only alone
    (invented urgency must not decide a tie); ``within`` keeps only values also concluded for
    that topic (a debtor type some signal points to as its main type, not a mere hint).
    """

    among: str = Field(pattern=r"^[a-z0-9_]+$")
    within: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    never_on_tie: tuple[str, ...] = ()


class Conclude(Strict):
    """One fact a rule asserts: a topic and a category value, a formula's result, or the value
    a selection picks among a ranked topic's values.

    ``weight`` names a parameter added to the conclusion's evidence score, for topics whose
    values are ranked by how many rules support them.
    """

    topic: str = Field(pattern=r"^[a-z0-9_]+$")
    value: str | None = None
    formula: str | None = None
    select: Selection | None = None
    weight: str | None = None

    @model_validator(mode="after")
    def _value_or_formula(self) -> Conclude:
        given = [self.value is not None, self.formula is not None, self.select is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of value (a category), formula (a number) or select")
        return self


class Rule(Strict):
    """A production rule with its stable id, bilingual texts and citations."""

    id: str = Field(pattern=r"^(GR|CR|CO|CL)-\d{3}$")
    module: Module
    title: Text
    rationale: Text
    sources: tuple[str, ...] = Field(min_length=1)
    priority: int = Field(default=100, ge=0, le=1000, description="Lower fires first.")
    when: tuple[Pattern, ...] = Field(min_length=1, max_length=16)
    then: tuple[Conclude, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _aliases_unique(self) -> Rule:
        names = [p.name for p in self.when]
        if len(names) != len(set(names)):
            raise ValueError(f"pattern names must be unique within a rule, got {names}")
        return self
