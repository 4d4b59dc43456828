"""``sales-expert policy …``: the policy workbench's drafts and their simulation.

    policy list    every draft: its status, what it changes, who made it and when
    policy show    one draft: its effective changes, every change with who, when and why, and
                   the golden cases answering differently under it (before → after)
    policy draft   start a draft on today's rule base, empty or from the overlay file of
                   `sales-expert calibrate` (--from-overlay FILE)
    policy set     in a draft, set a parameter (PARAM VALUE), or switch a rule off or back on
                   (--rule-off RULE, --rule-on RULE); every change needs --reason
    policy submit | approve | reject | publish | rollback | history
                   the later steps, four eyes, the live policy (``engine.cli_policy_steps``)

Drafts live in the audit database (the configured one, or --db URL). draft and set are written
by an admin only, proved like any claimed identity (--actor/--role and the user's password:
``engine.cli_authority``). A refused request stores nothing and exits 2 with a message naming
what was wrong and what is allowed. ``policy simulate`` (``engine.cli_policy_simulate``) runs a
book through today's policy (the live one) and a draft or an overlay file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.cli_authority import add_identity_arguments
from engine.cli_policy_args import Verbs, add_verb, print_json, who_of
from engine.cli_policy_simulate import add_simulate
from engine.cli_policy_steps import add_steps
from engine.policy.checks import parse_value
from engine.policy.drafts import (
    Outcome,
    create_draft,
    get_draft,
    list_drafts,
    open_store,
    set_parameter,
    switch_rule,
)
from engine.policy.golden import golden_report
from engine.policy.lifecycle import draft_events
from engine.policy.live import live_policy
from engine.policy.model import Draft
from engine.policy.refusal import refuse
from engine.policy.render import render_list, render_outcome, render_show
from engine.policy.render_steps import event_lines
from knowledge_base import load_knowledge

EXIT_OK = 0


def _summary(draft: Draft) -> dict[str, Any]:
    return {**draft.to_json(), "changes": len(draft.changes)}


def cmd_list(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        drafts = list_drafts(store)
    if args.json:
        print_json([_summary(d) for d in drafts])
    else:
        print(render_list(drafts, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        draft = get_draft(store, args.name, args.lang)
        steps, live = draft_events(store, args.name, args.lang), live_policy(store)
    report, version = golden_report(draft.values, draft.rules_off), live.engine().version
    if args.json:
        data = {"draft": draft.to_json(), "live_version": version, "golden": report.to_json()}
        print_json({**data, "steps": [e.to_json() for e in steps]})
    else:
        kb = load_knowledge()
        text = render_show(draft, report, version, kb, args.lang)
        print("\n".join([text, *event_lines(steps, kb, args.lang)]))
    return EXIT_OK


def _print_outcome(outcome: Outcome, created: bool, args: argparse.Namespace) -> int:
    if args.json:
        data = {
            "draft": outcome.draft.to_json(),
            "added": [c.to_json() for c in outcome.added],
            "golden": outcome.golden.to_json(),
            "overlay_version": outcome.overlay_version,
        }
        print_json(data)
    else:
        print(render_outcome(outcome, created, load_knowledge(), args.lang))
    return EXIT_OK


def cmd_draft(args: argparse.Namespace) -> int:
    who = who_of(args)
    overlay = Path(args.from_overlay) if args.from_overlay else None
    with open_store(args.db) as store:
        outcome = create_draft(store, args.name, who, args.reason, overlay, args.lang)
    return _print_outcome(outcome, True, args)


def cmd_set(args: argparse.Namespace) -> int:
    rule = args.rule_off or args.rule_on
    given = (args.param is not None, args.value is not None, rule is not None)
    if given not in ((True, True, False), (False, False, True)):
        raise refuse("set_what", args.lang)
    who = who_of(args)
    with open_store(args.db) as store:
        if rule is not None:
            off = args.rule_off is not None
            outcome = switch_rule(store, args.name, rule, off, who, args.reason, args.lang)
        else:
            value = parse_value(args.param, args.value, load_knowledge(), args.lang)
            outcome = set_parameter(
                store, args.name, args.param, value, who, args.reason, args.lang
            )
    return _print_outcome(outcome, False, args)


def _writing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, help="why (required, at most 500 characters)")
    add_identity_arguments(p, "draft as")


def register(sub: Verbs) -> None:
    """Add ``policy`` and its verbs to the ``sales-expert`` parser."""
    text = "Policy workbench: drafts, simulation, approval, publication, rollback."
    policy = sub.add_parser(
        "policy",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = policy.add_subparsers(dest="policy_command", required=True)
    add_verb(verbs, "list", cmd_list, "List the policy drafts, oldest first.")
    add_verb(verbs, "show", cmd_show, "Show a draft, its changes and the golden cases it moves.")
    verbs.choices["show"].add_argument("name", help="the draft's name")
    p = add_verb(verbs, "draft", cmd_draft, "Start a policy draft on today's rule base.")
    p.add_argument("name", help="the new draft's name (letters, digits, . _ -)")
    p.add_argument("--from-overlay", metavar="FILE", help="a `sales-expert calibrate` overlay")
    _writing(p)
    p = add_verb(verbs, "set", cmd_set, "Set a parameter, or switch a rule off or on, in a draft.")
    p.add_argument("name", help="the draft's name")
    p.add_argument("param", nargs="?", help="the parameter's id, e.g. credit.on_time_good_min_pct")
    p.add_argument("value", nargs="?", help="its new value, a number inside its declared range")
    rule = p.add_mutually_exclusive_group()
    rule.add_argument("--rule-off", metavar="RULE", help="switch this rule off, e.g. CR-012")
    rule.add_argument(
        "--rule-on", metavar="RULE", help="switch back on a rule the draft switched off"
    )
    _writing(p)
    add_simulate(verbs)
    add_steps(verbs)


__all__ = ["register"]
