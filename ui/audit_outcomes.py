"""Outcomes on the audit page: those recorded on a consultation, and a small form with which a
manager or an administrator records one — the outcome (module and kind), the date it was
observed, the amounts that kind needs, whether it corrects an earlier one, a note.

The form is made of plain widgets, not an ``st.form``: choosing another kind must show that
kind's fields at once. Widget keys are built from ids (``audit_outcome_<record>_<field>``) and
the kind's options are value ids (``credit:paid_late``) labelled in the current language, so a
language switch keeps what was entered. The store checks and records (``AuditStore.
record_outcomes``); every problem is shown at its field. Recorded texts (actors, notes) are
shown through ``ui.inert.plain``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore
from engine.errors import FieldProblem
from engine.outcomes.model import DETAILS, KINDS, parse_outcome, today
from engine.outcomes.records import Who
from engine.outcomes.text import corrected_by, outcome_lines
from ui import auth
from ui.i18n import kb, labeller, lang
from ui.inert import plain
from ui.numbers import read_typed

FORM = "audit_outcome"
UI_ROLES = ("manager", "admin")
"""Who records outcomes on this page (an auditor reads them)."""
DAY_FIELDS = ("days_late", "days_to_recover")
MONEY_FIELDS = ("amount_lost", "amount_recovered", "deal_value", "revenue")
SHOWN_APART = ("observed_at", "corrects", "note", *DETAILS)
"""Fields with a widget of their own: their problems are shown under it."""


def ot(key: str, **values: object) -> str:
    """The page's outcome text ``outcomes.ui.<key>`` in the current language."""
    return kb().text(f"outcomes.ui.{key}", lang(), **values)


def label(field: str) -> str:
    return kb().text(f"outcomes.field.{field}", lang())


def key(record_id: int, name: str) -> str:
    return f"{FORM}_{record_id}_{name}"


def listing(audit: AuditStore, consultation_id: int) -> list[AuditRecord]:
    """The consultation's outcomes, oldest first, each with its details and corrections."""
    outcomes = audit.outcomes_for(consultation_id)
    st.markdown(f"#### {ot('heading')}")
    if not outcomes:
        st.caption(ot("none"))
    later = corrected_by(outcomes)
    for record in outcomes:
        st.markdown(plain("\n".join(outcome_lines(record, later.get(record.id), kb(), lang()))))
    return outcomes


def single(record: AuditRecord, audit: AuditStore) -> None:
    """An outcome record opened on its own: its consultation, the outcome, its corrections."""
    st.markdown(ot("on_consultation", id=record.ref_id))
    siblings = audit.outcomes_for(record.ref_id) if record.ref_id is not None else []
    later = corrected_by(siblings).get(record.id)
    st.markdown(plain("\n".join(outcome_lines(record, later, kb(), lang()))))


def choices(modules: tuple[str, ...]) -> list[str]:
    """``module:kind`` of every outcome the consultation's modules can have."""
    return [f"{m}:{k}" for m in KINDS if m in modules for k in KINDS[m]]


def _kind_label(choice: str) -> str:
    module, _, outcome = choice.partition(":")
    return ot(
        "kind_label",
        module=kb().text(f"outcomes.module.{module}", lang()),
        outcome=kb().text(f"outcomes.kind.{outcome}", lang()),
    )


def _field_error(problems: dict[str, str], field: str) -> None:
    if field in problems:
        st.error(problems[field], icon=":material/warning:")


def _detail(record_id: int, name: str, problems: dict[str, str]) -> None:
    """The widget of one detail field the chosen kind has."""
    where = key(record_id, name)
    if name in DAY_FIELDS or name in MONEY_FIELDS:  # typed as people type them: 1,200,000
        st.text_input(label(name), key=where)
    elif name == "repeat_purchase":
        options = [None, True, False]
        names = labeller(options, lambda v: "—" if v is None else _yes_no(v))
        st.selectbox(label(name), options, format_func=names, key=where)
    else:
        st.date_input(label(name), value=None, max_value=today(), key=where)
    _field_error(problems, name)


def _yes_no(value: bool) -> str:
    return kb().text(f"explain.bool.{str(value).lower()}", lang())


