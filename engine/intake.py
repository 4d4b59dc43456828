"""The only door for facts: a case (dict, file or model) becomes validated, engine-safe facts.

durable-rules compares a string with a number as text and cannot parse floats written with an
exponent, so every value is cast to a plain int, float, str, bool or list of str here, before
it reaches the engine.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from engine.errors import FieldProblem, InputError
from engine.labels import number
from engine.safe_load import read_data_file, refuse
from knowledge_base import Knowledge, load_knowledge
from knowledge_base.facts import SECTIONS, Case

Fact = dict[str, Any]


def read_case_file(path: Path, lang: str = "en") -> dict[str, Any]:
    """Read a case from JSON or YAML within the limits of ``engine.safe_load`` (size, nesting,
    aliases, duplicate keys, UTF-8); any problem is an input error naming the file."""
    data = read_data_file(path, lang)
    if not isinstance(data, dict):
        raise refuse(str(path), "not_mapping", lang, kind=type(data).__name__)
    return data


def _model_holding(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the field ``loc`` names (its last part), if the walk finds it."""
    model: type[BaseModel] = Case
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None) if field else None
        nested = next((s for s in SECTIONS.values() if s is annotation), None)
        if nested is None:
            nested = SECTIONS.get(str(part))
        if nested is None:
            return None
        model = nested
    return model


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    model = _model_holding(loc)
    return list(model.model_fields) if model is not None else []


MAX_PROBLEMS_KEPT = 100
"""Problems of one case turned into ``FieldProblem``s; the rest are only counted (a list of
100,000 bad items is one mistake, and a batch's errors file needs no 100,000 lines for it)."""


def _problem(error: Any, lang: str = "en") -> FieldProblem:
    given = error.get("input") if error["type"] != "missing" else None
    return FieldProblem(".".join(str(p) for p in error["loc"]), given, problem_message(error, lang))


def problem_message(error: Mapping[str, Any], lang: str = "en") -> str:
    """A validation error of the case model in ``lang``: the case's own checks and the model's
    (required, ranges, allowed values, types) from the knowledge base's ``validation`` texts,
    with their limits shown as people read them; anything else in the model's own words."""
    loc = tuple(error["loc"])
    kind = str(error["type"])
    kb = load_knowledge()
    if kind == "extra_forbidden":
        return _unknown_field(loc, kb, lang)
    if f"validation.{kind}" in kb.texts[lang]:
        return kb.text(f"validation.{kind}", lang, **_shown_context(error, loc, kb, lang))
    return str(error.get("msg", kind))


_LIMITS = ("ge", "le", "gt", "lt")
"""The context of a range error that holds a number: shown grouped (1,000,000, not 1e6)."""


def _shown_context(
    error: Mapping[str, Any], loc: tuple[Any, ...], kb: Knowledge, lang: str
) -> dict[str, Any]:
    context = dict(error.get("ctx") or {})
    for name in _LIMITS:
        if isinstance(context.get(name), int | float):
            context[name] = number(context[name])
    if "expected" in context:
        allowed = _allowed_values(loc)
        if allowed:
            separator = kb.text("validation.list_separator", lang)
            context["expected"] = separator.join(allowed)
    return context


def _unknown_field(loc: tuple[Any, ...], kb: Knowledge, lang: str) -> str:
    known = _known_fields(loc)
    name = str(loc[-1])  # made up by the user: compared only if it could be a field name
    close = difflib.get_close_matches(name, known, n=1) if len(name) <= 100 else []
    hint = kb.text("validation.extra_forbidden_hint", lang, name=close[0]) if close else ""
    allowed = kb.text("validation.list_separator", lang).join(known)
    return kb.text("validation.extra_forbidden", lang, hint=hint, allowed=allowed)


def _allowed_values(loc: tuple[Any, ...]) -> list[str]:
    """The values a field of fixed choices takes, as a case file writes them ([] if unknown):
    the loc of a list item ends with its index."""
    path = loc[:-1] if loc and isinstance(loc[-1], int) else loc
    if not path:
        return []
    models = _model_holding(path)
    info = models.model_fields.get(str(path[-1])) if models is not None else None
    return [str(v) for v in _literals(info.annotation)] if info is not None else []


def _literals(annotation: Any) -> list[Any]:
    """The choices of ``Literal[...]``, also inside ``X | None`` and ``list[...]``."""
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    return [v for arg in typing.get_args(annotation) for v in _literals(arg)]


def parse_case(case: Case | dict[str, Any], lang: str = "en") -> Case:
    """Validate a case; every problem is reported with its field, value and what is allowed
    (the checks between sections in ``lang``, from the knowledge base's ``validation`` texts).
    The first ``MAX_PROBLEMS_KEPT`` problems are kept, the others counted."""
    if isinstance(case, Case):
        return case
    if not isinstance(case, dict):
        raise InputError([FieldProblem("(case)", type(case).__name__, "must be a mapping")])
    _refuse_many_unknown_keys(case, lang)
    try:
        return Case.model_validate(case)
    except ValidationError as exc:
        kept = [_problem(e, lang) for e in exc.errors()[:MAX_PROBLEMS_KEPT]]
        raise InputError(kept, total=exc.error_count()) from exc


def partial_problems(case: dict[str, Any], lang: str = "en") -> list[FieldProblem]:
    """The problems of a case that may leave out required fields: what a customer list
    imported into the directory is held to (every value given must still be valid)."""
    _refuse_many_unknown_keys(case, lang)
    try:
        Case.model_validate(case)
    except ValidationError as exc:
        found = [e for e in exc.errors() if e["type"] != "missing"]
        return [_problem(e, lang) for e in found[:MAX_PROBLEMS_KEPT]]
    return []


