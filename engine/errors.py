"""Errors the engine reports; the tree is documented in ``knowledge_base.errors``.

A rejected value is never echoed whole: a message quotes at most ``EXCERPT_CHARS`` characters
of it, escaped as ``repr`` escapes (control characters, quotes), and lists at most
``MAX_PROBLEMS_SHOWN`` problems. A one-megabyte name or a hundred thousand bad list items
would otherwise become a message of that size in a terminal, a log or a web page.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass

from knowledge_base import load_knowledge
from knowledge_base.errors import KnowledgeBaseError, SalesExpertError

EXCERPT_CHARS = 60
"""Longest excerpt of a given value (or of a field name it made up) in a message."""
FIELD_CHARS = 240
"""Longest field name or file path shown: a path the user typed is shown whole unless absurd."""
MAX_PROBLEMS_SHOWN = 20
"""Problems an ``InputError`` message lists; the rest are counted ("and 5 more")."""


def _bounded_repr() -> reprlib.Repr:
    """A ``repr`` whose cost and length depend on these limits, never on the value (a
    shared-structure "alias bomb" is visited a few dozen items, not a billion)."""
    bounded = reprlib.Repr()  # Python 3.11 takes no keyword arguments
    bounded.maxlevel = 3
    bounded.maxdict = 4
    for name in ("maxtuple", "maxlist", "maxarray", "maxset", "maxfrozenset", "maxdeque"):
        setattr(bounded, name, 6)
    bounded.maxstring = EXCERPT_CHARS + 2
    bounded.maxlong = bounded.maxother = EXCERPT_CHARS
    return bounded


_REPR = _bounded_repr()


def excerpt(value: object, limit: int = EXCERPT_CHARS, *, quoted: bool = True) -> str:
    """At most ``limit`` characters showing ``value``, escaped, cut with "…" if longer.

    ``quoted=False`` shows a text without its quotes (a field name, a parser's message),
    still with control characters escaped."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        return f"<a number of about {int(value.bit_length() * 0.30103):,} digits>"
    if isinstance(value, str):
        shown = repr(value[: limit + 1])
        if not quoted:
            shown = shown[1:-1]
    else:
        shown = _REPR.repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: where it is, what was given and what is allowed.

    ``field`` and ``value`` are kept as given (callers compare them); print ``shown_field``
    and ``shown_value``, which are short and escaped."""

    field: str
    value: object
    message: str

    @property
    def shown_field(self) -> str:
        return excerpt(self.field, FIELD_CHARS, quoted=False)

    @property
    def shown_value(self) -> str:
        return excerpt(self.value)

    def __str__(self) -> str:
        given = "" if self.value is None else f" (got {self.shown_value})"
        return f"{self.shown_field}: {self.message}{given}"

    def text(self, lang: str) -> str:
        """The problem as a line in ``lang`` (its message is worded by whoever found it)."""
        kb = load_knowledge()
        given = "" if self.value is None else kb.text("input.got", lang, value=self.shown_value)
        return kb.text("input.problem", lang, field=self.shown_field, message=self.message) + given


class InputError(SalesExpertError):
    """A case failed validation. ``problems`` names the fields that were wrong; ``total``
    counts every problem found when only the first ones were kept (``len(problems)`` if
    not given)."""

    code = "invalid_input"

    def __init__(self, problems: list[FieldProblem], total: int | None = None) -> None:
        self.problems = problems
        self.total = max(total or 0, len(problems))
        lines = [f"  - {p}" for p in problems[:MAX_PROBLEMS_SHOWN]]
        if self.total > len(lines):
            lines.append(f"  - … and {self.total - len(lines):,} more")
        super().__init__(f"invalid case, {self.total:,} problem(s):\n" + "\n".join(lines))

    def text(self, lang: str) -> str:
        """The message in ``lang``, as a command prints it: a heading, then a line a problem.
        A subclass that words its whole message itself (its own ``__str__``) keeps it."""
        if type(self).__str__ is not InputError.__str__:
            return str(self)
        kb = load_knowledge()
        lines = [kb.text("input.invalid", lang, count=self.total)]
        lines += [f"  - {p.text(lang)}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        shown = min(len(self.problems), MAX_PROBLEMS_SHOWN)
        if self.total > shown:
            lines.append("  - " + kb.text("input.more", lang, count=self.total - shown))
        return "\n".join(lines)


class EngineError(SalesExpertError):
    """Inference could not complete."""

    code = "engine_error"


class RuleExecutionError(EngineError):
    """A rule's action raised; durable-rules would have swallowed it, so we name the rule."""

    code = "rule_failed"

    def __init__(self, rule_id: str, cause: BaseException) -> None:
        self.rule_id = rule_id
        self.cause = cause
        super().__init__(f"rule {rule_id} failed: {type(cause).__name__}: {cause}")


class RuleConflictError(EngineError):
    """Two rules concluded different values of a topic that takes one value."""

    code = "rule_conflict"

    def __init__(self, topic: str, first: tuple[str, object], second: tuple[str, object]) -> None:
        self.topic = topic
        super().__init__(
            f"topic {topic!r}: rule {first[0]} concluded {first[1]!r} but rule {second[0]} "
            f"concluded {second[1]!r}; the rule base must make these rules exclusive"
        )


class FiringBudgetExceeded(EngineError):
    """The rules kept triggering each other past the budget: a loop in the rule base."""

    code = "firing_budget_exceeded"


__all__ = [
    "EngineError",
    "FieldProblem",
    "FiringBudgetExceeded",
    "InputError",
    "KnowledgeBaseError",
    "RuleConflictError",
    "RuleExecutionError",
    "SalesExpertError",
]
