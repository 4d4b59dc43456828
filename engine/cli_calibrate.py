"""``sales-expert calibrate``: propose parameter values from the company's own book.

    calibrate --book BOOK [--results RESULTS [--outcomes FILE]]
              [--target-approval-rate R | --target-bad-rate R]
              [--out overlay.yaml] [--json] [--lang zh]

BOOK is an input book as ``sales-expert batch`` reads it (CSV or Parquet; JSON Lines too):
the grading band cut-offs are proposed from its quantiles. With RESULTS (the batch results of
that book) and a target, the credit score cut-off is proposed too; a bad-rate target needs an
outcomes FILE. Nothing is applied: the values are printed and, with --out, written as a
parameter overlay file for the policy workbench (README: Calibration). Exit 2 on a bad request
(the message names the option or column, the value and what is allowed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.calibrate import Overlay, Request, calibrate, dump_overlay
from engine.calibrate.overlay import with_unit
from knowledge_base import load_knowledge


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``calibrate`` to the ``sales-expert`` parser."""
    text = "Propose parameter values from your own book (written as an overlay, not applied)."
    p = sub.add_parser(
        "calibrate",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--book", required=True, help="input book (CSV, Parquet or JSON Lines)")
    p.add_argument("--results", help="results file of `sales-expert batch` for this book")
    p.add_argument("--outcomes", help="outcomes file (CSV or Parquet), for --target-bad-rate")
    p.add_argument("--target-approval-rate", metavar="R", help="approval rate, between 0 and 1")
    p.add_argument("--target-bad-rate", metavar="R", help="bad rate among approved, 0 to 1")
    p.add_argument("--out", help="write the overlay (YAML) to this file")
    p.add_argument("--json", action="store_true", help="print the overlay as JSON")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.set_defaults(func=cmd_calibrate)


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Propose, print, and write the overlay when asked; errors are ``CalibrateError`` (2)."""
    request = Request(
        book=Path(args.book),
        results=_path(args.results),
        outcomes=_path(args.outcomes),
        target_approval_rate=args.target_approval_rate,
        target_bad_rate=args.target_bad_rate,
        out=_path(args.out),
        lang=args.lang,
    )
    overlay = calibrate(request)
    if request.out is not None:
        request.out.write_text(dump_overlay(overlay), encoding="utf-8")
    if args.json:
        print(json.dumps(overlay.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print(render(overlay, request.out, args.lang))
    return 0


def render(overlay: Overlay, out: Path | None, lang: str) -> str:
    """Each proposal as "label: current → proposed" and its reason, in ``lang``."""
    kb = load_knowledge()
    source = overlay.source
    lines = [
        kb.text(
            "calibrate.title",
            lang,
            book=source.book,
            rows=f"{source.rows:,}",
            version=overlay.ruleset_version,
        )
    ]
    for name, proposal in overlay.parameters.items():
        parameter = kb.parameters[name]
        values = {
            "label": parameter.label.get(lang),
            "current": with_unit(parameter, proposal.current, kb, lang),
            "proposed": with_unit(parameter, proposal.value, kb, lang),
        }
        lines += ["", kb.text("calibrate.line", lang, **values), "  " + proposal.reason.get(lang)]
    lines.append("")
    if out is None:
        lines.append(kb.text("calibrate.no_out", lang))
    else:
        lines.append(kb.text("calibrate.written", lang, path=str(out)))
    return "\n".join(lines)


__all__ = ["cmd_calibrate", "register", "render"]
