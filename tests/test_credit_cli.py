"""The credit examples through the command line, as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import REPO, run_cli

EXAMPLES = REPO / "examples"


def consult_json(example: str) -> dict[str, Any]:
    done = run_cli("consult", str(EXAMPLES / f"credit-{example}.yaml"), "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def conclusions(data: dict[str, Any], topic: str) -> list[dict[str, Any]]:
    return [c for c in data["conclusions"] if c["topic"] == topic]


@pytest.mark.parametrize(
    ("example", "decision", "limit", "term", "conditions"),
    [
        ("approve", "approve", 250_000, 60, []),
        (
            "approve-with-conditions",
            "approve_with_conditions",
            60_000,
            60,
            ["guarantee", "shorter_term"],
        ),
        ("refer", "refer", None, None, []),
        ("decline", "decline", None, None, []),
    ],
)
def test_each_example_reaches_its_decision(
    example: str, decision: str, limit: int | None, term: int | None, conditions: list[str]
) -> None:
    data = consult_json(example)
    [found] = conclusions(data, "credit_decision")
    assert found["value"] == decision
    limits = [c["value"] for c in conclusions(data, "recommended_limit")]
    assert limits == ([limit] if limit is not None else [])
    terms = [c["value"] for c in conclusions(data, "recommended_term_days")]
    assert terms == ([term] if term is not None else [])
    assert sorted(c["value"] for c in conclusions(data, "credit_condition")) == conditions
    if decision == "approve":
        assert "reasons" not in found["details"]
    else:
        assert 1 <= len(found["details"]["reasons"]) <= 4
    for concluded in conclusions(data, "recommended_limit"):
        formula = concluded["details"]["formula"]
        assert formula["formula"] == "recommended_limit"
        assert formula["inputs"]["credit.requested_amount"] == limit
        assert formula["result"] == limit


def test_the_refer_example_explains_itself_in_text() -> None:
    done = run_cli("consult", "--detail", str(EXAMPLES / "credit-refer.yaml"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "■ Credit decision: Refer to a credit manager  [rules CR-104]" in out
    assert (
        "1. [weight 30] CR-007 Recent longest overdue over a month: longest days overdue 75 > 30"
        in out
    )
    # the summary comes first, the decision on its first lines, then the details on request
    assert out.index("■ Credit decision: Refer to a credit manager\n") < out.index("[rules CR-104]")
    assert "    - Recent longest overdue over a month\n" in out
    assert "No change within reach gives a better answer" in out  # history holds it
    assert "longest days overdue ≤ 30" not in out  # what already happened is never proposed
    assert "- security offered:" not in out  # security never lowers the risk of a referral


def test_the_decline_example_in_chinese_refers_the_arrears_to_collection() -> None:
    done = run_cli("consult", "--detail", str(EXAMPLES / "credit-decline.yaml"), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert "■ 授信决策：拒绝" in done.stdout
    assert "■ 转交催收：催收" in done.stdout
    assert "主要理由：" in done.stdout
    assert "历史最长逾期天数 130 > 90" in done.stdout
