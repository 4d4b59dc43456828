"""``sales-expert referrals``: the credit requests waiting for a person, and second approvals.

    referrals [list]            requests referred to a credit manager with no final decision
                                yet, and decisions waiting for a second approver, oldest first
    referrals confirm ID        confirm decision ID (a proposal): it stands from now on
    referrals reject ID         reject it: the request is back in the queue

A final decision is recorded with ``sales-expert audit decide``; one that grants credit the
rules declined, or a limit above 1.5 times the recommended one or above the decider's own
authority (``knowledge_base/authority.yaml``), is recorded as a proposal and waits here for
someone else with a higher authority. Confirming and rejecting need --reason and a proved
identity (--actor/--role and the user's password); a refusal exits 2 and records nothing.
"""

from __future__ import annotations

import argparse
import json
from typing import TypeAlias

from engine.audit.config import load_settings
from engine.cli_authority import add_identity_arguments, recording_identity
from engine.cli_options import add_common
from engine.policy.drafts import open_store
from engine.referrals.approvals import CONFIRM, REJECT, Who, second_approval
from engine.referrals.queue import referral_queue
from engine.referrals.text import render_queue
from knowledge_base import load_knowledge

Verbs: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_OK = 0


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        entries = referral_queue(store)
    if args.json:
        print(json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2))
    else:
        print(render_queue(entries, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_second(args: argparse.Namespace) -> int:
    actor, role = recording_identity(args.actor, args.role, record=True, lang=args.lang)
    settings = load_settings()
    who = Who(actor or settings.actor, role or settings.role)
    with open_store(args.db) as store:
        record = second_approval(
            store, args.id, args.step, who, args.reason, channel="cli", lang=args.lang
        )
    if args.json:
        print(json.dumps(record.to_json(), ensure_ascii=False, indent=2))
        return EXIT_OK
    key = "confirmed" if args.step == CONFIRM else "rejected"
    text = load_knowledge().text(
        f"referrals.done.{key}", args.lang, id=args.id, actor=record.actor, record=record.id
    )
    print(text)
    return EXIT_OK


def register(sub: Verbs) -> None:
    """Add ``referrals`` to the ``sales-expert`` parser."""
    text = "Credit requests waiting for a decision, and second approvals."
    p = sub.add_parser(
        "referrals",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.set_defaults(func=cmd_list)
    verbs = p.add_subparsers(dest="referrals_command")
    listing = verbs.add_parser("list", help="The queue, oldest first.")
    add_common(listing)
    listing.set_defaults(func=cmd_list)
    for step, help_text in ((CONFIRM, "Confirm a proposed decision."), (REJECT, "Reject it.")):
        q = verbs.add_parser(step, help=help_text, description=help_text)
        add_common(q)
        q.add_argument("id", type=int, help="the proposal's audit record id")
        q.add_argument("--reason", required=True, help="why (required, at most 500 characters)")
        add_identity_arguments(q, f"{step} as")
        q.set_defaults(func=cmd_second, step=step)


__all__ = ["register"]
