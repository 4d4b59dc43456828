"""Who the CLI records as, and the proof a claimed identity needs.

``sales-expert consult`` and ``sales-expert audit decide`` write an actor and a role into the
audit trail, where they carry authority: a final credit decision is a manager's. So:

- Without ``--actor``/``--role`` the record names the person at the keyboard: the settings'
  actor (``engine.audit.config``: the OS user, unless ``SALES_EXPERT_ACTOR`` or the config file
  set one) and role ``rep``. A higher role from the settings (``SALES_EXPERT_ROLE``, the config
  file) is a claim like ``--role``: an environment variable proves nothing.
- ``--actor`` and/or ``--role`` claim to act as a user of the users file (``engine.users``, the
  web front end's; ``--role`` alone claims it for the settings' actor). The claim is proved by a
  credential and checked by the web sign-in's rules: ``engine.signin_guard.sign_in``, bcrypt
  behind the same throttle (a CLI client is ``cli:<OS user>``). The role recorded is the user's
  role in the users file; a ``--role`` that differs is refused, never taken.
- Credentials are tried in order (``default_sources``): ``$SALES_EXPERT_PASSWORD`` (for
  scripts), else a password prompt when standard input is a terminal. Without one the claim is
  refused.

Every refusal is an ``AuthorityError`` (an ``AuditRequestError``: the CLI exits 2 with the
message). An API token, when there is one, is one more ``CredentialSource``: a callable that
returns the user its credential proves, ``None`` when no such credential was given, and raises
``AuthorityError`` when one was given and is wrong.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.audit.config import ROLES, AuditSettings, load_settings
from engine.audit.errors import AuditRequestError
from engine.signin_guard import GuardUnavailable, SigninGuard, refusal_text, sign_in
from engine.users import StoredUser, User, UsersFileError, load_users, users_path
from knowledge_base import Knowledge, load_knowledge

KEYBOARD_ROLE = "rep"
"""The role the person at the keyboard has without proof; a higher one set in the settings
(``SALES_EXPERT_ROLE``, the config file) must be proved like ``--role``."""
PASSWORD_ENV = "SALES_EXPERT_PASSWORD"
"""The password of the ``--actor`` user, for scripts (a prompt on a terminal otherwise)."""


class AuthorityError(AuditRequestError):
    """A claimed actor or role was not proved; the message says what is needed."""

    code = "cli_authority_refused"


@dataclass(frozen=True)
class Claim:
    """Whom a command wants to record as, and what a credential source needs to check it."""

    username: str
    users: Mapping[str, StoredUser]
    users_file: Path
    guard: SigninGuard
    client: str
    kb: Knowledge
    lang: str

    def refuse(self, key: str, **values: object) -> AuthorityError:
        text = self.kb.text(f"authority.{key}", self.lang, username=self.username, **values)
        return AuthorityError(text)


class CredentialSource(Protocol):
    def __call__(self, claim: Claim) -> User | None:
        """The user the credential proves; ``None`` if none of this kind was given."""


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, as in some containers
        return "unknown"


def terminal_prompt() -> Callable[[str], str] | None:
    """Ask on the terminal, if standard input is one (never wait for a script's input)."""
    if not sys.stdin.isatty():
        return None
    return lambda text: getpass.getpass(text, stream=sys.stderr)


@dataclass(frozen=True)
class PasswordSource:
    """The user's password: from the environment, else typed at the prompt."""

    env: Mapping[str, str]
    prompt: Callable[[str], str] | None

    def _password(self, claim: Claim) -> str | None:
        given = self.env.get(PASSWORD_ENV)
        if given:
            return given
        if self.prompt is None:
            return None
        return self.prompt(claim.kb.text("authority.prompt", claim.lang, username=claim.username))

    def __call__(self, claim: Claim) -> User | None:
        password = self._password(claim)
        if not password:
            return None
        try:
            outcome = sign_in(claim.guard, claim.users, claim.username, password, claim.client)
        except GuardUnavailable as exc:
            why = claim.kb.text("signin.unavailable", claim.lang, problem=str(exc))
            raise claim.refuse("throttled", why=why) from exc
        if outcome.user is not None:
            return outcome.user
        if not outcome.checked and outcome.refused is not None:
            why = refusal_text(outcome.refused, claim.kb, claim.lang, claim.guard.clock())
            raise claim.refuse("throttled", why=why)
        raise claim.refuse("failed", path=claim.users_file)


def default_sources(env: Mapping[str, str]) -> tuple[CredentialSource, ...]:
    return (PasswordSource(env, terminal_prompt()),)


def _claim(username: str, settings: AuditSettings, env: Mapping[str, str], lang: str) -> Claim:
    """The users and the sign-in guard the claim of ``username`` is checked against."""
    kb = load_knowledge()
    path = users_path(settings, env)
    refused = Claim(username, {}, path, SigninGuard.in_data_dir(settings.data_dir), "", kb, lang)
    try:
        users = load_users(path)
    except UsersFileError as exc:
        raise refused.refuse("users_bad", problem=str(exc)) from exc
    if not users:
        raise refused.refuse("no_users", path=path)
    return Claim(username, users, path, refused.guard, f"cli:{os_user()}", kb, lang)


def recording_identity(
    actor: str | None,
    role: str | None,
    *,
    record: bool | None = None,
    lang: str = "en",
    env: Mapping[str, str] | None = None,
    sources: Sequence[CredentialSource] | None = None,
) -> tuple[str | None, str | None]:
    """The actor and role to record: ``(None, None)`` (the settings' defaults) when none is
    claimed; the claim as it is when nothing is recorded (``record`` False, or None and the
    settings' recording off: it is not used); else the proved user's name and role from the
    users file, or an ``AuthorityError``."""
    env = os.environ if env is None else env
    settings = load_settings(env)
    if record is False or (record is None and not settings.record):
        return actor, role
    if actor is None and role is None:
        if settings.role == KEYBOARD_ROLE:
            return None, None
        role = settings.role  # a role above rep in the settings is a claim like ``--role``
    claim = _claim(actor or settings.actor, settings, env, lang)
    for source in default_sources(env) if sources is None else sources:
        user = source(claim)
        if user is not None:
            break
    else:
        raise claim.refuse("no_credentials")
    if role is not None and role != user.role:
        raise claim.refuse("role_mismatch", claimed=role, role=user.role, path=claim.users_file)
    return user.username, user.role


def add_identity_arguments(parser: argparse.ArgumentParser, acting: str = "record as") -> None:
    """``--actor`` and ``--role``, the same for every command that records (consult, decide,
    outcomes import): the claim this module proves."""
    parser.add_argument(
        "--actor",
        help=f"{acting} this user of the users file: needs their password "
        "($SALES_EXPERT_PASSWORD, else asked on the terminal); "
        "default: $SALES_EXPERT_ACTOR or the OS user, without a password",
    )
    parser.add_argument(
        "--role",
        choices=ROLES,
        help="must be the user's role in the users file (password as for --actor); "
        "default: rep (a higher $SALES_EXPERT_ROLE needs the password too)",
    )


__all__ = [
    "PASSWORD_ENV",
    "AuthorityError",
    "Claim",
    "CredentialSource",
    "PasswordSource",
    "add_identity_arguments",
    "default_sources",
    "recording_identity",
]
