"""Decision-table check: the rules concluding a one-valued topic are complete and exclusive.

Found by range analysis (reasoning on intervals and value sets), not by running cases:

* **Group**: the rules concluding one category topic declared ``cardinality: one``. Many-valued
  topics are left alone: overlapping rules are how they collect several values.
* **Inputs**: every attribute a rule of the group tests is a variable, with its declared domain.
  A case section's presence (``case.has_credit`` and a pattern on ``credit`` are the same
  variable); a section field (its declared values or range, plus *missing* if it admits None,
  plus *absent* without its section); a topic's value (its declared values, any real number
  for a number topic, plus *absent*). Numeric domains are cut at the tested thresholds into
  elementary cells (each threshold a point, open stretches between; cells holding no whole
  number are dropped for integer fields), values no test tells apart are merged, and every
  combination is enumerated. A rule that does not test a variable leaves it free.
* **Links**: a topic needs the premises all its rules share, with those of the topics they
  test; it is absent where they fail. It is present wherever they hold if its group is checked
  for gaps (its own gaps are reported there) or if its rules leave no gap (found by the same
  analysis); otherwise it may be absent anywhere. Where one of its rules has all its premises
  among the group's inputs, it has that rule's value (``escalation_level=legal`` means
  ``credit_hold=freeze``). Combinations breaking these links are dropped. A topic needed only
  through another topic is taken to be there when that one is.
* **Applicability**: a group applies where the premises common to all its rules (with what their
  topics need) hold: the same test written in every rule, such as ``case.has_credit == true``
  or a pattern on the section. Premises the rules state differently are what tells them
  apart, so the whole declared domain of those inputs must be covered.
* **Gap** (``table-gap``): a combination where the group applies and no rule matches. Required
  of topics some rule tests: a consumer of a missing topic silently does not fire, while an
  output nothing reads may be left out on purpose (no referral to collection when nothing
  is overdue).
* **Overlap** (``table-overlap``): two rules concluding *different* values both match one
  combination. Several rules concluding the same value (one per reason) are allowed.
* **Unverified** (``table-unverified``): a group whose enumeration needs more than ``LIMIT``
  steps is reported rather than passed.

Topics are otherwise independent inputs: a combination no upstream rule produces (say
``service_tier=ordinary`` with ``value_tier=high``, related through ``tenure``, which the
group does not test) must still be covered, as in any decision table checked over its
conditions' domains; so must a number topic's every value, whatever its formula can yield.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from engine.domains import (
    PRESENT,
    TRUE,
    Cell,
    Constraint,
    Literal,
    Mark,
    TooMany,
    Var,
    holds,
    input_states,
    pattern_literals,
)
from engine.references import Finding
from knowledge_base import Knowledge
from rules import RuleBase

LIMIT = 100_000
"""Most search steps (about one per combination of input cells) for one group. The largest
shipped group, credit_decision, takes a few thousand; the whole rule base well under a second."""


class _Model:
    """What the whole rule base says about each topic: who concludes it, what it needs."""

    def __init__(self, rulebase: RuleBase, kb: Knowledge) -> None:
        self.kb = kb
        self.rules = rulebase.by_id()
        self.literals = {
            r.id: frozenset(lit for p in r.when for lit in pattern_literals(p, kb))
            for r in rulebase.rules
        }
        self.makers: dict[str, list[tuple[str, str | None]]] = {}
        for rule in rulebase.rules:
            for c in rule.then:
                self.makers.setdefault(c.topic, []).append((rule.id, c.value))
        self.tested = {p.fact for r in rulebase.rules for p in r.when if p.fact in kb.topics}
        self._pres: dict[str, frozenset[Literal]] = {}
        self.exact: dict[str, bool] = {}

    def checked(self, topic: str) -> bool:
        """Checked for gaps: a one-valued category topic that some rule tests."""
        t = self.kb.topics[topic]
        return t.kind == "category" and t.cardinality == "one" and topic in self.tested

    def closure(self, rule_id: str) -> frozenset[Literal]:
        """A rule's premises and, for each topic it tests, what that topic needs."""
        own = self.literals[rule_id]
        return own.union(*(self.pres(v.fact) for v, _ in own if v.kind == "topic"))

    def pres(self, topic: str) -> frozenset[Literal]:
        """The premises every rule concluding ``topic`` has (with their topics'): it needs them."""
        if topic not in self._pres:
            self._pres[topic] = frozenset()  # a cycle needs nothing more
            shared = [self.closure(r) for r in sorted({r for r, _ in self.makers.get(topic, ())})]
            self._pres[topic] = frozenset.intersection(*shared) if shared else frozenset()
        return self._pres[topic]


