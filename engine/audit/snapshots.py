"""Rule-base snapshots: the content a version hashes to, stored once, rebuilt for replay.

A snapshot is the canonical JSON of exactly what ``engine.compiler.ruleset_version`` hashes
(rules, knowledge, input schema), so ``version_of(snapshot) == version`` proves it unaltered.
Rebuilding goes through ``RuleBase.from_content`` / ``Knowledge.from_content`` and the normal
compiler; the engine built for a version is kept for the life of the process (durable-rules
cannot register a ruleset twice in one host, and each ``Engine`` has its own host).
"""

from __future__ import annotations

import json
import threading

from engine.audit.chain import canonical, version_of
from engine.audit.errors import AuditError
from engine.compiler import CompiledRuleBase, compile_rulebase
from engine.core import Engine
from engine.shared import default_engine
from knowledge_base import Knowledge
from knowledge_base.errors import SalesExpertError
from knowledge_base.facts import Case
from rules import RuleBase

_TEXTS: dict[str, str] = {}
_LOADED: dict[str, tuple[RuleBase, Knowledge, bool]] = {}
_ENGINES: dict[str, Engine] = {}
_LOCK = threading.RLock()


def snapshot_text(compiled: CompiledRuleBase) -> str:
    """The snapshot to store for a compiled rule base; it must hash to its version."""
    with _LOCK:
        if compiled.version not in _TEXTS:
            _TEXTS[compiled.version] = canonical(
                {
                    "rules": compiled.rulebase.content(),
                    "knowledge": compiled.knowledge.content(),
                    "case_schema": Case.model_json_schema(),
                }
            )
        text = _TEXTS[compiled.version]
    if version_of(text) != compiled.version:
        raise AuditError(
            f"the rule-base snapshot hashes to {version_of(text)}, not to {compiled.version}: "
            "the audit snapshot and engine.compiler.ruleset_version disagree on the content"
        )
    return text


def check_snapshot(version: str, text: str) -> None:
    if version_of(text) != version:
        raise AuditError(
            f"the stored rule base {version} was altered: it hashes to {version_of(text)}"
        )


def load_snapshot(version: str, text: str) -> tuple[RuleBase, Knowledge, bool]:
    """The rule base and knowledge of a snapshot, and whether today's input schema differs."""
    check_snapshot(version, text)
    with _LOCK:
        if version not in _LOADED:
            content = json.loads(text)
            _LOADED[version] = (
                RuleBase.from_content(content["rules"]),
                Knowledge.from_content(content["knowledge"]),
                content["case_schema"] != Case.model_json_schema(),
            )
        return _LOADED[version]


def snapshot_engine(version: str, text: str) -> Engine:
    """An engine for the recorded version (the default engine if that is today's version)."""
    try:
        current = default_engine()
    except SalesExpertError:  # today's rule base may be broken; the snapshot is enough
        current = None
    if current is not None and current.version == version:
        return current
    with _LOCK:
        if version not in _ENGINES:
            rulebase, knowledge, _ = load_snapshot(version, text)
            _ENGINES[version] = Engine(compile_rulebase(rulebase, knowledge))
        return _ENGINES[version]


__all__ = ["check_snapshot", "load_snapshot", "snapshot_engine", "snapshot_text"]
