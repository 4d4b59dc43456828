"""``sales-expert backtest --module grading|collection|closing`` over the audit store, on SQLite
and PostgreSQL: generated cases consulted once and recorded on three days through two channels
(and two under another rule base), outcomes of every module recorded on them — several on one
consultation, corrections and a correction of a correction, an outcome on a closing
consultation that advised no technique — and the store's figures checked against the results
file mode on the equivalent files (the batch's own ``result_cells`` and the outcomes that
count, in recording order), written here from what the test recorded, never read back from the
store. Then the filters, the counts, and the command's JSON and text in English and Chinese.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import engine.audit.store as store_module
from benchmarks.cases import generate_cases
from engine import Engine
from engine.audit.keys import KeySource
from engine.audit.store import AuditStore
from engine.backtest import closing, collection, grading
from engine.backtest.module_text import render
from engine.backtest.store import Selection
from engine.backtest.store_modules import backtest_store_module
from engine.batch.mapping import OUTPUT_HEADER, result_cells
from engine.cli import main
from engine.lint_language import problems
from engine.outcomes.model import COLUMNS, Outcome
from engine.result import Result
from engine.shared import default_engine
from knowledge_base import load_knowledge
from knowledge_base.facts import Case
from tests.audit.conftest import BACKENDS
from tests.backtest.conftest import Truth, record_consultations
from tests.conftest import customer
from tests.outcomes.conftest import MANAGER, Clock

ROWS, SEED = 90, 7
OBSERVED, EARLIER = "2025-06-30", "2025-04-30"
MODULES = {"grading": grading, "collection": collection, "closing": closing}
Row = dict[str, Any]


@functools.cache
def consulted() -> tuple[tuple[Result, Case], ...]:
    """Generated cases of every section through the shipped engine (once for both backends)."""
    engine = default_engine()
    return tuple(
        (engine.consult(case, what_if=False), Case.model_validate(case))
        for case in generate_cases(ROWS, seed=SEED)
    )


def is_row(module: str, result: Result) -> bool:
    """A consultation of the module, as the back-test docstrings define it (read here anew)."""
    topics = {c.topic: c.value for c in result.conclusions}
    if module == "grading":
        return topics.get("value_tier") in ("high", "medium", "low")
    if module == "collection":
        return bool({"debtor_type", "primary_debtor_type", "collection_means"} & set(topics))
    return topics.get("top_technique") in load_knowledge().topics["top_technique"].value_ids()


@dataclass
class Told:
    """One outcome the test recorded: the row an outcomes file has for it, and whether it
    counts (no later outcome corrects it)."""

    module: str
    row: Row
    record_id: int = 0
    counts: bool = True


@dataclass
class World:
    url: str
    consultations: list[Truth]
    results: list[tuple[Result, Case]]
    """Each consultation's result and case, by ``Truth.index``."""
    told: list[Told] = field(default_factory=list)
    folder: Path = Path()
    other_version: str = ""
    stray: int = 0
    """The closing consultation without a technique that has an outcome (unmatched)."""


def on(consultation: int, module: str, kind: str, at: str = OBSERVED, **details: object) -> Row:
    return (
        {"consultation_id": consultation, "module": module, "outcome": kind}
        | {"observed_at": at}
        | details
    )


def grading_told(rng: random.Random, t: Truth, result: Result) -> list[Row]:
    """A purchase outcome, repeat likelier up the tiers; some customers two periods."""
    tier = str(result.value("value_tier"))
    repeat = rng.random() < {"high": 0.8, "medium": 0.5, "low": 0.2}[tier]
    revenue = round(rng.uniform(1_000, 90_000), 2) if repeat else 0.0
    told = [on(t.record_id, "grading", "purchases", repeat_purchase=repeat, revenue=revenue)]
    if t.index % 5 == 0:  # a second period, quiet
        quiet = {"repeat_purchase": False, "revenue": 0.0, "period_from": EARLIER}
        told.append(on(t.record_id, "grading", "purchases", **quiet))
    return told


