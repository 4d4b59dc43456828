"""Which results row an outcome is about: one rule for the credit back-test and the others.

An outcome names its consultation (``consultation_id``) or only its customer; a results file is
indexed both ways (the consultation ids it holds; each customer's last row). The consultation
wins when the file holds it, else the customer's last row, else nothing: the outcome is counted
``unmatched``.
"""

from __future__ import annotations

from typing import Protocol

from engine.outcomes.model import Outcome


class Indexed(Protocol):
    """A results file's rows indexed by consultation id and by customer id."""

    by_consultation: dict[str, int]
    by_customer: dict[str, int]


def link(rows: Indexed, outcome: Outcome) -> int | None:
    """The index of the row ``outcome`` is about, or None."""
    if outcome.consultation_id is not None:
        found = rows.by_consultation.get(str(outcome.consultation_id))
        if found is not None:
            return found
    if outcome.customer_id is not None:
        return rows.by_customer.get(outcome.customer_id)
    return None
