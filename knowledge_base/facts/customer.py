"""The customer section of a case: identity, nature, the RFM-style trading figures and the cost
of serving the customer."""

from __future__ import annotations

from typing import Literal

from knowledge_base.facts._fields import Section, fact_field

Nature = Literal["government", "special_company", "company", "individual", "partner"]
Region = Literal[
    "northeast", "north", "east", "central", "south", "southwest", "northwest", "overseas"
]

MONEY_MAX = 10**12
"""Upper bound of any amount of money in a case, in currency units (yuan)."""


class Customer(Section):
    """What we know about the customer from our own books (MKT-CM §CRM, HB §3.2, MT RFM)."""

    id: str = fact_field(
        "Customer identifier in our books (1-64 characters).",
        "客户编号",
        label="customer id",
        change="fixed",
        min_length=1,
        max_length=64,
    )
    name: str = fact_field(
        "Customer name (1-200 characters).",
        "客户名称",
        label="customer name",
        change="fixed",
        min_length=1,
        max_length=200,
    )
    nature: Nature = fact_field(
        "Nature of the customer: government, special_company, company, individual or partner.",
        "客户性质",
        label="nature",
        change="fixed",
    )
    """A classification scheme of the sources (MKT-CM §CRM). The credit module reads it:
    government bodies and special companies are public payers (CR-174..180); grading does not."""
    region: Region | None = fact_field(
        "Sales region (China's seven regions or overseas); optional.",
        "所在区域",
        label="region",
        change="fixed",
        default=None,
    )
    """Descriptive only: a classification scheme of the sources (MKT-CM §CRM) that no rule reads;
    kept for batch books, the audit trail and a company's own reports."""
    industry: str | None = fact_field(
        "Industry of the customer, free text up to 100 characters; optional.",
        "所属行业",
        label="industry",
        change="fixed",
        default=None,
        max_length=100,
    )
    """Descriptive only, like the region (MKT-CM §CRM classification); no rule reads it."""
    relationship_years: float = fact_field(
        "Years since the first order with us, 0-100.",
        "合作年限",
        label="years of cooperation",
        change="historical",
        unit="years",
        ge=0,
        le=100,
    )
    annual_purchases: int = fact_field(
        "Purchases from us over the last 12 months, in currency units (yuan), 0-10^12.",
        "近12个月采购额",
        label="annual purchases",
        change="growth",
        unit="yuan",
        ge=0,
        le=MONEY_MAX,
    )
    purchase_frequency: int = fact_field(
        "Number of orders over the last 12 months, 0-10000.",
        "近12个月下单次数",
        label="orders per year",
        change="growth",
        unit="orders/year",
        ge=0,
        le=10_000,
    )
    """With no purchases and no orders in the last 12 months the customer is a prospect, graded
    as a class of its own (GR-070, GR-081)."""
    days_since_last_purchase: int = fact_field(
        "Days since the most recent order, 0-36500.",
        "距上次下单天数",
        label="days since last order",
        change="engagement",
        unit="days",
        ge=0,
        le=36_500,
    )
    gross_margin_pct: float = fact_field(
        "Our gross margin on this customer's purchases, in percent, -100 to 100.",
        "毛利率",
        label="gross margin",
        change="fixed",
        unit="%",
        ge=-100,
        le=100,
    )
    purchases_growth_pct: float = fact_field(
        "Change of purchases against the previous 12 months, in percent, -100 to 1000.",
        "采购额同比增长",
        label="purchase growth",
        change="historical",
        unit="%",
        ge=-100,
        le=1000,
    )
    complaints_last_year: int = fact_field(
        "Complaints received from this customer over the last 12 months, 0-1000.",
        "近12个月投诉次数",
        label="complaints in the last year",
        change="historical",
        unit="complaints",
        default=0,
        ge=0,
        le=1000,
    )
    discounts_pct: float | None = fact_field(
        "Discounts and rebates granted to this customer over the last 12 months, in percent of "
        "its purchases, 0-100; not given if unknown (a default share is counted).",
        "折扣与返利比例",
        label="discounts and rebates",
        change="serving",
        unit="%",
        default=None,
        ge=0,
        le=100,
    )
    returns_pct: float | None = fact_field(
        "Returns from this customer over the last 12 months, in percent of its purchases, 0-100; "
        "not given if unknown (a default share is counted).",
        "退货比例",
        label="returns",
        change="serving",
        unit="%",
        default=None,
        ge=0,
        le=100,
    )
    service_cost: int | None = fact_field(
        "Yearly cost of serving this customer (delivery, support, complaint handling), in yuan, "
        "0-10^12; not given if unknown (a default share of purchases plus a cost per complaint "
        "is counted).",
        "年服务成本",
        label="cost of serving",
        change="serving",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    """The cost of serving (discounts, returns, service) turns the gross margin into the
    contribution that decides a below-zero customer (GR-073..080, OWN §Grading)."""
