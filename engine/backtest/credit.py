"""The credit back-test of a batch results file against a credit outcomes file (no database).

Join: each credit outcome is linked to a row of the results by ``consultation_id`` when it
names one found in the results, else by ``customer_id`` (the LAST results row of that customer,
the file being in consultation order), else it is counted ``unmatched``. Results rows that are
not credit consultations (failed, or without a credit decision) take no outcome. A results
row with several outcomes is bad if ANY of them is: a default is not undone by a later payment.

Bad: ``defaulted`` or ``written_off``, or ``paid_late`` by more than ``LATE_DAYS_BAD`` days
(the usual 90-days-past-due definition of default); ``paid_on_time`` and shorter delays are good.

Score: the results' ``risk_score`` (credit risk points, higher = riskier) when every joined row
has one; else the rank of the risk level. A risk level or a decision has only four values, so
its AUC and KS are computed with many ties (counted half: see ``metrics``); ``auc_by`` gives the
AUC of each ordering. The outcomes file is read with the outcomes reader (``engine.outcomes``):
rows the outcome model refuses are counted ``invalid`` and left out.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from engine.backtest import metrics
from engine.batch.table import is_parquet, read_rows
from engine.csv_safe import restore_cell
from engine.errors import FieldProblem, InputError
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.table import open_table, typed_cells
from engine.outcomes.table import read_rows as outcome_rows
from knowledge_base import load_knowledge

BAD_OUTCOMES = ("defaulted", "written_off")
LATE_DAYS_BAD = 90
"""A credit paid more than this many days late counts as bad (90 days past due)."""
DEFAULT_COST_BAD = 5.0
"""Default cost of accepting a customer who goes bad, in units of a rejected good customer."""
DEFAULT_COST_GOOD_REJECTED = 1.0
RESULT_COLUMNS = ("credit_decision", "risk_level")
LINK_COLUMNS = ("consultation_id", "customer_id")


class BacktestFileError(InputError):
    """A results or outcomes file the back-test cannot use: the CLI exits 2, naming it."""

    code = "invalid_backtest_file"

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def refuse(source: Path, key: str, lang: str, **values: object) -> BacktestFileError:
    text = load_knowledge().text(f"backtest.file.{key}", lang, **values)
    return BacktestFileError([FieldProblem(str(source), None, text)])


@dataclass
class Booked:
    """One credit consultation of the results file, and whether its customer went bad."""

    decision: str
    risk_level: str
    score: float | None
    bad: bool | None = None  # None: no outcome


def _score(cell: object) -> float | None:
    try:
        return float(str(cell))
    except ValueError:
        return None


def _cell(value: object) -> str:
    """A results cell as the value the batch had (CSV cells lose their neutralising mark)."""
    return "" if value is None else restore_cell(str(value)).strip()


def _columns(path: Path) -> list[str]:
    if is_parquet(path):
        return [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def check_results(path: Path, lang: str) -> list[str]:
    """The results file's columns, or exit 2 naming what is missing."""
    if not path.is_file():
        raise refuse(path, "no_such_file", lang)
    columns = _columns(path)
    missing = [name for name in RESULT_COLUMNS if name not in columns]
    if not any(name in columns for name in LINK_COLUMNS):
        missing.append(" / ".join(LINK_COLUMNS))
    if missing:
        raise refuse(path, "missing_columns", lang, columns=", ".join(missing))
    return columns


@dataclass
class Book:
    """The results file's credit consultations, indexed by consultation and by customer."""

    rows: list[Booked] = field(default_factory=list)
    by_consultation: dict[str, int] = field(default_factory=dict)
    by_customer: dict[str, int] = field(default_factory=dict)
    not_credit: int = 0


def read_results(path: Path, lang: str) -> Book:
    """Every credit consultation of a batch results file (CSV or Parquet)."""
    check_results(path, lang)
    book = Book()
    for _, row in read_rows(path):
        cells = {name: _cell(value) for name, value in row.items()}
        if cells.get("status", "ok") != "ok" or not cells["credit_decision"]:
            book.not_credit += 1
            continue
        index = len(book.rows)
        score = _score(cells.get("risk_score", ""))
        book.rows.append(Booked(cells["credit_decision"], cells["risk_level"], score))
        if cells.get("consultation_id"):
            book.by_consultation[cells["consultation_id"]] = index
        if cells.get("customer_id"):
            book.by_customer[cells["customer_id"]] = index
    return book


def is_bad(outcome: Outcome) -> bool:
    """The definition of bad of the module docstring."""
    if outcome.outcome in BAD_OUTCOMES:
        return True
    return outcome.outcome == "paid_late" and (outcome.days_late or 0) > LATE_DAYS_BAD


@dataclass
class Read:
    """What the outcomes file gave: credit outcomes, and the rows left out."""

    credit: list[Outcome] = field(default_factory=list)
    other_modules: int = 0
    invalid: int = 0


