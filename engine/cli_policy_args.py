"""What every ``sales-expert policy`` verb shares: its options, who is acting, JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TypeAlias

from engine.audit.config import load_settings
from engine.cli_authority import KEYBOARD_ROLE, recording_identity
from engine.cli_options import add_common
from engine.policy.model import Who

Command = Callable[[argparse.Namespace], int]
Verbs: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def who_of(args: argparse.Namespace) -> Who:
    """The proved actor and role (the keyboard user as a rep when nothing is claimed)."""
    actor, role = recording_identity(args.actor, args.role, record=True, lang=args.lang)
    return Who(actor or load_settings().actor, role or KEYBOARD_ROLE)


def add_verb(verbs: Verbs, name: str, func: Command, text: str) -> argparse.ArgumentParser:
    """A verb with --json, --lang and --db, as every policy verb has."""
    p = verbs.add_parser(name, help=text, description=text)
    add_common(p)
    p.set_defaults(func=func)
    return p


__all__ = ["Command", "Verbs", "add_verb", "print_json", "who_of"]
