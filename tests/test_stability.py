"""``sales-expert stability``: PSI lines between two periods, checked against numpy.

The results and books are written here (seeded), so each period's distribution is known: the
same population drawn twice must read stable, a population whose purchases tripled must be
flagged first, and every PSI must equal the textbook sum over bins recomputed independently
(deciles by ``numpy.quantile``, bins by ``numpy.searchsorted``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import cli_stability
from engine.backtest.metrics import PSI_EPSILON
from engine.calibrate import CalibrateError
from engine.errors import InputError
from engine.lint_language import problems

DECISIONS = ("approve", "approve_with_conditions", "refer", "decline")
LEVELS = ("low", "medium", "high", "very_high")
TIERS = ("high", "medium", "low")
HEADER = ["row", "consultation_id", "customer_id", "status", "value_tier", "market_position"]
HEADER += ["difference_class", "risk_score", "risk_level", "credit_decision"]


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def period(folder: Path, name: str, seed: int, scale: float = 1.0, n: int = 800) -> Path:
    """A results file and its input book (``<name>-book.csv``): purchases lognormal x
    ``scale``; decisions and tiers follow the purchases a little."""
    rng = random.Random(seed)
    results, book = [], []
    for i in range(1, n + 1):
        purchases = round(rng.lognormvariate(math.log(300_000), 1.0) * scale)
        tier = "high" if purchases > 900_000 else "medium" if purchases > 200_000 else "low"
        score = 5 * rng.randint(0, 20)
        level = LEVELS[min(3, score // 25)]
        results.append(
            {"row": i, "customer_id": f"C{i}", "status": "ok" if i % 50 else "failed"}
            | {"value_tier": tier, "market_position": "general", "difference_class": "ordinary"}
            | {"risk_score": score, "risk_level": level, "credit_decision": rng.choice(DECISIONS)}
        )
        orders = "" if rng.random() < 0.1 else rng.randint(1, 30)
        nature = rng.choice(("company", "company", "individual", "government", ""))
        book.append({"customer.id": f"C{i}", "customer.annual_purchases": purchases} | {
            "customer.purchase_frequency": orders, "customer.nature": nature})  # fmt: skip
    write_csv(folder / f"{name}-book.csv", list(book[0]), book)
    return write_csv(folder / f"{name}.csv", HEADER, results)


def run(*argv: str) -> dict[str, Any]:
    """``sales-expert stability --json`` (engine/cli.py adds it with ``register``)."""
    parser = argparse.ArgumentParser(prog="sales-expert")
    cli_stability.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["stability", *argv])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert args.func(args) == 0
    text = out.getvalue()
    return json.loads(text) if "--json" in argv else {"text": text}


def compare(folder: Path, new: str, old: str, *extra: str) -> dict[str, Any]:
    return run(
        *("--book", str(folder / f"{new}.csv"), "--baseline", str(folder / f"{old}.csv")),
        *("--inputs", str(folder / f"{new}-book.csv")),
        *("--baseline-inputs", str(folder / f"{old}-book.csv")),
        "--json",
        *extra,
    )


def psi(expected: list[int], actual: list[int]) -> float:
    """The textbook PSI over aligned bins, an empty bin counted as PSI_EPSILON."""
    e = np.maximum(np.array(expected) / sum(expected), PSI_EPSILON)
    a = np.maximum(np.array(actual) / sum(actual), PSI_EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def read(path: Path, column: str, status: bool = True) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [r[column] for r in csv.DictReader(handle) if not status or r["status"] == "ok"]


def line(report: dict[str, Any], what: str) -> dict[str, Any]:
    return next(x for x in report["lines"] if x["what"] == what)


def test_the_same_population_drawn_twice_is_stable(tmp_path: Path) -> None:
    period(tmp_path, "old", 1)
    period(tmp_path, "new", 2)
    report = compare(tmp_path, "new", "old")
    assert [x["what"] for x in report["lines"] if x["flagged"]] == []
    assert {x["level"] for x in report["lines"]} == {"stable"}
    assert report["inputs_from"] == "books" and report["new"]["rows"] == 784


def test_psi_equals_an_independent_computation(tmp_path: Path) -> None:
    old, new = period(tmp_path, "old", 1), period(tmp_path, "new", 3, scale=1.6)
    report = compare(tmp_path, "new", "old")
    old_d, new_d = read(old, "credit_decision"), read(new, "credit_decision")
    want = psi([old_d.count(d) for d in DECISIONS], [new_d.count(d) for d in DECISIONS])
    got = line(report, "credit_decision")
    assert got["psi"] == pytest.approx(want, abs=1e-6)
    assert [b["baseline_n"] for b in got["bins"]] == [old_d.count(d) for d in DECISIONS]
    # an input with a few values: one bin per value in the order first seen, "not given" last
    old_n = read(tmp_path / "old-book.csv", "customer.nature", status=False)
    new_n = read(tmp_path / "new-book.csv", "customer.nature", status=False)
    values = [*dict.fromkeys(v for v in old_n + new_n if v), ""]
    counts_n = [[old_n.count(v) for v in values], [new_n.count(v) for v in values]]
    got = line(report, "customer.nature")
    assert [b["baseline_n"] for b in got["bins"]] == counts_n[0]
    assert [b["new_n"] for b in got["bins"]] == counts_n[1]
    assert got["psi"] == pytest.approx(psi(*counts_n), abs=1e-6)
    # a numeric input: the baseline's deciles, right-closed bins, "not given" apart
    for column in ("customer.annual_purchases", "customer.purchase_frequency"):
        old_v = read(tmp_path / "old-book.csv", column, status=False)
        new_v = read(tmp_path / "new-book.csv", column, status=False)
        given = np.array([float(v) for v in old_v if v])
        cuts = np.unique(np.quantile(given, [k / 10 for k in range(1, 10)]))
        counts = []
        for values in (old_v, new_v):
            numbers = np.array([float(v) for v in values if v])
            bins = np.bincount(np.searchsorted(cuts, numbers, side="left"), minlength=len(cuts) + 1)
            counts.append([*bins.tolist(), sum(1 for v in values if not v)])
        if not counts[0][-1] and not counts[1][-1]:
            counts = [c[:-1] for c in counts]
        got = line(report, column)
        assert [b["baseline_n"] for b in got["bins"]] == counts[0]
        assert [b["new_n"] for b in got["bins"]] == counts[1]
        assert got["psi"] == pytest.approx(psi(*counts), abs=1e-6)


def test_shifted_data_is_flagged_and_comes_first(tmp_path: Path) -> None:
    period(tmp_path, "old", 1)
    period(tmp_path, "new", 2, scale=3.0)
    report = compare(tmp_path, "new", "old")
    first = report["lines"][0]
    assert first["what"] == "customer.annual_purchases" and first["level"] == "shift"
    assert line(report, "value_tier")["flagged"]
    flags = [x["flagged"] for x in report["lines"]]
    assert flags == sorted(flags, reverse=True)  # flagged lines first
    assert line(report, "customer.purchase_frequency")["level"] == "stable"
    text = compare(tmp_path, "new", "old", "--lang", "zh")
    assert text["lines"][0]["label"] == "近12个月采购额"


def test_the_text_reads_well_in_both_languages(tmp_path: Path) -> None:
    period(tmp_path, "old", 1)
    period(tmp_path, "new", 2, scale=3.0)
    argv = ["--book", str(tmp_path / "new.csv"), "--baseline", str(tmp_path / "old.csv")]
    for lang, first in (("en", "! Annual purchases: PSI"), ("zh", "! 近12个月采购额：PSI")):
        books = ["--inputs", str(tmp_path / "new-book.csv")]
        books += ["--baseline-inputs", str(tmp_path / "old-book.csv")]
        text = run(*argv, *books, "--lang", lang)["text"]
        assert problems(text, lang) == [], text
        assert text.splitlines()[2].startswith(first), text
    without = run(*argv, "--lang", "zh")["text"]
    assert "未比较：近12个月采购额、" in without and "--baseline-inputs OLD_BOOK" in without


def test_inputs_carried_by_the_results_are_used(tmp_path: Path) -> None:
    for name, scale in (("old", 1.0), ("new", 3.0)):
        period(tmp_path, name, 1, scale)
        with (tmp_path / f"{name}.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        purchases = read(tmp_path / f"{name}-book.csv", "customer.annual_purchases", False)
        for row, value in zip(rows, purchases, strict=True):
            row["customer.annual_purchases"] = value
        write_csv(tmp_path / f"{name}.csv", [*HEADER, "customer.annual_purchases"], rows)
    report = run("--book", str(tmp_path / "new.csv"), "--baseline", str(tmp_path / "old.csv"),
                 "--json")  # fmt: skip
    assert report["inputs_from"] == "results"
    assert report["lines"][0]["what"] == "customer.annual_purchases"
    assert "customer.purchase_frequency" in {x["what"] for x in report["not_compared"]}


def test_missing_files_and_columns_exit_2_naming_them(tmp_path: Path) -> None:
    old = period(tmp_path, "old", 1)
    lacking = write_csv(tmp_path / "lacking.csv", HEADER[:-1], [])
    cases = [
        (
            ["--book", str(tmp_path / "nope.csv"), "--baseline", str(old)],
            "en",
            f"--book {tmp_path / 'nope.csv'}: no such file",
        ),
        (
            ["--book", str(lacking), "--baseline", str(old)],
            "zh",
            f"{lacking} 缺少列 credit_decision：请使用 `sales-expert batch` 读取或生成的"
            "文件（见 `sales-expert batch --columns`）",
        ),
        (
            ["--book", str(old), "--baseline", str(old), "--inputs", str(old)],
            "en",
            "--inputs needs --baseline-inputs: the inputs of both periods are compared, or neither",
        ),
    ]
    for argv, lang, want in cases:
        with pytest.raises(CalibrateError) as caught:
            run(*argv, "--lang", lang)
        assert str(caught.value) == want
        assert isinstance(caught.value, InputError)  # engine.cli.main: exit 2
