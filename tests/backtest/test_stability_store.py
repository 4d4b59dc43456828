"""``sales-expert stability`` over two periods of the audit database, on SQLite and PostgreSQL.

The periods are read by the database (JSON extraction in SQL); the test builds the same two
periods in Python from the engine's results and the cases it recorded, and the comparison must
be the same, line for line. Two books drawn differently make a shift the command must flag.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.audit.store import AuditStore
from engine.cli import main
from engine.result import Result
from engine.shared import default_engine
from engine.stability import INPUTS, Period, add_row, compare, empty_period, to_json
from engine.stability_store import TOPICS, Span, stability_store
from knowledge_base.facts import Case
from tests.backtest.conftest import consulted_book
from tests.outcomes.conftest import Clock

OLD_DAY, NEW_DAY = "2025-01-10", "2025-04-10"


def cells(result: Result, case: Case) -> dict[str, str]:
    """What a results row holds for the compared lines, read from the engine's own objects."""
    found = {t: result.value(t) for t in TOPICS}
    row = {t: "" if v is None else str(v) for t, v in found.items()}
    data = case.model_dump(mode="json", exclude_none=True)
    for name in INPUTS:
        section, _, field = name.partition(".")
        value = data.get(section, {}).get(field)
        row[name] = "" if value is None else str(value)
    return row


def period(rows: list[tuple[Result, Case]]) -> Period:
    made = empty_period(Path("-"))
    for result, case in rows:
        add_row(made, cells(result, case), INPUTS)
    return made


def recorded(store: AuditStore, clock: Clock) -> tuple[list[Any], list[Any]]:
    """The first half of the book on the old day, the rest on the new day; the new period
    also gets the riskiest customers twice (a shift towards risk)."""
    book = [(r, c) for r, c, _ in consulted_book()]
    old, new = book[: len(book) // 2], book[len(book) // 2 :]
    risky = [(r, c) for r, c in new if r.value("risk_level") in ("high", "very_high")]
    compiled = default_engine().compiled
    clock.at(OLD_DAY)
    store.record_consultations(old, compiled, "rita", "rep", "batch")
    clock.at(NEW_DAY)
    store.record_consultations(new + risky, compiled, "rita", "rep", "api")
    return old, new + risky


def test_the_periods_of_the_store_compare_as_the_engine_read_them(
    store: AuditStore, clock: Clock
) -> None:
    old, new = recorded(store, clock)
    got = stability_store(store, Span(date(2025, 4, 1), None), Span(None, date(2025, 1, 31)), "en")
    expected = compare(period(new), period(old), "store", "en")
    assert (got.new.rows, got.baseline.rows) == (len(new), len(old))
    got_lines, expected_lines = to_json(got)["lines"], to_json(expected)["lines"]
    assert got_lines == expected_lines
    assert {line["what"] for line in got_lines} >= {"credit_decision", "risk_score", *INPUTS[:3]}
    assert next(x for x in got_lines if x["what"] == "risk_level")["psi"] > 0.01


def test_the_command_compares_two_periods(
    store: AuditStore, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = recorded(store, clock)
    periods = ["--from", "2025-04-01", "--to", "2025-04-30"]
    periods += ["--baseline-from", "2025-01-01", "--baseline-to", "2025-01-31"]
    assert main(["stability", "--db", store.url, *periods, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["new"] == {"period": "from 2025-04-01 to 2025-04-30", "rows": len(new)}
    assert got["baseline"]["rows"] == len(old) and got["inputs_from"] == "store"
    assert main(["stability", "--db", store.url, *periods, "--lang", "zh"]) == 0
    text = capsys.readouterr().out
    assert f"记录于2025-04-01 至 2025-04-30的 {len(new)} 次咨询" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2025-04-01", "--to", "2025-04-30", "--baseline-from", "2025-01-01"],
         "error: --baseline-to is needed: two periods of the audit database"),
        (["--from", "2025-05-01", "--to", "2025-04-30", "--baseline-from", "2025-01-01",
          "--baseline-to", "2025-01-31"],
         "error: --from 2025-05-01: the period starts after it ends (--to 2025-04-30)"),
        (["--from", "2025-04-01", "--book", "r.csv"],
         "error: --from picks a period of the audit database and --book a results file"),
        (["--book", "r.csv"], "error: --baseline is needed: two results files"),
        (["--from", "2025-02-30"], "--from: “2025-02-30” is not a date"),
    ],
)  # fmt: skip
def test_bad_periods_exit_2_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stability", *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_empty_period_is_refused(
    store: AuditStore, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded(store, clock)
    periods = ["--from", "2024-01-01", "--to", "2024-01-31"]
    periods += ["--baseline-from", "2025-01-01", "--baseline-to", "2025-01-31"]
    assert main(["stability", "--db", store.url, *periods, "--lang", "zh"]) == 2
    assert "error: 2024-01-01 至 2024-01-31期间没有记录任何咨询" in capsys.readouterr().err
