"""The back-test figures as the tables the Performance page shows and offers for download.

One builder per kind of table, each reading the engine's JSON (``engine.backtest``) as it is:
groups (bad rate by decision, repeat rate by tier, …), the cost of each cut-off, rule
coverage, the counts of what was left out. Values are shown by their labels in the current
language (an id only where the knowledge base has no label); numbers stay numbers (rates as
fractions, formatted as percentages on the page), so that the CSV download computes in a
spreadsheet. The CSV goes through ``engine.csv_safe`` like every download of the product.

``GROUPS`` says which group tables a module's figures have; the chart of a group is drawn from
the same table (``performance_charts``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.backtest import grading, module_text
from engine.csv_safe import csv_text
from engine.shared import default_engine
from ui.i18n import kb, lang
from ui.performance import Figures, pt

TOP_RULES = 20
"""Rules the coverage table lists, most customers first (the JSON download has them all)."""
COVERED_MODULE = "credit"
"""The module whose rules the coverage tables list (the credit back-test's; ``never_fired``
names only these)."""


@dataclass(frozen=True)
class Group:
    """One group table of a module's figures: ``figures[key]`` is a list of rows, each naming
    its group in ``field`` (a value of ``topic``) with a rate and its Wilson interval."""

    key: str
    field: str
    topic: str
    rate: str
    event: str
    extras: tuple[tuple[str, str], ...] = ()
    """(figure key, kind): more columns, ``kind`` one of money, percent, days, count."""
    semantic: bool = False
    """The topic's values are ordered best first: coloured green to red."""


_DEBT = (
    ("amount_overdue", "money"),
    ("amount_recovered", "money"),
    ("recovery_rate", "percent"),
    ("mean_days_to_recover", "days"),
    ("legal", "count"),
    ("written_off", "count"),
)
GROUPS: dict[str, tuple[Group, ...]] = {
    "credit": (
        Group("by_decision", "decision", "credit_decision", "bad_rate", "bad", semantic=True),
        Group("by_risk_level", "risk_level", "risk_level", "bad_rate", "bad", semantic=True),
    ),
    "grading": (
        Group(
            "by_tier",
            "tier",
            grading.TIER,
            "repeat_rate",
            "repeat",
            (("revenue", "money"), ("revenue_share", "percent"), ("mean_revenue", "money")),
            semantic=True,
        ),
    ),
    "collection": tuple(
        Group(f"by_{name}", name, topic, "recovered_share", "recovered", _DEBT)
        for name, topic in module_text.COLLECTION_GROUPS.items()
    ),
    "closing": (
        Group(
            "by_technique",
            "technique",
            "top_technique",
            "win_rate",
            "won",
            (("won_value", "money"), ("won_value_share", "percent")),
        ),
    ),
}
COUNTS: dict[str, tuple[str, ...]] = {
    "store": (
        "without_outcome",
        "not_rows",
        "other_module_outcomes",
        "superseded_outcomes",
        "unmatched",
        "invalid_outcomes",
    ),
    "book": (
        "unmatched",
        "invalid_outcomes",
        "other_module_outcomes",
        "without_outcome",
        "not_rows",
    ),
}
"""The counts beside the figures, by source (a file's ``corrects`` replaces nothing), each
shown when the figures have it. ``not_rows`` stands for ``not_<module>_rows``."""


@dataclass(frozen=True)
class Table:
    """A table of the page: its rows, how its columns are shown, the rows to highlight."""

    name: str
    """Its part of the download's file name and widget key."""
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    """Column → kind (percent, money, days, count, number) for the page's number formats."""
    highlight: tuple[int, ...] = ()


def value_label(topic: str, value: object, group: str = "") -> str:
    """A group's value by its label; the group "no value" (None) by what it means."""
    if value:
        return module_text.label(topic, str(value), lang())
    return kb().text(f"backtest_modules.collection.unnamed.{group}", lang())


def topic_title(topic: str) -> str:
    found = kb().topics.get(topic)
    return found.label.get(lang()) if found else topic


def present(module: str, figures: Figures) -> list[Group]:
    """The module's group tables its figures have (collection's last two only with a column)."""
    return [g for g in GROUPS.get(module, ()) if isinstance(figures.get(g.key), list)]


def group_table(module: str, group: Group, figures: Figures) -> Table:
    """A group table: label, count, events, rate with its interval, the small-group mark and
    the module's further columns."""
    rows = figures[group.key]
    name = topic_title(group.topic)
    columns = {
        name: [value_label(group.topic, r[group.field], group.field) for r in rows],
        pt(f"{module}.n"): [r["n"] for r in rows],
        pt(f"{module}.event"): [r[group.event] for r in rows],
        pt(f"{module}.rate"): [r[group.rate] for r in rows],
        pt("column.ci_low"): [(r["ci"] or [None, None])[0] for r in rows],
        pt("column.ci_high"): [(r["ci"] or [None, None])[1] for r in rows],
        pt("column.small"): [pt("small_mark") if r["small"] and r["n"] else "" for r in rows],
    }
    formats = {pt(f"{module}.rate"): "percent"}
    formats |= {pt("column.ci_low"): "percent", pt("column.ci_high"): "percent"}
    for key, kind in group.extras:
        columns[pt(f"column.{key}")] = [r[key] for r in rows]
        formats[pt(f"column.{key}")] = kind
    title = pt(f"group.{group.key}")
    return Table(group.key, title, pd.DataFrame(columns), formats)


