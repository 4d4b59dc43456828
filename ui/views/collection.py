"""Collection coach (rep, manager): the overdue account and the behaviour observed → the debtor
type(s) with their evidence, the source's strategies, the occasion, the means and the cautions."""

from __future__ import annotations

import streamlit as st
from pydantic import BaseModel

from engine.labels import number
from engine.result import Conclusion, Result
from knowledge_base.facts import Collection, Customer
from ui import auth, consult, customer_picker, examples, explain
from ui.i18n import colon, t

PAGE = "collection"
SECTIONS: dict[str, type[BaseModel]] = {"customer": Customer, "collection": Collection}


def _all(result: Result, topic: str) -> list[Conclusion]:
    return [c for c in result.conclusions if c.topic == topic]


def _bullets(items: object) -> str:
    if not isinstance(items, list):
        return str(items or "")
    return "\n".join(f"- {explain.item_text(item)}" for item in items)


def debtor_types(result: Result) -> None:
    st.subheader(t("collection.types"))
    found = _all(result, "debtor_type")
    if not found:
        st.info(t("collection.no_type"))
        for advice in _all(result, "observation_advice"):
            st.markdown(f"**{advice.label}** — {advice.details.get('description', '')}")
            st.markdown(_bullets(advice.details.get("observe")))
        return
    for item in found:
        with st.container(border=True):
            score = number(item.score or 0)
            rank = item.details.get("rank", "")
            st.markdown(f"### {rank}. {item.label} — {t('collection.score', score=score)}")
            st.markdown(str(item.details.get("description", "")))
            st.markdown(
                f"**{explain.detail_label('signals')}:**\n\n{_bullets(item.details.get('signals'))}"
            )
            if "tied_with" in item.details:
                tied = ", ".join(item.details["tied_with"])
                st.warning(f"**{explain.detail_label('tied_with')}:** {tied}")
            if "hint_only" in item.details:
                st.caption(str(item.details["hint_only"]))
    mixture = found[0].details.get("mixture")
    if mixture:
        st.info(str(mixture))
    for advice in _all(result, "observation_advice"):
        st.info(f"**{advice.label}** — {advice.details.get('description', '')}")


def strategies(result: Result) -> None:
    found = _all(result, "collection_strategy")
    if not found:
        return
    st.subheader(t("collection.strategies"))
    for item in found:
        with st.container(border=True):
            st.markdown(f"**{item.details.get('rank', '')}. {item.label}**")
            target = item.details.get("for_type", "")
            st.caption(f"{explain.detail_label('for_type')}{colon()}{target}")
            st.markdown(f"**{explain.detail_label('do')}:** {item.details.get('do', '')}")
            st.markdown(f"**{explain.detail_label('say')}:** {item.details.get('say', '')}")


def occasions(result: Result) -> None:
    st.subheader(t("collection.occasions"))
    for item in _all(result, "collection_occasion"):
        with st.container(border=True):
            st.markdown(f"**{item.details.get('rank', '')}. {item.label}**")
            st.markdown(f"*{explain.detail_label('where')}:* {item.details.get('where', '')}")
            st.markdown(f"*{explain.detail_label('when')}:* {item.details.get('when', '')}")
            st.markdown(f"*{explain.detail_label('why')}:*\n\n{_bullets(item.details.get('why'))}")


def means(result: Result) -> None:
    st.subheader(t("collection.means"))
    level = result.conclusion("escalation_level")
    if level is not None:
        explain.figure(level.topic_label, level.label)
        st.caption(str(level.details.get("description", "")))
    found = _all(result, "collection_means")
    if not found:
        st.info(t("collection.no_means"))
    for item in found:
        severity, how = item.details.get("severity", ""), item.details.get("how_to", "")
        st.markdown(f"{severity}. **{item.label}** — {how}")
    hold = result.conclusion("credit_hold")
    if hold is not None:
        meaning = hold.details.get("description", "")
        shown = f"**{hold.topic_label}{colon()}{hold.label}** — {meaning}"
        if hold.value == "freeze":
            st.warning(shown)
        else:
            st.success(shown)


def techniques(result: Result) -> None:
    found = _all(result, "collection_technique")
    if not found:
        return
    st.subheader(t("collection.techniques"))
    for item in found:
        st.markdown(
            f"{item.details.get('rank', '')}. **{item.label}** — {item.details.get('how_to', '')}"
        )


def cautions(result: Result) -> None:
    st.subheader(t("collection.cautions"))
    for item in _all(result, "collection_caution"):
        st.error(f"**{item.label}** — {item.details.get('how_to', '')}", icon=":material/gavel:")


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.collection.title"))
    st.caption(t("page.collection.intro"))
    examples.example_picker(PAGE, ("collection",), SECTIONS)
    customer_picker.customer_picker(PAGE, SECTIONS)
    found = consult.section_form(PAGE, SECTIONS, "collection.submit", folded=("customer",))
    if found is None:
        return
    outcome, result = found
    st.header(t("collection.result"))
    consult.recorded_note(outcome, result)
    left, right = st.columns([3, 2])
    with left:
        debtor_types(result)
        strategies(result)
    with right:
        occasions(result)
        means(result)
        techniques(result)
        cautions(result)
    explain.explanations(result, ("collection",))


if __name__ == "__main__":
    render()
