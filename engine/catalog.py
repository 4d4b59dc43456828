"""The rule base as tables people can read: every rule with its conditions and conclusions in
words, every parameter with the rules that use it, every source.

Used by the front end's knowledge-base page; the texts are the explanations' own (a condition
reads as it does in a "why not": "annual purchases ≥ 1,000,000 (grading.monetary_…)").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.explain import _test_text  # the explanations' condition texts, one definition
from engine.labels import field_label, number, topic_value_label
from knowledge_base import Knowledge
from knowledge_base.schema import Expr, Operation, ParamRef
from rules import Rule, RuleBase


@dataclass(frozen=True)
class RuleRow:
    id: str
    module: str
    title: str
    rationale: str
    conditions: tuple[str, ...]
    conclusions: tuple[str, ...]
    sources: tuple[str, ...]
    priority: int
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class ParameterRow:
    name: str
    label: str
    value: str
    unit: str
    description: str
    rationale: str
    used_by: tuple[str, ...]


@dataclass(frozen=True)
class SourceRow:
    tag: str
    title: str
    file: str
    sections: str


def _expr_params(expr: Expr) -> Iterator[str]:
    if isinstance(expr, ParamRef):
        yield expr.param
    elif isinstance(expr, Operation):
        for arg in expr.args:
            yield from _expr_params(arg)


def rule_parameters(rule: Rule, kb: Knowledge) -> tuple[str, ...]:
    """Parameters the rule reads: in its tests, its weights and its formulas."""
    found: dict[str, None] = {}
    for pattern in rule.when:
        found.update((t.param, None) for t in pattern.tests if t.param is not None)
    for conclude in rule.then:
        if conclude.weight is not None:
            found[conclude.weight] = None
        if conclude.formula is not None and conclude.formula in kb.formulas:
            found.update((p, None) for p in _expr_params(kb.formulas[conclude.formula].expr))
    return tuple(found)


def _condition(rule: Rule, kb: Knowledge, lang: str) -> tuple[str, ...]:
    out = []
    for pattern in rule.when:
        if not pattern.tests:
            label, op = (
                field_label(pattern.fact, "value", kb, lang),
                kb.text("explain.op.exists", lang),
            )
            out.append(kb.text("explain.test_unary", lang, label=label, op=op))
        out += [_test_text(t, pattern, kb, lang).requirement for t in pattern.tests]
    return tuple(out)


def _conclusion(rule: Rule, kb: Knowledge, lang: str) -> tuple[str, ...]:
    out = []
    for conclude in rule.then:
        topic = kb.topics.get(conclude.topic)
        name = topic.label.get(lang) if topic else conclude.topic
        if conclude.formula is not None:
            formula = kb.formulas.get(conclude.formula)
            shown = formula.text.get(lang) if formula else conclude.formula
        elif conclude.select is not None:
            among = kb.topics.get(conclude.select.among)
            ranked = among.label.get(lang) if among else conclude.select.among
            shown = kb.text("explain.select", lang, among=ranked)
        else:
            shown = topic_value_label(conclude.topic, conclude.value, kb, lang)
        weight = f" (+{conclude.weight})" if conclude.weight else ""
        out.append(f"{name} = {shown}{weight}")
    return tuple(out)


def rule_rows(
    rulebase: RuleBase, kb: Knowledge, lang: str, module: str | None = None
) -> list[RuleRow]:
    """Every rule (of ``module``, if given) in rule-base order."""
    return [
        RuleRow(
            id=rule.id,
            module=rule.module,
            title=rule.title.get(lang),
            rationale=rule.rationale.get(lang),
            conditions=_condition(rule, kb, lang),
            conclusions=_conclusion(rule, kb, lang),
            sources=rule.sources,
            priority=rule.priority,
            parameters=rule_parameters(rule, kb),
        )
        for rule in rulebase.rules
        if module is None or rule.module == module
    ]


def parameter_rows(rulebase: RuleBase, kb: Knowledge, lang: str) -> list[ParameterRow]:
    """Every parameter, sorted by name, with the rules that read it."""
    users: dict[str, list[str]] = {}
    for rule in rulebase.rules:
        for name in rule_parameters(rule, kb):
            users.setdefault(name, []).append(rule.id)
    return [
        ParameterRow(
            name=p.name,
            label=p.label.get(lang),
            value=number(p.value),
            unit=unit_label(p.unit, kb, lang),
            description=p.description.get(lang),
            rationale=p.rationale.get(lang),
            used_by=tuple(users.get(p.name, ())),
        )
        for p in sorted(kb.parameters.values(), key=lambda p: p.name)
    ]


def unit_label(unit: str, kb: Knowledge, lang: str) -> str:
    """A parameter's unit in ``lang``: the files keep the English unit as its id ("× annual
    purchases" is ``units.times_annual_purchases``)."""
    key = unit.replace("%", "percent").replace("×", "times").replace("/", " per ")
    return kb.text("units." + "_".join(key.split()), lang)


def source_rows(kb: Knowledge, lang: str) -> list[SourceRow]:
    return [
        SourceRow(s.tag, s.title.get(lang), s.file, ", ".join(s.sections))
        for s in kb.sources.values()
    ]


__all__ = [
    "ParameterRow",
    "RuleRow",
    "SourceRow",
    "parameter_rows",
    "rule_parameters",
    "rule_rows",
    "source_rows",
    "unit_label",
]
