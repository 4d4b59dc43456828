"""Closing coach (rep): the deal's situation → ranked techniques with script outlines,
objection answers, next actions, the channel, and what to avoid."""

from __future__ import annotations

import streamlit as st
from pydantic import BaseModel

from engine.result import Conclusion, Result
from knowledge_base.facts import Customer, Deal
from ui import auth, consult, customer_picker, examples, explain
from ui.i18n import t

PAGE = "closing"
SECTIONS: dict[str, type[BaseModel]] = {"customer": Customer, "deal": Deal}


def _ranked(result: Result, topic: str) -> list[Conclusion]:
    return [c for c in result.conclusions if c.topic == topic]


def _steps(items: object) -> str:
    if not isinstance(items, list):
        return str(items or "")
    return "\n".join(f"{i}. {step}" for i, step in enumerate(items, 1))


def techniques(result: Result) -> None:
    st.subheader(t("closing.techniques"))
    found = _ranked(result, "closing_technique")
    if not found:
        st.info(t("closing.no_technique"))
    for item in found:
        rank = item.details.get("rank", "")
        with st.container(border=True):
            st.markdown(f"### {rank}. {item.label}")
            st.markdown(str(item.details.get("description", "")))
            st.markdown(f"**{explain.detail_label('why')}:** {item.details.get('why', '')}")
            st.markdown(
                f"**{explain.detail_label('script')}:**\n\n{_steps(item.details.get('script'))}"
            )
            st.warning(f"**{explain.detail_label('risk')}:** {item.details.get('risk', '')}")
            conditions = item.details.get("credit_conditions")
            if conditions:
                st.markdown(
                    f"**{explain.detail_label('credit_conditions')}:** {', '.join(conditions)}"
                )
            st.caption(" · ".join(item.details.get("evidence", [])))


def objections(result: Result) -> None:
    found = _ranked(result, "objection_response")
    if not found:
        return
    st.subheader(t("closing.objections"))
    for item in found:
        with st.container(border=True):
            st.markdown(f"**{item.label}**")
            for key in ("acknowledge", "redirect", "resolve"):
                if key in item.details:
                    st.markdown(f"- *{explain.detail_label(key)}:* {item.details[key]}")


def actions(result: Result) -> None:
    st.subheader(t("closing.actions"))
    for item in _ranked(result, "next_action"):
        how = item.details.get("how_to", "")
        st.markdown(f"{item.details.get('rank', '')}. **{item.label}** — {how}")
    channel = result.conclusion("recommended_channel")
    if channel is not None:
        st.info(
            t("closing.channel", channel=channel.label, why=channel.details.get("description", ""))
        )


def avoid(result: Result) -> None:
    found = _ranked(result, "avoid")
    if not found:
        return
    st.subheader(t("closing.avoid"))
    for item in found:
        st.error(
            f"**{item.label}** — {item.details.get('why', '')}\n\n"
            f"*{explain.detail_label('instead')}:* {item.details.get('instead', '')}",
            icon=":material/block:",
        )


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.closing.title"))
    st.caption(t("page.closing.intro"))
    examples.example_picker(PAGE, ("closing",), SECTIONS)
    customer_picker.customer_picker(PAGE, SECTIONS)
    found = consult.section_form(
        PAGE, SECTIONS, "closing.submit", folded=("customer",), optional=("customer",)
    )
    if found is None:
        return
    outcome, result = found
    st.header(t("closing.result"))
    consult.recorded_note(outcome, result)
    left, right = st.columns([3, 2])
    with left:
        techniques(result)
    with right:
        actions(result)
        objections(result)
        avoid(result)
    explain.explanations(result, ("closing",))


if __name__ == "__main__":
    render()
