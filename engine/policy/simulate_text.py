"""The simulation's report told in English or Chinese (``policy simulate`` without --json).

``render(report, lang)`` takes the JSON of ``engine.policy.simulate.simulate`` and returns the
lines to print: the change (parameters by their label with units, rules by id and title), the
counts, each topic's migration between the two policies with value labels, the approval rate,
the total recommended limit, with outcomes the bad rate and the cost, and the sample of changed
rows with both policies' principal reasons. Every sentence is a text of
``knowledge_base/texts/<lang>/policy_simulate.yaml``; a figure that cannot be computed reads
"not available" (never Python's ``None``), a value a policy does not conclude "not concluded".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.backtest.module_text import label, money, pct
from engine.calibrate.overlay import with_unit
from engine.labels import number
from knowledge_base import Knowledge, load_knowledge
from rules import load_rules

Report = dict[str, Any]
Shown = Callable[[dict[str, Any]], str]
"""How one policy's figures read in a "champion → challenger" sentence."""
OUTCOME_COUNTS = (
    ("linked", "linked_rows"),
    ("bad", "bad_rows"),
    ("unmatched", "unmatched"),
    ("invalid", "invalid_outcomes"),
    ("other", "other_module_outcomes"),
)


def _t(key: str, lang: str, **values: object) -> str:
    return load_knowledge().text(f"policy_simulate.{key}", lang, **values)


def _count(value: int) -> str:
    return f"{value:,}"


