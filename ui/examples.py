"""The example cases (``examples/*.yaml``) offered on the consultation pages, to fill a form."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import streamlit as st
from pydantic import BaseModel

from engine.errors import InputError
from engine.intake import read_case_file
from ui import forms
from ui.consult import errors_key, outcome_key
from ui.i18n import t
from ui.inert import plain

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_files(prefixes: tuple[str, ...]) -> list[Path]:
    """Example files whose name starts with one of ``prefixes`` ("" for all)."""
    if not EXAMPLES.is_dir():
        return []
    return [p for p in sorted(EXAMPLES.glob("*.yaml")) if p.name.startswith(prefixes)]


def _load(page: str, sections: Mapping[str, type[BaseModel]]) -> None:
    chosen = st.session_state.get(f"{page}_example")
    if not chosen:
        return
    try:
        case = read_case_file(EXAMPLES / str(chosen))
    except InputError as exc:
        st.session_state[errors_key(page)] = {forms.FORM_ERROR: plain(exc)}
        return
    for name, model in sections.items():
        forms.load_section(page, name, model, case.get(name) or {})
    st.session_state.pop(outcome_key(page), None)
    st.session_state.pop(errors_key(page), None)


def example_picker(
    page: str, prefixes: tuple[str, ...], sections: Mapping[str, type[BaseModel]]
) -> None:
    """A select of the examples and a button that fills the form with the chosen one."""
    files = example_files(prefixes)
    if not files:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox(
        t("examples.label"),
        [p.name for p in files],
        format_func=lambda name: name.removesuffix(".yaml"),
        key=f"{page}_example",
        help=t("examples.help"),
    )
    right.button(
        t("examples.load"),
        on_click=_load,
        args=(page, sections),
        key=f"{page}_example_load",
        width="stretch",
    )
