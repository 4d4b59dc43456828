"""Field helpers for the case models: every input carries its unit, range and Chinese label.

The labels live with the field (one place to read and review an input); the explanation,
the CLI and the UI all read them from the model's JSON schema extras.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    **constraints: Any,
) -> Any:
    """Declare an input field: English description (unit, range), short labels in both languages."""
    extra: dict[str, Any] = {"zh": zh, "en": label}
    if unit:
        extra["unit"] = unit
    return Field(default, description=en, json_schema_extra=extra, **constraints)


def catalogue_field(en: str, zh: str, *, label: str, catalogue: str) -> Any:
    """A list of items from a knowledge-base catalogue (``knowledge_base/catalogues/NAME.yaml``).

    Declare the field as ``list[Literal[...ids]]``; lint checks the Literal's ids and the
    catalogue's are the same, so descriptions in both languages exist for every item.
    """
    extra: dict[str, Any] = {"zh": zh, "en": label, "catalogue": catalogue}
    return Field(default_factory=list, description=en, json_schema_extra=extra)
