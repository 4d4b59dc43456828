"""The engine's own driver of the durable-rules C core: the same inference, less overhead.

The stock Python host (``durable.engine``) wraps every firing in a ``Closure`` (with a datetime
per action), serialises the session state back after every action and encodes with the
standard ``json`` module. This driver speaks to the C core (``durable_rules_engine``) directly
with the same protocol — assert, ``start_action_for_state``, run the action,
``complete_and_start_action`` until the agenda is empty — using orjson and no per-action state
round trip (our actions never change the session state). The C core still does all matching
and agenda work, so conclusions and traces are identical to the stock path; the test suite
checks that on every golden case and thousands of generated ones.
"""

from __future__ import annotations

import uuid
from typing import Any

import durable_rules_engine as core
import orjson

from engine.compiler import CompiledRuleBase
from engine.errors import EngineError
from engine.firing import Firing
from engine.host import ANCHOR_DEFINITION, ANCHOR_RULE, DURABLE_LOCK, RULESET
from engine.intake import CASE_FACT, Fact

_NOT_HANDLED, _OBSERVED, _QUEUED = 1, 2, 3


def _dumps(fact: Fact) -> str:
    return orjson.dumps(fact).decode()


class FastDriver:
    """Runs consultations through the C core with a lean Python loop."""

    def __init__(self, compiled: CompiledRuleBase) -> None:
        definition: dict[str, Any] = dict(compiled.definitions)
        definition[ANCHOR_RULE] = ANCHOR_DEFINITION
        with DURABLE_LOCK:
            self._handle = core.create_ruleset(RULESET, _dumps(definition))

    def run(self, facts: list[Fact], firing: Firing) -> None:
        """Same contract as ``StockDriver.run``: fresh session, chain, always delete."""
        if not facts or facts[0]["t"] != CASE_FACT:
            raise EngineError("a session must start with the case fact (it anchors the session)")
        sid = uuid.uuid4().hex
        with DURABLE_LOCK:
            try:
                for fact in facts:
                    self._assert(firing, {**fact, "sid": sid}, sid)
            finally:
                core.delete_state(self._handle, sid)

    def _assert(self, firing: Firing, fact: Fact, sid: str) -> None:
        code, state_handle = core.assert_fact(self._handle, _dumps(fact))
        if code == _NOT_HANDLED:
            return  # no rule looks at this fact: not an error
        if code == _OBSERVED:
            raise EngineError(f"fact asserted twice: {fact}")
        self._drain(firing, state_handle if code != _QUEUED else 0, sid)

    def _drain(self, firing: Firing, state_handle: int, sid: str) -> None:
        """Fire activations until the agenda is empty (the hot loop: kept flat on purpose)."""
        handle, fire, assert_fact, loads = self._handle, firing.fire, core.assert_fact, orjson.loads
        started = core.start_action_for_state(handle, state_handle)
        message = started[1] if started else None
        while message:
            for rule_id, matched in loads(message).items():
                if rule_id == ANCHOR_RULE:
                    continue
                for fact in fire(rule_id, matched):
                    text = _dumps({"t": fact.topic, "value": fact.value, "sid": sid})
                    if assert_fact(handle, text)[0] == _OBSERVED:
                        firing.errors.append(EngineError(f"rule {rule_id} re-asserted {fact}"))
            message = core.complete_and_start_action(handle, state_handle)
