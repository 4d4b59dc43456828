"""A draft's life after drafting: submit, approve or reject (four eyes), publish, roll back.

    draft ─submit─▶ submitted ─approve─▶ approved ─publish─▶ published ─rollback─▶ rolled back
                        └──────reject──────┴─▶ rejected

- Submitting freezes the draft: only a draft being drafted takes changes.
- Approving and rejecting are for someone who neither drafted nor changed the draft (four eyes),
  with a role that may approve (``APPROVING_ROLES``), and with a reason.
- Publishing makes the draft's policy live for every new consultation (``engine.policy.live``).
  A draft carries the whole policy it was drafted on (``drafts.create_draft`` copies the live
  changes into it), so it is published only while that policy is still the live one: a draft
  drafted before another publication is refused as stale rather than silently undoing it.
- Rolling back takes the live publication off: the policy before it is live again.

Each step is checked in full, then written in one transaction with its audit record (kind
``policy``), re-checking inside the lock that the draft and the live policy did not move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import canonical
from engine.audit.store import AuditStore
from engine.calibrate.apply import engine_with
from engine.core import Engine, product_version
from engine.policy import events, storage
from engine.policy.checks import DRAFTING_ROLES, check_reason, role_label, status_label
from engine.policy.drafts import get_draft
from engine.policy.live import SHIPPED, LivePolicy, live_policy
from engine.policy.model import (
    APPROVE,
    APPROVED,
    OPEN,
    PUBLISH,
    PUBLISHED,
    REJECT,
    REJECTED,
    ROLLBACK,
    ROLLED_BACK,
    SUBMIT,
    SUBMITTED,
    Draft,
    Event,
    Who,
)
from engine.policy.refusal import PolicyError
from knowledge_base import load_knowledge

APPROVING_ROLES: tuple[str, ...] = ("admin",)
"""Roles that may approve, reject, publish and roll back. Four eyes come from the people, not
the roles: the approver must be someone other than everyone who wrote the draft."""


@dataclass(frozen=True)
class Step:
    """What a request requires: the statuses it starts from, the status it leaves, the roles."""

    event: str
    before: tuple[str, ...]
    after: str
    roles: tuple[str, ...]


STEPS = {
    SUBMIT: Step(SUBMIT, (OPEN,), SUBMITTED, DRAFTING_ROLES),
    APPROVE: Step(APPROVE, (SUBMITTED,), APPROVED, APPROVING_ROLES),
    REJECT: Step(REJECT, (SUBMITTED, APPROVED), REJECTED, APPROVING_ROLES),
    PUBLISH: Step(PUBLISH, (APPROVED,), PUBLISHED, APPROVING_ROLES),
}


@dataclass(frozen=True)
class Done:
    """A stored step: the draft as it now is, the event and the live policy after it."""

    draft: Draft
    event: Event
    live: LivePolicy


def refuse(key: str, lang: str, **values: object) -> PolicyError:
    return PolicyError(load_knowledge().text(f"policy_step.error.{key}", lang, **values))


def check_role(who: Who, step: str, roles: tuple[str, ...], lang: str) -> None:
    if who.role in roles:
        return
    kb = load_knowledge()
    allowed = ("、" if lang == "zh" else ", ").join(role_label(r, kb, lang) for r in roles)
    verb = kb.text(f"policy_step.verb.{step}", lang)
    role = role_label(who.role, kb, lang)
    raise refuse("role", lang, actor=who.actor, role=role, verb=verb, allowed=allowed)


def check_status(draft: Draft, step: Step, lang: str) -> None:
    if draft.status in step.before:
        return
    kb = load_knowledge()
    needed = ("、" if lang == "zh" else " or ").join(status_label(s, kb, lang) for s in step.before)
    raise refuse(
        "status",
        lang,
        name=draft.name,
        status=status_label(draft.status, kb, lang),
        verb=kb.text(f"policy_step.verb.{step.event}", lang),
        needed=needed,
    )


def writers(draft: Draft) -> set[str]:
    """Everyone who wrote the draft: its author and the author of every change."""
    return {draft.author, *(c.actor for c in draft.changes)}


def _check_four_eyes(draft: Draft, who: Who, lang: str) -> None:
    if who.actor in writers(draft):
        verb = load_knowledge().text(f"policy_step.verb.{APPROVE}", lang)
        raise refuse("own_draft", lang, actor=who.actor, name=draft.name, verb=verb)


def checked_draft(store: AuditStore, name: str, who: Who, step: Step, lang: str) -> Draft:
    """The draft, if ``who`` may take ``step`` on it now."""
    check_role(who, step.event, step.roles, lang)
    draft = get_draft(store, name, lang)
    check_status(draft, step, lang)
    if step.event in (APPROVE, REJECT):
        _check_four_eyes(draft, who, lang)
    if step.event == SUBMIT and not draft.changes:
        raise refuse("empty", lang, name=name)
    return draft


def _record_row(who: Who, event: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
    """The audit record of a step: kind ``policy``, the event as its decision."""
    return {
        "kind": "policy",
        "actor": who.actor,
        "role": who.role,
        "channel": who.channel,
        "customer_id": None,
        "modules": "",
        "rules": "",
        "decision": event,
        "override": None,
        "ref_id": None,
        "ruleset_version": version,
        "product_version": product_version(),
        "payload": canonical({"event": event, **body}),
    }


Guard = Callable[[sa.Connection], None]


def write_step(
    store: AuditStore,
    draft: Draft,
    who: Who,
    step: tuple[str, str],
    body: dict[str, Any],
    guard: Guard,
    engine: Engine | None = None,
) -> Event:
    """Append the audit record and the event, set the status: one transaction."""
    event, status = step
    version = engine.version if engine is not None else draft.base_version
    with store._write() as conn:
        guard(conn)
        if engine is not None:
            store._store_snapshot(conn, engine.compiled)
        [record] = store._append(conn, [_record_row(who, event, version, body)])
        row = {
            "actor": who.actor,
            "role": who.role,
            "event": event,
            "reason": body["reason"],
            "record_id": record["id"],
        }
        if engine is not None:
            state = events.state_json(dict(body["parameters"]), frozenset(body["rules_off"]))
            row.update(state=state, version=version, previous_version=body["previous_version"])
        events.insert_event(conn, draft.id, row, status)
        return events.events_of(conn, draft.id)[-1]


def draft_unmoved(draft: Draft, lang: str) -> Guard:
    """Inside the lock: the draft has the status and changes it was checked with."""

    def guard(conn: sa.Connection) -> None:
        if storage.head(conn, draft.id) != (draft.status, draft.last_seq):
            raise refuse("busy", lang, name=draft.name)

    return guard


def review(
    store: AuditStore, name: str, event: str, who: Who, reason: str, lang: str = "en"
) -> Done:
    """Submit, approve or reject a draft (``event``: ``SUBMIT``, ``APPROVE``, ``REJECT``)."""
    step = STEPS[event]
    why = check_reason(reason, lang)
    draft = checked_draft(store, name, who, step, lang)
    body = {"draft": draft.name, "draft_id": draft.id, "reason": why}
    stored = write_step(store, draft, who, (event, step.after), body, draft_unmoved(draft, lang))
    return Done(get_draft(store, name, lang), stored, live_policy(store))


def publish(store: AuditStore, name: str, who: Who, reason: str, lang: str = "en") -> Done:
    """Make an approved draft's policy live; refused if the live policy moved since drafting."""
    step = STEPS[PUBLISH]
    why = check_reason(reason, lang)
    draft = checked_draft(store, name, who, step, lang)
    live = live_policy(store)
    live_version = live.engine().version
    if draft.base_version != live_version:
        raise refuse("stale", lang, name=name, base=draft.base_version, live=live_version)
    engine = engine_with(draft.values, draft.rules_off, lang=lang)
    body = live_body(draft, why, dict(draft.values), draft.rules_off, live_version)
    guard = _both_unmoved(draft, live, lang)
    stored = write_step(store, draft, who, (PUBLISH, PUBLISHED), body, guard, engine)
    return Done(get_draft(store, name, lang), stored, live_policy(store))