def _present_where_needed(topic: str, model: _Model) -> bool:
    """Whether ``topic`` is there wherever what it needs holds: assumed for checked groups
    (their gaps are reported), found by the same gap search for any other topic."""
    if model.checked(topic):
        return True
    if topic not in model.exact:
        model.exact[topic] = False  # a cycle proves nothing
        with contextlib.suppress(TooMany):
            model.exact[topic] = _search(_space(topic, model)).gaps == 0
    return model.exact[topic]


@dataclass(frozen=True)
class _Clause:
    """If every premise holds, so does the conclusion: a link between two inputs."""

    premises: tuple[Literal, ...]
    conclusion: Literal


def _bare(lit: Literal, kept: set[Var]) -> bool:
    """A bare "that topic is there" premise on a topic outside the group's inputs: dropped,
    since a topic another one builds on is taken to be there when that one is."""
    return lit[0].kind == "topic" and lit[1] == PRESENT and lit[0] not in kept


def _gather(own: Iterable[Literal], common: Iterable[Literal], model: _Model) -> list[Var]:
    """The group's inputs, with the sections of their fields and what their topics need."""
    todo = sorted({v for v, _ in own} | {v for v, c in common if not _bare((v, c), set())})
    seen: set[Var] = set()
    while todo:
        var = todo.pop()
        if var not in seen:
            seen.add(var)
            if var.kind == "field":
                todo.append(Var("section", var.fact))
            elif var.kind == "topic":
                todo += [v for v, c in model.pres(var.fact) if not _bare((v, c), set())]
    order = {"section": 0, "field": 1, "topic": 2}
    return sorted(seen, key=lambda v: (order[v.kind], v.fact, v.field))


def _links(var: Var, model: _Model, kept: set[Var]) -> list[_Clause]:
    """How ``var`` depends on other inputs: a field on its section, a topic on what it needs."""
    if var.kind == "field":
        section = Var("section", var.fact)
        return [
            _Clause(((section, TRUE),), (var, PRESENT)),
            _Clause(((section, ("in", frozenset({False}))),), (var, ("absent",))),
        ]
    if var.kind == "section":
        return []
    if var.fact not in model.makers:  # never concluded (reported as such): never there
        return [_Clause((), (var, ("absent",)))]
    needs = tuple(sorted((lit for lit in model.pres(var.fact) if not _bare(lit, kept)), key=repr))
    found = [_Clause(((var, PRESENT),), lit) for lit in needs]
    if _present_where_needed(var.fact, model):
        found.append(_Clause(needs, (var, PRESENT)))
    return found + _derivations(var, model, kept)


def _derivations(var: Var, model: _Model, kept: set[Var]) -> list[_Clause]:
    """A topic's rules whose premises are all inputs of the group: where one matches, the
    topic has its value (``credit_hold=keep`` only with ``escalation_level`` negotiate/firm)."""
    found = []
    many = model.kb.topics[var.fact].cardinality == "many"
    for rule_id, value in model.makers.get(var.fact, ()):
        own = model.literals[rule_id]
        if own and all(v in kept and v != var for v, _ in own):
            made = PRESENT if value is None else ("in", frozenset({value}))
            found.append(
                _Clause(tuple(sorted(own, key=repr)), (var, ("any", (made,)) if many else made))
            )
    return found


Link = tuple[tuple[tuple[int, Constraint], ...], tuple[int, Constraint]]