def _unknown_keys(case: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(location, value) of every key the case's model does not have, sections included."""
    for name, section in case.items():
        model = SECTIONS.get(str(name))
        if model is None:
            yield (str(name),), section
        elif isinstance(section, dict):
            for key, value in section.items():
                if key not in model.model_fields:
                    yield (str(name), str(key)), value


def _key_count(case: dict[str, Any]) -> int:
    """Every key ``_unknown_keys`` would look at: an upper bound of the unknown ones, counted
    without asking each section's model for its fields (a pydantic property call per key)."""
    count = len(case)
    for name, section in case.items():
        if isinstance(section, dict) and str(name) in SECTIONS:
            count += len(section)
    return count


def _refuse_many_unknown_keys(case: dict[str, Any], lang: str) -> None:
    """Tens of thousands of made-up keys are refused here, counted, with the first
    ``MAX_PROBLEMS_KEPT`` named: validation would make an error object for each (200 MB for
    60,000) only for all but a few to be dropped."""
    if _key_count(case) <= MAX_PROBLEMS_KEPT:
        return  # too few keys for too many unknown ones: the usual case, decided by counting
    unknown = _unknown_keys(case)
    first = list(itertools.islice(unknown, MAX_PROBLEMS_KEPT + 1))
    if len(first) <= MAX_PROBLEMS_KEPT:
        return  # few enough: validation reports them with everything else
    kept = [
        _problem({"type": "extra_forbidden", "loc": loc, "msg": "", "input": value}, lang)
        for loc, value in first[:MAX_PROBLEMS_KEPT]
    ]
    raise InputError(kept, total=len(first) + sum(1 for _ in unknown))


@functools.cache
def _lax_types() -> dict[tuple[str, str], TypeAdapter[Any]]:
    """(section, field) → a lax validator of its type, for the int, float and bool fields."""
    found: dict[tuple[str, str], TypeAdapter[Any]] = {}
    for name, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            kinds = set(typing.get_args(info.annotation)) - {type(None)} or {info.annotation}
            if len(kinds) == 1 and (kind := kinds.pop()) in (int, float, bool):
                found[(name, field)] = TypeAdapter(kind)
    return found


def typed_cell(section: str, field: str, value: Any) -> Any:
    """A table cell as the type its field takes. The case's number and flag fields are strict
    (a text is never a number there), but a CSV cell is text by nature: its reader converts it
    here, as lax validation would (``" 12 "`` → 12, ``"yes"`` → True, 12.0 → 12). A cell that
    does not convert is returned as it is, for validation to name it."""
    adapter = _lax_types().get((section, field))
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return value


def engine_value(value: Any) -> Any:
    """Cast a validated value to what durable-rules parses and compares correctly."""
    if type(value) is float and value.is_integer():
        return int(value)  # what rounding would give, without it (most formula results)
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        # Python writes floats below 1e-4 or from 1e16 up in exponent form, which the engine
        # cannot parse: four decimals (ample for percentages and years) and integral values as
        # int rule both out.
        rounded = round(value, 4)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


_AS_IS = frozenset({str, int, bool})
"""Value types ``engine_value`` returns unchanged (exact types: a subclass goes through it)."""

CASE_FACT = "case"
"""Fact type describing which sections a case has (``has_credit``…) and which catalogue lists
hold any item (``has_collection_signals``). Rules test it instead of ``none()``, which
durable-rules does not retract when the negated fact arrives later, and instead of testing a
list for emptiness, which its conditions cannot express."""


@functools.cache
def catalogue_lists() -> tuple[tuple[str, str], ...]:
    """(section, field) of every list field drawn from a catalogue (``catalogue_field``)."""
    found = []
    for name, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "catalogue" in extra:
                found.append((name, field))
    return tuple(found)


def case_flag_names() -> list[str]:
    """The attributes of the ``case`` fact, which rules may test."""
    return [flag for flag, _, _ in _flag_sources()]


@functools.cache
def _flag_sources() -> tuple[tuple[str, str, str | None], ...]:
    """(flag, section, list field or None) for every attribute of the ``case`` fact."""
    return tuple((f"has_{name}", name, None) for name in SECTIONS) + tuple(
        (f"has_{name}_{field}", name, field) for name, field in catalogue_lists()
    )


def case_flags(case: Case) -> Fact:
    flags: Fact = {"t": CASE_FACT}
    for flag, name, field in _flag_sources():
        section = getattr(case, name, None)
        if field is None:
            flags[flag] = section is not None
        else:
            flags[flag] = bool(section is not None and getattr(section, field))
    return flags


def case_facts(case: Case) -> list[Fact]:
    """The ``case`` fact, then one fact per section present; absent optional values left out."""
    facts: list[Fact] = [case_flags(case)]
    for name in SECTIONS:
        section = getattr(case, name, None)
        if section is None:
            continue
        fact: Fact = {"t": name}
        for key, value in section.__dict__.items():  # the fields, in order (no extras allowed)
            if value is not None:
                fact[key] = value if type(value) in _AS_IS else engine_value(value)
        facts.append(fact)
    return facts


def literal_ids(annotation: Any) -> set[str]:
    """Every id a case field's ``Literal`` (or a list or optional of one) allows, as text: the
    lint checks catalogues and labels against them."""
    found: set[str] = set()
    for arg in typing.get_args(annotation):
        found |= literal_ids(arg)
    if typing.get_origin(annotation) is typing.Literal:
        found |= {str(a) for a in typing.get_args(annotation)}
    return found
