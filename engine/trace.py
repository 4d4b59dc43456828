"""The trace: a typed record of every rule firing, in order, with the values it tested."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchedFact(Record):
    """A fact a rule matched: its pattern name, its type and the attributes the rule read."""

    alias: str
    fact: str
    values: dict[str, Any]


class AssertedFact(Record):
    topic: str
    value: Any


class TraceStep(Record):
    """One firing. ``confirmed`` lists conclusions another rule had already asserted."""

    seq: int
    rule: str
    matched: list[MatchedFact]
    asserted: list[AssertedFact]
    confirmed: list[AssertedFact] = []
