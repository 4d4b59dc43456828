"""Plain-text rendering of audit records and reports, in English or Chinese
(``knowledge_base/texts/<lang>/audit.yaml``). The trace is told as the same sentences the
explanations use (``engine.explain.step_sentence``), built from the recorded rule base.
``render_verify`` lives in ``text_integrity`` and is re-exported here."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from engine.audit.records import AuditRecord
from engine.audit.replay import ReplayReport
from engine.audit.text_integrity import render_verify
from engine.explain import step_sentence
from engine.labels import recorded_value, topic_value_label
from engine.outcomes.text import outcome_lines, render_outcomes
from engine.parameter_values import parameter_named, shown_value
from engine.trace import TraceStep
from knowledge_base import Knowledge
from rules import RuleBase

_STEP = TypeAdapter(TraceStep)


_value = recorded_value


def render_list(found: list[AuditRecord], kb: Knowledge, lang: str) -> str:
    if not found:
        return kb.text("audit.none", lang)
    lines = [kb.text("audit.listed", lang, count=len(found))]
    for r in found:
        extra = f" → #{r.ref_id}" if r.ref_id is not None else ""
        lines.append(
            f"{r.id:>6}  {r.created_at[:19].replace('T', ' ')}  "
            f"{kb.text(f'audit.kind.{r.kind}', lang)}{extra}  {r.actor} ({r.role}, {r.channel})  "
            f"{r.customer_id or '—'}  {','.join(r.modules) or '—'}  {r.decision or '—'}  "
            f"{r.ruleset_version}"
        )
    return "\n".join(lines)


def _header(record: AuditRecord, kb: Knowledge, lang: str) -> list[str]:
    def field(key: str, value: object) -> str:
        return f"  {kb.text(f'audit.field.{key}', lang)}: {_value(value, kb, lang)}"

    kind = kb.text(f"audit.kind.{record.kind}", lang)
    lines = [kb.text("audit.show.title", lang, id=record.id, kind=kind)]
    lines.append(field("time", record.created_at))
    lines.append(field("actor", f"{record.actor} ({record.role})"))
    lines.append(field("channel", record.channel))
    lines.append(field("customer", record.customer_id))
    lines.append(field("modules", ", ".join(record.modules)))
    if record.ref_id is not None:
        lines.append(field("consultation", record.ref_id))
    lines.append(field("version", record.ruleset_version))
    lines.append(field("product", record.product_version))
    lines.append(field("prev_hash", record.prev_hash))
    lines.append(field("hash", record.hash))
    lines.append(field("signed", protection(record, kb, lang)))
    return lines


def protection(record: AuditRecord, kb: Knowledge, lang: str) -> str:
    """What protects this record: an HMAC under a named key, or its hash alone."""
    if record.key_id is None:
        return kb.text("audit.show.signed_hash_only", lang)
    return kb.text("audit.show.signed_hmac", lang, key_id=record.key_id)


def _decision_lines(payload: dict[str, Any], kb: Knowledge, lang: str) -> list[str]:
    recommended = payload.get("recommended", {})
    lines = [
        f"  {kb.text('audit.field.decision', lang)}: {payload.get('decision')}"
        f" ({kb.text('audit.field.recommended', lang)}: {recommended.get('decision')})",
        f"  {kb.text('audit.field.limit', lang)}: {_value(payload.get('limit'), kb, lang)}"
        f" ({_value(recommended.get('limit'), kb, lang)})",
        f"  {kb.text('audit.field.term_days', lang)}: {_value(payload.get('term_days'), kb, lang)}"
        f" ({_value(recommended.get('term_days'), kb, lang)})",
        f"  {kb.text('audit.field.override', lang)}: {_value(payload.get('override'), kb, lang)}",
    ]
    if payload.get("reason"):
        lines.append(f"  {kb.text('audit.field.reason', lang)}: {payload['reason']}")
    return lines


def render_consultation(
    record: AuditRecord,
    decisions: list[AuditRecord],
    snapshot: tuple[RuleBase, Knowledge, bool],
    kb: Knowledge,
    lang: str,
    outcomes: list[AuditRecord] | None = None,
) -> str:
    """Header, conclusions, the trace as numbered sentences, then any final decisions and
    (when given) the outcomes recorded on it."""
    rulebase, recorded_kb, schema_changed = snapshot
    result = (record.payload or {})["result"]
    lines = [*_header(record, kb, lang), "", kb.text("audit.show.conclusions", lang) + ":"]
    for c in result["conclusions"]:
        topic = recorded_kb.topics.get(c["topic"])
        label = topic.label.get(lang) if topic else c["topic"]
        value = (
            topic_value_label(c["topic"], c["value"], recorded_kb, lang) if topic else c["value"]
        )
        lines.append(f"  {label}: {_value(value, kb, lang)}  [{', '.join(c['rules'])}]")
    lines += ["", kb.text("audit.show.trace", lang, count=len(result["trace"])) + ":"]
    if schema_changed:
        lines.append("  " + kb.text("audit.show.schema_changed", lang))
    rules = rulebase.by_id()
    for raw in result["trace"]:
        step = _STEP.validate_python(raw)
        lines.append(f"  {step.seq}. {step_sentence(rules[step.rule], step, recorded_kb, lang)}")
    lines += ["", kb.text("audit.show.decisions", lang) + ":"]
    if not decisions:
        lines.append("  " + kb.text("audit.show.no_decisions", lang))
    for d in decisions:
        lines.append(f"  #{d.id} {d.created_at} {d.actor}:")
        lines += ["  " + line for line in _decision_lines(d.payload or {}, kb, lang)]
    if outcomes is not None:
        lines += ["", *render_outcomes(outcomes, kb, lang)]
    return "\n".join(lines)


def render_outcome(record: AuditRecord, later: int | None, kb: Knowledge, lang: str) -> str:
    """An outcome record: the header (its consultation included), then the outcome."""
    return "\n".join([*_header(record, kb, lang), "", *outcome_lines(record, later, kb, lang)])


def render_decision(record: AuditRecord, kb: Knowledge, lang: str) -> str:
    return "\n".join([*_header(record, kb, lang), *_decision_lines(record.payload or {}, kb, lang)])


def policy_lines(payload: dict[str, Any], kb: Knowledge, lang: str) -> list[str]:
    """A policy step's record: the step, the draft, why and, for a publication or a rollback,
    the policy it made live (parameter values, rules switched off) and the version before."""
    event = str(payload.get("event", ""))
    lines = [
        kb.text(
            "audit.policy.step",
            lang,
            what=kb.text(f"policy_step.event.{event}", lang),
            draft=payload.get("draft"),
        ),
        f"  {kb.text('audit.field.reason', lang)}: {payload.get('reason')}",
    ]
    if "parameters" in payload:
        values = payload["parameters"] or {}
        comma = "、" if lang == "zh" else ", "
        shown = comma.join(_set_to(name, value, kb, lang) for name, value in values.items())
        lines += [
            kb.text("audit.policy.previous", lang, version=payload.get("previous_version")),
            kb.text("audit.policy.parameters", lang, values=shown or "—"),
            kb.text(
                "audit.policy.rules_off", lang, rules=_value(payload.get("rules_off"), kb, lang)
            ),
        ]
    return lines


def _set_to(name: str, value: float, kb: Knowledge, lang: str) -> str:
    """A parameter and the value a policy gives it, by its name in the language."""
    parameter = kb.parameters.get(name)
    if parameter is None:  # a parameter the rule base no longer has: its id and the number
        return f"{name} = {_value(value, kb, lang)}"
    shown = shown_value(parameter, float(value), kb, lang)
    return kb.text(
        "audit.policy.set_to", lang, parameter=parameter_named(name, kb, lang), value=shown
    )


def render_policy(record: AuditRecord, kb: Knowledge, lang: str) -> str:
    return "\n".join([*_header(record, kb, lang), *policy_lines(record.payload or {}, kb, lang)])


def render_decided(record: AuditRecord, kb: Knowledge, lang: str) -> str:
    payload = record.payload or {}
    lines = [
        kb.text(
            "audit.decided",
            lang,
            id=record.id,
            ref=record.ref_id,
            decision=payload.get("decision"),
            limit=_value(payload.get("limit"), kb, lang),
            term=_value(payload.get("term_days"), kb, lang),
        )
    ]
    if payload.get("override"):
        differences = "; ".join(payload.get("differences", []))
        lines.append(
            kb.text(
                "audit.decided_override", lang, differences=differences, reason=payload["reason"]
            )
        )
    return "\n".join(lines)


def render_replay(report: ReplayReport, kb: Knowledge, lang: str) -> str:
    current = report.against == "current"
    if report.identical:
        key = "audit.replay.unchanged" if current else "audit.replay.identical"
    else:
        key = "audit.replay.changed" if current else "audit.replay.different"
    lines = [
        kb.text(
            key,
            lang,
            id=report.record_id,
            version=report.replay_version,
            recorded=report.recorded_version,
            count=len(report.differences),
        )
    ]
    for d in report.differences:
        before, after = _value(d.before, kb, lang), _value(d.after, kb, lang)
        if d.what in ("explanation", "other"):
            before = after = ""
        text = kb.text(f"audit.replay.{d.what}", lang, topic=d.topic, before=before, after=after)
        lines.append(f"  - {text}")
    lines += [kb.text("audit.replay.note", lang, note=note) for note in report.notes]
    return "\n".join(lines)


def _counts(title: str, counts: dict[str, int], kb: Knowledge, lang: str) -> list[str]:
    lines = [f"{title}:"]
    lines += [f"  {key}: {n}" for key, n in counts.items()]
    return lines if counts else [f"{title}: {kb.text('audit.stats.nothing', lang)}"]


def render_stats(stats: dict[str, Any], kb: Knowledge, lang: str) -> str:
    lines = [
        kb.text("audit.stats.totals", lang, **{k: stats[k] for k in ("consultations", "decisions")})
    ]
    lines += _counts(kb.text("audit.stats.rules", lang), stats["rule_firings"], kb, lang)
    lines += _counts(
        kb.text("audit.stats.recommended", lang), stats["recommended_decisions"], kb, lang
    )
    lines += _counts(kb.text("audit.stats.final", lang), stats["final_decisions"], kb, lang)
    managers = stats["overrides_by_manager"]
    lines.append(kb.text("audit.stats.overrides", lang) + ":")
    if not managers:
        lines.append("  " + kb.text("audit.stats.nothing", lang))
    for m in managers:
        rate = f"{m['override_rate']:.0%}"
        line = kb.text(
            "audit.stats.override_line",
            lang,
            manager=m["manager"],
            overrides=m["overrides"],
            decisions=m["decisions"],
            rate=rate,
        )
        lines.append("  " + line)
    return "\n".join(lines)


__all__ = [
    "render_consultation",
    "render_decided",
    "render_decision",
    "render_list",
    "render_outcome",
    "render_replay",
    "render_stats",
    "render_verify",
]
