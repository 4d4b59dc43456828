"""Determinism, session hygiene under load (the 1024-session limit), thread safety."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hypothesis import given, settings

from engine import consult, default_engine
from tests.conftest import REPO, customer
from tests.strategies import customers

ONE_VALUED_GRADING = [
    "value_tier",
    "market_position",
    "loyalty",
    "lifecycle",
    "difference_class",
    "service_tier",
    "portfolio_strategy",
    "maintenance_plan",
]


def _varied(i: int) -> dict[str, Any]:
    return {
        "customer": customer(
            id=f"C-{i}",
            annual_purchases=(i * 7919) % 3_000_000,
            purchase_frequency=i % 40,
            days_since_last_purchase=(i * 37) % 500,
            gross_margin_pct=(i % 50) - 10,
            purchases_growth_pct=(i % 90) - 40,
            relationship_years=(i % 12) / 2,
            complaints_last_year=i % 6,
        )
    }


def test_same_input_same_conclusions_and_trace() -> None:
    case = _varied(42)
    assert consult(case).model_dump_json() == consult(case).model_dump_json()


def test_same_output_across_processes_with_different_hash_seeds() -> None:
    script = (
        "import sys, json; from engine import consult; "
        "print(consult(json.loads(sys.argv[1])).model_dump_json())"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, json.dumps(_varied(7))],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_5000_consultations_in_a_row_in_one_process() -> None:
    """Far past durable-rules' 1024 live sessions: every session must be deleted."""
    tiers = {consult(_varied(i)).value("service_tier") for i in range(5000)}
    assert tiers == {"vip", "key", "ordinary"}


def test_8_threads_x_500_give_the_sequential_results() -> None:
    cases = [_varied(i) for i in range(500)]
    sequential = [consult(c).model_dump_json() for c in cases]

    def run_all(_: int) -> list[str]:
        return [consult(c).model_dump_json() for c in cases]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run_all, range(8)))
    assert all(r == sequential for r in results)


@settings(max_examples=300, deadline=None)
@given(customers())
def test_every_customer_gets_exactly_one_value_per_grading_topic(data: dict[str, Any]) -> None:
    """The grading rules partition the input space: no gaps, no contradictions."""
    result = consult({"customer": data})
    for topic in ONE_VALUED_GRADING:
        assert len(result.values(topic)) == 1, topic
    tiers = {"high": 3, "medium": 2, "low": 1}
    assert result.value("value_tier") in tiers
    assert result.ruleset_version == default_engine().version


def test_loading_the_engine_tunes_the_collector_for_many_consultations() -> None:
    import gc

    from engine.runtime import YOUNG_THRESHOLD

    default_engine()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() > 50_000  # the loaded rule base is out of the collector's way
