"""Declared domains of fact attributes, and whether a set of tests can be satisfied in them.

Lint uses this to find rules that can never fire: a numeric attribute constrained to an empty
interval (``x ≥ 100`` and ``x < 50``, or outside the field's declared range), or a category
attribute asked for a value it cannot take.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

import annotated_types

from engine.intake import CASE_FACT
from knowledge_base import Knowledge
from knowledge_base.facts import SECTIONS
from rules.schema import Test


@dataclass(frozen=True)
class Interval:
    lo: float = -math.inf
    lo_open: bool = False
    hi: float = math.inf
    hi_open: bool = False

    def empty(self) -> bool:
        return self.lo > self.hi or (self.lo == self.hi and (self.lo_open or self.hi_open))

    def cut(self, op: str, bound: float) -> Interval:
        if op in ("ge", "gt"):
            open_ = op == "gt"
            if bound > self.lo or (bound == self.lo and open_):
                return Interval(bound, open_, self.hi, self.hi_open)
            return self
        open_ = op == "lt"
        if bound < self.hi or (bound == self.hi and open_):
            return Interval(self.lo, self.lo_open, bound, open_)
        return self


Domain = Interval | frozenset[Any] | None
"""Numeric interval, finite set of values, or None for free text."""


def _literal_values(annotation: Any) -> frozenset[Any] | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return frozenset(args)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in args:
            found = _literal_values(arg)
            if found is not None:
                return found
    if annotation is bool:
        return frozenset({True, False})
    return None


def _numeric(annotation: Any) -> bool:
    options = typing.get_args(annotation) or (annotation,)
    return any(a in (int, float) for a in options)


def field_domain(fact: str, field: str, kb: Knowledge) -> Domain:
    """The values an attribute may take, as declared by the case model or the topic."""
    topic = kb.topics.get(fact)
    if topic is not None:
        return frozenset(topic.value_ids()) if topic.kind == "category" else Interval()
    if fact == CASE_FACT:
        return frozenset({True, False})
    info = SECTIONS[fact].model_fields[field]
    values = _literal_values(info.annotation)
    if values is not None:
        return values
    if not _numeric(info.annotation):
        return None
    interval = Interval()
    for meta in info.metadata:
        for attr, op in (("ge", "ge"), ("gt", "gt"), ("le", "le"), ("lt", "lt")):
            bound = getattr(meta, attr, None)
            if isinstance(meta, annotated_types.BaseMetadata) and bound is not None:
                interval = interval.cut(op, float(bound))
    return interval


def narrow(domain: Domain, test: Test, kb: Knowledge) -> Domain:
    """What is left of ``domain`` for values that pass ``test``."""
    if isinstance(domain, Interval) and test.param is not None:
        return domain.cut(test.op, kb.param(test.param))
    if isinstance(domain, frozenset):
        if test.op == "eq":
            return domain & {test.value}
        if test.op == "in":
            return domain & set(test.values or ())
        if test.op == "ne":
            return domain - {test.value}
        if test.op == "not_in":
            return domain - set(test.values or ())
    return domain


def is_empty(domain: Domain) -> bool:
    if isinstance(domain, Interval):
        return domain.empty()
    return domain is not None and len(domain) == 0
