"""``sales-expert calibrate`` on a generated book (``tests/books.py``), checked from outside.

The grading cut-offs are recomputed with numpy's quantile; the credit cut-off is checked by
re-running every consultation of the book under the overlay the command wrote (the engine
takes changed parameter values: ``engine.calibrate.engine_with``), never by reading the
command's own figures back. The overlay loader's refusals are pinned word for word.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from engine import cli_calibrate
from engine.batch.mapping import case_to_row, row_to_case
from engine.batch.runner import BatchOptions, run_batch
from engine.calibrate import CalibrateError, Overlay, dump_overlay, engine_with, load_overlay
from engine.calibrate.grading import BANDS, Column, propose_band
from engine.errors import InputError
from engine.intake import parse_case
from engine.lint_language import problems
from engine.outcomes.model import COLUMNS
from knowledge_base import load_knowledge
from tests.books import BookRow, generate_book, write_csv
from tests.overlays import proposal, write_overlay

ROWS, SEED = 600, 11
APPROVALS = ("approve", "approve_with_conditions")
HIGH, MEDIUM, VERY_HIGH = (
    "credit.risk_high_min_score",
    "credit.risk_medium_min_score",
    "credit.risk_very_high_min_score",
)


@dataclasses.dataclass(frozen=True)
class Files:
    book: Path
    results: Path
    outcomes: Path
    rows: list[BookRow]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """The generated book, its batch results (not recorded) and its true outcomes."""
    folder = tmp_path_factory.mktemp("calibrate")
    rows = generate_book(ROWS, SEED)
    book = write_csv(folder / "book.csv", [case_to_row(r.case) for r in rows])
    results = folder / "results.csv"
    run_batch(BatchOptions(input=book, out=results, workers=1, record=False))
    told = [
        {"customer_id": r.case["customer"]["id"], "module": "credit", "observed_at": "2024-12-31"}
        | {"outcome": "defaulted" if r.bad else "paid_on_time"}
        for r in rows
    ]
    outcomes = write_csv(folder / "outcomes.csv", told, list(COLUMNS))
    return Files(book, results, outcomes, rows)


def run(*argv: str) -> int:
    """The command as ``sales-expert`` runs it (engine/cli.py adds it with ``register``)."""
    parser = argparse.ArgumentParser(prog="sales-expert")
    cli_calibrate.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["calibrate", *argv])
    code: int = args.func(args)
    return code


def overlay_of(files: Files, tmp_path: Path, *argv: str) -> Overlay:
    out = tmp_path / "overlay.yaml"
    assert run("--book", str(files.book), "--out", str(out), *argv) == 0
    return load_overlay(out)


def approvals(rows: list[BookRow], values: dict[str, float]) -> tuple[int, int, int]:
    """(credit consultations, approved, bad among approved): the whole book re-run."""
    engine = engine_with(values)
    n = approved = bad = 0
    for row in rows:
        got = engine.infer(parse_case(row.case), trace=False).one_valued
        n += 1
        if got["credit_decision"].value in APPROVALS:
            approved, bad = approved + 1, bad + row.bad
    return n, approved, bad


def half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), ROUND_HALF_UP))


# ------------------------------------------------------------------ grading band cut-offs


def test_grading_cutoffs_are_the_books_own_quantiles(files: Files, tmp_path: Path) -> None:
    overlay = overlay_of(files, tmp_path)
    customers = [r.case["customer"] for r in files.rows]
    trading = [c for c in customers if c["annual_purchases"] > 0 or c["purchase_frequency"] > 0]
    for field, high, medium in (
        ("annual_purchases", "monetary_high_min_purchases", "monetary_medium_min_purchases"),
        ("purchase_frequency", "frequency_high_min_orders", "frequency_medium_min_orders"),
    ):
        values = np.array([c[field] for c in trading], dtype=float)
        want_high = half_up(float(np.quantile(values, 0.8)))
        want_medium = half_up(float(np.quantile(values, 0.5)))
        if want_medium >= want_high:
            want_medium = want_high - 1
        got = overlay.parameters
        assert got[f"grading.{high}"].value == want_high
        assert got[f"grading.{medium}"].value == want_medium
        share = float(np.mean(values >= want_high))
        assert got[f"grading.{high}"].figures["share_at_or_above"] == pytest.approx(share, abs=1e-6)
        assert got[f"grading.{high}"].figures["n"] == len(trading)
    assert overlay.source.rows == ROWS and overlay.source.book == "book.csv"
    assert set(overlay.parameters) == {p for b in BANDS for p in (b.high, b.medium)}


def test_a_quantile_outside_the_range_is_clamped_and_said(tmp_path: Path) -> None:
    kb = load_knowledge()
    band = BANDS[1]  # order frequency
    narrow = kb.parameters[band.high].model_copy(update={"max": 10.0})
    kb = dataclasses.replace(kb, parameters={**kb.parameters, band.high: narrow})
    proposed = dict(propose_band(band, Column([float(v) for v in range(101)]), kb))
    high = proposed[band.high]
    assert high.value == 10 and high.figures["clamped"] == "max"
    assert high.figures["quantile_value"] == 80.0
    assert "clamped to its maximum, 10 orders a year" in high.reason.en
    assert "取值按上限定为10单/年" in high.reason.zh
    assert proposed[band.medium].value == 9  # the median (50) is above the clamped high line
    assert proposed[band.medium].figures["lowered_below_high"] is True
    assert "不低于高购买频次门槛，" in proposed[band.medium].reason.zh


def test_a_json_lines_book_gives_the_same_proposals(files: Files, tmp_path: Path) -> None:
    lines = tmp_path / "book.jsonl"
    lines.write_text("\n".join(json.dumps(r.case) for r in files.rows), encoding="utf-8")
    from_csv = overlay_of(files, tmp_path)
    out = tmp_path / "from-jsonl.yaml"
    assert run("--book", str(lines), "--out", str(out)) == 0
    assert load_overlay(out).values() == from_csv.values()


# ------------------------------------------------------------------ credit cut-off


def test_a_reachable_approval_rate_is_hit_when_the_overlay_is_applied(
    files: Files, tmp_path: Path
) -> None:
    """The target is the rate the rule base really gives at 55 points (found by re-running
    the book under that value); calibrate must find 55, and the overlay it writes must give
    that rate again."""
    n, approved, _ = approvals(files.rows, {HIGH: 55.0})
    target = approved / n
    overlay = overlay_of(
        files, tmp_path, "--results", str(files.results), "--target-approval-rate", repr(target)
    )
    proposal = overlay.parameters[HIGH]
    assert proposal.value == 55 and proposal.current == 40
    applied = {k: v for k, v in overlay.values().items() if k.startswith("credit.")}
    _, again, _ = approvals(files.rows, applied)
    assert abs(again - target * n) <= 1
    assert proposal.figures["approved"] == again and proposal.figures["n"] == n


def test_an_approval_rate_between_two_cutoffs_takes_the_closest(
    files: Files, tmp_path: Path
) -> None:
    target = 0.4
    overlay = overlay_of(
        files, tmp_path, "--results", str(files.results), "--target-approval-rate", "0.4"
    )
    cut = float(overlay.parameters[HIGH].value)
    n, approved, _ = approvals(files.rows, {HIGH: cut})
    assert overlay.parameters[HIGH].figures["approved"] == approved
    for other in (cut - 5, cut + 5):  # the risk score moves in steps of 5 points
        _, near, _ = approvals(files.rows, {HIGH: other, MEDIUM: min(20.0, other)})
        assert abs(approved - target * n) <= abs(near - target * n)


def test_a_bad_rate_target_takes_the_largest_approval_that_keeps_it(
    files: Files, tmp_path: Path
) -> None:
    """Brute force over every cut-off, from one re-run of the book with the refer band
    emptied (who would be approved if its risk allowed) and the true outcomes."""
    target = 0.03
    overlay = overlay_of(
        files,
        tmp_path,
        *("--results", str(files.results), "--outcomes", str(files.outcomes)),
        *("--target-bad-rate", str(target)),
    )
    kb = load_knowledge()
    engine = engine_with({HIGH: kb.param(VERY_HIGH)})
    seen = []
    for row in files.rows:
        got = engine.infer(parse_case(row.case), trace=False).one_valued
        seen.append((got["risk_score"].value, got["credit_decision"].value in APPROVALS, row.bad))
    best: tuple[int, float] = (-1, 0.0)
    for cut in sorted({s for s, _, _ in seen} | {kb.param(VERY_HIGH)}):
        approved = [bad for score, free, bad in seen if free and score < cut]
        if approved and sum(approved) / len(approved) <= target and len(approved) > best[0]:
            best = (len(approved), cut)
    proposal = overlay.parameters[HIGH]
    assert proposal.value == best[1]
    _, approved_n, bad = approvals(files.rows, {HIGH: float(proposal.value)})
    assert (approved_n, bad) == (best[0], proposal.figures["bad"])
    assert bad / approved_n <= target
    assert proposal.figures["bad_rate"] == pytest.approx(bad / approved_n, abs=1e-6)


def test_a_high_cutoff_below_the_medium_one_takes_it_along(files: Files, tmp_path: Path) -> None:
    overlay = overlay_of(
        files, tmp_path, "--results", str(files.results), "--target-approval-rate", "0.02"
    )
    high = overlay.parameters[HIGH].value
    assert high < 20 and overlay.parameters[MEDIUM].value == high
    _, approved, _ = approvals(files.rows, overlay.values())  # and no rule conflict
    assert overlay.parameters[HIGH].figures["approved"] == approved
    assert "随高风险评分门槛一并降至" in overlay.parameters[MEDIUM].reason.zh


def test_the_texts_read_well_in_both_languages(
    files: Files, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("--results", str(files.results), "--target-approval-rate", "0.4")
    for lang in ("en", "zh"):
        assert run("--book", str(files.book), *argv, "--lang", lang) == 0
        text = capsys.readouterr().out
        assert problems(text, lang) == [], text
        assert "credit.risk_high_min_score" not in text if lang == "zh" else True
        assert (
            "高风险评分门槛：40分 → " if lang == "zh" else "high risk score threshold: 40"
        ) in text


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("argv", "en", "zh"),
    [
        (
            ["--target-approval-rate", "1.5"],
            "--target-approval-rate 1.5: the target must be a number "
            "strictly between 0 and 1 (0.8 for 80 %)",
            "--target-approval-rate 1.5：目标须为大于0且小于1的数（80% 写作 0.8）",
        ),
        (
            ["--target-bad-rate", "abc", "--results", "R"],
            "--target-bad-rate abc: the target must be a number strictly "
            "between 0 and 1 (0.8 for 80 %)",
            "--target-bad-rate abc：目标须为大于0且小于1的数（80% 写作 0.8）",
        ),
        (
            ["--target-approval-rate", "0.5", "--target-bad-rate", "0.1"],
            "give one target, --target-approval-rate or --target-bad-rate, not both",
            "只能给出一个目标：--target-approval-rate 或 --target-bad-rate，不能同时给出",
        ),
        (
            ["--target-approval-rate", "0.5"],
            "--target-approval-rate needs --results RESULTS, the "
            "results file of `sales-expert batch` for this book",
            "--target-approval-rate 需要同时给出 --results RESULTS，"
            "即本名单经 `sales-expert batch` 生成的结果文件",
        ),
    ],
)
def test_bad_options_exit_2_naming_them(argv: list[str], en: str, zh: str, files: Files) -> None:
    for lang, want in (("en", en), ("zh", zh)):
        with pytest.raises(CalibrateError) as caught:
            run("--book", str(files.book), *argv, "--lang", lang)
        assert str(caught.value) == want
        assert isinstance(caught.value, InputError)  # engine.cli.main: exit 2


def test_missing_column_empty_book_and_missing_outcomes(files: Files, tmp_path: Path) -> None:
    rows = [case_to_row(r.case) for r in files.rows[:5]]
    for row in rows:
        row.pop("customer.purchase_frequency")
    lacking = write_csv(tmp_path / "lacking.csv", rows)
    with pytest.raises(CalibrateError) as caught:
        run("--book", str(lacking), "--lang", "zh")
    assert str(caught.value) == (
        f"{lacking} 缺少列 customer.purchase_frequency：请使用 `sales-expert batch` "
        "读取或生成的文件（见 `sales-expert batch --columns`）"
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("customer.id,customer.annual_purchases\n", encoding="utf-8")
    with pytest.raises(CalibrateError) as caught:
        run("--book", str(empty))
    assert str(caught.value) == (
        f"the book {empty} has no data rows: give a book with at least one customer"
    )
    with pytest.raises(CalibrateError) as caught:
        run("--book", str(files.book), "--results", str(files.results), "--target-bad-rate", "0.1")
    assert str(caught.value) == (
        "--target-bad-rate needs --outcomes FILE: a bad rate is read from what happened"
    )
    with pytest.raises(CalibrateError) as caught:
        run("--book", str(tmp_path / "nope.csv"))
    assert str(caught.value) == f"--book {tmp_path / 'nope.csv'}: no such file"


def test_results_of_another_book_are_refused(files: Files, tmp_path: Path) -> None:
    other = write_csv(tmp_path / "other.csv", [case_to_row(r.case) for r in files.rows[::-1]])
    with pytest.raises(CalibrateError) as caught:
        run("--book", str(other), "--results", str(files.results), "--target-approval-rate", "0.6")
    assert "does not match row" in str(caught.value)


# ------------------------------------------------------------------ the overlay file


def test_an_overlay_round_trips(files: Files, tmp_path: Path) -> None:
    overlay = overlay_of(files, tmp_path)
    again = tmp_path / "again.yaml"
    again.write_text(dump_overlay(overlay), encoding="utf-8")
    assert load_overlay(again) == overlay


@pytest.mark.parametrize(
    ("parameters", "top", "en", "zh"),
    [
        (
            {"credit.no_such_cut": proposal(3)},
            {},
            "unknown parameter `credit.no_such_cut`: the rule base has no parameter of that name; "
            "parameter names start with their module (`grading.`, `credit.`, `collection.`, "
            "`closing.`): see `sales-expert rules` and the knowledge base",
            "未知参数 `credit.no_such_cut`：规则库中没有该名称的参数；参数名称以所属模块开头"
            "（`grading.`、`credit.`、`collection.`、`closing.`）："
            "见 `sales-expert rules` 及知识库",
        ),
        (
            {HIGH: proposal(5000)},
            {},
            "high risk score threshold: 5,000 points is outside the allowed range, from 0 to "
            "1,000 points",
            "参数“高风险评分门槛”：5,000分 超出允许范围（0至1,000分）",
        ),
        (
            {"credit.late_older_factor": proposal(1.5)},
            {},
            "older late invoice factor: 1.5 × is outside the allowed range, from 0 to 1 ×",
            "参数“较早逾期发票保留比例”：1.5倍 超出允许范围（0至1倍）",
        ),
        (
            {HIGH: proposal("55")},
            {},
            "high risk score threshold: the value must be a finite number, got '55'",
            "参数“高风险评分门槛”：取值须为有限的数字，实为 '55'",
        ),
        (
            {HIGH: proposal(True)},
            {},
            "high risk score threshold: the value must be a finite number, got true",
            "参数“高风险评分门槛”：取值须为有限的数字，实为 true",
        ),
        (
            {HIGH: proposal(float("nan"))},
            {},
            "high risk score threshold: the value must be a finite number, got nan",
            "参数“高风险评分门槛”：取值须为有限的数字，实为 nan",
        ),
        (
            {HIGH: proposal(55) | {"current": None}},
            {},
            "high risk score threshold: the current value must be a finite number, got null",
            "参数“高风险评分门槛”：现值须为有限的数字，实为 null",
        ),
        (
            {HIGH: proposal(55)},
            {"format": 2},
            "format: must be 1",
            "format：须为 1",
        ),
    ],
)
def test_the_loader_refuses_naming_parameter_value_and_range(
    tmp_path: Path, parameters: dict[str, Any], top: dict[str, Any], en: str, zh: str
) -> None:
    path = write_overlay(tmp_path / "o.yaml", parameters, **top)
    for lang, want in (("en", en), ("zh", zh)):
        with pytest.raises(CalibrateError) as caught:
            load_overlay(path, lang)
        assert str(caught.value) == f"{path}: {want}"


def test_the_loader_refuses_a_missing_key_and_an_unknown_one(tmp_path: Path) -> None:
    path = write_overlay(tmp_path / "o.yaml", {HIGH: proposal(55) | {"note": "x"}})
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["source"]["sha256"]
    del data["parameters"][HIGH]["current"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CalibrateError) as caught:
        load_overlay(path)
    assert str(caught.value).splitlines() == [
        f"{path}: source.sha256: missing",
        f"{path}: parameters.credit.risk_high_min_score.current: missing",
        f"{path}: parameters.credit.risk_high_min_score.note: not a key of a parameter overlay",
    ]
    assert math.isfinite(load_overlay(write_overlay(tmp_path / "ok.yaml", {HIGH: proposal(55)}))
                         .values()[HIGH])  # fmt: skip


def test_an_overlay_applies_to_a_consultation(files: Files) -> None:
    """A case scoring between 40 and 55 is referred today and approved under 55."""
    for row in files.rows:
        case = parse_case(row_to_case(case_to_row(row.case)))
        got = engine_with({}).infer(case, trace=False).one_valued
        if 40 <= got["risk_score"].value < 55 and got["credit_decision"].value == "refer":
            after = engine_with({HIGH: 55.0}).infer(case, trace=False).one_valued
            if after["credit_decision"].value in APPROVALS:
                return
    pytest.fail("no referred case of the book became approved under 55 points")


def test_the_loader_refuses_a_file_that_is_no_overlay(tmp_path: Path) -> None:
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(CalibrateError) as caught:
        load_overlay(listed, "zh")
    assert str(caught.value).startswith(f"{listed}：不是参数覆盖文件，文件须为含 `format`、")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: [1\n", encoding="utf-8")
    with pytest.raises(CalibrateError) as caught:
        load_overlay(broken)
    assert str(caught.value).startswith(f"{broken}: cannot read the overlay: ")
    twice = tmp_path / "twice.yaml"
    twice.write_text("format: 1\nkind: parameter_overlay\nformat: 1\n", encoding="utf-8")
    with pytest.raises(CalibrateError) as caught:
        load_overlay(twice)
    assert "the key 'format' appears twice" in str(caught.value)


@pytest.mark.parametrize("prefix", ["calibrate.", "stability."])
def test_every_text_has_both_languages_with_the_same_placeholders(prefix: str) -> None:
    kb = load_knowledge()
    en = {k: v for k, v in kb.texts["en"].items() if k.startswith(prefix)}
    zh = {k: v for k, v in kb.texts["zh"].items() if k.startswith(prefix)}
    assert en and set(en) == set(zh)
    for key, text in en.items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", zh[key])), key
