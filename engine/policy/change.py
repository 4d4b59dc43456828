"""A policy change: what a challenger policy changes in today's rule base.

A change is parameter values (parameter id → value) and rules switched off. It comes from a
parameter overlay file (``sales-expert calibrate --out``: ``PolicyChange.from_overlay``) or
from a draft of the policy workbench (built elsewhere, handed over as a ``PolicyChange``). It
is plain, picklable data, so a batch worker receives the change itself and builds the
challenger engine from it (``engine.calibrate.engine_with``), never an engine.

``problems`` checks a change against the rule base before anything runs: every unknown
parameter or rule id (with the closest known one), every value that is not a finite number or
lies outside the parameter's declared range, each named in English or Chinese with the value
and what is allowed. ``check`` raises them all at once as a ``PolicyChangeError`` (an
``InputError``: exit 2 on the command line).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.calibrate.apply import refused_names, rule_ids
from engine.calibrate.overlay import load_overlay, range_text
from engine.errors import FieldProblem, InputError, excerpt
from knowledge_base import Knowledge, load_knowledge


class PolicyChangeError(InputError):
    """A change the rule base refuses; each line names the parameter or rule, the value and
    what is allowed (``field`` keeps the parameter or rule id for programs)."""

    code = "invalid_policy_change"

    def __str__(self) -> str:
        return "\n".join(p.message for p in self.problems)


def named(name: str, kb: Knowledge, lang: str) -> str:
    """A parameter as a message names it: “label” in Chinese, "label (id)" in English."""
    label = kb.parameters[name].label.get(lang)
    return f"“{label}”" if lang == "zh" else f"{label} ({name})"


def shown_number(value: float) -> str:
    """A refused value as given: whole numbers grouped, others with their significant digits
    (``number`` rounds to two decimals, which would show 0.0001 as 0)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def _finite(value: object) -> float | None:
    """The value as a finite float, or None (``True``, ``"12"``, NaN and infinity are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def value_problem(name: str, value: object, kb: Knowledge, lang: str) -> FieldProblem | None:
    """What is wrong with a known parameter's value, or None: not a finite number, or outside
    the declared range."""
    parameter, where = kb.parameters[name], named(name, kb, lang)
    number = _finite(value)
    if number is None:
        text = kb.text("policy_simulate.not_a_number", lang, parameter=where, value=excerpt(value))
        return FieldProblem(name, None, text)
    low, high = parameter.min, parameter.max
    if (low is not None and number < low) or (high is not None and number > high):
        values = {"parameter": where, "range": range_text(parameter, kb, lang)}
        text = kb.text("policy_simulate.out_of_range", lang, value=shown_number(number), **values)
        return FieldProblem(name, None, text)
    return None


@dataclass(frozen=True)
class PolicyChange:
    """Parameter values and switched-off rules of a challenger policy (see the module doc)."""

    values: Mapping[str, float] = field(default_factory=dict)
    rules_off: frozenset[str] = frozenset()
    source: str = ""
    """Where the change comes from (an overlay file, a draft's name), for the report."""

    def __post_init__(self) -> None:
        # copies: the caller's dict or set changing later must not change this policy
        object.__setattr__(self, "values", dict(self.values))
        object.__setattr__(self, "rules_off", rule_ids(self.rules_off))

    @classmethod
    def from_overlay(cls, path: Path, lang: str = "en") -> PolicyChange:
        """The values of a parameter overlay file, read and checked by ``load_overlay`` (its
        refusals name the file, the parameter, the value and the range)."""
        return cls(load_overlay(path, lang).values(), frozenset(), str(path))

    def problems(self, lang: str = "en") -> list[FieldProblem]:
        """Everything the rule base refuses in this change (empty: it may run)."""
        kb = load_knowledge()
        unknown = refused_names(self.values, self.rules_off, lang)
        found = list(unknown.problems) if unknown is not None else []
        for name, value in sorted(self.values.items()):
            if name in kb.parameters and (problem := value_problem(name, value, kb, lang)):
                found.append(problem)
        return found

    def check(self, lang: str = "en") -> None:
        """Raise ``PolicyChangeError`` with every problem of ``problems``."""
        found = self.problems(lang)
        if found:
            raise PolicyChangeError(found)

    def as_json(self) -> dict[str, object]:
        """The change as the report shows it to programs."""
        return {
            "values": dict(sorted(self.values.items())),
            "rules_off": sorted(self.rules_off),
            "source": self.source or None,
        }
