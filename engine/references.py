"""Cross-checks between rules, the case models and the knowledge base.

Used twice: the compiler refuses a rule base with any problem (first one raised), and
``sales-expert lint`` reports them all. One implementation, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from engine.intake import CASE_FACT, case_flag_names
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS
from knowledge_base.schema import FieldRef, Operation, ParamRef, Topic
from rules import Rule, RuleBase
from rules.schema import Pattern, Selection, Test


@dataclass(frozen=True)
class Finding:
    """A problem in the rule base: which check, which rule or record, what is wrong."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"


def fact_fields(fact: str, knowledge: Knowledge) -> list[str] | None:
    """Attributes a pattern on ``fact`` may test, or None if no such fact type exists."""
    if fact == CASE_FACT:
        return case_flag_names()
    if fact in SECTIONS:
        return list(SECTIONS[fact].model_fields)
    if fact in knowledge.topics:
        return ["value"]
    return None


def _check_test(rule: Rule, pattern: Pattern, test: Test, kb: Knowledge) -> Iterator[Finding]:
    where = f"{rule.id} ({pattern.name}.{test.field})"
    fields = fact_fields(pattern.fact, kb)
    if fields is not None and test.field not in fields:
        yield Finding(
            "unknown-field",
            where,
            f"fact {pattern.fact!r} has no field {test.field!r}; it has {fields}",
        )
    if test.param is not None and test.param not in kb.parameters:
        yield Finding("unknown-parameter", where, f"no parameter named {test.param!r}")
    topic = kb.topics.get(pattern.fact)
    if topic is not None and topic.kind == "category" and test.field == "value":
        wanted = [test.value] if isinstance(test.value, str) else list(test.values or ())
        for value in wanted:
            if value not in topic.value_ids():
                yield Finding(
                    "unknown-value",
                    where,
                    f"topic {topic.id!r} has no value {value!r}; it has {list(topic.value_ids())}",
                )


def _check_source(rule: Rule, citation: str, kb: Knowledge) -> Iterator[Finding]:
    tag, _, section = citation.partition(" §")
    source = kb.sources.get(tag)
    if source is None:
        yield Finding(
            "citation", rule.id, f"unknown source tag in {citation!r}; known: {sorted(kb.sources)}"
        )
    elif section not in source.sections:
        yield Finding(
            "citation",
            rule.id,
            f"unknown section in {citation!r}; {tag} has {list(source.sections)}",
        )


def _formula_refs(expr: object) -> Iterator[FieldRef | ParamRef]:
    if isinstance(expr, Operation):
        for arg in expr.args:
            yield from _formula_refs(arg)
    elif isinstance(expr, FieldRef | ParamRef):
        yield expr


def _check_conclusion(rule: Rule, kb: Knowledge) -> Iterator[Finding]:
    aliases = {p.name: p for p in rule.when}
    for conclude in rule.then:
        topic = kb.topics.get(conclude.topic)
        if topic is None:
            yield Finding("unknown-topic", rule.id, f"concludes unknown topic {conclude.topic!r}")
            continue
        if conclude.weight is not None and conclude.weight not in kb.parameters:
            yield Finding("unknown-parameter", rule.id, f"no weight parameter {conclude.weight!r}")
        if conclude.value is not None and conclude.value not in topic.value_ids():
            yield Finding(
                "unknown-value", rule.id, f"topic {topic.id!r} has no value {conclude.value!r}"
            )
        if conclude.formula is not None:
            yield from _check_formula(rule, conclude.formula, topic.kind, aliases, kb)
        if conclude.select is not None:
            yield from _check_selection(rule, conclude.select, topic, kb)


def _check_selection(
    rule: Rule, select: Selection, topic: Topic, kb: Knowledge
) -> Iterator[Finding]:
    """The ranked topic and the filter exist; every value it can pick is a value of the
    concluded topic; a value that never wins a tie is one of the ranked topic's."""
    among = kb.topics.get(select.among)
    if among is None or among.kind != "category":
        yield Finding("unknown-topic", rule.id, f"selects among unknown topic {select.among!r}")
        return
    if select.within is not None and select.within not in kb.topics:
        yield Finding("unknown-topic", rule.id, f"selects within unknown topic {select.within!r}")
    missing = set(among.value_ids()) - set(topic.value_ids())
    if missing:
        yield Finding(
            "unknown-value",
            rule.id,
            f"topic {topic.id!r} lacks selectable values {sorted(missing)}",
        )
    for value in select.never_on_tie:
        if value not in among.value_ids():
            yield Finding("unknown-value", rule.id, f"topic {among.id!r} has no value {value!r}")


def _check_formula(
    rule: Rule, name: str, kind: str, aliases: dict[str, Pattern], kb: Knowledge
) -> Iterator[Finding]:
    formula = kb.formulas.get(name)
    if formula is None:
        yield Finding("unknown-formula", rule.id, f"no formula named {name!r}")
        return
    if kind != "number":
        yield Finding("formula-kind", rule.id, f"formula {name!r} concludes a category topic")
    for ref in _formula_refs(formula.expr):
        if isinstance(ref, ParamRef) and ref.param not in kb.parameters:
            yield Finding("unknown-parameter", f"formula {name}", f"no parameter {ref.param!r}")
        if isinstance(ref, FieldRef):
            alias, attr = ref.field.split(".", 1)
            pattern = aliases.get(alias)
            fields = fact_fields(pattern.fact, kb) if pattern else None
            if pattern is None or fields is None or attr not in fields:
                yield Finding(
                    "formula-input",
                    rule.id,
                    f"formula {name!r} reads {ref.field!r}, which the rule does not match",
                )


def rule_findings(rule: Rule, kb: Knowledge) -> Iterator[Finding]:
    """Every reference problem of one rule."""
    for pattern in rule.when:
        if fact_fields(pattern.fact, kb) is None:
            yield Finding(
                "unknown-fact", rule.id, f"no case section or topic named {pattern.fact!r}"
            )
            continue
        for test in pattern.tests:
            yield from _check_test(rule, pattern, test, kb)
    for citation in rule.sources:
        yield from _check_source(rule, citation, kb)
    yield from _check_conclusion(rule, kb)
    topic_modules = {kb.topics[c.topic].module for c in rule.then if c.topic in kb.topics}
    if topic_modules and rule.module not in topic_modules:
        yield Finding(
            "module",
            rule.id,
            f"module {rule.module!r} concludes only topics of {sorted(topic_modules)}",
        )


def duplicate_ids(rulebase: RuleBase) -> Iterator[Finding]:
    seen: set[str] = set()
    for rule in rulebase.rules:
        if rule.id in seen:
            yield Finding("duplicate-id", rule.id, "the id is used by more than one rule")
        seen.add(rule.id)


def reference_findings(rulebase: RuleBase, kb: Knowledge) -> list[Finding]:
    """All reference problems of a rule base, in rule order."""
    found = list(duplicate_ids(rulebase))
    for rule in rulebase.rules:
        found.extend(rule_findings(rule, kb))
    return found
