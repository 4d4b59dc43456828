"""What a why-not reads of a consultation and of the rule base, and how its lines are merged:
the parts of ``engine.whynot`` that do not need its prepared texts."""

from __future__ import annotations

from typing import Any

from engine.firing import Firing
from engine.intake import Fact, catalogue_lists
from engine.result import WhyNot
from knowledge_base import Knowledge
from rules import Rule

Source = tuple[str, str]
"""(fact type, attribute) a why-not reads; attribute "" for a whole topic."""


def graded_topics(kb: Knowledge) -> frozenset[str]:
    """The topics that get why-nots: one-valued categories shown to the user (a grade, a
    tier, a decision), not bands, numbers or lists."""
    return frozenset(
        t.id
        for t in kb.topics.values()
        if t.kind == "category" and t.cardinality == "one" and not t.intermediate
    )


Inputs = tuple[tuple[Source, ...], tuple[Source, ...], tuple[str, ...]]
"""What a why-not reads: case attributes holding one value, case attributes holding a list
(made hashable for the cache key), and whole facts (a band's values, a section's presence)."""


def _inputs_read(producers: dict[tuple[str, Any], list[Rule]], topic: str, kb: Knowledge) -> Inputs:
    """Everything the rules concluding any value of ``topic`` test: the key of the cached
    (shallow) why-not. Following a failed band down to its input reads more (the input's
    value), which is why that step is done afresh for every consultation."""
    listed = set(catalogue_lists())
    attributes: dict[Source, None] = {}
    wholes: dict[str, None] = {}
    for (concluded, _), rules in producers.items():
        if concluded != topic:
            continue
        for rule in rules:
            for pattern in rule.when:
                wholes[pattern.fact] = None
                if pattern.fact not in kb.topics:
                    attributes.update(((pattern.fact, t.field), None) for t in pattern.tests)
    scalars = tuple(a for a in attributes if a not in listed)
    return scalars, tuple(a for a in attributes if a in listed), tuple(wholes)


def topic_values(firing: Firing) -> dict[str, tuple[Any, ...]]:
    """Each concluded topic's values, in order; worked out once per consultation."""
    found: dict[str, tuple[Any, ...]] | None = firing.memo.get(("topic_values",))
    if found is None:
        found = firing.memo[("topic_values",)] = {}
        for topic, value in firing.derived:
            prior = found.get(topic)
            found[topic] = (value,) if prior is None else (*prior, value)
    return found


def _derived_facts(firing: Firing, topic: str) -> list[Fact] | None:
    """A concluded topic's values as the facts a pattern would have matched; None if the
    topic has no value. Made on demand: a why-not reads only a few topics."""
    made: dict[str, list[Fact] | None] | None = firing.memo.get(("derived_facts",))
    if made is None:
        made = firing.memo[("derived_facts",)] = {}
    if topic not in made:
        values = topic_values(firing).get(topic)
        made[topic] = None if values is None else [{"value": v} for v in values]
    return made[topic]


def collapse(why_nots: list[WhyNot], separator: str) -> list[WhyNot]:
    """Alternatives blocked by the same premise (approve and approve with conditions, both by
    the risk verdict) as one line: the labels joined, in the topic's order."""
    merged: dict[str, WhyNot] = {}
    for why in why_nots:
        same = merged.get(why.failed)
        if same is None:
            merged[why.failed] = why
        else:
            merged[why.failed] = WhyNot(
                same.value,
                same.label + separator + why.label,
                same.rule,
                same.failed,
                same.field,
                same.actual,
                same.expected,
            )
    return list(merged.values())


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
