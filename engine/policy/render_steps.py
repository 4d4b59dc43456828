"""The policy workbench's later steps as text, in English or Chinese: a step just taken, a
draft's steps, and the history of published policies with what each changed."""

from __future__ import annotations

from collections.abc import Sequence

from engine.parameter_values import parameter_named, shown_value
from engine.policy.checks import role_label
from engine.policy.history import Difference, Shift
from engine.policy.lifecycle import Done
from engine.policy.live import LivePolicy
from engine.policy.model import Event
from knowledge_base import Knowledge


def _at(text: str) -> str:
    return text[:19].replace("T", " ")


def live_line(live: LivePolicy, version: str, kb: Knowledge, lang: str) -> str:
    draft = live.draft or kb.text("policy_step.done.shipped", lang)
    return kb.text("policy_step.done.live", lang, version=version, draft=draft)


def render_done(done: Done, version: str, kb: Knowledge, lang: str) -> str:
    """The step taken, its audit record, and the live policy after it (``version``)."""
    what = kb.text(f"policy_step.event.{done.event.event}", lang)
    step = kb.text(
        "policy_step.done.step",
        lang,
        name=done.draft.name,
        what=what,
        actor=done.event.actor,
        record=done.event.record_id,
        reason=done.event.reason,
    )
    return "\n".join([step, live_line(done.live, version, kb, lang)])


def difference_text(difference: Difference, kb: Knowledge, lang: str) -> str:
    if difference.rule:
        key = "rule_off" if difference.after else "rule_on"
        return kb.text(f"policy_step.diff.{key}", lang, rule=difference.target)
    parameter = kb.parameters[difference.target]
    before = shown_value(parameter, float(difference.before), kb, lang)
    after = shown_value(parameter, float(difference.after), kb, lang)
    name = parameter_named(difference.target, kb, lang)
    return kb.text("policy_step.diff.parameter", lang, parameter=name, before=before, after=after)


def _shift_lines(shift: Shift, kb: Knowledge, lang: str) -> list[str]:
    event = shift.event
    row = kb.text(
        "policy_step.history.row",
        lang,
        at=_at(event.at),
        what=kb.text(f"policy_step.event.{event.event}", lang),
        draft=event.draft,
        actor=event.actor,
        record=event.record_id,
        before=event.previous_version,
        after=event.version,
        reason=event.reason,
    )
    differences = shift.differences(kb)
    if not differences:
        return [row, kb.text("policy_step.history.no_diff", lang)]
    lines = [
        kb.text("policy_step.history.diff", lang, what=difference_text(d, kb, lang))
        for d in differences
    ]
    return [row, *lines]


def render_history(
    shifts: Sequence[Shift], live: LivePolicy, version: str, kb: Knowledge, lang: str
) -> str:
    """Every publication and rollback with what it changed, then what is live now."""
    if not shifts:
        return kb.text("policy_step.history.empty", lang, version=version)
    lines = [kb.text("policy_step.history.title", lang, count=len(shifts))]
    for shift in shifts:
        lines += _shift_lines(shift, kb, lang)
    draft = live.draft or kb.text("policy_step.done.shipped", lang)
    lines.append(kb.text("policy_step.history.live", lang, version=version, draft=draft))
    return "\n".join(lines)


def event_lines(events: Sequence[Event], kb: Knowledge, lang: str) -> list[str]:
    """A draft's steps after drafting, for ``policy show``."""
    if not events:
        return []
    lines = [kb.text("policy_step.events.title", lang)]
    for event in events:
        lines.append(
            kb.text(
                "policy_step.events.row",
                lang,
                at=_at(event.at),
                what=kb.text(f"policy_step.event.{event.event}", lang),
                actor=event.actor,
                role=role_label(event.role, kb, lang),
                record=event.record_id,
                reason=event.reason,
            )
        )
    return lines


__all__ = ["difference_text", "event_lines", "live_line", "render_done", "render_history"]
