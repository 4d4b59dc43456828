"""What the Policy page asks the engine for (issue 21): the drafts of the policy workbench
(``engine.policy.drafts``), their later steps (``engine.policy.lifecycle``) and the live policy
(``engine.policy.live``), and the page's texts, widget keys and notes.

Every request is a button's callback, so it runs before the page is drawn again and the page
shows the draft as the request left it. Every check is the engine's: before a request, the
page asks the engine's own checks of the fields it can name (``parse_value``, ``check_name``,
``check_reason``) so that each refusal is shown under its field; whatever the request itself
refuses (``PolicyError``) is shown under the field or the buttons that asked for it. Nothing is
decided here.

Widget keys are built from ids (the draft's name, a parameter's or a rule's id, a step), never
from labels: a language switch keeps what was typed. A note (a refusal or the engine's
confirmation) is kept per place of the page; a confirmation keeps the engine's result and is
told in the language of the page each time it is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.recording import shared_store
from engine.policy.checks import (
    DRAFTING_ROLES,
    REASON_CHARS,
    check_name,
    check_reason,
    parse_value,
)
from engine.policy.drafts import Outcome, create_draft, set_parameter, switch_rule
from engine.policy.lifecycle import APPROVING_ROLES, STEPS, Done, publish, review, rollback
from engine.policy.model import PUBLISH, Draft, Who
from engine.policy.refusal import PolicyError
from engine.policy.render import render_outcome
from engine.policy.render_steps import render_done
from engine.users import User
from ui import auth
from ui.i18n import kb, lang, t
from ui.inert import plain

PAGE = "policy"
DRAFT = f"{PAGE}_draft"
"""The chosen draft (its name)."""
NOTES = f"{PAGE}_notes"
CREATE, ROLLBACK = "create", "rollback"
NEW_NAME, NEW_REASON = f"{PAGE}_{CREATE}_name", f"{PAGE}_{CREATE}_reason"
ROLLBACK_REASON = f"{PAGE}_{ROLLBACK}_reason"
"""A field's key is also the place of its refusal (``problem_at``)."""


def pt(key: str, **values: object) -> str:
    """The page text ``ui.policy.<key>`` in the current language."""
    return t(f"policy.{key}", **values)


def key(*parts: object) -> str:
    """A widget key or a note's place from ids: ``policy_value_q3_credit.risk_high_min_score``."""
    return "_".join([PAGE, *(str(p) for p in parts)])


def who(user: User) -> Who:
    return Who(user.username, user.role, channel="ui")


def may_draft(user: User) -> bool:
    """Whether the user's role drafts (the engine's roles: ``DRAFTING_ROLES``)."""
    return user.role in DRAFTING_ROLES


def may_take(user: User, event: str) -> bool:
    """Whether the user's role takes a step (the engine's roles of ``STEPS``)."""
    roles = STEPS[event].roles if event in STEPS else APPROVING_ROLES
    return user.role in roles


def steps_now(draft: Draft) -> list[str]:
    """The steps the draft's status allows now (the engine's ``STEPS``), in their order."""
    return [event for event, step in STEPS.items() if draft.status in step.before]


# -- notes: a refusal at its field, or the engine's confirmation -------------------------------


@dataclass(frozen=True)
class Note:
    """A refusal (``text``), or what a request stored (``outcome`` of a draft's change, or
    ``done`` step), told again in the page's language whenever it is drawn."""

    text: str | None = None
    outcome: Outcome | None = None
    created: bool = False
    done: Done | None = None


def notes() -> dict[str, Note]:
    found: dict[str, Note] = st.session_state.setdefault(NOTES, {})
    return found


def problem_at(where: str) -> None:
    """The refusal noted for ``where`` (a field, or the buttons of a request), if any."""
    note = notes().get(where)
    if note is not None and note.text is not None:
        st.error(plain(note.text), icon=":material/warning:")


def done_at(where: str) -> None:
    """The engine's confirmation of the request made at ``where``, if any."""
    note = notes().get(where)
    if note is None:
        return
    if note.outcome is not None:
        st.success(plain(render_outcome(note.outcome, note.created, kb(), lang())))
    elif note.done is not None:
        version = note.done.live.engine().version
        st.success(plain(render_done(note.done, version, kb(), lang())))


def reason_field(state_key: str) -> None:
    """A reason's input, with its refusal under it."""
    help_text = pt("reason_help", limit=REASON_CHARS)
    st.text_input(pt("reason"), key=state_key, max_chars=REASON_CHARS, help=help_text)
    problem_at(state_key)


