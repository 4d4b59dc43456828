"""The rule base with some parameters changed or some rules switched off: to re-run
consultations under a proposed policy (calibration, the policy workbench's simulation).

Parameters are substituted by value when the rules are compiled (``engine.compiler``), so a
changed value means another compiled rule base and another engine (about 0.1 s to build; each
engine registers its own ruleset, so several live side by side, as the audit trail's replay of
past versions does). Nothing here changes the shipped rule base or the process's default engine.

A ruleset is registered once per distinct change in a process: the change is normalised first
(a value equal to the shipped one is no change, the order of names does not matter), the same
change gets the cached engine, and no change at all gets the default engine itself, never a
second registration of the shipped rule base. The cache is small and bounded: each engine holds
a C ruleset and one live session of it (durable-rules allows 1024 per ruleset), and what is
evicted is not given back to the C core, so a process should not cycle through many changes.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Iterable, Mapping

from engine.calibrate.book import CalibrateError, refuse
from engine.compiler import compile_rulebase
from engine.core import Engine
from engine.errors import FieldProblem
from engine.parameter_values import unknown_parameter
from engine.shared import default_engine
from knowledge_base import Knowledge, load_knowledge
from rules import RuleBase, load_rules

ENGINES_KEPT = 8
"""Engines under changed values kept per process: a calibration and its test, a simulation's
challenger and a few drafts being compared re-use them."""
Key = tuple[tuple[tuple[str, float], ...], tuple[str, ...]]


def knowledge_with(values: Mapping[str, float], kb: Knowledge | None = None) -> Knowledge:
    """``kb`` (default: the shipped one) with the given parameter values; unknown names raise
    ``KeyError`` (an overlay is checked by ``load_overlay`` before it gets here)."""
    base = kb or load_knowledge()
    parameters = dict(base.parameters)
    for name, value in values.items():
        parameters[name] = base.parameters[name].model_copy(update={"value": float(value)})
    return dataclasses.replace(base, parameters=parameters)


def rule_ids(rules_off: Iterable[str]) -> frozenset[str]:
    """Rule ids as a set; one id given as a text is that id (not its characters)."""
    return frozenset((rules_off,) if isinstance(rules_off, str) else rules_off)


def rules_without(rules_off: Iterable[str], rulebase: RuleBase | None = None) -> RuleBase:
    """``rulebase`` (default: the shipped one) without the switched-off rules, in its order."""
    off = rule_ids(rules_off)
    base = rulebase or load_rules()
    return RuleBase(tuple(rule for rule in base.rules if rule.id not in off))


def _hint(name: str, known: Iterable[str], lang: str) -> str:
    """The closest known name as a hint to append (" (did you mean `CR-104`?)"), or ""."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return load_knowledge().text("policy_simulate.hint", lang, name=close[0]) if close else ""


def refused_names(
    values: Mapping[str, float], rules_off: Iterable[str], lang: str = "en"
) -> CalibrateError | None:
    """The error naming every unknown parameter and rule id of a change, or None."""
    kb, rules = load_knowledge(), load_rules().by_id()
    problems = []
    for name in sorted(values):
        if name not in kb.parameters:
            problems.append(FieldProblem(name, None, unknown_parameter(name, kb, lang)))
    for rule in sorted(rule_ids(rules_off)):
        if rule not in rules:
            hint = _hint(rule, rules, lang)
            problems += refuse(
                rule, "policy_simulate.unknown_rule", lang, rule=rule, hint=hint
            ).problems
    return CalibrateError(problems) if problems else None


def change_key(values: Mapping[str, float], rules_off: Iterable[str]) -> Key:
    """The change as the cache knows it: shipped values dropped, names sorted."""
    shipped = load_knowledge().parameters
    changed = (
        (name, float(value))
        for name, value in values.items()
        if float(value) != shipped[name].value
    )
    return tuple(sorted(changed)), tuple(sorted(rule_ids(rules_off)))


@functools.lru_cache(maxsize=ENGINES_KEPT)
def _engine(key: Key) -> Engine:
    values, rules_off = key
    return Engine(compile_rulebase(rules_without(rules_off), knowledge_with(dict(values))))


def engine_with(
    values: Mapping[str, float], rules_off: Iterable[str] = frozenset(), *, lang: str = "en"
) -> Engine:
    """An engine for the shipped rules under the given parameter values, without the
    switched-off rules; an unknown parameter or rule id is refused by name (``CalibrateError``,
    exit 2 on the command line). Values are not range-checked here: an overlay or a policy
    change checks them against the declared ranges before it gets here."""
    error = refused_names(values, rules_off, lang)
    if error is not None:
        raise error
    key = change_key(values, rules_off)
    return default_engine() if key == ((), ()) else _engine(key)
