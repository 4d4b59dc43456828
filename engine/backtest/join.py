"""A batch results file joined with an outcomes file, for the back-test of any module.

The same join as the credit back-test (``credit``), generic over the module so that grading,
collection and closing measure against one rule: each outcome of the module is linked to a
results row by ``consultation_id`` when it names one of the module's rows, else by
``customer_id`` (that customer's LAST row of the module, the file being in consultation order),
else it is counted ``unmatched``. Rows the outcome model refuses are counted
``invalid_outcomes``, outcomes of another module ``other_module_outcomes``; results rows that
are not consultations of the module (failed, or without the module's conclusion:
``Spec.is_row``) take no outcome and are counted too (``not_<module>_rows``), so that every row
and every outcome is accounted for.

A row keeps ALL its outcomes, in file order: how several outcomes of one consultation combine
(purchases of two periods add up; the latest word on a deal decides it) is the module's call,
made once in the module's ``measure`` from ``Linked`` pairs, which the audit store's reader
(``store_modules``) yields as well: the two sources share every figure. Nothing is read from
or written to the audit database here. ``ratio`` and ``rate_row`` are the two figures every
module reports the same way (a share, a rate with its Wilson interval); ``left_out`` names the
counts beside them, the same keys in both modes (and the credit back-test's).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from engine.backtest import metrics
from engine.backtest.credit import BacktestFileError, refuse
from engine.backtest.linking import link
from engine.batch.mapping import LIST_SEPARATOR
from engine.batch.table import is_parquet, read_rows
from engine.csv_safe import restore_cell
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.table import open_table, typed_cells
from engine.outcomes.table import read_rows as outcome_rows

LINK_COLUMNS = ("consultation_id", "customer_id")
Cells = dict[str, str]
"""A results row: column → its cell as the batch wrote it (text, restored, stripped)."""
Linked = tuple[Cells, list[Outcome]]
"""A consultation of the module and the outcomes that count for it, in file order (a results
file) or recording order (the audit store)."""


@dataclass(frozen=True)
class Spec:
    """What one module's back-test needs of the results file."""

    module: str
    required: tuple[str, ...]
    """Columns the results must have (else exit 2 naming them, as credit does)."""
    is_row: Callable[[Cells], bool]
    """Whether a row that ran (status ok) is a consultation of the module."""
    keep: tuple[str, ...]
    """The columns the module's figures read: only these are kept of each row (a results file
    of a million rows must not be held whole)."""


@dataclass
class Joined:
    """The module's rows of the results file, each with the outcomes linked to it."""

    module: str
    columns: list[str]
    rows: list[Cells] = field(default_factory=list)
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)
    """Row index → its outcomes, for the rows that have any."""
    by_consultation: dict[str, int] = field(default_factory=dict)
    by_customer: dict[str, int] = field(default_factory=dict)
    not_module_rows: int = 0
    unmatched: int = 0
    invalid: int = 0
    other_modules: int = 0

    def linked(self) -> Iterator[Linked]:
        """Each row that has at least one outcome, with its outcomes (file order)."""
        for index in sorted(self.outcomes):
            yield self.rows[index], self.outcomes[index]

    def counts(self) -> dict[str, int]:
        """The rows and outcomes left out, under the names the credit figures use (a file's
        ``corrects`` names records, not its rows: nothing is superseded in a file)."""
        return left_out(
            self.module,
            unmatched=self.unmatched,
            invalid=self.invalid,
            others=self.other_modules,
            without=len(self.rows) - len(self.outcomes),
            not_module=self.not_module_rows,
            superseded=0,
        )


def left_out(
    module: str,
    *,
    unmatched: int,
    invalid: int,
    others: int,
    without: int,
    not_module: int,
    superseded: int,
) -> dict[str, int]:
    """The outcomes and consultations the figures leave out, by the keys both modes give (one
    place, so that a results file and the audit store cannot drift apart)."""
    return {
        "unmatched": unmatched,
        "invalid_outcomes": invalid,
        "other_module_outcomes": others,
        "without_outcome": without,
        f"not_{module}_rows": not_module,
        "superseded_outcomes": superseded,
    }


