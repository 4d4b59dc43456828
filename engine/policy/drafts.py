"""Policy drafts in the audit database: create, change, list and read them (issue 21).

A draft is a named overlay on the rule-base version it was drafted from (``model``). Every
request is checked in full before anything is stored (``checks``): the author's role, the
reason, the parameter and its range or the rule, then the lint of the rule base under the
draft with the change. A refused request stores nothing and raises ``PolicyError`` (the CLI
exits 2). Each accepted request also reports which golden cases change their answer under the
draft (``golden``): an expected change is accepted with the change's reason, never silently.

Checking takes seconds (the lint), so it runs outside the audit database's lock; the change is
then written inside the lock only if the draft has not changed meanwhile, else it is checked
again against what another writer stored (``ATTEMPTS`` times at most).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.audit.config import load_settings
from engine.audit.store import AuditStore
from engine.calibrate.overlay import Overlay, load_overlay
from engine.errors import excerpt
from engine.parameter_values import parameter_named, shown_value
from engine.policy import storage
from engine.policy.change import PolicyChange
from engine.policy.checks import (
    check_author,
    check_lint,
    check_name,
    check_reason,
    check_rule,
    check_value,
    state,
    status_label,
)
from engine.policy.golden import GoldenReport, golden_report
from engine.policy.live import LivePolicy, live_policy
from engine.policy.model import OPEN, PARAMETER, RULE_OFF, RULE_ON, Change, Draft, Pending, Who
from engine.policy.refusal import refuse
from knowledge_base import load_knowledge

ATTEMPTS = 3


@dataclass(frozen=True)
class Outcome:
    """What a stored request did: the draft as it now is, the changes added, the golden cases
    that answer differently under the draft, and the rule-base version an overlay was
    proposed for (when it was drafted from one)."""

    draft: Draft
    added: tuple[Change, ...]
    golden: GoldenReport
    overlay_version: str | None = None


def get_draft(store: AuditStore, name: str, lang: str = "en") -> Draft:
    """The draft named ``name``, its changes in order; its effective state is ``values`` and
    ``rules_off``."""
    with store._read() as conn:
        found = storage.find_draft(conn, name)
        names = storage.draft_names(conn) if found is None else []
    if found is None:
        kb = load_knowledge()
        listed = ", ".join(names) if names else kb.text("policy.hint.no_drafts", lang)
        raise refuse("unknown_draft", lang, kb, name=excerpt(name), names=listed)
    return found


def list_drafts(store: AuditStore) -> list[Draft]:
    """Every draft, oldest first, with its changes."""
    with store._read() as conn:
        return storage.all_drafts(conn)


def _overlay_changes(overlay: Overlay, lang: str) -> list[Pending]:
    """Each proposal of a calibration overlay as a change, its reason the overlay's reason in
    the request's language (checked as any reason is)."""
    kb = load_knowledge()
    pending = []
    for name, proposal in overlay.parameters.items():
        value = check_value(name, float(proposal.value), kb, lang)
        where = kb.text("policy.hint.overlay_reason", lang, name=name)
        reason = check_reason(proposal.reason.get(lang), lang, where)
        pending.append(Pending(PARAMETER, name, value, reason))
    return pending


def create_draft(
    store: AuditStore,
    name: str,
    who: Who,
    reason: str,
    overlay: Overlay | Path | None = None,
    lang: str = "en",
) -> Outcome:
    """A new draft on the live policy, empty or holding an overlay's proposed values.

    The live policy's changes (``engine.policy.live``) are carried into the draft as its first
    changes, so a draft holds the whole policy it would make live; publishing it checks that
    the live policy is still the one it was drafted on."""
    check_author(who, lang)
    check_name(name, lang)
    reason = check_reason(reason, lang)
    if isinstance(overlay, Path):
        overlay = load_overlay(overlay, lang)
    live = live_policy(store)
    carried = _carried(live, lang)
    pending = carried + (_overlay_changes(overlay, lang) if overlay is not None else [])
    values = {p.target: p.value for p in pending if p.value is not None}
    rules_off = [p.target for p in carried if p.kind == RULE_OFF]
    check_lint(state(live.values, live.rules_off), state(values, rules_off), lang)
    version = live.engine().version
    with store._write() as conn:
        taken = storage.find_draft(conn, name)
        if taken is not None:
            raise refuse("duplicate", lang, name=name, at=taken.created_at, author=taken.author)
        draft_id = storage.insert_draft(conn, name, version, who, reason)
        storage.insert_changes(conn, draft_id, 0, who, pending)
        draft = storage.find_draft(conn, name)
    assert draft is not None  # just written in this transaction
    report = golden_report(draft.values, draft.rules_off)
    return Outcome(draft, draft.changes, report, overlay.ruleset_version if overlay else None)


