"""Which inputs and rules can reach a topic: read off the rule base, once per version.

A what-if search varies only fields from which some chain of rules reaches the topic, re-runs
only the sections that feed it, and fires only the rules on the way to it (``focused``).
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.compiler import CompiledRuleBase
from engine.core import Engine
from knowledge_base.facts import SECTIONS
from knowledge_base.schema import FieldRef, Operation
from rules import RuleBase


def formula_fields(engine: Engine, section: str) -> set[str]:
    """Fields of ``section`` that some formula reads (through a pattern on the section)."""
    kb = engine.compiled.knowledge
    found: set[str] = set()
    for rule in engine.compiled.rulebase.rules:
        aliases = {p.name for p in rule.when if p.fact == section}
        for conclude in rule.then:
            if conclude.formula is not None:
                for ref in _field_refs(kb.formulas[conclude.formula].expr):
                    alias, attr = ref.field.split(".", 1)
                    if alias in aliases:
                        found.add(attr)
    return found


def _field_refs(expr: object) -> Iterator[FieldRef]:
    if isinstance(expr, Operation):
        for arg in expr.args:
            yield from _field_refs(arg)
    elif isinstance(expr, FieldRef):
        yield expr


_RELEVANT: dict[tuple[str, str, str], frozenset[str]] = {}


def relevant_fields(engine: Engine, section: str, topic: str) -> frozenset[str]:
    """Fields of ``section`` from which some chain of rules reaches ``topic``; varying any
    other field (an amount only the collection referral reads) cannot change it."""
    key = (engine.version, section, topic)
    if key not in _RELEVANT:
        _RELEVANT[key] = frozenset(_reaching(engine, section, topic))
    return _RELEVANT[key]


def _reaching(engine: Engine, section: str, topic: str) -> set[str]:
    kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
    feeding = _feeding_topics(engine, topic)
    fields: set[str] = set()
    for rule in rules:
        if not any(c.topic in feeding for c in rule.then):
            continue
        aliases = {p.name for p in rule.when if p.fact == section}
        fields.update(t.field for p in rule.when if p.fact == section for t in p.tests)
        for conclude in rule.then:
            if conclude.formula is not None:
                refs = _field_refs(kb.formulas[conclude.formula].expr)
                fields.update(
                    r.field.split(".", 1)[1] for r in refs if r.field.split(".")[0] in aliases
                )
    return fields


_FEEDING: dict[tuple[str, str], frozenset[str]] = {}


def feeding_sections(engine: Engine, topic: str) -> frozenset[str]:
    """The case sections some chain of rules reaching ``topic`` reads, as a fact or through
    the case fact's ``has_<section>`` flags. Leaving the others out of the re-runs cannot change
    ``topic`` (the deal section never reaches a credit decision) and saves their rules."""
    key = (engine.version, topic)
    if key not in _FEEDING:
        kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
        feeding = _feeding_topics(engine, topic)
        read: set[str] = set()
        for rule in (r for r in rules if any(c.topic in feeding for c in r.then)):
            read.update(p.fact for p in rule.when if p.fact in SECTIONS)
            flags = (t.field for p in rule.when if p.fact not in kb.topics for t in p.tests)
            read.update(n for n in SECTIONS for f in flags if f.startswith(f"has_{n}"))
        _FEEDING[key] = frozenset(read)
    return _FEEDING[key]


def feeding_topics(engine: Engine, topic: str) -> set[str]:
    """``topic`` and every topic some chain of rules reaching it reads."""
    return _feeding_topics(engine, topic)


def _feeding_topics(engine: Engine, topic: str) -> set[str]:
    kb, rules = engine.compiled.knowledge, engine.compiled.rulebase.rules
    feeding, grew = {topic}, True
    while grew:
        before = len(feeding)
        for rule in rules:
            if any(c.topic in feeding for c in rule.then):
                feeding.update(p.fact for p in rule.when if p.fact in kb.topics)
        grew = len(feeding) > before
    return feeding


_FOCUSED: dict[tuple[str, str], Engine] = {}


def focused(engine: Engine, topic: str) -> Engine:
    """An engine with only the rules on the way to ``topic``: a what-if re-run fires nothing
    else (the grading rules a credit decision does not read cost as much as the rest). The rules
    keep their order and every rule reading a topic keeps that topic's producers (negations
    included), so the topic's value is the full rule base's; ``tests/test_paths.py`` checks it.
    """
    key = (engine.version, topic)
    if key not in _FOCUSED:
        feeding = _feeding_topics(engine, topic)
        compiled = engine.compiled
        kept = tuple(r for r in compiled.rulebase.rules if any(c.topic in feeding for c in r.then))
        subset = CompiledRuleBase(
            RuleBase(kept),
            compiled.knowledge,
            f"{compiled.version}/{topic}",
            {r.id: compiled.definitions[r.id] for r in kept},
        )
        _FOCUSED[key] = Engine(subset)
    return _FOCUSED[key]