@dataclass
class _Space:
    """A group's inputs and their states, with what each state means for rules and links."""

    vars: list[Var]
    states: list[list[object]]
    applies: list[list[bool]]  # the group's common premises on this input hold
    masks: list[list[int]]  # bit b set: rule b's premises on this input hold
    links: list[list[Link]]  # checked once the last input they involve is chosen
    entries: list[tuple[str, str | None]]  # (rule id, value concluded) per bit
    touched: list[set[int]]  # per bit, the inputs the rule tests


@dataclass
class _Outcome:
    """What the search found: the first combination of each kind, to show as a witness."""

    steps: int = 0
    gaps: int = 0
    first_gap: tuple[object, ...] | None = None
    overlaps: dict[tuple[int, int], tuple[object, ...]] = field(default_factory=dict)


def _space(topic: str, model: _Model) -> _Space:
    """The inputs of the group concluding ``topic``, each state precomputed for the search."""
    entries = model.makers[topic]
    own = [model.literals[r] for r, _ in entries]
    common = frozenset.intersection(*(model.closure(r) for r, _ in entries))
    variables = _gather(itertools.chain(*own), common, model)
    kept = set(variables)
    common = frozenset(lit for lit in common if not _bare(lit, kept))
    clauses = [cl for v in variables for cl in _links(v, model, kept)]
    tests: dict[Var, list[Constraint]] = {v: [] for v in variables}
    for var, c in itertools.chain(*own, common, *(cl.premises for cl in clauses)):
        tests[var].append(c)
    states = [input_states(v, tests[v], model.kb) for v in variables]
    index = {v: i for i, v in enumerate(variables)}
    links: list[list[Link]] = [[] for _ in variables]
    for cl in clauses:
        at = tuple((index[v], c) for v, c in cl.premises)
        end = (index[cl.conclusion[0]], cl.conclusion[1])
        links[max(i for i, _ in (*at, end))].append((at, end))

    def hold(lits: Iterable[Literal], i: int, state: object) -> bool:
        return all(holds(c, state) for v, c in lits if v == variables[i])

    def mask(i: int, state: object) -> int:
        return sum(1 << b for b, lits in enumerate(own) if hold(lits, i, state))

    return _Space(
        variables,
        states,
        [[hold(common, i, s) for s in states[i]] for i in range(len(variables))],
        [[mask(i, s) for s in states[i]] for i in range(len(variables))],
        links,
        entries,
        [{index[v] for v, _ in lits} for lits in own],
    )


def _search(space: _Space) -> _Outcome:
    """Every combination where the group applies and the links hold: which rules match."""
    out = _Outcome()
    picked: list[object] = [None] * len(space.vars)

    def linked(i: int) -> bool:
        return all(
            holds(end[1], picked[end[0]]) or not all(holds(c, picked[j]) for j, c in at)
            for at, end in space.links[i]
        )

    def visit(i: int, alive: int) -> None:
        out.steps += 1
        if out.steps > LIMIT:
            raise TooMany
        if i == len(space.vars):
            _record(space, out, alive, tuple(picked))
            return
        for k, state in enumerate(space.states[i]):
            picked[i] = state
            if space.applies[i][k] and linked(i):
                visit(i + 1, alive & space.masks[i][k])

    visit(0, (1 << len(space.entries)) - 1)
    return out


def _record(space: _Space, out: _Outcome, alive: int, picked: tuple[object, ...]) -> None:
    """One full combination: no rule left is a gap; two values left are an overlap."""
    if not alive:
        out.gaps += 1
        out.first_gap = out.first_gap or picked
        return
    bits = [b for b in range(len(space.entries)) if alive >> b & 1]
    for a, b in itertools.combinations(bits, 2):
        if space.entries[a][1] != space.entries[b][1]:
            out.overlaps.setdefault((a, b), picked)


