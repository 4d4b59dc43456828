"""Population stability between two periods' batch results (issue 20, ``sales-expert stability``).

A policy's figures (its approval rate, the bad rate of each decision, the cut-offs calibrated on
a book) hold for the population they were measured on. When the customers coming in change, the
figures stop carrying over before any outcome shows it. The PSI (``metrics.psi``) measures how
far a distribution moved from the baseline period to the new one, and ``metrics.psi_level``
reads it: stable below 0.1, watch from 0.1, shifted from 0.25.

Lines compared, each with the shares per bin in both periods:

* the conclusions of the results file (``CATEGORIES``): credit decision, risk level and the
  customer grades, one bin per value (over the consultations that have the conclusion);
* the credit risk score (``SCORES``), over the credit consultations;
* the key inputs (``KEY_INPUTS`` numbers, ``KEY_CATEGORY_INPUTS`` values), read from the
  results file if it carries them, else from the two input books (``--inputs``,
  ``--baseline-inputs``), over all rows.

Numbers are binned by the baseline's deciles (linear interpolation, as ``calibrate`` takes its
quantiles; equal deciles merge, so a few-valued input has fewer bins), right-closed: ``≤ d1``,
``(d1, d2]`` … ``> d9``. An empty or non-numeric cell falls in a "not given" bin of its own: a
feed that stops sending a field is a shift too. Flagged lines (watch, shifted) come first,
largest PSI first; stable lines follow in the order above.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.backtest import metrics
from engine.batch.table import read_rows
from engine.calibrate.book import (
    book_columns,
    number_cell,
    quantile,
    read_book,
    refuse,
    require_file,
)
from engine.calibrate.results import check_columns, columns
from engine.csv_safe import restore_cell
from engine.labels import field_label, number, value_label
from knowledge_base import Knowledge, load_knowledge

CATEGORIES = ("credit_decision", "risk_level", "value_tier", "market_position", "difference_class")
"""Results columns holding one value of a topic: the decisions and the customer grades."""
SCORES = ("risk_score",)
"""Numeric results columns, compared over the credit consultations (rows with a decision)."""
KEY_INPUTS = (
    "customer.annual_purchases",
    "customer.purchase_frequency",
    "customer.days_since_last_purchase",
    "customer.gross_margin_pct",
    "credit.requested_amount",
    "credit.requested_term_days",
    "credit.on_time_payment_pct",
    "credit.longest_days_overdue",
    "credit.current_days_overdue",
    "credit.debt_ratio_pct",
)
"""The inputs the value grades and the credit decision read first: the amount and frequency of
purchases, recency and margin; the request, the payment record and the leverage."""
KEY_CATEGORY_INPUTS = ("customer.nature", "credit.security_offered")
"""Inputs with a few values, compared value by value: who the customers are (company, public
payer, individual…) and the security they offer."""
INPUTS = (*KEY_INPUTS, *KEY_CATEGORY_INPUTS)
DECILES = tuple(k / 10 for k in range(1, 10))
KINDS = ("category", "score", "input")
"""The order of the stable lines: conclusions, the risk score, the inputs."""
MISSING = "missing"
"""The bin of an empty or non-numeric cell."""


@dataclass
class Period:
    """One period's values per line: category ids, or numbers (None: not given)."""

    file: Path
    """The results file; for a period of the audit database, its name (``name``)."""
    rows: int = 0
    categories: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, list[float | None]] = field(default_factory=dict)
    name: str = ""
    """How the text names the period: the file's name unless set."""

    @property
    def shown(self) -> str:
        return self.name or self.file.name


def _cell(value: object) -> str:
    return "" if value is None else restore_cell(str(value)).strip()


def empty_period(file: Path, name: str = "") -> Period:
    """A period with a list for every conclusion line, before any row."""
    period = Period(file, name=name)
    period.categories = {name: [] for name in CATEGORIES}
    period.numbers = {name: [] for name in SCORES}
    return period


def add_row(period: Period, cells: dict[str, str], inputs: tuple[str, ...]) -> None:
    """One consulted row (a results row, or a recorded consultation as one): its conclusions,
    its score when it has a credit decision, and ``inputs``."""
    period.rows += 1
    for name in CATEGORIES:
        if cells.get(name):
            period.categories[name].append(cells[name])
    if cells.get("credit_decision"):
        for name in SCORES:
            period.numbers[name].append(number_cell(name, cells.get(name)))
    add_inputs(period, cells, inputs)


def read_results(path: Path, option: str, inputs: tuple[str, ...], lang: str) -> Period:
    """The ok rows of a results file: its conclusions, its score and the inputs it carries."""
    check_columns(path, ("status", *CATEGORIES, *SCORES), option, lang)
    period = empty_period(path)
    for _, row in read_rows(path):
        cells = {name: _cell(value) for name, value in row.items()}
        if cells["status"] == "ok":
            add_row(period, cells, inputs)
    if not period.rows:
        raise refuse(option, "stability.error.no_rows", lang, path=str(path))
    return period


