"""The deal section of a case: where a deal stands and what the rep has observed in it.

Read by the closing coach (``rules/closing.yaml``). Signals and objections are lists of items
of the knowledge-base catalogues (``knowledge_base/catalogues/``), where each item is described
in both languages. The three reasons for urgency are separate yes/no inputs so that "no genuine
reason" is a fact the rules can test (all three false), never the absence of one.
"""

from __future__ import annotations

from typing import Literal

from knowledge_base.facts._fields import Section, catalogue_field, fact_field
from knowledge_base.facts.customer import MONEY_MAX

Stage = Literal[
    "prospecting",
    "needs_assessment",
    "proposal",
    "objection_handling",
    "negotiation",
    "closing",
    "after_sales",
]
"""Stages of the sales process (HB §1.2)."""

Objection = Literal["price", "function", "trust", "timing", "competitor", "authority"]
BuyingSignal = Literal[
    "asks_price",
    "asks_payment_terms",
    "asks_delivery",
    "asks_contract_details",
    "requests_quote",
    "asks_references",
    "asks_trial",
    "involves_colleagues",
    "discusses_implementation",
    "asks_after_sales",
    "agrees_with_benefits",
]
WarningSignal = Literal[
    "checks_time",
    "avoids_commitment",
    "delays_decision",
    "vague_answers",
    "closed_body_language",
    "goes_silent",
    "cancels_meetings",
    "compares_competitors",
    "late_new_objections",
    "repeated_haggling",
    "defers_to_others",
    "rejects_offer",
]
BudgetStatus = Literal["approved", "limited", "not_allocated", "unknown"]
CreditDecision = Literal["approve", "approve_with_conditions", "refer", "decline"]
Channel = Literal["face_to_face", "phone", "video", "email", "messaging"]


class Deal(Section):
    """A deal in progress, as the rep sees it (seed digest §4: PK, MT, HB §1/§4, MKT-CM)."""

    stage: Stage = fact_field(
        "Stage of the sales process: prospecting, needs_assessment, proposal, "
        "objection_handling, negotiation, closing or after_sales.",
        "销售阶段",
        label="stage",
        change="fixed",
    )
    objections: list[Objection] = catalogue_field(
        "Objections the customer has raised, items of the objection_types catalogue: price, "
        "function, trust, timing, competitor, authority; empty if none.",
        "客户提出的异议",
        label="objections raised",
        change="fixed",
        catalogue="objection_types",
    )
    buying_signals: list[BuyingSignal] = catalogue_field(
        "Buying signals observed, items of the buying_signals catalogue; empty if none.",
        "观察到的购买信号",
        label="buying signals",
        change="elicit",
        catalogue="buying_signals",
    )
    warning_signals: list[WarningSignal] = catalogue_field(
        "Warning signals observed, items of the warning_signals catalogue; empty if none.",
        "观察到的警示信号",
        label="warning signals",
        change="fixed",
        catalogue="warning_signals",
    )
    genuine_deadline: bool = fact_field(
        "A real, verifiable deadline exists (a price change, the end of an offer, the customer's "
        "own date); yes/no, default no.",
        "存在真实的截止期限",
        label="genuine deadline",
        change="fixed",
        default=False,
    )
    quota_limit: bool = fact_field(
        "A real limit on quantity or allocation exists (limited stock, production slots); "
        "yes/no, default no.",
        "存在真实的配额限制",
        label="genuine quota limit",
        change="fixed",
        default=False,
    )
    competitor_move: bool = fact_field(
        "A real competitor move affects the customer (a rival of the customer adopting the "
        "solution, a competitor's known action); yes/no, default no.",
        "存在真实的竞争动态",
        label="genuine competitor move",
        change="fixed",
        default=False,
    )
    success_case_available: bool = fact_field(
        "We can show a success case from the customer's own industry, from signing to results; "
        "yes/no, default no.",
        "有同行业成功案例可展示",
        label="same-industry success case",
        change="preparation",
        default=False,
    )
    budget_status: BudgetStatus = fact_field(
        "The customer's budget for this purchase: approved, limited (below what the offer "
        "needs), not_allocated or unknown; default unknown.",
        "客户预算状况",
        label="budget status",
        change="investigation",
        default="unknown",
    )
    decision_maker_present: bool = fact_field(
        "The person who decides the purchase takes part in the talks; yes/no, default no.",
        "决策人参与洽谈",
        label="decision maker present",
        change="meeting",
        default=False,
    )
    complex_offer: bool = fact_field(
        "The offer needs demonstration, configuration or explanation to be understood (a "
        "complex product or solution); yes/no, default no.",
        "产品或方案较复杂",
        label="complex offer",
        change="preparation",
        default=False,
    )
    our_walk_away_price: int | None = fact_field(
        "Our walk-away position: the lowest total price we can accept for this deal, in yuan, "
        "0-10^12; not given if not set.",
        "我方底线价格",
        label="our walk-away price",
        change="fixed",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    their_walk_away_price: int | None = fact_field(
        "The customer's walk-away position as far as we know it: the highest total price they "
        "can pay for this deal, in yuan, 0-10^12; not given if unknown.",
        "客户可接受的最高价格",
        label="their walk-away price",
        change="fixed",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    credit_decision: CreditDecision | None = fact_field(
        "The credit decision on this customer if one was made outside this consultation: "
        "approve, approve_with_conditions, refer or decline; not given if none. A credit "
        "section in the same case takes precedence.",
        "已有的授信决策",
        label="credit decision",
        change="fixed",
        default=None,
    )
    contact_channel: Channel = fact_field(
        "How we are in contact with the customer now: face_to_face, phone, video, email or "
        "messaging.",
        "当前联系渠道",
        label="contact channel",
        change="meeting",
    )
