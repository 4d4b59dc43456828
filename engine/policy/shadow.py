"""Shadow mode: an approved draft answers beside the live policy on live consultations.

Before publishing, a credit committee wants to see a challenger on real traffic without anyone
acting on it. ``start_shadow`` puts an approved draft in shadow (one at a time; a later one
replaces it, ``stop_shadow`` ends it), each step an audit record of kind ``policy`` like the
other steps. While a draft is in shadow, every recorded consultation through ``engine.consult``
(the web app, ``sales-expert consult``, the API) is also inferred under the draft (inference
only: about a third of a consultation) and its answers to the compared topics are kept in the
consultation's audit record (``shadow`` of the payload: hashed and signed with it), never shown.
Batch runs are portfolio work, not live traffic: they run no shadow. ``shadow_report`` compares
the recorded answers day by day (``engine.policy.shadow_report``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.audit.store import AuditStore
from engine.calibrate.apply import engine_with
from engine.policy import events
from engine.policy.checks import check_reason
from engine.policy.drafts import get_draft
from engine.policy.lifecycle import (
    APPROVING_ROLES,
    Done,
    Guard,
    Step,
    check_role,
    check_status,
    draft_unmoved,
    live_body,
    refuse,
    write_step,
)
from engine.policy.live import LivePolicy, live_policy
from engine.policy.model import APPROVED, SHADOW, SHADOW_STOP, Event, Who
from engine.policy.tally import COMPARED
from knowledge_base.facts import Case

SHADOW_STEP = Step(SHADOW, (APPROVED,), APPROVED, APPROVING_ROLES)


def start_shadow(store: AuditStore, name: str, who: Who, reason: str, lang: str = "en") -> Done:
    """Run an approved draft in shadow beside the live policy (replacing any other)."""
    check_role(who, SHADOW, APPROVING_ROLES, lang)
    why = check_reason(reason, lang)
    draft = get_draft(store, name, lang)
    check_status(draft, SHADOW_STEP, lang)
    engine = engine_with(draft.values, draft.rules_off, lang=lang)
    live = live_policy(store)
    body = live_body(draft, why, dict(draft.values), draft.rules_off, live.engine().version)
    step = (SHADOW, draft.status)  # the draft stays approved: it may still be published
    event = write_step(store, draft, who, step, body, draft_unmoved(draft, lang), engine)
    return Done(get_draft(store, name, lang), event, live_policy(store))


def _shadow_unmoved(live: LivePolicy, lang: str) -> Guard:
    marker = live.shadow.id if live.shadow else 0

    def guard(conn: sa.Connection) -> None:
        found = events.shadow_event(conn)
        if (found.id if found else 0) != marker:
            raise refuse("live_moved", lang)

    return guard


def stop_shadow(store: AuditStore, who: Who, reason: str, lang: str = "en") -> Done:
    """End the shadow run; its recorded answers stay for the report."""
    check_role(who, SHADOW_STOP, APPROVING_ROLES, lang)
    why = check_reason(reason, lang)
    live = live_policy(store)
    if live.shadow is None:
        raise refuse("no_shadow", lang)
    draft = get_draft(store, live.shadow.draft, lang)
    body = {"draft": draft.name, "draft_id": draft.id, "reason": why}
    step = (SHADOW_STOP, draft.status)
    event = write_step(store, draft, who, step, body, _shadow_unmoved(live, lang))
    return Done(get_draft(store, draft.name, lang), event, live_policy(store))


def shadow_answers(shadow: Event, case: Case) -> dict[str, Any]:
    """What the draft in shadow answers for ``case``, as the consultation's record keeps it."""
    engine = engine_with(dict(shadow.values or {}), shadow.rules_off or frozenset())
    found = engine.infer(case, trace=False).one_valued
    answers = {topic: found[topic].value for topic in COMPARED if topic in found}
    return {"draft": shadow.draft, "version": engine.version, "answers": answers}


__all__ = ["shadow_answers", "start_shadow", "stop_shadow"]