def _field_problems(checks: Mapping[str, Callable[[], object]]) -> dict[str, Note]:
    """Each field's refusal by the engine's own check of it (place → note)."""
    found = {}
    for where, check in checks.items():
        try:
            check()
        except PolicyError as exc:
            found[where] = Note(str(exc))
    return found


def _request(
    where: str, checks: Mapping[str, Callable[[], object]], run: Callable[[], Note]
) -> None:
    """Check the fields, then make the request; note every refusal at its place, or the
    engine's confirmation at ``where``. Earlier notes are dropped: they described the page
    before this request."""
    found = notes()
    found.clear()
    problems = _field_problems(checks)
    if problems:
        found.update(problems)
        return
    try:
        found[where] = run()
    except PolicyError as exc:
        found[where] = Note(str(exc))
    except AuditError as exc:
        found[where] = Note(pt("unavailable", problem=str(exc)))


def _text(state_key: str) -> str:
    return str(st.session_state.get(state_key) or "")


# -- requests (buttons' callbacks) ------------------------------------------------------------


def create() -> None:
    """Create a draft from the name and reason typed; it becomes the chosen draft."""
    user = auth.current_user()
    if user is None:
        return
    name, reason = _text(NEW_NAME).strip(), _text(NEW_REASON)
    checks = {
        NEW_NAME: lambda: check_name(name, lang()),
        NEW_REASON: lambda: check_reason(reason, lang()),
    }

    def run() -> Note:
        outcome = create_draft(shared_store(), name, who(user), reason, lang=lang())
        st.session_state[DRAFT] = name
        st.session_state[NEW_NAME] = st.session_state[NEW_REASON] = ""
        return Note(outcome=outcome, created=True)

    _request(NEW_NAME, checks, run)


def set_value(draft: str, parameter: str) -> None:
    """Set the parameter's value typed in the draft, with the reason typed beside it."""
    user = auth.current_user()
    if user is None:
        return
    typed, reason = _text(key("value", draft, parameter)), _text(key("reason", draft, parameter))
    value_at = key("value", draft, parameter)
    checks = {
        value_at: lambda: parse_value(parameter, typed, kb(), lang()),
        key("reason", draft, parameter): lambda: check_reason(reason, lang()),
    }

    def run() -> Note:
        value = parse_value(parameter, typed, kb(), lang())
        outcome = set_parameter(shared_store(), draft, parameter, value, who(user), reason, lang())
        st.session_state[key("reason", draft, parameter)] = ""
        return Note(outcome=outcome)

    _request(value_at, checks, run)


def switch(draft: str, rule: str, off: bool) -> None:
    """Switch the chosen rule off in the draft, or back on."""
    user = auth.current_user()
    if user is None:
        return
    reason = _text(key("rule_reason", draft))
    checks = {key("rule_reason", draft): lambda: check_reason(reason, lang())}

    def run() -> Note:
        outcome = switch_rule(shared_store(), draft, rule, off, who(user), reason, lang())
        st.session_state[key("rule_reason", draft)] = ""
        return Note(outcome=outcome)

    _request(key("rule", draft), checks, run)


def step(draft: str, event: str) -> None:
    """Submit, approve, reject or publish the draft, with the reason typed for the step."""
    user = auth.current_user()
    if user is None:
        return
    reason = _text(key("step_reason", draft))
    checks = {key("step_reason", draft): lambda: check_reason(reason, lang())}

    def run() -> Note:
        if event == PUBLISH:
            done = publish(shared_store(), draft, who(user), reason, lang())
        else:
            done = review(shared_store(), draft, event, who(user), reason, lang())
        st.session_state[key("step_reason", draft)] = ""
        return Note(done=done)

    _request(key("step", draft), checks, run)


def roll_back() -> None:
    """Take the live publication off: the policy before it is live again."""
    user = auth.current_user()
    if user is None:
        return
    reason = _text(ROLLBACK_REASON)
    checks = {ROLLBACK_REASON: lambda: check_reason(reason, lang())}

    def run() -> Note:
        done = rollback(shared_store(), who(user), reason, lang())
        st.session_state[ROLLBACK_REASON] = ""
        return Note(done=done)

    _request(key(ROLLBACK), checks, run)


__all__ = [
    "DRAFT",
    "NEW_NAME",
    "NEW_REASON",
    "PAGE",
    "ROLLBACK_REASON",
    "Note",
    "create",
    "done_at",
    "key",
    "may_draft",
    "may_take",
    "notes",
    "problem_at",
    "pt",
    "reason_field",
    "roll_back",
    "set_value",
    "steps_now",
    "switch",
    "who",
]
