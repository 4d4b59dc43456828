"""Input forms generated from the case section models (``knowledge_base.facts``).

Each field of a section becomes a widget chosen from its type: a text box read by
``ui.numbers.parse_number`` for ``int``/``float`` (so ``1,200,000`` is accepted; every number
field, not only amounts: one behaviour for all, and a stepper is no help for a number typed in
full), a select for a ``Literal``, a multiselect for a list of catalogue items, a checkbox for a
``bool``, a text box for ``str``. Label (and unit) and help come from the knowledge base's
texts, in the current language. Every widget is keyed ``f"{page}_{section}_{field}"`` and its
value lives in ``st.session_state``, so nothing typed is lost on an error, a language switch or
a visit to another page. Validation is the engine's (``InputError``): each problem is shown
under the field it names, as text (``ui.inert.plain``: a problem may quote what was typed).
"""

from __future__ import annotations

import itertools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import streamlit as st
from pydantic import BaseModel, ValidationError

from engine.errors import MAX_PROBLEMS_SHOWN, InputError
from engine.intake import MAX_PROBLEMS_KEPT, problem_message
from engine.labels import field_label, field_unit, value_label
from ui.i18n import kb, labeller, lang, t, t_or
from ui.inert import plain
from ui.numbers import parse_number, read_typed, show_number

Kind = Literal["text", "int", "float", "choice", "choices", "flag"]
KEYS = "_form_keys"
"""All form widget keys seen in this session (kept alive across pages by ``keep_values``)."""
FORM_ERROR = "_form"
"""Where problems that name no field of the form go."""


@dataclass(frozen=True)
class FieldSpec:
    section: str
    name: str
    kind: Kind
    options: tuple[Any, ...]
    required: bool
    default: Any


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _kind(annotation: Any) -> tuple[Kind, tuple[Any, ...]]:
    inner = _unwrap_optional(annotation)
    origin = typing.get_origin(inner)
    if origin is Literal:
        return "choice", typing.get_args(inner)
    if origin in (list, tuple, set, frozenset):
        (item,) = typing.get_args(inner)[:1]
        return "choices", typing.get_args(item) if typing.get_origin(item) is Literal else ()
    if inner is bool:
        return "flag", ()
    if inner is int:
        return "int", ()
    if inner is float:
        return "float", ()
    return "text", ()


