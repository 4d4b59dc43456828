"""``sales-expert lint``: everything that can be wrong with the rule base, found before use.

Checks: duplicate ids; catalogue fields that disagree with their catalogue; references to
facts, fields, parameters, topics, values and formulas
that do not exist; citations to unknown sources or sections; texts missing or untranslated;
topic values no rule can conclude; rules that can never fire given the fields' declared
domains (or because a topic value they need is never concluded); parameters and formulas
nothing uses; parameter values outside their declared range; one-valued topics whose rules
leave a gap or overlap in their inputs' declared domains (``engine.lint_tables``); texts
that read badly: ASCII punctuation in Chinese, "X为是", leftover ids or ``None``, credit terms
other than 授信, doubled labels (``engine.lint_language``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.domains import field_domain, is_empty, narrow
from engine.intake import literal_ids
from engine.lint_language import language_findings
from engine.lint_tables import table_findings
from engine.references import Finding, reference_findings
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS
from knowledge_base.schema import FieldRef, Operation, ParamRef, Text
from rules import Rule, RuleBase
from rules.schema import Test

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _untranslated(where: str, text: Text) -> Iterator[Finding]:
    if not _CJK.search(text.zh):
        yield Finding("translation", where, f"the Chinese text has no Chinese: {text.zh!r}")


def translation_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    for rule in rulebase.rules:
        yield from _untranslated(f"{rule.id} title", rule.title)
        yield from _untranslated(f"{rule.id} rationale", rule.rationale)
    for topic in kb.topics.values():
        yield from _untranslated(f"topic {topic.id}", topic.label)
        for value in topic.values:
            yield from _untranslated(f"topic {topic.id}.{value.id}", value.label)
    for param in kb.parameters.values():
        yield from _untranslated(f"parameter {param.name}", param.description)
    for lang in ("en", "zh"):
        other = "zh" if lang == "en" else "en"
        for key in sorted(set(kb.texts[lang]) - set(kb.texts[other])):
            yield Finding("translation", f"text {key}", f"present in {lang} but not in {other}")
    for name, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            extra = info.json_schema_extra
            if not info.description or not (isinstance(extra, dict) and extra.get("zh")):
                yield Finding(
                    "translation",
                    f"field {name}.{field}",
                    "needs an English description and a Chinese label",
                )


def catalogue_findings(kb: Knowledge) -> Iterator[Finding]:
    """Fields drawing on a catalogue allow exactly its items; items are translated."""
    for name, model in SECTIONS.items():
        for field, info in model.model_fields.items():
            extra = info.json_schema_extra
            catalogue = extra.get("catalogue") if isinstance(extra, dict) else None
            if not isinstance(catalogue, str):
                continue
            entries = kb.catalogues.get(catalogue)
            where = f"field {name}.{field}"
            if entries is None:
                yield Finding("catalogue", where, f"no catalogue {catalogue!r}")
                continue
            allowed = literal_ids(info.annotation)
            if allowed != set(entries):
                yield Finding(
                    "catalogue",
                    where,
                    f"allows {sorted(allowed - set(entries))} not in catalogue "
                    f"{catalogue!r}; catalogue has {sorted(set(entries) - allowed)} "
                    "the field does not allow",
                )
    for catalogue, items in kb.catalogues.items():
        for entry in items.values():
            yield from _untranslated(f"catalogue {catalogue}.{entry.id}", entry.label)
            yield from _untranslated(f"catalogue {catalogue}.{entry.id}", entry.description)


def producible(rulebase: RuleBase, kb: Knowledge) -> set[tuple[str, str | None]]:
    """(topic, value) pairs some rule concludes; value None for formula conclusions; every
    value of the concluded topic for a selection."""
    made: set[tuple[str, str | None]] = set()
    for conclude in (c for r in rulebase.rules for c in r.then):
        if conclude.select is not None:
            made.update((conclude.topic, v) for v in kb.topics[conclude.topic].value_ids())
        else:
            made.add((conclude.topic, conclude.value))
    return made


def unproduced_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    made = producible(rulebase, kb)
    for topic in kb.topics.values():
        if topic.kind == "number":
            if (topic.id, None) not in made:
                yield Finding("unproduced", f"topic {topic.id}", "no rule concludes this topic")
            continue
        for value in topic.value_ids():
            if (topic.id, value) not in made:
                yield Finding(
                    "unproduced", f"topic {topic.id}", f"no rule can conclude the value {value!r}"
                )


def _dead_reason(rule: Rule, kb: Knowledge, made: set[tuple[str, str | None]]) -> str | None:
    for pattern in rule.when:
        topic = kb.topics.get(pattern.fact)
        if topic is not None and not any(t == topic.id for t, _ in made):
            return f"needs topic {topic.id!r}, which no rule concludes"
        by_field: dict[str, list[Test]] = {}
        for test in pattern.tests:
            by_field.setdefault(test.field, []).append(test)
        for field, tests in by_field.items():
            domain = field_domain(pattern.fact, field, kb)
            if topic is not None and topic.kind == "category":
                domain = frozenset(v for t, v in made if t == topic.id)
            for test in tests:
                if (
                    test.op == "missing"
                    and pattern.fact in SECTIONS
                    and SECTIONS[pattern.fact].model_fields[field].is_required()
                ):
                    return f"tests that required field {pattern.fact}.{field} is missing"
                domain = narrow(domain, test, kb)
            if is_empty(domain):
                return f"{pattern.name}.{field}: no value can pass all its tests"
    return None


def dead_rule_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    made = producible(rulebase, kb)
    for rule in rulebase.rules:
        reason = _dead_reason(rule, kb, made)
        if reason is not None:
            yield Finding("never-fires", rule.id, reason)


def _params_in(expr: object) -> Iterator[str]:
    if isinstance(expr, Operation):
        for arg in expr.args:
            yield from _params_in(arg)
    elif isinstance(expr, ParamRef):
        yield expr.param
    elif isinstance(expr, FieldRef):
        return


def usage_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    used_formulas = {c.formula for r in rulebase.rules for c in r.then if c.formula}
    used = {t.param for r in rulebase.rules for p in r.when for t in p.tests if t.param}
    used |= {c.weight for r in rulebase.rules for c in r.then if c.weight}
    for name in used_formulas & set(kb.formulas):
        used |= set(_params_in(kb.formulas[name].expr))
    for name in sorted(
        set(kb.parameters) - used - {p for p in kb.parameters if p.startswith("engine.")}
    ):
        yield Finding("unused", f"parameter {name}", "no rule or formula uses it")
    for name in sorted(set(kb.formulas) - used_formulas):
        yield Finding("unused", f"formula {name}", "no rule uses it")
    for param in kb.parameters.values():
        low = param.min if param.min is not None else param.value
        high = param.max if param.max is not None else param.value
        if not low <= param.value <= high:
            yield Finding(
                "parameter-range",
                f"parameter {param.name}",
                f"value {param.value} outside [{param.min}, {param.max}]",
            )


def lint(rulebase: RuleBase, kb: Knowledge) -> list[Finding]:
    """All findings; an empty list means the rule base is clean."""
    findings = reference_findings(rulebase, kb)
    if findings:  # later checks assume references resolve
        return findings
    findings.extend(translation_findings(rulebase, kb))
    findings.extend(catalogue_findings(kb))
    findings.extend(unproduced_findings(rulebase, kb))
    findings.extend(dead_rule_findings(rulebase, kb))
    findings.extend(usage_findings(rulebase, kb))
    findings.extend(table_findings(rulebase, kb))
    findings.extend(language_findings(rulebase, kb))
    return findings