def answer(topic: str, value: Any, lang: str) -> str:
    """A topic's answer as a person reads it: a label, an amount, or "not concluded"."""
    if value is None:
        return _t("not_concluded", lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return money(value, lang) if topic == "recommended_limit" else number(value)
    return label(topic, str(value), lang)


def topic_label(topic: str, kb: Knowledge, lang: str) -> str:
    return kb.topics[topic].label.get(lang)


def change_lines(change: dict[str, Any], kb: Knowledge, lang: str) -> list[str]:
    """What the challenger changes: each parameter (current → new, with units), each rule."""
    source = change.get("source")
    lines = [_t("change", lang, source=source) if source else _t("change_unnamed", lang)]
    for name, value in change["values"].items():
        parameter = kb.parameters[name]
        current, new = (with_unit(parameter, v, kb, lang) for v in (parameter.value, value))
        text = _t("parameter", lang, label=parameter.label.get(lang), current=current, value=new)
        lines.append(text)
    titles = {rule.id: rule.title.get(lang) for rule in load_rules().rules}
    for rule in change["rules_off"]:
        lines.append(_t("rule_off", lang, rule=rule, title=titles.get(rule, "")))
    if len(lines) == 1:
        lines.append(_t("no_change", lang))
    return lines


def head_lines(report: Report, lang: str) -> list[str]:
    """The title, the change, the counts and the share of rows that changed."""
    kb, versions = load_knowledge(), report["versions"]
    lines = [_t("title", lang, book=report["book"], **versions)]
    lines += change_lines(report["change"], kb, lang)
    seconds = report["seconds"]
    rate = f"{report['rows_in'] / seconds:,.0f}" if seconds > 0 else "—"
    counts = {k: _count(report[k]) for k in ("ok", "failed")} | {"rows": _count(report["rows_in"])}
    lines.append(_t("counts", lang, seconds=f"{seconds:.1f}", rate=rate, **counts))
    if report.get("errors_file"):
        lines.append(_t("errors_file", lang, path=report["errors_file"]))
    share = pct(report["changed_share"], lang)
    changed = _count(report["changed_rows"])
    lines.append(_t("changed", lang, changed=changed, ok=_count(report["ok"]), share=share))
    return lines


def topic_lines(figures: dict[str, Any], kb: Knowledge, lang: str) -> list[str]:
    """One topic: how many changed, then its migration matrix (or, for a number, how it
    moved)."""
    topic = figures["topic"]
    values = {
        "topic": topic_label(topic, kb, lang),
        "changed": _count(figures["changed"]),
        "share": pct(figures["changed_share"], lang),
        "concluded": _count(figures["concluded"]),
    }
    if figures["kind"] == "number":
        moved = ("increased", "decreased", "appeared", "vanished")
        values |= {key: _count(figures[key]) for key in moved}
        return [_t("topic_number", lang, **values)]
    lines = [_t("topic", lang, **values)]
    for cell in figures["matrix"]:
        before, after = (answer(topic, cell[k], lang) for k in ("from", "to"))
        key = "same" if cell["from"] == cell["to"] else "move"
        lines.append(_t(key, lang, before=before, after=after, n=_count(cell["n"])))
    return lines


def _pair(key: str, lang: str, figures: dict[str, Any], shown: Shown, **values: object) -> str:
    """A figure under the champion → under the challenger, each shown by ``shown``."""
    both = {name: shown(figures[name]) for name in ("champion", "challenger")}
    return _t(key, lang, **both, **values)


def policy_lines(report: Report, lang: str) -> list[str]:
    """Approval rate and total recommended limit under each policy."""

    def approval(p: dict[str, Any]) -> str:
        counts = {"approved": _count(p["approved"]), "credit": _count(p["credit_consultations"])}
        return _t("approval_policy", lang, rate=pct(p["approval_rate"], lang), **counts)

    totals = [report["policies"][p]["total_recommended_limit"] for p in ("champion", "challenger")]
    total = _t(
        "total_limit",
        lang,
        champion=money(totals[0], lang),
        challenger=money(totals[1], lang),
        difference=money(totals[1] - totals[0], lang),
    )
    return [_pair("approval", lang, report["policies"], approval), total]


def outcome_lines(report: Report, lang: str) -> list[str]:
    """With outcomes: what joined, the bad rate among approved and the cost under each."""
    found = report.get("outcomes")
    if not found:
        return []
    counts = {key: _count(found[name]) for key, name in OUTCOME_COUNTS}
    lines = [_t("outcomes", lang, path=found["file"], **counts)]

    def bad_rate(p: dict[str, Any]) -> str:
        counts = {"bad": _count(p["bad"]), "approved": _count(p["approved_with_outcome"])}
        return _t("bad_rate_policy", lang, rate=pct(p["bad_rate"], lang), **counts)

    def cost(p: dict[str, Any]) -> str:
        counts = {"bad": _count(p["bad_accepted"]), "good": _count(p["good_rejected"])}
        return _t("cost_policy", lang, cost=number(p["cost"]), **counts)

    costs = {
        "cost_bad": number(found["cost_bad"]),
        "cost_good": number(found["cost_good_rejected"]),
    }
    lines.append(_pair("bad_rate", lang, found, bad_rate))
    return [*lines, _pair("cost", lang, found, cost, **costs)]


def _reasons(reasons: list[dict[str, str]], lang: str) -> str:
    texts = [r["text"] for r in reasons]  # each opens with its rule's id and title
    return " | ".join(texts) if texts else _t("no_reasons", lang)


def _change(change: dict[str, Any], kb: Knowledge, lang: str) -> str:
    """ "Credit decision Refer → Approve": one changed answer of a sampled row."""
    topic = change["topic"]
    before, after = (answer(topic, change[p], lang) for p in ("champion", "challenger"))
    return _t("sample_change", lang, topic=topic_label(topic, kb, lang), before=before, after=after)


def sample_lines(report: Report, kb: Knowledge, lang: str) -> list[str]:
    """The first changed rows: what changed, and both policies' principal reasons."""
    sample = report["sample"]
    if not sample:
        return []
    shown, changed = _count(len(sample)), _count(report["changed_rows"])
    lines = [_t("sample", lang, shown=shown, changed=changed)]
    separator = "；" if lang == "zh" else "; "
    for row in sample:
        changes = separator.join(_change(change, kb, lang) for change in row["changes"])
        customer = row["customer_id"] or _t("no_customer", lang)
        line = _t("sample_row", lang, row=row["row"], customer=customer, changes=changes)
        if row.get("consultation_id") is not None:  # a recorded consultation: its audit record
            line += _t("sample_record", lang, id=row["consultation_id"])
        lines.append(line)
        for policy in ("champion", "challenger"):
            reasons = _reasons(row["reasons"][policy], lang)
            lines.append(_t(f"reasons_{policy}", lang, reasons=reasons))
    return lines


def render(report: Report, lang: str) -> str:
    """The whole report, one sentence a line."""
    kb = load_knowledge()
    lines = head_lines(report, lang)
    for figures in report["topics"]:
        if figures["concluded"]:
            lines += topic_lines(figures, kb, lang)
    lines += policy_lines(report, lang) + outcome_lines(report, lang)
    return "\n".join(lines + sample_lines(report, kb, lang))