def _show(var: Var, state: object, names: dict[float, str]) -> str | None:
    """One input of a witness, as a rule would write it; None if nothing worth saying."""
    if var.kind == "section":
        return None if var.fact == "customer" else f"case.has_{var.fact}={str(state).lower()}"
    label = f"{var.fact}.{var.field}" if var.kind == "field" else var.fact
    if state is Mark.ABSENT:
        return None if var.kind == "field" else f"no {label}"
    if state is Mark.MISSING:
        return f"{label} missing"
    if isinstance(state, Cell):
        label = label if var.kind == "field" else f"{label}.value"
        return f"{label} = {state.describe(names)}"
    if isinstance(state, frozenset):
        return f"{label}=[{', '.join(sorted(str(s) for s in state))}]"
    return f"{label}={str(state).lower() if isinstance(state, bool) else state}"


def _witness(space: _Space, picked: tuple[object, ...], shown: set[int], model: _Model) -> str:
    """The inputs ``shown`` of one combination; a section whose fields are shown goes unsaid."""
    names = _threshold_names(space, model)
    told = {space.vars[i].fact for i in shown if space.vars[i].kind == "field"}
    parts = [
        _show(space.vars[i], picked[i], names.get(space.vars[i], {}))
        for i in sorted(shown)
        if not (
            space.vars[i].kind == "section" and picked[i] is True and space.vars[i].fact in told
        )
    ]
    return ", ".join(p for p in parts if p) or "any input"


def _threshold_names(space: _Space, model: _Model) -> dict[Var, dict[float, str]]:
    """Per input, the parameter names behind each threshold, to say where a cell lies."""
    found: dict[Var, dict[float, set[str]]] = {}
    for rule_id, _ in space.entries:
        for pattern in model.rules[rule_id].when:
            is_topic = pattern.fact in model.kb.topics
            for test in (t for t in pattern.tests if t.param is not None):
                var = (
                    Var("topic", pattern.fact)
                    if is_topic
                    else Var("field", pattern.fact, test.field)
                )
                bound = model.kb.param(str(test.param))
                found.setdefault(var, {}).setdefault(bound, set()).add(str(test.param))
    return {v: {x: "/".join(sorted(n)) for x, n in m.items()} for v, m in found.items()}


def _ids(ids: Iterable[str]) -> str:
    """Rule ids with consecutive runs shortened: ``CR-102..CR-112, CR-128``."""
    runs: list[list[str]] = []
    for rule_id in sorted(set(ids)):
        prefix, number = rule_id.split("-")
        last = runs[-1][-1] if runs else ""
        if last.startswith(f"{prefix}-") and int(last.split("-")[1]) + 1 == int(number):
            runs[-1].append(rule_id)
        else:
            runs.append([rule_id])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}..{r[-1]}" for r in runs)


def _group_findings(topic: str, model: _Model) -> Iterator[Finding]:
    """One finding per group for its gaps (the first as witness), one per overlapping pair."""
    where = f"topic {topic}"
    space = _space(topic, model)
    group = _ids(r for r, _ in space.entries)
    try:
        out = _search(space)
    except TooMany:
        yield Finding(
            "table-unverified",
            where,
            f"could not verify {group}: more than {LIMIT} combinations of inputs to try",
        )
        return
    if out.first_gap is not None and model.checked(topic):
        witness = _witness(space, out.first_gap, set(range(len(space.vars))), model)
        more = f" ({out.gaps} uncovered combinations)" if out.gaps > 1 else ""
        yield Finding(
            "table-gap", where, f"gap: no rule of {group} concludes {topic} when {witness}{more}"
        )
    for (a, b), picked in sorted(out.overlaps.items()):
        (ra, va), (rb, vb) = space.entries[a], space.entries[b]
        witness = _witness(space, picked, space.touched[a] | space.touched[b], model)
        yield Finding(
            "table-overlap",
            where,
            f"overlap: {ra} ({va}) and {rb} ({vb}) both match when {witness}",
        )


def table_findings(rulebase: RuleBase, kb: Knowledge) -> Iterator[Finding]:
    """Gaps and overlaps of every one-valued category topic's rules (see the module doc)."""
    model = _Model(rulebase, kb)
    for topic in kb.topics.values():
        if topic.kind == "category" and topic.cardinality == "one" and topic.id in model.makers:
            yield from _group_findings(topic.id, model)
