"""Between table rows and consultations: input columns from the case model, output columns
from the conclusions.

Input columns are ``section.field`` (``customer.annual_purchases``); a list field holds its
items separated by ``;``; an empty cell is "not given". Output columns are listed in
``OUTPUT_COLUMNS`` and documented by ``sales-expert batch --template``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.intake import typed_cell
from engine.result import Conclusion, Result
from knowledge_base.facts import SECTIONS, Case

LIST_SEPARATOR = ";"


def input_columns() -> list[str]:
    """Every input column the batch understands, in case-model order."""
    return [f"{name}.{field}" for name, model in SECTIONS.items() for field in model.model_fields]


def _is_list(section: str, field: str) -> bool:
    annotation = SECTIONS[section].model_fields[field].annotation
    return typing.get_origin(annotation) in (list, set, frozenset, tuple)


def row_to_case(row: dict[str, str | None]) -> dict[str, Any]:
    """A table row as a case dict; unknown columns are kept so validation names them."""
    case: dict[str, dict[str, Any]] = {}
    for column, raw in row.items():
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            continue
        section, _, field = column.partition(".")
        value: Any = raw.strip() if isinstance(raw, str) else raw
        if (
            section in SECTIONS
            and field in SECTIONS[section].model_fields
            and _is_list(section, field)
            and isinstance(value, str)
        ):
            value = [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]
        value = typed_cell(section, field, value)  # number and flag fields are strict
        case.setdefault(section, {})[field or column] = value
    return case


def case_to_row(case: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``row_to_case``: a case as one table row (lists joined by ``;``)."""
    return {
        f"{section}.{field}": LIST_SEPARATOR.join(value) if isinstance(value, list) else value
        for section, fields in case.items()
        for field, value in fields.items()
    }


@dataclass(frozen=True)
class Column:
    """An output column: a topic's value, all its values, the top-ranked one, or a detail."""

    name: str
    topic: str
    """The topic read; for ``take="input"`` the input field (``collection.overdue_amount``)."""
    take: str = "value"  # value | values | top | reasons | path | rules | input
    description: str = ""


OUTPUT_COLUMNS: tuple[Column, ...] = (
    Column("value_tier", "value_tier", description="customer value: high | medium | low"),
    Column("market_position", "market_position", description="key | general | scattered"),
    Column("loyalty", "loyalty", description="loyal | potential_loyal | churn_risk"),
    Column("lifecycle", "lifecycle", description="new | growing | mature | declining"),
    Column(
        "difference_class",
        "difference_class",
        description="most_valuable | most_growth | below_zero | ordinary",
    ),
    Column("service_tier", "service_tier", description="vip | key | ordinary"),
    Column(
        "portfolio_strategy",
        "portfolio_strategy",
        description="concentration | differentiation | personalization",
    ),
    Column("maintenance_plan", "maintenance_plan", description="follow-up plan id"),
    Column(
        "information_sufficiency",
        "information_sufficiency",
        description="credit information: sufficient | partial | insufficient",
    ),
    Column("risk_score", "risk_score", description="credit risk points (sum of the indicators)"),
    Column("risk_level", "risk_level", description="low | medium | high | very_high"),
    Column(
        "credit_decision",
        "credit_decision",
        description="approve | approve_with_conditions | refer | decline",
    ),
    Column("recommended_limit", "recommended_limit", description="yuan"),
    Column("recommended_term_days", "recommended_term_days", description="days"),
    Column(
        "credit_conditions",
        "credit_condition",
        "values",
        description="conditions of the credit, ';'-separated",
    ),
    Column(
        "principal_reasons",
        "credit_decision",
        "reasons",
        description="ranked principal reasons of the credit decision, ' | '-separated",
    ),
    Column(
        "debtor_type",
        "debtor_type",
        "values",
        description="debtor type(s) recognised, strongest first, ';'-separated",
    ),
    Column(
        "collection_means",
        "collection_means",
        "values",
        description="collection means advised, ';'-separated",
    ),
    Column(
        "primary_debtor_type",
        "primary_debtor_type",
        description="the debtor type strategies address first (selected by rule CO-123)",
    ),
    Column(
        "top_technique",
        "top_technique",
        description="best closing technique (selected by rule CL-120)",
    ),
    Column(
        "path_to_better",
        "",
        "path",
        description="with --what-if: per module, the cheapest changes to a better answer, "
        "' | '-separated (empty without --what-if)",
    ),
    Column(
        "overdue_amount",
        "collection.overdue_amount",
        "input",
        description="the collection case's overdue amount (yuan), repeated from the input so "
        "that a back-test can read the recovery rate from the results alone",
    ),
    Column(
        "rules_fired",
        "",
        "rules",
        description="ids of the rules that fired, each once, in firing order, ';'-separated "
        "(what the back-test's rule coverage counts)",
    ),
)


def _ranked(conclusions: list[Conclusion]) -> list[Conclusion]:
    return sorted(conclusions, key=lambda c: -(c.score or 0.0))


def _reasons(conclusion: Conclusion | None) -> str:
    reasons = conclusion.details.get("reasons", []) if conclusion else []
    texts = (r.get("text", "") if isinstance(r, dict) else str(r) for r in reasons)
    return " | ".join(t for t in texts if t)


def _paths(by_topic: dict[str, list[Conclusion]]) -> str:
    """The first (cheapest) proposal of each module's path to a better answer."""
    texts = []
    for conclusions in by_topic.values():
        for conclusion in conclusions:
            path = conclusion.details.get("path_to_better")
            if path and path["proposals"]:
                texts.append(path["proposals"][0]["text"])
    return " | ".join(texts)


def _input(column: Column, case: Case | None) -> Any:
    section, _, field = column.topic.partition(".")
    given = getattr(case, section, None) if case is not None else None
    value = getattr(given, field, None) if given is not None else None
    return "" if value is None else value


def _fired(result: Result) -> str:
    return LIST_SEPARATOR.join(dict.fromkeys(step.rule for step in result.trace))


def _cell(column: Column, by_topic: dict[str, list[Conclusion]]) -> Any:
    if column.take == "path":
        return _paths(by_topic)
    found = by_topic.get(column.topic, [])
    if column.take == "reasons":
        return _reasons(found[0] if found else None)
    if column.take == "top":
        return _ranked(found)[0].value if found else ""
    if column.take == "values":
        return LIST_SEPARATOR.join(str(c.value) for c in _ranked(found))
    return found[0].value if found else ""


def result_cells(result: Result, case: Case | None = None) -> Iterator[Any]:
    """The output cells of one consultation; ``case`` gives the input columns repeated."""
    by_topic: dict[str, list[Conclusion]] = {}
    for conclusion in result.conclusions:
        by_topic.setdefault(conclusion.topic, []).append(conclusion)
    for column in OUTPUT_COLUMNS:
        if column.take == "input":
            yield _input(column, case)
        elif column.take == "rules":
            yield _fired(result)
        else:
            yield _cell(column, by_topic)


HEAD_COLUMNS = ("row", "consultation_id", "customer_id", "status")
OUTPUT_HEADER = [*HEAD_COLUMNS, *(c.name for c in OUTPUT_COLUMNS)]
ERROR_HEADER = ["row", "field", "value", "message"]
