"""``sales-expert stability``: has the population moved since the baseline period?

    stability --book NEW_RESULTS --baseline OLD_RESULTS
              [--inputs NEW_BOOK --baseline-inputs OLD_BOOK] [--json] [--lang zh]

Both files are results of ``sales-expert batch`` (CSV or Parquet). Each line is a distribution
compared by PSI — the credit decisions, risk levels, customer grades, the risk score and the key
inputs (from the input books when the results do not carry them) — with its level (stable,
watch, shifted) and the shares per bin in both periods; flagged lines first. Exit 2 when a file
is missing or lacks a column (the message names it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.backtest import metrics
from engine.calibrate.overlay import percent
from engine.stability import Comparison, Line, stability, to_json
from knowledge_base import load_knowledge


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``stability`` to the ``sales-expert`` parser."""
    text = "Population stability (PSI) of two batch results files: what has shifted."
    p = sub.add_parser(
        "stability",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--book", required=True, help="results of `sales-expert batch`, new period")
    p.add_argument("--baseline", required=True, help="results of the baseline period")
    p.add_argument("--inputs", help="input book of the new period (for the key inputs)")
    p.add_argument("--baseline-inputs", help="input book of the baseline period")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.set_defaults(func=cmd_stability)


def cmd_stability(args: argparse.Namespace) -> int:
    """Compare and print; errors are ``CalibrateError`` (exit 2)."""
    inputs = Path(args.inputs) if args.inputs else None
    baseline_inputs = Path(args.baseline_inputs) if args.baseline_inputs else None
    comparison = stability(Path(args.book), Path(args.baseline), inputs, baseline_inputs, args.lang)
    if args.json:
        print(json.dumps(to_json(comparison), ensure_ascii=False, indent=2))
    else:
        print(render(comparison, args.lang))
    return 0


def _line(line: Line, lang: str) -> list[str]:
    kb = load_knowledge()
    level = kb.text(f"stability.level.{line.level}", lang)
    head = kb.text("stability.line", lang, label=line.label, psi=f"{line.psi:.3f}", level=level)
    old_total = sum(b.baseline for b in line.bins) or 1
    new_total = sum(b.new for b in line.bins) or 1
    rows = [
        kb.text(
            "stability.bin",
            lang,
            bin=b.label,
            baseline=percent(b.baseline / old_total, lang),
            new=percent(b.new / new_total, lang),
        )
        for b in line.bins
    ]
    return [("! " if line.flagged else "  ") + head, *("      " + row for row in rows)]


def render(comparison: Comparison, lang: str) -> str:
    """The comparison as text: a title, each line with its bins, what was not compared."""
    kb = load_knowledge()
    values = {
        "new": comparison.new.file.name,
        "new_rows": f"{comparison.new.rows:,}",
        "baseline": comparison.baseline.file.name,
        "baseline_rows": f"{comparison.baseline.rows:,}",
        "watch": f"{metrics.PSI_WATCH:g}",
        "shift": f"{metrics.PSI_SHIFT:g}",
    }
    lines = [kb.text("stability.title", lang, **values)]
    flagged = sum(1 for line in comparison.lines if line.flagged)
    lines.append(kb.text("stability.flagged", lang, flagged=flagged, total=len(comparison.lines)))
    for line in comparison.lines:
        lines += _line(line, lang)
    by_reason: dict[str, list[str]] = {}
    for _, label, reason in comparison.not_compared:
        by_reason.setdefault(reason, []).append(label)
    separator = kb.text("explain.list_separator", lang)
    for reason, labels in by_reason.items():
        values = {
            "labels": separator.join(labels),
            "reason": kb.text(f"stability.reason.{reason}", lang),
        }
        lines.append(kb.text("stability.not_compared", lang, **values))
    return "\n".join(lines)


__all__ = ["cmd_stability", "register", "render"]
