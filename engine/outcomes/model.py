"""The outcome of a consultation: what was observed, when, and the amounts that say how much.

One outcome names its module and its kind (``KINDS``), the date it was observed at, and the
consultation it is about: by ``consultation_id``, or by ``customer_id`` (then the customer's
latest consultation of that module recorded before the observation date: ``records``). Each
kind has the detail fields it requires and those it may have; any other detail field is refused
rather than silently stored, so that a back-test never reads an amount that means nothing.

The model is strict like the case sections (``knowledge_base.facts._fields.Section``): numbers
are numbers and flags are flags (a CSV reader converts its text first: ``table.typed_cells``),
texts hold no control characters, unknown fields are refused. Dates are ISO dates
(``YYYY-MM-DD``), never in the future: an outcome is recorded once it has been observed.
Checks that need the audit database (the consultation exists, concluded the module, came before
the observation) are in ``records``.

Problems are reported at their field with the knowledge base's texts
``outcomes.problem.<type>`` (``field_problems``), in English or Chinese.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic import model_validator as model_check
from pydantic_core import InitErrorDetails, PydanticCustomError

from engine.errors import FieldProblem
from engine.labels import number
from knowledge_base import load_knowledge
from knowledge_base.facts._fields import Section, refuse
from knowledge_base.facts.customer import MONEY_MAX

DAYS_MAX = 36_500
"""Most days any count of days may be (100 years), as in the case."""
RECORD_ID_MAX = 2_147_483_647
"""Largest audit record id a link may name (the id column is a 32-bit integer on PostgreSQL)."""
NOTE_CHARS = 500


@dataclass(frozen=True)
class Kind:
    """The detail fields an outcome kind must have and those it may have."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


KINDS: dict[str, dict[str, Kind]] = {
    "grading": {"purchases": Kind(("repeat_purchase", "revenue"), ("period_from",))},
    "credit": {
        "paid_on_time": Kind(),
        "paid_late": Kind(("days_late",)),
        "defaulted": Kind((), ("amount_lost",)),
        "written_off": Kind(("amount_lost",)),
    },
    "collection": {
        "recovered": Kind(("amount_recovered", "days_to_recover")),
        "legal": Kind(),
        "written_off": Kind((), ("amount_lost",)),
    },
    "closing": {"won": Kind(("deal_value",)), "lost": Kind((), ("deal_value",))},
}
"""Module → outcome kind → its detail fields. A defaulted credit customer's loss may not be known
yet (optional); a written-off one's is (required). A lost deal's value is optional."""

DETAILS = (
    "days_late",
    "amount_lost",
    "amount_recovered",
    "days_to_recover",
    "deal_value",
    "repeat_purchase",
    "revenue",
    "period_from",
)
"""The fields that depend on the kind (``KINDS``); the others apply to every outcome."""
LINK_FIELDS = ("consultation_id", "customer_id")
COLUMNS = (*LINK_FIELDS, "module", "outcome", "observed_at", *DETAILS, "corrects", "note")
"""Every field, in the order of the import file's columns and of the template."""
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today() -> date:
    """The latest date an outcome may be observed at (the machine's local date)."""
    return date.today()


def problem(kind: str, loc: str, given: object, /, **ctx: object) -> InitErrorDetails:
    """A problem at field ``loc``: its message is ``outcomes.problem.<kind>`` (English here,
    ``field_problems`` tells it in the user's language from the same ``ctx``)."""
    template = load_knowledge().texts["en"][f"outcomes.problem.{kind}"]
    return InitErrorDetails(type=PydanticCustomError(kind, template, ctx), loc=(loc,), input=given)


