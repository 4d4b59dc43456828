"""Conclusions with their explanations: the chain of reasons as sentences with the actual
values, the rule-chain graph of the firing, and why not each alternative.

Everything shown comes from the engine's result (already in the user's language) and the
engine's graph builder; this module only lays it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from engine.api import default_engine
from engine.graph import firing_dot
from engine.labels import number
from engine.render import formula_line
from engine.result import Conclusion, Result
from engine.trace import TraceStep
from knowledge_base import Knowledge
from rules import Rule
from ui.i18n import colon, kb, lang, t

SKIPPED_DETAILS = frozenset({"description"})


def detail_label(key: str) -> str:
    """Labels of conclusion details are the knowledge base's (shared with the CLI)."""
    text = kb().text(f"cli.detail.{key}", lang())
    return text[:1].upper() + text[1:]


def item_text(item: Any) -> str:
    if isinstance(item, dict) and "text" in item:
        weight = item.get("score")
        prefix = (
            f"[{t('explain.weight')} {number(weight)}] " if isinstance(weight, int | float) else ""
        )
        return prefix + str(item["text"])
    if isinstance(item, int | float) and not isinstance(item, bool):
        return number(item)
    return str(item)


def formula_text(formula: Mapping[str, Any]) -> str:
    """The engine's formula line (inputs by name), shown as it is in the CLI."""
    return formula_line(dict(formula), kb(), lang())


def details(conclusion: Conclusion, skip: frozenset[str] = SKIPPED_DETAILS) -> None:
    """A conclusion's details: lists as bullets (ranked records numbered), formulas spelt out."""
    for key, value in conclusion.details.items():
        if key in skip:
            continue
        name = detail_label(key)
        if key == "formula" and isinstance(value, dict):
            st.markdown(f"**{name}**{colon()}{formula_text(value)}")
        elif isinstance(value, list) and not value:
            st.markdown(f"**{name}**{colon()}{kb().text('explain.nothing', lang())}")
        elif isinstance(value, list):
            ranked = all(isinstance(i, dict) and "rank" in i for i in value)
            lines = [
                f"{i}. {item_text(v)}" if ranked else f"- {item_text(v)}"
                for i, v in enumerate(value, 1)
            ]
            st.markdown(f"**{name}**{colon().rstrip()}\n\n" + "\n".join(lines))
        else:
            st.markdown(f"**{name}**{colon()}{item_text(value)}")


def how(conclusion: Conclusion) -> None:
    st.markdown(f"**{t('explain.how')}**")
    st.markdown("\n".join(f"{i}. {step.text}" for i, step in enumerate(conclusion.how, 1)))


def why_not(conclusion: Conclusion) -> None:
    if not conclusion.why_not:
        return
    st.markdown(f"**{t('explain.why_not')}**")
    lines = (f"- *{w.label}* — {w.rule}{colon()}{w.failed}" for w in conclusion.why_not)
    st.markdown("\n".join(lines))


def chain_graph(
    trace: Sequence[TraceStep],
    rules: Mapping[str, Rule],
    knowledge: Knowledge,
    target: tuple[str, Any] | None = None,
) -> None:
    st.caption(t("explain.graph"))
    st.graphviz_chart(firing_dot(trace, rules, knowledge, lang(), target), width="stretch")


def conclusion(result: Result, found: Conclusion, expanded: bool = False) -> None:
    """One conclusion as an expander: meaning, details, how (sentences and graph), why not."""
    title = f"{found.topic_label}{colon()}**{found.label}**"
    box = st.expander(
        title, expanded=expanded, key=f"explain_{found.topic}_{found.value}", on_change="rerun"
    )
    with box:
        description = found.details.get("description")
        if description:
            st.markdown(f"*{description}*")
        details(found)
        st.caption(t("explain.rules", rules=", ".join(found.rules)))
        how(found)
        if box.open:  # drawn in the browser, which takes a while: only when it is looked at
            compiled = default_engine().compiled
            target = (found.topic, found.value)
            chain_graph(result.trace, compiled.rules, compiled.knowledge, target)
        why_not(found)


def module_conclusions(
    result: Result, modules: tuple[str, ...], final: bool = True
) -> list[Conclusion]:
    topics = kb().topics
    return [
        c
        for c in result.conclusions
        if c.topic in topics and topics[c.topic].module in modules and (c.intermediate != final)
    ]


def summary(result: Result, modules: tuple[str, ...]) -> None:
    """The modules' answers at a glance (the engine's summary): answer, why, the path to a
    better answer, the next step. The details follow in expanders."""
    text, language = kb().text, lang()
    for part in (p for p in result.summary if p.module in modules):
        with st.container(border=True):
            st.markdown(f"**{part.title}** — {part.headline}")
            for key, items in (("summary.reasons", part.reasons), ("summary.path", part.path)):
                if items:
                    lines = "\n".join(f"- {item}" for item in items)
                    st.markdown(f"**{text(key, language)}**\n\n{lines}")
            if part.next_step:
                colon = text("summary.colon", language)
                st.markdown(f"**{text('summary.next', language)}**{colon}{part.next_step}")


def explanations(result: Result, modules: tuple[str, ...], heading: str | None = None) -> None:
    """The modules' summary first; then every final conclusion of ``modules`` as an expander,
    and the derived facts on request."""
    summary(result, modules)
    st.subheader(heading or t("explain.heading"))
    st.caption(t("explain.intro"))
    for found in module_conclusions(result, modules):
        conclusion(result, found)
    derived = module_conclusions(result, modules, final=False)
    if derived:
        with st.expander(t("explain.derived", count=len(derived))):
            for found in derived:
                rules = ", ".join(found.rules)
                st.markdown(f"- {found.topic_label}{colon()}**{found.label}** ({rules})")


def topic_card(result: Result, topic: str, heading: bool = True) -> None:
    """A topic's conclusion(s) in short: value, meaning and details, without the reasoning."""
    found = [c for c in result.conclusions if c.topic == topic]
    if not found:
        return
    if heading:
        st.markdown(f"#### {found[0].topic_label}")
    for item in found:
        st.markdown(f"**{item.label}**")
        description = item.details.get("description")
        if description:
            st.caption(description)
        details(item, skip=frozenset({"description", "evidence", "rank"}))


def figure(label: str, value: str, help: str | None = None) -> None:
    """A result that is a text label (a grade, a decision) under its short title: drawn whole
    and wrapped, where ``st.metric`` would cut it ("High-value custo…"). Numbers stay metrics."""
    with st.container(border=True):
        st.caption(label, help=help)
        st.markdown(f"**{value}**")
