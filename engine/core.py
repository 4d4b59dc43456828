"""The consultation engine: case → facts → durable-rules session → conclusions, explained.

``Engine`` is built once per rule-base version (registering a ruleset is not repeatable in one
host) and is safe to share between threads: every call into durable-rules holds the process
lock in ``engine.host``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from engine.compiler import CompiledRuleBase
from engine.explain import Explainer
from engine.fastpath import FastDriver
from engine.firing import Firing
from engine.host import StockDriver
from engine.intake import Fact, case_facts, parse_case
from engine.result import Conclusion, Result
from engine.summary import summarise
from knowledge_base import Text
from knowledge_base.facts import Case


@functools.cache
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
    what_if: bool = True
    """Whether enrichers may search alternatives by re-running inference ("what would change
    it"); batch runs switch it off — it costs tens of inferences per consultation."""


Enricher = Callable[[Context, Result], None]
"""Adds module-specific details to a result (reasons, what would change…); the modules'
enrichers are listed in ``engine.advice.ENRICHERS`` and run in that order."""

_ENRICHERS: list[Enricher] = []


def register_enrichers(enrichers: tuple[Enricher, ...]) -> None:
    """Install the modules' advice: ``engine.advice`` does it when imported (the ``engine``
    package imports it first thing), so this module never imports the advice that builds on
    it — dependencies point one way, advice → core."""
    _ENRICHERS[:] = enrichers


class Engine:
    """Inference and explanation for one compiled rule base.

    ``driver="fast"`` (default) drives the durable-rules C core directly; ``"stock"`` goes
    through durable-rules' own Python host. Both give identical conclusions and traces (the
    test suite checks it); the stock path stays as the reference.
    """

    def __init__(self, compiled: CompiledRuleBase, driver: str = "fast") -> None:
        self.compiled = compiled
        self.driver: StockDriver | FastDriver = (
            FastDriver(compiled) if driver == "fast" else StockDriver(compiled)
        )
        self._explainers: dict[str, Explainer] = {}

    def explainer(self, lang: str) -> Explainer:
        """Explanation texts for this rule base, built once per language."""
        if lang not in self._explainers:
            self._explainers[lang] = Explainer(
                self.compiled.rulebase.rules, self.compiled.knowledge, lang
            )
        return self._explainers[lang]

    @functools.cached_property
    def titles(self) -> dict[str, Text]:
        """Each rule's title, as the summary quotes it."""
        return {rule.id: rule.title for rule in self.compiled.rulebase.rules}

    @property
    def version(self) -> str:
        return self.compiled.version

    def infer(self, case: Case, facts: list[Fact] | None = None, trace: bool = True) -> Firing:
        """Run the rules on a validated case; raise the first error any rule hit.
        ``trace=False`` records conclusions only (what-if searches re-run inference often)."""
        firing = Firing(self.compiled, trace)
        facts = case_facts(case) if facts is None else facts
        self.driver.run(self.compiled.engine_facts(facts), firing)
        if firing.errors:
            raise firing.errors[0]
        return firing

    def consult(
        self, case: Case | dict[str, Any], lang: str = "en", what_if: bool = True
    ) -> Result:
        """Validate, infer, explain and enrich one consultation."""
        parsed = parse_case(case, lang)
        facts = case_facts(parsed)
        firing = self.infer(parsed, facts)
        result = assemble(self.explainer(lang), firing, {f["t"]: f for f in facts})
        context = Context(self, parsed, firing, lang, what_if)
        for enrich in _ENRICHERS:
            enrich(context, result)
        result.summary = summarise(result, self.compiled.knowledge, self.titles)
        return result


def assemble(explainer: Explainer, firing: Firing, facts: dict[str, Fact]) -> Result:
    """Conclusions in the order they were first reached, explained; the trace as recorded.

    A conclusion's "how" is the chain of every firing that reached it (``Firing.chains``), each
    firing as its link: a debtor type scored from several signals shows all of them."""
    link_at, chains, graded = explainer.links(firing).__getitem__, firing.chains, explainer.graded
    shown, present, why_not = explainer.shown, explainer.presentation, explainer.why_not
    conclusions = []
    for concluded, derived in firing.derived.items():
        label, topic_label, intermediate, fixed = shown(concluded) or present(concluded)
        details = dict(fixed) if fixed else {}
        computation = derived.computation
        if computation is not None:
            _computed_details(explainer, derived.rules[0], computation, details)
        seqs = derived.seqs
        chain = chains[seqs[0] - 1] if len(seqs) == 1 else _supporting(chains, seqs)
        conclusions.append(
            Conclusion(
                derived.topic,
                derived.value,
                label,
                topic_label,
                intermediate,
                derived.score or None,
                details,
                derived.rules,  # the firing's own list: nothing changes it after inference
                list(map(link_at, chain)),
                why_not(firing, derived, facts) if derived.topic in graded else [],
            )
        )
    return Result.model_construct(
        ruleset_version=firing.compiled.version,
        product_version=product_version(),
        lang=explainer.lang,
        conclusions=conclusions,
        trace=firing.steps,  # the firing's own list, as for the rules above
    )


def _computed_details(
    explainer: Explainer, rule_id: str, computation: dict[str, Any], details: dict[str, Any]
) -> None:
    """A formula's text with its inputs (by id for programs, by name for people) and result,
    or a selection's candidates."""
    if "formula" in computation:
        details["formula"] = explainer.formula_details(rule_id, computation)
    else:
        details["selection"] = explainer.selection(computation)


def _supporting(chains: list[tuple[int, ...]], seqs: list[int]) -> tuple[int, ...]:
    """The firings behind a conclusion: the first firing's chain, or — when several rules
    reached it — every one of their chains, merged in firing order."""
    if len(seqs) == 1:
        return chains[seqs[0] - 1]
    return tuple(sorted(set(itertools.chain.from_iterable(chains[s - 1] for s in seqs))))
