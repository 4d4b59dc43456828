"""``sales-expert demo``: make a fresh checkout ready to try the front end.

- Creates the demo users (``engine.users.DEMO_USERS``: a rep, a manager, an auditor and an
  admin) in the users file if there is no such file; an existing file is never touched.
- Records the consultations of ``examples/*.yaml`` in the audit trail if it is empty (credit
  examples by the manager ``mia``, the others by the rep ``rita``; channel ``demo``).
- Prints the demo accounts and their passwords.

Running it again changes nothing, so ``scripts/start.sh`` runs it before every start.

``sales-expert demo --check-address ADDR [--allow-demo-on-network]`` only checks whether the
front end may listen on ``ADDR`` (``engine.demo_check``): it warns loudly while demo passwords
are in use and exits 2 if ``ADDR`` is a network address, unless ``--allow-demo-on-network``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.api import consult
from engine.audit.config import load_settings
from engine.audit.store import AuditStore
from engine.demo_check import check_address
from engine.intake import read_case_file
from engine.users import DEMO_USERS, UsersFileError, users_path, write_demo_users
from knowledge_base import load_knowledge

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CHANNEL = "demo"


def seed_actor(example: Path) -> tuple[str, str]:
    """Who recorded an example: the manager for credit requests, the rep for the rest."""
    return ("mia", "manager") if example.name.startswith("credit") else ("rita", "rep")


def seed_examples(store: AuditStore, examples: Path = EXAMPLES) -> int:
    """Record every example once; returns how many were recorded."""
    count = 0
    for path in sorted(examples.glob("*.yaml")):
        actor, role = seed_actor(path)
        consult(read_case_file(path), actor=actor, role=role, channel=CHANNEL, store=store)
        count += 1
    return count


BANNER = "!" * 78


def cmd_check(args: argparse.Namespace) -> int:
    """``demo --check-address``: 0 if the app may start there, 2 (with the reason) if not."""
    kb, lang = load_knowledge(), args.lang
    path = users_path(load_settings())
    try:
        found = check_address(args.check_address, path, args.allow_demo_on_network)
    except UsersFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = kb.text("explain.list_separator", lang).join(found.demo_users)
    values = {"address": found.address, "path": path, "users": names}
    if found.refused:
        print(f"error: {kb.text('demo_check.refused', lang, **values)}", file=sys.stderr)
        return 2
    if found.demo_users:
        warning = kb.text("demo_check.public", lang, **values)
        print(f"{BANNER}\n{warning}\n{BANNER}", file=sys.stderr)
    print(kb.text(f"demo_check.{found.key}", lang, **values))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if args.check_address is not None:
        return cmd_check(args)
    kb, lang = load_knowledge(), args.lang
    settings = load_settings()
    path = users_path(settings)
    if path.exists():
        print(kb.text("demo.users_kept", lang, path=path))
    else:
        write_demo_users(path)
        print(kb.text("demo.users_created", lang, path=path))
    for demo in DEMO_USERS:
        print(
            kb.text(
                "demo.user_line",
                lang,
                role=demo.role,
                username=demo.username,
                password=demo.password,
            )
        )
    with AuditStore.from_settings(settings) as store:
        existing = store.count()
        if existing:
            print(kb.text("demo.not_seeded", lang, count=existing))
        else:
            seeded = seed_examples(store)
            print(kb.text("demo.seeded", lang, count=seeded, database=store.display_url))
    print(kb.text("demo.start", lang))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``demo`` to the ``sales-expert`` parser."""
    text = "Create the demo users and seed the audit trail with the examples (idempotent)."
    p = sub.add_parser("demo", help=text, description=__doc__)
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument(
        "--check-address",
        metavar="ADDR",
        help="only check that the front end may listen on ADDR (exit 2 if not): a network "
        "address is refused while the users file holds a public demo password",
    )
    p.add_argument(
        "--allow-demo-on-network",
        action="store_true",
        help="with --check-address: accept a network address despite the demo passwords",
    )
    p.set_defaults(func=cmd_demo)


__all__ = ["CHANNEL", "EXAMPLES", "cmd_check", "cmd_demo", "register", "seed_examples"]
