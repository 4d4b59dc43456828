"""A path to a better answer: the smallest sets of up to three changes someone can make.

Single changes come first (``counterfactual.Search``: the least change of each field that
improves the answer). When no single change is enough — two aspects hold the answer down —
sets of two, then three, "strong" moves are tried: each field moved as far as its kind of change
allows (the request to its least, a report obtained, the decision maker present). A set that
works is then relaxed member by member to the least change that still works, with round numbers
at the boundary. Sets are ranked by their declared cost (``knowledge_base/changes.yaml``), then
by the answer they reach. The search keeps to a budget of re-runs; the result says whether it
looked at every set or stopped at the budget, so "no set of actions suffices" is only said when
it is known.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from engine.advice.counterfactual import (
    UNKNOWN,
    Change,
    Search,
    enum_values,
    list_items,
    threshold_candidates,
)
from engine.advice.reach import feeding_sections, feeding_topics, formula_fields, relevant_fields
from engine.conditions import Check, check
from engine.core import Engine
from engine.domains import Interval, field_domain
from engine.intake import Fact, case_facts
from knowledge_base.facts import SECTIONS, Case
from rules import Rule
from rules.schema import Pattern

MAX_CHANGES = 3
SET_BUDGET = 80
"""Most re-runs the search of sets (after the single changes) may take: enough for every set
of a credit referral held by its history (about 55), about 1 ms each."""

Move = tuple[str, Any]
"""(field, the value it is moved to)."""


@dataclass(frozen=True)
class Proposal:
    """A set of changes and the answer it gives; ``cost`` is the sum of the kinds' costs."""

    changes: tuple[Change, ...]
    outcome: Any
    cost: float


@dataclass(frozen=True)
class PathToBetter:
    proposals: list[Proposal]
    complete: bool
    """True when every set up to ``MAX_CHANGES`` was tried (or a smaller one worked): an empty
    list then means no set of actions gives a better answer."""


def path_to_better(engine: Engine, case: Case, section: str, topic: str) -> PathToBetter:
    """The cheapest sets of changes of ``section``'s fields that give ``topic`` a better value
    (the topic's values are declared best first)."""
    if getattr(case, section, None) is None:
        return PathToBetter([], True)
    unread = {name: None for name in SECTIONS if name not in feeding_sections(engine, topic)}
    trimmed = case.model_copy(update=unread)  # every variant re-runs only what can matter
    search = Search(engine, trimmed, section, topic)
    if search.current == len(search.ranking):
        return PathToBetter([], True)  # already the best answer
    if not within_reach(search, topic):
        return PathToBetter([], True)  # every way to better reads something no one can change
    singles = search.changes(topic)
    if singles:
        return PathToBetter(_ranked(search, [_proposal(search, (c,)) for c in singles]), True)
    return _sets(search, topic)


def within_reach(search: Search, topic: str) -> bool:
    """Whether some better value's rule could fire after changes someone can make: each of its
    premises holds now, or reads a field that can change, or a topic such a field reaches.
    A band no changeable field reaches keeps its value whatever is changed, so a rule it blocks
    stays blocked: a referral held by the payment record needs no search to say so."""
    movable = {f for f in search.kinds if _movable_now(search, f)}
    facts = {fact["t"]: fact for fact in case_facts(search.case)}
    values: dict[str, list[Any]] = {}
    for concluded, value in search.concluded(()):
        values.setdefault(concluded, []).append(value)
    for value in search.ranking[: len(search.ranking) - search.current]:
        for rule in _producers(search.engine).get((topic, value), ()):
            if all(_may_hold(search, p, facts, values, movable) for p in rule.when):
                return True
    return False


def _movable_now(search: Search, field: str) -> bool:
    before = getattr(search.model, field)
    return not search.kinds[field].from_unknown or before in UNKNOWN or before == []


def _may_hold(
    search: Search,
    pattern: Pattern,
    facts: dict[str, Fact],
    values: dict[str, list[Any]],
    movable: set[str],
) -> bool:
    checks = _checks(search.engine, pattern)
    if pattern.fact in search.engine.compiled.knowledge.topics:
        if any(all(c({"value": v}) for c in checks) for v in values.get(pattern.fact, ())):
            return True
        reaching = relevant_fields(search.engine, search.section, pattern.fact)
        return bool(reaching & movable)
    fact = facts.get(pattern.fact)
    if fact is not None and all(c(fact) for c in checks):
        return True
    return pattern.fact == search.section and any(t.field in movable for t in pattern.tests)


_PRODUCERS: dict[str, dict[tuple[str, Any], list[Rule]]] = {}
_CHECKS: dict[tuple[str, int], list[Check]] = {}


def _producers(engine: Engine) -> dict[tuple[str, Any], list[Rule]]:
    found = _PRODUCERS.get(engine.version)
    if found is None:
        found = _PRODUCERS[engine.version] = {}
        for rule in engine.compiled.rulebase.rules:
            for conclude in rule.then:
                found.setdefault((conclude.topic, conclude.value), []).append(rule)
    return found


def _checks(engine: Engine, pattern: Pattern) -> list[Check]:
    key = (engine.version, id(pattern))  # patterns live as long as the rule base
    found = _CHECKS.get(key)
    if found is None:
        kb = engine.compiled.knowledge
        found = _CHECKS[key] = [check(t, kb) for t in pattern.tests]
    return found


