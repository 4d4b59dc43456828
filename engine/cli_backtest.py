"""``sales-expert backtest``: measure the advice against what really happened.

    backtest [--module MODULE] --book RESULTS --outcomes FILE [--json] [--lang zh]
             [--cost-bad X] [--cost-good-rejected Y]
    backtest [--module MODULE] [--db URL] [--from DATE] [--to DATE] [--channel CH]
             [--version RULESET_VERSION] [--json] [--lang zh] [--cost-bad X]
             [--cost-good-rejected Y]

MODULE: credit (the default), grading, collection or closing; the costs apply to credit only.
With ``--book``: RESULTS is the output of ``sales-expert batch`` (CSV or Parquet), FILE an
outcomes file as ``sales-expert outcomes import`` reads it; nothing is read from or written to
the audit database. Without: the consultations recorded in the audit database (``--db``, else
the configured one) and the outcomes recorded on them, selected by the day they were recorded
(UTC, both ends inclusive), channel and rule-base version (``engine.backtest.store`` for
credit, ``engine.backtest.store_modules`` for the others). Both print the same figures. Exit 2
for a bad request — a missing file or column, a date that is not one, an unknown module,
channel or version, a store option with ``--book``: the message names the option, the value
and what is allowed, in the command's language.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.audit.config import load_settings, sqlite_file
from engine.audit.errors import AuditRequestError
from engine.audit.records import CHANNELS
from engine.audit.store import AuditStore
from engine.backtest import closing, collection, credit, grading, module_text
from engine.backtest.module_text import label, num, pct
from engine.backtest.store import Selection, backtest_store, recorded_versions
from engine.backtest.store_modules import backtest_store_module
from engine.errors import excerpt
from engine.shared import default_engine
from knowledge_base import load_knowledge

MODULES = ("credit", "grading", "collection", "closing")
"""Modules the back-test measures."""
BOOK_MODULES: dict[str, Callable[[Path, Path, str], dict[str, Any]]] = {
    "grading": grading.backtest,
    "collection": collection.backtest,
    "closing": closing.backtest,
}
"""The modules other than credit, measured from a results file and an outcomes file (from the
audit database: ``store_modules``)."""
STORE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("db", "--db"),
    ("since", "--from"),
    ("until", "--to"),
    ("channel", "--channel"),
    ("version", "--version"),
)
"""(argument, option) of the options that select in the audit database."""
TOP_RULES = 10
"""Rules the text shows, most fired first (``--json`` lists them all)."""
VERSIONS_SHOWN = 5
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "Back-test the advice of a module: a batch results file, or the audit database."
    p = sub.add_parser(
        "backtest",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--book", help="results file of `sales-expert batch` (needs --outcomes)")
    p.add_argument("--outcomes", help="outcomes file (CSV or Parquet), with --book")
    p.add_argument("--db", metavar="URL", help="audit database URL (default: the configured one)")
    p.add_argument("--module", default="credit", help=f"module to back-test: {', '.join(MODULES)}")
    p.add_argument("--from", dest="since", metavar="DATE", help="recorded on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="until", metavar="DATE", help="recorded on or before (YYYY-MM-DD)")
    p.add_argument("--channel", help=f"recorded through: {', '.join(CHANNELS)}")
    p.add_argument("--version", metavar="RULESET_VERSION", help="recorded under this rule base")
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument(
        "--cost-bad",
        default=str(credit.DEFAULT_COST_BAD),
        help="cost of accepting a customer who goes bad (default %(default)s)",
    )
    p.add_argument(
        "--cost-good-rejected",
        default=str(credit.DEFAULT_COST_GOOD_REJECTED),
        help="cost of rejecting a customer who would have paid (default %(default)s)",
    )
    p.set_defaults(func=cmd_backtest)


@dataclass(frozen=True)
class Request:
    """A checked ``backtest`` command line."""

    lang: str
    cost_bad: float
    cost_good_rejected: float
    selection: Selection


def _listed(items: list[str] | tuple[str, ...], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(items)


def _shown(value: str) -> str:
    return excerpt(value, quoted=False)


def option_day(option: str, value: str | None, lang: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or exit 2 naming the option and the value."""
    if value is None:
        return None
    try:
        if _ISO_DATE.fullmatch(value):  # not the other ISO forms (2025-W01-1, 20250131)
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise credit.refuse_option(option, "bad_date", lang, value=_shown(value))


