"""One audit record on the audit trail page: its header, the final decisions, the conclusions,
its outcomes (and the form to record one: ``ui.audit_outcomes``), the trace as readable steps
with its graph, and the replay buttons.

Everything here comes from the audit store, so everything written into Markdown goes through
``ui.inert.plain`` (or ``code``): customer ids, actors, reasons and what the payload holds are
what someone typed, and an insider with database access can put anything into a record.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from pydantic import TypeAdapter

from engine.audit.errors import AuditError
from engine.audit.records import AuditRecord
from engine.audit.replay import replay
from engine.audit.snapshots import load_snapshot
from engine.audit.store import AuditStore
from engine.audit.text import policy_lines, protection, render_replay
from engine.explain import step_sentence
from engine.labels import number, topic_value_label
from engine.trace import TraceStep
from knowledge_base import Knowledge
from rules import RuleBase
from ui import audit_outcomes, explain, memo
from ui.i18n import kb, lang, t
from ui.inert import code, plain

PAGE = "audit"
_STEP = TypeAdapter(TraceStep)


def shown(value: Any) -> str:
    """A recorded number or text, for Markdown."""
    if value is None:
        return "—"
    return number(value) if isinstance(value, int | float) else plain(value)


def decision_label(value: Any) -> str:
    """A credit decision's label (unknown values, as a tampered record may hold, as text)."""
    if value is None:
        return "—"
    return plain(topic_value_label("credit_decision", value, kb(), lang()))


def decision_lines(payload: dict[str, Any]) -> str:
    """A final decision against the recommendation, and the override's reason (Markdown)."""
    recommended = payload.get("recommended", {})
    rows = (
        (
            "decision",
            decision_label(payload.get("decision")),
            decision_label(recommended.get("decision")),
        ),
        ("limit", shown(payload.get("limit")), shown(recommended.get("limit"))),
        ("term", shown(payload.get("term_days")), shown(recommended.get("term_days"))),
    )
    was = t("audit.final.recommended")
    lines = [f"- {t(f'audit.final.{key}')}: **{now}** ({was}: {then})" for key, now, then in rows]
    if payload.get("override"):
        differences = "; ".join(plain(d) for d in payload.get("differences", []))
        lines.append(f"- **{t('audit.final.override')}**: {differences}")
        lines.append(f"- {t('audit.final.reason')}: {shown(payload.get('reason'))}")
    return "\n".join(lines)


def header(record: AuditRecord) -> None:
    """Kind, actor, customer and channel as metrics (a metric's value is Markdown too)."""
    cells = st.columns(4)
    cells[0].metric(t("audit.col.kind"), kb().text(f"audit.kind.{record.kind}", lang()))
    cells[1].metric(t("audit.col.actor"), plain(f"{record.actor} ({record.role})"))
    cells[2].metric(t("audit.col.customer"), plain(record.customer_id or "—"))
    cells[3].metric(t("audit.col.channel"), plain(record.channel))
    facts = (
        (t("audit.col.time"), record.created_at),
        (t("audit.col.version"), record.ruleset_version),
        (t("audit.product"), record.product_version),
    )
    st.markdown(" · ".join(f"{name}: {code(value)}" for name, value in facts))
    st.caption(f"{t('audit.hash')}: {code(record.hash)} ← {code(record.prev_hash)}")
    st.caption(
        f"{kb().text('audit.field.signed', lang())}: {plain(protection(record, kb(), lang()))}"
    )


def conclusions(result: dict[str, Any], recorded_kb: Knowledge) -> None:
    """The recorded final conclusions as a table (data frames show text as text)."""
    chosen = lang()
    rows = []
    for c in result["conclusions"]:
        if c.get("intermediate"):
            continue
        topic = recorded_kb.topics.get(c["topic"])
        rows.append(
            {
                t("audit.col.topic"): topic.label.get(chosen) if topic else c["topic"],
                t("audit.col.value"): topic_value_label(
                    c["topic"], c["value"], recorded_kb, chosen
                ),
                t("audit.col.rules"): ", ".join(c["rules"]),
            }
        )
    st.markdown(f"#### {t('audit.conclusions')}")
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def final_decisions(audit: AuditStore, record_id: int) -> None:
    decisions = audit.decisions_for(record_id)
    st.markdown(f"#### {t('audit.decisions')}")
    if not decisions:
        st.caption(t("audit.no_decisions"))
    for d in decisions:
        badge = f" · **{t('audit.final.override')}**" if d.override else ""
        when = plain(d.created_at[:19].replace("T", " "))
        st.markdown(f"**#{d.id}** {when} · {plain(d.actor)}{badge}")
        st.markdown(decision_lines(d.payload or {}))


def trace(snapshot: tuple[RuleBase, Knowledge, bool], result: dict[str, Any]) -> None:
    """The recorded firings as numbered sentences, told with the recorded rule base."""
    rulebase, recorded_kb, schema_changed = snapshot
    steps = [_STEP.validate_python(raw) for raw in result["trace"]]
    rules = rulebase.by_id()
    chosen = lang()
    st.markdown(f"#### {t('audit.trace', count=len(steps))}")
    if schema_changed:
        st.warning(kb().text("audit.show.schema_changed", chosen))
    st.markdown(
        "\n".join(
            f"{s.seq}. {plain(step_sentence(rules[s.rule], s, recorded_kb, chosen))}" for s in steps
        )
    )
    graph = st.expander(t("audit.graph"), key="audit_graph", on_change="rerun")
    with graph:
        if graph.open:  # drawn in the browser, which takes a while: only when it is looked at
            explain.chain_graph(steps, rules, recorded_kb)


def detail(audit: AuditStore, record_id: int) -> None:
    record = audit.get(record_id)
    st.subheader(t("audit.detail", id=record.id))
    header(record)
    if record.kind == "decision":
        st.markdown(t("audit.on_consultation", id=record.ref_id))
        st.markdown(decision_lines(record.payload or {}))
        return
    if record.kind == "outcome":
        audit_outcomes.single(record, audit)
        return
    if record.kind == "policy":
        for line in policy_lines(record.payload or {}, kb(), lang()):
            st.markdown(plain(line.strip()))
        return
    memo.download_button(record.id, f"{PAGE}_memo", credit=record.decision is not None)
    version = record.ruleset_version
    snapshot = load_snapshot(version, audit.snapshot(version))
    result = (record.payload or {})["result"]
    conclusions(result, snapshot[1])
    final_decisions(audit, record.id)
    audit_outcomes.section(audit, record)
    trace(snapshot, result)
    replay_controls(audit, record.id)


def replay_controls(audit: AuditStore, record_id: int) -> None:
    st.markdown(f"#### {t('audit.replay')}")
    left, right = st.columns(2)
    recorded = left.button(t("audit.replay_recorded"), key=f"{PAGE}_replay")
    current = right.button(t("audit.replay_current"), key=f"{PAGE}_replay_current")
    if not (recorded or current):
        return
    try:
        report = replay(audit, record_id, current=current)
    except AuditError as exc:
        st.error(plain(exc))
        return
    text = plain(render_replay(report, kb(), lang()))
    if report.identical:
        st.success(text)
    elif current:
        st.warning(text)
    else:
        st.error(text)


__all__ = ["decision_label", "decision_lines", "detail", "header", "replay_controls", "shown"]
