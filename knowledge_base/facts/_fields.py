"""Field helpers for the case models: every input carries its unit, range and Chinese label.

The labels live with the field (one place to read and review an input); the explanation,
the CLI and the UI all read them from the model's JSON schema extras.
"""

from __future__ import annotations

import functools
import re
import typing
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from knowledge_base import load_knowledge

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Characters no one-line text of a case holds: C0/C1 controls (line breaks, terminal escape
codes) and the marks that reorder text on screen (bidirectional overrides and isolates)."""


class Section(BaseModel):
    """Base of every case section: unknown keys are refused, values are checked on assignment.

    Types are strict: a number field takes a number (an integer is fine for a decimal field, a
    decimal with nothing after the point for a whole-number field),
    never the text "12" or true, which lax validation would turn into 12 and 1 without a word;
    a flag takes true or false; infinity and NaN are refused. Readers of text (CSV cells) convert
    it first (``engine.intake.typed_cell``). Text fields refuse ``CONTROL_CHARACTERS``: a name
    is printed in terminals, memos and web pages, where they would act, not show."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _whole_decimals(cls, value: Any, info: ValidationInfo) -> Any:
        """13.0 for a whole-number field is 13: systems that write every number as a decimal
        are read; 13.5 is still refused."""
        if type(value) is float and value.is_integer() and info.field_name in _whole_fields(cls):
            return int(value)
        return value

    @field_validator("*")
    @classmethod
    def _printable_text(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            template = load_knowledge().texts["en"]["validation.control_characters"]
            raise PydanticCustomError("control_characters", template)
        return value


@functools.cache
def _whole_fields(section: type[BaseModel]) -> frozenset[str]:
    """The fields of a section that hold whole numbers (``int`` or ``int | None``)."""
    return frozenset(
        name
        for name, info in section.model_fields.items()
        if info.annotation is int or int in typing.get_args(info.annotation)
    )


def fact_field(
    en: str,
    zh: str,
    *,
    label: str,
    unit: str = "",
    change: str,
    default: Any = ...,
    **constraints: Any,
) -> Any:
    """Declare an input field: English description (unit, range), short labels in both languages.

    ``change`` says what "what would change it" may do with the field, and must be declared for
    every input: a kind of change someone can make (``knowledge_base/changes.yaml``: reduce the
    request, pay, obtain a report…), ``historical`` for a record of what already happened (late
    invoices, years in business) or ``fixed`` for who the customer is (nature, region). Neither
    of the last two is ever proposed as a change.
    """
    extra: dict[str, Any] = {"zh": zh, "en": label, "change": _declared(change, label)}
    if unit:
        extra["unit"] = unit
    return Field(default, description=en, json_schema_extra=extra, **constraints)


NOT_CHANGEABLE = ("historical", "fixed")


def _declared(change: str, label: str) -> str:
    """Refuse an unknown kind at import: a typo would silently hide a field from the search."""
    kinds = load_knowledge().changes
    if change not in NOT_CHANGEABLE and change not in kinds:
        allowed = ", ".join([*NOT_CHANGEABLE, *sorted(kinds)])
        raise ValueError(f"field {label!r}: change={change!r} is not one of {allowed}")
    return change


MAX_CATALOGUE_ITEMS = 100
"""Most items a catalogue list of a case may hold: more than any catalogue has (the largest,
debtor signals, has 26). Pydantic checks a list's length before its items, so a list of a
hundred thousand unknown items is one problem found at once, not a hundred thousand."""


def catalogue_field(en: str, zh: str, *, label: str, change: str, catalogue: str) -> Any:
    """A list of items from a knowledge-base catalogue (``knowledge_base/catalogues/NAME.yaml``).

    Declare the field as ``list[Literal[...ids]]``; lint checks the Literal's ids and the
    catalogue's are the same, so descriptions in both languages exist for every item.
    """
    extra: dict[str, Any] = {
        "zh": zh,
        "en": label,
        "catalogue": catalogue,
        "change": _declared(change, label),
    }
    return Field(
        default_factory=list,
        description=en,
        json_schema_extra=extra,
        max_length=MAX_CATALOGUE_ITEMS,
    )


def case_problem(
    kind: str, loc: tuple[str, ...], given: object, /, **ctx: object
) -> InitErrorDetails:
    """A problem found by a check across fields: pydantic error type ``kind`` at ``loc``, its
    message the knowledge base's text ``validation.<kind>`` (English here; intake and the forms
    show it in the user's language from the same ``ctx``)."""
    template = load_knowledge().texts["en"][f"validation.{kind}"]  # pydantic fills in the ctx
    return InitErrorDetails(type=PydanticCustomError(kind, template, ctx), loc=loc, input=given)


def refuse(model: type[BaseModel], problems: list[InitErrorDetails]) -> None:
    """Raise every problem at once (a model validator reports each at its own field)."""
    if problems:
        raise ValidationError.from_exception_data(model.__name__, problems)
