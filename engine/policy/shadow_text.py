"""The shadow run's report as text, in English or Chinese (``engine.policy.shadow_report``)."""

from __future__ import annotations

from typing import Any

from engine.backtest.module_text import pct
from engine.labels import number
from engine.policy.simulate_text import answer, topic_label
from knowledge_base import Knowledge


def _t(kb: Knowledge, key: str, lang: str, **values: object) -> str:
    return kb.text(f"policy_step.shadow_report.{key}", lang, **values)


def _day_line(day: dict[str, Any], kb: Knowledge, lang: str) -> str:
    separator = "、" if lang == "zh" else ", "
    topics = separator.join(
        _t(kb, "topic", lang, topic=topic_label(topic, kb, lang), n=number(n))
        for topic, n in day["topics"].items()
    )
    return _t(
        kb,
        "day",
        lang,
        day=day["day"],
        consultations=number(day["consultations"]),
        differing=number(day["differing"]),
        topics=_t(kb, "topics", lang, topics=topics) if topics else "",
    )


def render_shadow_report(report: dict[str, Any], kb: Knowledge, lang: str) -> str:
    """The totals, one line a day, then the answers that would change."""
    if not report["consultations"]:
        return _t(kb, "empty", lang)
    separator = "、" if lang == "zh" else ", "
    share = pct(report["differing"] / report["consultations"], lang)
    lines = [
        _t(
            kb,
            "title",
            lang,
            consultations=number(report["consultations"]),
            drafts=separator.join(report["drafts"]),
            differing=number(report["differing"]),
            share=share,
        )
    ]
    lines += [_day_line(day, kb, lang) for day in report["days"]]
    if report["migration"]:
        lines.append(_t(kb, "migration_title", lang))
    for row in report["migration"]:
        topic = row["topic"]
        before, after = answer(topic, row["live"], lang), answer(topic, row["shadow"], lang)
        label = topic_label(topic, kb, lang)
        lines.append(
            _t(kb, "migration", lang, topic=label, before=before, after=after, n=number(row["n"]))
        )
    return "\n".join(lines)


__all__ = ["render_shadow_report"]
