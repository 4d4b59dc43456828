"""Customer grading (rep, manager): grade, tier entitlements, strategy, maintenance plan."""

from __future__ import annotations

import streamlit as st
from pydantic import BaseModel

from knowledge_base.facts import Customer
from ui import auth, consult, customer_picker, examples, explain
from ui.i18n import t

PAGE = "grading"
SECTIONS: dict[str, type[BaseModel]] = {"customer": Customer}
GRADES = ("value_tier", "market_position", "loyalty", "lifecycle", "difference_class")


def render() -> None:
    auth.require(PAGE)
    st.title(t("page.grading.title"))
    st.caption(t("page.grading.intro"))
    examples.example_picker(PAGE, ("",), SECTIONS)
    customer_picker.customer_picker(PAGE, SECTIONS)
    found = consult.section_form(PAGE, SECTIONS, "grading.submit")
    if found is None:
        return
    outcome, result = found
    st.header(t("grading.result"))
    consult.recorded_note(outcome, result)
    cells = st.columns(3)
    for index, topic in enumerate(GRADES):
        cell = cells[index % 3]
        conclusion = result.conclusion(topic)
        if conclusion is not None:
            with cell:
                explain.figure(conclusion.topic_label, conclusion.label)
    left, middle, right = st.columns(3)
    with left:
        explain.topic_card(result, "service_tier")
    with middle:
        explain.topic_card(result, "portfolio_strategy")
    with right:
        explain.topic_card(result, "maintenance_plan")
        explain.topic_card(result, "maintenance_action")
    explain.explanations(result, ("grading",))


if __name__ == "__main__":
    render()
