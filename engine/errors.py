"""Errors the engine reports; the tree is documented in ``knowledge_base.errors``."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge_base.errors import KnowledgeBaseError, SalesExpertError


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input: where it is, what was given and what is allowed."""

    field: str
    value: object
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} (got {self.value!r})"


class InputError(SalesExpertError):
    """A case failed validation. ``problems`` names every field that was wrong."""

    code = "invalid_input"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid case, {len(problems)} problem(s):\n{lines}")


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
