"""Rules as data → durable-rules JSON rulesets, with our ids as the engine's rule names.

No rule text is ever evaluated: every test is translated by typed code into the engine's JSON
condition dialect (``$and``, ``$gte``, ``$iany``…), with parameters substituted by value.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from engine.errors import KnowledgeBaseError
from engine.intake import CASE_FACT, Fact, engine_value
from engine.plans import RulePlan, plan_rule
from engine.references import reference_findings
from knowledge_base import Knowledge, load_knowledge
from knowledge_base.facts import Case
from rules import Rule, RuleBase, load_rules
from rules.schema import Pattern, Test

_COMPARISON = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def compile_test(test: Test, kb: Knowledge) -> dict[str, Any]:
    """One typed test → one durable-rules condition on the pattern's fact."""
    name = test.field
    if test.op == "eq":
        return {name: test.value}
    if test.op == "ne":
        return {"$neq": {name: test.value}}
    if test.op in _COMPARISON:
        assert test.param is not None  # guaranteed by the Test schema
        return {_COMPARISON[test.op]: {name: engine_value(kb.param(test.param))}}
    if test.op == "in":
        return {"$or": [{name: v} for v in test.values or ()]}
    if test.op == "not_in":
        return {"$and": [{"$neq": {name: v}} for v in test.values or ()]}
    if test.op == "exists":
        return {"$ex": {name: 1}}
    if test.op == "missing":
        return {"$nex": {name: 1}}
    return {"$iany": {name: {"$i": test.value}}}  # contains


TYPE_MARK = "_"
"""Starts the attribute that names a fact's type in the facts the C core sees (``_credit``);
the case's own attributes are ``[a-z0-9_]+`` words that never start with it."""


def type_attribute(fact_type: str) -> str:
    """The attribute a fact of this type carries for the core, and the one its patterns test.

    The core finds a fact's first tests by hashing attribute names, but compares values one
    node at a time: a ``t == credit`` test would be weighed against every fact type the rules
    read (85 nodes) at every assert. An attribute named after the type is found by its hash,
    and an existence test costs nothing to evaluate: a third of the core's time per
    consultation."""
    return TYPE_MARK + fact_type


def core_fact(fact: Fact) -> dict[str, Any]:
    """A fact as the core sees it: its type as an attribute of its own (``type_attribute``),
    then its attributes; ``t`` stays on the Python side."""
    out: dict[str, Any] = {type_attribute(fact["t"]): 1}
    out.update(fact)
    del out["t"]
    return out


def core_conclusion(topic: str, value: Any) -> dict[str, Any]:
    """A concluded topic value as the core sees it."""
    return {type_attribute(topic): 1, "value": value}


def compile_pattern(pattern: Pattern, kb: Knowledge) -> dict[str, Any]:
    """A pattern always starts with its fact-type discriminator, as the engine needs."""
    discriminator = {"$ex": {type_attribute(pattern.fact): 1}}
    conditions = [discriminator] + [compile_test(t, kb) for t in pattern.tests]
    return {pattern.name: {"$and": conditions}}


def compile_rule(rule: Rule, kb: Knowledge) -> dict[str, Any]:
    definition: dict[str, Any] = {"all": [compile_pattern(p, kb) for p in rule.when]}
    if rule.priority:
        definition["pri"] = rule.priority
    return definition


def ruleset_version(rulebase: RuleBase, kb: Knowledge) -> str:
    """Content hash of rules + knowledge + input schema: equal hash, equal behaviour."""
    content = {
        "rules": rulebase.content(),
        "knowledge": kb.content(),
        "case_schema": Case.model_json_schema(),
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "rb-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class CompiledRuleBase:
    """A validated rule base and its durable-rules definition, ready to register."""

    rulebase: RuleBase
    knowledge: Knowledge
    version: str
    definitions: dict[str, dict[str, Any]] = field(repr=False)

    @functools.cached_property
    def rules(self) -> dict[str, Rule]:
        return self.rulebase.by_id()

    @functools.cached_property
    def plans(self) -> dict[str, RulePlan]:
        consumed = frozenset(p.fact for r in self.rulebase.rules for p in r.when)
        return {r.id: plan_rule(r, self.knowledge, consumed) for r in self.rulebase.rules}

    @functools.cached_property
    def reads(self) -> dict[str, frozenset[str]]:
        """Per fact type, the attributes any rule tests or any formula reads."""
        found: dict[str, set[str]] = {}
        for plan in self.plans.values():
            for _, fact_type, names, _, _ in plan.reads:
                found.setdefault(fact_type, set()).update(names)
        return {fact_type: frozenset(names) for fact_type, names in found.items()}

    def engine_facts(self, facts: list[Fact]) -> list[Fact]:
        """Only the facts some rule matches, with only the attributes rules read.

        Less JSON in and out of the C core for every activation; the explanation still gets
        the full case. The ``case`` fact is kept first: it anchors the session.
        """
        out = []
        for fact in facts:
            names = self.reads.get(fact["t"])
            if names is not None or fact["t"] == CASE_FACT:
                out.append({k: v for k, v in fact.items() if k == "t" or k in (names or ())})
        return out


def compile_rulebase(rulebase: RuleBase, kb: Knowledge) -> CompiledRuleBase:
    """Compile after refusing any reference problem (unknown field, parameter, topic…)."""
    problems = reference_findings(rulebase, kb)
    if problems:
        first = problems[0]
        more = (
            f" (and {len(problems) - 1} more; run `sales-expert lint`)" if len(problems) > 1 else ""
        )
        raise KnowledgeBaseError(first.where, f"{first.message}{more}")
    definitions = {rule.id: compile_rule(rule, kb) for rule in rulebase.rules}
    return CompiledRuleBase(rulebase, kb, ruleset_version(rulebase, kb), definitions)


def default_compiled() -> CompiledRuleBase:
    return compile_rulebase(load_rules(), load_knowledge())
