"""The chosen draft's parameters and rules on the Policy page.

Parameters are grouped by module (the module a parameter's name starts with, as
``knowledge_base/parameters/<module>.yaml`` holds it): a table of the module's parameters with
the draft's, the live and the shipped value, the declared range, the description and the
rationale with its sources; then the chosen parameter on its own, where an administrator types
a new value and the reason. The value is checked by the engine: its refusal (naming the
parameter, the value and the range) is shown under the value, a missing reason under the
reason. Rules are switched off or back on the same way. Values are the engine's words
(``engine.parameter_values``: unit, range); labels, never ids, name things in sentences.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from engine.catalog import unit_label
from engine.parameter_values import range_text, shown_value
from engine.policy.live import LivePolicy
from engine.policy.model import OPEN, Draft
from knowledge_base import Parameter
from knowledge_base.schema import MODULES
from rules import load_rules
from ui.i18n import colon, kb, labeller, lang, t
from ui.policy import done_at, key, problem_at, pt, reason_field, set_value, switch


def module_of(name: str) -> str:
    """The module a parameter belongs to: the first part of its name (``credit.…``)."""
    return name.split(".", 1)[0]


def modules() -> list[str]:
    present = {module_of(name) for name in kb().parameters}
    return [m for m in MODULES if m in present]


def names_in(module: str) -> list[str]:
    return sorted(n for n in kb().parameters if module_of(n) == module)


def typed(value: float) -> str:
    """A value as a person types it again: no grouping, no exponent for whole numbers."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _shown(parameter: Parameter, value: float) -> str:
    return shown_value(parameter, value, kb(), lang())


def _row(draft: Draft, live: LivePolicy, parameter: Parameter) -> dict[str, object]:
    name, chosen = parameter.name, lang()
    in_draft = draft.values.get(name, parameter.value)
    in_live = live.values.get(name, parameter.value)
    return {
        pt("col.parameter"): parameter.label.get(chosen),
        pt("col.draft"): _shown(parameter, in_draft),
        pt("col.live"): _shown(parameter, in_live),
        pt("col.differs"): in_draft != in_live,
        pt("col.shipped"): _shown(parameter, parameter.value),
        pt("col.range"): range_text(parameter, kb(), chosen),
        pt("col.description"): parameter.description.get(chosen),
        pt("col.rationale"): parameter.rationale.get(chosen),
        pt("col.id"): name,
    }


def table(draft: Draft, live: LivePolicy, module: str) -> None:
    """The module's parameters; only those the draft sets apart from the live policy if the
    toggle says so."""
    parameters = [kb().parameters[n] for n in names_in(module)]
    only = st.toggle(pt("only_differing"), key=key("only_differing", draft.name, module))
    rows = [_row(draft, live, p) for p in parameters]
    if only:
        rows = [r for r in rows if r[pt("col.differs")]]
    if not rows:
        st.caption(pt("none_differing"))
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, height=320)


def card(draft: Draft, live: LivePolicy, name: str, editable: bool) -> None:
    """One parameter: what it is, its range, rationale and values, and (for an administrator
    on a draft being drafted) the new value and the reason, each with its refusal."""
    parameter, chosen = kb().parameters[name], lang()
    with st.container(border=True):
        st.markdown(f"**{parameter.label.get(chosen)}**")
        st.caption(parameter.description.get(chosen))
        cells = st.columns(3)
        values = (draft.values.get(name, parameter.value), live.values.get(name), parameter.value)
        for cell, which, value in zip(cells, ("draft", "live", "shipped"), values, strict=True):
            shown = _shown(parameter, parameter.value if value is None else value)
            cell.metric(pt(f"value.{which}"), shown)
        st.caption(pt("range", range=range_text(parameter, kb(), chosen)))
        st.caption(pt("rationale", text=parameter.rationale.get(chosen)))
        if editable:
            editor(draft, name, values[0])


def editor(draft: Draft, name: str, current: float) -> None:
    unit = kb().parameters[name].unit
    value_at, reason_at = key("value", draft.name, name), key("reason", draft.name, name)
    st.text_input(
        pt("new_value", unit=_unit(unit)), value=typed(current), key=value_at, max_chars=40
    )
    problem_at(value_at)
    reason_field(reason_at)
    st.button(
        pt("set"),
        key=key("set", draft.name, name),
        on_click=set_value,
        args=(draft.name, name),
        type="primary",
    )
    done_at(value_at)


def _unit(unit: str) -> str:
    return unit_label(unit, kb(), lang())


def parameters(draft: Draft, live: LivePolicy, editable: bool) -> None:
    """The parameters, one module at a time, and the chosen one on its own."""
    found = modules()
    module = st.radio(
        pt("module"),
        found,
        format_func=labeller(found, lambda m: t(f"module.{m}")),
        key=key("module", draft.name),
        horizontal=True,
    )
    module = module if module in found else found[0]
    table(draft, live, module)
    names = names_in(module)
    labels = {n: kb().parameters[n].label.get(lang()) for n in names}
    chosen = st.selectbox(
        pt("parameter"),
        names,
        format_func=labeller(names, labels.__getitem__),
        key=key("parameter", draft.name, module),
    )
    if chosen in labels:
        card(draft, live, chosen, editable and draft.status == OPEN)


def _rule_label(rule_id: str) -> str:
    rule = load_rules().by_id().get(rule_id)
    return f"{rule_id} · {rule.title.get(lang())}" if rule else rule_id


def rules(draft: Draft, editable: bool) -> None:
    """The rules the draft switches off, and (for an administrator) switching one."""
    off = sorted(draft.rules_off)
    if off:
        st.markdown(pt("rules_off") + colon().rstrip())
        st.markdown("\n".join(f"- {_rule_label(r)}" for r in off))
    else:
        st.caption(pt("no_rules_off"))
    if not (editable and draft.status == OPEN):
        return
    ids = list(load_rules().by_id())
    chosen = st.selectbox(
        pt("rule"), ids, format_func=labeller(ids, _rule_label), key=key("rule_choice", draft.name)
    )
    problem_at(key("rule", draft.name))
    reason_field(key("rule_reason", draft.name))
    is_off = chosen in draft.rules_off
    st.button(
        pt("rule_on" if is_off else "rule_off"),
        key=key("switch", draft.name),
        on_click=switch,
        args=(draft.name, str(chosen), not is_off),
    )
    done_at(key("rule", draft.name))


__all__ = ["module_of", "modules", "names_in", "parameters", "rules", "typed"]
