"""Field helpers for the case models: every input carries its unit, range and Chinese label.

The labels live with the field (one place to read and review an input); the explanation,
the CLI and the UI all read them from the model's JSON schema extras.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from knowledge_base import load_knowledge


class Section(BaseModel):
    """Base of every case section: unknown keys are refused, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


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
    return Field(default_factory=list, description=en, json_schema_extra=extra)


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
