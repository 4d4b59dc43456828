"""A seeded credit book with a known truth, to back-test the credit policy against.

Quality is measured, not asserted: each generated customer has a LATENT truth, a 12-month
default probability computed from it by the logistic model below, an OBSERVED case (what a
credit clerk would see: noisy, often incomplete) and an OUTCOME (``bad``: defaulted within 12
months) drawn from that probability. The truth never reads the knowledge base or the rules, so
the policy cannot agree with itself by construction. Same seed, same book.

The latent world (a mid-size Chinese B2B distributor's customers):

* nature: company 72 %, individual business (个体户) 14 %, special company 6 %, partner 5 %,
  government 3 %; turnover lognormal, median 20 M yuan (individuals 3 M), sigma 1.1.
* propensity P and strength S: standard normals correlated 0.4 (weak balance sheets pay late).
* years in business lognormal (median 8, +20 for government); 25 % new to us (< 6 months, no
  payment record); the others with us 0.5 + Exp(mean 4) years, at most their age.
* trend: improving 20 %, stable 62 %, deteriorating 18 %, independent of S (level and direction
  of a balance sheet are different things); shock (a liquidity squeeze now): logit -2.8 - 0.5 S.
* 12-month default: logit p = -3.6 - 0.9 P - 0.7 S - 0.2 ln(turnover / 20 M) + 0.5 [< 3 years]
  + 0.6 [deteriorating] - 0.3 [improving] + 1.5 [shock] + nature (government -1.0, special
  company -0.5, partner -0.3, individual +0.4): about 7 % of the book goes bad.

Observation: the payment record is simulated invoice by invoice over the last 24 months (late
with logit -1.5 - 1.1 P - 0.4 S, drifting with the trend, +1.5 in the last 4 months of a shock;
days late 1 + Exp(mean 14 e^(-0.5 P - 0.3 S), x e^0.8 in a shock); 0.8 % of invoices disputed,
30-150 days late whatever the customer), so the on-time share, the longest delay, the bucket
counts, days beyond terms and what is overdue now all come from one history. Financial
statements come with probability rising with size; a past write-off (customers of over 2
years) with logit -4.6 - 0.8 P; reports are mostly not done and read the
truth through noise. Security is MILDLY ADVERSE-SELECTED (logit -2.0 - 0.35 (P + S): weaker
customers offer it a little more often) and does not change the default probability.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from knowledge_base.facts.credit import Credit

DAYS_PER_MONTH = 30.4
NATURES = {"company": 72, "individual": 14, "special_company": 6, "partner": 5, "government": 3}
NATURE_LOGIT = {"government": -1.0, "special_company": -0.5, "partner": -0.3, "individual": 0.4}
TREND_LOGIT = {"deteriorating": 0.6, "stable": 0.0, "improving": -0.3}
REGIONS = {"east": 30, "south": 22, "north": 14, "central": 12, "southwest": 9, "northeast": 5}
REGIONS |= {"northwest": 5, "overseas": 3}
INDUSTRIES = ("machinery", "textiles", "electronics", "construction", "chemicals", "retail")
BUCKETS = ("1_30", "31_60", "61_90", "over_90")
EXTENDED = frozenset(
    [f"late_{w}_{b}" for w in ("12m", "24m") for b in BUCKETS]
    + ["avg_days_beyond_terms", "dbt_trend", "worst_delay_months_ago", "worst_delay_disputed"]
)
"""The credit fields added with the late-invoice buckets: sent only where the model has them."""


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


@dataclass(frozen=True)
class Latent:
    """What is true of a customer and never seen directly."""

    nature: str
    propensity: float  # P: payment discipline, N(0, 1), higher pays better
    strength: float  # S: financial strength, N(0, 1), corr 0.4 with P
    turnover: float  # yuan a year
    founded_years: float
    relationship_years: float  # with us; < 0.5: new, no payment record
    trend: str  # improving | stable | deteriorating
    shock: bool  # a liquidity squeeze now
    purchases: float  # expected yearly purchases from us, yuan
    orders_per_year: int

    @property
    def new(self) -> bool:
        return self.relationship_years < 0.5


class Invoice(NamedTuple):
    age: float  # months since issue
    amount: float
    late: int  # days paid late, or late so far if still open
    open: bool
    due: bool  # its due date has passed
    disputed: bool


@dataclass(frozen=True)
class BookRow:
    """One customer: its truth, its probability of default, what we see and what happened."""

    latent: Latent
    default_probability: float
    case: dict[str, Any]
    bad: bool


def draw_latent(rng: random.Random) -> Latent:
    """The hidden customer; the distributions are those of the module docstring."""
    nature = _pick(rng, NATURES)
    p = rng.gauss(0, 1)
    s = 0.4 * p + math.sqrt(1 - 0.4**2) * rng.gauss(0, 1)
    median = 3e6 if nature == "individual" else 2e7
    turnover = min(5e9, max(3e5, rng.lognormvariate(math.log(median), 1.1)))
    founded = min(60.0, rng.lognormvariate(math.log(8), 0.75)) + 20 * (nature == "government")
    if rng.random() < 0.25:
        relationship = rng.uniform(0, 0.5)
    else:
        relationship = min(founded, 0.5 + rng.expovariate(1 / 4))
    trend = _pick(rng, {"improving": 20, "stable": 62, "deteriorating": 18})
    shock = rng.random() < sigmoid(-2.8 - 0.5 * s)
    purchases = turnover * min(0.5, rng.lognormvariate(math.log(0.04), 0.8))
    orders = rng.lognormvariate(math.log(12) + 0.2 * math.log(turnover / 2e7), 0.6)
    orders_per_year = min(80, max(1, round(orders)))
    # fmt: off
    return Latent(nature, p, s, turnover, founded, relationship, trend, shock, purchases,
                  orders_per_year)
    # fmt: on


def default_probability(t: Latent) -> float:
    """The true 12-month default probability: the logistic model of the module docstring."""
    logit = -3.6 - 0.9 * t.propensity - 0.7 * t.strength - 0.2 * math.log(t.turnover / 2e7)
    logit += 0.5 * (t.founded_years < 3) + TREND_LOGIT[t.trend] + 1.5 * t.shock
    return sigmoid(logit + NATURE_LOGIT.get(t.nature, 0.0))


def _delay(rng: random.Random, t: Latent, age: float) -> tuple[float, bool]:
    """Days one invoice is paid late (0: on time), and whether it was disputed. The trend
    drifts the habit over the two years (+-0.8 on the logit); a shock hits recent invoices."""
    if rng.random() < 0.008:
        return rng.uniform(30, 150), True
    drift = {"deteriorating": 0.8, "stable": 0.0, "improving": -0.8}[t.trend] * (12 - age) / 12
    squeeze = t.shock and age < 4
    logit = -1.5 - 1.1 * t.propensity - 0.4 * t.strength + drift + 1.5 * squeeze
    if rng.random() >= sigmoid(logit):
        return 0.0, False
    mean = 14 * math.exp(-0.5 * t.propensity - 0.3 * t.strength + 0.8 * squeeze)
    return 1 + rng.expovariate(1 / mean), False


def simulate_invoices(rng: random.Random, t: Latent, term: int) -> list[Invoice]:
    """The last 24 months of invoices as of today: paid, open or overdue now."""
    months = min(24.0, t.relationship_years * 12)
    out: list[Invoice] = []
    for _ in range(max(1, round(t.orders_per_year * months / 12))):
        age = rng.uniform(0, months)
        delay, disputed = _delay(rng, t, age)
        past_due = age * DAYS_PER_MONTH - term
        late = math.ceil(min(delay, past_due)) if past_due > 0 else 0
        amount = t.purchases / t.orders_per_year * rng.lognormvariate(-0.125, 0.5)
        out.append(
            Invoice(age, amount, late, past_due <= 0 or past_due < delay, past_due > 0, disputed)
        )
    return out


def _bucket(days: int) -> str:
    return "1_30" if days <= 30 else "31_60" if days <= 60 else "61_90" if days <= 90 else "over_90"


def _dbt(invoices: list[Invoice]) -> float | None:
    """Amount-weighted days beyond terms of the invoices past their due date (on time = 0)."""
    due = [i for i in invoices if i.due]
    total = sum(i.amount for i in due)
    return sum(i.amount * i.late for i in due) / total if total else None


def payment_record(invoices: list[Invoice], relationship_years: float) -> dict[str, Any]:
    """Every payment field of the credit section, all read from the same invoices."""
    due = [i for i in invoices if i.due]
    if not due:
        return {}
    worst = max(due, key=lambda i: i.late)
    late = [i for i in due if i.late > 0]
    dbt = _dbt([i for i in invoices if i.age < 12])
    months_ago = int(max(0, worst.age - worst.late / DAYS_PER_MONTH)) if worst.late else None
    return {
        "on_time_payment_pct": round(100 * (1 - len(late) / len(due)), 1),
        "longest_days_overdue": worst.late,
        "worst_delay_months_ago": months_ago,
        "worst_delay_disputed": worst.disputed and worst.late > 0,
        "avg_days_beyond_terms": None if dbt is None else round(dbt, 1),
        "dbt_trend": _dbt_trend(invoices) if relationship_years >= 1 else None,
    } | {
        f"late_{w}_{b}": sum(1 for i in late if i.age < months and _bucket(i.late) == b)
        for w, months in (("12m", 12), ("24m", 24))
        for b in BUCKETS
    }


def _dbt_trend(invoices: list[Invoice]) -> str | None:
    """Days beyond terms of the last 6 months against the 6 before; more than 3 days apart is
    a trend, as a credit clerk reading the ledger would call it."""
    recent = _dbt([i for i in invoices if i.age < 6])
    before = _dbt([i for i in invoices if 6 <= i.age < 12])
    if recent is None or before is None:
        return None
    change = recent - before
    return "worsening" if change > 3 else "improving" if change < -3 else "stable"


def _arrears(invoices: list[Invoice]) -> dict[str, Any]:
    """What is owed and overdue today: the open invoices."""
    overdue = [i for i in invoices if i.open and i.due]
    return {
        "current_receivables": round(sum(i.amount for i in invoices if i.open)),
        "current_days_overdue": max((i.late for i in overdue), default=0),
        "overdue_amount": round(sum(i.amount for i in overdue)),
    }


def _report(rng: random.Random, done: float, signal: float) -> str:
    """One investigation channel: mostly not done; when done, the truth seen through noise."""
    if rng.random() >= done:
        return "not_done"
    z = signal + rng.gauss(0, 0.8)
    return "favourable" if z > 0.5 else "adverse" if z < -1.5 else "neutral"


def observe_firm(rng: random.Random, t: Latent) -> dict[str, Any]:
    """Registry data, financial statements (more often for larger firms) and the reports."""
    company = t.nature != "individual"
    out: dict[str, Any] = {}
    if rng.random() < (0.9 if company else 0.6):
        out["years_in_business"] = round(t.founded_years, 1)
    if rng.random() < (0.9 if company else 0.3):
        capital = t.turnover * rng.lognormvariate(math.log(0.2), 1.0)
        out["registered_capital"] = max(10_000, int(round(capital, -4)))
    statements = 0.7 if t.turnover >= 1e7 else 0.45 if t.turnover >= 3e6 else 0.2
    if rng.random() < statements * (1 if company else 0.3):
        ratio = sigmoid(0.25 - 0.9 * t.strength + rng.gauss(0, 0.35))
        out["debt_ratio_pct"] = round(100 * ratio, 1)
        out["annual_turnover"] = int(round(t.turnover * rng.lognormvariate(0, 0.1), -3))
        others = [x for x in TREND_LOGIT if x != t.trend]
        out["financial_trend"] = t.trend if rng.random() < 0.75 else rng.choice(others)
    p, s, shock = t.propensity, t.strength, float(t.shock)
    out["bank_report"] = _report(rng, 0.3, 0.8 * s + 0.4 * p)
    out["agency_report"] = _report(rng, 0.35, 0.6 * s + 0.6 * p - 0.8 * shock)
    out["organisation_report"] = _report(rng, 0.15, 0.5 * s + 0.3 * p)
    out["internal_report"] = _report(rng, 0.2 if t.new else 0.5, 0.9 * p - 1.0 * shock)
    security = rng.random() < sigmoid(-2.0 - 0.35 * (p + s))
    options = {"guarantee": 55, "collateral": 25, "bank_guarantee": 20}
    out["security_offered"] = _pick(rng, options) if security else "none"
    return out


def observe_request(rng: random.Random, t: Latent, term: int) -> dict[str, Any]:
    """The request: a renewal or an increase of the line for a known customer (a squeezed one
    asks for more), a first line sized on expected purchases for a new one."""
    need = t.purchases * term / 365
    if t.new:
        first = max(10_000, int(round(need * rng.uniform(1.0, 2.0), -4)))
        return {"requested_amount": first, "requested_term_days": term}
    limit = max(10_000, int(round(need * rng.uniform(1.0, 1.6), -4)))
    growth = rng.uniform(2.0, 3.0) if t.shock and rng.random() < 0.5 else rng.uniform(1.0, 1.8)
    longer = rng.random() < 0.2
    return {
        "requested_amount": max(10_000, int(round(limit * growth, -4))),
        "requested_term_days": min(term * 2, 90) if longer else term,
        "current_credit_limit": limit,
    }


def observe_customer(
    rng: random.Random, t: Latent, index: int, bills: list[Invoice]
) -> dict[str, Any]:
    """The customer section from our own books: the last 12 months of invoices (a new
    customer's cash orders pro rata)."""
    year = [i for i in bills if i.age < 12]
    growth = {"improving": 15.0, "stable": 0.0, "deteriorating": -15.0}[t.trend]
    cash_purchases, known_year = t.purchases * t.relationship_years, t.relationship_years >= 1
    cash_orders = round(t.orders_per_year * t.relationship_years)
    return {
        "id": f"BK-{index:06d}",
        "name": f"Book customer {index}",
        "nature": t.nature,
        "region": _pick(rng, REGIONS),
        "industry": rng.choice(INDUSTRIES),
        "relationship_years": round(t.relationship_years, 2),
        "annual_purchases": round(sum(i.amount for i in year) if year else cash_purchases),
        "purchase_frequency": len(year) if year else cash_orders,
        "days_since_last_purchase": round(min((i.age for i in year), default=0) * DAYS_PER_MONTH),
        "gross_margin_pct": round(min(40, max(-5, rng.gauss(12, 4))), 1),
        "purchases_growth_pct": round(max(-100, rng.gauss(growth, 15)), 1) if known_year else 0.0,
        "complaints_last_year": int(rng.expovariate(1.5)),
    }


def make_row(seed: int, index: int, extended: bool = True) -> BookRow:
    """Customer ``index`` of the book ``seed``: its own stream, so rows never shift each other."""
    rng = random.Random(f"book-{seed}-{index}")
    t = draw_latent(rng)
    term = rng.choice((30, 30, 45, 60, 60, 90))
    invoices = [] if t.new else simulate_invoices(rng, t, term)
    credit: dict[str, Any] = observe_request(rng, t, term)
    credit |= payment_record(invoices, t.relationship_years) | _arrears(invoices)
    written_off = rng.random() < sigmoid(-4.6 - 0.8 * t.propensity)  # a debt lost before
    credit["bad_debts_count"] = int(t.relationship_years > 2 and written_off)
    credit |= observe_firm(rng, t)
    known = Credit.model_fields.keys() - (set() if extended else EXTENDED)
    credit = {k: v for k, v in credit.items() if k in known and v is not None}
    case = {"customer": observe_customer(rng, t, index, invoices), "credit": credit}
    p = default_probability(t)
    return BookRow(t, p, case, rng.random() < p)


def generate_book(rows: int, seed: int = 7, extended: bool = True) -> list[BookRow]:
    """``rows`` customers; ``extended=False`` leaves out the late-invoice bucket fields even
    where the credit model has them (fields the model lacks are always left out)."""
    return [make_row(seed, i, extended) for i in range(rows)]


def write_csv(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> Path:
    """A CSV of ``rows`` (a book, an outcomes file); columns in first-seen order unless given."""
    names = header or list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, names)
        writer.writeheader()
        writer.writerows(rows)
    return path
