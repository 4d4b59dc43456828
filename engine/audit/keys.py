"""The audit keyring: secret keys, held outside the database, that sign every new record.

Why: the hash chain shows an edit only to someone who knows the chain was not rebuilt. An
insider with write access to the database can edit a record and recompute every later hash;
the chain then verifies. Each record therefore also carries ``hmac = HMAC-SHA256(key,
"sales-expert audit record\\n" + hash)`` and the id of the key (``key_id``, the first 8 hex
digits of ``sha256(key)``). Without the key nobody can produce a valid HMAC for a changed hash,
and the hash covers every column and, through ``prev_hash``, the whole history before it. The
prefix keeps a record's signature from ever being valid as an anchor's (``anchor``) or the
other way round.

The keyring file (mode 0600, see ``files``) holds one key per line, 32 random bytes or more as
hex, optionally followed by ``created=`` and ``retired=`` times; ``#`` starts a comment. The
first key is active: it signs new records. The keys after it are retired: they only verify the
records they signed. A file holding nothing but one hex key (``openssl rand -hex 32``) is a
valid keyring. Where it is: ``AuditSettings.key_path`` (``$SALES_EXPERT_AUDIT_KEY_FILE``, else
``audit.key`` beside the SQLite database or in the data directory).

The keyring is created with a fresh key on the first record that needs it (or by ``sales-expert
audit key init``) and read again by every append, inside the append lock: after ``rotate``
every later record is signed by the new key, so along the chain keys only ever get newer —
``verify`` reports a record signed by an older key after a newer one (``retired_key``), which
is what a stolen retired key would produce. ``verify`` only reads the keyring, never creates
one: with no keyring it checks the hash chain alone and says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from engine.audit.config import KEY_FILE, AuditSettings, load_settings, sqlite_file
from engine.audit.errors import AuditRequestError
from engine.audit.files import create_private, replace_private

KEY_ENV = "SALES_EXPERT_AUDIT_KEY_FILE"
KEY_BYTES = 32
RECORD_DOMAIN = "sales-expert audit record\n"
ANCHOR_DOMAIN = "sales-expert audit anchor\n"
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_HEADER = (
    "# sales-expert audit keyring. SECRET: whoever holds it can sign audit records.\n"
    "# The first key signs new records; the keys after it are retired and only verify the\n"
    "# records they signed. Keep a copy offline, never in the audit database or its backups.\n"
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Key:
    """One secret key; ``repr`` never shows it."""

    secret: bytes = field(repr=False)
    created: str | None = None
    retired: str | None = None

    @property
    def id(self) -> str:
        """What records name the key by: not secret, and derived, so it cannot be mislabelled."""
        return hashlib.sha256(self.secret).hexdigest()[:8]

    def sign(self, domain: str, message: str) -> str:
        return hmac.new(self.secret, (domain + message).encode("utf-8"), "sha256").hexdigest()

    def sign_record(self, record_hash: str) -> str:
        return self.sign(RECORD_DOMAIN, record_hash)

    def signed(self, domain: str, message: str, signature: object) -> bool:
        """Whether ``signature`` is this key's over ``message`` (constant-time comparison)."""
        if not isinstance(signature, str):
            return False
        return hmac.compare_digest(self.sign(domain, message), signature)


def new_key() -> Key:
    return Key(secrets.token_bytes(KEY_BYTES), created=_now())


@dataclass(frozen=True)
class Keyring:
    """The keys of one keyring file, the active (newest) first."""

    path: Path
    keys: tuple[Key, ...]

    @property
    def active(self) -> Key:
        return self.keys[0]

    def get(self, key_id: object) -> Key | None:
        return next((k for k in self.keys if k.id == key_id), None)

    def rank(self, key_id: str) -> int:
        """0 for the active key, 1 for the one retired last, and so on (older is larger)."""
        return next(i for i, k in enumerate(self.keys) if k.id == key_id)


