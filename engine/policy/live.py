"""The live policy: the rule base every new consultation runs under (issue 21).

It is the shipped rule base under the parameter values and switched-off rules of the last
publication still in force (``engine.policy.events.live_stack``), or the shipped rule base
itself when nothing is published. Publishing or rolling back in one process (the CLI, a page)
switches every other process at its next consultation without a restart: each asks the audit
database for the id of the last publication or rollback (one indexed query) and rebuilds its
view only when that id moved. Engines under a changed policy are the calibration's cached ones
(``engine.calibrate.apply.engine_with``), so switching back and forth registers no ruleset
twice.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.audit.config import AuditSettings, load_settings, sqlite_file
from engine.audit.store import AuditStore
from engine.calibrate.apply import engine_with
from engine.core import Engine
from engine.policy import events
from engine.policy.change import PolicyChange
from engine.policy.model import Event
from engine.shared import default_engine


@dataclass(frozen=True)
class LivePolicy:
    """What is live: the publication in force (None: the shipped rule base) and its policy."""

    publication: Event | None
    values: Mapping[str, float] = field(default_factory=dict)
    rules_off: frozenset[str] = frozenset()
    shadow: Event | None = None
    """An approved draft running in shadow beside the live policy (``engine.policy.shadow``)."""

    @property
    def draft(self) -> str | None:
        return self.publication.draft if self.publication else None

    def engine(self) -> Engine:
        """The engine of this policy (the shipped one when nothing is published)."""
        return self._engine

    @functools.cached_property
    def _engine(self) -> Engine:
        # worked out once per live policy (a process keeps the same object until the policy
        # changes): checking a change's names costs milliseconds, every consultation asks
        if not self.values and not self.rules_off:
            return default_engine()
        return engine_with(self.values, self.rules_off)


SHIPPED = LivePolicy(None)
_SEEN: dict[str, tuple[int, LivePolicy]] = {}
_STORES: dict[str, AuditStore] = {}
_LOCK = threading.Lock()


def live_policy(store: AuditStore) -> LivePolicy:
    """The policy live in ``store``'s database now (read again only when it changed)."""
    with store._read() as conn:
        marker = events.last_live_event_id(conn)
        seen = _SEEN.get(store.url)
        if seen is not None and seen[0] == marker:
            return seen[1]
        stack = events.live_stack(events.live_events(conn))
        shadow = events.shadow_event(conn)
    top = stack[-1] if stack else None
    policy = (
        LivePolicy(None, shadow=shadow)
        if top is None
        else LivePolicy(top, dict(top.values or {}), frozenset(top.rules_off or ()), shadow)
    )
    _SEEN[store.url] = (marker, policy)
    return policy


def live_engine(store: AuditStore) -> Engine:
    return live_policy(store).engine()


def configured_store(settings: AuditSettings | None = None) -> AuditStore | None:
    """The configured audit database, opened once per process; None when it is a SQLite file
    that does not exist yet (nothing can be published in it, and nothing is created)."""
    chosen = settings or load_settings()
    url = chosen.database_url
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return None
    with _LOCK:
        if url not in _STORES:
            _STORES[url] = AuditStore.from_settings(chosen)
        return _STORES[url]


def live_change(url: str | None = None) -> PolicyChange:
    """Today's policy as a simulation's champion: the live policy of the audit database at
    ``url`` (else the configured one); the shipped rule base when nothing is published there
    (or the database does not exist: nothing is created)."""
    if url is None:
        store = configured_store()
        live = SHIPPED if store is None else live_policy(store)
    else:
        path = sqlite_file(url)
        if path is not None and not path.exists():
            live = SHIPPED
        else:
            with AuditStore(url) as opened:
                live = live_policy(opened)
    return PolicyChange(live.values, live.rules_off, live.draft or "")


def configured_live_engine(settings: AuditSettings | None = None) -> Engine:
    """The engine for a new consultation: the live policy of the configured audit database."""
    store = configured_store(settings)
    return default_engine() if store is None else live_engine(store)


__all__ = [
    "SHIPPED",
    "LivePolicy",
    "configured_live_engine",
    "configured_store",
    "live_change",
    "live_engine",
    "live_policy",
]