class Outcome(Section):
    """What was observed after one consultation (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    consultation_id: int | None = Field(None, gt=0, le=RECORD_ID_MAX)
    customer_id: str | None = Field(None, min_length=1, max_length=64)
    module: str
    outcome: str = Field(min_length=1, max_length=32)
    observed_at: date
    days_late: int | None = Field(None, gt=0, le=DAYS_MAX)
    amount_lost: float | None = Field(None, ge=0, le=MONEY_MAX)
    amount_recovered: float | None = Field(None, gt=0, le=MONEY_MAX)
    days_to_recover: int | None = Field(None, ge=0, le=DAYS_MAX)
    deal_value: float | None = Field(None, ge=0, le=MONEY_MAX)
    repeat_purchase: bool | None = None
    revenue: float | None = Field(None, ge=0, le=MONEY_MAX)
    period_from: date | None = None
    corrects: int | None = Field(None, gt=0, le=RECORD_ID_MAX)
    """The id of the earlier outcome record this one corrects (records are never changed)."""
    note: str | None = Field(None, max_length=NOTE_CHARS)

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str) -> str:
        if value not in KINDS:
            raise PydanticCustomError(
                "unknown_module", _en("unknown_module"), {"allowed": ", ".join(KINDS)}
            )
        return value

    @field_validator("observed_at", "period_from", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        """``2025-03-31`` as a date; ``31/03/2025``, ``20250331`` and a date-time are refused
        (a date that could be read two ways must not be guessed)."""
        if isinstance(value, datetime) or (isinstance(value, str) and value.strip() == ""):
            raise PydanticCustomError("iso_date", _en("iso_date"))
        if isinstance(value, str):
            if not _ISO_DATE.fullmatch(value.strip()):
                raise PydanticCustomError("iso_date", _en("iso_date"))
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise PydanticCustomError("iso_date", _en("iso_date")) from None
        return value

    @model_check(mode="after")
    def _consistent(self, info: ValidationInfo) -> Outcome:
        """The kind's fields, a link, no future date; every problem at its own field."""
        context = info.context if isinstance(info.context, dict) else {}
        latest = context.get("today") or today()
        found = self._kind_problems()
        if self.consultation_id is None and self.customer_id is None:
            found.append(problem("no_link", "consultation_id", None))
        for name in ("observed_at", "period_from"):
            when = getattr(self, name)
            if when is not None and when > latest:
                found.append(problem("future_date", name, str(when), today=str(latest)))
        if self.period_from is not None and self.period_from > self.observed_at:
            observed = str(self.observed_at)
            found.append(problem("period_after_observed", "period_from", None, observed=observed))
        if self.repeat_purchase is False and (self.revenue or 0) > 0:
            found.append(problem("revenue_without_repeat", "revenue", self.revenue))
        refuse(type(self), found)
        return self

    def _kind_problems(self) -> list[InitErrorDetails]:
        kinds = KINDS[self.module]
        kind = kinds.get(self.outcome)
        if kind is None:
            allowed = ", ".join(kinds)
            return [problem("unknown_outcome", "outcome", self.outcome, allowed=allowed)]
        found = [
            problem("required_for", name, None, outcome=self.outcome)
            for name in kind.required
            if getattr(self, name) is None
        ]
        found += [
            problem("not_for", name, getattr(self, name), outcome=self.outcome)
            for name in DETAILS
            if name not in kind.fields and getattr(self, name) is not None
        ]
        return found

    def facts(self) -> dict[str, Any]:
        """What the audit record keeps of the outcome: every field given but the link (the
        record's ``ref_id`` and ``customer_id`` columns hold it), as JSON values."""
        return self.model_dump(mode="json", exclude_none=True, exclude=set(LINK_FIELDS))


def _en(kind: str) -> str:
    return load_knowledge().texts["en"][f"outcomes.problem.{kind}"]


def _readable(value: object) -> object:
    """A number of a message as people read it (``0``, not ``0.0``; ``1,000,000``)."""
    return (
        number(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    )


def message(kind: str, fallback: str, lang: str, ctx: dict[str, Any] | None = None) -> str:
    """The message of a problem of type ``kind`` in ``lang``: the outcomes' own text, else the
    case's (``validation.<kind>``), else pydantic's English ``fallback``."""
    kb = load_knowledge()
    shown = {key: _readable(value) for key, value in (ctx or {}).items()}
    if "outcome" in shown:  # an outcome kind is shown by its label, in the user's language
        shown["outcome"] = kb.text(f"outcomes.kind.{shown['outcome']}", lang)
    if "kind" in shown:  # a kind of audit record (decision, outcome…), likewise
        shown["kind"] = kb.text(f"audit.kind.{shown['kind']}", lang)
    for key in (f"outcomes.problem.{kind}", f"validation.{kind}"):
        if key in kb.texts[lang]:
            return kb.text(key, lang, **shown)
    return fallback


def field_problems(exc: ValidationError, lang: str = "en") -> list[FieldProblem]:
    """Every problem of a refused outcome, at its field, in ``lang``."""
    found = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(outcome)"
        given = None if error["type"] in ("missing", "required_for") else error.get("input")
        text = message(error["type"], str(error["msg"]), lang, error.get("ctx"))
        found.append(FieldProblem(field, given, text))
    return found


def parse_outcome(
    data: dict[str, Any], lang: str = "en", latest: date | None = None
) -> Outcome | list[FieldProblem]:
    """The outcome, or its problems (never an exception: a bad row is reported, not raised)."""
    context = {"today": latest} if latest is not None else None
    try:
        return Outcome.model_validate(data, context=context)
    except ValidationError as exc:
        found = field_problems(exc, lang)
    return found + _missing_for_kind(data, {p.field for p in found}, lang)


def _missing_for_kind(data: dict[str, Any], named: set[str], lang: str) -> list[FieldProblem]:
    """The kind's required fields that are not given, when another field's problem stopped
    validation before the kind was checked: every problem is named at once."""
    kind = KINDS.get(str(data.get("module")), {}).get(str(data.get("outcome")))
    if kind is None:
        return []
    text = message("required_for", "", lang, {"outcome": data["outcome"]})
    return [
        FieldProblem(name, None, text)
        for name in kind.required
        if data.get(name) is None and name not in named
    ]


__all__ = [
    "COLUMNS",
    "DETAILS",
    "KINDS",
    "LINK_FIELDS",
    "Kind",
    "Outcome",
    "field_problems",
    "message",
    "parse_outcome",
    "problem",
    "today",
]