def read_inputs(path: Path, option: str, period: Period, lang: str) -> None:
    """The key inputs of an input book into ``period`` (a column it lacks: all not given)."""
    require_file(path, option, lang)
    book_columns(path, lang)  # exit 2 on an empty book
    for _, row in read_book(path):
        add_inputs(period, row, INPUTS)


def add_inputs(period: Period, row: dict[str, Any], names: tuple[str, ...]) -> None:
    """One row's key inputs: numbers (None: not given), or values (``MISSING``: not given)."""
    for name in names:
        if name in KEY_CATEGORY_INPUTS:
            text = _cell(row.get(name))
            period.categories.setdefault(name, []).append(text or MISSING)
        else:
            period.numbers.setdefault(name, []).append(number_cell(name, row.get(name)))


@dataclass(frozen=True)
class Bin:
    key: str
    label: str
    baseline: int
    new: int


@dataclass(frozen=True)
class Line:
    """One compared distribution: its PSI, level and bins."""

    what: str
    kind: str
    label: str
    psi: float
    level: str
    bins: tuple[Bin, ...]

    @property
    def flagged(self) -> bool:
        return self.level != "stable"


def _line(what: str, kind: str, label: str, bins: list[Bin]) -> Line:
    baseline = {b.key: b.baseline for b in bins}
    new = {b.key: b.new for b in bins}
    value = metrics.psi(baseline, new)
    return Line(what, kind, label, value, metrics.psi_level(value), tuple(bins))


def category_bins(
    what: str, baseline: list[str], new: list[str], kb: Knowledge, lang: str
) -> list[Bin]:
    """One bin per value: a topic's in the rule base's order, then any other value seen (an
    input's in the order first seen), "not given" last."""
    old_counts, new_counts = Counter(baseline), Counter(new)
    known = list(kb.topics[what].value_ids()) if what in kb.topics else []
    seen = [v for v in dict.fromkeys([*baseline, *new]) if v not in known and v != MISSING]
    if what in kb.topics:
        seen.sort()
    missing = [MISSING] if MISSING in old_counts or MISSING in new_counts else []
    return [
        Bin(value, _value_label(what, value, kb, lang), old_counts[value], new_counts[value])
        for value in [*known, *seen, *missing]
    ]


def _value_label(what: str, value: str, kb: Knowledge, lang: str) -> str:
    if value == MISSING:
        return kb.text("stability.missing", lang)
    if what in kb.topics:
        label = kb.value_labels.get((what, value))
        return label.get(lang) if label else value
    section, _, name = what.partition(".")
    return value_label(section, name, value, kb, lang)


def edges(values: list[float]) -> list[float]:
    """The baseline's deciles, equal ones merged."""
    ordered = sorted(values)
    return sorted({quantile(ordered, q) for q in DECILES})


def bin_of(value: float | None, cuts: list[float]) -> str:
    """The bin key of a value: ``0`` for ``≤ cuts[0]`` … ``len(cuts)`` for ``> cuts[-1]``."""
    return MISSING if value is None else str(bisect.bisect_left(cuts, value))


def _bin_label(index: int, cuts: list[float]) -> str:
    if index == 0:
        return f"≤ {number(cuts[0])}"
    if index == len(cuts):
        return f"> {number(cuts[-1])}"
    return f"({number(cuts[index - 1])}, {number(cuts[index])}]"


def number_bins(
    baseline: list[float | None], new: list[float | None], kb: Knowledge, lang: str
) -> list[Bin] | None:
    """Bins by the baseline's deciles, and a "not given" bin; None if the baseline has no number."""
    given = [v for v in baseline if v is not None]
    if not given:
        return None
    cuts = edges(given)
    old_counts = Counter(bin_of(v, cuts) for v in baseline)
    new_counts = Counter(bin_of(v, cuts) for v in new)
    bins = [
        Bin(str(i), _bin_label(i, cuts), old_counts[str(i)], new_counts[str(i)])
        for i in range(len(cuts) + 1)
    ]
    if old_counts[MISSING] or new_counts[MISSING]:
        label = kb.text("stability.missing", lang)
        bins.append(Bin(MISSING, label, old_counts[MISSING], new_counts[MISSING]))
    return bins


@dataclass
class Comparison:
    """Every line compared, flagged first, and what could not be compared, with why."""

    new: Period
    baseline: Period
    inputs_from: str | None
    lines: list[Line] = field(default_factory=list)
    not_compared: list[tuple[str, str, str]] = field(default_factory=list)
    """(what, label, reason key)."""


def _label(what: str, kb: Knowledge, lang: str) -> str:
    """A topic's label, or an input field's (capitalised in English: it opens a line)."""
    if what in kb.topics:
        return kb.topics[what].label.get(lang)
    section, _, name = what.partition(".")
    label = field_label(section, name, kb, lang)
    return label[:1].upper() + label[1:] if lang == "en" else label


