"""Knowledge base (everyone): every rule with its text, parameters and source citation, the
parameters and the sources, and a graph of how the rules chain from input facts to
conclusions (``ui.knowledge_graph``: per module or around one conclusion, at any size)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.api import default_engine
from engine.catalog import RuleRow, parameter_rows, rule_rows, source_rows, unit_label
from engine.labels import number
from knowledge_base.schema import MODULES
from ui import auth
from ui.i18n import kb, labeller, lang, t
from ui.knowledge_graph import network_tab

PAGE = "knowledge"
PARTS = ("rules", "parameters", "sources", "network")


def _modules() -> list[str]:
    present = {r.module for r in default_engine().compiled.rulebase.rules}
    return [m for m in MODULES if m in present]


def _module_label(module: str | None) -> str:
    return t("knowledge.all_modules") if module is None else t_module(module)


def t_module(module: str) -> str:
    return t(f"module.{module}")


def _matches(row: RuleRow, query: str) -> bool:
    if not query:
        return True
    haystack = " ".join(
        [row.id, row.title, row.rationale, *row.conditions, *row.conclusions, *row.parameters]
    )
    return query.lower() in haystack.lower()


def rule_detail(row: RuleRow) -> None:
    knowledge, chosen = kb(), lang()
    with st.container(border=True):
        st.markdown(f"### {row.id} · {row.title}")
        st.caption(f"{t_module(row.module)} · {t('knowledge.priority')} {row.priority}")
        st.markdown(f"**{t('knowledge.if')}**\n\n" + "\n".join(f"- {c}" for c in row.conditions))
        st.markdown(f"**{t('knowledge.then')}**\n\n" + "\n".join(f"- {c}" for c in row.conclusions))
        st.markdown(f"**{t('knowledge.rationale')}:** {row.rationale}")
        sources = []
        for citation in row.sources:
            tag = citation.split(" ", 1)[0]
            source = knowledge.sources.get(tag)
            sources.append(f"- `{citation}` — {source.title.get(chosen) if source else ''}")
        st.markdown(f"**{t('knowledge.sources')}**\n\n" + "\n".join(sources))
        if row.parameters:
            lines = []
            for name in row.parameters:
                param = knowledge.parameters.get(name)
                if param is not None:
                    value = f"{number(param.value)} {unit_label(param.unit, knowledge, chosen)}"
                    label = param.label.get(chosen)
                    lines.append(f"- {label} = **{value}** — {param.description.get(chosen)}")
            st.markdown(f"**{t('knowledge.parameters')}**\n\n" + "\n".join(lines))


def rules_tab() -> None:
    left, right = st.columns([1, 2])
    module = left.selectbox(
        t("knowledge.module"),
        [None, *_modules()],
        format_func=labeller([None, *_modules()], _module_label),
        key=f"{PAGE}_module",
    )
    query = right.text_input(t("knowledge.search"), key=f"{PAGE}_query").strip()
    rows = [
        r
        for r in rule_rows(default_engine().compiled.rulebase, kb(), lang(), module)
        if _matches(r, query)
    ]
    st.caption(t("knowledge.rule_count", count=len(rows)))
    table = pd.DataFrame(
        [
            {
                t("knowledge.col.id"): r.id,
                t("knowledge.col.module"): t_module(r.module),
                t("knowledge.col.title"): r.title,
                t("knowledge.col.if"): f" {t('knowledge.and')} ".join(r.conditions),
                t("knowledge.col.then"): "; ".join(r.conclusions),
                t("knowledge.col.sources"): "; ".join(r.sources),
                t("knowledge.col.priority"): r.priority,
                t("knowledge.col.parameters"): ", ".join(r.parameters),
                t("knowledge.col.rationale"): r.rationale,
            }
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True, height=360)
    if rows:
        by_id = {r.id: r for r in rows}
        chosen = st.selectbox(
            t("knowledge.open_rule"),
            list(by_id),
            format_func=labeller(by_id, lambda i: f"{i} · {by_id[i].title}"),
            key=f"{PAGE}_rule",
        )
        if chosen in by_id:
            rule_detail(by_id[chosen])


def parameters_tab() -> None:
    rows = parameter_rows(default_engine().compiled.rulebase, kb(), lang())
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("knowledge.col.label"): p.label,
                    t("knowledge.col.value"): p.value,
                    t("knowledge.col.unit"): p.unit,
                    t("knowledge.col.description"): p.description,
                    t("knowledge.col.rationale"): p.rationale,
                    t("knowledge.col.used_by"): ", ".join(p.used_by),
                    t("knowledge.col.name"): p.name,
                }
                for p in rows
            ]
        ),
        hide_index=True,
        height=480,
    )


def sources_tab() -> None:
    rows = source_rows(kb(), lang())
    st.dataframe(
        pd.DataFrame(
            [
                {
                    t("knowledge.col.tag"): s.tag,
                    t("knowledge.col.title"): s.title,
                    t("knowledge.col.sections"): s.sections,
                    t("knowledge.col.file"): s.file,
                }
                for s in rows
            ]
        ),
        hide_index=True,
    )


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.knowledge.title"))
    st.caption(t("page.knowledge.intro", version=default_engine().version))
    section = st.segmented_control(
        t("knowledge.section"),
        PARTS,
        format_func=labeller(PARTS, lambda name: t(f"knowledge.tab.{name}")),
        default=PARTS[0],
        required=True,
        key=f"{PAGE}_section",
        label_visibility="collapsed",
    )
    # one section at a time: the rule network is drawn in the browser, which takes seconds,
    # and tabs would draw it on every run, hidden or not
    if section == "parameters":
        parameters_tab()
    elif section == "sources":
        sources_tab()
    elif section == "network":
        network_tab(_modules(), _module_label)
    else:
        rules_tab()


if __name__ == "__main__":
    render()