def cost_table(figures: Figures, key: str, topic: str) -> Table:
    """The cost of each cut-off of one ordering (``by_decision`` or ``by_risk_level``), the
    cheapest highlighted."""
    cuts = figures["cost"][key]
    best = min((c["cost"] for c in cuts), default=None)
    frame = pd.DataFrame(
        {
            pt("cost.cutoff"): [
                pt("cost.accept_all")
                if c["reject_from"] is None
                else pt("cost.reject_from", name=value_label(topic, c["reject_from"]))
                for c in cuts
            ],
            pt("cost.rejected"): [c["rejected"] for c in cuts],
            pt("cost.accepted_bad"): [c["accepted_bad"] for c in cuts],
            pt("cost.rejected_good"): [c["rejected_good"] for c in cuts],
            pt("cost.cost"): [c["cost"] for c in cuts],
            pt("cost.lowest"): [pt("cost.lowest_mark") if c["cost"] == best else "" for c in cuts],
        }
    )
    lowest = tuple(i for i, c in enumerate(cuts) if c["cost"] == best)
    return Table(f"cost_{key}", pt(f"cost.{key}"), frame, {pt("cost.cost"): "number"}, lowest)


def rule_title(rule: str) -> str:
    """A rule's title in the current language (today's rule base), "" for an unknown id."""
    found = default_engine().compiled.rules.get(rule)
    return found.title.get(lang()) if found else ""


def coverage_table(figures: Figures) -> Table | None:
    """The credit rules that fired, most customers first (``TOP_RULES``); None when the
    figures do not say which rules fired."""
    if figures.get("rules") is None:
        return None
    rows = [r for r in figures["rules"] if r["module"] == COVERED_MODULE][:TOP_RULES]
    frame = pd.DataFrame(
        {
            pt("rules.rule"): [r["rule"] for r in rows],
            pt("rules.title"): [rule_title(r["rule"]) for r in rows],
            pt("rules.cases"): [r["fired"] for r in rows],
            pt("rules.bad"): [r["bad"] for r in rows],
            pt("credit.rate"): [r["bad_rate"] for r in rows],
            pt("column.small"): [pt("small_mark") if r["small"] else "" for r in rows],
        }
    )
    return Table("rules", pt("rules.title_fired"), frame, {pt("credit.rate"): "percent"})


def never_fired_table(figures: Figures) -> Table | None:
    never = figures.get("never_fired")
    if never is None:
        return None
    frame = pd.DataFrame(
        {pt("rules.rule"): list(never), pt("rules.title"): [rule_title(r) for r in never]}
    )
    return Table("never_fired", pt("rules.title_never"), frame)


def counts_table(figures: Figures) -> Table:
    """What the figures leave out, each with what it means."""
    module = str(figures["module"])
    mode = str((figures.get("source") or {}).get("mode", "book"))
    named = kb().text(f"outcomes.module.{module}", lang())
    rows = []
    for key in COUNTS.get(mode, COUNTS["book"]):
        found = figures.get(f"not_{module}_rows" if key == "not_rows" else key)
        if found is not None:
            rows.append((pt(f"count.{key}.{mode}", module=named), int(found)))
    frame = pd.DataFrame(rows, columns=[pt("count.what"), pt("count.count")])
    return Table("counts", pt("count.title"), frame)


def tables(figures: Figures) -> list[Table]:
    """Every table of the figures, in the page's order (the downloads offer each)."""
    module = str(figures["module"])
    found = [group_table(module, g, figures) for g in present(module, figures)]
    if module == "credit":
        found += [
            cost_table(figures, "by_decision", "credit_decision"),
            cost_table(figures, "by_risk_level", "risk_level"),
        ]
        found += [t for t in (coverage_table(figures), never_fired_table(figures)) if t]
    return [*found, counts_table(figures)]


def _cell(value: Any) -> Any:
    """A cell for the CSV: an empty cell for a figure that could not be computed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def csv_bytes(table: Table) -> bytes:
    """The table as CSV, every cell neutralised (``engine.csv_safe``). UTF-8 with a byte-order
    mark: the headers and labels may be Chinese, which a spreadsheet reads right only with it."""
    rows = [[_cell(v) for v in row] for row in table.frame.itertuples(index=False)]
    return csv_text([list(table.frame.columns), *rows]).encode("utf-8-sig")


def json_bytes(figures: Figures) -> bytes:
    """The figures as the engine gave them (``sales-expert backtest --json``'s keys)."""
    return json.dumps(figures, ensure_ascii=False, indent=2).encode("utf-8")
