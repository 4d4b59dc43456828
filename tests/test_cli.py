"""The command line as a user runs it: real subprocesses, exit codes, messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, customer, run_cli

EXAMPLE = REPO / "examples" / "grading-key-account.yaml"


def test_consult_prints_conclusions_and_reasons() -> None:
    done = run_cli("consult", "--detail", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "Service tier: VIP customer" in done.stdout
    assert "GR-007 High purchase amount: annual purchases 1,800,000 ≥ 1,000,000" in done.stdout
    assert "Why not:" in done.stdout


def test_consult_json_is_the_result_model() -> None:
    done = run_cli("consult", str(EXAMPLE), "--json")
    data = json.loads(done.stdout)
    assert data["ruleset_version"].startswith("rb-")
    tier = next(c for c in data["conclusions"] if c["topic"] == "service_tier")
    assert (tier["value"], tier["rules"]) == ("vip", ["GR-044"])
    assert data["trace"][0]["seq"] == 1


def test_consult_in_chinese() -> None:
    done = run_cli("consult", "--detail", str(EXAMPLE), "--lang", "zh")
    assert "服务等级: VIP客户" in done.stdout or "VIP" in done.stdout
    assert "推理过程" in done.stdout


def test_json_case_files_work_too(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"customer": customer()}), encoding="utf-8")
    assert run_cli("consult", str(path), "--json").returncode == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"annual_purchases": -1}, "customer.annual_purchases"),
        ({"nature": "martian"}, "customer.nature"),
        ({"colour": "red"}, "customer.colour"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"customer": customer(**change)}), encoding="utf-8")
    done = run_cli("consult", "--detail", str(path))
    assert done.returncode == 2
    assert field in done.stderr
    assert done.stdout == ""


def test_unreadable_or_malformed_files_exit_2(tmp_path: Path) -> None:
    assert run_cli("consult", str(tmp_path / "missing.yaml")).returncode == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    done = run_cli("consult", "--detail", str(broken))
    assert done.returncode == 2 and "not valid JSON" in done.stderr and "line 1" in done.stderr


def test_rules_lists_ids_modules_titles_and_sources() -> None:
    done = run_cli("rules", "--json")
    rules = json.loads(done.stdout)
    first = rules[0]
    assert first["id"] == "GR-001" and first["module"] == "grading"
    assert first["title"]["zh"] and first["sources"]
    text = run_cli("rules", "--module", "grading").stdout
    assert text.splitlines()[0].startswith("GR-001")


def test_lint_passes_on_the_shipped_rule_base() -> None:
    done = run_cli("lint")
    assert done.returncode == 0, done.stdout
    assert "Rule base is clean" in done.stdout


def test_batch_refuses_a_bad_command_line_in_its_language(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("customer.id\n1\n", encoding="utf-8")
    out = str(tmp_path / "out.csv")
    for args, zh, en in (
        ((), "input/--out：请指定输入文件和 --out，或使用 --template", "input/--out: give an"),
        (
            (str(tmp_path / "none.csv"), "--out", out),
            "input：文件不存在（收到的是 ",
            "input: no such file (got ",
        ),
        (
            (str(book), "--out", out, "--cluster", "yarn"),
            "--cluster：请使用 `local` 或 `dask://HOST:PORT`（调度器的地址与端口）"
            "（收到的是 'yarn'）",
            "--cluster: use `local` or `dask://HOST:PORT` (the scheduler) (got 'yarn')",
        ),
    ):
        chinese = run_cli("batch", *args, "--lang", "zh")
        assert chinese.returncode == 2
        assert chinese.stderr.startswith(f"error: 输入有误，共 1 处：\n  - {zh}")
        english = run_cli("batch", *args)
        assert english.stderr.startswith(f"error: invalid input, 1 problem(s):\n  - {en}")
    assert not (tmp_path / "out.csv").exists()
