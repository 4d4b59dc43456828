"""``sales-expert policy submit|approve|reject|publish|rollback|history`` as an admin types them:
proved identities, four eyes, the live policy switching, refusals exiting 2 in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from engine.calibrate.apply import engine_with
from engine.shared import default_engine
from tests.conftest import CASES, load_golden
from tests.policy.conftest import Cli

VERY_HIGH = "credit.risk_very_high_min_score"
SLOW_PAYER = CASES / "credit/company-slow-payer-refer.yaml"
ADA = ("--actor", "ada", "--role", "admin")
BOB = ("--actor", "bob", "--role", "admin")


def drafted_and_submitted(cli: Cli) -> None:
    for args in (
        ("draft", "tighter", "--reason", "fewer refers"),
        ("set", "tighter", VERY_HIGH, "45", "--reason", "decline more"),
        ("submit", "tighter", "--reason", "ready for review"),
    ):
        code, _, err = cli("policy", *args, *ADA, password="ada-pw")
        assert code == 0, err


def test_draft_to_publish_to_rollback_with_two_admins(cli: Cli) -> None:
    drafted_and_submitted(cli)
    code, _, err = cli("policy", "approve", "tighter", "--reason", "fine", *ADA, password="ada-pw")
    assert (code, err) == (
        2,
        "error: ada drafted or changed draft tighter: approving or rejecting it is for someone "
        "else (four eyes)\n",
    )
    code, out, err = cli(
        "policy", "approve", "tighter", "--reason", "simulated", *BOB, password="bob-pw"
    )
    assert code == 0, err
    assert out.startswith("Draft tighter approved by bob (audit record 2): simulated\n")
    code, out, err = cli(
        "policy", "publish", "tighter", "--reason", "committee", *BOB, "--json", password="bob-pw"
    )
    assert code == 0, err
    published = json.loads(out)
    tighter = engine_with({VERY_HIGH: 45}).version
    assert published["live"] == {"version": tighter, "draft": "tighter"}
    assert published["event"]["parameters"] == {VERY_HIGH: 45.0}
    assert published["draft"]["status"] == "published"

    code, out, err = cli("policy", "rollback", "--reason", "too strict", *BOB, password="bob-pw")
    shipped = default_engine().version
    assert code == 0, err
    assert out.endswith(
        f"Live policy now: rule base {shipped} (the shipped rule base, no draft).\n"
    )

    code, out, _ = cli("policy", "history")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Published policies, oldest first (2):"
    assert f"published tighter by bob (audit record 3): rule base {shipped} → {tighter}" in out
    assert (
        "    very high risk score threshold (credit.risk_very_high_min_score): "
        "70 points → 45 points" in lines
    )
    assert lines[-1] == f"Live now: rule base {shipped} (the shipped rule base, no draft)."
    code, out, _ = cli("policy", "history", "--lang", "zh")
    assert "    “极高风险评分门槛”：45分 → 70分" in out.splitlines()
    code, out, _ = cli("policy", "show", "tighter")
    assert "Steps after drafting:" in out and "rolled back by bob (admin)" in out
    code, out, _ = cli("audit", "show", "3")
    assert "  published: draft tighter" in out
    assert f"  rule base before: {shipped}" in out


def test_refusals_exit_2_and_store_nothing(cli: Cli) -> None:
    code, _, err = cli("policy", "rollback", "--reason", "undo", *BOB, password="bob-pw")
    assert (code, err) == (
        2,
        "error: nothing to roll back: no published policy is live, the shipped rule base "
        f"{default_engine().version} is\n",
    )
    drafted_and_submitted(cli)
    code, _, err = cli(
        "policy", "publish", "tighter", "--reason", "go", *BOB, "--lang", "zh", password="bob-pw"
    )
    assert code == 2
    assert err == "error: 草案 tighter 的状态为“已提交待审批”：发布须是状态为“已批准”的草案\n"
    code, _, err = cli(
        "policy", "approve", "tighter", "--reason", "ok", "--actor", "rita", password="rita-pw"
    )
    assert code == 2 and "approving or rejecting a policy draft is for the role admin" in err
    code, out, _ = cli("policy", "history", "--json")
    assert json.loads(out)["history"] == []


def test_shadow_from_the_command_line(
    cli: Cli, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALES_EXPERT_RECORD", "on")  # the tests' default is off
    drafted_and_submitted(cli)
    code, _, err = cli("policy", "approve", "tighter", "--reason", "ok", *BOB, password="bob-pw")
    assert code == 0, err
    code, out, err = cli("policy", "shadow", "tighter", "--reason", "try", *BOB, password="bob-pw")
    assert code == 0, err
    assert out.startswith("Draft tighter runs in shadow from now on:")
    case = cli_env / "case.yaml"
    case.write_text(yaml.safe_dump(load_golden(SLOW_PAYER)["case"]), encoding="utf-8")
    code, out, err = cli("consult", str(case), "--json")
    assert code == 0, err
    assert "shadow" not in json.loads(out)
    code, out, _ = cli("policy", "shadow-report", "--lang", "zh")
    assert out.startswith(
        "影子运行：在tighter影子运行时记录了1次咨询，其中1次（100.0%）的答案会不同。"
    )
    code, out, _ = cli("policy", "shadow-stop", "--reason", "seen", *BOB, password="bob-pw")
    assert code == 0 and out.startswith("Draft tighter no longer runs in shadow")
