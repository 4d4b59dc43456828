"""The engine's own driver of the durable-rules C core: the same inference, less overhead.

The stock Python host (``durable.engine``) wraps every firing in a ``Closure`` (with a datetime
per action), serialises the session state back after every action and encodes with the
standard ``json`` module. This driver speaks to the C core (``durable_rules_engine``) directly
with the same protocol — assert, ``start_action_for_state``, run the action,
``complete_and_start_action`` until the agenda is empty — using orjson and no per-action state
round trip (our actions never change the session state).

It also keeps one session for all its consultations instead of creating one per consultation:
the C core builds a session's state for every join node of the rule network (about 8 KB each,
some 650 of them here), which cost about half of the core's time per consultation. After each
consultation every fact it stored is retracted, which leaves the session as empty as a new one;
if that cannot be confirmed (the agenda is not empty, the core reports an error, the
consultation failed midway) the session is dropped with its ruleset and the next consultation
starts with fresh ones.

Every fact carries an explicit ``id`` (its type for a case fact; for a conclusion, a number
given to each category value the session meets, or the topic and the number): otherwise the
core works one out for every assert and retract by sorting and hashing all the fact's
attributes. Facts are still identified by exactly their content, as before, since a
consultation has one fact per type and one conclusion per topic and value. Ids are short: they
travel with every fact in and out of the core. Facts carry no session id: each driver has its
own ruleset and one session at a time, so they go to the core's default session, and the core
neither reads nor returns one more attribute per fact (about 4 % of its time).

The C core still does all matching and agenda work, so conclusions and traces are identical to
the stock path; the test suite checks that on every golden case and thousands of generated ones.
"""

from __future__ import annotations

import contextlib
from typing import Any

import durable_rules_engine as core
import orjson

from engine.compiler import CompiledRuleBase, core_fact, type_attribute
from engine.errors import EngineError
from engine.firing import Firing
from engine.host import ANCHOR_DEFINITION, ANCHOR_RULE, DURABLE_LOCK, RULESET
from engine.intake import CASE_FACT, Fact

_NOT_HANDLED, _OBSERVED, _QUEUED = 1, 2, 3


def _dumps(fact: Fact) -> str:
    return orjson.dumps(fact).decode()


def _conclusion_text(topic: str, value: Any, known: int) -> str:
    """A conclusion's JSON for the core. Its id is as unique as its content: a category value
    is numbered as it first appears in the session (``known``: how many the session has), a
    number is named by its topic and value; short, since the id travels with every activation."""
    identity = f"c{known}" if isinstance(value, str) else f"{topic}={value!r}"
    return _dumps({type_attribute(topic): 1, "value": value, "id": identity})


class FastDriver:
    """Runs consultations through the C core with a lean Python loop and one reused session."""

    def __init__(self, compiled: CompiledRuleBase) -> None:
        definition: dict[str, Any] = dict(compiled.definitions)
        definition[ANCHOR_RULE] = ANCHOR_DEFINITION
        self._definition = _dumps(definition)
        with DURABLE_LOCK:
            self._handle = core.create_ruleset(RULESET, self._definition)
        self._known = {rid: plan.known for rid, plan in compiled.plans.items() if plan.known}
        self._texts: dict[tuple[str, Any], str] = {}
        """The JSON of each category conclusion in this session, "" for one the core said no
        pattern accepts (which depends on the fact alone): bounded by the rule base."""
        self.sessions_started = 1
        """How many sessions this driver has used: 1 unless a consultation had to discard one."""

    def run(self, facts: list[Fact], firing: Firing) -> None:
        """Same contract as ``StockDriver.run``: the facts are asserted in an empty session (the
        ``case`` fact first), the rules chain, and the session is left empty afterwards."""
        if not facts or facts[0]["t"] != CASE_FACT:
            raise EngineError("a session must start with the case fact (it anchors the session)")
        stored: list[str] = []
        sections = {fact["t"]: fact for fact in facts}
        with DURABLE_LOCK:
            try:
                for fact in facts:
                    text = _dumps({**core_fact(fact), "id": fact["t"]})
                    self._assert(firing, text, stored, sections)
            except BaseException:
                self._discard_session()
                raise
            if firing.errors or not self._emptied(stored):
                self._discard_session()

    def _assert(
        self, firing: Firing, text: str, stored: list[str], sections: dict[str, Fact]
    ) -> None:
        code, state_handle = core.assert_fact(self._handle, text)
        if code == _NOT_HANDLED:
            return  # no rule looks at this fact: not an error, and the core did not store it
        if code == _OBSERVED:
            raise EngineError(f"fact asserted twice: {text}")
        stored.append(text)
        self._drain(firing, state_handle if code != _QUEUED else 0, stored, sections)

    def _drain(
        self, firing: Firing, state_handle: int, stored: list[str], sections: dict[str, Fact]
    ) -> None:
        """Fire activations until the agenda is empty (the hot loop: kept flat on purpose).

        A message holds one activation, ``{"RULE-ID":{pattern: fact, ...}}``. Most rules match
        only case sections and fixed concluded values (``RulePlan.known``): their facts are
        taken from the consultation's own rather than decoded from the message, which repeats
        a whole case section at every activation."""
        handle, fire, assert_fact, loads = self._handle, firing.fire, core.assert_fact, orjson.loads
        store, texts, knowns = stored.append, self._texts, self._known
        started = core.start_action_for_state(handle, state_handle)
        message = started[1] if started else None
        while message:
            rule_id = message[2 : message.index('"', 2)]
            known = knowns.get(rule_id)
            if known is not None:
                matched = {name: fixed or sections[kind] for name, kind, fixed in known}
            else:
                rule_id, matched = next(iter(loads(message).items()))
            if rule_id != ANCHOR_RULE:
                for fact in fire(rule_id, matched):
                    key = (fact.topic, fact.value)
                    text = texts.get(key)
                    if text is None:
                        text = _conclusion_text(fact.topic, fact.value, len(texts))
                        if isinstance(fact.value, str):  # numbers vary with every case
                            texts[key] = text
                    elif not text:
                        continue  # the core handles no such fact (its patterns are fixed)
                    code = assert_fact(handle, text)[0]
                    if code == _NOT_HANDLED:
                        if key in texts:
                            texts[key] = ""
                    elif code == _OBSERVED:
                        firing.errors.append(EngineError(f"rule {rule_id} re-asserted {fact}"))
                    else:
                        store(text)
            message = core.complete_and_start_action(handle, state_handle)

    def _emptied(self, stored: list[str]) -> bool:
        """Retract what the consultation stored, newest first; True if no activation is left."""
        if not stored:
            return True
        try:
            _, state_handle = core.retract_facts(self._handle, f"[{','.join(reversed(stored))}]")
            return not core.start_action_for_state(self._handle, state_handle)
        except Exception:  # any complaint from the core: do not trust this session again
            return False

    def _discard_session(self) -> None:
        """Drop the session with its ruleset and start both afresh (about 10 ms, after a failed
        consultation only): the core keeps what its default session has seen even after
        ``delete_state``, so a new session of the same ruleset would refuse the next case."""
        with contextlib.suppress(Exception):  # a ruleset the core no longer knows is gone
            core.delete_ruleset(self._handle)
        self._handle = core.create_ruleset(RULESET, self._definition)
        self._texts.clear()
        self.sessions_started += 1
