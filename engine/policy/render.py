"""Drafts as people read them, in English or Chinese (``sales-expert policy`` without --json).

Parameters are named by their label (and id in English), values carry the parameter's unit,
rules their id and title, golden-case answers the labels of the topic and its values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.labels import number
from engine.parameter_values import parameter_named, shown_value
from engine.policy.checks import role_label, status_label
from engine.policy.drafts import Outcome
from engine.policy.golden import GoldenChange, GoldenReport
from engine.policy.model import PARAMETER, RULE_OFF, Change, Draft
from knowledge_base import Knowledge
from rules import load_rules


def _value(name: str, value: float, kb: Knowledge, lang: str) -> str:
    parameter = kb.parameters.get(name)
    return shown_value(parameter, value, kb, lang) if parameter else number(value)


def describe(change: Change, kb: Knowledge, lang: str) -> str:
    """What a change does: "label (id) set to 95 %", "rule CR-003 switched off (title)"."""
    if change.kind == PARAMETER and change.value is not None:
        name = parameter_named(change.target, kb, lang)
        value = _value(change.target, change.value, kb, lang)
        return kb.text("policy.change.parameter", lang, parameter=name, value=value)
    rule = load_rules().by_id().get(change.target)
    title = rule.title.get(lang) if rule else ""
    key = "policy.change.rule_off" if change.kind == RULE_OFF else "policy.change.rule_on"
    return kb.text(key, lang, rule=change.target, title=title)


def _effective(draft: Draft, kb: Knowledge, lang: str) -> list[str]:
    lines = []
    for name, value in sorted(draft.values.items()):
        parameter = kb.parameters.get(name)
        base = _value(name, parameter.value, kb, lang) if parameter else "—"
        now = _value(name, value, kb, lang)
        named = parameter_named(name, kb, lang)
        lines.append(kb.text("policy.show.parameter", lang, parameter=named, base=base, now=now))
    rules = load_rules().by_id()
    for rule_id in sorted(draft.rules_off):
        title = rules[rule_id].title.get(lang) if rule_id in rules else ""
        lines.append(kb.text("policy.show.rule_off", lang, rule=rule_id, title=title))
    return lines or [kb.text("policy.show.nothing", lang)]


def _answer(topic: str, values: Sequence[Any], kb: Knowledge, lang: str) -> str:
    if not values:
        return "—"
    shown = []
    for value in values:
        label = kb.value_labels.get((topic, str(value)))
        if label is not None:
            shown.append(label.get(lang))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            shown.append(number(value))
        else:
            shown.append(str(value))
    return ("、" if lang == "zh" else ", ").join(shown)


def golden_lines(report: GoldenReport, kb: Knowledge, lang: str) -> list[str]:
    """The golden cases whose answer changes (file, topic, before → after), or why none."""
    if not report.available:
        return [kb.text("policy.golden.unavailable", lang)]
    if not report.changes:
        return [kb.text("policy.golden.none", lang, cases=report.cases)]
    title = kb.text("policy.golden.title", lang, changed=len(report.files), cases=report.cases)
    return [title, *(_golden_line(c, kb, lang) for c in report.changes)]


def _golden_line(change: GoldenChange, kb: Knowledge, lang: str) -> str:
    topic = kb.topics.get(change.topic)
    return kb.text(
        "policy.golden.change",
        lang,
        file=change.file,
        topic=topic.label.get(lang) if topic else change.topic,
        before=_answer(change.topic, change.before, kb, lang),
        after=_answer(change.topic, change.after, kb, lang),
    )


def render_list(drafts: Sequence[Draft], kb: Knowledge, lang: str) -> str:
    if not drafts:
        return kb.text("policy.list.empty", lang)
    lines = [kb.text("policy.list.title", lang, count=len(drafts))]
    for draft in drafts:
        values = {
            "name": draft.name,
            "status": status_label(draft.status, kb, lang),
            "parameters": len(draft.values),
            "rules": len(draft.rules_off),
            "changes": len(draft.changes),
            "author": draft.author,
            "role": role_label(draft.role, kb, lang),
            "at": draft.created_at,
        }
        lines.append(kb.text("policy.list.row", lang, **values))
    return "\n".join(lines)


def _head(draft: Draft, version: str, kb: Knowledge, lang: str) -> list[str]:
    status = status_label(draft.status, kb, lang)
    lines = [
        kb.text("policy.show.title", lang, name=draft.name, status=status, base=draft.base_version),
        kb.text(
            "policy.show.created",
            lang,
            author=draft.author,
            role=role_label(draft.role, kb, lang),
            at=draft.created_at,
            reason=draft.reason,
        ),
    ]
    if version != draft.base_version:
        lines.append(kb.text("policy.show.moved", lang, version=version))
    return lines


def render_show(draft: Draft, golden: GoldenReport, version: str, kb: Knowledge, lang: str) -> str:
    """A draft: who made it, its effective changes, every change in order, the golden cases."""
    lines = _head(draft, version, kb, lang)
    lines += [kb.text("policy.show.effective", lang), *_effective(draft, kb, lang)]
    if draft.changes:
        lines.append(kb.text("policy.show.changes", lang))
        for change in draft.changes:
            values = {
                "seq": change.seq,
                "at": change.at,
                "actor": change.actor,
                "role": role_label(change.role, kb, lang),
                "what": describe(change, kb, lang),
                "reason": change.reason,
            }
            lines.append(kb.text("policy.show.change", lang, **values))
    return "\n".join([*lines, *golden_lines(golden, kb, lang)])


def render_outcome(outcome: Outcome, created: bool, kb: Knowledge, lang: str) -> str:
    """What ``policy draft`` or ``policy set`` stored, and the golden cases it moves."""
    draft = outcome.draft
    if created:
        key = "policy.done.created_from_overlay" if outcome.added else "policy.done.created"
        values = {"name": draft.name, "version": draft.base_version, "changes": len(outcome.added)}
        lines = [kb.text(key, lang, **values)]
        if outcome.overlay_version not in (None, draft.base_version):
            values = {"overlay": outcome.overlay_version, "version": draft.base_version}
            lines.append(kb.text("policy.done.overlay_version", lang, **values))
    else:
        lines = [
            kb.text(
                "policy.done.changed", lang, name=draft.name, seq=c.seq, what=describe(c, kb, lang)
            )
            for c in outcome.added
        ]
    return "\n".join([*lines, *golden_lines(outcome.golden, kb, lang)])


__all__ = ["describe", "golden_lines", "render_list", "render_outcome", "render_show"]
