"""The grading, collection and closing back-tests (``engine.backtest``): generated cases run
through the real batch, outcomes drawn from a truth this test controls (repeat purchase less
likely down the value tiers, recovery likelier for a cooperative debtor, one technique winning
more often), and every figure checked against an independent computation from that truth and
the results file read here with the csv module. Then the join rules on a hand-made results
file, and the texts in both languages."""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from benchmarks.cases import generate_cases
from engine.backtest import closing, collection, grading
from engine.backtest.join import BacktestFileError
from engine.backtest.module_text import render
from engine.batch import BatchOptions, run_batch
from engine.batch.mapping import case_to_row
from engine.cli import main
from engine.lint_language import problems
from engine.outcomes.model import COLUMNS
from knowledge_base import load_knowledge

ROWS = 150
SEED = 20
OBSERVED = "2024-12-31"
Row = dict[str, Any]


def write_csv(path: Path, header: list[str], rows: list[Row]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- independent computations -----------------------------------------------------------------


def brute_auc(scores: list[float], bads: list[bool]) -> float:
    """Every (bad, good) pair: 1 when the bad scores above, 1/2 on a tie."""
    bad = [s for s, b in zip(scores, bads, strict=True) if b]
    good = [s for s, b in zip(scores, bads, strict=True) if not b]
    wins = sum(1.0 if s > t else 0.5 if s == t else 0.0 for s in bad for t in good)
    return wins / (len(bad) * len(good))


def wilson(k: int, n: int) -> list[float] | None:
    """The Wilson score interval at z = 1.96 (Newcombe 1998, method 3)."""
    if not n:
        return None
    z, p = 1.959963984540054, k / n
    centre, spread = 2 * n * p + z * z, z * math.sqrt(z * z + 4 * n * p * (1 - p))
    low, high = (centre - spread) / (2 * (n + z * z)), (centre + spread) / (2 * (n + z * z))
    return [max(0.0, low), min(1.0, high)]


def check_rate(got: Row, n: int, k: int, count: str, rate: str) -> None:
    assert (got["n"], got[count]) == (n, k), got
    assert got[rate] == (pytest.approx(k / n) if n else None)
    assert got["ci"] == (pytest.approx(wilson(k, n)) if n else None)
    assert got.get("small", n < 30) == (n < 30)  # the whole book has no flag


# -- the generated book and its truth ---------------------------------------------------------


@dataclass
class World:
    results: Path
    """The batch results without their `overdue_amount` column, as an older batch wrote them."""
    with_overdue: Path
    """The batch results as written today (with `overdue_amount`)."""
    outcomes: Path
    table: list[Row]
    overdue: dict[str, float]
    told: dict[str, list[Row]] = field(default_factory=dict)
    """Module → the outcome rows written for it (extras apart)."""
    truth: dict[str, dict[str, Row]] = field(default_factory=dict)
    """Module → customer → what really happened (before it was split into outcome rows)."""


def on(link: int | str, module: str, kind: str, at: str = OBSERVED, **details: object) -> Row:
    """An outcome naming a consultation (a number) or a customer (a text)."""
    key = "consultation_id" if isinstance(link, int) else "customer_id"
    return {key: link, "module": module, "outcome": kind, "observed_at": at} | details


def grading_truth(rng: random.Random, row: Row, index: int) -> tuple[Row, list[Row]]:
    """Repeat purchase 85 % / 55 % / 25 % down the value tiers; a repeater's revenue scales
    with its tier. Some customers have two periods (revenue split, or a quiet second one)."""
    tier, customer = row["value_tier"], row["customer_id"]
    repeat = rng.random() < {"high": 0.85, "medium": 0.55, "low": 0.25}[tier]
    scale = {"high": 80_000, "medium": 30_000, "low": 10_000}[tier]
    revenue = round(rng.uniform(1, 3) * scale, 2) if repeat else 0.0
    truth = {"tier": tier, "service": row["service_tier"], "repeat": repeat, "revenue": revenue}
    flag = "yes" if repeat else "no"
    if repeat and index % 9 == 0:
        parts = [round(revenue / 3, 2), round(revenue - round(revenue / 3, 2), 2)]
        truth["revenue"] = sum(parts)
        yes = {"repeat_purchase": "yes"}
        return truth, [on(customer, "grading", "purchases", revenue=p, **yes) for p in parts]
    rows = [on(customer, "grading", "purchases", repeat_purchase=flag, revenue=revenue)]
    if index % 10 == 0:
        rows.append(on(customer, "grading", "purchases", repeat_purchase="no", revenue=0))
    return truth, rows


def collection_truth(
    rng: random.Random, row: Row, index: int, overdue: float
) -> tuple[Row, list[Row]]:
    """Money comes back from 80 % of cooperative debtors, 60 % of unrecognised ones, 35 % of
    the others; the rest go to legal action or are written off. Some recover in two parts."""
    kind, customer = row["primary_debtor_type"], row["customer_id"]
    recovered = rng.random() < {"cooperative": 0.8, "": 0.6}.get(kind, 0.35)
    truth: Row = {"type": kind, "means": row["collection_means"].split(";")[0]}
    truth |= {"overdue": overdue, "recovered": recovered, "amount": 0.0, "days": None}
    truth |= {"legal": False, "written_off": False}
    if not recovered:
        legal = rng.random() < 0.5
        truth["legal" if legal else "written_off"] = True
        kind_told = "legal" if legal else "written_off"
        return truth, [on(customer, "collection", kind_told)]
    amount, days = round(overdue * rng.uniform(0.2, 1.0), 2), rng.randint(5, 200)
    truth |= {"amount": amount, "days": days}
    if index % 8 == 0:  # two parts: the second ends the recovery
        parts = [(round(amount / 2, 2), 3), (round(amount - round(amount / 2, 2), 2), days)]
        truth["amount"] = sum(part for part, _ in parts)
        kind_told = "recovered"
        return truth, [
            on(customer, "collection", kind_told, amount_recovered=part, days_to_recover=d)
            for part, d in parts
        ]
    told = on(customer, "collection", "recovered", amount_recovered=amount)
    return truth, [told | {"days_to_recover": days}]


def closing_truth(rng: random.Random, row: Row, index: int) -> tuple[Row, list[Row]]:
    """A deal advised a trial offer is won 75 % of the time, others 30 %. Some deals have an
    earlier outcome the latest one overturns (lost then revived; won then cancelled)."""
    technique, customer = row["top_technique"], row["customer_id"]
    won = rng.random() < (0.75 if technique == "trial_offer" else 0.3)
    value = float(rng.randint(10_000, 500_000)) if won else 0.0
    truth = {"technique": technique, "won": won, "value": value}
    last = on(customer, "closing", "won" if won else "lost")
    last |= {"deal_value": value} if won else {}
    if index % 6 == 0:
        earlier = on(customer, "closing", "lost" if won else "won", "2024-06-30")
        earlier |= {} if won else {"deal_value": 99_999}
        return truth, [earlier, last]
    return truth, [last]


EXTRA = [
    on("NOT-IN-BOOK", "grading", "purchases", repeat_purchase="yes", revenue=5),
    on("NOT-IN-BOOK", "collection", "legal"),
    on("NOT-IN-BOOK", "closing", "lost"),
    on("G-1", "closing", "eaten"),
    on("G-2", "credit", "paid_on_time"),
]
"""One unmatched outcome per module, one refused by the checks, one of another module."""


def draw_outcomes(world: World) -> list[Row]:
    """The truth of every module's rows of the results, and the outcome rows telling it; every
    15th row of a module is left without an outcome."""
    rng, told = random.Random(SEED), []
    makers: dict[str, Callable[[Row, int], tuple[Row, list[Row]]]] = {
        "grading": lambda r, i: grading_truth(rng, r, i),
        "collection": lambda r, i: collection_truth(rng, r, i, world.overdue[r["customer_id"]]),
        "closing": lambda r, i: closing_truth(rng, r, i),
    }
    for module, make in makers.items():
        world.truth[module], world.told[module] = {}, []
        for index, row in enumerate(r for r in world.table if is_row(module, r)):
            if index % 15 == 14:
                continue
            truth, rows = make(row, index)
            world.truth[module][row["customer_id"]] = truth
            world.told[module] += rows
        told += world.told[module]
    return told + EXTRA


def is_row(module: str, row: Row) -> bool:
    """A consultation of the module, as the back-test docstrings define it (read here anew)."""
    if row["status"] != "ok":
        return False
    if module == "grading":
        return bool(row["value_tier"])
    if module == "collection":
        return bool(row["primary_debtor_type"] or row["debtor_type"] or row["collection_means"])
    return bool(row["top_technique"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Generated cases (every section) through ``run_batch``, and outcomes of known truth."""
    folder = tmp_path_factory.mktemp("modules")
    cases = generate_cases(ROWS, seed=SEED)
    rows = [case_to_row(case) for case in cases]
    source = write_csv(folder / "book.csv", list(dict.fromkeys(k for r in rows for k in r)), rows)
    results = folder / "results.csv"
    run_batch(BatchOptions(input=source, out=results, workers=1, record=False))
    with results.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    overdue = {c["customer"]["id"]: float(c["collection"]["overdue_amount"]) for c in cases}
    assert [float(r["overdue_amount"]) for r in table] == [overdue[r["customer_id"]] for r in table]
    header = [name for name in table[0] if name != "overdue_amount"]  # a results file of old
    dropped = [{k: v for k, v in r.items() if k != "overdue_amount"} for r in table]
    without = write_csv(folder / "results-without-overdue.csv", header, dropped)
    world = World(without, results, folder / "outcomes.csv", table, overdue)
    write_csv(world.outcomes, list(COLUMNS), draw_outcomes(world))
    return world


def check_counts(got: Row, world: World, module: str) -> None:
    # the other modules' rows, their two unmatched extras and the credit one
    others = sum(len(rows) for name, rows in world.told.items() if name != module) + 3
    module_rows = [r for r in world.table if is_row(module, r)]
    assert got["module"] == module
    left_out = (got["unmatched"], got["invalid_outcomes"], got["other_module_outcomes"])
    assert left_out == (1, 1, others)
    assert got["without_outcome"] == len(module_rows) - len(world.truth[module]) > 0
    assert got[f"not_{module}_rows"] == len(world.table) - len(module_rows)
    # the keys of the audit store's back-test too (tests/backtest/test_store_modules.py)
    assert got["superseded_outcomes"] == 0 and got["source"]["mode"] == "book"


# -- grading --------------------------------------------------------------------------------


def test_grading_figures(world: World) -> None:
    got = grading.backtest(world.results, world.outcomes, "en")
    truth = list(world.truth["grading"].values())
    check_counts(got, world, "grading")
    tiers, services = ["high", "medium", "low"], ["vip", "key", "ordinary"]
    no_repeat = [not t["repeat"] for t in truth]
    scores = [float(tiers.index(t["tier"])) for t in truth]
    assert got["n"] == len(truth) and got["repeat"] == sum(t["repeat"] for t in truth)
    assert got["auc"] == pytest.approx(brute_auc(scores, no_repeat))
    assert got["auc"] > 0.65, "the truth makes a better tier repeat more often"
    assert got["auc_ci"][0] < got["auc"] < got["auc_ci"][1]
    assert got["gini"] == pytest.approx(2 * got["auc"] - 1)
    service = [float(services.index(t["service"])) for t in truth]
    assert got["auc_by"]["service_tier"] == pytest.approx(brute_auc(service, no_repeat))
    total = sum(t["revenue"] for t in truth)
    assert got["revenue"] == pytest.approx(total)
    assert [row["tier"] for row in got["by_tier"]] == tiers
    for row in got["by_tier"]:
        group = [t for t in truth if t["tier"] == row["tier"]]
        check_rate(row, len(group), sum(t["repeat"] for t in group), "repeat", "repeat_rate")
        revenue = sum(t["revenue"] for t in group)
        assert row["revenue_share"] == pytest.approx(revenue / total)
        assert row["mean_revenue"] == (pytest.approx(revenue / len(group)) if group else None)
    assert sum(row["revenue_share"] for row in got["by_tier"]) == pytest.approx(1.0)


# -- collection -----------------------------------------------------------------------------


def check_debts(row: Row, group: list[Row], overdue_known: bool) -> None:
    recovered = [t for t in group if t["recovered"]]
    check_rate(row, len(group), len(recovered), "recovered", "recovered_share")
    amount = sum(t["amount"] for t in group)
    assert row["amount_recovered"] == pytest.approx(amount)
    overdue = sum(t["overdue"] for t in group)
    expected = amount / overdue if overdue_known and group else None
    assert row["recovery_rate"] == (pytest.approx(expected) if expected is not None else None)
    assert row["amount_overdue"] == (pytest.approx(overdue) if overdue_known and group else None)
    mean = sum(t["days"] for t in recovered) / len(recovered) if recovered else None
    assert row["mean_days_to_recover"] == (pytest.approx(mean) if mean is not None else None)
    assert row["legal"] == sum(t["legal"] for t in group)
    assert row["written_off"] == sum(t["written_off"] for t in group)


@pytest.mark.parametrize("overdue_known", [True, False], ids=["with-overdue", "without"])
def test_collection_figures(world: World, overdue_known: bool) -> None:
    results = world.with_overdue if overdue_known else world.results
    got = collection.backtest(results, world.outcomes, "en")
    truth = list(world.truth["collection"].values())
    check_counts(got, world, "collection")
    assert got["overdue_column"] == ("overdue_amount" if overdue_known else None)
    check_debts(got, truth, overdue_known)
    types = load_knowledge().topics["primary_debtor_type"].value_ids()
    for key, field_, order in (("debtor_type", "type", types), ("collection_means", "means", None)):
        rows = got[f"by_{key}"]
        if order is not None:
            assert [r[key] for r in rows][: len(order)] == list(order)
        for row in rows:
            group = [t for t in truth if (t[field_] or None) == row[key]]
            check_debts(row, group, overdue_known)
        assert sum(r["n"] for r in rows) == len(truth)
    by_type = {r["debtor_type"]: r for r in got["by_debtor_type"]}
    assert "by_escalation_level" not in got  # a batch does not write the escalation level
    others = [r for k, r in by_type.items() if k not in ("cooperative", None) and r["n"]]
    if overdue_known and by_type["cooperative"]["n"] >= 5:
        assert by_type["cooperative"]["recovered_share"] > min(r["recovered_share"] for r in others)


# -- closing --------------------------------------------------------------------------------


def test_closing_figures(world: World) -> None:
    got = closing.backtest(world.results, world.outcomes, "en")
    truth = list(world.truth["closing"].values())
    check_counts(got, world, "closing")
    won_value = sum(t["value"] for t in truth)
    assert (got["n"], got["won"]) == (len(truth), sum(t["won"] for t in truth))
    assert got["won_value"] == pytest.approx(won_value)
    techniques = load_knowledge().topics["top_technique"].value_ids()
    assert [row["technique"] for row in got["by_technique"]] == list(techniques)
    for row in got["by_technique"]:
        group = [t for t in truth if t["technique"] == row["technique"]]
        check_rate(row, len(group), sum(t["won"] for t in group), "won", "win_rate")
        value = sum(t["value"] for t in group)
        assert row["won_value"] == pytest.approx(value)
        assert row["won_value_share"] == pytest.approx(value / won_value)
    trial = next(r for r in got["by_technique"] if r["technique"] == "trial_offer")
    assert trial["n"] >= 20 and trial["win_rate"] > got["win_rate"]


# -- the join rules, by hand ----------------------------------------------------------------

HEAD = ["row", "consultation_id", "customer_id", "status", "value_tier", "service_tier"]
HEAD += ["primary_debtor_type", "debtor_type", "collection_means", "top_technique"]
HEAD += ["overdue_amount"]
HAND = [
    "1,41,C-1,ok,high,vip,cooperative,cooperative,transfusion,trial_offer,300",
    "2,42,C-1,ok,low,ordinary,tough,tough;vain,legal_recovery;transfusion,pilot_order,1000",
    "3,43,C-2,failed,,,,,,,",
]


@pytest.fixture
def hand(tmp_path: Path) -> Callable[[list[Row]], tuple[Path, Path]]:
    results = tmp_path / "r.csv"
    results.write_text("\n".join([",".join(HEAD), *HAND, ""]), encoding="utf-8")

    def files(told: list[Row]) -> tuple[Path, Path]:
        return results, write_csv(tmp_path / "o.csv", list(COLUMNS), told)

    return files


def test_grading_join_by_consultation_then_last_row(hand: Callable[..., tuple[Path, Path]]) -> None:
    """An outcome naming a consultation goes to it; one naming a customer to its last row; a
    failed row takes none, and an unknown consultation without a customer is unmatched."""
    results, outcomes = hand(
        [
            on(41, "grading", "purchases", repeat_purchase="yes", revenue=100),
            on("C-1", "grading", "purchases", repeat_purchase="no", revenue=0),
            on(99, "grading", "purchases", repeat_purchase="no", revenue=0),
            on(43, "grading", "purchases", customer_id="C-2", repeat_purchase="yes", revenue=7),
        ]
    )
    got = grading.backtest(results, outcomes, "en")
    assert (got["n"], got["unmatched"], got["not_grading_rows"]) == (2, 2, 1)
    by = {row["tier"]: (row["n"], row["repeat"], row["revenue"]) for row in got["by_tier"]}
    assert by == {"high": (1, 1, 100.0), "medium": (0, 0, 0), "low": (1, 0, 0.0)}
    assert got["auc"] == 1.0 and got["auc_by"]["service_tier"] == 1.0


def test_collection_parts_add_up(hand: Callable[..., tuple[Path, Path]]) -> None:
    """Two recoveries of one debt add up, its time is the longest; the overdue amount is read
    from an ``overdue_amount`` column; groups take the top value of a list cell."""
    results, outcomes = hand(
        [
            on(41, "collection", "recovered", amount_recovered=100, days_to_recover=10),
            on(41, "collection", "recovered", amount_recovered=50, days_to_recover=30),
            on("C-1", "collection", "legal"),
        ]
    )
    got = collection.backtest(results, outcomes, "en")
    assert got["overdue_column"] == "overdue_amount"
    assert (got["n"], got["recovered"], got["legal"]) == (2, 1, 1)
    assert got["recovery_rate"] == pytest.approx(150 / 1300)
    by = {r["debtor_type"]: r for r in got["by_debtor_type"]}
    cooperative, tough = by["cooperative"], by["tough"]
    assert (cooperative["recovery_rate"], cooperative["mean_days_to_recover"]) == (0.5, 30.0)
    assert (tough["recovery_rate"], tough["legal"]) == (0.0, 1)
    means = {r["collection_means"]: r["n"] for r in got["by_collection_means"]}
    assert (means["transfusion"], means["legal_recovery"]) == (1, 1)


def test_closing_latest_outcome_decides(hand: Callable[..., tuple[Path, Path]]) -> None:
    """Lost then won is won (with the value won); won then lost is lost; on one date the later
    row of the file decides."""
    results, outcomes = hand(
        [
            on(41, "closing", "won", "2024-02-01", deal_value=500),
            on(41, "closing", "lost", "2024-01-05"),
            on("C-1", "closing", "won", deal_value=300),
            on("C-1", "closing", "lost"),
        ]
    )
    got = closing.backtest(results, outcomes, "en")
    by = {r["technique"]: r for r in got["by_technique"]}
    trial, pilot = by["trial_offer"], by["pilot_order"]
    assert (trial["n"], trial["won"], trial["won_value"], trial["won_value_share"]) == (
        1,
        1,
        500,
        1,
    )
    assert (pilot["n"], pilot["won"], pilot["won_value"], got["won_value"]) == (1, 0, 0, 500)


@pytest.mark.parametrize("module", [grading, collection, closing])
def test_missing_column_and_file_are_refused(tmp_path: Path, module: Any) -> None:
    results = write_csv(tmp_path / "r.csv", ["row", "customer_id", "status"], [])
    outcomes = write_csv(tmp_path / "o.csv", list(COLUMNS), [])
    with pytest.raises(BacktestFileError) as refused:
        module.backtest(results, outcomes, "en")
    assert module.SPEC.required[0] in str(refused.value)
    with pytest.raises(BacktestFileError, match="文件不存在"):
        module.backtest(tmp_path / "none.csv", outcomes, "zh")


# -- texts ----------------------------------------------------------------------------------


def pct(value: float, lang: str) -> str:
    return f"{100 * value:.1f}%" if lang == "zh" else f"{100 * value:.1f} %"


def label(topic: str, value: str, lang: str) -> str:
    return load_knowledge().value_labels[(topic, value)].get(lang)


def check_text(text: str, lang: str, figures: Row) -> None:
    """Every line reads well: no Python value, Chinese punctuation in Chinese."""
    assert "None" not in text and "{" not in text
    for key in ("unmatched", "without_outcome", "other_module_outcomes"):
        assert str(figures[key]) in text
    if lang == "zh":
        assert [p for line in text.splitlines() for p in problems(line, "zh")] == []


TEXTS = {
    "grading": ("Grading back-test", "客户分级回测", "tier", "value_tier"),
    "collection": ("Collection back-test", "催收回测", "debtor_type", "primary_debtor_type"),
    "closing": ("Closing back-test", "成交回测", "technique", "top_technique"),
}
"""Module → its title in en and zh, its main group and the topic of the group's values."""
RATES = {
    "grading": ("repeat_rate", "revenue_share"),
    "collection": ("recovered_share", "recovery_rate"),
    "closing": ("win_rate", "won_value_share"),
}
MODULES = {"grading": grading, "collection": collection, "closing": closing}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("module", [*TEXTS, "collection-without-overdue"])
def test_texts_show_the_figures(world: World, module: str, lang: str) -> None:
    """The title, every group that has rows by its label with its rates, in both languages."""
    name, _, without = module.partition("-without-")
    results = world.with_overdue if name == "collection" and not without else world.results
    got = MODULES[name].backtest(results, world.outcomes, lang)
    text = render(got, lang)
    check_text(text, lang, got)
    title_en, title_zh, key, topic = TEXTS[name]
    assert (title_zh if lang == "zh" else title_en) in text
    assert ("overdue_amount" in text) is bool(without)
    if name == "grading":
        assert f"AUC {got['auc']:.3f}" in text and pct(got["repeat_rate"], lang) in text
    for row in got[f"by_{key}"]:
        if row["n"] and row[key]:
            assert label(topic, row[key], lang) in text
            assert all(pct(row[r], lang) in text for r in RATES[name] if row[r] is not None)


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MODULES))
def test_the_command_prints_the_modules_figures(
    world: World, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``backtest --module M --book … --outcomes …``: the module's figures, as JSON and text."""
    files = ["--book", str(world.with_overdue), "--outcomes", str(world.outcomes)]
    assert main(["backtest", "--module", name, *files, "--json"]) == 0
    expected = MODULES[name].backtest(world.with_overdue, world.outcomes, "en")
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(expected))
    assert main(["backtest", "--module", name, *files, "--lang", "zh"]) == 0
    zh = MODULES[name].backtest(world.with_overdue, world.outcomes, "zh")
    assert capsys.readouterr().out == render(zh, "zh") + "\n"