def credit_outcomes(path: Path, lang: str) -> Read:
    """The valid credit outcomes of the file (the outcomes reader and model check each row)."""
    columns = open_table(path, lang)
    read = Read()
    for _, row, _ in outcome_rows(path, columns):
        data, problems = typed_cells(row, lang)
        outcome = parse_outcome(data, lang)
        if problems or not isinstance(outcome, Outcome):
            read.invalid += 1
        elif outcome.module != "credit":
            read.other_modules += 1
        else:
            read.credit.append(outcome)
    return read


def link(book: Book, outcome: Outcome) -> int | None:
    """The results row an outcome is about (see the module docstring), or None."""
    if outcome.consultation_id is not None:
        found = book.by_consultation.get(str(outcome.consultation_id))
        if found is not None:
            return found
    if outcome.customer_id is not None:
        return book.by_customer.get(outcome.customer_id)
    return None


def join(book: Book, outcomes: list[Outcome]) -> int:
    """Mark each results row bad or good from its outcomes; the number of unmatched ones."""
    unmatched = 0
    for outcome in outcomes:
        index = link(book, outcome)
        if index is None:
            unmatched += 1
            continue
        row = book.rows[index]
        row.bad = bool(row.bad) or is_bad(outcome)
    return unmatched


def _rates(table: list[metrics.Rate]) -> list[dict[str, Any]]:
    return [
        {"n": r.n, "bad": r.bad, "bad_rate": r.rate, "ci": list(r.ci) if r.ci else None}
        | {"small": r.small, "name": r.name}
        for r in table
    ]


def _orders() -> tuple[list[str], list[str]]:
    """Decisions and risk levels, best first, as the knowledge base lists them."""
    topics = load_knowledge().topics
    return list(topics["credit_decision"].value_ids()), list(topics["risk_level"].value_ids())


def _ranked(rows: list[Booked]) -> Iterator[tuple[str, list[float]]]:
    """Each ordering of the joined rows as a score: risk score, risk level, decision."""
    decisions, levels = _orders()
    if rows and all(r.score is not None for r in rows):
        yield "risk_score", [r.score or 0.0 for r in rows]
    yield "risk_level", [float(_index(levels, r.risk_level)) for r in rows]
    yield "credit_decision", [float(_index(decisions, r.decision)) for r in rows]


def _index(order: list[str], value: str) -> int:
    return order.index(value) if value in order else -1


def figures(book: Book, cost_bad: float, cost_good_rejected: float) -> dict[str, Any]:
    """The back-test of the joined rows: the JSON of ``sales-expert backtest --json``."""
    rows = [r for r in book.rows if r.bad is not None]
    bads = [bool(r.bad) for r in rows]
    decisions, levels = _orders()
    scored = dict(_ranked(rows))
    score = next(iter(scored))
    area = metrics.auc(scored[score], bads)
    keys = [r.decision for r in rows]
    costs = metrics.cutoff_costs(keys, bads, decisions, cost_bad, cost_good_rejected)
    level_keys = [r.risk_level for r in rows]
    by_level = metrics.cutoff_costs(level_keys, bads, levels, cost_bad, cost_good_rejected)
    return {
        "module": "credit",
        "n": len(rows),
        "bad": sum(bads),
        "bad_rate": sum(bads) / len(rows) if rows else None,
        "score": score,
        "auc": area,
        "auc_ci": metrics.bootstrap_auc(scored[score], bads),
        "gini": metrics.gini(area),
        "ks": metrics.ks(scored[score], bads),
        "auc_by": {name: metrics.auc(values, bads) for name, values in scored.items()},
        "by_decision": _named(metrics.rates(keys, bads, decisions), "decision"),
        "by_risk_level": _named(metrics.rates(level_keys, bads, levels), "risk_level"),
        "cost": {
            "cost_bad": cost_bad,
            "cost_good_rejected": cost_good_rejected,
            "by_decision": [asdict(c) for c in costs],
            "by_risk_level": [asdict(c) for c in by_level],
        },
        "bad_definition": {"outcomes": list(BAD_OUTCOMES), "paid_late_over_days": LATE_DAYS_BAD},
        "small_group": metrics.SMALL_GROUP,
    }


def _named(table: list[metrics.Rate], key: str) -> list[dict[str, Any]]:
    return [{key: row.pop("name"), **row} for row in _rates(table)]


def backtest(
    results: Path,
    outcomes: Path,
    lang: str = "en",
    cost_bad: float = DEFAULT_COST_BAD,
    cost_good_rejected: float = DEFAULT_COST_GOOD_REJECTED,
) -> dict[str, Any]:
    """The credit back-test of a batch results file against an outcomes file."""
    book = read_results(results, lang)
    read = credit_outcomes(outcomes, lang)
    unmatched = join(book, read.credit)
    out = figures(book, cost_bad, cost_good_rejected)
    out["auc_ci"] = list(out["auc_ci"]) if out["auc_ci"] else None
    without = sum(1 for r in book.rows if r.bad is None)
    counts = {"unmatched": unmatched, "invalid_outcomes": read.invalid}
    counts |= {"other_module_outcomes": read.other_modules, "without_outcome": without}
    return out | counts | {"not_credit_rows": book.not_credit}