def book_source(results: Path, outcomes: Path) -> dict[str, str]:
    """Where a book-mode back-test read (the ``source`` key, as the credit back-test gives)."""
    return {"mode": "book", "book": str(results), "outcomes": str(outcomes)}


def cell(value: object) -> str:
    """A results cell as the value the batch had (CSV cells lose their neutralising mark)."""
    return "" if value is None else restore_cell(str(value)).strip()


def top(value: str) -> str:
    """The first item of a ';'-separated cell: the top-ranked value ("" when empty)."""
    return value.split(LIST_SEPARATOR, 1)[0].strip()


def amount(value: str) -> float | None:
    """A number cell, or None when it is empty or not a finite number (never a guess)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def ratio(part: float, whole: float) -> float | None:
    """``part / whole``, None for an empty whole (a share of nothing is not 0)."""
    return part / whole if whole else None


def interval(successes: int, n: int) -> list[float] | None:
    """The Wilson 95 % interval of ``successes / n`` as JSON (None for an empty group)."""
    found = metrics.wilson(successes, n)
    return list(found) if found else None


def rate_row(rate: metrics.Rate, key: str, event: str, name: str) -> dict[str, Any]:
    """A group's rate as JSON: ``{key: group, "n", event: count, name: rate, "ci", "small"}``;
    the group "" (no value in the results) is shown as None."""
    ci = list(rate.ci) if rate.ci else None
    return {key: rate.name or None, "n": rate.n, event: rate.bad, name: rate.rate, "ci": ci} | {
        "small": rate.small
    }


def result_columns(path: Path) -> list[str]:
    """The header of a results file (CSV or Parquet) without reading its rows."""
    if is_parquet(path):
        return [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def check_results(path: Path, spec: Spec, lang: str) -> list[str]:
    """The results file's columns, or ``BacktestFileError`` naming what is missing."""
    if not path.is_file():
        raise refuse(path, "no_such_file", lang)
    columns = result_columns(path)
    missing = [name for name in spec.required if name not in columns]
    if not any(name in columns for name in LINK_COLUMNS):
        missing.append(" / ".join(LINK_COLUMNS))
    if missing:
        raise refuse(path, "missing_columns", lang, columns=", ".join(missing))
    return columns


def read_results(path: Path, spec: Spec, lang: str) -> Joined:
    """The module's consultations of a batch results file, indexed for ``link``."""
    joined = Joined(spec.module, check_results(path, spec, lang))
    for _, row in read_rows(path):
        cells = {name: cell(value) for name, value in row.items()}
        if cells.get("status", "ok") != "ok" or not spec.is_row(cells):
            joined.not_module_rows += 1
            continue
        index = len(joined.rows)
        joined.rows.append({name: cells.get(name, "") for name in spec.keep})
        if cells.get("consultation_id"):
            joined.by_consultation[cells["consultation_id"]] = index
        if cells.get("customer_id"):
            joined.by_customer[cells["customer_id"]] = index
    return joined


def module_outcomes(path: Path, module: str, lang: str, joined: Joined) -> list[Outcome]:
    """The valid outcomes of ``module`` in the file; the others are counted on ``joined``."""
    found: list[Outcome] = []
    for _, row, _ in outcome_rows(path, open_table(path, lang)):
        data, problems = typed_cells(row, lang)
        outcome = parse_outcome(data, lang)
        if problems or not isinstance(outcome, Outcome):
            joined.invalid += 1
        elif outcome.module != module:
            joined.other_modules += 1
        else:
            found.append(outcome)
    return found


def join(results: Path, outcomes: Path, spec: Spec, lang: str) -> Joined:
    """Every outcome of the module attached to its results row, or counted as left out."""
    joined = read_results(results, spec, lang)
    for outcome in module_outcomes(outcomes, spec.module, lang, joined):
        index = link(joined, outcome)
        if index is None:
            joined.unmatched += 1
        else:
            joined.outcomes.setdefault(index, []).append(outcome)
    return joined


__all__ = [
    "BacktestFileError",
    "Cells",
    "Joined",
    "Linked",
    "Spec",
    "amount",
    "book_source",
    "cell",
    "check_results",
    "interval",
    "join",
    "left_out",
    "link",
    "rate_row",
    "ratio",
    "top",
]
