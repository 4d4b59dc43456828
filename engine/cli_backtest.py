"""``sales-expert backtest``: measure the credit advice against what really happened.

    backtest --book RESULTS --outcomes FILE [--json] [--lang zh]
             [--cost-bad X] [--cost-good-rejected Y]

RESULTS is the output of ``sales-expert batch`` (CSV or Parquet); FILE an outcomes file as
``sales-expert outcomes import`` reads it. Nothing is read from or written to the audit
database. Exit 2 when a file is missing or lacks a column (the message names it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.backtest import credit
from knowledge_base import load_knowledge


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "Back-test the credit decisions of a batch results file against an outcomes file."
    p = sub.add_parser("backtest", help=text, description=__doc__)
    p.add_argument("--book", required=True, help="results file of `sales-expert batch`")
    p.add_argument("--outcomes", required=True, help="outcomes file (CSV or Parquet)")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument(
        "--cost-bad",
        type=float,
        default=credit.DEFAULT_COST_BAD,
        help="cost of accepting a customer who goes bad (default %(default)s)",
    )
    p.add_argument(
        "--cost-good-rejected",
        type=float,
        default=credit.DEFAULT_COST_GOOD_REJECTED,
        help="cost of rejecting a customer who would have paid (default %(default)s)",
    )
    p.set_defaults(func=cmd_backtest)


def cmd_backtest(args: argparse.Namespace) -> int:
    figures = credit.backtest(
        Path(args.book), Path(args.outcomes), args.lang, args.cost_bad, args.cost_good_rejected
    )
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        print(render(figures, args.lang))
    return 0


def _pct(value: float | None, lang: str) -> str:
    if value is None:
        return load_knowledge().text("backtest.none", lang)
    return f"{100 * value:.1f}%" if lang == "zh" else f"{100 * value:.1f} %"


def _num(value: float | None, lang: str) -> str:
    return load_knowledge().text("backtest.none", lang) if value is None else f"{value:.3f}"


def _label(topic: str, value: str | None, lang: str) -> str:
    label = load_knowledge().value_labels.get((topic, value or ""))
    return label.get(lang) if label else str(value)


def _rates(figures: dict[str, Any], key: str, topic: str, lang: str) -> list[str]:
    kb, out = load_knowledge(), [load_knowledge().text(f"backtest.{key}", lang)]
    sep = "–"
    for row in figures[key]:
        ci = row["ci"]
        shown = f"{_pct(ci[0], lang)}{sep}{_pct(ci[1], lang)}" if ci else _pct(None, lang)
        small = kb.text("backtest.small", lang) if row["small"] else ""
        name = _label(topic, row[key.removeprefix("by_")], lang)
        values = {"n": row["n"], "rate": _pct(row["bad_rate"], lang), "ci": shown}
        out.append("  " + kb.text("backtest.row", lang, name=name, small=small, **values))
    return out


def _costs(figures: dict[str, Any], lang: str) -> list[str]:
    kb, cost = load_knowledge(), figures["cost"]
    out = [
        kb.text(
            "backtest.cost", lang, cost_bad=cost["cost_bad"], cost_good=cost["cost_good_rejected"]
        )
    ]
    for cut in cost["by_decision"]:
        values = {key: cut[key] for key in ("accepted_bad", "rejected_good", "rejected")}
        values["cost"] = f"{cut['cost']:,.1f}"
        if cut["reject_from"] is None:
            out.append("  " + kb.text("backtest.accept_all", lang, **values))
        else:
            name = _label("credit_decision", cut["reject_from"], lang)
            out.append("  " + kb.text("backtest.reject_from", lang, name=name, **values))
    return out


def render(figures: dict[str, Any], lang: str) -> str:
    """The back-test as text, in English or Chinese."""
    kb = load_knowledge()
    ci = figures["auc_ci"] or [None, None]
    lines = [
        kb.text("backtest.title", lang, n=figures["n"], bad=figures["bad"],
                rate=_pct(figures["bad_rate"], lang)),
        kb.text("backtest.definition", lang,
                days=figures["bad_definition"]["paid_late_over_days"]),
        kb.text("backtest.ranking", lang, score=kb.text(f"backtest.score.{figures['score']}", lang),
                auc=_num(figures["auc"], lang), low=_num(ci[0], lang), high=_num(ci[1], lang),
                gini=_num(figures["gini"], lang), ks=_num(figures["ks"], lang)),
    ]  # fmt: skip
    lines += _rates(figures, "by_decision", "credit_decision", lang)
    lines += _rates(figures, "by_risk_level", "risk_level", lang)
    lines += _costs(figures, lang)
    counts = {key: figures[key] for key in ("unmatched",)}
    counts |= {"invalid": figures["invalid_outcomes"], "others": figures["other_module_outcomes"]}
    lines.append(kb.text("backtest.counts", lang, without=figures["without_outcome"], **counts))
    return "\n".join(lines)
