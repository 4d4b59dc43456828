"""A parameter overlay: proposed parameter values, each with the figure that justifies it.

``sales-expert calibrate`` writes one; the policy workbench (issue 21) reads it into a draft.
Nothing is applied by writing or loading it: a person publishes a draft. The file is YAML::

    format: 1                        # this layout; a reader refuses any other
    kind: parameter_overlay
    created_at: '2025-06-30T08:00:00+00:00'
    source:                          # the data the values were read from
      book: book.csv                 # file name only (no folder: the file may be shared)
      rows: 1000                     # data rows of the book
      sha256: 3b1f…                  # of the book file's bytes, as `sales-expert batch` keys it
    ruleset_version: rb-34b296521e876cfa   # the rule base whose parameters it changes
    parameters:
      grading.monetary_high_min_purchases:
        value: 812346                # the proposal, at the parameter's precision, in its range
        current: 1000000             # the rule base's value when it was proposed
        reason: {en: '…', zh: '…'}   # why, with the figures, in both languages
        figures: {n: 980, target_share: 0.2, …}   # the numbers behind the reason

``load_overlay(path, lang)`` refuses, naming the parameter, the value and the allowed range: a
file that is not such a mapping, an unknown key, an unknown parameter, a value or current value
that is not a finite number (a quoted ``"12"`` or ``true`` is not one), and a value outside the
parameter's declared range. The parameter values are refused by ``engine.parameter_values``,
in the words a draft's change or a simulated change is refused with. Ordering between
parameters (a medium cut-off below the high one) is the lint's business, as for any edited
parameter.

A parameter's precision is that of its declaration: the decimals of its default, minimum and
maximum (``1000000`` yuan: whole yuan; ``0.045``: three decimals). A proposal is rounded half
up to it, then clamped into the declared range; the clamp is stated in the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, StrictFloat, StrictInt, ValidationError, field_validator

from engine.calibrate.book import CalibrateError, refuse
from engine.errors import FieldProblem, InputError, excerpt
from engine.labels import number
from engine.parameter_values import NumberOf, in_unit, parameter_value_problem
from engine.safe_load import read_data_file
from knowledge_base import Knowledge, Parameter, Text, load_knowledge
from knowledge_base.schema import Strict

FORMAT = 1
KIND = "parameter_overlay"
MAX_DECIMALS = 6
"""Most decimals a precision is read to (a declared value is never finer in this rule base)."""
Number = StrictInt | StrictFloat


class OverlaySource(Strict):
    """The book the values were read from: its file name, rows and SHA-256."""

    book: str = Field(min_length=1)
    rows: StrictInt = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Proposal(Strict):
    """One proposed value, the value it would replace, why, and the figures behind the why."""

    value: Number
    current: Number
    reason: Text
    figures: dict[str, Any] = Field(default_factory=dict)

    @field_validator("value", "current")
    @classmethod
    def _finite(cls, number: float) -> float:
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return number


class Overlay(Strict):
    """A whole overlay file (see the module docstring)."""

    format: Literal[1]
    kind: Literal["parameter_overlay"]
    created_at: datetime
    source: OverlaySource
    ruleset_version: str = Field(min_length=1)
    parameters: dict[str, Proposal]

    def values(self) -> dict[str, float]:
        """The proposed values by parameter name, as a draft or a simulation applies them."""
        return {name: float(p.value) for name, p in self.parameters.items()}


def decimals(parameter: Parameter) -> int:
    """Decimals of the parameter's declaration (default, minimum, maximum), at most six."""
    found = 0
    for declared in (parameter.value, parameter.min, parameter.max):
        if declared is not None:
            exponent = Decimal(repr(float(declared))).normalize().as_tuple().exponent
            found = max(found, -exponent if isinstance(exponent, int) else 0)
    return min(found, MAX_DECIMALS)


def at_precision(parameter: Parameter, number: float) -> int | float:
    """``number`` rounded half up to the parameter's precision (an int when it has none)."""
    places = decimals(parameter)
    rounded = Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return int(rounded) if places == 0 else float(rounded)


def clamped(parameter: Parameter, number: int | float) -> tuple[int | float, str | None]:
    """``number`` inside the declared range, and which bound clamped it ("min", "max", None)."""
    if parameter.min is not None and number < parameter.min:
        return at_precision(parameter, parameter.min), "min"
    if parameter.max is not None and number > parameter.max:
        return at_precision(parameter, parameter.max), "max"
    return number, None


