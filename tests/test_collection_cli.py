"""The collection examples as a rep runs them: `sales-expert consult examples/collection-*.yaml`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, run_cli

EXAMPLES = sorted((REPO / "examples").glob("collection-*.yaml"))
EXPECTED: dict[str, dict[str, Any]] = {
    "collection-tough-debtor": {
        "types": {"tough": 8, "stubborn": 1},
        "strategies": ["silence", "carrot_and_stick"],
        "occasion": "our_premises",
        "means": ["administrative_intervention"],
        "level": "firm",
        "hold": "keep",
    },
    "collection-transfusion": {
        "types": {"cooperative": 7},
        "strategies": ["hypothetical_conditions", "private_contact"],
        "occasion": "their_premises",
        "means": ["transfusion"],
        "level": "negotiate",
        "hold": "keep",
    },
    "collection-scheming-debtor": {
        "types": {"scheming": 9},
        "strategies": ["counter_wheel_battle", "troops_at_the_gate"],
        "occasion": "their_premises",
        "means": ["administrative_intervention", "bank_supervision", "economic_counter_pressure"],
        "level": "pressure",
        "hold": "freeze",
    },
    "collection-mixed-debtor": {
        "types": {"tough": 3, "scheming": 3},
        "strategies": ["silence", "carrot_and_stick", "counter_wheel_battle", "troops_at_the_gate"],
        "occasion": "their_premises",
        "means": ["administrative_intervention"],
        "level": "firm",
        "hold": "keep",
    },
    "collection-legal-recovery": {
        "types": {"scheming": 2},
        "strategies": ["counter_wheel_battle"],  # no personal pressure in legal recovery
        "occasion": "their_premises",
        "means": ["suspend_cooperation", "legal_recovery"],
        "level": "legal",
        "hold": "freeze",
    },
    "collection-credit-freeze": {
        "types": {"stubborn": 5},
        "strategies": ["probing", "precedent"],
        "occasion": "unplanned_encounter",
        "means": ["bank_supervision", "economic_counter_pressure", "suspend_cooperation"],
        "level": "suspend",
        "hold": "freeze",
    },
}


def consult_json(path: Path) -> list[dict[str, Any]]:
    done = run_cli("consult", str(path), "--json", "--no-record")
    assert done.returncode == 0, done.stderr
    conclusions: list[dict[str, Any]] = json.loads(done.stdout)["conclusions"]
    return conclusions


def test_every_collection_example_has_expectations() -> None:
    assert {p.stem for p in EXAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gives_its_types_strategies_occasion_and_means(path: Path) -> None:
    want = EXPECTED[path.stem]
    conclusions = consult_json(path)

    def of(topic: str) -> list[dict[str, Any]]:
        return [c for c in conclusions if c["topic"] == topic]

    assert {c["value"]: c["score"] for c in of("debtor_type")} == want["types"]
    assert of("debtor_type")[0]["details"]["rank"] == 1
    assert [c["value"] for c in of("collection_strategy")] == want["strategies"]
    assert of("collection_occasion")[0]["value"] == want["occasion"]
    assert [c["value"] for c in of("collection_means")] == want["means"]
    assert [c["value"] for c in of("escalation_level")] == [want["level"]]
    assert [c["value"] for c in of("credit_hold")] == [want["hold"]]
    assert "lawful_means_only" in [c["value"] for c in of("collection_caution")]


def test_the_tough_debtor_example_reads_as_advice() -> None:
    example = REPO / "examples" / "collection-tough-debtor.yaml"
    done = run_cli("consult", "--detail", str(example), "--no-record")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        "■ Debtor type: Tough (hard-line) (evidence score 8)  [rules CO-001, CO-002, CO-004]" in out
    )
    assert "      - [weight 3] Raises voice or threatens (CO-001)" in out
    assert "    hint only: No signal points mainly to this type" in out
    assert "■ Collection strategy: Silence  [rules CO-067]" in out
    assert "    what to say: “…The invoices total the amount on this statement" in out
    assert (
        "■ Occasion for collecting: Invite them to ours (evidence score 3)  [rules CO-081]" in out
    )
    assert "■ Collection means: Administrative intervention  [rules CO-060]" in out
    assert (
        out.index("Debtor type: Tough")
        < out.index("Collection strategy: Silence")
        < out.index("Occasion for collecting")
        < out.index("Collection means")
        < out.index("Caution: Lawful means only")
    )


def test_the_transfusion_example_in_chinese() -> None:
    path = REPO / "examples" / "collection-transfusion.yaml"
    done = run_cli("consult", "--detail", str(path), "--lang", "zh", "--no-record")
    assert done.returncode == 0, done.stderr
    assert "■ 债务人类型：合作型（证据得分 7）" in done.stdout
    assert "■ 讨债手段：“输血”扶植手段  [规则 CO-059]" in done.stdout
    assert "■ 催收期间的授信：保留授信" in done.stdout


def test_the_credit_freeze_example_declines_credit_for_that_reason() -> None:
    conclusions = consult_json(REPO / "examples" / "collection-credit-freeze.yaml")
    decision = next(c for c in conclusions if c["topic"] == "credit_decision")
    assert (decision["value"], decision["rules"]) == ("decline", ["CR-128"])
    assert [r["rule"] for r in decision["details"]["reasons"]] == ["CR-127"]
    cap = next(c for c in conclusions if c["topic"] == "collection_cap")
    assert (cap["value"], cap["rules"]) == ("decline", ["CR-127"])
