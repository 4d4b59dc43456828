"""Texts of the front end in the chosen language: a thin wrapper over the knowledge base's
texts (``knowledge_base/texts/<lang>/ui.yaml``, keys under ``ui.``).

The language is the ``lang`` radio in the sidebar, defaulting to the browser's language.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from knowledge_base import Knowledge, load_knowledge

LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
LANG_KEY = "lang"


def kb() -> Knowledge:
    return load_knowledge()


def browser_language() -> str:
    locale = st.context.locale or ""
    return "zh" if locale.lower().startswith("zh") else "en"


def lang() -> str:
    chosen = st.session_state.get(LANG_KEY)
    return chosen if chosen in LANGUAGES else "en"


def t(key: str, **values: object) -> str:
    """The UI text ``ui.<key>`` in the current language (English, then the key, if missing)."""
    return kb().text(f"ui.{key}", lang(), **values)


def t_or(key: str, default: str, **values: object) -> str:
    """Like ``t`` but ``default`` when no language has the key."""
    full = f"ui.{key}"
    text = kb().text(full, lang(), **values)
    return default if text == full else text


def labeller(options: Iterable[Any], label: Callable[[Any], str]) -> Callable[[Any], str]:
    """A ``format_func`` with every label computed now, in the current language: widgets
    call it later, also outside the script run (tests), where the language is not known."""
    labels = {option: label(option) for option in options}
    return lambda option: labels.get(option, str(option))


_KEPT_TYPES = (str, int, float, datetime.date, list, tuple, type(None))
"""What a choice, a typed text or a date holds (``None``: "any", nothing chosen yet); not
``bool`` (buttons hold one, and a button's state cannot be set), nor an upload."""
_UNSETTABLE: set[str] = set()


def upload_key(key: str) -> str:
    """The key of a file uploader: its state holds ``None`` until a file comes, and Streamlit
    refuses to have it set (``_keep_choices`` leaves it alone)."""
    _UNSETTABLE.add(key)
    return key


def _keep_choices() -> None:
    """On a language switch, set every widget's value again by value, before the run.

    The browser holds a select box's choice as its label; the labels change with the language,
    so the browser's next message names a label the new options do not have, and Streamlit
    returns that label instead of the value (a record id read as "#17 · consultation · …").
    Setting the value in the state, here in the switch's callback where it is still read with
    the old labels, makes the run use the value and send the browser its new label."""
    state = st.session_state
    for key in list(state):
        if key == LANG_KEY or key in _UNSETTABLE:
            continue
        value = state[key]
        if isinstance(value, _KEPT_TYPES) and not isinstance(value, bool):
            state[key] = value


def language_switch() -> str:
    """The sidebar's language radio; returns the chosen language."""
    st.session_state.setdefault(LANG_KEY, browser_language())
    st.sidebar.radio(
        "Language / 语言",
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        horizontal=True,
        on_change=_keep_choices,
    )
    return lang()


def colon() -> str:
    """ ": " in English, "：" in Chinese: between a label and its value in the current language."""
    return kb().text("summary.colon", lang())
