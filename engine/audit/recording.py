"""How ``engine.api.consult`` records: into the given store, or the configured one (opened once
per process and URL, shared by its threads, closed at exit)."""

from __future__ import annotations

import atexit
import threading

from engine.audit.config import AuditSettings, check_role
from engine.audit.records import AuditRecord
from engine.audit.store import AuditStore
from engine.compiler import CompiledRuleBase
from engine.result import Result
from knowledge_base.facts import Case

_STORES: dict[str, AuditStore] = {}
_LOCK = threading.Lock()


def shared_store(settings: AuditSettings) -> AuditStore:
    """The process's store for the configured database."""
    with _LOCK:
        store = _STORES.get(settings.database_url)
        if store is None:
            store = _STORES[settings.database_url] = AuditStore.from_settings(settings)
        return store


@atexit.register
def close_shared_stores() -> None:
    with _LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()


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
