"""The outcome model on its own: every kind's required and foreign fields, ISO dates, no future,
a link, strict types, messages at their field in both languages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from engine.errors import FieldProblem
from engine.outcomes.model import DETAILS, KINDS, Outcome, parse_outcome

TODAY = date(2025, 6, 30)
FULL: dict[str, Any] = {
    "days_late": 12,
    "amount_lost": 25_000.0,
    "amount_recovered": 18_000.0,
    "days_to_recover": 45,
    "deal_value": 120_000.0,
    "repeat_purchase": True,
    "revenue": 640_000.0,
    "period_from": "2025-01-01",
}
"""A valid value of every detail field."""
ISO = "must be a date written YYYY-MM-DD (ISO 8601), such as 2025-03-31"
KIND_CASES = [(module, outcome) for module, kinds in KINDS.items() for outcome in kinds]


def base(module: str, outcome: str, **fields: Any) -> dict[str, Any]:
    return {
        "consultation_id": 7,
        "module": module,
        "outcome": outcome,
        "observed_at": "2025-03-31",
        **fields,
    }


def problems(data: dict[str, Any], lang: str = "en") -> dict[str, str]:
    """Field → message of a refused outcome (fails if it was accepted)."""
    found = parse_outcome(data, lang, TODAY)
    assert isinstance(found, list), f"accepted: {found!r}"
    assert all(isinstance(p, FieldProblem) for p in found)
    return {p.field: p.message for p in found}


def accepted(data: dict[str, Any]) -> Outcome:
    found = parse_outcome(data, "en", TODAY)
    assert isinstance(found, Outcome), found
    return found


def test_the_kinds_are_the_issues() -> None:
    assert {m: sorted(k) for m, k in KINDS.items()} == {
        "grading": ["purchases"],
        "credit": ["defaulted", "paid_late", "paid_on_time", "written_off"],
        "collection": ["legal", "recovered", "written_off"],
        "closing": ["lost", "won"],
    }


@pytest.mark.parametrize(("module", "outcome"), KIND_CASES)
def test_every_kind_with_its_fields_is_accepted(module: str, outcome: str) -> None:
    kind = KINDS[module][outcome]
    got = accepted(base(module, outcome, **{n: FULL[n] for n in kind.fields}))
    assert (got.module, got.outcome, got.observed_at) == (module, outcome, date(2025, 3, 31))
    facts = got.facts()
    assert "consultation_id" not in facts and facts["observed_at"] == "2025-03-31"
    assert set(facts) == {"module", "outcome", "observed_at", *kind.fields}


@pytest.mark.parametrize(
    ("module", "outcome", "field"),
    [(m, o, f) for m, o in KIND_CASES for f in KINDS[m][o].required],
)
def test_each_required_field_is_named_when_missing(module: str, outcome: str, field: str) -> None:
    kind = KINDS[module][outcome]
    given = {n: FULL[n] for n in kind.fields if n != field}
    found = problems(base(module, outcome, **given))
    assert list(found) == [field]
    assert found[field].startswith("is required when the outcome is “")


def test_the_required_fields_are_the_issues() -> None:
    required = {(m, o): KINDS[m][o].required for m, o in KIND_CASES if KINDS[m][o].required}
    assert required == {
        ("grading", "purchases"): ("repeat_purchase", "revenue"),
        ("credit", "paid_late"): ("days_late",),
        ("credit", "written_off"): ("amount_lost",),
        ("collection", "recovered"): ("amount_recovered", "days_to_recover"),
        ("closing", "won"): ("deal_value",),
    }


@pytest.mark.parametrize(("module", "outcome"), KIND_CASES)
def test_a_field_of_another_kind_is_refused(module: str, outcome: str) -> None:
    foreign = next(n for n in DETAILS if n not in KINDS[module][outcome].fields)
    kind = KINDS[module][outcome]
    data = base(module, outcome, **{n: FULL[n] for n in kind.fields}, **{foreign: FULL[foreign]})
    found = problems(data)
    assert list(found) == [foreign] and "does not apply when the outcome is" in found[foreign]


def test_paid_late_needs_days_late_above_zero_and_written_off_a_loss_of_zero_or_more() -> None:
    assert problems(base("credit", "paid_late", days_late=0)) == {
        "days_late": "must be more than 0"
    }
    assert problems(base("credit", "written_off", amount_lost=-1.0)) == {
        "amount_lost": "must be 0 or more"
    }
    assert accepted(base("credit", "written_off", amount_lost=0)).amount_lost == 0.0


@pytest.mark.parametrize(
    "bad", ["31/03/2025", "20250331", "2025-02-30", "2025-3-1", "", "  ", 20250331]
)
def test_dates_must_be_iso(bad: object) -> None:
    found = problems(base("credit", "paid_on_time", observed_at=bad))
    assert found == {"observed_at": ISO}


def test_a_date_time_is_not_a_date() -> None:
    found = problems(base("credit", "paid_on_time", observed_at=datetime(2025, 3, 31, 10)))
    assert found == {"observed_at": ISO}


def test_no_date_after_today() -> None:
    assert accepted(base("credit", "paid_on_time", observed_at="2025-06-30"))
    found = problems(base("credit", "paid_on_time", observed_at="2025-07-01"))
    assert found == {
        "observed_at": "is after today (2025-06-30): an outcome is recorded once it has been "
        "observed"
    }
    data = base("grading", "purchases", repeat_purchase=False, revenue=0, period_from="2025-07-02")
    assert "period_from" in problems(data)


def test_the_period_ends_when_it_is_observed() -> None:
    data = base("grading", "purchases", repeat_purchase=True, revenue=5.0, period_from="2025-04-01")
    assert problems(data) == {
        "period_from": "is after the observation date 2025-03-31: the period ends when it is "
        "observed"
    }


def test_no_revenue_without_a_repeat_purchase() -> None:
    data = base("grading", "purchases", repeat_purchase=False, revenue=10.0)
    assert list(problems(data)) == ["revenue"]
    assert accepted(base("grading", "purchases", repeat_purchase=False, revenue=0.0))


def test_an_outcome_needs_a_link() -> None:
    data = base("credit", "paid_on_time")
    del data["consultation_id"]
    assert list(problems(data)) == ["consultation_id"]
    assert accepted({**data, "customer_id": "C-1"}).customer_id == "C-1"


def test_unknown_module_and_outcome_name_what_is_allowed() -> None:
    assert problems(base("credits", "paid_on_time")) == {
        "module": "is not a module; allowed: grading, credit, collection, closing"
    }
    assert problems(base("collection", "won")) == {
        "outcome": "is not an outcome of this module; allowed: recovered, legal, written_off"
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("days_late", "12"), ("days_late", True), ("amount_lost", "100"), ("repeat_purchase", "yes")],
)
def test_types_are_strict(field: str, value: object) -> None:
    module, outcome = ("credit", "paid_late") if field == "days_late" else ("credit", "written_off")
    if field == "repeat_purchase":
        module, outcome = "grading", "purchases"
    data = base(module, outcome, **{n: FULL[n] for n in KINDS[module][outcome].fields})
    assert field in problems({**data, field: value})


def test_unknown_fields_and_control_characters_are_refused() -> None:
    assert "colour" in problems(base("credit", "paid_on_time", colour="red"))
    assert "note" in problems(base("credit", "paid_on_time", note="line\nbreak"))
    assert "note" in problems(base("credit", "paid_on_time", note="x" * 501))


def test_an_outcome_is_frozen() -> None:
    got = accepted(base("credit", "paid_on_time"))
    with pytest.raises(ValueError):
        got.note = "changed"  # type: ignore[misc]


def test_messages_in_chinese() -> None:
    found = problems(base("credit", "paid_late"), "zh")
    assert found == {"days_late": "结果为“逾期付款”时必填"}
    found = problems(base("credit", "paid_on_time", observed_at="2025/03/31"), "zh")
    assert found == {"observed_at": "须为 YYYY-MM-DD 格式的日期（ISO 8601），例如 2025-03-31"}
