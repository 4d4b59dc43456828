"""The engine's own driver of the C core and durable-rules' stock host must agree exactly."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from benchmarks.cases import generate_cases
from engine import Engine, default_engine
from tests.conftest import golden_cases, load_golden


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
