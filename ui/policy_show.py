"""The Policy page's reading parts: the live policy (and rolling it back), the drafts with their
changes and steps, the step buttons, and the history of publications and rollbacks.

What is shown is the engine's: statuses, events, changes and differences in its words
(``engine.policy.render``, ``engine.policy.render_steps``); what people typed or the store
holds (actors, reasons) is shown as text (``ui.inert``). Which steps are offered follows the
engine's ``STEPS`` (the statuses each starts from, the roles that take it); the engine still
checks every request, four eyes included.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from engine.audit.store import AuditStore
from engine.policy.checks import status_label
from engine.policy.history import Shift
from engine.policy.lifecycle import draft_events, writers
from engine.policy.live import LivePolicy
from engine.policy.model import APPROVE, REJECT, ROLLBACK, Draft, Event
from engine.policy.render import describe
from engine.policy.render_steps import difference_text
from engine.users import User
from ui.i18n import kb, labeller, lang, t
from ui.inert import code, plain
from ui.policy import (
    DRAFT,
    NEW_NAME,
    NEW_REASON,
    ROLLBACK_REASON,
    create,
    done_at,
    key,
    may_draft,
    may_take,
    problem_at,
    pt,
    reason_field,
    roll_back,
    step,
    steps_now,
)


def at(text: str) -> str:
    """A stored UTC time as people read it: ``2025-06-30 14:02:11 UTC``."""
    return f"{text[:19].replace('T', ' ')} UTC"


def status(value: str) -> str:
    return status_label(value, kb(), lang())


def event_label(event: str) -> str:
    return kb().text(f"policy_step.event.{event}", lang())


# -- the live policy --------------------------------------------------------------------------


def live_line(live: LivePolicy) -> None:
    """Which draft is live (or the shipped rule base), its version, when and by whom."""
    version = code(live.engine().version)
    found = live.publication
    if found is None:
        st.info(pt("live.shipped", version=version), icon=":material/policy:")
        return
    values: dict[str, object] = {"draft": code(found.draft), "version": version}
    values["at"] = at(found.at)
    values |= {"actor": plain(found.actor), "record": found.record_id}
    st.info(pt("live.published", **values), icon=":material/verified:")
    st.caption(pt("live.reason", reason=plain(found.reason)))


def rollback_form(live: LivePolicy, user: User) -> None:
    """Rolling the live publication back (an administrator, when something is live)."""
    done_at(key(ROLLBACK))
    problem_at(key(ROLLBACK))
    if live.publication is None or not may_take(user, ROLLBACK):
        return
    with st.expander(pt("rollback.title", draft=live.publication.draft)):
        st.caption(pt("rollback.intro"))
        reason_field(ROLLBACK_REASON)
        st.button(pt("rollback.button"), key=key("rollback_button"), on_click=roll_back)


# -- drafts -----------------------------------------------------------------------------------


def create_form() -> None:
    """A new draft: its name and why (an administrator)."""
    with st.container(border=True):
        st.markdown(f"**{pt('create.title')}**")
        st.caption(pt("create.intro"))
        cells = st.columns(2)
        with cells[0]:
            st.text_input(pt("create.name"), key=NEW_NAME, max_chars=80, help=pt("create.help"))
            problem_at(NEW_NAME)
        with cells[1]:
            reason_field(NEW_REASON)
        st.button(pt("create.button"), key=key("create_button"), on_click=create, type="primary")
        done_at(NEW_NAME)


def drafts_table(drafts: Sequence[Draft]) -> None:
    rows = [
        {
            pt("col.name"): d.name,
            pt("col.status"): status(d.status),
            pt("col.changes"): len(d.changes),
            pt("col.parameters_set"): len(d.values),
            pt("col.rules_off"): len(d.rules_off),
            pt("col.author"): d.author,
            pt("col.created"): at(d.created_at),
            pt("col.why"): d.reason,
        }
        for d in reversed(drafts)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def choose(drafts: Sequence[Draft]) -> Draft | None:
    """The draft to open (the newest unless one was chosen)."""
    names = [d.name for d in reversed(drafts)]
    if not names:
        return None
    if st.session_state.get(DRAFT) not in names:
        st.session_state[DRAFT] = names[0]
    by_name = {d.name: d for d in drafts}
    label = labeller(names, lambda n: pt("draft_option", name=n, status=status(by_name[n].status)))
    chosen = st.selectbox(pt("open_draft"), names, format_func=label, key=DRAFT)
    return by_name.get(str(chosen))


def head(draft: Draft) -> None:
    values = {"name": code(draft.name), "status": status(draft.status)}
    values |= {"base": code(draft.base_version), "author": plain(draft.author)}
    values["at"] = at(draft.created_at)
    st.markdown(pt("draft_head", **values))
    st.caption(pt("draft_why", reason=plain(draft.reason)))


def changes(draft: Draft) -> None:
    """Every change of the draft, in order: who, when, what and why."""
    if not draft.changes:
        st.caption(pt("no_changes"))
        return
    rows = [
        {
            pt("col.seq"): c.seq,
            pt("col.at"): at(c.at),
            pt("col.actor"): c.actor,
            pt("col.role"): t(f"role.{c.role}"),
            pt("col.what"): describe(c, kb(), lang()),
            pt("col.why"): c.reason,
        }
        for c in draft.changes
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def events(audit: AuditStore, draft: Draft) -> None:
    """The draft's steps after drafting: submitted, approved, published…"""
    found: list[Event] = draft_events(audit, draft.name, lang())
    if not found:
        st.caption(pt("no_steps"))
        return
    rows = [
        {
            pt("col.at"): at(e.at),
            pt("col.step"): event_label(e.event),
            pt("col.actor"): e.actor,
            pt("col.role"): t(f"role.{e.role}"),
            pt("col.record"): e.record_id,
            pt("col.why"): e.reason,
        }
        for e in found
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


# -- steps ------------------------------------------------------------------------------------


def steps(draft: Draft, user: User) -> None:
    """The buttons of the steps the user may take on the draft now, with the reason."""
    done_at(key("step", draft.name))
    offered = [e for e in steps_now(draft) if may_take(user, e)]
    if not offered:
        reason = "steps.read_only" if not may_draft(user) else "steps.none"
        st.caption(pt(reason, status=status(draft.status)))
        return
    if user.username in writers(draft) and {APPROVE, REJECT} & set(offered):
        st.caption(pt("steps.four_eyes", actor=plain(user.username)))
    reason_field(key("step_reason", draft.name))
    cells = st.columns(len(offered))
    for cell, event in zip(cells, offered, strict=True):
        cell.button(
            pt(f"step.{event}"),
            key=key("step", draft.name, event),
            on_click=step,
            args=(draft.name, event),
            type="primary" if event != REJECT else "secondary",
            width="stretch",
        )
    problem_at(key("step", draft.name))


# -- history ----------------------------------------------------------------------------------


def _shift(shift: Shift) -> None:
    event = shift.event
    values: dict[str, object] = {"what": event_label(event.event), "draft": code(event.draft)}
    values["at"] = at(event.at)
    values |= {"actor": plain(event.actor), "record": event.record_id}
    values |= {"before": code(event.previous_version or "—"), "after": code(event.version or "—")}
    with st.container(border=True):
        st.markdown(pt("history.row", **values))
        st.caption(pt("history.why", reason=plain(event.reason)))
        found = [difference_text(d, kb(), lang()) for d in shift.differences(kb())]
        lines = found or [pt("history.no_diff")]
        st.markdown("\n".join(f"- {plain(line)}" for line in lines))


def history_list(found: Sequence[Shift], live: LivePolicy) -> None:
    """Every publication and rollback, newest first, with what it changed."""
    if not found:
        st.caption(pt("history.empty", version=code(live.engine().version)))
        return
    st.caption(pt("history.count", count=len(found)))
    for shift in reversed(found):
        _shift(shift)


__all__ = [
    "changes",
    "choose",
    "create_form",
    "drafts_table",
    "events",
    "head",
    "history_list",
    "live_line",
    "rollback_form",
    "steps",
]
