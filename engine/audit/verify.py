"""``audit verify``: walk the chain in id order and report the first record that is wrong.

For each record, in order: its id must be the next one (else the records in between were
removed: ``missing``); its ``prev_hash`` must be the previous record's hash and its hash must
match its content. When the link is wrong and points at a record stored elsewhere, records were
moved (``reordered``); when only the content is wrong, the record was ``altered``; when the
record is intact but does not link to its predecessor, the predecessor was altered and its hash
recomputed. Then every stored rule base must hash to its version (``snapshot_altered``) and
every version a record names must be stored (``snapshot_missing``).

A chain can only show tampering that does not rewrite every later hash, and removal of the
newest records leaves no gap: note the head (id and hash) a verify prints and pass it as
``expect`` later to prove nothing before it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import GENESIS, record_hash, version_of
from engine.audit.models import records, rulebases


@dataclass(frozen=True)
class Problem:
    kind: str
    """altered | missing | reordered | head_mismatch | snapshot_altered | snapshot_missing"""
    record_id: int | None
    detail: str
    version: str | None = None


@dataclass(frozen=True)
class Report:
    checked: int
    snapshots: int
    head_id: int | None
    head_hash: str | None
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _id_with_hash(conn: sa.Connection, value: str) -> int | None:
    found = conn.scalar(sa.select(records.c.id).where(records.c.hash == value))
    return None if found is None else int(found)


def _classify(conn: sa.Connection, row: Mapping[str, Any], expected: int, prev: str) -> Problem:
    if row["id"] != expected:
        return Problem(
            "missing",
            expected,
            f"record {expected} is missing: the next stored record is {row['id']}",
        )
    intact = record_hash(row) == row["hash"]
    if row["prev_hash"] != prev:
        elsewhere = _id_with_hash(conn, row["prev_hash"])
        if elsewhere is not None and elsewhere != expected - 1:
            return Problem(
                "reordered",
                expected,
                f"record {expected} is out of order: it links to record {elsewhere}",
            )
        if intact and expected > 1:
            return Problem(
                "altered",
                expected - 1,
                f"record {expected - 1} no longer has the hash record {expected} holds for it "
                "(altered, and its hash recomputed)",
            )
    return Problem(
        "altered", expected, f"record {expected} was altered: its content does not match its hash"
    )


def _walk(conn: sa.Connection) -> tuple[int, str, Problem | None]:
    """How many records are sound, the last sound hash, and the first problem."""
    expected, prev = 1, GENESIS
    bad: Mapping[str, Any] | None = None
    query = sa.select(records).order_by(records.c.id).execution_options(yield_per=1000)
    result = conn.execute(query).mappings()
    try:
        for row in result:
            if row["id"] != expected or row["prev_hash"] != prev or record_hash(row) != row["hash"]:
                bad = dict(row)
                break
            prev, expected = row["hash"], expected + 1
    finally:
        result.close()
    problem = None if bad is None else _classify(conn, bad, expected, prev)
    return expected - 1, prev, problem


def _expectation(conn: sa.Connection, expect: tuple[int, str]) -> Problem | None:
    record_id, wanted = expect
    found = conn.scalar(sa.select(records.c.hash).where(records.c.id == record_id))
    if found is None:
        return Problem("missing", record_id, f"record {record_id} (the expected head) is missing")
    if found != wanted:
        return Problem(
            "head_mismatch",
            record_id,
            f"record {record_id} has hash {found}, not the expected {wanted}",
        )
    return None


def _snapshots(conn: sa.Connection) -> tuple[int, Problem | None]:
    stored: set[str] = set()
    query = sa.select(rulebases.c.version, rulebases.c.content).order_by(rulebases.c.version)
    for version, content in conn.execute(query).all():
        if version_of(content) != version:
            return len(stored), Problem(
                "snapshot_altered",
                None,
                f"the stored rule base {version} hashes to {version_of(content)}: altered",
                version,
            )
        stored.add(version)
    used = set(conn.scalars(sa.select(records.c.ruleset_version).distinct()))
    missing = sorted(used - stored)
    if missing:
        return len(stored), Problem(
            "snapshot_missing",
            None,
            f"the rule base {missing[0]} that records name is not stored",
            missing[0],
        )
    return len(stored), None


def verify(conn: sa.Connection, expect: tuple[int, str] | None = None) -> Report:
    checked, head, problem = _walk(conn)
    if problem is None and expect is not None:
        problem = _expectation(conn, expect)
    snapshots, snapshot_problem = _snapshots(conn)
    return Report(
        checked=checked,
        snapshots=snapshots,
        head_id=checked or None,
        head_hash=head if checked else None,
        problem=problem or snapshot_problem,
    )


__all__ = ["Problem", "Report", "verify"]
