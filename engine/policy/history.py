"""The published policies over time, each with what it changed against the policy before it.

A publication puts its policy on top of the live ones and a rollback takes the top one off
(``engine.policy.events.live_stack``); walking the events in order gives, for each, the policy
live before and after it, and so the parameters and rules that differ: what an auditor or a
credit committee asks of a policy history ("what did the March publication change?").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.policy.model import PUBLISH, Event
from knowledge_base import Knowledge


@dataclass(frozen=True)
class Policy:
    """Parameter values changed from the shipped ones, and rules switched off."""

    values: Mapping[str, float] = field(default_factory=dict)
    rules_off: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Difference:
    """A parameter's value before and after (the shipped value where neither policy sets it),
    or a rule switched off (``after`` True) or back on."""

    target: str
    before: float | bool
    after: float | bool
    rule: bool = False


@dataclass(frozen=True)
class Shift:
    event: Event
    before: Policy
    after: Policy

    def differences(self, kb: Knowledge) -> list[Difference]:
        """What differs between the policy before and after, parameters first, by name."""
        found = []
        for name in sorted({*self.before.values, *self.after.values}):
            shipped = kb.parameters[name].value if name in kb.parameters else float("nan")
            old = self.before.values.get(name, shipped)
            new = self.after.values.get(name, shipped)
            if old != new:
                found.append(Difference(name, old, new))
        for rule in sorted(self.before.rules_off ^ self.after.rules_off):
            found.append(
                Difference(rule, rule in self.before.rules_off, rule in self.after.rules_off, True)
            )
        return found


def _policy(event: Event) -> Policy:
    return Policy(dict(event.values or {}), frozenset(event.rules_off or ()))


def shifts(events: Sequence[Event]) -> list[Shift]:
    """Each publication and rollback with the policy live before and after it, oldest first."""
    stack: list[Policy] = []
    found = []
    for event in events:
        before = stack[-1] if stack else Policy()
        if event.event == PUBLISH:
            stack.append(_policy(event))
        elif stack:
            stack.pop()
        found.append(Shift(event, before, stack[-1] if stack else Policy()))
    return found


__all__ = ["Difference", "Policy", "Shift", "shifts"]
