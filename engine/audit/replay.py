"""``audit replay``: re-run a recorded consultation and say whether the outcome is the same.

Under the recorded version the engine is rebuilt from the stored snapshot (not from today's
files), so the replay must be identical: same conclusions with the same explanations, same
trace. With ``current`` it runs on today's rule base instead and lists what would change.

Differences, most important first: a topic concluded with other values (``conclusion``), by
other rules (``rules``), explained otherwise (``explanation``), and rules that fired only before
or only now (``fired``); then anything else in the trace (``trace``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.audit.errors import AuditRequestError
from engine.audit.records import compact_result
from engine.audit.snapshots import load_snapshot, snapshot_engine
from engine.audit.store import AuditStore
from engine.core import Engine
from engine.result import Result
from engine.shared import default_engine

_IGNORED = {"audit_id", "ruleset_version", "product_version"}
"""Not compared: the product version is reported separately, the versions are the point."""


@dataclass(frozen=True)
class Difference:
    what: str
    topic: str | None
    before: Any
    after: Any


@dataclass(frozen=True)
class ReplayReport:
    record_id: int
    against: str
    """``recorded`` (the snapshot) or ``current`` (today's rule base)."""
    recorded_version: str
    replay_version: str
    identical: bool
    differences: list[Difference]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _values(result: dict[str, Any]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for conclusion in result["conclusions"]:
        found.setdefault(conclusion["topic"], []).append(conclusion["value"])
    return {topic: sorted(values, key=str) for topic, values in found.items()}


def _one(values: list[Any] | None) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _by_topic(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for conclusion in result["conclusions"]:
        found.setdefault(conclusion["topic"], []).append(conclusion)
    return found


def _topic_differences(before: dict[str, Any], after: dict[str, Any]) -> list[Difference]:
    old, new = _values(before), _values(after)
    old_full, new_full = _by_topic(before), _by_topic(after)
    out: list[Difference] = []
    for topic in [*old, *(t for t in new if t not in old)]:
        if old.get(topic) != new.get(topic):
            out.append(Difference("conclusion", topic, _one(old.get(topic)), _one(new.get(topic))))
            continue
        old_rules = [c["rules"] for c in old_full[topic]]
        new_rules = [c["rules"] for c in new_full[topic]]
        if old_rules != new_rules:
            out.append(Difference("rules", topic, _one(old_rules), _one(new_rules)))
        elif old_full[topic] != new_full[topic]:
            out.append(Difference("explanation", topic, old_full[topic], new_full[topic]))
    return out


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[Difference]:
    """What differs between two results in their JSON form; empty if identical."""
    out = _topic_differences(before, after)
    fired_before = [s["rule"] for s in before["trace"]]
    fired_after = [s["rule"] for s in after["trace"]]
    only_before = sorted(set(fired_before) - set(fired_after))
    only_after = sorted(set(fired_after) - set(fired_before))
    if only_before or only_after:
        out.append(Difference("fired", None, only_before, only_after))
    elif before["trace"] != after["trace"]:
        out.append(Difference("trace", None, fired_before, fired_after))
    strip = {k: v for k, v in before.items() if k not in _IGNORED}
    if not out and strip != {k: v for k, v in after.items() if k not in _IGNORED}:
        out.append(Difference("other", None, None, None))
    return out


def _engine_for(store: AuditStore, version: str, current: bool) -> tuple[Engine, list[str]]:
    if current:
        return default_engine(), []
    text = store.snapshot(version)
    _, _, schema_changed = load_snapshot(version, text)
    notes = (
        ["the input schema (program code) changed since this consultation was recorded"]
        if schema_changed
        else []
    )
    return snapshot_engine(version, text), notes


def replay(store: AuditStore, record_id: int, current: bool = False) -> ReplayReport:
    """Re-run consultation ``record_id`` under its recorded rule base, or today's."""
    record = store.get(record_id)
    if record.kind != "consultation" or record.payload is None:
        raise AuditRequestError(f"record {record_id} is a {record.kind}, not a consultation")
    engine, notes = _engine_for(store, record.ruleset_version, current)
    payload = record.payload
    rerun: Result = engine.consult(payload["case"], lang=payload["lang"])
    after = compact_result(rerun)
    if rerun.product_version != record.product_version:
        notes.append(
            f"recorded by sales-expert {record.product_version}, "
            f"replayed by {rerun.product_version}"
        )
    differences = compare(payload["result"], after)
    return ReplayReport(
        record_id=record_id,
        against="current" if current else "recorded",
        recorded_version=record.ruleset_version,
        replay_version=rerun.ruleset_version,
        identical=not differences,
        differences=differences,
        notes=notes,
    )


__all__ = ["Difference", "ReplayReport", "compare", "replay"]
