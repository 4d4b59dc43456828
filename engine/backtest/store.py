"""The credit back-test over the audit store: recorded consultations and the outcomes linked to
them, measured with the same figures as a results file (``credit.figures``).

**What is read.** Consultations: records of kind ``consultation`` with a credit decision (the
``decision`` column), selected by ``Selection``: the UTC day they were recorded (both ends
inclusive), their channel, their rule-base version. Outcomes: records of kind ``outcome`` of the
credit module whose ``ref_id`` is such a consultation, except those another outcome
``corrects`` (records are never changed: a correction is a new record and the one it corrects
no longer counts; a correction of a correction leaves only the last). A consultation is bad if
any outcome that counts is (``credit.bad_outcome``, the one definition of both modes). The
decision measured is the product's advice (the consultation's), not a manager's final one.

**How.** One query joins consultations with their counted outcomes in the database, ordered by
consultation, and is streamed (``yield_per``; a server-side cursor on PostgreSQL). A row
carries only what the figures need: the decision, the ``rules`` column, the rule-base version,
the outcome kind and its days late, and the risk score and risk level, which the database
extracts from the JSON payload (``json_each``/``json_extract`` on SQLite, ``jsonb`` on
PostgreSQL): no payload reaches Python. The rows of one consultation become one ``Judged``
case, folded into the figures as it comes; memory does not grow with the store.

**Counts beside the figures** (the same keys as a results file's back-test):
``not_credit_rows``, the selected consultations without a credit decision;
``without_outcome``, those with one but no counted outcome; ``other_module_outcomes``, outcomes
of another module on the selection; ``superseded_outcomes``, credit outcomes a correction
replaced; ``unmatched`` and ``invalid_outcomes`` are 0 (an outcome is linked to its
consultation and checked when it is recorded). All are read in the same transaction as the
cases. **Rule coverage**: the credit rules of every rule-base version among the joined cases,
from their stored snapshots.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from engine.audit.errors import AuditUnavailable
from engine.audit.models import records, rulebases
from engine.audit.records import join_ids, split_ids
from engine.audit.snapshots import load_snapshot
from engine.audit.store import AuditStore
from engine.backtest.coverage import rule_modules
from engine.backtest.credit import (
    DEFAULT_COST_BAD,
    DEFAULT_COST_GOOD_REJECTED,
    Judged,
    bad_outcome,
    current_modules,
    figures,
    fold,
)
from engine.outcomes.records import OUTCOME_KIND

MODULE = "credit"
STREAM_ROWS = 2000
"""Rows fetched at a time from the database."""
_CONSULTATION = "consultation"
RISK_TOPICS = ("risk_level", "risk_score")


@dataclass(frozen=True)
class Selection:
    """Which consultations: recorded from ``since`` to ``until`` (UTC days, inclusive), through
    ``channel``, under the rule-base ``version``; None: any."""

    since: date | None = None
    until: date | None = None
    channel: str | None = None
    version: str | None = None

    def clauses(self, table: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        """The conditions on a consultation record (``created_at`` is stored as UTC text)."""
        c = table.c
        found: list[sa.ColumnElement[bool]] = [c.kind == _CONSULTATION]
        if self.since is not None:
            found.append(c.created_at >= _midnight(self.since))
        if self.until is not None:
            found.append(c.created_at < _midnight(self.until + timedelta(days=1)))
        if self.channel is not None:
            found.append(c.channel == self.channel)
        if self.version is not None:
            found.append(c.ruleset_version == self.version)
        return found

    def as_json(self) -> dict[str, str | None]:
        days = {"from": _day(self.since), "to": _day(self.until)}
        return days | {"channel": self.channel, "version": self.version}


def _midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000000Z"


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def json_text(backend: str, column: Any, *path: str) -> sa.ColumnElement[Any]:
    """The value at ``path`` of a JSON text column (SQLite: its SQL value; PostgreSQL: text)."""
    if backend == "sqlite":
        return sa.func.json_extract(column, "$." + ".".join(path))
    text: sa.ColumnElement[Any] = sa.cast(column, JSONB)[path].astext
    return text


def _risk(backend: str, table: sa.FromClause) -> sa.ScalarSelect[Any]:
    """``{"risk_level": …, "risk_score": …}`` as the consultation concluded them, found by the
    database in its payload's conclusions (a conclusion's place in the list is not fixed). One
    subquery for both: each payload is parsed once (twice would double the time on SQLite)."""
    conclusions: sa.ColumnElement[Any]
    if backend == "sqlite":
        conclusions = sa.func.json_extract(table.c.payload, "$.result.conclusions")
        item = sa.func.json_each(conclusions).table_valued("value").alias("item")
        topic = sa.func.json_extract(item.c.value, "$.topic")
        found = sa.func.json_group_object(topic, sa.func.json_extract(item.c.value, "$.value"))
    else:
        conclusions = sa.cast(table.c.payload, JSONB)[("result", "conclusions")]
        items = sa.func.jsonb_array_elements(conclusions)
        item = items.table_valued(sa.column("value", JSONB)).alias("item")
        topic = item.c.value["topic"].astext
        found = sa.func.jsonb_object_agg(topic, item.c.value["value"])
    return sa.select(found).where(topic.in_(RISK_TOPICS)).scalar_subquery()


def corrected(backend: str, outcome: sa.FromClause) -> sa.Exists:
    """Another outcome of the same consultation names this one in ``corrects``."""
    later = records.alias("later")
    corrects = sa.cast(json_text(backend, later.c.payload, "outcome", "corrects"), sa.Integer)
    return sa.exists().where(
        later.c.kind == OUTCOME_KIND,
        later.c.ref_id == outcome.c.ref_id,
        corrects == outcome.c.id,
    )


def cases_query(backend: str, selection: Selection) -> sa.Select[Any]:
    """The selected credit consultations joined with their counted credit outcomes: one row
    per (consultation, outcome), in consultation order."""
    c, o = records.alias("c"), records.alias("o")
    days = sa.cast(json_text(backend, o.c.payload, "outcome", "days_late"), sa.Integer)
    return (
        sa.select(
            c.c.id,
            c.c.decision,
            c.c.rules,
            c.c.ruleset_version,
            _risk(backend, c).label("risk"),
            o.c.decision.label("outcome"),
            days.label("days_late"),
        )
        .select_from(c.join(o, o.c.ref_id == c.c.id))
        .where(*selection.clauses(c), c.c.decision.is_not(None))
        .where(o.c.kind == OUTCOME_KIND, o.c.modules == join_ids([MODULE]))
        .where(~corrected(backend, o))
        .order_by(c.c.id)
    )


def _number(value: object) -> float | None:
    try:
        return None if value is None else float(str(value))
    except ValueError:
        return None


def _risk_values(found: object) -> tuple[str, float | None]:
    """The risk level and score of ``_risk``'s object (JSON text on SQLite, a dict on
    PostgreSQL); "" and None for what the consultation did not conclude."""
    risk = json.loads(found) if isinstance(found, str) else found
    if not isinstance(risk, dict):
        return "", None
    level = risk.get("risk_level")
    return ("" if level is None else str(level)), _number(risk.get("risk_score"))


def _judged(rows: list[Any]) -> Judged:
    """One consultation's rows (one per counted outcome) as the case the figures read."""
    first = rows[0]
    bad = any(bad_outcome(r.outcome, _days(r.days_late)) for r in rows)
    level, score = _risk_values(first.risk)
    return Judged(first.decision, level, score, bad, split_ids(first.rules))