def collection_told(rng: random.Random, t: Truth, result: Result) -> list[Row]:
    """Recovered (sometimes in two parts), else legal action or written off."""
    if rng.random() < 0.55:
        parts = 2 if t.index % 4 == 0 else 1
        return [
            on(t.record_id, "collection", "recovered", amount_recovered=round(
                rng.uniform(100, 50_000), 2), days_to_recover=rng.randint(1, 300))
            for _ in range(parts)
        ]  # fmt: skip
    return [on(t.record_id, "collection", "legal" if rng.random() < 0.5 else "written_off")]


def closing_told(rng: random.Random, t: Truth, result: Result) -> list[Row]:
    """Won or lost; some deals have an earlier word the latest overturns, some two on one day
    (the later record decides)."""
    won = rng.random() < 0.45
    last = on(t.record_id, "closing", "won" if won else "lost")
    last |= {"deal_value": float(rng.randint(1_000, 90_000))} if won else {}
    if t.index % 3 == 0:
        return [on(t.record_id, "closing", "lost" if won else "won", EARLIER, deal_value=5.0), last]
    if t.index % 11 == 5:
        return [on(t.record_id, "closing", "lost" if won else "won", deal_value=7.0), last]
    return [last]


MAKERS: dict[str, Callable[[random.Random, Truth, Result], list[Row]]] = {
    "grading": grading_told,
    "collection": collection_told,
    "closing": closing_told,
}


def wrong(row: Row) -> Row:
    """A first record of an outcome that a correction will replace (content unlike any other
    outcome of the consultation: a duplicate would not be recorded)."""
    kinds = {"grading": {"outcome": "purchases", "repeat_purchase": True, "revenue": 1.0},
             "collection": {"outcome": "written_off", "amount_lost": 1.0},
             "closing": {"outcome": "lost", "deal_value": 1.0}}  # fmt: skip
    return {key: row[key] for key in ("consultation_id", "module", "observed_at")} | kinds[
        row["module"]
    ]


def settle(store: AuditStore, told: list[Told], corrects: list[int | None]) -> None:
    """Record ``told`` in order (each correcting the record given, if any); note the ids."""
    outcomes = [
        Outcome.model_validate(t.row | ({} if c is None else {"corrects": c}))
        for t, c in zip(told, corrects, strict=True)
    ]
    settled = store.record_outcomes(outcomes, MANAGER)
    assert all(s.record_id for s in settled), [s.problems for s in settled]
    for t, s in zip(told, settled, strict=True):
        t.record_id = int(s.record_id or 0)


