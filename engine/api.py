"""Public entry points: ``consult(case)`` with the built-in rule base, shared per process.

Every consultation is recorded in the audit trail (``engine.audit``) unless ``record=False``
or recording is switched off in the settings (``SALES_EXPERT_RECORD=off``); a ``store`` given
is always written to. The record's id is ``result.audit_id``.

Without an ``engine``, a consultation runs under the live policy (``engine.policy.live``): the
shipped rule base under the last publication still in force in the audit database (``store``
if given, else the configured one), read afresh at every consultation so a publication or a
rollback in another process applies without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.core import Engine
from engine.intake import parse_case
from engine.result import Result
from engine.shared import default_engine
from knowledge_base.facts import Case

if TYPE_CHECKING:
    from engine.audit.store import AuditStore
    from engine.policy.live import LivePolicy

__all__ = ["consult", "default_engine"]


def consult(
    case: Case | dict[str, Any],
    *,
    lang: str = "en",
    engine: Engine | None = None,
    actor: str | None = None,
    role: str | None = None,
    record: bool | None = None,
    channel: str = "api",
    store: AuditStore | None = None,
    before_record: Callable[[], None] | None = None,
) -> Result:
    """Run one consultation. ``case`` is a dict (as read from JSON/YAML) or a ``Case``.

    ``actor``/``role`` default to the settings (``SALES_EXPERT_ACTOR``, the OS user; ``rep``);
    ``channel`` says where it came from: api, cli, ui or batch. ``before_record`` runs right
    before the write and may raise to prevent it (the decision service's deadline: a request
    answered "timed out" meanwhile must leave no record).
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    live = _live_policy(store) if engine is None else None
    chosen = engine or (live.engine() if live is not None else default_engine())
    parsed = parse_case(case, lang)
    result = chosen.consult(parsed, lang=lang)
    if record is False:
        return result
    from engine.audit.config import load_settings  # the audit trail loads only when used

    settings = load_settings()
    if record or store is not None or settings.record:
        from engine.audit.recording import record as record_result

        if live is not None and live.shadow is not None:  # recorded, never shown
            from engine.policy.shadow import shadow_answers

            result.shadow = shadow_answers(live.shadow, parsed)
        if before_record is not None:
            before_record()
        entry = record_result(
            result,
            parsed,
            chosen.compiled,
            settings,
            actor=actor,
            role=role,
            channel=channel,
            store=store,
        )
        result.audit_id = entry.id
    return result


def _live_policy(store: AuditStore | None) -> LivePolicy | None:
    """The live policy (None: no audit database yet, so nothing published); the audit trail
    loads only when used, as below."""
    from engine.policy.live import configured_store, live_policy

    found = store if store is not None else configured_store()
    return None if found is None else live_policy(found)