def _sets(search: Search, topic: str) -> PathToBetter:
    spent = search.tried
    moves = effective(search, topic, list(strong_moves(search, topic)))
    for size in range(2, MAX_CHANGES + 1):
        found: list[Proposal] = []
        for combination in itertools.combinations(moves, size):
            if len({field for field, _ in combination}) < size:
                continue
            if search.tried - spent >= SET_BUDGET:
                return PathToBetter(_ranked(search, found), False)
            if search.try_many(combination) is not None:
                relaxed = relax(search, combination)
                if relaxed is not None:
                    found.append(relaxed)
        if found:
            return PathToBetter(_ranked(search, _minimal(found)), True)
    return PathToBetter([], True)


def strong_moves(search: Search, topic: str) -> Iterator[Move]:
    """Each changeable field moved as far as its kind allows; cheapest kinds first."""
    relevant = relevant_fields(search.engine, search.section, topic)
    fields = sorted((f for f in search.kinds if f in relevant), key=lambda f: search.kinds[f].cost)
    for field in fields:
        yield from _field_moves(search, field)


def _field_moves(search: Search, field: str) -> Iterator[Move]:
    before, kind = getattr(search.model, field), search.kinds[field]
    if kind.from_unknown and not (before in UNKNOWN or before == []):
        return
    if isinstance(before, list):
        yield from ((field, [*before, item]) for item in list_items(search.section, field))
        return
    enum = enum_values(search.section, field, search.engine)
    if enum is not None:
        yield from ((field, v) for v in enum if v != before and v not in UNKNOWN)
        return
    domain = field_domain(search.section, field, search.engine.compiled.knowledge)
    if not isinstance(domain, Interval) or kind.direction == "either":
        return
    candidates = threshold_candidates(search.engine, search.section, field)
    if kind.direction == "lower":
        end = domain.lo if domain.lo > float("-inf") else min(candidates, default=None)
    else:
        end = max(candidates, default=None)
    if end is not None and end != before:
        fitted = search.fit(field, end, domain)
        if fitted is not None:
            yield field, fitted


def effective(search: Search, topic: str, moves: list[Move]) -> list[Move]:
    """The moves worth combining. Dropped: a move that only makes things worse on the way to
    ``topic`` (an adverse report: a band moves to a later, worse value and none to a better
    one); of several moves of one field with the same effect, all but the first (the least
    demanding; for an investigation the least favourable result). A move with no effect alone
    is kept, once per field: its effect may need another move (a credible plan needs the
    acknowledgement, the first payment and a short plan together)."""
    bands = _ordered_bands(search.engine, topic)
    base = {t: v for t, v in search.concluded(()) if t in bands}
    kept: dict[tuple[str, frozenset[tuple[str, Any]]], Move] = {}
    for move in moves:
        after = {t: v for t, v in search.concluded((move,)) if t in bands}
        if _only_worse(bands, base, after):
            continue
        kept.setdefault((move[0], frozenset(after.items())), move)
    return list(kept.values())


def _ordered_bands(engine: Engine, topic: str) -> dict[str, dict[Any, int]]:
    """The one-valued category topics on the way to ``topic``, each value's place (declared
    best first, as every graded topic and band of the rule base is)."""
    kb = engine.compiled.knowledge
    return {
        t: {v: i for i, v in enumerate(kb.topics[t].value_ids())}
        for t in feeding_topics(engine, topic) - {topic}
        if kb.topics[t].kind == "category" and kb.topics[t].cardinality == "one"
    }


def _only_worse(
    bands: dict[str, dict[Any, int]], base: dict[str, Any], after: dict[str, Any]
) -> bool:
    moved = [
        (bands[t].get(after[t], -1), bands[t].get(base[t], -1))
        for t in base.keys() & after.keys()
        if after[t] != base[t]
    ]
    return bool(moved) and all(new > old for new, old in moved)


def relax(search: Search, combination: tuple[Move, ...]) -> Proposal | None:
    """Each move brought back to the least change that, with the others, still gives a better
    answer (round numbers at the boundary); None if a member turns out not to be needed."""
    applied = dict(combination)
    changes: list[Change] = []
    formula_read = formula_fields(search.engine, search.section)
    for field, _ in combination:
        others = {f: v for f, v in applied.items() if f != field}
        base = search.with_values(others)
        sub = Search(search.engine, base, search.section, search.topic)
        if sub.current > search.current:
            return None  # the others suffice: not a smallest set
        sub.current = search.current  # better than the case as it is, not the others alone
        change = sub.field_change(field, field in formula_read)
        search.tried += sub.tried
        if change is None:
            return None
        applied[field] = change.applied()
        changes.append(change)
    outcome = search.try_many(tuple(applied.items()))
    if outcome is None:
        return None
    final = tuple(Change(c.field, c.before, c.after, c.op, outcome) for c in changes)
    return _proposal(search, final)


def _proposal(search: Search, changes: tuple[Change, ...]) -> Proposal:
    cost = sum(search.kinds[c.name].cost for c in changes)
    return Proposal(changes, changes[-1].outcome, cost)


def _minimal(found: list[Proposal]) -> list[Proposal]:
    """Drop a set that contains another set found (its extra change is not needed)."""
    fields = [frozenset(c.field for c in p.changes) for p in found]
    return [p for p, f in zip(found, fields, strict=True) if not any(g < f for g in fields)]


def _ranked(search: Search, proposals: list[Proposal]) -> list[Proposal]:
    """Cheapest first; among equal costs, the better answer first; then by field (stable)."""
    return sorted(proposals, key=lambda p: (p.cost, -search.rank(p.outcome), p.changes[0].field))
