"""``sales-expert audit …``: the auditor's tools and the manager's final decision.

    audit list     records, newest first, filtered (--from/--to, --actor, --customer, --module,
                   --decision, --rule, --kind)
    audit show     one record: the case's conclusions, the trace as readable steps, final
                   decisions and outcomes; an outcome with its consultation
    audit replay   re-run under the recorded rule base (exit 1 if not identical), or --current
    audit verify   walk the hash chain and check the HMACs (exit 1 at the first bad record);
                   --anchor FILE / --expect ID:HASH also detect records cut off the end
    audit anchor   sign the chain's head for safekeeping outside the database
    audit key      init | rotate | list the keyring that signs records
    audit stats    rule firings, decisions by type, override rate by manager
    audit export   CSV (formula-safe) or JSON
    audit decide   a manager's final decision on a credit consultation

The database is the configured one (``engine.audit.config``). Every command takes --json.
verify, anchor and key live in ``engine.cli_audit_integrity``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.audit.authority import PENDING, status
from engine.audit.config import load_settings
from engine.audit.decisions import DecisionRequest
from engine.audit.records import KINDS, AuditRecord, RecordFilter
from engine.audit.replay import replay
from engine.audit.reports import FORMATS
from engine.audit.snapshots import load_snapshot
from engine.audit.store import AuditStore
from engine.audit.text import (
    render_consultation,
    render_decided,
    render_decision,
    render_list,
    render_outcome,
    render_policy,
    render_replay,
    render_stats,
)
from engine.cli_audit_integrity import register as register_integrity
from engine.cli_authority import add_identity_arguments, recording_identity
from engine.outcomes.text import corrected_by
from engine.referrals.text import pending_text
from knowledge_base import load_knowledge
from knowledge_base.schema import MODULES

EXIT_OK, EXIT_FAILED = 0, 1
Command = Callable[[argparse.Namespace], int]


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _store() -> AuditStore:
    return AuditStore.from_settings(load_settings())


def _where(args: argparse.Namespace) -> RecordFilter:
    return RecordFilter(
        since=args.since,
        until=args.until,
        actor=args.actor,
        customer=args.customer,
        module=args.module,
        decision=args.decision,
        rule=args.rule,
        kind=args.kind,
    )


def cmd_list(args: argparse.Namespace) -> int:
    with _store() as store:
        found = store.list_records(_where(args), args.limit)
    if args.json:
        _print_json([r.summary() for r in found])
    else:
        print(render_list(found, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    with _store() as store:
        record = store.get(args.id)
        if record.kind == "decision":
            data: dict[str, Any] = {"record": record.to_json()}
            text = render_decision(record, kb, args.lang)
        elif record.kind == "outcome":
            return _show_outcome(store, record, args)
        elif record.kind == "policy":
            data, text = {"record": record.to_json()}, render_policy(record, kb, args.lang)
        else:
            decisions, outcomes = store.decisions_for(record.id), store.outcomes_for(record.id)
            version = record.ruleset_version
            snapshot = load_snapshot(version, store.snapshot(version))
            data = {
                "record": record.to_json(),
                "decisions": [d.to_json() for d in decisions],
                "outcomes": [o.to_json() for o in outcomes],
            }
            text = render_consultation(record, decisions, snapshot, kb, args.lang, outcomes)
    if args.json:
        _print_json(data)
    else:
        print(text)
    return EXIT_OK


def _show_outcome(store: AuditStore, record: AuditRecord, args: argparse.Namespace) -> int:
    """An outcome record with its consultation, and the later outcome correcting it, if any."""
    siblings = store.outcomes_for(record.ref_id) if record.ref_id is not None else []
    later = corrected_by(siblings).get(record.id)
    if args.json:
        _print_json(
            {"record": record.to_json(), "consultation": record.ref_id, "corrected_by": later}
        )
    else:
        print(render_outcome(record, later, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    with _store() as store:
        report = replay(store, args.id, current=args.current)
    if args.json:
        _print_json(report.as_json())
    else:
        print(render_replay(report, load_knowledge(), args.lang))
    return EXIT_OK if report.identical or args.current else EXIT_FAILED


def cmd_stats(args: argparse.Namespace) -> int:
    with _store() as store:
        figures = store.stats(_where(args))
    if args.json:
        _print_json(figures)
    else:
        print(render_stats(figures, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    fmt = "json" if args.json else args.format
    with _store() as store:
        if args.output is None:
            store.export(sys.stdout, fmt, _where(args))
            return EXIT_OK
        path = Path(args.output)
        with path.open("w", encoding="utf-8", newline="") as out:
            count = store.export(out, fmt, _where(args))
    print(load_knowledge().text("audit.exported", args.lang, count=count, file=path))
    return EXIT_OK


def cmd_decide(args: argparse.Namespace) -> int:
    settings = load_settings()
    request = DecisionRequest(args.decision, args.limit, args.term_days, args.reason)
    actor, role = recording_identity(args.actor, args.role, record=True, lang=args.lang)
    with _store() as store:
        record = store.record_decision(
            args.id,
            request,
            actor=actor or settings.actor,
            role=role or settings.role,
            channel="cli",
        )
    if args.json:
        _print_json(record.to_json())
    elif status(record) == PENDING:  # needs a second approver: it decides nothing yet
        kb = load_knowledge()
        print(pending_text(record.id, record.payload or {}, kb, args.lang))
        print(kb.text("referrals.done.confirm_hint", args.lang, id=record.id))
    else:
        print(render_decided(record, load_knowledge(), args.lang))
    return EXIT_OK


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="since", help="from this date (YYYY-MM-DD) or ISO time, UTC")
    p.add_argument("--to", dest="until", help="up to this date (inclusive) or ISO time, UTC")
    p.add_argument("--actor", help="recorded by this actor")
    p.add_argument("--customer", help="for this customer id")
    p.add_argument("--module", choices=MODULES, help="in which rules of this module fired")
    p.add_argument("--decision", help="credit decision (recommended or final)")
    p.add_argument("--rule", help="in which this rule fired, e.g. CR-012")
    p.add_argument("--kind", choices=KINDS)


def _add_command(
    parsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Command,
    help_text: str,
) -> argparse.ArgumentParser:
    """A command with --json and --lang, as every audit command has."""
    p = parsers.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.set_defaults(func=func)
    return p


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``audit`` and its commands to the ``sales-expert`` parser."""
    text = "The audit trail: list, show, replay, verify, anchor, key, stats, export, decide."
    audit = sub.add_parser(
        "audit",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = audit.add_subparsers(dest="audit_command", required=True)

    def add(name: str, func: Command, help_text: str) -> argparse.ArgumentParser:
        return _add_command(commands, name, func, help_text)

    p = add("list", cmd_list, "List records, newest first.")
    _filters(p)
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    add("show", cmd_show, "Show one record and its trace.").add_argument("id", type=int)
    p = add("replay", cmd_replay, "Re-run a consultation under its recorded rule base.")
    p.add_argument("id", type=int)
    p.add_argument("--current", action="store_true", help="compare with today's rule base")
    register_integrity(commands, _add_command)
    _filters(add("stats", cmd_stats, "Rule firings, decisions, overrides by manager."))
    p = add("export", cmd_export, "Export records as CSV or JSON (--json).")
    _filters(p)
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")
    p = add(
        "decide",
        cmd_decide,
        "Record a final decision on a credit consultation (a manager, or an admin).",
    )
    p.add_argument("id", type=int, help="the consultation's record id")
    p.add_argument("--decision", required=True, help="e.g. approve, decline")
    p.add_argument("--limit", type=float, help="credit limit (default: the recommended one)")
    p.add_argument("--term-days", type=int, help="payment term (default: the recommended one)")
    p.add_argument("--reason", help="required when the decision differs from the recommendation")
    add_identity_arguments(p, "decide as")


__all__ = ["register"]
