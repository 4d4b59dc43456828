"""Users of the front end: who may sign in, under which role, with which password.

The users file is YAML with bcrypt hashes, never passwords::

    users:
      mia:
        name: Mia Manager
        role: manager          # one of engine.audit.config.ROLES
        password: $2b$12$...   # bcrypt hash

Path: ``$SALES_EXPERT_USERS`` if set, else ``<data dir>/users.yaml`` (the data directory of the
audit settings, ``$SALES_EXPERT_DATA_DIR``, default ``./data``). ``sales-expert demo`` writes a
file with the demo users (``DEMO_USERS``) when there is none.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

from engine.audit.config import ROLES, AuditSettings, load_settings
from knowledge_base.errors import SalesExpertError

USERS_ENV = "SALES_EXPERT_USERS"
USERS_FILE = "users.yaml"
BCRYPT_ROUNDS = 12
"""Work factor of new hashes: about a quarter of a second per check on a small server."""
MAX_PASSWORD_BYTES = 72
"""bcrypt reads at most 72 bytes of a password; longer ones are refused, not truncated."""


class UsersFileError(SalesExpertError):
    """The users file cannot be read or is malformed (the message names the file and entry)."""

    code = "users_file"


@dataclass(frozen=True)
class User:
    """A signed-in person: the username is the actor of every audit record they cause."""

    username: str
    name: str
    role: str


@dataclass(frozen=True)
class StoredUser:
    user: User
    password_hash: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    password: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("rita", "Rita Rep", "rep", "rep-demo"),
    DemoUser("mia", "Mia Manager", "manager", "manager-demo"),
    DemoUser("ada", "Ada Auditor", "auditor", "auditor-demo"),
    DemoUser("adam", "Adam Admin", "admin", "admin-demo"),
)
"""The demo accounts ``sales-expert demo`` creates; their passwords are public (README)."""


def users_path(settings: AuditSettings | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Where the users file is: ``$SALES_EXPERT_USERS``, else ``<data dir>/users.yaml``."""
    env = os.environ if env is None else env
    named = env.get(USERS_ENV)
    if named:
        return Path(named)
    return (settings or load_settings(env)).data_dir / USERS_FILE


def _password_bytes(password: str) -> bytes:
    data = password.encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        raise ValueError(f"a password may have at most {MAX_PASSWORD_BYTES} bytes")
    return data


def hash_password(password: str, rounds: int = BCRYPT_ROUNDS) -> str:
    if not password:
        raise ValueError("a password must not be empty")
    return bcrypt.hashpw(_password_bytes(password), bcrypt.gensalt(rounds)).decode("ascii")


def _entry(path: Path, username: object, entry: object) -> StoredUser:
    where = f"{path}: user {username!r}"
    if not isinstance(username, str) or not username.strip():
        raise UsersFileError(f"{where}: a username must be a non-empty text")
    if not isinstance(entry, dict):
        raise UsersFileError(f"{where}: expected a mapping with name, role and password")
    role, hashed = entry.get("role"), entry.get("password")
    if role not in ROLES:
        raise UsersFileError(f"{where}: role {role!r} is not one of {', '.join(ROLES)}")
    if not isinstance(hashed, str) or not hashed.startswith("$2"):
        raise UsersFileError(f"{where}: password must be a bcrypt hash ($2b$...)")
    name = str(entry.get("name") or username)
    return StoredUser(User(username, name, str(role)), hashed)


def load_users(path: Path) -> dict[str, StoredUser]:
    """Read and check the users file; a missing file means no users."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsersFileError(f"{path}: cannot read: {exc}") from exc
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, dict):
        raise UsersFileError(f"{path}: expected a top-level 'users' mapping")
    return {str(name): _entry(path, name, entry) for name, entry in users.items()}


@functools.cache
def _dummy_hash() -> bytes:
    return bcrypt.hashpw(b"no such user", bcrypt.gensalt(BCRYPT_ROUNDS))


def authenticate(users: Mapping[str, StoredUser], username: str, password: str) -> User | None:
    """The user if the password matches. An unknown user costs a check too (no timing hint)."""
    stored = users.get(username.strip())
    try:
        given = _password_bytes(password)
    except ValueError:
        return None
    hashed = stored.password_hash.encode("ascii") if stored else _dummy_hash()
    try:
        matches = bcrypt.checkpw(given, hashed)
    except ValueError:  # a malformed hash in the file never signs anyone in
        return None
    return stored.user if stored is not None and matches else None


def write_users(path: Path, users: list[tuple[User, str]], rounds: int = BCRYPT_ROUNDS) -> None:
    """Write a users file from (user, password) pairs; only the hashes are stored.

    The file is private (mode 0600): bcrypt hashes can be attacked offline, and the names and
    roles are personal data. The mode is given when the temporary file is created (a leftover
    one is tightened too) and the rename carries it, so a broader file is tightened by the
    next write and there is no moment when another user could open it."""
    data = {
        "users": {
            user.username: {
                "name": user.name,
                "role": user.role,
                "password": hash_password(password, rounds),
            }
            for user, password in users
        }
    }
    text = "# Users of the sales-expert front end (bcrypt hashes; see engine/users.py).\n"
    text += yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), 0o600)  # a leftover temporary file kept its old mode
            out.write(text)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


def write_demo_users(path: Path, rounds: int = BCRYPT_ROUNDS) -> None:
    write_users(path, [(User(d.username, d.name, d.role), d.password) for d in DEMO_USERS], rounds)


__all__ = [
    "BCRYPT_ROUNDS",
    "DEMO_USERS",
    "USERS_ENV",
    "DemoUser",
    "StoredUser",
    "User",
    "UsersFileError",
    "authenticate",
    "hash_password",
    "load_users",
    "users_path",
    "write_demo_users",
    "write_users",
]