def form(record: AuditRecord, outcomes: list[AuditRecord]) -> None:
    """The form, for a manager or an administrator (see the module docstring)."""
    user = auth.current_user()
    if user is None or user.role not in UI_ROLES:
        st.caption(ot("managers_only"))
        return
    options = choices(record.modules)
    if not options:
        st.caption(ot("no_module"))
        return
    st.markdown(f"##### {ot('record')}")
    st.caption(ot("intro", id=record.id))
    problems: dict[str, str] = st.session_state.get(key(record.id, "errors")) or {}
    chosen = st.selectbox(
        ot("kind"), options, format_func=labeller(options, _kind_label), key=key(record.id, "kind")
    )
    module, _, outcome = str(chosen).partition(":")
    st.date_input(
        label("observed_at"), value=None, max_value=today(), key=key(record.id, "observed_at")
    )
    _field_error(problems, "observed_at")
    for name in KINDS[module][outcome].fields:
        _detail(record.id, name, problems)
    earlier = [None, *(o.id for o in outcomes)]
    names = labeller(earlier, lambda i: ot("corrects_none") if i is None else f"#{i}")
    st.selectbox(label("corrects"), earlier, format_func=names, key=key(record.id, "corrects"))
    _field_error(problems, "corrects")
    st.text_input(label("note"), max_chars=500, key=key(record.id, "note"))
    _field_error(problems, "note")
    _field_error(problems, "form")
    st.button(
        ot("submit"),
        key=key(record.id, "submit"),
        on_click=_record,
        args=(record.id,),
        type="primary",
    )
    _done(record.id)


def _done(record_id: int) -> None:
    done = st.session_state.get(key(record_id, "done"))
    if done:
        what, found = done
        (st.success if what == "recorded" else st.info)(ot(what, id=found))


def _entered(record_id: int) -> dict[str, Any]:
    """What the form holds, as an outcome's fields (the chosen kind's only)."""
    state = st.session_state
    module, _, outcome = str(state.get(key(record_id, "kind"))).partition(":")
    data: dict[str, Any] = {"consultation_id": record_id, "module": module, "outcome": outcome}
    kind = KINDS.get(module, {}).get(outcome)
    for name in ("observed_at", "corrects", *(kind.fields if kind else ())):
        value = state.get(key(record_id, name))
        if name in DAY_FIELDS or name in MONEY_FIELDS:
            value, _ = read_typed(value, label(name), whole=name in DAY_FIELDS)
        if value is not None:
            data[name] = value
    note = str(state.get(key(record_id, "note")) or "").strip()
    if note:
        data["note"] = note
    return data


def _shown(problems: list[FieldProblem] | tuple[FieldProblem, ...]) -> dict[str, str]:
    """Problems by the widget they are shown under (the others under the form)."""
    found: dict[str, list[str]] = {}
    for p in problems:
        where = p.field if p.field in SHOWN_APART else "form"
        text = p.message if where != "form" else f"{label(p.field)}: {p.message}"
        found.setdefault(where, []).append(plain(text))
    return {where: "\\\n".join(texts) for where, texts in found.items()}


def _typed_problems(record_id: int) -> dict[str, str]:
    """The day and amount fields whose text is not a number, by field."""
    found = {}
    for name in (*DAY_FIELDS, *MONEY_FIELDS):
        _, problem = read_typed(st.session_state.get(key(record_id, name)), label(name))
        if problem:
            found[name] = problem
    return found


def _record(record_id: int) -> None:
    """The submit button's callback: validate, let the store link, check and record."""
    user, state = auth.current_user(), st.session_state
    if user is None:
        return
    state.pop(key(record_id, "done"), None)
    typed = _typed_problems(record_id)
    if typed:
        state[key(record_id, "errors")] = typed
        return
    parsed = parse_outcome(_entered(record_id), lang())
    if isinstance(parsed, list):
        state[key(record_id, "errors")] = _shown(parsed)
        return
    try:
        who = Who(user.username, user.role, "ui")
        [settled] = shared_store().record_outcomes([parsed], who, lang())
    except AuditError as exc:
        state[key(record_id, "errors")] = {"form": plain(exc)}
        return
    if settled.problems:
        state[key(record_id, "errors")] = _shown(settled.problems)
        return
    state.pop(key(record_id, "errors"), None)
    if settled.record_id is not None:
        state[key(record_id, "done")] = ("recorded", settled.record_id)
        for name in ("observed_at", "corrects", *DETAILS):
            as_text = name in DAY_FIELDS or name in MONEY_FIELDS
            state[key(record_id, name)] = "" if as_text else None
        state[key(record_id, "note")] = ""
    else:
        state[key(record_id, "done")] = ("duplicate", settled.duplicate_of)


def section(audit: AuditStore, record: AuditRecord) -> None:
    """A consultation's outcomes and the form to record one."""
    outcomes = listing(audit, record.id)
    form(record, outcomes)


__all__ = ["UI_ROLES", "choices", "form", "key", "listing", "section", "single"]
