"""The consultation engine: case → facts → durable-rules session → conclusions, explained.

``Engine`` is built once per rule-base version (registering a ruleset is not repeatable in one
host) and is safe to share between threads: every call into durable-rules holds the process
lock in ``engine.host``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from engine.compiler import CompiledRuleBase
from engine.explain import how, why_not
from engine.firing import Derived, Firing
from engine.host import StockDriver
from engine.intake import Fact, case_facts, parse_case
from engine.labels import topic_value_label
from engine.result import Conclusion, Result
from knowledge_base.facts import Case


def product_version() -> str:
    try:
        return metadata.version("sales-expert")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True)
class Context:
    """What a post-processing step (reasons, what-would-change…) may read and use."""

    engine: Engine
    case: Case
    firing: Firing
    lang: str


Enricher = Callable[[Context, Result], None]
"""Adds module-specific details to a result (reasons, what would change…); the modules'
enrichers are listed in ``engine.advice.ENRICHERS`` and run in that order."""


class Engine:
    def __init__(self, compiled: CompiledRuleBase) -> None:
        self.compiled = compiled
        self._driver = StockDriver(compiled)

    @property
    def version(self) -> str:
        return self.compiled.version

    def infer(self, case: Case) -> Firing:
        """Run the rules on a validated case; raise the first error any rule hit."""
        firing = Firing(self.compiled)
        self._driver.run(case_facts(case), firing)
        if firing.errors:
            raise firing.errors[0]
        return firing

    def consult(self, case: Case | dict[str, Any], lang: str = "en") -> Result:
        """Validate, infer, explain and enrich one consultation."""
        parsed = parse_case(case)
        firing = self.infer(parsed)
        result = assemble(firing, {f["t"]: f for f in case_facts(parsed)}, lang)
        from engine.advice import ENRICHERS  # the advice modules import this module

        context = Context(self, parsed, firing, lang)
        for enrich in ENRICHERS:
            enrich(context, result)
        return result


def _conclusion(firing: Firing, derived: Derived, facts: dict[str, Fact], lang: str) -> Conclusion:
    kb = firing.compiled.knowledge
    topic = kb.topics[derived.topic]
    details: dict[str, Any] = {}
    entry = topic.value(str(derived.value)) if topic.kind == "category" else None
    if entry is not None:
        details["description"] = entry.description.get(lang)
        for key, text in entry.details.items():
            details[key] = [t.get(lang) for t in text] if isinstance(text, list) else text.get(lang)
    if derived.computation is not None:
        formula = kb.formulas[derived.computation["formula"]]
        details["formula"] = {**derived.computation, "text": formula.text.get(lang)}
    return Conclusion(
        topic=derived.topic,
        value=derived.value,
        label=topic_value_label(topic.id, derived.value, kb, lang),
        topic_label=topic.label.get(lang),
        intermediate=topic.intermediate,
        score=derived.score if derived.score else None,
        details=details,
        rules=list(derived.rules),
        how=how(firing, derived, lang),
        why_not=why_not(firing, derived, facts, lang),
    )


def assemble(firing: Firing, facts: dict[str, Fact], lang: str) -> Result:
    """Conclusions in the order they were first reached; the trace as recorded."""
    return Result(
        ruleset_version=firing.compiled.version,
        product_version=product_version(),
        lang=lang,
        conclusions=[_conclusion(firing, d, facts, lang) for d in firing.derived.values()],
        trace=list(firing.steps),
    )
