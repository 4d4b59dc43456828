"""What a consultation returns: conclusions with their explanations, the trace, the version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.trace import TraceStep


@dataclass(slots=True)
class HowStep:
    """One link of the chain from input facts to a conclusion, as a sentence.

    Like ``WhyNot``, made tens of times per consultation, so not frozen (a frozen dataclass
    takes about three times as long to construct); links and why-nots that do not depend on
    the case are shared between consultations, and nothing changes one once made.
    """

    rule: str
    text: str


@dataclass(slots=True)
class WhyNot:
    """Why an alternative value was not concluded: the rule that would have, what failed."""

    value: Any
    label: str
    rule: str
    failed: str
    field: str | None = None
    actual: Any = None
    expected: Any = None


@dataclass(slots=True)
class Conclusion:
    """A concluded topic value; enrichers may add to ``details`` after inference."""

    topic: str
    value: Any
    label: str
    topic_label: str
    intermediate: bool
    score: float | None
    details: dict[str, Any]
    rules: list[str]
    how: list[HowStep] = field(default_factory=list)
    why_not: list[WhyNot] = field(default_factory=list)


@dataclass(slots=True)
class ModuleSummary:
    """One module's answer at a glance (``engine.summary``): what a manager reads first."""

    module: str
    title: str
    headline: str
    reasons: list[str] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    next_step: str = ""


class Result(BaseModel):
    """A consultation's outcome. Its JSON form is what ``sales-expert consult --json`` prints."""

    model_config = ConfigDict(extra="forbid")

    ruleset_version: str
    product_version: str
    lang: str
    conclusions: list[Conclusion]
    trace: list[TraceStep]
    audit_id: int | None = None
    """The audit record of this consultation, when it was recorded (``engine.audit``)."""
    summary: list[ModuleSummary] = []
    """Per module, the answer at a glance (``engine.summary``): what to read first."""
    shadow: dict[str, Any] | None = Field(default=None, exclude=True)
    """The answers of the policy running in shadow (``engine.policy.shadow``), when one is: kept
    in the audit record, never shown, so it is left out of the result's JSON."""

    def values(self, topic: str) -> list[Any]:
        return [c.value for c in self.conclusions if c.topic == topic]

    def value(self, topic: str) -> Any:
        """The value of a one-valued topic, or None if no rule concluded it."""
        found = self.values(topic)
        return found[0] if found else None

    def conclusion(self, topic: str) -> Conclusion | None:
        return next((c for c in self.conclusions if c.topic == topic), None)

    def fired_rules(self) -> list[str]:
        return [step.rule for step in self.trace]