def _parse_line(text: str, path: Path, number: int) -> Key | None:
    words = text.split("#", 1)[0].split()
    if not words:
        return None
    where = f"audit keyring {path}, line {number}"
    if not _HEX.match(words[0]) or len(words[0]) % 2 or len(words[0]) < 2 * KEY_BYTES:
        # never quote the line: it may be a key
        raise AuditRequestError(f"{where}: not a key (expected {2 * KEY_BYTES} or more hex digits)")
    times: dict[str, str] = {}
    for word in words[1:]:
        name, _, value = word.partition("=")
        if name not in ("created", "retired") or not value:
            raise AuditRequestError(f"{where}: unknown field {name!r} (created=…, retired=…)")
        times[name] = value
    return Key(bytes.fromhex(words[0]), times.get("created"), times.get("retired"))


def parse_keyring(text: str, path: Path) -> Keyring:
    """Read a keyring file's text; a malformed line or a repeated key is named by line."""
    keys: list[Key] = []
    for number, line in enumerate(text.splitlines(), start=1):
        key = _parse_line(line, path, number)
        if key is not None and any(k.id == key.id for k in keys):
            raise AuditRequestError(f"audit keyring {path}, line {number}: the key repeats")
        keys += [key] if key is not None else []
    if not keys:
        raise AuditRequestError(f"audit keyring {path}: holds no key")
    return Keyring(path, tuple(keys))


def format_keyring(keys: tuple[Key, ...]) -> str:
    lines = [_HEADER]
    for i, key in enumerate(keys):
        lines.append(f"# key {key.id}, {'active' if i == 0 else 'retired'}\n")
        times = "".join(
            f" {name}={value}"
            for name, value in (("created", key.created), ("retired", key.retired))
            if value
        )
        lines.append(f"{key.secret.hex()}{times}\n")
    return "".join(lines)


@dataclass(frozen=True)
class KeySource:
    """Where a database's keyring is; reads it afresh each time (rotation takes effect at once)."""

    path: Path

    def load(self) -> Keyring | None:
        """The keyring, or None if there is no file (never creates one)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditRequestError(f"audit keyring {self.path}: cannot read: {exc}") from exc
        return parse_keyring(text, self.path)

    def init(self) -> tuple[Keyring, bool]:
        """The keyring, created (0600, one fresh key) if there is none; True if created now."""
        try:
            created = create_private(self.path, format_keyring((new_key(),)))
        except OSError as exc:
            raise AuditRequestError(f"audit keyring {self.path}: cannot create: {exc}") from exc
        keyring = self.load()
        if keyring is None:  # removed between the two steps
            raise AuditRequestError(f"audit keyring {self.path}: vanished while being created")
        return keyring, created

    def signing(self) -> Keyring:
        """The keyring to sign with: created on first need."""
        return self.load() or self.init()[0]

    def rotate(self) -> Keyring:
        """A new active key; the previous ones are kept, retired, so their records verify."""
        old = self.load()
        if old is None:
            raise AuditRequestError(
                f"no audit keyring at {self.path}: run `sales-expert audit key init` first"
            )
        fresh = new_key()
        while old.get(fresh.id) is not None:  # an 8-digit id may repeat, however rarely
            fresh = new_key()
        now = _now()
        retired = tuple(replace(k, retired=k.retired or now) for k in old.keys)
        try:
            replace_private(self.path, format_keyring((fresh, *retired)))
        except OSError as exc:
            raise AuditRequestError(f"audit keyring {self.path}: cannot write: {exc}") from exc
        return Keyring(self.path, (fresh, *retired))


def keys_for_settings(settings: AuditSettings) -> KeySource:
    return KeySource(settings.key_path)


def keys_for_url(url: str) -> KeySource:
    """The keyring of a database opened by URL alone (``AuditStore(url)``): the one
    ``$SALES_EXPERT_AUDIT_KEY_FILE`` names, else the default for that URL."""
    named = os.environ.get(KEY_ENV)
    if named:
        return KeySource(Path(named).absolute())
    database = sqlite_file(url)
    if database is not None:
        return KeySource((database.parent / KEY_FILE).absolute())
    return KeySource(load_settings().data_dir.absolute() / KEY_FILE)


__all__ = [
    "ANCHOR_DOMAIN",
    "KEY_ENV",
    "RECORD_DOMAIN",
    "Key",
    "KeySource",
    "Keyring",
    "format_keyring",
    "keys_for_settings",
    "keys_for_url",
    "new_key",
    "parse_keyring",
]
