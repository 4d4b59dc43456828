"""CSV cells a spreadsheet will not run: the one neutraliser of every CSV the product writes
(batch results and errors, the batch template, the web app's downloads, ``audit export``).

A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return may be evaluated as a
formula when the file is opened in Excel, LibreOffice or Google Sheets (``=HYPERLINK(…)``,
``-2+3+cmd|' /C calc'!A0``): such a cell is written with a leading apostrophe, the OWASP
mitigation for CSV injection, so it stays text. A customer id or name is typed by whoever made
the book, so a results file opened by a manager must not run it.

Numbers stay numbers. A cell that is a plain decimal number (``-5``, ``+3.5``, ``-1e-05``) is
written as it is, whether it came from an ``int`` or from a string: CSV has no types, so the
decision is made on the text. A spreadsheet reads such a cell as a number (it cannot call
anything), and the product's own batch input reads ``-5`` back as -5, whereas ``'-5`` would be
a text that fails validation as a number.

The marker is unambiguous: a cell that itself starts with an apostrophe gets one more. So
``restore_cell`` (remove exactly one leading apostrophe, if any) gives back the value that was
written, which is how the product reads its own CSV back: the Parquet output is made from the
CSV journal, and the portfolio page shows the results it offers for download.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARKER = "'"
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A plain decimal number, ASCII digits only (``\\d`` would accept other scripts' digits)."""


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not evaluate (``None`` is an empty cell)."""
    text = "" if value is None else str(value)
    if text.startswith(MARKER):
        return MARKER + text
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return MARKER + text
    return text


def restore_cell(text: str) -> str:
    """The value ``safe_cell`` was given (as text): one leading apostrophe removed."""
    return text[1:] if text.startswith(MARKER) else text


def safe_row(row: Iterable[object]) -> list[str]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: TextIO, lineterminator: str = "\n") -> None:
        self._writer = csv.writer(out, lineterminator=lineterminator)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """Rows as neutralised CSV text (``\\n`` line ends)."""
    buffer = io.StringIO()
    SafeWriter(buffer).writerows(rows)
    return buffer.getvalue()


__all__ = [
    "FORMULA_START",
    "MARKER",
    "SafeWriter",
    "csv_text",
    "restore_cell",
    "safe_cell",
    "safe_row",
]
