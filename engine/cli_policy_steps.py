"""``sales-expert policy submit|approve|reject|publish|rollback|history``: a draft's later steps.

    policy submit NAME    the author hands the draft in for approval: it takes no more changes
    policy approve NAME   someone who neither drafted nor changed it approves it (four eyes)
    policy reject NAME    or rejects it, with the reason
    policy publish NAME   an approved draft becomes the live policy of every new consultation
    policy rollback       the live publication is taken off: the policy before it is live again
    policy history        every publication and rollback with what it changed, and what is live

Every step needs --reason and an admin's proved identity (--actor/--role and the user's
password, as for drafting); each is an audit record of kind ``policy`` in the signed chain. A
refused step stores nothing and exits 2 naming what was wrong and what is allowed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from engine.cli_authority import add_identity_arguments
from engine.cli_policy_args import add_verb, print_json, who_of
from engine.policy.drafts import open_store
from engine.policy.history import shifts
from engine.policy.lifecycle import Done, history, publish, review, rollback
from engine.policy.live import live_policy
from engine.policy.model import APPROVE, REJECT, SUBMIT
from engine.policy.render_steps import difference_text, render_done, render_history
from knowledge_base import load_knowledge

Verbs: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_OK = 0


def _print_done(done: Done, args: argparse.Namespace) -> int:
    version = done.live.engine().version
    if args.json:
        print_json(
            {
                "draft": done.draft.to_json(),
                "event": done.event.to_json(),
                "live": {"version": version, "draft": done.live.draft},
            }
        )
    else:
        print(render_done(done, version, load_knowledge(), args.lang))
    return EXIT_OK


def _review(event: str) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        who = who_of(args)
        with open_store(args.db) as store:
            done = review(store, args.name, event, who, args.reason, args.lang)
        return _print_done(done, args)

    return command


def cmd_publish(args: argparse.Namespace) -> int:
    who = who_of(args)
    with open_store(args.db) as store:
        done = publish(store, args.name, who, args.reason, args.lang)
    return _print_done(done, args)


def cmd_rollback(args: argparse.Namespace) -> int:
    who = who_of(args)
    with open_store(args.db) as store:
        done = rollback(store, who, args.reason, args.lang)
    return _print_done(done, args)


def cmd_history(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    with open_store(args.db) as store:
        found, live = shifts(history(store)), live_policy(store)
    version = live.engine().version
    if not args.json:
        print(render_history(found, live, version, kb, args.lang))
        return EXIT_OK
    rows = [
        {
            **shift.event.to_json(),
            "differences": [difference_text(d, kb, args.lang) for d in shift.differences(kb)],
        }
        for shift in found
    ]
    print_json({"history": rows, "live": {"version": version, "draft": live.draft}})
    return EXIT_OK


def add_steps(verbs: Verbs) -> None:
    """Add the later steps' verbs to ``policy``."""
    texts = {
        "submit": (_review(SUBMIT), "Submit a draft for approval (it takes no more changes)."),
        "approve": (_review(APPROVE), "Approve a submitted draft (not your own: four eyes)."),
        "reject": (_review(REJECT), "Reject a submitted or approved draft, with the reason."),
        "publish": (cmd_publish, "Publish an approved draft: the live policy from now on."),
    }
    for name, (command, text) in texts.items():
        p = add_verb(verbs, name, command, text)
        p.add_argument("name", help="the draft's name")
        _acting(p, f"{name} as")
    p = add_verb(verbs, "rollback", cmd_rollback, "Take the live publication off.")
    _acting(p, "roll back as")
    add_verb(verbs, "history", cmd_history, "Published policies, what each changed, what is live.")


def _acting(p: argparse.ArgumentParser, acting: str) -> None:
    p.add_argument("--reason", required=True, help="why (required, at most 500 characters)")
    add_identity_arguments(p, acting)


__all__ = ["add_steps"]
