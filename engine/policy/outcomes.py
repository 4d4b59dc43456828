"""What happened to the book's customers, joined to the simulated rows: bad rate and cost.

The outcomes file is read as ``sales-expert backtest --book`` reads it (the outcomes reader and
model: rows the model refuses are counted ``invalid_outcomes``, outcomes of another module
``other_module_outcomes``; ``engine.backtest.credit.credit_outcomes``) and linked the same way:
an outcome goes to the row whose consultation id it names, else to its customer's LAST row in
the book, else it is ``unmatched``. A book row's consultation id is its ``consultation_id``
column when the book has one (a book exported from recorded consultations: the column is not an
input field and is taken out before the row is validated); a customer is the row's
``customer.id``. Only rows that ran under both policies with a credit decision under either
take an outcome. A row with several outcomes is bad if any of them is, with the back-test's
definition of bad (``engine.backtest.credit.is_bad``).

Streaming: while the rows go by, only the rows some outcome may name are kept (their two
credit decisions), the last one per customer; the outcomes are linked once the book is done.

Per policy, over the linked rows with a credit decision under it: the approved ones with an
outcome and the bad among them (the bad rate among approved), and the cost as the back-test
counts a cut-off's: ``cost_bad`` per approved customer who went bad plus
``cost_good_rejected`` per customer not approved who did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.backtest.credit import credit_outcomes, is_bad
from engine.calibrate.results import APPROVALS
from engine.policy.tally import DECISION, POLICIES, Compared

Decisions = tuple[str | None, str | None]
"""The credit decision of a row under the champion and under the challenger."""


@dataclass
class PolicyOutcomes:
    """One policy's figures over the rows with an outcome."""

    judged: int = 0
    approved: int = 0
    bad: int = 0
    """Approved and bad: the numerator of the bad rate, and the accepted bad of the cost."""
    good_rejected: int = 0

    def add(self, decision: str | None, bad: bool) -> None:
        if decision is None:
            return
        self.judged += 1
        approved = decision in APPROVALS
        self.approved += approved
        self.bad += approved and bad
        self.good_rejected += not approved and not bad

    def figures(self, cost_bad: float, cost_good_rejected: float) -> dict[str, Any]:
        cost = self.bad * cost_bad + self.good_rejected * cost_good_rejected
        return {
            "with_outcome": self.judged,
            "approved_with_outcome": self.approved,
            "bad": self.bad,
            "bad_rate": self.bad / self.approved if self.approved else None,
            "bad_accepted": self.bad,
            "good_rejected": self.good_rejected,
            "cost": cost,
        }


@dataclass
class OutcomeJoin:
    """The outcomes of a file, and the book rows they may name as the rows stream by."""

    path: Path
    outcomes: list[tuple[int | None, str | None, bool]] = field(default_factory=list)
    """(consultation id, customer id, bad) of every valid credit outcome, in file order."""
    invalid: int = 0
    other_modules: int = 0
    by_consultation: dict[int, tuple[int, Decisions]] = field(default_factory=dict)
    by_customer: dict[str, tuple[int, Decisions]] = field(default_factory=dict)
    _consultations: set[int] = field(init=False, repr=False)
    _customers: set[str] = field(init=False, repr=False)

    @classmethod
    def read(cls, path: Path, lang: str) -> OutcomeJoin:
        """The file's credit outcomes (exit 2 naming the file when it cannot be read)."""
        read = credit_outcomes(path, lang)
        links = [(o.consultation_id, o.customer_id, is_bad(o)) for o in read.credit]
        return cls(path, links, read.invalid, read.other_modules)

    def __post_init__(self) -> None:
        self._consultations = {c for c, _, _ in self.outcomes if c is not None}
        self._customers = {c for _, c, _ in self.outcomes if c is not None}

    def see(self, compared: Compared) -> None:
        """Keep the row if an outcome may name it (the last row of a customer wins)."""
        if compared.champion is None or compared.challenger is None:
            return
        decisions = (compared.champion[DECISION], compared.challenger[DECISION])
        if decisions == (None, None):
            return
        if compared.consultation_id in self._consultations:
            self.by_consultation[compared.consultation_id] = (compared.row, decisions)
        if compared.customer_id in self._customers:
            self.by_customer[compared.customer_id] = (compared.row, decisions)

    def _linked(self) -> tuple[dict[int, tuple[Decisions, bool]], int]:
        """Row → (its decisions, bad), and the number of outcomes that found no row."""
        rows: dict[int, tuple[Decisions, bool]] = {}
        unmatched = 0
        for consultation, customer, bad in self.outcomes:
            found = self.by_consultation.get(consultation) if consultation is not None else None
            if found is None and customer is not None:
                found = self.by_customer.get(customer)
            if found is None:
                unmatched += 1
                continue
            row, decisions = found
            rows[row] = (decisions, bad or rows.get(row, (decisions, False))[1])
        return rows, unmatched

    def figures(self, cost_bad: float, cost_good_rejected: float) -> dict[str, Any]:
        """The outcome figures of both policies, and what the join left out."""
        rows, unmatched = self._linked()
        policies = (PolicyOutcomes(), PolicyOutcomes())
        for decisions, bad in rows.values():
            for policy, decision in zip(policies, decisions, strict=True):
                policy.add(decision, bad)
        return {
            "file": str(self.path),
            "linked_rows": len(rows),
            "bad_rows": sum(bad for _, bad in rows.values()),
            "unmatched": unmatched,
            "invalid_outcomes": self.invalid,
            "other_module_outcomes": self.other_modules,
            "cost_bad": cost_bad,
            "cost_good_rejected": cost_good_rejected,
        } | {
            name: policy.figures(cost_bad, cost_good_rejected)
            for name, policy in zip(POLICIES, policies, strict=True)
        }