def _cost(option: str, value: str, lang: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise credit.refuse_option(option, "bad_cost", lang, value=_shown(value))
    return number


def _selection(args: argparse.Namespace, lang: str) -> Selection:
    since, until = option_day("--from", args.since, lang), option_day("--to", args.until, lang)
    if since is not None and until is not None and since > until:
        raise credit.refuse_option("--from", "period_reversed", lang, since=since, until=until)
    if args.channel is not None and args.channel not in CHANNELS:
        allowed = _listed(CHANNELS, lang)
        raise credit.refuse_option(
            "--channel", "unknown_channel", lang, value=_shown(args.channel), allowed=allowed
        )
    return Selection(since, until, args.channel, args.version)


def check(args: argparse.Namespace) -> Request:
    """Every option checked before a file or the database is opened."""
    lang = args.lang
    if args.module not in MODULES:
        value, allowed = _shown(args.module), _listed(MODULES, lang)
        raise credit.refuse_option("--module", "unknown_module", lang, value=value, allowed=allowed)
    if (args.book is None) != (args.outcomes is None):
        named = "--book" if args.book is not None else "--outcomes"
        raise credit.refuse_option(named, "book_pair", lang)
    if args.book is not None:
        for name, option in STORE_OPTIONS:
            if getattr(args, name) is not None:
                raise credit.refuse_option(option, "store_only", lang)
    costs = _cost("--cost-bad", args.cost_bad, lang)
    good = _cost("--cost-good-rejected", args.cost_good_rejected, lang)
    return Request(lang, costs, good, _selection(args, lang))


def open_store(url: str | None, lang: str) -> AuditStore:
    """The ``--db`` database (which must exist: a back-test creates nothing), else the
    configured one."""
    if url is None:
        return AuditStore.from_settings(load_settings())
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise credit.refuse_option("--db", "no_database", lang, value=_shown(url))
    try:
        return AuditStore(url)
    except AuditRequestError:  # not a URL, or not a database this product opens
        raise credit.refuse_option("--db", "bad_url", lang, value=_shown(url)) from None


def from_store(args: argparse.Namespace, request: Request) -> dict[str, Any]:
    """The back-test of ``--module`` over the audit database's selected consultations."""
    with open_store(args.db, request.lang) as store:
        version = request.selection.version
        if version is not None:
            known = recorded_versions(store)
            if version not in known:
                shown = _listed(known[:VERSIONS_SHOWN], request.lang) or "—"
                raise credit.refuse_option(
                    "--version", "unknown_version", request.lang, value=_shown(version), known=shown
                )
        if args.module != "credit":
            return backtest_store_module(store, args.module, request.selection)
        return backtest_store(
            store, request.selection, request.cost_bad, request.cost_good_rejected
        )


def from_book(args: argparse.Namespace, request: Request) -> dict[str, Any]:
    """The back-test of ``--module`` over a results file and its outcomes file."""
    results, outcomes = Path(args.book), Path(args.outcomes)
    if args.module in BOOK_MODULES:
        return BOOK_MODULES[args.module](results, outcomes, args.lang)
    costs = (request.cost_bad, request.cost_good_rejected)
    return credit.backtest(results, outcomes, args.lang, *costs)


def cmd_backtest(args: argparse.Namespace) -> int:
    request = check(args)
    figures = from_store(args, request) if args.book is None else from_book(args, request)
    if args.json:
        print(_dumped(figures))
    elif args.module in BOOK_MODULES:
        print(module_text.render(figures, args.lang))
    else:
        print(render(figures, args.lang))
    return 0


def _dumped(figures: dict[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)


def _text(key: str, lang: str, **values: object) -> str:
    return load_knowledge().text(f"backtest.{key}", lang, **values)


def _rates(figures: dict[str, Any], key: str, topic: str, lang: str) -> list[str]:
    out = [_text(key, lang)]
    for row in figures[key]:
        ci = row["ci"]
        shown = f"{pct(ci[0], lang)}–{pct(ci[1], lang)}" if ci else pct(None, lang)
        small = _text("small", lang) if row["small"] else ""
        name = label(topic, row[key.removeprefix("by_")] or "", lang)
        values = {"n": row["n"], "rate": pct(row["bad_rate"], lang), "ci": shown}
        out.append("  " + _text("row", lang, name=name, small=small, **values))
    return out


def _costs(figures: dict[str, Any], lang: str) -> list[str]:
    cost = figures["cost"]
    out = [_text("cost", lang, cost_bad=cost["cost_bad"], cost_good=cost["cost_good_rejected"])]
    for cut in cost["by_decision"]:
        values = {key: cut[key] for key in ("accepted_bad", "rejected_good", "rejected")}
        values["cost"] = f"{cut['cost']:,.1f}"
        if cut["reject_from"] is None:
            out.append("  " + _text("accept_all", lang, **values))
        else:
            name = label("credit_decision", cut["reject_from"], lang)
            out.append("  " + _text("reject_from", lang, name=name, **values))
    return out


def _rule_title(rule: str, lang: str) -> str:
    found = default_engine().compiled.rules.get(rule)
    return f" {found.title.get(lang)}" if found else ""


def _coverage(figures: dict[str, Any], lang: str) -> list[str]:
    """The credit rules that touched most customers, and those that touched none."""
    if figures["rules"] is None:
        return [_text("coverage.unknown", lang)]
    fired = [row for row in figures["rules"] if row["module"] == "credit"]
    out = [_text("coverage.title", lang, shown=min(TOP_RULES, len(fired)), count=len(fired))]
    for row in fired[:TOP_RULES]:
        small = _text("small", lang) if row["small"] else ""
        rate = pct(row["bad_rate"], lang)
        values = {"rule": row["rule"], "title": _rule_title(row["rule"], lang), "small": small}
        out.append("  " + _text("coverage.row", lang, fired=row["fired"], rate=rate, **values))
    never = figures["never_fired"]
    if not never:
        return [*out, _text("coverage.all_fired", lang)]
    return [*out, _text("coverage.never", lang, count=len(never), ids=_listed(never, lang))]


def _counts(figures: dict[str, Any], lang: str) -> str:
    others = figures["other_module_outcomes"]
    if figures["source"]["mode"] == "store":
        values = {"not_credit": figures["not_credit_rows"], "others": others}
        values |= {"superseded": figures["superseded_outcomes"]}
        return _text("store_counts", lang, without=figures["without_outcome"], **values)
    counts = {"unmatched": figures["unmatched"], "invalid": figures["invalid_outcomes"]}
    return _text("counts", lang, without=figures["without_outcome"], others=others, **counts)


def render(figures: dict[str, Any], lang: str) -> str:
    """The back-test as text, in English or Chinese."""
    ci = figures["auc_ci"] or [None, None]
    lines = [
        *module_text.source(figures, lang),
        _text("title", lang, n=figures["n"], bad=figures["bad"],
              rate=pct(figures["bad_rate"], lang)),
        _text("definition", lang, days=figures["bad_definition"]["paid_late_over_days"]),
        _text("ranking", lang, score=_text(f"score.{figures['score']}", lang),
              auc=num(figures["auc"], lang), low=num(ci[0], lang), high=num(ci[1], lang),
              gini=num(figures["gini"], lang), ks=num(figures["ks"], lang)),
    ]  # fmt: skip
    lines += _rates(figures, "by_decision", "credit_decision", lang)
    lines += _rates(figures, "by_risk_level", "risk_level", lang)
    lines += _costs(figures, lang)
    lines += _coverage(figures, lang)
    lines.append(_counts(figures, lang))
    return "\n".join(lines)
