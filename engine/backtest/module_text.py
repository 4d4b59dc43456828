"""The grading, collection and closing back-tests told in English or Chinese.

``render(figures, lang)`` takes the JSON of ``grading.backtest``, ``collection.backtest`` or
``closing.backtest`` (told apart by ``figures["module"]``), or of the same back-test over the
audit store (``store_modules``: ``figures["source"]["mode"]`` is ``store``), and returns the
lines the CLI prints. The store's back-test opens with the selection it read (``source``, the
line the credit back-test prints too) and ends with the store's counts (superseded outcomes
among them) rather than a file's. Every sentence is a text of
``knowledge_base/texts/<lang>/backtest_modules.yaml``; values are shown by their labels, rates
as percentages the way the credit back-test shows them (``12.3 %`` in English, ``12.3%`` in
Chinese), amounts grouped in yuan, and a figure that cannot be computed as "not available"
(never Python's ``None``). Groups without a row are named together in one line rather than
each given a line of empty figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.labels import number
from knowledge_base import load_knowledge

PREFIX = "backtest_modules"
Row = dict[str, Any]
Line = Callable[[Row, str], str]
"""A group's line from its figures and its name (the label of its value)."""


def _text(key: str, lang: str, **values: object) -> str:
    return load_knowledge().text(f"{PREFIX}.{key}", lang, **values)


def pct(value: float | None, lang: str) -> str:
    """A rate as a percentage, as ``sales-expert backtest`` prints the credit rates."""
    if value is None:
        return _text("none", lang)
    return f"{100 * value:.1f}%" if lang == "zh" else f"{100 * value:.1f} %"


def num(value: float | None, lang: str) -> str:
    """An AUC or a Gini with three decimals."""
    return _text("none", lang) if value is None else f"{value:.3f}"


def money(value: float | None, lang: str) -> str:
    """An amount in yuan, thousands grouped, at most two decimals."""
    if value is None:
        return _text("none", lang)
    return f"{number(round(value, 2))} {load_knowledge().text('units.yuan', lang)}"


def days(value: float | None, lang: str) -> str:
    """A mean number of days, one decimal."""
    if value is None:
        return _text("none", lang)
    return f"{value:.1f} {load_knowledge().text('units.days', lang)}"


def interval(ci: list[float] | None, lang: str) -> str:
    """A 95 % interval as the credit back-test prints it (``4.1 %–9.8 %``)."""
    return f"{pct(ci[0], lang)}–{pct(ci[1], lang)}" if ci else _text("none", lang)


def label(topic: str, value: str, lang: str) -> str:
    """A value by its label in ``lang`` (its id only if the knowledge base has no label)."""
    found = load_knowledge().value_labels.get((topic, value))
    return found.get(lang) if found else value


def _rate(row: Row, key: str, lang: str) -> dict[str, object]:
    """A rate with its interval and the small-group warning, as every line shows them."""
    small = _text("small", lang) if row.get("small") else ""
    return {"n": row["n"], "rate": pct(row[key], lang), "ci": interval(row["ci"], lang)} | {
        "small": small
    }


def rows(table: list[Row], key: str, topic: str, lang: str, line: Line, unnamed: str) -> list[str]:
    """One line per group that has rows, then one naming the groups without any; a group
    without a value (None) is called ``unnamed``."""
    out, never = [], []
    for row in table:
        name = label(topic, row[key], lang) if row[key] else unnamed
        if row["n"]:
            out.append("  " + line(row, name))
        else:
            never.append(name)
    if never:
        out.append("  " + _text("never", lang, names=("、" if lang == "zh" else ", ").join(never)))
    return out


def from_store(figures: Row) -> bool:
    """Whether the figures were read from the audit store (a results file's may lack
    ``source``: they were made before it was given)."""
    return bool(figures.get("source", {}).get("mode") == "store")


def source(figures: Row, lang: str) -> list[str]:
    """The database and the selection a store back-test read (of any module); none for a
    results file."""
    if not from_store(figures):
        return []
    found, kb = figures["source"], load_knowledge()
    anything = kb.text("backtest.source.any", lang)
    values = {key: found[key] or anything for key in ("channel", "version")}
    values |= {"since": found["from"] or kb.text("backtest.source.start", lang)}
    values |= {"until": found["to"] or kb.text("backtest.source.now", lang)}
    return [kb.text("backtest.source.store", lang, database=found["database"], **values)]


