"""The signature half of ``verify``: each record whose hash and link are sound is checked for
its HMAC, in chain order, and counted by the protection it has (``findings.Protection``).

Why in chain order: what a record must carry depends on what came before it. Records written
before keys existed (format 1, no HMAC) are "hash only"; once one record is signed, every later
one must be, or an insider could append or rewrite records as if they were old. Keys only get
newer along the chain (``keys``), so a record signed by an older key than an earlier record's —
or than the key of an anchor before it — is reported too: a stolen retired key signs like that.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.audit.findings import CHECKED, NO_KEY, Problem, Protection
from engine.audit.keys import RECORD_DOMAIN, Keyring


class Signatures:
    """Checks records one by one (``check``); ``protection`` holds the counts so far."""

    def __init__(
        self,
        keyring: Keyring | None,
        key_file: Path | None = None,
        anchored: tuple[int, str] | None = None,
    ) -> None:
        """``anchored``: (last id, key id) of a checked anchor; later records must be signed
        by that key or a newer one."""
        self.keyring = keyring
        self.protection = Protection(
            key_status=CHECKED if keyring else NO_KEY,
            key_file=None if key_file is None else str(key_file),
        )
        self._first_signed: int | None = None
        self._newest: tuple[int, str, int] | None = None  # rank, key id, record id
        self._anchored = anchored

    def check(self, row: Mapping[Any, Any]) -> Problem | None:
        """The record's signature problem, or None (and the record is counted)."""
        record_id, key_id, mac = row["id"], row["key_id"], row["hmac"]
        if mac is None or key_id is None:
            return self._unsigned(row)
        self._first_signed = self._first_signed or record_id
        if self.keyring is None:
            self._count(key_id, checked=False)
            return None
        key = self.keyring.get(key_id)
        if key is None:
            return Problem(
                "unknown_key",
                record_id,
                f"record {record_id} is signed by key {key_id}, which the keyring "
                f"{self.keyring.path} does not hold (removed, or another keyring)",
            )
        if not key.signed(RECORD_DOMAIN, row["hash"], mac):
            return Problem(
                "hmac_mismatch",
                record_id,
                f"record {record_id}'s HMAC is not key {key_id}'s over its hash: the record "
                "was altered and its hashes recomputed by someone without the key",
            )
        problem = self._order(self.keyring, record_id, key_id)
        if problem is None:
            self._count(key_id, checked=True)
        return problem

    def _unsigned(self, row: Mapping[Any, Any]) -> Problem | None:
        record_id = row["id"]
        if row["hmac"] is None and row["key_id"] is None and row["format"] == 1:
            if self._first_signed is None:
                self.protection.hash_only += 1
                return None
            why = f"record {self._first_signed} before it is signed, and so must be every later one"
        elif row["format"] == 1:
            why = "its key id and HMAC are incomplete"
        else:
            why = f"records of format {row['format']} are always signed"
        return Problem("unsigned", record_id, f"record {record_id} has no valid HMAC: {why}")

    def _order(self, keyring: Keyring, record_id: int, key_id: str) -> Problem | None:
        rank = keyring.rank(key_id)
        anchored = self._anchored
        if anchored and record_id > anchored[0] and rank > keyring.rank(anchored[1]):
            return Problem(
                "retired_key",
                record_id,
                f"record {record_id}, after the anchor, is signed by key {key_id}, older "
                f"than the anchor's key {anchored[1]}: a retired key is in use",
            )
        if self._newest is not None and rank > self._newest[0]:
            _, newer, signed = self._newest
            return Problem(
                "retired_key",
                record_id,
                f"record {record_id} is signed by key {key_id}, older than key {newer} that "
                f"signed record {signed} before it: a retired key is in use",
            )
        if self._newest is None or rank < self._newest[0]:
            self._newest = (rank, key_id, record_id)
        return None

    def _count(self, key_id: str, checked: bool) -> None:
        if checked:
            self.protection.hmac += 1
        else:
            self.protection.unchecked += 1
        self.protection.by_key[key_id] = self.protection.by_key.get(key_id, 0) + 1


__all__ = ["Signatures"]
