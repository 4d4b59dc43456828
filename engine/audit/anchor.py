"""Anchors: the chain's head, signed, kept outside the database (a file, a notary, a ticket).

Why: a chain shows what was changed inside it, but not what was cut off its end — removing the
newest records, or all of them, leaves a shorter chain that verifies. And with no keyring at
hand ``verify`` checks hashes only. An anchor written at a known time says "the chain had
``count`` records ending with record ``last_id`` of hash ``last_hash``", signed with the active
key (``HMAC(key, "sales-expert audit anchor\\n" + canonical(fields))``). ``verify --anchor``
then proves that record is still there with that hash, so nothing up to it changed (the hash
covers everything before it); records after it are reported as appended since, not as a
problem. An anchor is made only of a chain that verifies, so a broken chain is never blessed.

The anchor is JSON (``Anchor.to_json``): ``type``, ``version``, ``count``, ``last_id`` (0 for
an empty chain), ``last_hash`` (``GENESIS`` then), ``created_at`` (UTC), ``key_id`` and
``hmac``. It holds no secret: print it, mail it, commit it to another repository.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.audit.chain import GENESIS, canonical
from engine.audit.errors import AuditRequestError
from engine.audit.findings import CHECKED, NO_KEY, Problem, Report
from engine.audit.keys import ANCHOR_DOMAIN, Key, Keyring
from engine.audit.models import records, utc_now

ANCHOR_TYPE = "sales-expert audit anchor"
ANCHOR_VERSION = 1
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = ("type", "version", "count", "last_id", "last_hash", "created_at", "key_id", "hmac")


@dataclass(frozen=True)
class Anchor:
    count: int
    last_id: int
    last_hash: str
    created_at: str
    key_id: str
    hmac: str = ""

    def signed_fields(self) -> dict[str, Any]:
        return {
            "type": ANCHOR_TYPE,
            "version": ANCHOR_VERSION,
            "count": self.count,
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "created_at": self.created_at,
            "key_id": self.key_id,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.signed_fields(), "hmac": self.hmac}

    def text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


def sign_anchor(report: Report, key: Key) -> Anchor:
    """The anchor of a verified chain's head (``report`` must be ok)."""
    if not report.ok:
        raise AuditRequestError("the chain does not verify: it cannot be anchored")
    unsigned = Anchor(
        count=report.checked,
        last_id=report.head_id or 0,
        last_hash=report.head_hash or GENESIS,
        created_at=utc_now(),
        key_id=key.id,
    )
    return replace(unsigned, hmac=key.sign(ANCHOR_DOMAIN, canonical(unsigned.signed_fields())))


def _checked_fields(data: object, where: str) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("type") != ANCHOR_TYPE:
        raise AuditRequestError(f"{where}: not a sales-expert audit anchor")
    if data.get("version") != ANCHOR_VERSION:
        raise AuditRequestError(f"{where}: anchor version {data.get('version')!r} is unknown")
    if sorted(data) != sorted(_FIELDS):
        raise AuditRequestError(f"{where}: expected exactly the fields {', '.join(_FIELDS)}")
    for name in ("count", "last_id"):
        if type(data[name]) is not int or data[name] < 0:
            raise AuditRequestError(f"{where}: {name} must be a whole number, 0 or more")
    for name in ("last_hash", "hmac"):
        if not isinstance(data[name], str) or not _HEX64.match(data[name]):
            raise AuditRequestError(f"{where}: {name} must be 64 lower-case hex digits")
    for name in ("created_at", "key_id"):
        if not isinstance(data[name], str) or not 0 < len(data[name]) <= 64:
            raise AuditRequestError(f"{where}: {name} must be a short text")
    return data


def read_anchor(path: Path) -> Anchor:
    """An anchor file, checked for shape (not yet for its signature)."""
    where = f"anchor file {path}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuditRequestError(f"{where}: cannot read: {exc}") from exc
    fields = _checked_fields(data, where)
    return Anchor(**{k: fields[k] for k in _FIELDS if k not in ("type", "version")})


def anchor_signature(anchor: Anchor, keyring: Keyring | None) -> tuple[str, Problem | None]:
    """Whether the anchor was signed with a key of the keyring: (``checked`` or ``no_key``,
    the problem if any)."""
    if keyring is None:
        return NO_KEY, None
    key = keyring.get(anchor.key_id)
    if key is None:
        return CHECKED, Problem(
            "anchor_unknown_key",
            anchor.last_id,
            f"the anchor is signed by key {anchor.key_id}, which the keyring does not hold",
        )
    if not key.signed(ANCHOR_DOMAIN, canonical(anchor.signed_fields()), anchor.hmac):
        return CHECKED, Problem(
            "anchor_forged",
            anchor.last_id,
            "the anchor's HMAC does not match its content: the anchor file was edited",
        )
    return CHECKED, None


def anchor_head(conn: sa.Connection, anchor: Anchor, checked: int) -> tuple[int, Problem | None]:
    """Records appended since the anchor, and whether the anchored head is still there with
    its hash (``checked``: how many records the sound chain has)."""
    if anchor.last_id == 0:
        return checked, None
    query = sa.select(records.c.hash).where(records.c.id == anchor.last_id)
    found = conn.scalar(query)
    if found is None:
        return 0, Problem(
            "truncated",
            anchor.last_id,
            f"record {anchor.last_id}, the head anchored at {anchor.created_at} "
            f"({anchor.count} record(s)), is gone: the chain now has {checked} record(s)",
        )
    if found != anchor.last_hash:
        return 0, Problem(
            "anchor_mismatch",
            anchor.last_id,
            f"record {anchor.last_id} has hash {found}, not the anchored {anchor.last_hash}: "
            "the history up to it was rewritten",
        )
    return checked - anchor.last_id, None


__all__ = [
    "ANCHOR_TYPE",
    "Anchor",
    "anchor_head",
    "anchor_signature",
    "read_anchor",
    "sign_anchor",
]
