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
    default: Any = ...,
    historical: bool = False,
    **constraints: Any,
) -> Any:
    """Declare an input field: English description (unit, range), short labels in both languages.

    ``historical`` marks a record of what already happened (late invoices, days beyond terms):
    "what would change it" never proposes changing it, since no one can.
    """
    extra: dict[str, Any] = {"zh": zh, "en": label}
    if unit:
        extra["unit"] = unit
    if historical:
        extra["historical"] = True
    return Field(default, description=en, json_schema_extra=extra, **constraints)


def catalogue_field(en: str, zh: str, *, label: str, catalogue: str) -> Any:
    """A list of items from a knowledge-base catalogue (``knowledge_base/catalogues/NAME.yaml``).

    Declare the field as ``list[Literal[...ids]]``; lint checks the Literal's ids and the
    catalogue's are the same, so descriptions in both languages exist for every item.
    """
    extra: dict[str, Any] = {"zh": zh, "en": label, "catalogue": catalogue}
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
