"""The case: everything one consultation may contain, one section per kind of fact.

Later modules add their own section model here (credit request, collection situation, deal
situation) the same way: a ``Section`` subclass and one optional attribute on ``Case``.

**Sections checked against each other** (one customer, one picture). The credit section's
current arrears (``credit.current_days_overdue``, ``credit.overdue_amount``: the oldest unpaid
invoice now past due and everything now past due, for the whole account) and the collection
section's overdue account (``collection.days_overdue``, ``collection.overdue_amount``: the
arrears being collected) describe the same debt, and the account in collection is part of
what is overdue now. A case with both sections is therefore *inconsistent*, and refused, when

* ``credit.current_days_overdue < collection.days_overdue`` (the credit section's oldest
  overdue invoice is younger than the one being collected; in particular 0, its default,
  "nothing is overdue", while collection shows arrears), or
* ``credit.overdue_amount < collection.overdue_amount`` (the credit section shows less
  past due than is being collected; in particular 0, its default).

Each such pair is one problem located at the credit field, whose message names both fields,
both values and what is allowed (at least the collection value). The message is the text
``validation.credit_below_collection`` of the knowledge base (``texts/<lang>/validation.yaml``),
in English here and in the consultation's language at intake (``engine.intake``) and in the
forms (``ui.forms``). Equal values,
or more past due on the credit side (other invoices not in collection), are consistent.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import InitErrorDetails

from knowledge_base import load_knowledge
from knowledge_base.facts._fields import Section, case_problem, refuse
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

CREDIT_COVERS_COLLECTION: tuple[tuple[str, str], ...] = (
    ("current_days_overdue", "days_overdue"),
    ("overdue_amount", "overdue_amount"),
)
"""(credit field, collection field): the credit value must be at least the collection value."""


def _zh_label(model: type[BaseModel], field: str) -> str:
    extra = model.model_fields[field].json_schema_extra
    return str(extra.get("zh", field)) if isinstance(extra, dict) else field


def _pair_error(credit: Credit, collection: Collection, ours: str, theirs: str) -> InitErrorDetails:
    value = getattr(credit, ours)
    return case_problem(
        "credit_below_collection",
        ("credit", ours),
        value,
        field=f"credit.{ours}",
        value=value,
        other=f"collection.{theirs}",
        other_value=getattr(collection, theirs),
        field_zh=_zh_label(Credit, ours),
        other_zh=_zh_label(Collection, theirs),
    )


class Case(BaseModel):
    """One consultation's input: any of its sections, at least one. The customer is needed by
    grading, credit and collection (their rules read it); a deal alone is enough for the
    closing coach, and a customer given with it enriches the advice."""

    model_config = ConfigDict(extra="forbid")

    customer: Customer | None = None
    credit: Credit | None = None
    collection: Collection | None = None
    deal: Deal | None = None

    @model_validator(mode="after")
    def _sections_needed(self) -> Case:
        """A case says something (one section at least), and credit and collection are about a
        customer: their rules read the customer section."""
        if self.customer is not None:
            return self
        needing = [name for name in ("credit", "collection") if getattr(self, name) is not None]
        if needing:
            texts = load_knowledge().texts
            needs = " and ".join(texts["en"][f"ui.section.{n}"].lower() for n in needing)
            needs_zh = "、".join(texts["zh"][f"ui.section.{n}"] for n in needing)
            problem = case_problem(
                "customer_needed", ("customer",), None, needs=needs, needs_zh=needs_zh
            )
            refuse(type(self), [problem])
        elif self.deal is None:
            refuse(type(self), [case_problem("section_needed", ("customer",), None)])
        return self

    @model_validator(mode="after")
    def _sections_agree(self) -> Case:
        """Refuse a credit section that shows less overdue than the collection section (see the
        module docstring); every disagreeing pair is reported, each at its credit field."""
        if self.credit is None or self.collection is None:
            return self
        refuse(
            type(self),
            [
                _pair_error(self.credit, self.collection, ours, theirs)
                for ours, theirs in CREDIT_COVERS_COLLECTION
                if getattr(self.credit, ours) < getattr(self.collection, theirs)
            ],
        )
        return self


__all__ = ["SECTIONS", "Case", "Collection", "Credit", "Customer", "Deal", "Section"]
