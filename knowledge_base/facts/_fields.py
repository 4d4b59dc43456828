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
