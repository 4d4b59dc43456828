"""``sales-expert customers``: the customer directory.

    customers [list] [--search TEXT]   customers, the most recently seen first
    customers show ID                  the last known facts per section (when, from where) and
                                       the history: grade, credit decision, collection stage,
                                       final decision and outcomes of every consultation
    customers import FILE              remember a customer list (CSV or Parquet, the batch's
                                       columns): rows that fail are listed, the others kept

Consultations and batch runs fill the directory as they are recorded; it lives in the audit
database (the configured one, or --db URL). A bad request exits 2 naming what was wrong.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TypeAlias

from engine.audit.errors import AuditRequestError
from engine.cli_options import add_common
from engine.customers.directory import find, search
from engine.customers.history import customer_history
from engine.customers.importing import import_customers
from engine.customers.text import render_customer, render_import, render_list
from engine.policy.drafts import open_store
from knowledge_base import load_knowledge

Verbs: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_OK = 0


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(args.db) as store, store._read() as conn:
        found = search(conn, args.search or "", args.limit)
    if args.json:
        _print_json([c.as_json() for c in found])
    else:
        print(render_list(found, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    with open_store(args.db) as store:
        with store._read() as conn:
            customer = find(conn, args.id)
        if customer is None:
            raise AuditRequestError(kb.text("customers.show.unknown", args.lang, id=args.id))
        history = customer_history(store, args.id)
    if args.json:
        _print_json({**customer.as_json(), "history": [p.as_json() for p in history]})
    else:
        print(render_customer(customer, history, kb, args.lang))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    kb = load_knowledge()
    if not path.is_file():
        raise AuditRequestError(
            kb.text("policy_simulate.error.no_such_file", args.lang, option="FILE", path=path)
        )
    with open_store(args.db) as store:
        summary = import_customers(store, path, args.lang)
    if args.json:
        _print_json(summary.as_json())
    else:
        print(render_import(summary, kb, args.lang))
    return EXIT_OK


def _listing(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--search", help="part of a customer's id or name (any case)")
    p.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    p.set_defaults(func=cmd_list)


def register(sub: Verbs) -> None:
    """Add ``customers`` to the ``sales-expert`` parser."""
    text = "The customer directory: list, show, import."
    p = sub.add_parser(
        "customers",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _listing(p)
    verbs = p.add_subparsers(dest="customers_command")
    _listing(verbs.add_parser("list", help="Customers, the most recently seen first."))
    show = verbs.add_parser("show", help="One customer's last known facts and history.")
    add_common(show)
    show.add_argument("id", help="the customer's id")
    show.set_defaults(func=cmd_show)
    imp = verbs.add_parser("import", help="Remember a customer list (CSV or Parquet).")
    add_common(imp)
    imp.add_argument("file", help="the list, in the batch's columns (customer.id, customer.name…)")
    imp.set_defaults(func=cmd_import)


__all__ = ["register"]
