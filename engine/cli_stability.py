"""``sales-expert stability``: has the population moved since the baseline period?

    stability --book NEW_RESULTS --baseline OLD_RESULTS
              [--inputs NEW_BOOK --baseline-inputs OLD_BOOK] [--json] [--lang zh]
    stability --from DATE --to DATE --baseline-from DATE --baseline-to DATE [--db URL]
              [--json] [--lang zh]

Both files are results of ``sales-expert batch`` (CSV or Parquet); or the two periods are the
consultations recorded in the audit database in each (``engine.stability_store``; UTC days,
both ends inclusive, ``--db`` else the configured database). Each line is a distribution
compared by PSI — the credit decisions, risk levels, customer grades, the risk score and the key
inputs (from the input books when the results do not carry them) — with its level (stable,
watch, shifted) and the shares per bin in both periods; flagged lines first. Exit 2 when a file
is missing or lacks a column (the message names it).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from engine.backtest import metrics
from engine.calibrate.book import refuse
from engine.calibrate.overlay import percent
from engine.cli_backtest import open_store, option_day
from engine.stability import Comparison, Line, stability, to_json
from engine.stability_store import Span, stability_store
from knowledge_base import load_knowledge

PERIOD_OPTIONS = {
    "--from": "new period: recorded on or after (YYYY-MM-DD), audit database",
    "--to": "new period: recorded on or before",
    "--baseline-from": "baseline period: recorded on or after",
    "--baseline-to": "baseline period: recorded on or before",
}
"""The options that pick two periods of the audit database instead of two results files."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``stability`` to the ``sales-expert`` parser."""
    text = "Population stability (PSI) of two batch results files: what has shifted."
    p = sub.add_parser(
        "stability",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--book", help="results of `sales-expert batch`, new period")
    p.add_argument("--baseline", help="results of the baseline period")
    for option, text in PERIOD_OPTIONS.items():
        p.add_argument(option, dest=_dest(option), metavar="DATE", help=text)
    p.add_argument("--db", metavar="URL", help="audit database URL (default: the configured one)")
    p.add_argument("--inputs", help="input book of the new period (for the key inputs)")
    p.add_argument("--baseline-inputs", help="input book of the baseline period")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.set_defaults(func=cmd_stability)


def _day(args: argparse.Namespace, option: str) -> date:
    """A period's date, required in store mode (exit 2 naming the option)."""
    day = option_day(option, getattr(args, _dest(option)), args.lang)
    if day is None:
        raise refuse(option, "stability.error.period_needed", args.lang, option=option)
    return day


def _span(args: argparse.Namespace, start: str, end: str) -> Span:
    since, until = _day(args, start), _day(args, end)
    if since > until:
        values = {"option": start, "since": since, "until": until, "end": end}
        raise refuse(start, "stability.error.period_reversed", args.lang, **values)
    return Span(since, until)


def _dest(option: str) -> str:
    return {"--from": "since", "--to": "until"}.get(option) or option[2:].replace("-", "_")


def _compared(args: argparse.Namespace) -> Comparison:
    """Two results files, or two periods of the audit database; not a mix of both."""
    periods = [o for o in PERIOD_OPTIONS if getattr(args, _dest(o)) is not None]
    files = [o for o in ("--book", "--baseline", "--inputs") if getattr(args, o[2:]) is not None]
    if files and (periods or args.db is not None):
        mixed = periods[0] if periods else "--db"
        raise refuse(mixed, "stability.error.mixed", args.lang, option=mixed, other=files[0])
    if not files:
        new = _span(args, "--from", "--to")
        baseline = _span(args, "--baseline-from", "--baseline-to")
        with open_store(args.db, args.lang) as store:
            return stability_store(store, new, baseline, args.lang)
    for option in ("--book", "--baseline"):
        if getattr(args, option[2:]) is None:
            raise refuse(option, "stability.error.file_needed", args.lang, option=option)
    inputs = Path(args.inputs) if args.inputs else None
    baseline_inputs = Path(args.baseline_inputs) if args.baseline_inputs else None
    return stability(Path(args.book), Path(args.baseline), inputs, baseline_inputs, args.lang)


def cmd_stability(args: argparse.Namespace) -> int:
    """Compare and print; errors are ``CalibrateError`` (exit 2)."""
    comparison = _compared(args)
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
        "new": comparison.new.shown,
        "new_rows": f"{comparison.new.rows:,}",
        "baseline": comparison.baseline.shown,
        "baseline_rows": f"{comparison.baseline.rows:,}",
        "watch": f"{metrics.PSI_WATCH:g}",
        "shift": f"{metrics.PSI_SHIFT:g}",
    }
    if comparison.inputs_from == "store":
        values["database"] = str(comparison.new.file)
    title = "stability.title_store" if comparison.inputs_from == "store" else "stability.title"
    lines = [kb.text(title, lang, **values)]
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
