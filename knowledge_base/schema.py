"""Typed shape of the knowledge base: what a parameter, topic, formula and source look like.

Everything here is validated once at load time (``extra="forbid"``, frozen) so that a typo in a
YAML file stops the program at start-up with the file and field named, instead of silently
changing a decision in the middle of a consultation.
"""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LANGUAGES: tuple[str, ...] = ("en", "zh")
Module = Literal["grading", "credit", "collection", "closing"]
MODULES: tuple[str, ...] = ("grading", "credit", "collection", "closing")


class Strict(BaseModel):
    """Base for every knowledge record: unknown keys are errors and records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A user-facing text in every supported language."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Parameter(Strict):
    """A named threshold or weight; rules refer to it by name, never by its number."""

    name: str = Field(pattern=r"^[a-z_]+(\.[a-z0-9_]+)+$")
    label: Text
    """Short display name (a noun phrase, no unit): what user-facing texts call the parameter,
    its ``name`` being shown only on hover or in the detail."""
    value: float
    unit: str = Field(min_length=1)
    description: Text
    rationale: Text
    min: float | None = None
    max: float | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        return value


class TopicValue(Strict):
    """One value a categorical topic can take, with the catalogue material shown with it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: Text
    description: Text
    details: dict[str, Text | list[Text]] = Field(default_factory=dict)


class Topic(Strict):
    """Something the rules conclude (``value_tier``) or derive on the way (``recency``)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    module: Module
    kind: Literal["category", "number"] = "category"
    cardinality: Literal["one", "many"] = "one"
    intermediate: bool = False
    unit: str | None = None
    label: Text
    description: Text
    values: tuple[TopicValue, ...] = ()

    def value_ids(self) -> tuple[str, ...]:
        return self._value_ids

    def value(self, value_id: str) -> TopicValue | None:
        return self._by_id.get(value_id)

    @functools.cached_property
    def _value_ids(self) -> tuple[str, ...]:
        """Asked for by every consultation's explanations and rankings: worked out once."""
        return tuple(v.id for v in self.values)

    @functools.cached_property
    def _by_id(self) -> dict[str, TopicValue]:
        return {v.id: v for v in self.values}


class ParamRef(Strict):
    param: str


class FieldRef(Strict):
    """``alias.attribute`` of a fact the rule matched."""

    field: str = Field(pattern=r"^[a-z0-9_]+\.[a-z0-9_]+$")


class Operation(Strict):
    op: Literal["add", "sub", "mul", "div", "min", "max", "round", "floor_to"]
    args: tuple[Expr, ...] = Field(min_length=1)


Expr = ParamRef | FieldRef | Operation
Operation.model_rebuild()


class Formula(Strict):
    """A named computation used by a rule to conclude a number, shown with its inputs."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: Text
    description: Text
    expr: Expr


class CatalogueEntry(Strict):
    """An item of an enumerated catalogue (observed signals, objection types…)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: Text
    description: Text


class ChangeKind(Strict):
    """A kind of change a person can make to a case (reduce the request, obtain a report…).

    "What would change it" proposes only fields declared with a kind, cheapest sets first: the
    cost is how hard the change is relative to the others, a company's own judgement.
    ``direction`` says which way a number can be moved by this kind of change (a payment lowers
    what is overdue; it never raises it); ``from_unknown`` limits the change to a field still
    unknown (an investigation can be done, not redone with a better result).
    """

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    cost: float = Field(gt=0, le=100)
    direction: Literal["lower", "higher", "either"] = "either"
    from_unknown: bool = False
    label: Text
    action: Text
    """The change as an instruction, with ``{field}`` and ``{value}`` (number or category)."""


class Source(Strict):
    """A citation tag of the seed documents and the sections that may be cited."""

    tag: str = Field(pattern=r"^[A-Z][A-Z-]*$")
    file: str
    title: Text
    sections: tuple[str, ...] = Field(min_length=1)
