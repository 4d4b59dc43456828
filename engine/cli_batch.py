"""``sales-expert batch``: run a customer book (CSV or Parquet) through the engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.batch import OUTPUT_COLUMNS, BatchOptions, input_columns, run_batch
from engine.batch.cluster import cluster_address_ok
from engine.batch.mapping import HEAD_COLUMNS, LIST_SEPARATOR
from engine.cli_authority import recording_identity
from engine.csv_safe import csv_text
from engine.errors import FieldProblem, InputError
from knowledge_base import load_knowledge
from knowledge_base.facts import SECTIONS

TEMPLATE_EXAMPLE = {
    "customer.id": "C-1001",
    "customer.name": "Huadong Industrial Supplies Co.",
    "customer.nature": "company",
    "customer.region": "east",
    "customer.industry": "industrial distribution",
    "customer.relationship_years": "6",
    "customer.annual_purchases": "1800000",
    "customer.purchase_frequency": "24",
    "customer.days_since_last_purchase": "12",
    "customer.gross_margin_pct": "18.5",
    "customer.purchases_growth_pct": "14",
    "customer.complaints_last_year": "1",
}


def add_batch_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "batch", help="Consult every row of a CSV or Parquet customer book.", description=__doc__
    )
    p.add_argument("input", nargs="?", help="CSV or Parquet file, one customer per row")
    p.add_argument("--out", help="results file (.csv or .parquet)")
    p.add_argument("--errors", help="errors file (default: OUT.errors.csv)")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on Dask: `local` (a LocalCluster of --workers processes here) or "
        "dask://HOST:PORT (a running scheduler; workers reach the book's rows through it and "
        "record into the audit database: PostgreSQL when they are on other machines)",
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--actor", help="who runs the batch, for the audit trail")
    p.add_argument("--role", help="the actor's role (with --actor: proved like `consult --actor`)")
    p.add_argument("--no-record", action="store_true", help="do not record in the audit trail")
    p.add_argument(
        "--what-if",
        action="store_true",
        help="search each row's path to a better answer (column path_to_better; slower)",
    )
    p.add_argument(
        "--chunk-rows",
        type=int,
        default=200,
        help="rows per worker task and checkpoint granularity (default: 200)",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="start over even if a checkpoint says the run can resume",
    )
    p.add_argument(
        "--template",
        action="store_true",
        help="print a CSV template (every input column, one example row)",
    )
    p.add_argument("--columns", action="store_true", help="describe input and output columns")
    p.set_defaults(func=cmd_batch)


def template_text() -> str:
    """Every input column and one example row, as CSV (cells neutralised like every CSV the
    product writes: ``engine.csv_safe``)."""
    columns = input_columns()
    return csv_text([columns, [TEMPLATE_EXAMPLE.get(c, "") for c in columns]])


def _template() -> None:
    sys.stdout.write(template_text())


def _columns(lang: str) -> None:
    kb = load_knowledge()
    print(kb.text("batch.input_columns", lang))
    for name, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            required = kb.text("batch.required" if info.is_required() else "batch.optional", lang)
            print(f"  {name}.{field:<28} {required:<9} {info.description}")
    print(kb.text("batch.list_note", lang, separator=LIST_SEPARATOR))
    print(kb.text("batch.output_columns", lang))
    for head in HEAD_COLUMNS:
        print(f"  {head:<37} {kb.text(f'batch.head.{head}', lang)}")
    for column in OUTPUT_COLUMNS:
        print(f"  {column.name:<37} {column.description}")


def _refused(field: str, given: str | None, key: str, lang: str) -> InputError:
    """A refusal of the command line, worded in its language (``batch.error.<key>``)."""
    return InputError(
        [FieldProblem(field, given, load_knowledge().text(f"batch.error.{key}", lang))]
    )


def cmd_batch(args: argparse.Namespace) -> int:
    if args.template:
        _template()
        return 0
    if args.columns:
        _columns(args.lang)
        return 0
    if not args.input or not args.out:
        raise _refused("input/--out", None, "need_input", args.lang)
    source = Path(args.input)
    if not source.is_file():
        raise _refused("input", str(source), "no_input", args.lang)
    if args.cluster and not cluster_address_ok(args.cluster):
        raise _refused("--cluster", args.cluster, "cluster", args.lang)
    record = False if args.no_record else None
    actor, role = recording_identity(args.actor, args.role, record=record, lang=args.lang)
    options = BatchOptions(
        input=source,
        out=Path(args.out),
        errors=Path(args.errors) if args.errors else None,
        lang=args.lang,
        restart=args.restart,
        actor=actor,
        role=role,
        record=record,
        chunk_rows=max(1, args.chunk_rows),
        what_if=args.what_if,
        cluster=args.cluster,
        **({"workers": args.workers} if args.workers else {}),
    )
    summary = run_batch(options)
    kb = load_knowledge()
    key = "batch.summary_resumed" if summary.resumed_at else "batch.summary"
    key = "batch.already_complete" if summary.already_complete else key
    print(
        kb.text(
            key,
            args.lang,
            rows=summary.rows_in,
            ok=summary.ok,
            failed=summary.failed,
            seconds=summary.seconds,
            rate=summary.rows_in / max(summary.seconds, 1e-9),
            out=options.out,
            errors=options.errors_path,
            resumed=summary.resumed_at,
        )
    )
    return 0