def rollback(store: AuditStore, who: Who, reason: str, lang: str = "en") -> Done:
    """Take the live publication off: the policy published before it (or the shipped rule
    base) is live again."""
    check_role(who, ROLLBACK, APPROVING_ROLES, lang)
    why = check_reason(reason, lang)
    with store._read() as conn:
        stack = events.live_stack(events.live_events(conn))
    if not stack:
        raise refuse("nothing_live", lang, version=SHIPPED.engine().version)
    top, below = stack[-1], stack[-2] if len(stack) > 1 else None
    values = dict(below.values or {}) if below else {}
    rules_off = frozenset(below.rules_off or ()) if below else frozenset()
    engine = engine_with(values, rules_off, lang=lang)
    draft = get_draft(store, top.draft, lang)
    body = live_body(draft, why, values, rules_off, top.version)
    body["restores"] = below.draft if below else None
    guard = live_unmoved(live_policy(store), lang)
    stored = write_step(store, draft, who, (ROLLBACK, ROLLED_BACK), body, guard, engine)
    return Done(get_draft(store, top.draft, lang), stored, live_policy(store))


def live_body(
    draft: Draft, why: str, values: dict[str, float], rules_off: frozenset[str], before: str | None
) -> dict[str, Any]:
    return {
        "draft": draft.name,
        "draft_id": draft.id,
        "reason": why,
        "parameters": dict(sorted(values.items())),
        "rules_off": sorted(rules_off),
        "previous_version": before,
    }


def live_unmoved(live: LivePolicy, lang: str) -> Guard:
    marker = live.publication.id if live.publication else 0

    def guard(conn: sa.Connection) -> None:
        stack = events.live_stack(events.live_events(conn))
        if (stack[-1].id if stack else 0) != marker:
            raise refuse("live_moved", lang)

    return guard


def _both_unmoved(draft: Draft, live: LivePolicy, lang: str) -> Guard:
    draft_guard, live_guard = draft_unmoved(draft, lang), live_unmoved(live, lang)

    def guard(conn: sa.Connection) -> None:
        draft_guard(conn)
        live_guard(conn)

    return guard


def draft_events(store: AuditStore, name: str, lang: str = "en") -> list[Event]:
    """The draft's steps after drafting, oldest first."""
    draft = get_draft(store, name, lang)
    with store._read() as conn:
        return events.events_of(conn, draft.id)


def history(store: AuditStore) -> list[Event]:
    """Every publication and rollback, oldest first."""
    with store._read() as conn:
        return events.live_events(conn)


__all__ = [
    "APPROVING_ROLES",
    "DRAFTING_ROLES",
    "STEPS",
    "Done",
    "Guard",
    "Step",
    "check_role",
    "check_status",
    "draft_events",
    "draft_unmoved",
    "history",
    "live_body",
    "live_unmoved",
    "publish",
    "refuse",
    "review",
    "rollback",
    "write_step",
    "writers",
]
