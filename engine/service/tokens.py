"""API tokens of the decision service: made for a user of the users file, stored hashed.

A token is 32 random bytes (URL-safe text, prefixed ``sx_``) shown once when it is made; the
database keeps only its SHA-256, so a stolen database gives no token. A high-entropy token needs
no slow hash (bcrypt is for passwords people choose): checking one is a single indexed lookup
per request. The token names a user; the role is read from the users file at every request, so
a user whose role changes or who is removed loses what the role allowed at once. Revoking sets
``revoked_at``; a revoked token is refused like an unknown one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from engine.audit.models import api_tokens, utc_now
from engine.audit.store import AuditStore

PREFIX = "sx_"


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    username: str
    created_at: str
    revoked_at: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(store: AuditStore, username: str, name: str) -> tuple[Token, str]:
    """A new token for ``username`` (the caller checked the user exists): its row and the token
    itself, which is never stored."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with store._write() as conn:
        next_id = int(conn.scalar(sa.select(sa.func.max(api_tokens.c.id))) or 0) + 1
        row = {
            "id": next_id,
            "name": name,
            "username": username,
            "token_hash": digest(secret),
            "created_at": utc_now(),
            "revoked_at": None,
        }
        conn.execute(api_tokens.insert().values(**row))
    return Token(next_id, name, username, str(row["created_at"]), None), secret


def _token(row: sa.Row[tuple[object, ...]]) -> Token:
    data = row._mapping
    revoked = data["revoked_at"]
    return Token(
        int(data["id"]),
        str(data["name"]),
        str(data["username"]),
        str(data["created_at"]),
        None if revoked is None else str(revoked),
    )


def list_tokens(store: AuditStore) -> list[Token]:
    with store._read() as conn:
        return [_token(r) for r in conn.execute(sa.select(api_tokens).order_by(api_tokens.c.id))]


def revoke(store: AuditStore, token_id: int) -> Token | None:
    """Revoke a token; None if there is no such token (revoking twice keeps the first time)."""
    with store._write() as conn:
        query = api_tokens.update().where(
            api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)
        )
        conn.execute(query.values(revoked_at=utc_now()))
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return None if row is None else _token(row)


def username_of(store: AuditStore, token: str) -> str | None:
    """The user a live token was made for, or None (unknown or revoked)."""
    with store._read() as conn:
        row = conn.execute(
            sa.select(api_tokens.c.username).where(
                api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return None if row is None else str(row.username)


__all__ = ["PREFIX", "Token", "digest", "list_tokens", "make_token", "revoke", "username_of"]
