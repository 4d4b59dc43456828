"""Streamlit front end: gathers input, calls the engine API, renders. No logic here."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import yaml

from engine import consult
from engine.api import default_engine

EXAMPLE = Path(__file__).parent / "examples" / "grading-key-account.yaml"

st.set_page_config(page_title="sales-expert", page_icon="📊", layout="wide")
kb = default_engine().compiled.knowledge
st.session_state.setdefault(
    "lang", "zh" if (st.context.locale or "").lower().startswith("zh") else "en"
)
lang = st.sidebar.radio(
    "Language / 语言", ["en", "zh"], format_func={"en": "English", "zh": "简体中文"}.get, key="lang"
)

case = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
result = consult(case, lang=lang, channel="ui")
st.title(kb.text("ui.grading.title", lang))
st.caption(
    kb.text(
        "ui.grading.example",
        lang,
        customer=case["customer"]["name"],
        version=result.ruleset_version,
    )
)
for conclusion in (c for c in result.conclusions if not c.intermediate):
    with st.expander(f"{conclusion.topic_label}: **{conclusion.label}**", expanded=False):
        st.write(conclusion.details.get("description", ""))
        for step in conclusion.how:
            st.markdown(f"- {step.text}")
        for blocked in conclusion.why_not:
            st.markdown(f"- *{blocked.label}*: {blocked.rule} {blocked.failed}")
