"""Running a consultation from a page's form, and keeping its outcome in the session.

The consultation is recorded once, in the language it was asked in, with the signed-in user
as actor (channel ``ui``). Switching the language shows the same case re-explained by the
engine in the other language without recording it again; the audit record stays the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from pydantic import BaseModel

from engine import consult
from engine.audit.errors import AuditError
from engine.errors import InputError, SalesExpertError
from engine.result import Result
from ui import forms
from ui.auth import current_user
from ui.i18n import lang, t
from ui.inert import plain


@dataclass
class Outcome:
    case: dict[str, Any]
    audit_id: int | None
    results: dict[str, Result] = field(default_factory=dict)


def outcome_key(page: str) -> str:
    return f"{page}_outcome"


def errors_key(page: str) -> str:
    return f"{page}_errors"


def submit(
    page: str, sections: Mapping[str, type[BaseModel]], optional: tuple[str, ...] = ()
) -> None:
    """The form's callback: validate every section at its fields, then consult. An
    ``optional`` section left entirely empty is left out of the case (the closing coach
    coaches a deal without a customer)."""
    user = current_user()
    if user is None:
        return
    case = {name: forms.read_section(page, name, model) for name, model in sections.items()}
    case = {name: values for name, values in case.items() if values or name not in optional}
    problems: dict[str, str] = {}
    for name, values in case.items():
        problems.update(forms.validate_section(name, sections[name], values))
        problems.update(forms.number_problems(page, name, sections[name]))
    st.session_state.pop(outcome_key(page), None)
    st.session_state[errors_key(page)] = problems
    if problems:
        return
    try:
        result = consult(case, lang=lang(), actor=user.username, role=user.role, channel="ui")
    except InputError as exc:
        st.session_state[errors_key(page)] = forms.field_problems(exc, tuple(sections))
        return
    except AuditError as exc:
        st.session_state[errors_key(page)] = {
            forms.FORM_ERROR: t("consult.not_recorded", problem=plain(exc))
        }
        return
    except SalesExpertError as exc:
        st.session_state[errors_key(page)] = {
            forms.FORM_ERROR: t("consult.failed", problem=plain(exc))
        }
        return
    st.session_state[outcome_key(page)] = Outcome(case, result.audit_id, {result.lang: result})


def current(page: str) -> tuple[Outcome, Result] | None:
    """The page's last outcome and its result in the current language (re-explained, not
    re-recorded, after a language switch)."""
    outcome = st.session_state.get(outcome_key(page))
    if not isinstance(outcome, Outcome):
        return None
    chosen = lang()
    if chosen not in outcome.results:
        outcome.results[chosen] = consult(outcome.case, lang=chosen, record=False)
    return outcome, outcome.results[chosen]


def errors(page: str) -> dict[str, str]:
    found = st.session_state.get(errors_key(page))
    return found if isinstance(found, dict) else {}


def show_form_error(page: str) -> None:
    problem = errors(page).get(forms.FORM_ERROR)
    if problem:
        st.error(problem)
    elif errors(page):
        st.error(t("form.fix_marked", count=len(errors(page))))


def recorded_note(outcome: Outcome, result: Result) -> None:
    """Which rule base answered, and the audit record (or that none was made)."""
    if outcome.audit_id is not None:
        st.caption(t("consult.recorded", id=outcome.audit_id, version=result.ruleset_version))
    else:
        st.caption(t("consult.unrecorded", version=result.ruleset_version))


def section_form(
    page: str,
    sections: Mapping[str, type[BaseModel]],
    submit_key: str,
    folded: tuple[str, ...] = (),
    optional: tuple[str, ...] = (),
) -> tuple[Outcome, Result] | None:
    """A page's case form: each section open under its heading, the ``folded`` ones (the
    customer, on the coaching pages) in an expander below; then the current outcome, if any.
    Errors are summarised above the form and shown at their fields (they open the folded
    sections); an ``optional`` section may be left empty. Plain widgets in a bordered box, not
    an ``st.form``: a form's values reach the server only when it is submitted, and what is
    typed must be kept at once (a reload gives it back, ``ui.session``)."""
    problems = errors(page)
    show_form_error(page)
    with st.container(border=True):
        for name, model in sections.items():
            if name not in folded:
                st.subheader(t(f"section.{name}"))
                forms.render_section(page, name, model, problems)
        for name in folded:
            with st.expander(t(f"section.{name}"), expanded=bool(problems)):
                forms.render_section(page, name, sections[name], problems)
        st.button(
            t(submit_key),
            on_click=submit,
            args=(page, sections, optional),
            type="primary",
            key=f"{page}_form_submit",
        )
    return current(page)