def _carried(live: LivePolicy, lang: str) -> list[Pending]:
    """The live policy's parameter values and switched-off rules as a new draft's first
    changes, their reason saying where they come from."""
    if live.publication is None:
        return []
    why = load_knowledge().text(
        "policy_step.carried", lang, draft=live.publication.draft, at=live.publication.at[:19]
    )
    values = [Pending(PARAMETER, k, v, why) for k, v in sorted(live.values.items())]
    return values + [Pending(RULE_OFF, rule, None, why) for rule in sorted(live.rules_off)]


Plan = Callable[[Draft], Pending]
"""Checks a change against the draft as it is and returns it, or raises ``PolicyError``."""


def _change(store: AuditStore, name: str, who: Who, plan: Plan, lang: str) -> Outcome:
    """Check ``plan`` against the draft, lint the result, and store it if the draft has not
    moved meanwhile (else start again on what is stored now)."""
    for _ in range(ATTEMPTS):
        draft = get_draft(store, name, lang)
        if draft.status != OPEN:
            status = status_label(draft.status, load_knowledge(), lang)
            raise refuse("not_open", lang, name=name, status=status)
        change = plan(draft)
        after = _with(draft, change)
        check_lint(state(draft.values, draft.rules_off), state(after.values, after.rules_off), lang)
        with store._write() as conn:
            status, last = storage.head(conn, draft.id)
            if (status, last) != (OPEN, draft.last_seq):
                continue
            storage.insert_changes(conn, draft.id, last, who, [change])
            stored = storage.find_draft(conn, name)
        assert stored is not None
        report = golden_report(stored.values, stored.rules_off)
        return Outcome(stored, stored.changes[len(draft.changes) :], report)
    raise refuse("busy", lang, name=name)


def _with(draft: Draft, change: Pending) -> Draft:
    """The draft as it would be with ``change`` (for the lint; nothing stored)."""
    added = Change(draft.last_seq + 1, "", "", "", change.kind, change.target, change.value, "")
    return dataclasses.replace(draft, changes=(*draft.changes, added))


def set_parameter(
    store: AuditStore, name: str, param: str, value: float, who: Who, reason: str, lang: str = "en"
) -> Outcome:
    """Set a parameter's value in the draft (a value it already has there is refused)."""
    check_author(who, lang)
    kb = load_knowledge()
    checked = check_value(param, value, kb, lang)
    why = check_reason(reason, lang)

    def plan(draft: Draft) -> Pending:
        current = draft.values.get(param, kb.parameters[param].value)
        if current == checked:
            shown = shown_value(kb.parameters[param], checked, kb, lang)
            named = parameter_named(param, kb, lang)
            raise refuse("unchanged", lang, kb, parameter=named, value=shown, name=name)
        return Pending(PARAMETER, param, checked, why)

    return _change(store, name, who, plan, lang)


def switch_rule(
    store: AuditStore, name: str, rule_id: str, off: bool, who: Who, reason: str, lang: str = "en"
) -> Outcome:
    """Switch a rule off in the draft, or back on (only a rule the draft switched off)."""
    check_author(who, lang)
    check_rule(rule_id, lang)
    why = check_reason(reason, lang)

    def plan(draft: Draft) -> Pending:
        is_off = rule_id in draft.rules_off
        if off and is_off:
            raise refuse("already_off", lang, rule=rule_id, name=name)
        if not off and not is_off:
            raise refuse("not_off", lang, rule=rule_id, name=name)
        return Pending(RULE_OFF if off else RULE_ON, rule_id, None, why)

    return _change(store, name, who, plan, lang)


def open_store(url: str | None = None) -> AuditStore:
    """The audit database named by ``url``, else the configured one."""
    return AuditStore(url) if url else AuditStore.from_settings(load_settings())


def load_change(name: str, lang: str = "en", url: str | None = None) -> PolicyChange:
    """The draft's effective change, from the audit database at ``url`` (else the configured
    one): what a simulation runs as the challenger."""
    with open_store(url) as store:
        draft = get_draft(store, name, lang)
    return PolicyChange(values=draft.values, rules_off=draft.rules_off, source=draft.name)


__all__ = [
    "Outcome",
    "create_draft",
    "get_draft",
    "list_drafts",
    "load_change",
    "open_store",
    "set_parameter",
    "switch_rule",
]