def _lines(
    new: Period, baseline: Period, kb: Knowledge, lang: str
) -> Iterator[Line | tuple[str, str, str]]:
    """Each line, or (what, label, reason) when a period has nothing to compare."""
    for what in baseline.categories:
        if what not in new.categories:
            continue
        bins = category_bins(what, baseline.categories[what], new.categories[what], kb, lang)
        yield _checked(what, "input" if what in INPUTS else "category", bins, kb, lang)
    for what in baseline.numbers:
        if what not in new.numbers:
            continue
        bins_or_none = number_bins(baseline.numbers[what], new.numbers[what], kb, lang)
        kind = "score" if what in SCORES else "input"
        if bins_or_none is None:
            yield what, _label(what, kb, lang), "no_baseline_values"
        else:
            yield _checked(what, kind, bins_or_none, kb, lang)


def _checked(
    what: str, kind: str, bins: list[Bin], kb: Knowledge, lang: str
) -> Line | tuple[str, str, str]:
    label = _label(what, kb, lang)
    if not sum(b.baseline for b in bins):
        return what, label, "no_baseline_values"
    if not sum(b.new for b in bins):
        return what, label, "no_new_values"
    return _line(what, kind, label, bins)


def compare(new: Period, baseline: Period, inputs_from: str | None, lang: str) -> Comparison:
    """Every line's PSI; flagged lines first (largest PSI first), then the stable ones."""
    kb = load_knowledge()
    out = Comparison(new, baseline, inputs_from)
    for found in _lines(new, baseline, kb, lang):
        if isinstance(found, Line):
            out.lines.append(found)
        else:
            out.not_compared.append(found)
    flagged = sorted((x for x in out.lines if x.flagged), key=lambda x: -x.psi)
    stable = sorted((x for x in out.lines if not x.flagged), key=lambda x: KINDS.index(x.kind))
    out.lines = flagged + stable
    compared = {*baseline.numbers, *baseline.categories} & {*new.numbers, *new.categories}
    absent = [w for w in INPUTS if w not in compared]
    out.not_compared += [(w, _label(w, kb, lang), "no_inputs") for w in absent]
    return out


def stability(
    book: Path, baseline: Path, inputs: Path | None, baseline_inputs: Path | None, lang: str
) -> Comparison:
    """Compare two results files (and their inputs: carried by the results, or the books)."""
    if (inputs is None) != (baseline_inputs is None):
        given = "--inputs" if inputs is not None else "--baseline-inputs"
        other = "--baseline-inputs" if inputs is not None else "--inputs"
        raise refuse(given, "stability.error.inputs_pair", lang, given=given, other=other)
    for option, path in (("--book", book), ("--baseline", baseline)):
        require_file(path, option, lang)
    both = set(columns(book)) & set(columns(baseline))
    carried = tuple(c for c in INPUTS if inputs is None and c in both)
    new_period = read_results(book, "--book", carried, lang)
    old_period = read_results(baseline, "--baseline", carried, lang)
    source = "results" if carried else None
    if inputs is not None and baseline_inputs is not None:
        read_inputs(inputs, "--inputs", new_period, lang)
        read_inputs(baseline_inputs, "--baseline-inputs", old_period, lang)
        source = "books"
    return compare(new_period, old_period, source, lang)


def _share(count: int, total: int) -> float:
    return round(count / total, 6) if total else 0.0


def line_json(line: Line) -> dict[str, Any]:
    """A line for ``--json``: counts and shares per bin in both periods."""
    old_total = sum(b.baseline for b in line.bins)
    new_total = sum(b.new for b in line.bins)
    return {
        "what": line.what,
        "kind": line.kind,
        "label": line.label,
        "psi": round(line.psi, 6),
        "level": line.level,
        "flagged": line.flagged,
        "baseline_n": old_total,
        "new_n": new_total,
        "bins": [
            {"bin": b.key, "label": b.label, "baseline_n": b.baseline, "new_n": b.new}
            | {
                "baseline_share": _share(b.baseline, old_total),
                "new_share": _share(b.new, new_total),
            }
            for b in line.bins
        ],
    }


def _period_json(period: Period) -> dict[str, Any]:
    if period.name:
        return {"period": period.name, "rows": period.rows}
    return {"file": str(period.file), "rows": period.rows}


def to_json(comparison: Comparison) -> dict[str, Any]:
    """The whole comparison for ``sales-expert stability --json``."""
    return {
        "new": _period_json(comparison.new),
        "baseline": _period_json(comparison.baseline),
        "inputs_from": comparison.inputs_from,
        "thresholds": {"watch": metrics.PSI_WATCH, "shift": metrics.PSI_SHIFT},
        "lines": [line_json(line) for line in comparison.lines],
        "not_compared": [
            {"what": what, "label": label, "reason": reason}
            for what, label, reason in comparison.not_compared
        ],
    }
