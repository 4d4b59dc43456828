"""The trace: a typed record of every rule firing, in order, with the values it tested.

Plain slotted dataclasses rather than pydantic models: a batch creates millions of them, and
pydantic validates and serialises dataclass fields of ``Result`` all the same. The two made for
every firing (``TraceStep``, ``MatchedFact``) are not frozen — a frozen dataclass takes three
times as long to construct — but nothing changes them once recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class MatchedFact:
    """A fact a rule matched: its pattern name, its type and the attributes the rule read."""

    alias: str
    fact: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AssertedFact:
    topic: str
    value: Any


@dataclass(slots=True)
class TraceStep:
    """One firing. ``confirmed`` lists conclusions another rule had already asserted."""

    seq: int
    rule: str
    matched: list[MatchedFact]
    asserted: list[AssertedFact]
    confirmed: list[AssertedFact] = field(default_factory=list)
