"""``sales-expert policy submit|approve|reject|publish|rollback|history``: a draft's later steps.

    policy submit NAME    the author hands the draft in for approval: it takes no more changes
    policy approve NAME   someone who neither drafted nor changed it approves it (four eyes)
    policy reject NAME    or rejects it, with the reason
    policy publish NAME   an approved draft becomes the live policy of every new consultation
    policy rollback       the live publication is taken off: the policy before it is live again
    policy history        every publication and rollback with what it changed, and what is live
    policy shadow NAME    an approved draft answers beside the live policy on every recorded
                          consultation, recorded but never shown (``policy shadow-stop`` ends it)
    policy shadow-report  how often the draft in shadow answered differently, day by day

Every step needs --reason and an admin's proved identity (--actor/--role and the user's
password, as for drafting); each is an audit record of kind ``policy`` in the signed chain. A
refused step stores nothing and exits 2 naming what was wrong and what is allowed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

from engine.audit.records import CHANNELS
from engine.backtest.store import Selection
from engine.cli_authority import add_identity_arguments
from engine.cli_backtest import option_day
from engine.cli_policy_args import add_verb, print_json, who_of
from engine.policy.drafts import open_store
from engine.policy.history import shifts
from engine.policy.lifecycle import Done, history, publish, review, rollback
from engine.policy.live import live_policy
from engine.policy.model import APPROVE, REJECT, SUBMIT
from engine.policy.render_steps import difference_text, render_done, render_history
from engine.policy.shadow import start_shadow, stop_shadow
from engine.policy.shadow_report import shadow_report
from engine.policy.shadow_text import render_shadow_report
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


def cmd_shadow(args: argparse.Namespace) -> int:
    who = who_of(args)
    with open_store(args.db) as store:
        done = start_shadow(store, args.name, who, args.reason, args.lang)
    return _print_shadow(done, "started", args)


def cmd_shadow_stop(args: argparse.Namespace) -> int:
    who = who_of(args)
    with open_store(args.db) as store:
        done = stop_shadow(store, who, args.reason, args.lang)
    return _print_shadow(done, "stopped", args)


def _print_shadow(done: Done, key: str, args: argparse.Namespace) -> int:
    if args.json:
        print_json({"draft": done.draft.to_json(), "event": done.event.to_json()})
        return EXIT_OK
    text = load_knowledge().text(
        f"policy_step.shadow.{key}", args.lang, name=done.draft.name, record=done.event.record_id
    )
    print(text)
    return EXIT_OK


def cmd_shadow_report(args: argparse.Namespace) -> int:
    since = option_day("--from", args.since, args.lang)
    until = option_day("--to", args.until, args.lang)
    with open_store(args.db) as store:
        report = shadow_report(store, Selection(since, until, args.channel))
    if args.json:
        print_json(report)
    else:
        print(render_shadow_report(report, load_knowledge(), args.lang))
    return EXIT_OK


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
    p = add_verb(verbs, "shadow", cmd_shadow, "Run an approved draft in shadow (recorded only).")
    p.add_argument("name", help="the draft's name")
    _acting(p, "start the shadow run as")
    p = add_verb(verbs, "shadow-stop", cmd_shadow_stop, "Stop the shadow run.")
    _acting(p, "stop the shadow run as")
    text = "How often the draft in shadow answered differently, day by day."
    p = add_verb(verbs, "shadow-report", cmd_shadow_report, text)
    p.add_argument("--from", dest="since", metavar="DATE", help="recorded on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="until", metavar="DATE", help="recorded on or before (YYYY-MM-DD)")
    p.add_argument("--channel", choices=CHANNELS, help="recorded through this channel only")


def _acting(p: argparse.ArgumentParser, acting: str) -> None:
    p.add_argument("--reason", required=True, help="why (required, at most 500 characters)")
    add_identity_arguments(p, acting)


__all__ = ["add_steps"]
