"""``sales-expert outcomes``: record what happened after consultations.

    outcomes import FILE [--errors ERRFILE] [--json] [--lang zh] [--actor A] [--role R]
                   an outcomes file (CSV or Parquet) into the audit trail; bad rows to ERRFILE
                   (default FILE-stem.errors.csv beside FILE)
    outcomes --template   a CSV header with an example row of every kind of outcome
    outcomes --columns    what each column means

Who is recorded: as for ``consult`` (``engine.cli_authority``): the OS user (role rep) unless
``--actor``/``--role`` claim a user of the users file, proved by their password. Exit codes: 0
(rows that failed are counted and written to the errors file), 2 for a bad request (the file
cannot be read, a column is unknown, the errors file is the input, a claim is not proved),
1 when the database fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.audit.config import load_settings
from engine.audit.store import AuditStore
from engine.cli_authority import add_identity_arguments, recording_identity
from engine.csv_safe import csv_text
from engine.outcomes.importer import ImportOptions, check_files, import_outcomes, summary_text
from engine.outcomes.model import COLUMNS
from engine.outcomes.records import Who
from engine.outcomes.table import open_table, refuse
from knowledge_base import load_knowledge

TEMPLATE_ROWS: tuple[dict[str, str], ...] = (
    {
        "consultation_id": "42",
        "module": "credit",
        "outcome": "paid_late",
        "observed_at": "2025-03-31",
        "days_late": "12",
    },
    {
        "customer_id": "C-1001",
        "module": "credit",
        "outcome": "written_off",
        "observed_at": "2025-06-30",
        "amount_lost": "25000",
        "note": "customer insolvent",
    },
    {
        "consultation_id": "57",
        "module": "collection",
        "outcome": "recovered",
        "observed_at": "2025-05-15",
        "amount_recovered": "18000",
        "days_to_recover": "45",
    },
    {
        "customer_id": "C-1001",
        "module": "closing",
        "outcome": "won",
        "observed_at": "2025-04-20",
        "deal_value": "120000",
    },
    {
        "customer_id": "C-1001",
        "module": "grading",
        "outcome": "purchases",
        "observed_at": "2025-12-31",
        "repeat_purchase": "yes",
        "revenue": "640000",
        "period_from": "2025-07-01",
    },
)
"""Examples of the template (a consultation id or a customer id links each)."""


def template_text() -> str:
    """Every column and the example rows, as CSV (cells through ``engine.csv_safe``)."""
    return csv_text([COLUMNS, *([row.get(c, "") for c in COLUMNS] for row in TEMPLATE_ROWS)])


def _columns(lang: str) -> str:
    kb = load_knowledge()
    lines = [kb.text("outcomes.columns", lang)]
    lines += [f"  {name:<17} {kb.text(f'outcomes.column.{name}', lang)}" for name in COLUMNS]
    return "\n".join(lines)


def cmd_outcomes(args: argparse.Namespace) -> int:
    if args.template:
        sys.stdout.write(template_text())
        return 0
    if args.columns:
        print(_columns(args.lang))
        return 0
    raise refuse("FILE", "give_file", args.lang)


def cmd_import(args: argparse.Namespace) -> int:
    """Check the file and the errors file, then who imports (a password only after that),
    then import."""
    options = ImportOptions(Path(args.file), Path(args.errors) if args.errors else None, args.lang)
    columns = open_table(options.input, options.lang, options.limit)
    check_files(options)
    actor, role = recording_identity(args.actor, args.role, record=True, lang=args.lang)
    settings = load_settings()
    who = Who(actor or settings.actor, role or settings.role, "cli")
    with AuditStore.from_settings(settings) as store:
        summary = import_outcomes(store, options, who, columns)
    if args.json:
        print(json.dumps(summary.as_json(), ensure_ascii=False, indent=2))
    else:
        print(summary_text(summary, args.lang))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``outcomes`` (with ``import``) to the ``sales-expert`` parser."""
    p = sub.add_parser(
        "outcomes",
        help="Record what happened after consultations (import a file; --template).",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--template", action="store_true", help="print a CSV template")
    p.add_argument("--columns", action="store_true", help="describe the columns")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.set_defaults(func=cmd_outcomes)
    commands = p.add_subparsers(dest="outcomes_command")
    text = "Import an outcomes file (CSV or Parquet) into the audit trail."
    imp = commands.add_parser("import", help=text, description=text)
    imp.add_argument("file", help="the outcomes file (.csv, or .parquet/.pq)")
    imp.add_argument("--errors", help="errors file (default: FILE-stem.errors.csv beside FILE)")
    imp.add_argument("--json", action="store_true", help="print the counts as JSON")
    imp.add_argument("--lang", choices=("en", "zh"), default=argparse.SUPPRESS)
    add_identity_arguments(imp)
    imp.set_defaults(func=cmd_import)


__all__ = ["TEMPLATE_ROWS", "register", "template_text"]
