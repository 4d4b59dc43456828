"""Integrity: canonical JSON, record hashes and the chain that links them.

A record's hash is ``sha256(prev_hash + "\\n" + canonical(content))`` where ``content`` is the
record's hashed columns (see ``HASHED_COLUMNS``), ``id`` and ``prev_hash`` included, and the
payload is hashed as the exact canonical JSON text that is stored. The first record links to
``GENESIS``. So editing any hashed column breaks that record's hash; removing a record leaves a
gap in the ids and a link to a hash that is not the previous one; moving a record changes its id.

``format`` (stored with every record, and hashed) names the list of hashed columns, so that a
later schema with more columns can still verify older records:

- format 1 (schema 1 and 2): every column of schema 1 but ``hash``. ``batch_ref``, added by
  schema 2, was left out, so a batch reference could be edited unnoticed;
- format 2 (schema 3): every column but ``hash`` and ``hmac`` — ``batch_ref`` and ``key_id``
  (which key signed the record) included. The HMAC (``keys``) signs the hash, so it covers
  everything the hash covers and the whole history before it through ``prev_hash``.

A format this program does not know is reported by ``verify`` as ``unknown_format`` (a newer
program wrote it, or someone edited it); ``record_hash`` raises ``UnknownFormat`` for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
_FORMAT_1 = (
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
HASHED_COLUMNS: dict[int, tuple[str, ...]] = {
    1: _FORMAT_1,
    2: (*_FORMAT_1, "batch_ref", "key_id"),
}
RECORD_FORMAT = 2
"""The format new records are written in."""


class UnknownFormat(ValueError):
    """A record's ``format`` is not one of ``HASHED_COLUMNS`` (``verify`` reports it)."""


def canonical(data: Any) -> str:
    """The one JSON form hashed anywhere: sorted keys, no spaces, UTF-8 as is.

    The same form ``engine.compiler.ruleset_version`` hashes, so a stored rule-base snapshot
    hashes back to its version."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def version_of(snapshot_text: str) -> str:
    """The rule-base version a snapshot's canonical JSON hashes to (``rb-`` + 16 hex)."""
    return "rb-" + hashlib.sha256(snapshot_text.encode("utf-8")).hexdigest()[:16]


def known_format(value: object) -> bool:
    """Whether ``value`` is a record format this program can hash (an int it knows; a text or
    a boolean stored in the column by hand is not)."""
    return type(value) is int and value in HASHED_COLUMNS


def hashed_content(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The columns a record's hash covers, by the record's format."""
    if not known_format(row["format"]):
        raise UnknownFormat(f"unknown record format {row['format']!r}")
    return {name: row[name] for name in HASHED_COLUMNS[row["format"]]}


def record_hash(row: Mapping[Any, Any]) -> str:
    """The hash a record must carry, from its content and its ``prev_hash``."""
    text = f"{row['prev_hash']}\n{canonical(hashed_content(row))}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = [
    "GENESIS",
    "HASHED_COLUMNS",
    "RECORD_FORMAT",
    "UnknownFormat",
    "canonical",
    "hashed_content",
    "known_format",
    "record_hash",
    "version_of",
]
