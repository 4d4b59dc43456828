"""The durable-rules driver: one host per rule-base version, one session per consultation.

What the stock library gets wrong and this module owns (see the durable-rules notes):
- ``Host()`` starts timer threads that crash the process once sessions are deleted:
  ``SyncHost`` disables them; the whole chain then runs synchronously inside ``assert_fact``.
- The C core is not thread-safe and allows at most 1024 live sessions: every call runs under
  one process-wide lock, each consultation gets a fresh sid, and its state is always deleted.
- A fact no rule pattern accepts raises ``MessageNotHandledException``: for input facts and
  final conclusions that is normal, so it is caught per fact. But a session *created* by such
  a fact is half-built (deleting it segfaults, and it holds one of the 1024 slots for good), so
  every session starts with an anchor fact that an internal no-op rule always accepts.
- Exceptions in actions are swallowed into the session state: actions never raise (the
  ``Firing`` stores errors) and any ``exception`` left in the state is raised here.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import uuid
from collections.abc import Callable
from typing import Any

from durable import engine as durable_engine

from engine.compiler import CompiledRuleBase, core_conclusion, core_fact, type_attribute
from engine.errors import EngineError
from engine.firing import Firing
from engine.intake import CASE_FACT, Fact

RULESET = "sales"
ANCHOR_RULE = "_session"
"""Internal rule that accepts the ``case`` fact, always asserted first, so every session is
born from a handled fact; it is never in the trace."""
ANCHOR_DEFINITION = {"all": [{"m": {"$ex": {type_attribute(CASE_FACT): 1}}}]}
DURABLE_LOCK = threading.Lock()
"""Serialises every call into durable-rules in this process (threads share one C engine)."""


class SyncHost(durable_engine.Host):  # type: ignore[misc]
    """The stock host without its background dispatch and timer threads."""

    def _run(self) -> None:
        return None


Action = Callable[[Any], None]


def _accept_anchor(c: Any) -> None:
    return None


class StockDriver:
    """Runs consultations through the stock durable-rules Python host."""

    def __init__(self, compiled: CompiledRuleBase) -> None:
        self._active: dict[str, Firing] = {}
        definition = {}
        for rule_id, rule_def in compiled.definitions.items():
            definition[rule_id] = {**copy.deepcopy(rule_def), "run": self._action(rule_id)}
        definition[ANCHOR_RULE] = {**copy.deepcopy(ANCHOR_DEFINITION), "run": _accept_anchor}
        with DURABLE_LOCK:
            self._host = SyncHost()
            self._host.register_rulesets({RULESET: definition})

    def _action(self, rule_id: str) -> Action:
        active = self._active

        def action(c: Any) -> None:
            firing = active[c.s.sid]
            for fact in firing.fire(rule_id, c._m):
                # a final conclusion no rule consumes is refused by the engine; the Firing keeps it
                with contextlib.suppress(durable_engine.MessageNotHandledException):
                    c.assert_fact(core_conclusion(fact.topic, fact.value))

        return action

    def run(self, facts: list[Fact], firing: Firing) -> None:
        """Assert the facts (``case`` first) in a fresh session, let the rules chain, always
        drop the session."""
        if not facts or facts[0]["t"] != CASE_FACT:
            raise EngineError("a session must start with the case fact (it anchors the session)")
        sid = uuid.uuid4().hex
        with DURABLE_LOCK:
            self._active[sid] = firing
            try:
                for fact in facts:
                    self._assert(dict(core_fact(fact), sid=sid))
            finally:
                del self._active[sid]
                self._host.delete_state(RULESET, sid)

    def _assert(self, fact: Fact) -> None:
        try:
            state = self._host.assert_fact(RULESET, fact)
        except durable_engine.MessageNotHandledException:
            return  # no rule looks at this fact: not an error
        if state and state.get("exception"):
            raise EngineError(f"durable-rules reported: {state['exception']}")