def record_outcomes(store: AuditStore, world: World) -> None:
    """Every module's outcomes on its consultations (every 9th without); every 7th first
    recorded wrong and corrected, one corrected twice; one closing outcome on a consultation
    that advised no technique."""
    rng, plain, firsts, fixes = random.Random(SEED), [], [], []
    for t in world.consultations:
        result = world.results[t.index][0]
        for offset, (module, make) in enumerate(MAKERS.items()):
            if not is_row(module, result) or (t.index + offset) % 9 == 8:
                continue
            told = [Told(module, row) for row in make(rng, t, result)]
            if (t.index + offset) % 7 == 3:
                firsts.append(Told(module, wrong(told[0].row), counts=False))
                fixes.append(told.pop(0))
            plain += told
    stray = next(t for t in world.consultations if not is_row("closing", world.results[t.index][0]))
    plain.append(Told("closing", on(stray.record_id, "closing", "lost")))
    world.stray = stray.record_id
    settle(store, plain + firsts, [None] * (len(plain) + len(firsts)))
    middle = Told(fixes[0].module, wrong(fixes[0].row), counts=False)
    settle(store, [middle, *fixes[1:]], [f.record_id for f in firsts])
    settle(store, [fixes[0]], [middle.record_id])
    world.told = plain + firsts + [middle, *fixes]


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    credit_engine: Engine,
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp(f"store-modules-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(f"modules_{os.getpid()}")
    clock = Clock()
    with pytest.MonkeyPatch.context() as patch, AuditStore(url, KeySource(folder / "k")) as store:
        patch.setattr(store_module, "utc_now", lambda: clock.now)
        rows = list(consulted())
        truths = record_consultations(store, clock, rows, default_engine().compiled)
        world = World(url, truths, rows, folder=folder, other_version=credit_engine.version)
        clock.at("2025-07-01")
        record_outcomes(store, world)
        record_other_version(store, world, credit_engine)
        yield world


def record_other_version(store: AuditStore, world: World, engine: Engine) -> None:
    """Two consultations under a credit-only rule base: of no module measured here."""
    cases = [Case.model_validate({"customer": customer(id=f"V-{i}")}) for i in range(2)]
    pairs = [(engine.consult(case, what_if=False), case) for case in cases]
    stored = store.record_consultations(pairs, engine.compiled, "rita", "rep", "ui")
    for (result, case), row in zip(pairs, stored, strict=True):
        world.consultations.append(
            Truth(len(world.results), row["id"], None, None, None, frozenset(), "2025-07-01",
                  "ui", engine.version)
        )  # fmt: skip
        world.results.append((result, case))


# -- the equivalent files ---------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[Row]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def as_files(world: World, module: str, picked: list[Truth], name: str) -> tuple[Path, Path]:
    """The picked consultations as a batch results file, and the outcomes on them a file
    would hold: those of the module that count, every one of the other modules."""
    results = [
        dict(zip(OUTPUT_HEADER, [i, t.record_id, case.customer.id, "ok",
                                 *result_cells(result, case)], strict=True))
        for i, t in enumerate(sorted(picked, key=lambda t: t.record_id), 1)
        for result, case in [world.results[t.index]]
    ]  # fmt: skip
    ids = {t.record_id for t in picked}
    told = sorted(world.told, key=lambda t: t.record_id)
    kept = [
        t.row for t in told if t.row["consultation_id"] in ids and (t.counts or t.module != module)
    ]
    return (
        write_csv(world.folder / f"{name}-results.csv", OUTPUT_HEADER, results),
        write_csv(world.folder / f"{name}-outcomes.csv", list(COLUMNS), kept),
    )


def book(world: World, module: str, picked: list[Truth], name: str) -> Row:
    """The results-file back-test of the picked consultations, without its source."""
    results, outcomes = as_files(world, module, picked, name)
    found: Row = MODULES[module].backtest(results, outcomes, "en")
    return {key: value for key, value in found.items() if key != "source"}


def store_figures(world: World, module: str, selection: Selection) -> Row:
    with AuditStore(world.url) as store:
        found = backtest_store_module(store, module, selection)
    assert found["source"]["mode"] == "store" and found["source"]["database"] in world.url
    return {key: value for key, value in found.items() if key != "source"}


def superseded(world: World, module: str, picked: list[Truth]) -> int:
    ids = {t.record_id for t in picked}
    return sum(t.module == module and not t.counts and t.row["consultation_id"] in ids
               for t in world.told)  # fmt: skip


# -- the figures ------------------------------------------------------------------------------


@pytest.mark.parametrize("module", list(MODULES))
def test_store_gives_the_figures_of_the_equivalent_files(world: World, module: str) -> None:
    got = store_figures(world, module, Selection())
    expected = book(world, module, world.consultations, module)
    assert got["superseded_outcomes"] == superseded(world, module, world.consultations) > 0
    assert expected.pop("superseded_outcomes") == 0  # a file has no corrections
    got.pop("superseded_outcomes")
    assert got == expected
    # and against what the test recorded, directly
    rows = [t for t in world.consultations if is_row(module, world.results[t.index][0])]
    with_outcome = {t.row["consultation_id"] for t in world.told if t.module == module and t.counts}
    ids = {t.record_id for t in rows}
    assert got["n"] == len(ids & with_outcome) > 20
    assert got["without_outcome"] == len(ids - with_outcome) > 0
    assert got[f"not_{module}_rows"] == len(world.consultations) - len(rows)
    assert got["other_module_outcomes"] == sum(t.module != module for t in world.told)
    assert got["unmatched"] == (1 if module == "closing" else 0)
    assert got["invalid_outcomes"] == 0


def test_the_figures_read_the_outcomes_that_count(world: World) -> None:
    """Spot checks independent of the file mode: parts add up, a correction replaces."""
    got = store_figures(world, "collection", Selection())
    counted = [t.row for t in world.told if t.module == "collection" and t.counts]
    recovered = sum(r.get("amount_recovered", 0.0) for r in counted)
    assert got["amount_recovered"] == pytest.approx(recovered)
    assert got["legal"] == len({r["consultation_id"] for r in counted if r["outcome"] == "legal"})
    assert got["overdue_column"] == "overdue_amount" and got["amount_overdue"] > 0
    deals = store_figures(world, "closing", Selection())
    last: dict[int, Row] = {}
    for t in sorted(world.told, key=lambda t: (t.row["observed_at"], t.record_id)):
        if t.module == "closing" and t.counts:
            last[t.row["consultation_id"]] = t.row
    won = [r for i, r in last.items() if r["outcome"] == "won" and i != world.stray]
    assert deals["won"] == len(won)
    assert deals["won_value"] == pytest.approx(sum(r["deal_value"] for r in won))


def selections(world: World) -> Iterator[tuple[Selection, list[Truth]]]:
    """Each selection with the consultations it must pick."""
    days = [date(2025, 2, 10), date(2025, 3, 10)]
    shipped = default_engine().version
    for selection, keep in (
        (Selection(since=days[0]), lambda t: t.day >= "2025-02-10"),
        (Selection(until=days[0]), lambda t: t.day <= "2025-02-10"),
        (Selection(since=days[0], until=days[0]), lambda t: t.day == "2025-02-10"),
        (Selection(channel="api"), lambda t: t.channel == "api"),
        (Selection(since=days[1], channel="batch"),
         lambda t: t.channel == "batch" and t.day >= "2025-03-10"),
        (Selection(version=shipped), lambda t: t.version == shipped),
        (Selection(version=world.other_version), lambda t: t.version != shipped),
    ):  # fmt: skip
        yield selection, [t for t in world.consultations if keep(t)]


@pytest.mark.parametrize("module", list(MODULES))
def test_filters_select_the_consultations(world: World, module: str) -> None:
    everything = len(world.consultations)
    for number, (selection, picked) in enumerate(selections(world)):
        assert 0 < len(picked) < everything
        got = store_figures(world, module, selection)
        expected = book(world, module, picked, f"{module}-{number}")
        assert got.pop("superseded_outcomes") == superseded(world, module, picked)
        expected.pop("superseded_outcomes")
        assert got == expected, selection


# -- the command --------------------------------------------------------------------------


@pytest.mark.parametrize("module", list(MODULES))
def test_the_command_prints_the_store_figures(
    world: World, module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["backtest", "--module", module, "--db", world.url, "--channel", "api"]
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    got = json.loads(capsys.readouterr().out)
    with AuditStore(world.url) as store:
        expected = backtest_store_module(store, module, Selection(channel="api"))
    assert got == json.loads(json.dumps(expected))
    assert got["source"] | {"database": ""} == {
        "mode": "store", "database": "", "from": None, "to": None, "channel": "api",
        "version": None,
    }  # fmt: skip
    for lang in ("en", "zh"):
        assert main([*argv, "--lang", lang]) == 0
        text = capsys.readouterr().out
        assert text == render(expected, lang) + "\n"
        check_text(text, lang, got)


STORE_LINES = {
    "en": ("Audit database", "channel api", "outcomes replaced by a correction: {superseded}"),
    "zh": ("审计数据库", "渠道：api", "被更正取代的结果：{superseded}"),
}
TITLES = {
    "grading": ("Grading back-test", "客户分级回测"),
    "collection": ("Collection back-test", "催收回测"),
    "closing": ("Closing back-test", "成交回测"),
}


def check_text(text: str, lang: str, figures: Row) -> None:
    """The selection, the title, the store's counts; no Python value; Chinese punctuation."""
    assert "None" not in text and "{" not in text
    source, channel, counts = STORE_LINES[lang]
    lines = text.splitlines()
    assert lines[0].startswith(source) and channel in lines[0]
    assert TITLES[figures["module"]][lang == "zh"] in lines[1]
    assert counts.format(superseded=figures["superseded_outcomes"]) in lines[-1]
    for key in ("without_outcome", "other_module_outcomes", f"not_{figures['module']}_rows"):
        assert f"{figures[key]}" in lines[-1]
    if lang == "zh":
        assert [p for line in lines for p in problems(line, "zh")] == []
