"""Where the audit trail lives and who is consulting: environment over config file over defaults.

Config file: ``$SALES_EXPERT_CONFIG`` if set (it must exist), else ``./sales-expert.toml`` if
present. Its top-level keys are the settings below without the prefix, lower case::

    data_dir = "data"              # relative paths are relative to the config file
    database_url = "postgresql+psycopg://audit@db.example/sales"
    record = true
    actor = "alice"
    role = "rep"
    audit_key_file = "/etc/sales-expert/audit.key"

=============================  ===============================  ================================
environment                    default                          meaning
=============================  ===============================  ================================
SALES_EXPERT_DATA_DIR          ./data                           where the SQLite file lives
SALES_EXPERT_DATABASE_URL      sqlite:///<data_dir>/audit.db    any SQLite or PostgreSQL URL
SALES_EXPERT_RECORD            on                               record consultations (on/off)
SALES_EXPERT_ACTOR             the OS user                      who is consulting
SALES_EXPERT_ROLE              rep                              their role (see ``ROLES``)
SALES_EXPERT_AUDIT_KEY_FILE    see ``default_key_file``         the keyring signing records
=============================  ===============================  ================================
"""

from __future__ import annotations

import getpass
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.audit.errors import AuditRequestError

PREFIX = "SALES_EXPERT_"
CONFIG_ENV = "SALES_EXPERT_CONFIG"
CONFIG_FILE = "sales-expert.toml"
DATABASE_FILE = "audit.db"
KEY_FILE = "audit.key"
SETTINGS = ("data_dir", "database_url", "record", "actor", "role", "audit_key_file")
ROLES: tuple[str, ...] = ("rep", "manager", "auditor", "admin")
"""Who may act: reps consult, managers also take final credit decisions, auditors read."""
DECIDING_ROLE = "manager"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class AuditSettings:
    data_dir: Path
    database_url: str
    record: bool
    actor: str
    role: str
    config_file: Path | None = None
    key_file: Path | None = None
    """The keyring named by the settings; None: ``default_key_file``."""

    @property
    def key_path(self) -> Path:
        """The keyring that signs this database's records (see ``engine.audit.keys``)."""
        return self.key_file or default_key_file(self.database_url, self.data_dir)


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise AuditRequestError(f"setting {name}: expected on or off, got {value!r}")


def _config_file(env: Mapping[str, str], cwd: Path) -> Path | None:
    named = env.get(CONFIG_ENV)
    if named:
        path = Path(named)
        if not path.is_file():
            raise AuditRequestError(f"{CONFIG_ENV}: no such file {named!r}")
        return path
    local = cwd / CONFIG_FILE
    return local if local.is_file() else None


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuditRequestError(f"config file {path}: {exc}") from exc
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise AuditRequestError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(SETTINGS)}"
        )
    for name in ("data_dir", "audit_key_file"):
        if name in data:
            data[name] = path.parent / str(data[name])
    return data


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases, memory and ``uri=true``."""
    from sqlalchemy.engine import make_url  # only when needed: importing config stays light
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(database_url)
    except ArgumentError:  # a bad URL is reported when the database is opened
        return None
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    return None if parsed.query.get("uri") else Path(name)


def default_key_file(database_url: str, data_dir: Path) -> Path:
    """``audit.key`` beside a SQLite database file, else in the data directory.

    With the default settings both are ``<data dir>/audit.key``. A SQLite database named by
    its own URL keeps its key beside it, so whoever opens that file — from any working
    directory, or as ``AuditStore(url)`` — signs and verifies with the same key. The key is
    never inside the database: an insider who can rewrite the database cannot re-sign it."""
    database = sqlite_file(database_url)
    return (database.parent if database else data_dir) / KEY_FILE


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, as in some containers
        return "unknown"


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuditRequestError(f"role: {role!r} is not a role; allowed: {', '.join(ROLES)}")
    return role


def load_settings(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> AuditSettings:
    """The effective settings; a bad config file or value is an ``AuditRequestError``."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    path = _config_file(env, cwd)
    values: dict[str, Any] = _read_config(path) if path else {}
    for name in SETTINGS:
        if env.get(PREFIX + name.upper()):
            values[name] = env[PREFIX + name.upper()]
    data_dir = Path(values.get("data_dir") or cwd / "data")
    data_dir = data_dir if data_dir.is_absolute() else cwd / data_dir
    url = str(values.get("database_url") or f"sqlite:///{data_dir.resolve() / DATABASE_FILE}")
    key_file = Path(values["audit_key_file"]) if values.get("audit_key_file") else None
    key_file = key_file if key_file is None or key_file.is_absolute() else cwd / key_file
    return AuditSettings(
        data_dir=data_dir,
        database_url=url,
        record=_flag("record", values.get("record", True)),
        actor=str(values.get("actor") or _os_user()),
        role=check_role(str(values.get("role") or "rep")),
        config_file=path,
        key_file=key_file,
    )


__all__ = [
    "DECIDING_ROLE",
    "KEY_FILE",
    "ROLES",
    "AuditSettings",
    "check_role",
    "default_key_file",
    "load_settings",
    "sqlite_file",
]
