"""``audit stats`` and ``audit export``: figures over records, and records as CSV or JSON.

CSV cells that a spreadsheet would read as a formula are written with a leading apostrophe
(``engine.csv_safe``, shared by every CSV the product writes): a customer named
``=HYPERLINK(…)`` stays text, a plain number such as ``-5`` stays a number.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any, TextIO

import sqlalchemy as sa

from engine.audit.errors import AuditRequestError
from engine.audit.models import records
from engine.audit.records import AuditRecord, RecordFilter, split_ids
from engine.csv_safe import safe_cell

FORMATS = ("csv", "json")
CSV_COLUMNS = (
    "id",
    "kind",
    "created_at",
    "actor",
    "role",
    "channel",
    "customer_id",
    "modules",
    "rules",
    "decision",
    "override",
    "ref_id",
    "ruleset_version",
    "product_version",
    "conclusions",
    "limit",
    "term_days",
    "reason",
    "prev_hash",
    "hash",
)


def _rule_firings(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    query = sa.select(records.c.rules).where(*where, records.c.kind == "consultation")
    for text in conn.scalars(query):
        counts.update(split_ids(text))
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _by_decision(conn: sa.Connection, where: list[sa.ColumnElement[bool]], kind: str) -> Any:
    query = (
        sa.select(records.c.decision, sa.func.count())
        .where(*where, records.c.kind == kind, records.c.decision.is_not(None))
        .group_by(records.c.decision)
        .order_by(records.c.decision)
    )
    return {decision: int(n) for decision, n in conn.execute(query)}


def _overrides(conn: sa.Connection, where: list[sa.ColumnElement[bool]]) -> list[dict[str, Any]]:
    overridden = sa.func.sum(sa.case((records.c.override.is_(True), 1), else_=0))
    query = (
        sa.select(records.c.actor, sa.func.count(), overridden)
        .where(*where, records.c.kind == "decision")
        .group_by(records.c.actor)
        .order_by(records.c.actor)
    )
    return [
        {
            "manager": actor,
            "decisions": int(total),
            "overrides": int(over or 0),
            "override_rate": round(int(over or 0) / int(total), 4),
        }
        for actor, total, over in conn.execute(query)
    ]


def stats(conn: sa.Connection, where: RecordFilter) -> dict[str, Any]:
    """Counts by kind, rule firings, recommended and final decisions, overrides per manager."""
    clauses = where.clauses()
    kinds = sa.select(records.c.kind, sa.func.count()).where(*clauses).group_by(records.c.kind)
    by_kind = {kind: int(n) for kind, n in conn.execute(kinds)}
    return {
        "consultations": by_kind.get("consultation", 0),
        "decisions": by_kind.get("decision", 0),
        "rule_firings": _rule_firings(conn, clauses),
        "recommended_decisions": _by_decision(conn, clauses, "consultation"),
        "final_decisions": _by_decision(conn, clauses, "decision"),
        "overrides_by_manager": _overrides(conn, clauses),
    }


def _csv_row(record: AuditRecord) -> list[str]:
    payload = record.payload or {}
    row: dict[str, Any] = record.summary()
    row["modules"], row["rules"] = ";".join(record.modules), ";".join(record.rules)
    conclusions = payload.get("result", {}).get("conclusions", [])
    row["conclusions"] = "; ".join(
        f"{c['topic']}={c['value']}" for c in conclusions if not c.get("intermediate")
    )
    for key in ("limit", "term_days", "reason"):
        row[key] = payload.get(key)
    return [safe_cell(row.get(column)) for column in CSV_COLUMNS]


def export(found: Iterable[AuditRecord], out: TextIO, fmt: str) -> int:
    """CSV: one summary row per record. JSON: an array of full records (payload included)."""
    if fmt not in FORMATS:
        raise AuditRequestError(f"format: {fmt!r}; allowed: {', '.join(FORMATS)}")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for record in found:
            writer.writerow(_csv_row(record))
            count += 1
        return count
    out.write("[")
    for record in found:
        out.write(("," if count else "") + "\n" + json.dumps(record.to_json(), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


__all__ = ["CSV_COLUMNS", "FORMATS", "export", "safe_cell", "stats"]