def _days(value: object) -> int | None:
    return None if value is None else int(str(value))


def stream_cases(conn: sa.Connection, selection: Selection, versions: set[str]) -> Iterator[Judged]:
    """Each joined consultation, streamed; ``versions`` collects their rule-base versions."""
    query = cases_query(conn.dialect.name, selection)
    found = conn.execution_options(yield_per=STREAM_ROWS).execute(query)
    for _, group in itertools.groupby(found, key=lambda row: row.id):
        rows = list(group)
        versions.add(rows[0].ruleset_version)
        yield _judged(rows)


def _counts(conn: sa.Connection, selection: Selection) -> dict[str, int]:
    """The selection's consultations and the outcomes on them, counted in the database."""
    c, o = records.alias("c"), records.alias("o")
    credit = sa.func.count(c.c.decision)
    total, decided = conn.execute(
        sa.select(sa.func.count(), credit).select_from(c).where(*selection.clauses(c))
    ).one()
    is_credit = o.c.modules == join_ids([MODULE])
    superseded = sa.and_(is_credit, corrected(conn.dialect.name, o))
    tallies = sa.select(
        sa.func.count(sa.case((~is_credit, 1))), sa.func.count(sa.case((superseded, 1)))
    ).select_from(c.join(o, o.c.ref_id == c.c.id))
    others, replaced = conn.execute(
        tallies.where(*selection.clauses(c), o.c.kind == OUTCOME_KIND)
    ).one()
    return {
        "credit_consultations": int(decided),
        "not_credit_rows": int(total) - int(decided),
        "other_module_outcomes": int(others),
        "superseded_outcomes": int(replaced),
    }


@contextmanager
def reading(store: AuditStore) -> Iterator[sa.Connection]:
    """One read transaction (a consistent view); database failures name the database."""
    try:
        with store.engine.connect() as conn, conn.begin():
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise AuditUnavailable(f"audit database {store.display_url}: {cause}") from exc


def recorded_versions(store: AuditStore) -> list[str]:
    """The rule-base versions stored in the database, newest first."""
    query = sa.select(rulebases.c.version).order_by(rulebases.c.created_at.desc())
    with reading(store) as conn:
        return [str(version) for version in conn.scalars(query)]


def _modules(store: AuditStore, versions: set[str]) -> dict[str, str]:
    """Rule id → module over the stored rule bases of ``versions`` (today's if none)."""
    if not versions:
        return current_modules()
    loaded = [load_snapshot(v, store.snapshot(v))[0] for v in sorted(versions)]
    return rule_modules(loaded)


def backtest_store(
    store: AuditStore,
    selection: Selection,
    cost_bad: float = DEFAULT_COST_BAD,
    cost_good_rejected: float = DEFAULT_COST_GOOD_REJECTED,
) -> dict[str, Any]:
    """The credit back-test of the consultations ``selection`` picks in ``store``."""
    versions: set[str] = set()
    with reading(store) as conn:
        counts = _counts(conn, selection)
        tally = fold(stream_cases(conn, selection, versions))
    out = figures(tally, cost_bad, cost_good_rejected, _modules(store, versions))
    decided = counts.pop("credit_consultations")
    counts |= {"unmatched": 0, "invalid_outcomes": 0, "without_outcome": decided - out["n"]}
    source = {"mode": "store", "database": store.display_url, **selection.as_json()}
    return out | counts | {"source": source}
