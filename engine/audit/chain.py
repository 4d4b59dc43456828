"""Integrity: canonical JSON, record hashes and the chain that links them.

A record's hash is ``sha256(prev_hash + "\\n" + canonical(content))`` where ``content`` is every
stored column of the record except ``hash`` itself (``id`` and ``prev_hash`` included), and the
payload is hashed as the exact canonical JSON text that is stored. The first record links to
``GENESIS``. So editing any column breaks that record's hash; removing a record leaves a gap in
the ids and a link to a hash that is not the previous one; moving a record changes its id.

``format`` (stored with every record) names the list of hashed columns, so that a later schema
with more columns can still verify older records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
RECORD_FORMAT = 1
HASHED_COLUMNS: dict[int, tuple[str, ...]] = {
    1: (
        "id",
        "format",
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
        "payload",
        "prev_hash",
    )
}


def canonical(data: Any) -> str:
    """The one JSON form hashed anywhere: sorted keys, no spaces, UTF-8 as is.

    The same form ``engine.compiler.ruleset_version`` hashes, so a stored rule-base snapshot
    hashes back to its version."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def version_of(snapshot_text: str) -> str:
    """The rule-base version a snapshot's canonical JSON hashes to (``rb-`` + 16 hex)."""
    return "rb-" + hashlib.sha256(snapshot_text.encode("utf-8")).hexdigest()[:16]


def hashed_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The columns a record's hash covers, by the record's format."""
    columns = HASHED_COLUMNS.get(int(row["format"]))
    if columns is None:
        raise ValueError(f"unknown record format {row['format']!r}")
    return {name: row[name] for name in columns}


def record_hash(row: Mapping[Any, Any]) -> str:
    """The hash a record must carry, from its content and its ``prev_hash``."""
    text = f"{row['prev_hash']}\n{canonical(hashed_content(row))}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = [
    "GENESIS",
    "HASHED_COLUMNS",
    "RECORD_FORMAT",
    "canonical",
    "hashed_content",
    "record_hash",
    "version_of",
]
