"""``sales-expert memo ID``: the printable credit memo of a recorded credit consultation.

Prints the HTML document (``engine.audit.memo``) to standard output, or writes it to ``--out``.
Its own module so that ``engine.cli`` stays a list of commands. The database is the configured
one (``engine.audit.config``); an unknown record or one that is not a credit consultation is
bad input (``AuditRequestError``, exit 2 in ``engine.cli.main``), with the message in --lang.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.audit.config import load_settings
from engine.audit.memo import credit_memo_html
from engine.audit.store import AuditStore
from knowledge_base import load_knowledge

EXIT_OK = 0


def cmd_memo(args: argparse.Namespace) -> int:
    with AuditStore.from_settings(load_settings()) as store:
        document = credit_memo_html(store, args.id, args.lang)
    if args.out is None:
        sys.stdout.write(document)
        return EXIT_OK
    path = Path(args.out)
    path.write_text(document, encoding="utf-8")
    print(load_knowledge().text("memo.written", args.lang, id=args.id, file=path))
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``memo`` to the ``sales-expert`` parser."""
    text = "The printable credit memo (HTML, A4) of a recorded credit consultation."
    p = sub.add_parser("memo", help=text, description=__doc__)
    p.add_argument("id", type=int, help="the consultation's audit record id")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument("--out", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_memo)


__all__ = ["cmd_memo", "register"]
