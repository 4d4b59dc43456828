"""Grading band cut-offs from the book's own quantiles.

The value tier and the market position (GR-019..027) are read from two bands, each cut by two
``≥`` thresholds on a customer value input: the purchase amount (``monetary_band``, the M of
RFM) and the order frequency (``frequency_band``, the F). A company selling bolts and one
selling turbines have different "high": the thresholds are proposed where the company's own
customers split in the target shares below.

Target shares. The rule base speaks of shares once: the high purchase amount threshold is to be
set "so that roughly the top 10-20 % of customers by amount qualify". The classic ABC analysis
of customers (class A the top 20 %, B the next 30 %, C the remaining half) matches the upper
end of that range and gives the medium band too, so it is used for both bands: high from the
80th percentile, medium from the median. Frequency takes the same shares (RFM scores F by
quantiles of the same book, as it does M).

Who is counted: the trading customers of the book. A prospect (no purchases and no orders,
GR-070) is graded as a class of its own, and a book with many would pull every quantile to
zero. Rows whose cell is empty or not a number are left out and counted.

Recency, margin, tenure and growth are not proposed: their thresholds are a reorder cycle, an
economic break-even and calendar durations, not shares of a population.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.calibrate.book import number_cell, quantile, read_book, refuse, share_at_least
from engine.calibrate.overlay import Proposal, at_precision, clamped, decimals, percent, with_unit
from engine.labels import field_label
from knowledge_base import Knowledge, Parameter, Text

HIGH_SHARE = 0.20
"""Customers meant to reach a high band: class A of the ABC analysis, the top of the 10-20 %
the high purchase amount threshold's rationale asks for."""
MEDIUM_SHARE = 0.30
"""Customers meant to fall in the medium band: class B of the ABC analysis (the rest, C, is
low)."""
PROSPECT_COLUMNS = ("customer.annual_purchases", "customer.purchase_frequency")
PROSPECT_PARAMETERS = ("grading.prospect_max_purchases", "grading.prospect_max_orders")


@dataclass(frozen=True)
class Band:
    """A band cut by two ``≥`` thresholds on one customer input."""

    column: str
    high: str
    medium: str


BANDS: tuple[Band, ...] = (
    Band(
        "customer.annual_purchases",
        "grading.monetary_high_min_purchases",
        "grading.monetary_medium_min_purchases",
    ),
    Band(
        "customer.purchase_frequency",
        "grading.frequency_high_min_orders",
        "grading.frequency_medium_min_orders",
    ),
)
REQUIRED_COLUMNS = tuple(band.column for band in BANDS)


@dataclass
class Column:
    """The trading customers' values of one input, and the rows left out."""

    values: list[float]
    skipped: int = 0
    prospects: int = 0


def _prospect(row: dict[str, Any], kb: Knowledge) -> bool:
    """No purchases and no orders beyond the prospect limits (GR-070); unknown: not one."""
    cells = [number_cell(c, row.get(c)) for c in PROSPECT_COLUMNS]
    limits = [kb.param(name) for name in PROSPECT_PARAMETERS]
    return all(c is not None and c <= limit for c, limit in zip(cells, limits, strict=True))


def read_columns(book: Path, kb: Knowledge) -> tuple[int, int, dict[str, Column]]:
    """Rows, prospects, and each band column's values over the book's trading customers."""
    columns = {name: Column([]) for name in REQUIRED_COLUMNS}
    rows = prospects = 0
    for _, row in read_book(book):
        rows += 1
        if _prospect(row, kb):
            prospects += 1
            continue
        for name, column in columns.items():
            value = number_cell(name, row.get(name))
            if value is None:
                column.skipped += 1
            else:
                column.values.append(value)
    return rows, prospects, columns


def _cut(parameter: Parameter, raw: float) -> tuple[int | float, str | None]:
    return clamped(parameter, at_precision(parameter, raw))


