"""Whether the front end may start on an address: the demo users' passwords are public (README),
so while the users file still holds one, the app is for this machine only.

``scripts/start.sh`` runs ``sales-expert demo --check-address ADDR [--allow-demo-on-network]``
before it starts Streamlit: on a loopback address it warns loudly if demo passwords are in use;
on any other address it refuses (exit 2) unless ``--allow-demo-on-network`` is given. A user
still "has a demo password" when the users file holds a demo user name whose hash matches the
demo password (``engine.users.DEMO_USERS``): renamed or re-hashed users are not demo users.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from engine.users import DEMO_USERS, load_users

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(address: str) -> bool:
    """True only for an address that cannot be reached from another machine. A host name
    other than ``localhost`` may resolve to anything, and ``0.0.0.0``/``::`` mean every
    interface: both count as network addresses."""
    text = address.strip().strip("[]").lower()
    if text in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def demo_passwords_in_use(path: Path) -> list[str]:
    """The demo user names whose demo password still signs in (one bcrypt check each)."""
    users = load_users(path)
    found = []
    for demo in DEMO_USERS:
        stored = users.get(demo.username)
        if stored is None:
            continue
        try:
            if bcrypt.checkpw(demo.password.encode(), stored.password_hash.encode("ascii")):
                found.append(demo.username)
        except ValueError:  # a malformed hash is no demo password
            continue
    return found


@dataclass(frozen=True)
class AddressCheck:
    """The verdict on starting at ``address``: ``key`` is the text to show (``demo_check.*``)."""

    address: str
    loopback: bool
    demo_users: tuple[str, ...]
    allowed_on_network: bool

    @property
    def refused(self) -> bool:
        return bool(self.demo_users) and not self.loopback and not self.allowed_on_network

    @property
    def key(self) -> str:
        if self.refused:
            return "refused"
        if self.demo_users and not self.loopback:
            return "allowed"
        return "local" if self.loopback else "network"


def check_address(address: str, users_file: Path, allow_on_network: bool = False) -> AddressCheck:
    return AddressCheck(
        address,
        is_loopback(address),
        tuple(demo_passwords_in_use(users_file)),
        allow_on_network,
    )


__all__ = ["AddressCheck", "check_address", "demo_passwords_in_use", "is_loopback"]
