"""What every draft and every change must pass before it is stored.

- the name of a draft, the reason of a draft or a change (required, at most ``REASON_CHARS``
  characters, no control characters: it is printed in terminals and pages) and the author's
  role (``DRAFTING_ROLES``);
- a parameter exists and its value is a finite number inside its declared range: the rule
  and its wording are ``engine.parameter_values``'s, as for an overlay file or a simulated
  change (one message for a refused value wherever it comes from);
- a rule exists;
- the lint (``engine.lint``) of the rule base under the draft's effective state finds nothing
  the state before the change did not have: a medium cut-off moved above the high one leaves a
  gap or an overlap in a decision table, and the change is refused quoting the finding.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping

from engine.calibrate.apply import knowledge_with, rules_without
from engine.errors import excerpt
from engine.lint import lint
from engine.parameter_values import parameter_value_problem
from engine.policy.model import Who
from engine.policy.refusal import PolicyError, refuse
from knowledge_base import Knowledge, load_knowledge
from knowledge_base.facts._fields import CONTROL_CHARACTERS
from rules import load_rules

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
"""A draft's name: typed on command lines and shown in lists, so short and plain."""
REASON_CHARS = 500
DRAFTING_ROLES: tuple[str, ...] = ("admin",)
"""Roles that may draft a policy. Issue 21 foresees a ``policy`` role as well: it would be added
here once it exists in ``engine.audit.config.ROLES``."""
IGNORED_CHECKS = frozenset({"unused"})
"""Lint checks a draft is not judged by: a rule switched off leaves its parameters unused, which
is what switching it off means, not a defect of the draft."""
LINT_SHOWN = 3
"""Findings quoted in a refusal (the rest are counted)."""


def check_name(name: str, lang: str) -> str:
    if not NAME.match(name):
        raise refuse("name", lang, name=excerpt(name))
    return name


def check_reason(reason: str | None, lang: str, where: str = "") -> str:
    """The reason as stored (surrounding blanks dropped); ``where`` names its parameter when it
    comes from an overlay."""
    text = (reason or "").strip()
    if not text:
        raise refuse("reason_missing", lang, limit=REASON_CHARS, where=where)
    if len(text) > REASON_CHARS:
        raise refuse("reason_long", lang, length=len(text), limit=REASON_CHARS, where=where)
    if CONTROL_CHARACTERS.search(text):
        raise refuse("reason_control", lang, where=where)
    return text


def role_label(role: str, kb: Knowledge, lang: str) -> str:
    """A role as a sentence names it: its id in English (as ``--role`` takes it), its label in
    Chinese."""
    return kb.text(f"memo.role.{role}", lang) if lang == "zh" else role


def status_label(status: str, kb: Knowledge, lang: str) -> str:
    """A draft's status in words; a status of a later step without a text yet, as it is."""
    return kb.texts.get(lang, {}).get(f"policy.status.{status}") or status


def check_author(who: Who, lang: str) -> Who:
    if who.role not in DRAFTING_ROLES:
        kb = load_knowledge()
        allowed = ("、" if lang == "zh" else ", ").join(
            role_label(r, kb, lang) for r in DRAFTING_ROLES
        )
        actor, role = excerpt(who.actor, quoted=False), role_label(who.role, kb, lang)
        raise refuse("role", lang, kb, actor=actor, role=role, allowed=allowed)
    return who


def _rule_hint(given: str, rules: Iterable[str], lang: str, kb: Knowledge) -> str:
    close = difflib.get_close_matches(given, list(rules), n=3, cutoff=0.6)
    if not close:
        return kb.text("policy.hint.no_rule", lang)
    names = ("、" if lang == "zh" else ", ").join(f"`{c}`" for c in close)
    return kb.text("policy.hint.close", lang, names=names)


def parse_value(name: str, text: str, kb: Knowledge, lang: str) -> float:
    """A value typed on the command line, as a number (``1_000`` and ``1e6`` are numbers),
    checked as ``check_value`` checks it: an unknown parameter is named before its value."""
    value: float | str
    try:
        value = float(text)
    except ValueError:
        value = text  # refused below as not a number, naming the parameter
    problem = parameter_value_problem(name, value, kb, lang)
    if problem is not None:
        raise PolicyError(problem)
    return float(value)


def check_value(name: str, value: float, kb: Knowledge, lang: str) -> float:
    """``value`` if the parameter exists and it is a finite number inside the declared range."""
    problem = parameter_value_problem(name, value, kb, lang)
    if problem is not None:
        raise PolicyError(problem)
    return float(value)


def check_rule(rule_id: str, lang: str) -> str:
    rules = load_rules().by_id()
    if rule_id not in rules:
        kb = load_knowledge()
        hint = _rule_hint(rule_id, rules, lang, kb)
        raise refuse("unknown_rule", lang, kb, rule=excerpt(rule_id, quoted=False), hint=hint)
    return rule_id


State = tuple[tuple[tuple[str, float], ...], frozenset[str]]
"""A draft's effective state as a cache key: sorted (parameter, value) pairs and rules off."""


def state(values: Mapping[str, float], rules_off: Iterable[str]) -> State:
    return tuple(sorted((k, float(v)) for k, v in values.items())), frozenset(rules_off)


@functools.lru_cache(maxsize=32)
def lint_findings(key: State) -> tuple[str, ...]:
    """The lint of the shipped rules and knowledge under a draft's state (about two seconds,
    most of it the decision-table check: kept, as a draft is checked change after change)."""
    values, rules_off = key
    found = lint(rules_without(rules_off), knowledge_with(dict(values)))
    return tuple(str(f) for f in found if f.check not in IGNORED_CHECKS)


def check_lint(before: State, after: State, lang: str) -> None:
    """Refuse ``after`` if its lint has findings that ``before`` (the draft without the
    change) does not have. The state after is linted first: a clean one needs nothing more."""
    if after == before:
        return
    found = lint_findings(after)
    if not found:
        return
    earlier = set(lint_findings(before))
    new = [f for f in found if f not in earlier]
    if not new:
        return
    kb = load_knowledge()
    shown = "; ".join(new[:LINT_SHOWN])
    more = kb.text("policy.hint.more", lang, count=len(new) - LINT_SHOWN)
    raise refuse("lint", lang, kb, findings=shown + (more if len(new) > LINT_SHOWN else ""))


__all__ = [
    "DRAFTING_ROLES",
    "REASON_CHARS",
    "check_author",
    "check_lint",
    "check_name",
    "check_reason",
    "check_rule",
    "check_value",
    "lint_findings",
    "parse_value",
    "role_label",
    "state",
    "status_label",
]
