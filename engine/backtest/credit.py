"""The credit back-test: decisions measured against outcomes, from a file or from the audit store.

Two sources feed the same figures (``figures``), one ``Judged`` row per credit consultation
that has an outcome:

* **book mode** (here): a batch results file joined with a credit outcomes file, no database.
  Each credit outcome is linked to a row of the results by ``consultation_id`` when it names one
  found in the results, else by ``customer_id`` (the LAST results row of that customer, the file
  being in consultation order), else it is counted ``unmatched``. Results rows that are not
  credit consultations (failed, or without a credit decision) take no outcome. The outcomes file
  is read with the outcomes reader (``engine.outcomes``): rows the outcome model refuses are
  counted ``invalid`` and left out.
* **store mode** (``store``): recorded consultations and the outcome records linked to them.

A consultation with several outcomes is bad if ANY of them is: a default is not undone by a
later payment (in the store, an outcome another one ``corrects`` no longer counts).

Bad: ``defaulted`` or ``written_off``, or ``paid_late`` by more than ``LATE_DAYS_BAD`` days
(the usual 90-days-past-due definition of default); ``paid_on_time`` and shorter delays are good.

Score: the ``risk_score`` (credit risk points, higher = riskier) when every joined case has
one; else the rank of the risk level. A risk level or a decision has only four values, so its
AUC and KS are computed with many ties (counted half: see ``metrics``); ``auc_by`` gives the
AUC of each ordering. Rule coverage (``coverage``): the results file's ``rules_fired`` column
(``sales-expert batch`` writes it), else a ``rules`` column (``audit export``), ids separated by
``;``; a results file with neither (an older batch) has no coverage.

Rows are folded into a ``Tally`` as they come (counts by decision, risk level, score and
outcome), so that the store mode streams: only the figures expand the counts into the
sequences the measures take (a pointer per case, no payload).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from engine.backtest import curves, metrics
from engine.backtest.coverage import Coverage, rule_modules
from engine.backtest.linking import link
from engine.batch.table import is_parquet, read_rows
from engine.csv_safe import restore_cell
from engine.errors import FieldProblem, InputError
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.table import open_table, typed_cells
from engine.outcomes.table import read_rows as outcome_rows
from engine.shared import default_engine
from knowledge_base import load_knowledge

BAD_OUTCOMES = ("defaulted", "written_off")
LATE_DAYS_BAD = 90
"""A credit paid more than this many days late counts as bad (90 days past due)."""
DEFAULT_COST_BAD = 5.0
"""Default cost of accepting a customer who goes bad, in units of a rejected good customer."""
DEFAULT_COST_GOOD_REJECTED = 1.0
RESULT_COLUMNS = ("credit_decision", "risk_level")
LINK_COLUMNS = ("consultation_id", "customer_id")
RULES_COLUMNS = ("rules_fired", "rules")
"""The results columns of the rules that fired (``;``- or ``,``-separated ids), the first
found is read: the batch's, else the audit export's."""
_RULE_SEPARATORS = re.compile(r"[;,\s]+")


class BacktestFileError(InputError):
    """A results or outcomes file the back-test cannot use: the CLI exits 2, naming it."""

    code = "invalid_backtest_file"

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class BacktestOptionError(BacktestFileError):
    """An option the back-test cannot use (a date that is not one, an unknown channel…)."""

    code = "invalid_backtest_option"


def refuse(source: Path, key: str, lang: str, **values: object) -> BacktestFileError:
    text = load_knowledge().text(f"backtest.file.{key}", lang, **values)
    return BacktestFileError([FieldProblem(str(source), None, text)])


def refuse_option(option: str, key: str, lang: str, **values: object) -> BacktestOptionError:
    """``option: <backtest.option.KEY>``: the text names the value and what is allowed, so the
    problem carries no value (its English "(got …)" would follow a Chinese message)."""
    text = load_knowledge().text(f"backtest.option.{key}", lang, **values)
    return BacktestOptionError([FieldProblem(option, None, text)])


def bad_outcome(kind: str, days_late: int | None) -> bool:
    """The definition of bad of the module docstring, for an outcome kind and its delay."""
    return kind in BAD_OUTCOMES or (kind == "paid_late" and (days_late or 0) > LATE_DAYS_BAD)


def is_bad(outcome: Outcome) -> bool:
    return bad_outcome(outcome.outcome, outcome.days_late)


@dataclass(frozen=True, slots=True)
class Judged:
    """One credit consultation with an outcome: all the figures read of it, in either mode."""

    decision: str
    risk_level: str
    score: float | None
    bad: bool
    rules: tuple[str, ...] | None = None
    """The rules that fired on it; None: not known (a results file without ``rules``)."""


@dataclass
class Columns:
    """The tally expanded into the per-case sequences the measures take (same order in each)."""

    decisions: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    scores: list[float | None] = field(default_factory=list)
    bads: list[bool] = field(default_factory=list)


class Tally:
    """Judged cases folded as they stream in; memory grows with the distinct (decision, level,
    score, outcome) cells and the rules, not with the cases."""

    def __init__(self) -> None:
        self.cells: Counter[tuple[str, str, float | None, bool]] = Counter()
        self.coverage = Coverage()

    def add(self, row: Judged) -> None:
        self.cells[(row.decision, row.risk_level, row.score, row.bad)] += 1
        self.coverage.add(row.rules, row.bad)

    def columns(self) -> Columns:
        out = Columns()
        for (decision, level, score, bad), n in self.cells.items():
            out.decisions += [decision] * n
            out.levels += [level] * n
            out.scores += [score] * n
            out.bads += [bad] * n
        return out


@dataclass
class Booked:
    """One credit consultation of the results file, and whether its customer went bad."""

    decision: str
    risk_level: str
    score: float | None
    bad: bool | None = None  # None: no outcome
    rules: tuple[str, ...] | None = None

    def judged(self) -> Judged | None:
        if self.bad is None:
            return None
        return Judged(self.decision, self.risk_level, self.score, self.bad, self.rules)


def _score(cell: object) -> float | None:
    try:
        return float(str(cell))
    except ValueError:
        return None


def _cell(value: object) -> str:
    """A results cell as the value the batch had (CSV cells lose their neutralising mark)."""
    return "" if value is None else restore_cell(str(value)).strip()


def _rules(cells: Mapping[str, str], column: str | None) -> tuple[str, ...] | None:
    if column is None:
        return None
    return tuple(rule for rule in _RULE_SEPARATORS.split(cells.get(column, "")) if rule)


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
    rules_column: str | None = None


def read_results(path: Path, lang: str) -> Book:
    """Every credit consultation of a batch results file (CSV or Parquet)."""
    columns = check_results(path, lang)
    book = Book(rules_column=next((c for c in RULES_COLUMNS if c in columns), None))
    for _, row in read_rows(path):
        cells = {name: _cell(value) for name, value in row.items()}
        if cells.get("status", "ok") != "ok" or not cells["credit_decision"]:
            book.not_credit += 1
            continue
        index = len(book.rows)
        score = _score(cells.get("risk_score", ""))
        booked = Booked(
            cells["credit_decision"],
            cells["risk_level"],
            score,
            None,
            _rules(cells, book.rules_column),
        )
        book.rows.append(booked)
        if cells.get("consultation_id"):
            book.by_consultation[cells["consultation_id"]] = index
        if cells.get("customer_id"):
            book.by_customer[cells["customer_id"]] = index
    return book


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


def _ranked(cols: Columns) -> Iterator[tuple[str, list[float]]]:
    """Each ordering of the joined cases as a score: risk score, risk level, decision (a
    value outside the order ranks -1). One float object per rank, shared by the cases."""
    decisions, levels = _orders()
    if cols.scores and all(score is not None for score in cols.scores):
        yield "risk_score", [score or 0.0 for score in cols.scores]
    for name, order, values in (
        ("risk_level", levels, cols.levels),
        ("credit_decision", decisions, cols.decisions),
    ):
        rank = {value: float(i) for i, value in enumerate(order)}
        yield name, [rank.get(value, -1.0) for value in values]


def fold(rows: Iterable[Judged]) -> Tally:
    """The cases folded one by one (a stream is consumed once, never held)."""
    tally = Tally()
    for row in rows:
        tally.add(row)
    return tally


def figures(
    tally: Tally,
    cost_bad: float,
    cost_good_rejected: float,
    modules: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The back-test of the joined cases: the JSON of ``sales-expert backtest --json``.
    ``modules``: rule id → module of the rule base(s) the cases ran under (rule coverage)."""
    cols = tally.columns()
    bads, n = cols.bads, len(cols.bads)
    decisions, levels = _orders()
    scored = dict(_ranked(cols))
    score = next(iter(scored))
    area = metrics.auc(scored[score], bads)
    ci = metrics.bootstrap_auc(scored[score], bads)
    return {
        "module": "credit",
        "n": n,
        "bad": sum(bads),
        "bad_rate": sum(bads) / n if n else None,
        "score": score,
        "auc": area,
        "auc_ci": list(ci) if ci else None,
        "gini": metrics.gini(area),
        "ks": metrics.ks(scored[score], bads),
        "auc_by": {name: metrics.auc(values, bads) for name, values in scored.items()},
        "by_decision": _named(metrics.rates(cols.decisions, bads, decisions), "decision"),
        "by_risk_level": _named(metrics.rates(cols.levels, bads, levels), "risk_level"),
        "cost": _cost(cols, decisions, levels, cost_bad, cost_good_rejected),
        "bad_definition": {"outcomes": list(BAD_OUTCOMES), "paid_late_over_days": LATE_DAYS_BAD},
        "small_group": metrics.SMALL_GROUP,
        "curves": _curves(scored[score], bads),
        **tally.coverage.figures(modules),
    }


