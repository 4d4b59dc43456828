"""The engine's own driver of the C core and durable-rules' stock host must agree exactly."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cases import generate_cases
from engine import Engine, RuleConflictError, default_engine
from engine.fastpath import FastDriver
from engine.host import ANCHOR_RULE
from tests.conftest import customer, golden_cases, load_golden


@functools.cache
def stock() -> Engine:
    return Engine(default_engine().compiled, driver="stock")


def same(case: dict[str, object]) -> None:
    fast = default_engine().consult(case)
    reference = stock().consult(case)
    assert fast.model_dump_json() == reference.model_dump_json()


@pytest.mark.parametrize("path", golden_cases(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden_cases_give_identical_results_on_both_paths(path: Path) -> None:
    same(load_golden(path)["case"])


def test_3000_generated_cases_give_identical_conclusions_and_traces() -> None:
    cases = generate_cases(3000, seed=2024)
    engine = default_engine()
    for case in cases:
        fast = engine.consult(case, what_if=False)
        reference = stock().consult(case, what_if=False)
        assert fast.model_dump_json() == reference.model_dump_json(), case


def test_one_session_serves_every_consultation_and_is_left_empty() -> None:
    engine = Engine(default_engine().compiled)
    assert isinstance(engine.driver, FastDriver)
    for case in generate_cases(300, seed=7):
        engine.consult(case, what_if=False)
    # retracting each consultation's facts left the session empty every time: never replaced
    assert engine.driver.sessions_started == 1
    again = generate_cases(300, seed=7)[123]
    assert engine.consult(again).model_dump_json() == stock().consult(again).model_dump_json()


def test_a_failed_consultation_discards_its_session_and_the_next_one_is_unaffected(
    custom_engine: Callable[..., Engine],
) -> None:
    def both_recent_and_lapsed(records: list[dict[str, Any]]) -> None:
        records[2]["when"] = records[0]["when"]  # GR-003 now fires whenever GR-001 does

    engine = custom_engine(edit=both_recent_and_lapsed)
    reference = Engine(engine.compiled, driver="stock")
    assert isinstance(engine.driver, FastDriver)
    ok_case = {"customer": customer(days_since_last_purchase=400)}
    before = engine.consult(ok_case).model_dump_json()
    with pytest.raises(RuleConflictError):
        engine.consult({"customer": customer(days_since_last_purchase=10)})
    assert engine.driver.sessions_started == 2
    after = engine.consult(ok_case).model_dump_json()
    assert after == before == reference.consult(ok_case).model_dump_json()
    assert engine.driver.sessions_started == 2


def test_a_conclusion_the_core_refused_is_not_offered_to_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The core's "not handled" depends on the fact alone: the driver remembers it."""
    import engine.fastpath as fastpath

    engine = Engine(default_engine().compiled)
    refused: list[str] = []
    real_assert = fastpath.core.assert_fact

    def counting_assert(handle: int, text: str) -> Any:
        answer = real_assert(handle, text)
        if answer[0] == 1:  # not handled
            refused.append(text)
        return answer

    monkeypatch.setattr(fastpath.core, "assert_fact", counting_assert)
    cases = generate_cases(40, seed=11)
    for case in cases:
        engine.consult(case, what_if=False)
    categories = [t for t in refused if '"value":"' in t]
    assert categories, "the generated cases conclude categories no rule matches"
    assert len(categories) == len(set(categories))  # each offered once in this session
    for case in cases[:10]:  # and the results are still those of the stock path
        assert engine.consult(case).model_dump_json() == stock().consult(case).model_dump_json()


def test_rules_whose_matches_are_known_are_not_decoded_and_match_the_same_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Activations of rules that match only case sections and fixed concluded values take their
    facts from the consultation, not from the core's message: the same facts as decoded."""
    import engine.fastpath as fastpath

    plans = default_engine().compiled.plans
    assert plans["GR-001"].known == (("customer", "customer", None),)
    in_band = [p for p in plans.values() if p.known is None]
    assert in_band, "some rule must match a band or a list of values"
    decoded: list[str] = []
    real_loads = fastpath.orjson.loads

    class Spy:
        dumps = staticmethod(fastpath.orjson.dumps)

        @staticmethod
        def loads(message: str) -> Any:
            decoded.append(next(iter(real_loads(message))))
            return real_loads(message)

    monkeypatch.setattr(fastpath, "orjson", Spy)
    decoding_all = Engine(default_engine().compiled)
    assert isinstance(decoding_all.driver, FastDriver)
    decoding_all.driver._known.clear()  # every activation decoded from the core's message
    knowing = Engine(default_engine().compiled)
    for case in generate_cases(150, seed=5):
        before = len(decoded)
        reference = decoding_all.consult(case, what_if=False).model_dump_json()
        every = len(decoded) - before
        assert knowing.consult(case, what_if=False).model_dump_json() == reference
        some = [rule for rule in decoded[before + every :] if rule != ANCHOR_RULE]
        assert len(some) < every and all(plans[rule].known is None for rule in some)


def test_the_core_tells_fact_types_apart_by_an_attribute_named_after_the_type() -> None:
    """The core hashes attribute names but weighs values node by node: every pattern starts
    with an existence test on the type's own attribute, and every fact carries it."""
    from engine.compiler import TYPE_MARK, core_conclusion, core_fact
    from engine.intake import case_facts, parse_case
    from knowledge_base.facts import SECTIONS

    compiled = default_engine().compiled
    first = compiled.definitions["GR-001"]["all"][0]["customer"]["$and"][0]
    assert first == {"$ex": {"_customer": 1}}
    for definition in compiled.definitions.values():
        for pattern in definition["all"]:
            (conditions,) = pattern.values()
            assert next(iter(conditions["$and"][0]["$ex"])).startswith(TYPE_MARK)
    fields = [name for model in SECTIONS.values() for name in model.model_fields]
    assert fields and not [name for name in fields if name.startswith(TYPE_MARK)]
    case = parse_case(generate_cases(1, seed=3)[0])
    credit = next(f for f in compiled.engine_facts(case_facts(case)) if f["t"] == "credit")
    assert core_fact(credit) == {"_credit": 1, **{k: v for k, v in credit.items() if k != "t"}}
    assert core_conclusion("risk_level", "high") == {"_risk_level": 1, "value": "high"}
