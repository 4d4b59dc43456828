"""The case: everything one consultation may contain, one section per kind of fact.

Later modules add their own section model here (credit request, collection situation, deal
situation) the same way: a ``Section`` subclass and one optional attribute on ``Case``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from knowledge_base.facts._fields import Section
from knowledge_base.facts.collection import Collection
from knowledge_base.facts.credit import Credit
from knowledge_base.facts.customer import Customer
from knowledge_base.facts.deal import Deal

SECTIONS: dict[str, type[Section]] = {
    "customer": Customer,
    "credit": Credit,
    "collection": Collection,
    "deal": Deal,
}
"""Fact type name → section model; the fact type is what rules match on (``fact: customer``)."""


class Case(BaseModel):
    """One consultation's input. Only the customer is required; other sections are optional."""

    model_config = ConfigDict(extra="forbid")

    customer: Customer
    credit: Credit | None = None
    collection: Collection | None = None
    deal: Deal | None = None


__all__ = ["SECTIONS", "Case", "Collection", "Credit", "Customer", "Deal", "Section"]
