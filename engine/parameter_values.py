"""Whether a value may be given to a parameter, and the message when it may not.

One rule, used wherever a parameter value comes from outside the rule base: an overlay file
(``engine.calibrate.overlay``), a draft's change (``engine.policy.checks``) and a simulated
policy change (``engine.policy.change``). A value is refused when

- the parameter is unknown (the message suggests the closest names, or how names are formed);
- it is not a finite number (a text such as ``"12"``, ``true``, ``null``, NaN, infinity);
- it lies outside the parameter's declared range (``Parameter.min`` / ``Parameter.max``).

Each message names the parameter by its label in the request's language (not by its id: the
labels are unique, and an id in a sentence is what the language lint refuses), the value as it
was given with the parameter's unit, and the allowed range; the texts are ``parameter_value.*``
of ``knowledge_base/texts/<lang>``. Callers wrap the message in their own error (a line of the
overlay's refusal, a ``PolicyError``, a ``FieldProblem``): the wording is the same wherever the
value comes from.
"""

from __future__ import annotations

import difflib
import math
from typing import Literal

from engine.catalog import unit_label
from engine.errors import excerpt
from engine.labels import number
from knowledge_base import Knowledge, Parameter

NumberOf = Literal["value", "current"]
"""Which number of a parameter is refused: the value given, or (in an overlay) the value it
would replace."""
CLOSE_NAMES = 3
"""Known names suggested for an unknown one."""


def parameter_label(name: str, kb: Knowledge, lang: str) -> str:
    """A parameter as a sentence names it: its label ("high risk score threshold", “高风险评分
    门槛”), as every user-facing text does; an unknown one by the id it was given as."""
    parameter = kb.parameters.get(name)
    if parameter is None:
        return f"`{excerpt(name, quoted=False)}`"
    label = parameter.label.get(lang)
    return f"“{label}”" if lang == "zh" else label


def parameter_named(name: str, kb: Knowledge, lang: str) -> str:
    """A parameter as a draft's view names it: its label and, in English, its id in brackets
    (the id is what ``policy set`` takes next)."""
    label = parameter_label(name, kb, lang)
    return f"{label} ({name})" if lang != "zh" and name in kb.parameters else label


def written(value: float) -> str:
    """A number as it was given, thousands grouped ("5,000", "0.0001", "-1,234.5"): a refused
    value rounded to the parameter's precision could read as an allowed one (-0.0001 as 0)."""
    text = repr(float(value))  # the shortest digits that read back as this very number
    if "e" in text or not math.isfinite(value):
        return text
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = digits.partition(".")
    grouped = f"{int(whole):,}"
    return f"{sign}{grouped}" if fraction in ("", "0") else f"{sign}{grouped}.{fraction}"


def in_unit(text: str, parameter: Parameter, kb: Knowledge, lang: str) -> str:
    """A shown number followed by the parameter's unit ("812,346 yuan", "812,346元")."""
    return f"{text}{'' if lang == 'zh' else ' '}{unit_label(parameter.unit, kb, lang)}"


def shown_value(parameter: Parameter, value: float, kb: Knowledge, lang: str) -> str:
    """A value with the parameter's unit, as precise as it was given ("95 %", "812,346元")."""
    return in_unit(written(value), parameter, kb, lang)


def range_text(parameter: Parameter, kb: Knowledge, lang: str) -> str:
    """The declared range in words: "from 0 to 1,000 points", "at least 0 weight"…"""
    low, high = parameter.min, parameter.max
    if low is not None and high is not None:
        values = {"low": number(low), "high": in_unit(number(high), parameter, kb, lang)}
        return kb.text("parameter_value.range.between", lang, **values)
    if low is not None:
        shown_low = in_unit(number(low), parameter, kb, lang)
        return kb.text("parameter_value.range.at_least", lang, low=shown_low)
    if high is not None:
        shown_high = in_unit(number(high), parameter, kb, lang)
        return kb.text("parameter_value.range.at_most", lang, high=shown_high)
    return kb.text("parameter_value.range.any", lang)


def unknown_parameter(name: str, kb: Knowledge, lang: str) -> str:
    """The refusal of a name the rule base has no parameter of, with the closest names (a typo
    is the usual cause) or, when none is close, how parameter names are formed."""
    close = difflib.get_close_matches(name, list(kb.parameters), n=CLOSE_NAMES, cutoff=0.6)
    if close:
        names = ("、" if lang == "zh" else ", ").join(f"`{c}`" for c in close)
        hint = kb.text("parameter_value.hint.close", lang, names=names)
    else:
        hint = kb.text("parameter_value.hint.none", lang)
    shown = excerpt(name, quoted=False)
    return kb.text("parameter_value.unknown", lang, name=shown, hint=hint)


def finite(value: object) -> float | None:
    """The value as a finite float, or None: ``True``, ``"12"``, NaN, infinity and an integer
    too large for a float are not one (the engine computes in floats)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        return None
    return as_float if math.isfinite(as_float) else None


def _as_written(value: object) -> str:
    """A value that is not a number as its file has it (``true``, ``null``), a text quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return excerpt(value)


def parameter_value_problem(
    name: str, value: object, kb: Knowledge, lang: str, *, field: NumberOf = "value"
) -> str | None:
    """Why ``value`` may not be given to parameter ``name`` (unknown parameter, not a finite
    number, outside the declared range), or None when it may."""
    parameter = kb.parameters.get(name)
    if parameter is None:
        return unknown_parameter(name, kb, lang)
    named = parameter_label(name, kb, lang)
    checked = finite(value)
    if checked is None:
        what = kb.text(f"parameter_value.field.{field}", lang)
        values = {"parameter": named, "field": what, "value": _as_written(value)}
        return kb.text("parameter_value.not_a_number", lang, **values)
    low, high = parameter.min, parameter.max
    if (low is not None and checked < low) or (high is not None and checked > high):
        shown, allowed = shown_value(parameter, checked, kb, lang), range_text(parameter, kb, lang)
        values = {"parameter": named, "value": shown, "range": allowed}
        return kb.text("parameter_value.out_of_range", lang, **values)
    return None


__all__ = [
    "NumberOf",
    "finite",
    "in_unit",
    "parameter_label",
    "parameter_named",
    "parameter_value_problem",
    "range_text",
    "shown_value",
    "unknown_parameter",
    "written",
]
