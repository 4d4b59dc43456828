"""The credit consultations of a batch results file, as calibration needs them.

Each row keeps its row number (to find its case in the input book), its ids (to join
outcomes), its decision, risk level and risk score. A results file made under other risk
cut-offs than the current rule base's is refused: a row whose risk level is not what its score
gives today would make every figure of the calibration about another policy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from engine.backtest import credit as backtest
from engine.batch.table import is_parquet, read_rows
from engine.calibrate.book import refuse, require_file
from engine.csv_safe import restore_cell
from knowledge_base import Knowledge

APPROVALS = ("approve", "approve_with_conditions")
"""Decisions that grant credit: the approval rate counts both."""
MEDIUM = "credit.risk_medium_min_score"
HIGH = "credit.risk_high_min_score"
"""From this score the risk is high and the decision at best refer (CR-052, CR-071, CR-104):
the line between approval and refer that a target approval or bad rate moves."""
VERY_HIGH = "credit.risk_very_high_min_score"
"""From this score credit is declined (CR-053, CR-072, CR-103); calibration leaves it where it
is, since neither target says where refer should end."""
RESULT_COLUMNS = ("row", "status", "credit_decision", "risk_level", "risk_score")


@dataclass
class Consulted:
    """One credit consultation of the results file."""

    row: int
    customer_id: str
    consultation_id: str
    decision: str
    level: str
    score: float | None
    free: bool | None = None
    """Approved if its risk did not hold it back: known from the results below the high
    cut-off, from a re-run between high and very high (``credit.free_flags``)."""
    bad: bool | None = None
    """From the outcomes file (None: no outcome)."""

    @property
    def approved(self) -> bool:
        return self.decision in APPROVALS


def columns(path: Path) -> list[str]:
    if is_parquet(path):
        return [str(name) for name in pq.ParquetFile(path).schema_arrow.names]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle), [])]


def check_columns(path: Path, needed: tuple[str, ...], option: str, lang: str) -> list[str]:
    """The file's columns, or exit 2 naming the first missing one and the file."""
    require_file(path, option, lang)
    found = columns(path)
    for name in needed:
        if name not in found:
            raise refuse(option, "missing_column", lang, column=name, path=str(path))
    return found


def level_for(score: float, kb: Knowledge) -> str:
    """The risk level a score gives under the rule base's cut-offs (CR-050..053)."""
    if score < kb.param(MEDIUM):
        return "low"
    if score < kb.param(HIGH):
        return "medium"
    return "high" if score < kb.param(VERY_HIGH) else "very_high"


def _cell(value: object) -> str:
    return "" if value is None else restore_cell(str(value)).strip()


def _score(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def read_consultations(path: Path, kb: Knowledge, lang: str) -> list[Consulted]:
    """The ok rows with a credit decision; exit 2 on a missing column or other cut-offs."""
    check_columns(path, RESULT_COLUMNS, "--results", lang)
    out = []
    for _, row in read_rows(path):
        cells = {name: _cell(value) for name, value in row.items()}
        if cells["status"] != "ok" or not cells["credit_decision"]:
            continue
        score = _score(cells["risk_score"])
        if score is not None and cells["risk_level"] != level_for(score, kb):
            raise _other_cutoffs(cells, kb, lang)
        number = int(float(cells["row"]))
        customer, consultation = cells.get("customer_id", ""), cells.get("consultation_id", "")
        out.append(
            Consulted(number, customer, consultation, cells["credit_decision"],
                      cells["risk_level"], score)
        )  # fmt: skip
    if not any(c.score is not None for c in out):
        raise refuse("--results", "no_credit_rows", lang, path=str(path))
    return out


def _other_cutoffs(cells: dict[str, str], kb: Knowledge, lang: str) -> Exception:
    """The results' risk level is not what its score gives today: another rule base."""
    label = kb.value_labels.get(("risk_level", cells["risk_level"]))
    level = label.get(lang) if label else cells["risk_level"]
    values = {"row": cells["row"], "level": level, "score": cells["risk_score"]}
    return refuse("--results", "other_cutoffs", lang, **values)


def join_outcomes(consulted: list[Consulted], outcomes: Path, lang: str) -> dict[str, int]:
    """Mark each consultation bad or good from the outcomes file, with the back-test's join and
    definition of bad (``engine.backtest.credit``); the counts of what did not join."""
    book = backtest.Book()
    for index, c in enumerate(consulted):
        book.rows.append(backtest.Booked(decision=c.decision, risk_level=c.level, score=c.score))
        if c.consultation_id:
            book.by_consultation[c.consultation_id] = index
        if c.customer_id:
            book.by_customer[c.customer_id] = index
    read = backtest.credit_outcomes(outcomes, lang)
    unmatched = backtest.join(book, read.credit)
    for c, booked in zip(consulted, book.rows, strict=True):
        c.bad = booked.bad
    return {"unmatched": unmatched, "invalid_outcomes": read.invalid}