def field_specs(section: str, model: type[BaseModel]) -> list[FieldSpec]:
    specs = []
    for name, info in model.model_fields.items():
        kind, options = _kind(info.annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        specs.append(FieldSpec(section, name, kind, options, info.is_required(), default))
    return specs


def widget_key(page: str, section: str, field: str) -> str:
    return f"{page}_{section}_{field}"


NUMBER_KINDS = ("int", "float")


def _initial(spec: FieldSpec) -> Any:
    if spec.kind == "text":
        return spec.default or ""
    if spec.kind in NUMBER_KINDS:
        return show_number(spec.default)
    if spec.kind == "flag":
        return bool(spec.default)
    if spec.kind == "choices":
        return list(spec.default or [])
    return spec.default


def _register(key: str) -> None:
    keys: set[str] = st.session_state.setdefault(KEYS, set())
    keys.add(key)


def keep_values() -> None:
    """Keep every form's values while its page is not shown (call at every run, before the
    page runs): Streamlit drops the state of widgets a run does not draw, unless re-set."""
    for key in st.session_state.get(KEYS, set()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def current_values() -> dict[str, Any]:
    """Every form value typed in this session, by widget key (what a reload must give back)."""
    state = st.session_state
    return {key: state[key] for key in sorted(state.get(KEYS, set())) if key in state}


def put_values(values: Mapping[str, Any]) -> None:
    """Give form widgets back their values (before they are drawn): only text, yes/no and
    lists of text, as the widgets hold them."""
    for key, value in values.items():
        if isinstance(value, str | bool | None) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            _register(key)
            st.session_state[key] = value


def label(spec: FieldSpec) -> str:
    text = field_label(spec.section, spec.name, kb(), lang())
    text = text[:1].upper() + text[1:]
    unit = field_unit(spec.section, spec.name)
    if unit:
        text += f" ({t_or(f'unit.{unit}', unit)})"
    return text + (" *" if spec.required else "")


def help_text(spec: FieldSpec, model: type[BaseModel]) -> str:
    described = model.model_fields[spec.name].description or ""
    return t_or(f"help.{spec.section}.{spec.name}", described)


def _option_label(spec: FieldSpec, value: Any) -> str:
    if value is None:
        return t("form.choose") if spec.required else t("form.not_given")
    return value_label(spec.section, spec.name, value, kb(), lang())


def _widget(page: str, spec: FieldSpec, model: type[BaseModel]) -> None:
    key = widget_key(page, spec.section, spec.name)
    _register(key)
    st.session_state.setdefault(key, _initial(spec))
    shown, helped = label(spec), help_text(spec, model)
    if spec.kind in NUMBER_KINDS:
        st.text_input(shown, help=helped, key=key)
    elif spec.kind == "choice":
        st.selectbox(
            shown,
            list(spec.options),
            index=None,
            placeholder=_option_label(spec, None),
            format_func=labeller(spec.options, lambda v: _option_label(spec, v)),
            help=helped,
            key=key,
        )
    elif spec.kind == "choices":
        st.multiselect(
            shown,
            list(spec.options),
            format_func=labeller(spec.options, lambda v: _option_label(spec, v)),
            help=helped,
            key=key,
        )
    elif spec.kind == "flag":
        st.checkbox(shown, help=helped, key=key)
    else:
        st.text_input(shown, help=helped, key=key)


def render_section(
    page: str,
    section: str,
    model: type[BaseModel],
    errors: Mapping[str, str],
    columns: int = 3,
) -> None:
    """The section's widgets in a grid; a field's problem is shown right under it."""
    cells = st.columns(columns)
    for index, spec in enumerate(field_specs(section, model)):
        with cells[index % columns]:
            _widget(page, spec, model)
            problem = errors.get(f"{section}.{spec.name}")
            if problem:
                st.error(problem, icon=":material/warning:")


def _cleaned(spec: FieldSpec, value: Any) -> Any:
    if spec.kind in NUMBER_KINDS and isinstance(value, str) and value.strip():
        try:
            return parse_number(value, whole=spec.kind == "int")
        except ValueError:
            return value.strip()  # the model refuses it too; ``number_problems`` says why
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if spec.kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def read_section(page: str, section: str, model: type[BaseModel]) -> dict[str, Any]:
    """The section's values as a case section: empty optional fields left out (not given)."""
    values: dict[str, Any] = {}
    for spec in field_specs(section, model):
        value = _cleaned(spec, st.session_state.get(widget_key(page, section, spec.name)))
        if value is None:  # not given: optional fields stay unset, required ones are "missing"
            continue
        if spec.kind == "choices" and not value:
            continue
        values[spec.name] = value
    return values


def load_section(page: str, section: str, model: type[BaseModel], data: Mapping[str, Any]) -> None:
    """Fill the section's widgets from a case section (an example); call from a callback."""
    for spec in field_specs(section, model):
        key = widget_key(page, section, spec.name)
        _register(key)
        value = data.get(spec.name, _initial(spec))
        if spec.kind in NUMBER_KINDS:
            value = show_number(value)
        if spec.kind == "text":
            value = "" if value is None else str(value)
        st.session_state[key] = value


def number_problems(page: str, section: str, model: type[BaseModel]) -> dict[str, str]:
    """The section's number fields whose text is not a number, by ``section.field``: the
    message names the field, quotes what was typed and shows how to type a number."""
    found: dict[str, str] = {}
    for spec in field_specs(section, model):
        if spec.kind not in NUMBER_KINDS:
            continue
        typed = st.session_state.get(widget_key(page, section, spec.name))
        _, problem = read_typed(typed, label(spec).removesuffix(" *"))
        if problem:
            found[f"{section}.{spec.name}"] = problem
    return found


_MORE_THAN_KEPT = MAX_PROBLEMS_KEPT + 1
_CONTEXT = ("ge", "le", "gt", "lt", "min_length", "max_length")


def _message(section: str, error: Mapping[str, Any]) -> str:
    """A pydantic error of one section in the current language: the form's own short wording
    of a field's check (``ui.problem.*``, shown under the field), else the engine's (the case's
    checks across fields, allowed values, unknown fields), which places it in the case."""
    context = {k: v for k, v in (error.get("ctx") or {}).items() if k in _CONTEXT}
    shown = {k: value_label("", "", v, kb(), lang()) for k, v in context.items()}
    in_case = {**error, "loc": (section, *error["loc"])}
    return t_or(f"problem.{error['type']}", plain(problem_message(in_case, lang())), **shown)


def validate_section(
    section: str, model: type[BaseModel], values: Mapping[str, Any]
) -> dict[str, str]:
    """Problems of one section by ``section.field`` (empty if valid), in the current language;
    the first ``MAX_PROBLEMS_KEPT`` (more than a section has fields) of however many. So many
    made-up keys are named without validating: pydantic would make an error for every one."""
    unknown = itertools.islice((k for k in values if k not in model.model_fields), _MORE_THAN_KEPT)
    named = list(unknown)
    if len(named) == _MORE_THAN_KEPT:
        return {
            f"{section}.{key}": _message(section, {"type": "extra_forbidden", "loc": (key,)})
            for key in named[:MAX_PROBLEMS_KEPT]
        }
    try:
        model.model_validate(dict(values))
    except ValidationError as exc:
        found: dict[str, str] = {}
        for error in exc.errors()[:MAX_PROBLEMS_KEPT]:
            where = ".".join([section, *(str(p) for p in error["loc"][:1])])
            found.setdefault(where, _message(section, error))
        return found
    return {}


def field_problems(exc: InputError, sections: tuple[str, ...]) -> dict[str, str]:
    """The engine's problems by ``section.field``; anything else under ``FORM_ERROR``. What
    the user typed (values, made-up field names) is quoted as a short escaped excerpt, and
    at most ``MAX_PROBLEMS_SHOWN`` problems are listed."""
    found: dict[str, str] = {}
    for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
        section, _, field = problem.field.partition(".")
        where = problem.field if section in sections and field else FORM_ERROR
        message = t(
            "form.problem", message=plain(problem.message), value=plain(problem.shown_value)
        )
        if problem.value is None:
            message = plain(problem.message)
        if where == FORM_ERROR and problem.field:
            message = f"{plain(problem.shown_field)}: {message}"
        found[where] = f"{found[where]}; {message}" if where in found else message
    return found
