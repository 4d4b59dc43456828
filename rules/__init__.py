"""How to conclude: the rule base, one YAML file per module, validated at load time.

``load_rules()`` returns the rules in a stable order (file order within a module, modules in
the fixed order grading → credit → collection → closing), which is also the order the engine
registers them, so the agenda's tie-break by definition order is reproducible.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge_base import KnowledgeBaseError, read_yaml, validate_records
from knowledge_base.schema import MODULES
from rules.schema import Conclude, Pattern, Rule, Test

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class RuleBase:
    """An ordered, validated collection of rules."""

    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def content(self) -> list[dict[str, Any]]:
        """Canonical content, the rules half of the rule-base version hash."""
        return [r.model_dump(mode="json") for r in self.rules]

    @classmethod
    def from_content(cls, content: list[dict[str, Any]]) -> RuleBase:
        """The inverse of ``content()``: rebuild a stored rule base (an audit snapshot)."""
        return cls(tuple(Rule.model_validate(record) for record in content))


def load_rules(root: Path | None = None) -> RuleBase:
    """Load every ``<module>.yaml`` under ``root`` (default: this package)."""
    if root is None:
        return _default_rules()
    rules: list[Rule] = []
    for module in MODULES:
        path = root / f"{module}.yaml"
        if not path.exists():
            continue
        loaded = validate_records(path, Rule, read_yaml(path) or [])
        for rule in loaded:
            if rule.module != module:
                raise KnowledgeBaseError(
                    f"{path.name} {rule.id}",
                    f"module is {rule.module!r} but the file is {module!r}",
                )
        rules.extend(loaded)
    return RuleBase(tuple(rules))


@functools.cache
def _default_rules() -> RuleBase:
    return load_rules(ROOT)


__all__ = ["Conclude", "Pattern", "Rule", "RuleBase", "Test", "load_rules"]