def propose_band(band: Band, column: Column, kb: Knowledge) -> Iterator[tuple[str, Proposal]]:
    """The high threshold at the (1 − HIGH_SHARE) quantile, the medium one at the
    (1 − HIGH_SHARE − MEDIUM_SHARE) quantile; a medium that rounding or clamping brings level
    with the high one is set one step below it, so the medium band is never empty."""
    ordered = sorted(column.values)
    high_p, medium_p = kb.parameters[band.high], kb.parameters[band.medium]
    high_q, medium_q = 1 - HIGH_SHARE, 1 - HIGH_SHARE - MEDIUM_SHARE
    high, high_clamp = _cut(high_p, quantile(ordered, high_q))
    medium, medium_clamp = _cut(medium_p, quantile(ordered, medium_q))
    lowered = medium >= high
    if lowered:
        step = 10.0 ** -decimals(medium_p)
        medium, medium_clamp = clamped(medium_p, at_precision(medium_p, high - step))
    for parameter, value, q, clamp, adjusted in (
        (high_p, high, high_q, high_clamp, False),
        (medium_p, medium, medium_q, medium_clamp, lowered),
    ):
        figures = _figures(ordered, column, q, parameter, value)
        figures |= {"clamped": clamp, "lowered_below_high": adjusted}
        reason = Text(
            **{lang: _reason(band, parameter, value, figures, kb, lang) for lang in ("en", "zh")}
        )
        yield (
            parameter.name,
            Proposal(
                value=value,
                current=at_precision(parameter, parameter.value),
                reason=reason,
                figures=figures,
            ),
        )


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th… 11th, 12th, 13th… 21st (English percentiles)."""
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _figures(
    ordered: list[float], column: Column, q: float, parameter: Parameter, value: float
) -> dict[str, Any]:
    return {
        "n": len(ordered),
        "skipped": column.skipped,
        "prospects": column.prospects,
        "quantile": round(q, 6),
        "quantile_value": round(quantile(ordered, q), 4),
        "target_share_at_or_above": round(1 - q, 6),
        "share_at_or_above": round(share_at_least(ordered, value), 6),
        "current_share_at_or_above": round(share_at_least(ordered, parameter.value), 6),
    }


def _reason(
    band: Band,
    parameter: Parameter,
    value: float,
    figures: dict[str, Any],
    kb: Knowledge,
    lang: str,
) -> str:
    """The justification in one language: the percentile, the shares it gives, and any clamp."""
    section, _, field = band.column.partition(".")
    pct = round(100 * figures["quantile"])
    values = {
        "n": f"{figures['n']:,}",
        "field": field_label(section, field, kb, lang),
        "target": percent(figures["target_share_at_or_above"], lang),
        "classes": kb.text(f"calibrate.grading.classes_{_which(band, parameter)}", lang),
        "percentile": ordinal(pct) if lang == "en" else str(pct),
        "quantile": with_unit(parameter, figures["quantile_value"], kb, lang, exact=True),
        "proposed": with_unit(parameter, value, kb, lang),
        "share": percent(figures["share_at_or_above"], lang),
        "current": with_unit(parameter, parameter.value, kb, lang),
        "current_share": percent(figures["current_share_at_or_above"], lang),
    }
    text = kb.text("calibrate.grading.reason", lang, **values)
    if figures["clamped"]:
        text += kb.text(f"calibrate.clamped.{figures['clamped']}", lang, value=values["proposed"])
    if figures["lowered_below_high"]:
        label = kb.parameters[band.high].label.get(lang)
        text += kb.text("calibrate.grading.lowered", lang, label=label)
    if figures["skipped"]:
        text += kb.text("calibrate.grading.skipped", lang, skipped=f"{figures['skipped']:,}")
    return text


def _which(band: Band, parameter: Parameter) -> str:
    return "high" if parameter.name == band.high else "medium"


def propose_grading(book: Path, kb: Knowledge, lang: str) -> tuple[int, dict[str, Proposal]]:
    """The book's rows and the proposals of every band; exit 2 if a band has no number."""
    rows, prospects, columns = read_columns(book, kb)
    proposed: dict[str, Proposal] = {}
    for band in BANDS:
        column = columns[band.column]
        column.prospects = prospects
        if not column.values:
            raise refuse(band.column, "no_values", lang, column=band.column, path=str(book))
        proposed.update(propose_band(band, column, kb))
    return rows, proposed
