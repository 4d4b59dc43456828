"""Numbers as people type and read them: ``1,200,000``, ``1，200，000``, ``1 200 000``.

A form's number fields are text boxes (``ui.forms``): Streamlit's number input refuses a
thousands separator and silently puts back the last value, so an amount copied from an
invoice was lost without a word (issue 22). ``parse_number`` reads the text; the case model
then checks the value as before (its messages are shown at the field).

Separators must group thousands (``1,200,000``; ``1,2`` is refused, not read as 12, since in
much of the world it means 1.2). Full-width digits and punctuation (a Chinese keyboard's
``１２，０００．５``) read as their ASCII forms. A leading minus is read; whether the field
allows a negative number is the model's check.
"""

from __future__ import annotations

import re
import unicodedata

from engine.errors import excerpt
from engine.labels import number
from ui.i18n import t
from ui.inert import plain

MAX_NUMBER_CHARS = 64
"""Longest number text read (longer is refused: no amount has that many digits)."""

EXAMPLE = "1,200,000"
"""The example shown when a text is not a number."""

_SPACES = re.compile(r"[\s\u00a0\u202f\u3000]")
_NUMBER = re.compile(r"-?(?:\d+|\d{1,3}(?:[, ]\d{3})+)(?:\.\d+)?")


def parse_number(text: str, whole: bool = False) -> int | float:
    """The number a text shows, ``ValueError`` if none. ``whole`` (an ``int`` field) gives an
    ``int`` when the number has no fraction (``12.0`` → 12); else the float is kept, and the
    model says it must be a whole number."""
    normal = unicodedata.normalize("NFKC", text).strip()
    normal = _SPACES.sub(" ", normal)
    if len(normal) > MAX_NUMBER_CHARS or not _NUMBER.fullmatch(normal):
        raise ValueError(f"not a number: {text!r}")
    digits = normal.replace(",", "").replace(" ", "")
    if "." not in digits:
        return int(digits) if whole else float(digits)
    value = float(digits)
    return int(value) if whole and value.is_integer() else value


def show_number(value: object) -> str:
    """A number as its field's text (grouped thousands), anything else as ``str``; ``None``
    as empty. Decimals are kept as given (an input is shown, not rounded)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        shown = repr(value) if "e" not in repr(value) else f"{value:.12f}".rstrip("0")
        whole, _, fraction = shown.partition(".")
        sign = "-" if whole.startswith("-") else ""
        return f"{sign}{abs(int(whole)):,}.{fraction}"
    return number(value)


def read_typed(typed: object, label: str, whole: bool = False) -> tuple[int | float | None, str]:
    """What a number field holds: its number (None when empty) and "", or None and the problem
    in the current language — naming the field, quoting what was typed, showing an example."""
    if typed is None or (isinstance(typed, str) and not typed.strip()):
        return None, ""
    if isinstance(typed, int | float) and not isinstance(typed, bool):
        return typed, ""  # put there by the page itself (a seeded value)
    try:
        return parse_number(str(typed), whole), ""
    except ValueError:
        shown = plain(excerpt(str(typed).strip(), quoted=False))
        field = plain(label[:1].upper() + label[1:])  # it starts the sentence
        return None, t("form.not_a_number", field=field, value=shown, example=EXAMPLE)