def shown(parameter: Parameter, number: float) -> str:
    """A value of the parameter with grouped thousands, at the parameter's precision."""
    return f"{number:,.{decimals(parameter)}f}"


def with_unit(
    parameter: Parameter, value: float, kb: Knowledge, lang: str, exact: bool = False
) -> str:
    """A value and the parameter's unit ("812,346 yuan", "812,346元", "15 %"); ``exact``
    shows up to two decimals whatever the precision (a quantile before rounding)."""
    return in_unit(number(value) if exact else shown(parameter, value), parameter, kb, lang)


def percent(share: float | None, lang: str) -> str:
    """A share as the back-test prints it: "20.0 %" in English, "20.0%" in Chinese."""
    if share is None:
        return "—"
    return f"{100 * share:.1f}%" if lang == "zh" else f"{100 * share:.1f} %"


def _read(path: Path, lang: str) -> Any:
    """The file within the input limits (size, nesting, aliases, duplicate keys): an overlay
    may come from anyone who can hand a file to the workbench."""
    try:
        return read_data_file(path, lang)
    except InputError as exc:
        reason = excerpt("; ".join(p.message for p in exc.problems) or type(exc).__name__, 120)
        raise refuse(
            str(path), "calibrate.overlay.unreadable", lang, path=str(path), reason=reason
        ) from exc


def _structure_problem(error: Mapping[str, Any], kb: Knowledge, lang: str) -> str:
    """One pydantic error in the file's own terms: a parameter's value or current value as
    every parameter value is refused (``engine.parameter_values``), else where and what."""
    where = ".".join(str(part) for part in error["loc"])
    loc = error["loc"]
    number = len(loc) >= 3 and loc[0] == "parameters" and loc[2] in ("value", "current")
    if number and error["type"] != "missing":
        field: NumberOf = "current" if loc[2] == "current" else "value"
        found = parameter_value_problem(str(loc[1]), error.get("input"), kb, lang, field=field)
        if found is not None:
            return found
    kind = str(error["type"])
    key = {"missing": "missing", "extra_forbidden": "extra", "literal_error": "literal"}.get(
        kind, "wrong"
    )
    expected = {"format": str(FORMAT), "kind": KIND}.get(str(loc[-1]) if loc else "", "")
    problem = kb.text(f"calibrate.overlay.problem.{key}", lang, expected=expected)
    return kb.text("calibrate.overlay.structure", lang, where=where, problem=problem)


def problems(overlay: Overlay, kb: Knowledge, lang: str = "en") -> list[str]:
    """What the rule base ``kb`` refuses in a well-formed overlay: unknown parameters and
    values outside their declared range (a draft re-checks against the rule base of the day)."""
    found = (
        parameter_value_problem(name, proposal.value, kb, lang)
        for name, proposal in overlay.parameters.items()
    )
    return [text for text in found if text is not None]


def load_overlay(path: Path, lang: str = "en", kb: Knowledge | None = None) -> Overlay:
    """Read and check an overlay file against the rule base (default: the shipped one); every
    problem is a ``CalibrateError`` line naming the file, the parameter, value and range."""
    knowledge = kb or load_knowledge()
    data = _read(path, lang)
    if not isinstance(data, dict):
        raise refuse(str(path), "calibrate.overlay.not_mapping", lang, path=str(path))
    try:
        overlay = Overlay.model_validate(data)
    except ValidationError as exc:
        texts = [_structure_problem(e, knowledge, lang) for e in exc.errors()]
        raise _refused(path, list(dict.fromkeys(texts))) from exc
    found = problems(overlay, knowledge, lang)
    if found:
        raise _refused(path, found)
    return overlay


def _refused(path: Path, texts: list[str]) -> CalibrateError:
    return CalibrateError([FieldProblem(str(path), None, f"{path}: {text}") for text in texts])


HEADER = (
    "# Parameter overlay proposed by `sales-expert calibrate`: nothing is applied until a person\n"
    "# publishes it (README: Calibration). Each value carries the figures that justify it.\n"
)


def dump_overlay(overlay: Overlay) -> str:
    """The overlay as the YAML text ``load_overlay`` reads back (keys in the documented order)."""
    body = yaml.safe_dump(
        overlay.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=1 << 16
    )
    return HEADER + body
