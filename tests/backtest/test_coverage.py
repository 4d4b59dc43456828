"""Rule coverage in the results-file mode: exact on a crafted results file with a
``rules_fired`` column (what ``sales-expert batch`` writes) or a ``rules`` one (``audit
export``), unknown — not empty — without either (an older batch's results), and shown in the
text in both languages."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from engine.backtest.coverage import Coverage
from engine.cli import main
from engine.outcomes.model import COLUMNS
from engine.shared import default_engine

HEAD = ["row", "consultation_id", "customer_id", "status", "credit_decision", "risk_level"]
BOOK = [
    # consultation, decision, level, rules that fired (CR-013 twice: one customer), outcome
    (11, "approve", "low", "GR-001;CR-013;CR-013;CR-003", "paid_on_time"),
    (12, "refer", "high", "GR-001;CR-013;CR-053", "defaulted"),
    (13, "decline", "very_high", "CR-053;CR-103", "written_off"),
    (14, "decline", "very_high", "CR-053;CR-103", "paid_on_time"),
    (15, "approve", "low", "CR-003", None),  # no outcome: not in the coverage
]


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def files(folder: Path, column: str | None = "rules_fired") -> tuple[Path, Path]:
    head = HEAD + ([column] if column else [])
    rows = [
        dict(zip(head, [i, cid, f"C-{cid}", "ok", decision, level, rules], strict=False))
        for i, (cid, decision, level, rules, _) in enumerate(BOOK, 1)
    ]
    extra = {"amount_lost": 100} | {"observed_at": "2025-01-31", "module": "credit"}
    told = [
        {"consultation_id": cid, "outcome": kind}
        | (
            extra
            if kind == "written_off"
            else {k: v for k, v in extra.items() if k != "amount_lost"}
        )
        for cid, _, _, _, kind in BOOK
        if kind is not None
    ]
    return write_csv(folder / "r.csv", head, rows), write_csv(folder / "o.csv", list(COLUMNS), told)


def run(capsys: pytest.CaptureFixture[str], results: Path, outcomes: Path) -> dict[str, Any]:
    assert main(["backtest", "--book", str(results), "--outcomes", str(outcomes), "--json"]) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


@pytest.mark.parametrize("column", ["rules_fired", "rules"])
def test_coverage_of_a_crafted_results_file_is_exact(
    tmp_path: Path, column: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got = run(capsys, *files(tmp_path, column))
    assert (got["n"], got["bad"], got["without_outcome"]) == (4, 2, 1)
    assert got["rules"] == [
        {"rule": "CR-053", "module": "credit", "fired": 3, "bad": 2, "bad_rate": 2 / 3,
         "small": True},
        {"rule": "CR-013", "module": "credit", "fired": 2, "bad": 1, "bad_rate": 0.5,
         "small": True},
        {"rule": "CR-103", "module": "credit", "fired": 2, "bad": 1, "bad_rate": 0.5,
         "small": True},
        {"rule": "GR-001", "module": "grading", "fired": 2, "bad": 1, "bad_rate": 0.5,
         "small": True},
        {"rule": "CR-003", "module": "credit", "fired": 1, "bad": 0, "bad_rate": 0.0,
         "small": True},
    ]  # fmt: skip
    credit = sorted(r.id for r in default_engine().compiled.rulebase.rules if r.module == "credit")
    fired = {"CR-003", "CR-013", "CR-053", "CR-103"}
    assert got["never_fired"] == [rule for rule in credit if rule not in fired]
    assert len(got["never_fired"]) == len(credit) - 4


def test_without_a_rules_column_coverage_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = run(capsys, *files(tmp_path, None))
    assert (got["n"], got["rules"], got["never_fired"]) == (4, None, None)
    results, outcomes = files(tmp_path, None)
    assert main(["backtest", "--book", str(results), "--outcomes", str(outcomes)]) == 0
    assert "the results file has no `rules_fired` column" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coverage_text(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    results, outcomes = files(tmp_path)
    assert (
        main(["backtest", "--book", str(results), "--outcomes", str(outcomes), "--lang", lang]) == 0
    )
    out = capsys.readouterr().out
    title = default_engine().compiled.rules["CR-053"].title.get(lang)
    if lang == "zh":
        assert f"CR-053 {title}：客户 3 个，坏账率 66.7%，样本过少，不宜解读" in out
        assert "（已触发 4 条，列出前 4 条）" in out and "从未触发的授信规则共" in out
    else:
        assert f"CR-053 {title}: 3 customers, bad rate 66.7 %, too few to read" in out
        assert "(4 shown of the 4 that fired)" in out
    assert "GR-001" not in out  # the text lists the credit module's rules


def test_a_rule_firing_twice_counts_one_customer() -> None:
    coverage = Coverage()
    coverage.add(("CR-001", "CR-001", "CR-002"), True)
    coverage.add(("CR-001",), False)
    got = coverage.figures({"CR-001": "credit", "CR-002": "credit", "CR-003": "credit"})
    assert [(r["rule"], r["fired"], r["bad"]) for r in got["rules"]] == [
        ("CR-001", 2, 1),
        ("CR-002", 1, 1),
    ]
    assert got["never_fired"] == ["CR-003"]
    coverage.add(None, False)
    assert coverage.figures({"CR-001": "credit"}) == {"rules": None, "never_fired": None}
