"""The credit section of a case: the request, the payment record and what each check found.

Optional fields are ``None`` when the information was not gathered. That is a state the credit
rules reason about (information sufficiency, what to investigate next), never a validation
error. Figures about our own books that are always known (what is overdue now, bad debts we
wrote off) default to 0 instead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_core import InitErrorDetails

from knowledge_base.facts._fields import Section, case_problem, fact_field, refuse
from knowledge_base.facts.customer import MONEY_MAX

Report = Literal["not_done", "favourable", "neutral", "adverse"]
"""What one investigation channel returned (MKT-CM §Credit/investigation)."""
Trend = Literal["improving", "stable", "deteriorating"]
Security = Literal["none", "guarantee", "bank_guarantee", "collateral"]
DelayTrend = Literal["improving", "stable", "worsening"]

BUCKETS = ("1_30", "31_60", "61_90", "over_90")
"""Days-late buckets of the late-invoice counts (``late_12m_<bucket>``, ``late_24m_<bucket>``)."""
COUNT_MAX = 100_000

DAYS_MAX = 36_500
"""Upper bound of any count of days in a case (100 years)."""


class Credit(Section):
    """A request for credit (赊销) and what is known about the customer's creditworthiness."""

    requested_amount: int = fact_field(
        "Credit line requested: the most the customer wants to owe us at one time, in yuan, "
        "1-10^12.",
        "申请授信额度",
        label="requested credit",
        change="request",
        unit="yuan",
        ge=1,
        le=MONEY_MAX,
    )
    requested_term_days: int = fact_field(
        "Payment term requested, in days after invoice, 1-3650.",
        "申请账期",
        label="requested term",
        change="term",
        unit="days",
        ge=1,
        le=3650,
    )
    current_receivables: int = fact_field(
        "What the customer owes us now (open invoices), in yuan, 0-10^12; 0 if nothing.",
        "当前应收账款",
        label="current receivables",
        change="payment",
        unit="yuan",
        default=0,
        ge=0,
        le=MONEY_MAX,
    )
    current_credit_limit: int | None = fact_field(
        "The customer's current credit line with us, in yuan, 0-10^12; not given if it has "
        "none yet.",
        "现有授信额度",
        label="current credit limit",
        change="fixed",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    on_time_payment_pct: float | None = fact_field(
        "Share of invoices paid by their due date, in percent, 0-100; not given if there is "
        "no payment record.",
        "按期付款比例",
        label="share paid on time",
        change="historical",
        unit="%",
        default=None,
        ge=0,
        le=100,
    )
    longest_days_overdue: int | None = fact_field(
        "Longest delay past the due date of any invoice in the payment record, in days, "
        "0-36500; not given if there is no payment record.",
        "历史最长逾期天数",
        label="longest days overdue",
        change="historical",
        unit="days",
        default=None,
        ge=0,
        le=DAYS_MAX,
    )
    current_days_overdue: int = fact_field(
        "Days the oldest unpaid invoice is now past its due date, 0-36500; 0 if nothing is "
        "overdue.",
        "当前逾期天数",
        label="current days overdue",
        change="payment",
        unit="days",
        default=0,
        ge=0,
        le=DAYS_MAX,
    )
    overdue_amount: int = fact_field(
        "Amount now past its due date, in yuan, 0-10^12; 0 if nothing is overdue.",
        "当前逾期金额",
        label="overdue amount",
        change="payment",
        unit="yuan",
        default=0,
        ge=0,
        le=MONEY_MAX,
    )
    bad_debts_count: int = fact_field(
        "Debts of this customer written off as bad in the past, 0-1000; 0 if none.",
        "历史坏账笔数",
        label="past bad debts",
        change="historical",
        unit="debts",
        default=0,
        ge=0,
        le=1000,
    )
    late_12m_1_30: int | None = fact_field(
        "Invoices paid (or still open) 1-30 days late in the last 12 months, 0-100000; "
        "give all four 12-month counts or none.",
        "近12个月逾期1-30天发票数",
        label="late 1-30 days, last 12 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_12m_31_60: int | None = fact_field(
        "Invoices 31-60 days late in the last 12 months, 0-100000.",
        "近12个月逾期31-60天发票数",
        label="late 31-60 days, last 12 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_12m_61_90: int | None = fact_field(
        "Invoices 61-90 days late in the last 12 months, 0-100000.",
        "近12个月逾期61-90天发票数",
        label="late 61-90 days, last 12 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_12m_over_90: int | None = fact_field(
        "Invoices more than 90 days late in the last 12 months, 0-100000.",
        "近12个月逾期90天以上发票数",
        label="late over 90 days, last 12 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_24m_1_30: int | None = fact_field(
        "Invoices 1-30 days late in the last 24 months (the last 12 included), 0-100000; "
        "give all four 24-month counts or none, each at least its 12-month count.",
        "近24个月逾期1-30天发票数",
        label="late 1-30 days, last 24 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_24m_31_60: int | None = fact_field(
        "Invoices 31-60 days late in the last 24 months (the last 12 included), 0-100000.",
        "近24个月逾期31-60天发票数",
        label="late 31-60 days, last 24 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_24m_61_90: int | None = fact_field(
        "Invoices 61-90 days late in the last 24 months (the last 12 included), 0-100000.",
        "近24个月逾期61-90天发票数",
        label="late 61-90 days, last 24 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    late_24m_over_90: int | None = fact_field(
        "Invoices more than 90 days late in the last 24 months (the last 12 included), 0-100000.",
        "近24个月逾期90天以上发票数",
        label="late over 90 days, last 24 months",
        change="historical",
        unit="invoices",
        default=None,
        ge=0,
        le=COUNT_MAX,
    )
    avg_days_beyond_terms: float | None = fact_field(
        "Average days beyond terms over the last 12 months (each invoice's days late, paid on "
        "time counting 0, weighted by amount), 0-3650; not given if unknown.",
        "平均超期天数",
        label="average days beyond terms",
        change="historical",
        unit="days",
        default=None,
        ge=0,
        le=3650,
    )
    dbt_trend: DelayTrend | None = fact_field(
        "Direction of the days beyond terms over the last year: improving, stable or "
        "worsening; not given if unknown.",
        "超期天数趋势",
        label="days-beyond-terms trend",
        change="historical",
        default=None,
    )
    worst_delay_months_ago: int | None = fact_field(
        "Months since the longest delay in the payment record (0 = this month), 0-1200; not "
        "given if unknown, which counts as recent.",
        "最长逾期距今月数",
        label="months since the longest delay",
        change="historical",
        unit="months",
        default=None,
        ge=0,
        le=1200,
    )
    worst_delay_disputed: bool = fact_field(
        "The longest delay was an invoice the customer disputed, paid once the dispute was "
        "settled: yes or no (default no).",
        "最长逾期系争议发票且已解决",
        label="longest delay was a settled dispute",
        change="historical",
        default=False,
    )
    monthly_income: int | None = fact_field(
        "For an individual consumer: net monthly income, in yuan, 1-10^9; not given if unknown "
        "(companies leave it out).",
        "月收入（个人）",
        label="monthly income",
        change="fixed",
        unit="yuan",
        default=None,
        ge=1,
        le=10**9,
    )
    monthly_debt_payments: int | None = fact_field(
        "For an individual consumer: monthly repayments of other debts (loans, other "
        "instalments), in yuan, 0-10^9; not given if unknown.",
        "每月其他还款（个人）",
        label="monthly debt payments",
        change="restructure",
        unit="yuan",
        default=None,
        ge=0,
        le=10**9,
    )
    debt_ratio_pct: float | None = fact_field(
        "Total liabilities over total assets from the latest balance sheet, in percent, "
        "0-1000; not given if unknown.",
        "资产负债率",
        label="debt ratio",
        change="fixed",
        unit="%",
        default=None,
        ge=0,
        le=1000,
    )
    years_in_business: float | None = fact_field(
        "Years since the customer was founded, 0-200; not given if unknown.",
        "经营年限",
        label="years in business",
        change="historical",
        unit="years",
        default=None,
        ge=0,
        le=200,
    )
    registered_capital: int | None = fact_field(
        "Registered capital, in yuan, 0-10^12; not given if unknown.",
        "注册资本",
        label="registered capital",
        change="historical",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    annual_turnover: int | None = fact_field(
        "The customer's own annual turnover, in yuan, 0-10^12; not given if unknown.",
        "年营业额",
        label="annual turnover",
        change="historical",
        unit="yuan",
        default=None,
        ge=0,
        le=MONEY_MAX,
    )
    financial_trend: Trend | None = fact_field(
        "Direction of the customer's finances over the last year: improving, stable or "
        "deteriorating; not given if unknown.",
        "财务状况趋势",
        label="financial trend",
        change="investigation",
        default=None,
    )
    bank_report: Report = fact_field(
        "What the enquiry through the customer's bank found: not_done, favourable, neutral or "
        "adverse.",
        "银行调查结果",
        label="bank enquiry",
        change="investigation",
        default="not_done",
    )
    agency_report: Report = fact_field(
        "What the professional credit agency's report found: not_done, favourable, neutral "
        "or adverse.",
        "资信调查机构调查结果",
        label="credit agency report",
        change="investigation",
        default="not_done",
    )
    organisation_report: Report = fact_field(
        "What enquiries through the customer or its industry organisation found: not_done, "
        "favourable, neutral or adverse.",
        "客户或行业组织调查结果",
        label="customer/industry enquiry",
        change="investigation",
        default="not_done",
    )
    internal_report: Report = fact_field(
        "What our internal investigation (own records, account manager) found: not_done, "
        "favourable, neutral or adverse.",
        "内部调查结果",
        label="internal investigation",
        change="investigation",
        default="not_done",
    )
    security_offered: Security = fact_field(
        "Security the customer offers: none, guarantee (by a third party), bank_guarantee or "
        "collateral.",
        "提供的担保或抵押",
        label="security offered",
        change="security",
        default="none",
    )

    @model_validator(mode="after")
    def _late_counts_fit_together(self) -> Credit:
        """The bucket counts describe one invoice history: a partial set or a 24-month count
        below its 12-month count would be read as a better record than the customer has.
        Each problem is reported at its own field, in the user's language at intake."""
        refuse(type(self), [*self._incomplete_windows(), *self._shorter_than_recent()])
        return self

    def _incomplete_windows(self) -> list[InitErrorDetails]:
        problems = []
        recent_given = any(getattr(self, f"late_12m_{b}") is not None for b in BUCKETS)
        for window in ("12m", "24m"):
            fields = [f"late_{window}_{b}" for b in BUCKETS]
            given = [f for f in fields if getattr(self, f) is not None]
            if not given:
                continue
            kind = "late_counts_incomplete" if recent_given else "late_24m_without_12m"
            needed = fields if kind == "late_counts_incomplete" else []
            needed += [f"late_12m_{b}" for b in BUCKETS] if not recent_given else []
            for field in needed:
                if getattr(self, field) is None:
                    problems.append(_problem(kind, field, None, window=window[:2]))
        return problems

    def _shorter_than_recent(self) -> list[InitErrorDetails]:
        problems = []
        for bucket in BUCKETS:
            recent, longer = (
                getattr(self, f"late_12m_{bucket}"),
                getattr(self, f"late_24m_{bucket}"),
            )
            if recent is not None and longer is not None and longer < recent:
                problems.append(
                    _problem("late_24m_below_12m", f"late_24m_{bucket}", longer, other_value=recent)
                )
        return problems


def _problem(kind: str, field: str, given: object, **ctx: object) -> InitErrorDetails:
    """One problem at ``credit.<field>``, its message naming the field in both languages."""
    other = field.replace("24m", "12m")
    return case_problem(
        kind,
        (field,),
        given,
        field=field,
        value=given,
        field_zh=_zh(field),
        other=other,
        other_zh=_zh(other),
        **ctx,
    )


def _zh(field: str) -> str:
    extra = Credit.model_fields[field].json_schema_extra
    return str(extra.get("zh", field)) if isinstance(extra, dict) else field
