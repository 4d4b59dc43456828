"""The simulation's figures, folded row by row as the compared rows stream in.

Memory grows with the distinct answers (a migration matrix has at most one cell per pair of a
topic's values), the first ``SAMPLE_ROWS`` changed rows and, with outcomes, the rows an outcome
names (``engine.policy.outcomes``): never with the book.

Per compared topic (the batch output columns that carry a topic): how many rows concluded it
under either policy, how many changed answer, and the migration matrix (from → to counts, the
unchanged diagonal included; a value a policy does not conclude is ``None``). The recommended
limit is a number: instead of a matrix, how many rose, fell, appeared or vanished and its total
under each policy. Per policy: the credit consultations (rows with a credit decision), the
approved ones (approve or approve with conditions) and the approval rate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine.batch.runner import Problem
from engine.calibrate.results import APPROVALS
from knowledge_base import load_knowledge

COMPARED = (
    "credit_decision",
    "risk_level",
    "recommended_limit",
    "value_tier",
    "service_tier",
    "primary_debtor_type",
    "top_technique",
)
"""The batch output columns that carry one topic's answer, compared between the policies."""
DECISION = COMPARED.index("credit_decision")
LIMIT = COMPARED.index("recommended_limit")
SAMPLE_ROWS = 20
"""Changed rows shown with both explanations, the first by row order."""
POLICIES = ("champion", "challenger")
Answers = tuple[Any, ...]
"""One value per ``COMPARED`` topic, None where the policy concludes nothing of it."""
Reason = dict[str, str]
"""A principal reason of a credit decision: ``rule`` and ``text``."""


class Compared(NamedTuple):
    """One book row under both policies (what a worker sends back: small and picklable)."""

    row: int
    customer_id: str
    consultation_id: int | None
    champion: Answers | None
    challenger: Answers | None
    reasons: tuple[list[Reason], list[Reason]] | None = None
    problems: list[Problem] | None = None

    @property
    def changed(self) -> list[int]:
        """Positions in ``COMPARED`` of the topics whose answer differs."""
        if self.champion is None or self.challenger is None:
            return []
        pairs = zip(self.champion, self.challenger, strict=True)
        return [i for i, (before, after) in enumerate(pairs) if before != after]


def is_number_topic(topic: str) -> bool:
    return load_knowledge().topics[topic].kind == "number"


@dataclass
class TopicTally:
    """One topic's answers under both policies."""

    topic: str
    number: bool
    moves: Counter[tuple[Any, Any]] = field(default_factory=Counter)
    rose: int = 0
    fell: int = 0

    def add(self, before: Any, after: Any) -> None:
        if before is None and after is None:
            return
        self.moves[(before, after)] += 1
        if self.number and before is not None and after is not None:
            self.rose += after > before
            self.fell += after < before

    def figures(self, ok: int) -> dict[str, Any]:
        changed = sum(n for (before, after), n in self.moves.items() if before != after)
        out: dict[str, Any] = {"topic": self.topic, "kind": "number" if self.number else "category"}
        out |= {"concluded": sum(self.moves.values()), "changed": changed}
        out["changed_share"] = changed / ok if ok else None
        if self.number:
            out |= {"increased": self.rose, "decreased": self.fell}
            out["appeared"] = sum(n for (b, a), n in self.moves.items() if b is None)
            out["vanished"] = sum(n for (b, a), n in self.moves.items() if a is None)
        else:
            out["matrix"] = _matrix(self.topic, self.moves)
        return out


def _matrix(topic: str, moves: Counter[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """The non-empty cells, from and to in the topic's value order ("not concluded" last)."""
    order = {value: i for i, value in enumerate(load_knowledge().topics[topic].value_ids())}

    def rank(value: Any) -> tuple[int, str]:
        return (order.get(value, len(order)) + (value is None), str(value))

    cells = sorted(moves.items(), key=lambda item: (rank(item[0][0]), rank(item[0][1])))
    return [{"from": before, "to": after, "n": n} for (before, after), n in cells]


@dataclass
class PolicyTally:
    """One policy's credit figures: consultations, approvals, the total recommended limit."""

    credit: int = 0
    approved: int = 0
    limit_total: int | float = 0
    with_limit: int = 0

    def add(self, answers: Answers) -> None:
        decision, limit = answers[DECISION], answers[LIMIT]
        if decision is not None:
            self.credit += 1
            self.approved += decision in APPROVALS
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            self.limit_total += limit
            self.with_limit += 1

    def figures(self) -> dict[str, Any]:
        rate = self.approved / self.credit if self.credit else None
        return {"credit_consultations": self.credit, "approved": self.approved} | {
            "approval_rate": rate,
            "total_recommended_limit": self.limit_total,
            "rows_with_limit": self.with_limit,
        }


@dataclass
class Tally:
    """Every compared row folded: counts, topics, both policies, the sample of changed rows."""

    rows_in: int = 0
    ok: int = 0
    failed: int = 0
    changed_rows: int = 0
    topics: list[TopicTally] = field(
        default_factory=lambda: [TopicTally(t, is_number_topic(t)) for t in COMPARED]
    )
    policies: tuple[PolicyTally, PolicyTally] = field(
        default_factory=lambda: (PolicyTally(), PolicyTally())
    )
    sample: list[dict[str, Any]] = field(default_factory=list)

    def add(self, compared: Compared) -> None:
        self.rows_in += 1
        if compared.champion is None or compared.challenger is None:
            self.failed += 1
            return
        self.ok += 1
        for topic, before, after in zip(
            self.topics, compared.champion, compared.challenger, strict=True
        ):
            topic.add(before, after)
        self.policies[0].add(compared.champion)
        self.policies[1].add(compared.challenger)
        changed = compared.changed
        if changed:
            self.changed_rows += 1
            if len(self.sample) < SAMPLE_ROWS:
                self.sample.append(sample_row(compared, changed))

    def figures(self) -> dict[str, Any]:
        """The counts, topics and policies of the report (``simulate`` adds the rest)."""
        ok = self.ok
        return {
            "rows_in": self.rows_in,
            "ok": ok,
            "failed": self.failed,
            "changed_rows": self.changed_rows,
            "changed_share": self.changed_rows / ok if ok else None,
            "topics": [topic.figures(ok) for topic in self.topics],
            "policies": {
                name: p.figures() for name, p in zip(POLICIES, self.policies, strict=True)
            },
            "sample": self.sample,
        }


def sample_row(compared: Compared, changed: list[int]) -> dict[str, Any]:
    """A changed row as the report shows it: every changed answer, both sets of reasons."""
    champion, challenger = compared.champion or (), compared.challenger or ()
    reasons = compared.reasons or ([], [])
    return {
        "row": compared.row,
        "customer_id": compared.customer_id,
        "consultation_id": compared.consultation_id,
        "changes": [
            {"topic": COMPARED[i], "champion": champion[i], "challenger": challenger[i]}
            for i in changed
        ],
        "reasons": {"champion": reasons[0], "challenger": reasons[1]},
    }
