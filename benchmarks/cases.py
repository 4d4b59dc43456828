"""Seeded, schema-driven case generator: every section of ``knowledge_base.facts.Case``.

Values are drawn from each field's declared domain (Literal choices, numeric ranges — large
ranges log-uniformly, so amounts spread over realistic scales), optional fields are sometimes
left out, list fields get a random subset of their allowed values. The same seed gives the
same cases, so benchmark runs and tests are reproducible.
"""

from __future__ import annotations

import math
import random
import types
import typing
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from knowledge_base.facts import SECTIONS, Case
from knowledge_base.facts.credit import BUCKETS


def _bounds(info: FieldInfo) -> tuple[float, float]:
    low, high = 0.0, 1000.0
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            low = float(meta.ge)  # type: ignore[arg-type]  # the models bound with numbers
        elif isinstance(meta, annotated_types.Gt):
            low = float(meta.gt)  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Le):
            high = float(meta.le)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Lt):
            high = float(meta.lt)  # type: ignore[arg-type]
    return low, high


def _number(rng: random.Random, low: float, high: float) -> float:
    if high - low > 10_000 and low >= 0:
        return math.exp(rng.uniform(0, math.log(high - low + 1))) - 1 + low
    return rng.uniform(low, high)


def _value(rng: random.Random, annotation: Any, info: FieldInfo, index: int) -> Any:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _value(rng, options[0], info, index)
    if origin is typing.Literal:
        return rng.choice(args)
    if origin in (list, set, frozenset, tuple):
        choices = typing.get_args(args[0]) if typing.get_origin(args[0]) is typing.Literal else ()
        return rng.sample(list(choices), rng.randint(0, min(4, len(choices)))) if choices else []
    if annotation is bool:
        return rng.random() < 0.5
    if annotation is int:
        low, high = _bounds(info)
        return int(_number(rng, low, min(high, 10**9)))
    if annotation is float:
        low, high = _bounds(info)
        return round(_number(rng, low, high), 2)
    return f"G-{index}"


def generate_section(model: type[BaseModel], rng: random.Random, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required() and rng.random() < 0.2:
            continue
        data[name] = _value(rng, info.annotation, info, index)
    return data


def generate_cases(
    count: int, seed: int = 7, sections: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """``count`` valid cases; every section (or those named) present in each case."""
    rng = random.Random(seed)
    wanted = sections or tuple(SECTIONS)
    cases: list[dict[str, Any]] = []
    while len(cases) < count:
        case = {name: generate_section(SECTIONS[name], rng, len(cases)) for name in wanted}
        if "credit" in case:
            _coherent_late_counts(case["credit"])
        if _valid(case) or (_align_sections(case) and _valid(case)):
            cases.append(case)
        # else a cross-field rule of a section refused the draw: draw again
    return cases


def _coherent_late_counts(credit: dict[str, Any]) -> None:
    """The late-invoice counts as one history: all four buckets of a period or none, 24 months
    only with 12, each 24-month count at least its 12-month count. Redrawing until chance
    gives that would refuse most credit sections."""
    recent = [f"late_12m_{b}" for b in BUCKETS]
    longer = [f"late_24m_{b}" for b in BUCKETS]
    if not any(name in credit for name in recent):
        for name in longer:
            credit.pop(name, None)
        return
    for name in recent:
        credit.setdefault(name, 0)
    if any(name in credit for name in longer):
        for short, long in zip(recent, longer, strict=True):
            credit[long] = max(credit.get(long, 0), credit[short])


def _valid(case: dict[str, Any]) -> bool:
    try:
        Case.model_validate(case)
    except ValueError:
        return False
    return True


def _align_sections(case: dict[str, Any]) -> bool:
    """Raise each credit value the collection section says is too low to the value it names
    (``credit_below_collection``: the sections must show the same arrears); False if any other
    check refused the case. Drawing again instead would refuse most full cases."""
    try:
        Case.model_validate(case)
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["type"] != "credit_below_collection" for e in errors):
            return False
        for error in errors:
            section, _, name = str(error["ctx"]["field"]).partition(".")
            case[section][name] = error["ctx"]["other_value"]
    return True
