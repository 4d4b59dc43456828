"""Texts of the front end in the chosen language: a thin wrapper over the knowledge base's
texts (``knowledge_base/texts/<lang>/ui.yaml``, keys under ``ui.``).

The language is the ``lang`` radio in the sidebar, defaulting to the browser's language.
"""

from __future__ import annotations

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


def language_switch() -> str:
    """The sidebar's language radio; returns the chosen language."""
    st.session_state.setdefault(LANG_KEY, browser_language())
    st.sidebar.radio(
        "Language / 语言",
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANG_KEY,
        horizontal=True,
    )
    return lang()


def colon() -> str:
    """ ": " in English, "：" in Chinese: between a label and its value in the current language."""
    return kb().text("summary.colon", lang())
