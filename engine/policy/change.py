"""A policy change: what a challenger policy changes in today's rule base.

A change is parameter values (parameter id → value) and rules switched off. It comes from a
parameter overlay file (``sales-expert calibrate --out``: ``PolicyChange.from_overlay``) or
from a draft of the policy workbench (built elsewhere, handed over as a ``PolicyChange``). It
is plain, picklable data, so a batch worker receives the change itself and builds the
challenger engine from it (``engine.calibrate.engine_with``), never an engine.

``problems`` checks a change against the rule base before anything runs: every unknown
parameter or rule id (with the closest known ones), every value that is not a finite number or
lies outside the parameter's declared range, each named in English or Chinese with the value
and what is allowed (parameter values in the words of ``engine.parameter_values``, as a draft
or an overlay file is refused). ``check`` raises them all at once as a ``PolicyChangeError``
(an ``InputError``: exit 2 on the command line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.calibrate.apply import refused_names, rule_ids
from engine.calibrate.overlay import load_overlay
from engine.errors import FieldProblem, InputError
from engine.parameter_values import parameter_value_problem
from knowledge_base import load_knowledge


class PolicyChangeError(InputError):
    """A change the rule base refuses; each line names the parameter or rule, the value and
    what is allowed (``field`` keeps the parameter or rule id for programs)."""

    code = "invalid_policy_change"

    def __str__(self) -> str:
        return "\n".join(p.message for p in self.problems)


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
            if name in kb.parameters and (text := parameter_value_problem(name, value, kb, lang)):
                found.append(FieldProblem(name, None, text))
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
