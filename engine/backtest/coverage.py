"""Rule coverage of a back-test: how many joined cases each rule fired on, the bad rate among
them, and the credit rules that fired on none.

A rule that fires twice in one consultation counts once for that case: the question is "how
many customers did this rule touch", not how busy the engine was (``audit stats`` counts
firings). The rules listed are every rule that fired on a joined case, of any module, each with
its module, so that a grading rule's bad rate can be read too; ``never_fired`` lists only the
credit module's rules (the back-test is the credit module's), taken from the rule base(s) the
cases ran under. A rule id no rule base knows (a results file of an older rule base) is listed
with the module ``None``.

When a case does not say which rules fired (a batch results file has no ``rules`` column),
coverage is unknown and both lists are ``None``: an empty list would claim that no rule fired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from engine.backtest import metrics
from rules import RuleBase

COVERED_MODULE = "credit"
"""The module whose rules ``never_fired`` lists."""


def rule_modules(rulebases: Iterable[RuleBase]) -> dict[str, str]:
    """Rule id → module over the rule bases (a rule of several versions keeps one module: ids
    are stable, a rule never changes module)."""
    return {rule.id: rule.module for rulebase in rulebases for rule in rulebase.rules}


class Coverage:
    """Rule firings folded case by case; memory grows with the number of rules, not cases."""

    def __init__(self) -> None:
        self.fired: Counter[str] = Counter()
        self.bad: Counter[str] = Counter()
        self.known = True

    def add(self, rules: tuple[str, ...] | None, bad: bool) -> None:
        """One joined case: the rules that fired on it (None: not known) and its outcome."""
        if rules is None:
            self.known = False
            return
        touched = set(rules)
        self.fired.update(touched)
        if bad:
            self.bad.update(touched)

    def figures(self, modules: Mapping[str, str] | None) -> dict[str, Any]:
        """``rules`` (most fired first) and ``never_fired`` (credit rules, by id), or both None
        when the cases do not say which rules fired or no rule base is known."""
        if not self.known or modules is None:
            return {"rules": None, "never_fired": None}
        ranked = sorted(self.fired.items(), key=lambda item: (-item[1], item[0]))
        rows = [
            {
                "rule": rule,
                "module": modules.get(rule),
                "fired": fired,
                "bad": self.bad[rule],
                "bad_rate": self.bad[rule] / fired,
                "small": fired < metrics.SMALL_GROUP,
            }
            for rule, fired in ranked
        ]
        never = sorted(
            rule
            for rule, module in modules.items()
            if module == COVERED_MODULE and rule not in self.fired
        )
        return {"rules": rows, "never_fired": never}


__all__ = ["COVERED_MODULE", "Coverage", "rule_modules"]
