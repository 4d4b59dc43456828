"""The closing examples as a rep runs them: `sales-expert consult examples/closing-*.yaml`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

EXAMPLES = sorted((REPO / "examples").glob("closing-*.yaml"))
TOP = {
    "closing-ready-buyer": ("alternative_choice", "Alternative-choice close", "二选一成交法"),
    "closing-hesitant-buyer": ("trial_offer", "Trial offer", "试用方案"),
    "closing-price-no-credit": ("prepayment_offer", "Prepayment terms", "预付款方案"),
    "closing-key-account-price": (
        "partnership_trade",
        "Concession for a partnership commitment",
        "以让步换取长期合作承诺",
    ),
    "closing-impasse": ("pause_review_refocus", "Pause, review, refocus", "暂停-复盘-聚焦"),
}


def test_every_closing_example_has_an_expected_top_technique() -> None:
    assert {p.stem for p in EXAMPLES} == set(TOP)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_prints_its_top_technique_first(path: Path) -> None:
    value, en, zh = TOP[path.stem]
    done = run_cli("consult", str(path), "--json", "--no-record")
    assert done.returncode == 0, done.stderr
    techniques = [
        c for c in json.loads(done.stdout)["conclusions"] if c["topic"] == "closing_technique"
    ]
    assert techniques[0]["value"] == value
    assert techniques[0]["details"]["rank"] == 1
    assert [c["details"]["rank"] for c in techniques] == list(range(1, len(techniques) + 1))
    assert techniques[0]["label"] == en
    text = run_cli("consult", "--detail", str(path), "--lang", "zh", "--no-record")
    assert text.returncode == 0, text.stderr
    first = next(line for line in text.stdout.splitlines() if line.startswith("■ 成交技巧"))
    assert first.startswith(f"■ 成交技巧：{zh}（证据得分"), first


def test_the_ready_buyer_example_reads_as_advice() -> None:
    done = run_cli(
        "consult", "--detail", str(REPO / "examples" / "closing-ready-buyer.yaml"), "--no-record"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        "■ Closing technique: Alternative-choice close (evidence score 4)  [rules CL-034, CL-036]"
        in out
    )
    assert "    rank: 1" in out
    assert "“Shall we deliver on the 10th or on the 20th?”" in out
    assert "      - CL-034 Ready buyer late in the deal: offer a choice (+3)" in out
    assert "■ Closing technique: Genuine urgency (evidence score 3)" in out
    assert "■ Channel to use: Face to face  [rules CL-097]" in out
    assert (
        out.index("Alternative-choice close")
        < out.index("Genuine urgency")
        < out.index("Next action: Ask for the order")
    )
