"""How ``engine.api.consult`` records: into the given store, or the configured one (opened once
per process and URL, shared by its threads, closed at exit)."""

from __future__ import annotations

import atexit
import os
import threading

from engine.audit.config import AuditSettings, check_role, load_settings
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore
from engine.compiler import CompiledRuleBase
from engine.result import Result
from knowledge_base.facts import Case

_STORES: dict[tuple[int, str], AuditStore] = {}
_LOCK = threading.Lock()


def shared_store(settings: AuditSettings | None = None) -> AuditStore:
    """The process's store for the configured database (``settings``, else the configured
    ones: what every page of the web app records into). Keyed by process id as well: a forked
    batch worker inherits its parent's stores and must open its own connection rather than
    use (or close) one that belongs to the parent."""
    settings = settings or load_settings()
    key = (os.getpid(), settings.database_url)
    with _LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = AuditStore.from_settings(settings)
        return store


@atexit.register
def close_shared_stores() -> None:
    """Close this process's stores (never those inherited from a parent)."""
    pid = os.getpid()
    with _LOCK:
        for key in [k for k in _STORES if k[0] == pid]:
            _STORES.pop(key).close()


def record(
    result: Result,
    case: Case,
    compiled: CompiledRuleBase,
    settings: AuditSettings,
    *,
    actor: str | None,
    role: str | None,
    channel: str,
    store: AuditStore | None,
) -> AuditRecord:
    """Append the consultation; who it was defaults to the settings (env, config, OS user)."""
    target = store if store is not None else shared_store(settings)
    return target.record_consultation(
        result,
        case,
        compiled,
        actor=actor or settings.actor,
        role=check_role(role or settings.role),
        channel=channel,
    )


__all__ = ["close_shared_stores", "record", "shared_store"]
