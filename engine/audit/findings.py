"""What ``audit verify`` reports: the first problem, the protection the records have, the
anchor checked, and files readable by others. Plain data, JSON-ready (``Report.as_json``).

Problem kinds (``Problem.kind``), each with the record it concerns where there is one:

==================  ==========================================================================
altered             a record's content does not match its hash (or, when it does, its
                    predecessor was altered and re-hashed: the link no longer matches)
missing             a record id is absent: removed
reordered           a record links to another one than its predecessor: records were moved
unknown_format      a ``format`` this program does not know: written by a newer program, or
                    edited; the record cannot be checked, so the walk stops there
unsigned            no HMAC where one is due: format 2 records are always signed, and once a
                    record is signed every later one must be
unknown_key         signed by a key the keyring does not hold (removed, or another keyring)
hmac_mismatch       the HMAC is not the key's over the record's hash: altered and re-hashed by
                    someone without the key
retired_key         signed by an older key after a newer one had signed (or after an anchor
                    made with a newer key): a retired key is being used
head_mismatch       ``--expect ID:HASH``: the record has another hash
truncated           ``--anchor``: the anchored head record is gone (records removed at the end)
anchor_mismatch     ``--anchor``: the anchored head record has another hash (history rewritten)
anchor_forged       ``--anchor``: the anchor's HMAC is wrong (the anchor file was edited)
anchor_unknown_key  ``--anchor``: the anchor was signed by a key the keyring does not hold
snapshot_altered    a stored rule base does not hash to its version
snapshot_missing    a rule-base version that records name is not stored
==================  ==========================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CHECKED, NO_KEY = "checked", "no_key"
"""``Protection.key_status``: HMACs were checked with the keyring, or there was no keyring."""


@dataclass(frozen=True)
class Problem:
    kind: str
    record_id: int | None
    detail: str
    version: str | None = None


@dataclass
class Protection:
    """How the sound records are protected, counted as the chain is walked."""

    key_status: str = NO_KEY
    key_file: str | None = None
    hmac: int = 0
    """Records whose HMAC was checked with the keyring and is right."""
    unchecked: int = 0
    """Records carrying an HMAC that could not be checked (no keyring)."""
    hash_only: int = 0
    """Records written before keys existed (format 1, no HMAC): the hash chain alone."""
    by_key: dict[str, int] = field(default_factory=dict)
    """Signed records per key id."""


@dataclass(frozen=True)
class AnchorStatus:
    """An anchor checked against the chain (``--anchor``)."""

    count: int
    last_id: int
    created_at: str
    key_id: str
    signature: str
    """``checked`` or ``no_key`` (the anchor's HMAC could not be checked)."""
    appended: int | None = None
    """Records appended after the anchored head (when it was found unchanged)."""


@dataclass(frozen=True)
class FileWarning:
    """A file holding secrets or personal data that its group or others may read."""

    path: str
    mode: str


@dataclass(frozen=True)
class Report:
    checked: int
    snapshots: int
    head_id: int | None
    head_hash: str | None
    problem: Problem | None
    protection: Protection = field(default_factory=Protection)
    anchor: AnchorStatus | None = None
    warnings: tuple[FileWarning, ...] = ()

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


__all__ = [
    "CHECKED",
    "NO_KEY",
    "AnchorStatus",
    "FileWarning",
    "Problem",
    "Protection",
    "Report",
]