def _curves(scores: list[float], bads: list[bool]) -> dict[str, list[dict[str, float | None]]]:
    """ROC and cumulative capture of the score, thinned for a chart (``curves``)."""
    table = metrics.cells(scores, bads)
    return {
        "roc": curves.as_rows(curves.thin(curves.roc(table))),
        "capture": curves.as_rows(curves.thin(curves.capture(table))),
    }


def _cost(
    cols: Columns, decisions: list[str], levels: list[str], cost_bad: float, cost_good: float
) -> dict[str, Any]:
    by_decision = metrics.cutoff_costs(cols.decisions, cols.bads, decisions, cost_bad, cost_good)
    by_level = metrics.cutoff_costs(cols.levels, cols.bads, levels, cost_bad, cost_good)
    return {
        "cost_bad": cost_bad,
        "cost_good_rejected": cost_good,
        "by_decision": [asdict(c) for c in by_decision],
        "by_risk_level": [asdict(c) for c in by_level],
    }


def _named(table: list[metrics.Rate], key: str) -> list[dict[str, Any]]:
    return [{key: row.pop("name"), **row} for row in _rates(table)]


def current_modules() -> dict[str, str]:
    """Rule id → module of today's compiled rule base (the one a batch run uses)."""
    return rule_modules([default_engine().compiled.rulebase])


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
    modules = None if book.rules_column is None else current_modules()
    joined = (judged for row in book.rows if (judged := row.judged()) is not None)
    out = figures(fold(joined), cost_bad, cost_good_rejected, modules)
    without = sum(1 for r in book.rows if r.bad is None)
    counts = {"unmatched": unmatched, "invalid_outcomes": read.invalid}
    counts |= {"other_module_outcomes": read.other_modules, "without_outcome": without}
    counts |= {"superseded_outcomes": 0}  # a file's ``corrects`` names records, not its rows
    source = {"mode": "book", "book": str(results), "outcomes": str(outcomes)}
    return out | counts | {"not_credit_rows": book.not_credit, "source": source}