def counts(figures: Row, lang: str) -> str:
    """The outcomes and rows left out, as the credit back-test counts them (the store's
    counts for a store back-test)."""
    module = figures["module"]
    store = from_store(figures)
    return _text(
        "store_counts" if store else "counts",
        lang,
        unmatched=figures["unmatched"],
        invalid=figures["invalid_outcomes"],
        others=figures["other_module_outcomes"],
        without=figures["without_outcome"],
        module=load_knowledge().text(f"outcomes.module.{module}", lang),
        not_module=figures[f"not_{module}_rows"],
        superseded=figures.get("superseded_outcomes", 0),
    )


def grading(figures: Row, lang: str) -> list[str]:
    """The grading back-test: the AUC of each grade, then repeat rate and revenue by tier."""
    low, high = figures["auc_ci"] or (None, None)
    title = _rate(figures, "repeat_rate", lang) | {"repeat": figures["repeat"]}
    ranking = {"auc": num(figures["auc"], lang), "gini": num(figures["gini"], lang)}
    lines = [
        _text("grading.title", lang, revenue=money(figures["revenue"], lang), **title),
        _text("grading.definition", lang),
        _text("grading.ranking", lang, grade=_text(f"grading.grade.{figures['tier']}", lang),
              low=num(low, lang), high=num(high, lang), **ranking),
    ]  # fmt: skip
    for grade, area in figures["auc_by"].items():
        if grade != figures["tier"]:
            shown = _text(f"grading.grade.{grade}", lang)
            lines.append(_text("grading.also", lang, grade=shown, auc=num(area, lang)))
    lines.append(_text("grading.by_tier", lang))

    def line(row: Row, name: str) -> str:
        revenue = {"revenue": money(row["revenue"], lang), "mean": money(row["mean_revenue"], lang)}
        share = pct(row["revenue_share"], lang)
        values = _rate(row, "repeat_rate", lang) | revenue
        return _text("grading.row", lang, name=name, share=share, **values)

    return lines + rows(figures["by_tier"], "tier", figures["tier"], lang, line, "")


COLLECTION_GROUPS = {
    "debtor_type": "primary_debtor_type",
    "collection_means": "collection_means",
    "escalation_level": "escalation_level",
    "collection_strategy": "collection_strategy",
}
"""Each group of the collection figures (``by_<group>``) and the topic of its values."""


def _debt(row: Row, lang: str) -> dict[str, object]:
    """What a collection line shows of a group or of the whole book."""
    return _rate(row, "recovered_share", lang) | {
        "recovered": row["recovered"],
        "recovery": pct(row["recovery_rate"], lang),
        "days": days(row["mean_days_to_recover"], lang),
        "legal": row["legal"],
        "written_off": row["written_off"],
        "recovered_amount": money(row["amount_recovered"], lang),
        "overdue": money(row["amount_overdue"], lang),
    }


def collection(figures: Row, lang: str) -> list[str]:
    """The collection back-test: recovery overall, then by debtor type, means and the rest."""
    values = _debt(figures, lang)
    amounts = "collection.no_overdue" if figures["overdue_column"] is None else "collection.amounts"
    lines = [_text("collection.title", lang, **values), _text(amounts, lang, **values)]

    def line(row: Row, name: str) -> str:
        return _text("collection.row", lang, name=name, **_debt(row, lang))

    for group, topic in COLLECTION_GROUPS.items():
        if f"by_{group}" in figures:
            lines.append(_text(f"collection.by.{group}", lang))
            unnamed = _text(f"collection.unnamed.{group}", lang)
            lines += rows(figures[f"by_{group}"], group, topic, lang, line, unnamed)
    return lines


def closing(figures: Row, lang: str) -> list[str]:
    """The closing back-test: win rate overall, then by the technique advised."""
    title = _rate(figures, "win_rate", lang) | {"won": figures["won"]}
    lines = [
        _text("closing.title", lang, value=money(figures["won_value"], lang), **title),
        _text("closing.by_technique", lang),
    ]

    def line(row: Row, name: str) -> str:
        won = {"value": money(row["won_value"], lang), "share": pct(row["won_value_share"], lang)}
        return _text("closing.row", lang, name=name, **_rate(row, "win_rate", lang), **won)

    return lines + rows(figures["by_technique"], "technique", "top_technique", lang, line, "")


RENDERERS: dict[str, Callable[[Row, str], list[str]]] = {
    "grading": grading,
    "collection": collection,
    "closing": closing,
}


def render(figures: Row, lang: str) -> str:
    """The back-test of grading, collection or closing as text, in English or Chinese."""
    lines = RENDERERS[figures["module"]](figures, lang)
    return "\n".join([*source(figures, lang), *lines, counts(figures, lang)])
