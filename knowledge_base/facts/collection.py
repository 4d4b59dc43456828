"""The collection section of a case: an overdue account, the attempts so far and the debtor.

Read by the debt collection module (``rules/collection.yaml``, seed digest §2). The behaviour
observed in contacts is a list of items of the ``debtor_signals`` catalogue
(``knowledge_base/catalogues/debtor_signals.yaml``), each described there in both languages;
the rules read the debtor type(s) from it. Earlier attempts are counted per outcome, each
count 0 when there were none. What the debtor's situation is may not be known yet: that is a
value the rules reason about (``unknown``), not a validation error.

Inability and bad faith are told apart by what the debtor does about the debt: a debtor who
acknowledges it (``debt_acknowledged``) and proposes a repayment plan (``plan_months``) whose
first payment it has made (``plan_first_payment_made``) has a credible plan when the plan is no
longer than ``collection.credible_plan_max_months`` and the debtor is not insolvent; the rules
then negotiate, even after broken promises. A debt cannot be acknowledged and disputed at once,
and a first plan payment needs a plan: both are refused here (``ValueError``).

How this section must agree with the credit section of the same case is checked on the case
(``knowledge_base.facts.Case``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from knowledge_base.facts._fields import Section, case_problem, catalogue_field, fact_field, refuse
from knowledge_base.facts.credit import DAYS_MAX
from knowledge_base.facts.customer import MONEY_MAX

Situation = Literal["able_to_pay", "temporarily_short", "insolvent", "unknown"]
"""The debtor's capacity to pay, as far as the collector knows it."""

DebtorSignal = Literal[
    "raises_voice",
    "denies_obligation",
    "dictates_terms",
    "refuses_to_talk",
    "blames_us",
    "rotates_contacts",
    "sends_proxies",
    "breaks_promises",
    "invents_pretexts",
    "delays_with_paperwork",
    "moves_assets",
    "acknowledges_debt",
    "proposes_plan",
    "explains_situation",
    "keeps_appointments",
    "appeals_to_friendship",
    "pleads_hardship",
    "moved_by_sympathy",
    "mood_swings",
    "repeats_position",
    "rejects_new_proposals",
    "cites_rules",
    "worries_about_reputation",
    "boasts_status",
    "likes_praise",
    "hides_difficulty",
]
"""Behaviour observed in contacts with the debtor (catalogue ``debtor_signals``)."""

COUNT_MAX = 1000
"""Upper bound of any count of attempts in a case."""


class Collection(Section):
    """An overdue account to collect (讨债) and what the collector has seen of the debtor."""

    overdue_amount: int = fact_field(
        "Amount past its due date that is to be collected, in yuan, 1-10^12.",
        "逾期欠款金额",
        label="overdue amount",
        change="payment",
        unit="yuan",
        ge=1,
        le=MONEY_MAX,
    )
    days_overdue: int = fact_field(
        "Days the oldest unpaid invoice is past its due date, 1-36500.",
        "逾期天数",
        label="days overdue",
        change="historical",
        unit="days",
        ge=1,
        le=DAYS_MAX,
    )
    invoices_overdue: int = fact_field(
        "Number of invoices past their due date, 1-10000; default 1.",
        "逾期发票张数",
        label="invoices overdue",
        change="payment",
        unit="invoices",
        default=1,
        ge=1,
        le=10_000,
    )
    promises_kept: int = fact_field(
        "Earlier collection attempts that ended in a promise to pay that was kept, 0-1000; "
        "default 0.",
        "已兑现的付款承诺次数",
        label="promises kept",
        change="historical",
        unit="attempts",
        default=0,
        ge=0,
        le=COUNT_MAX,
    )
    promises_broken: int = fact_field(
        "Earlier collection attempts that ended in a promise to pay that was broken, 0-1000; "
        "default 0.",
        "未兑现的付款承诺次数",
        label="promises broken",
        change="historical",
        unit="attempts",
        default=0,
        ge=0,
        le=COUNT_MAX,
    )
    unanswered_attempts: int = fact_field(
        "Earlier collection attempts (calls, letters, visits) that got no answer at all, "
        "0-1000; default 0.",
        "无人回应的催收次数",
        label="attempts unanswered",
        change="historical",
        unit="attempts",
        default=0,
        ge=0,
        le=COUNT_MAX,
    )
    disputed_attempts: int = fact_field(
        "Earlier collection attempts that ended in a dispute about the debt (amount, quality, "
        "delivery), 0-1000; default 0.",
        "以争议告终的催收次数",
        label="attempts ending in a dispute",
        change="historical",
        unit="attempts",
        default=0,
        ge=0,
        le=COUNT_MAX,
    )
    debt_disputed: bool = fact_field(
        "The debtor disputes the debt now (what is owed, or that it is owed); yes/no, default no.",
        "债务人对欠款有异议",
        label="debt disputed",
        change="settlement",
        default=False,
    )
    debt_acknowledged: bool = fact_field(
        "The debtor acknowledges the debt (the amount and that it is owed), in writing or in a "
        "meeting; yes/no, default no. Not together with debt_disputed.",
        "债务人承认欠款",
        label="debt acknowledged",
        change="acknowledgement",
        default=False,
    )
    plan_months: int | None = fact_field(
        "Months the repayment plan proposed by the debtor needs to clear the overdue amount, "
        "1-120; not given if no plan was proposed.",
        "还款计划期限",
        label="repayment plan length",
        change="plan",
        unit="months",
        default=None,
        ge=1,
        le=120,
    )
    plan_first_payment_made: bool = fact_field(
        "The first instalment (or a down payment) of the proposed repayment plan has been paid; "
        "yes/no, default no. Only with plan_months.",
        "还款计划首期款已支付",
        label="first plan payment made",
        change="payment",
        default=False,
    )
    situation: Situation = fact_field(
        "The debtor's situation: able_to_pay, temporarily_short (of cash), insolvent or "
        "unknown; default unknown.",
        "债务人的偿付状况",
        label="debtor's situation",
        change="investigation",
        default="unknown",
    )
    signals: list[DebtorSignal] = catalogue_field(
        "Behaviour observed in contacts with the debtor, items of the debtor_signals "
        "catalogue; empty if none observed yet.",
        "接触中观察到的债务人表现",
        label="behaviour observed",
        change="fixed",
        catalogue="debtor_signals",
    )

    @model_validator(mode="after")
    def _acknowledgement_and_plan_fit_together(self) -> Collection:
        """A debt acknowledged and disputed at once, or a plan payment without a plan, would be
        read as a credible plan (or as a dispute) that the debtor never offered."""
        problems = []
        if self.debt_acknowledged and self.debt_disputed:
            problems.append(case_problem("acknowledged_and_disputed", ("debt_acknowledged",), True))
        if self.plan_first_payment_made and self.plan_months is None:
            problems.append(case_problem("plan_payment_without_plan", ("plan_months",), None))
        refuse(type(self), problems)
        return self
