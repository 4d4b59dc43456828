"""Text people typed, shown as text: never as Markdown or HTML.

Streamlit draws these as Markdown: ``st.markdown``, ``st.caption``, ``st.info/success/warning/
error``, headers, and the labels of expanders, tabs and metrics — **and a metric's value**. Its
Markdown is GitHub's plus Streamlit's own: ``:red[…]`` colours, ``:material/…:`` icons, emoji
and ``:streamlit:`` shortcodes, ``$…$`` LaTeX, bare ``http://`` / ``www.`` / e-mail links and
typographic arrows (``->`` → "→"). A customer id like ``![x](http://host/x.png)`` put into one
of them makes the reader's browser fetch that image (the issue 19 finding), a ``:red[…]``
recolours a page, a newline starts a heading.

``plain(text)`` is the one way to put such text into those places: anything from a case, the
audit store, a batch file or the users file (customer ids and names, reasons, actors, notes,
error messages that quote input). Templates (the knowledge base's texts) stay Markdown; only the
values put into them go through ``plain``. Select box options, data frames, charts and widget
values are drawn as plain text by Streamlit already and take text as it is (escaping them would
show the backslashes).

How: every ASCII punctuation character is backslash-escaped (CommonMark renders any escaped
ASCII punctuation literally, so no inline or block construct can start). Streamlit's shortcodes,
link detection and arrows work on the text *after* escapes are resolved, so a word joiner
(U+2060, invisible and zero-width) is put where they would match: after every ``:`` and ``@``,
between ``www`` and ``.``, inside a stand-alone arrow. Lines become hard line breaks of one
paragraph; blank lines and indentation are dropped (they would start new blocks).
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"
"""Invisible, zero-width, not a space: breaks a pattern without changing what is seen."""

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: the ones CommonMark lets a backslash escape."""
_AFTER_MARK = re.compile(r"([:@])")
"""Shortcodes (``:smile:``, ``:material/x:``, ``:streamlit:``), URL schemes, e-mail links."""
_WWW = re.compile(r"(?i)\b(www)(?=\.)")
_ARROW = re.compile(r"(?<!\S)([<>~-])(?=(?:->|-|=|>)(?!\S))")
"""The first character of a stand-alone ``<->``, ``->``, ``<-``, ``--``, ``>=``, ``<=``,
``~=``, which Streamlit replaces by ↔ → ← — ≥ ≤ ≈."""
_BACKTICKS = re.compile(r"`+")


def _line(text: str) -> str:
    text = _AFTER_MARK.sub(rf"\1{WORD_JOINER}", text)
    text = _WWW.sub(rf"\1{WORD_JOINER}", text)
    text = _ARROW.sub(rf"\1{WORD_JOINER}", text)
    return _PUNCTUATION.sub(r"\\\1", text)


def plain(text: object) -> str:
    """``text`` (anything; ``str()`` is taken) for a Markdown context, shown as it reads."""
    lines = [line.strip() for line in str(text).splitlines()]
    return "\\\n".join(_line(line) for line in lines if line)


def code(text: object) -> str:
    """``text`` as an inline code span (hashes, versions): its content is never Markdown; the
    fence is longer than any run of backquotes inside, newlines become spaces."""
    shown = " ".join(str(text).split())
    if not shown:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


__all__ = ["WORD_JOINER", "code", "plain"]
