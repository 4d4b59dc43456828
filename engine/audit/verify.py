"""``audit verify``: walk the chain in id order and report the first record that is wrong.

For each record, in order: its id must be the next one (else the records in between were
removed: ``missing``); its ``format`` must be one this program knows (``unknown_format``); its
``prev_hash`` must be the previous record's hash and its hash must match its content. When the
link is wrong and points at a record stored elsewhere, records were moved (``reordered``); when
only the content is wrong, the record was ``altered``; when the record is intact but does not
link to its predecessor, the predecessor was altered and its hash recomputed. Then its
signature (``protection``): with the keyring, the HMAC must be right (``hmac_mismatch``,
``unknown_key``, ``unsigned``, ``retired_key``); without one, HMACs are counted as not checked
and the report says only the hash chain was checked. Then every stored rule base must hash to
its version (``snapshot_altered``) and every version a record names must be stored
(``snapshot_missing``). The kinds are listed in ``findings``.

The hash chain alone cannot show a chain rewritten as a whole, and removal of the newest records
leaves no gap. The HMACs cover the first (a rewrite without the key breaks them); an anchor
(``anchor``, ``--anchor``) or a noted head (``expect``) covers the second.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.audit.anchor import Anchor, anchor_head, anchor_signature
from engine.audit.chain import GENESIS, known_format, record_hash, version_of
from engine.audit.findings import AnchorStatus, Problem, Protection, Report
from engine.audit.keys import Keyring
from engine.audit.models import records, rulebases
from engine.audit.protection import Signatures


def _id_with_hash(conn: sa.Connection, value: str) -> int | None:
    found = conn.scalar(sa.select(records.c.id).where(records.c.hash == value))
    return None if found is None else int(found)


def _classify(conn: sa.Connection, row: Mapping[Any, Any], expected: int, prev: str) -> Problem:
    if row["id"] != expected:
        return Problem(
            "missing",
            expected,
            f"record {expected} is missing: the next stored record is {row['id']}",
        )
    if not known_format(row["format"]):
        return Problem(
            "unknown_format",
            expected,
            f"record {expected} has format {row['format']!r}, which this program does not know "
            "(written by a newer version, or edited): it cannot be checked",
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


def _sound(row: Mapping[Any, Any], expected: int, prev: str) -> bool:
    return (
        row["id"] == expected
        and row["prev_hash"] == prev
        and known_format(row["format"])
        and record_hash(row) == row["hash"]
    )


def _walk(conn: sa.Connection, signatures: Signatures) -> tuple[int, str, Problem | None]:
    """How many records are sound, the last sound hash, and the first problem."""
    expected, prev = 1, GENESIS
    bad: Mapping[Any, Any] | None = None
    problem: Problem | None = None
    query = sa.select(records).order_by(records.c.id).execution_options(yield_per=1000)
    result = conn.execute(query).mappings()
    try:
        for row in result:
            if not _sound(row, expected, prev):
                bad = dict(row)
                break
            problem = signatures.check(row)
            if problem is not None:
                break
            prev, expected = row["hash"], expected + 1
    finally:
        result.close()
    if bad is not None:
        problem = _classify(conn, bad, expected, prev)
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


def _anchored(
    conn: sa.Connection, anchor: Anchor, keyring: Keyring | None, key_file: Path | None
) -> tuple[AnchorStatus, int, str, Problem | None, Protection]:
    """Walk the chain against an anchor: its signature first (a forged anchor's key must not
    judge the records), then the walk, then the anchored head."""
    signature, problem = anchor_signature(anchor, keyring)
    trusted = (anchor.last_id, anchor.key_id) if signature == "checked" and not problem else None
    signatures = Signatures(keyring, key_file, anchored=trusted)
    checked, head, walk_problem = _walk(conn, signatures)
    appended: int | None = None
    if walk_problem is None and problem is None:
        appended, problem = anchor_head(conn, anchor, checked)
        appended = None if problem else appended
    status = AnchorStatus(
        anchor.count, anchor.last_id, anchor.created_at, anchor.key_id, signature, appended
    )
    return status, checked, head, walk_problem or problem, signatures.protection


def verify(
    conn: sa.Connection,
    expect: tuple[int, str] | None = None,
    keyring: Keyring | None = None,
    *,
    key_file: Path | None = None,
    anchor: Anchor | None = None,
) -> Report:
    """Walk the chain (HMACs checked with ``keyring`` if given), then an expected head, an
    anchor, the snapshots; the report names the first problem and counts the protection."""
    status: AnchorStatus | None = None
    if anchor is None:
        signatures = Signatures(keyring, key_file)
        checked, head, problem = _walk(conn, signatures)
        protection = signatures.protection
    else:
        status, checked, head, problem, protection = _anchored(conn, anchor, keyring, key_file)
    if problem is None and expect is not None:
        problem = _expectation(conn, expect)
    snapshots, snapshot_problem = _snapshots(conn)
    return Report(
        checked=checked,
        snapshots=snapshots,
        head_id=checked or None,
        head_hash=head if checked else None,
        problem=problem or snapshot_problem,
        protection=protection,
        anchor=status,
    )


__all__ = ["Problem", "Report", "verify"]
