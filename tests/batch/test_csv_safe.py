"""Issue 19, batch: every cell of every CSV the product writes is inert in a spreadsheet (batch
results and errors, the template, the portfolio page's downloads), numbers stay numbers, and
what the product reads back (the Parquet output, the page's tables) is the value written."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.csv_safe import FORMULA_START, SafeWriter, restore_cell, safe_cell
from engine.users import User
from tests.batch.conftest import Cli
from tests.batch.test_batch import read_csv
from tests.conftest import customer

HOSTILE_IDS = [
    '=HYPERLINK("http://evil.example/x","open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\tT-4",
    "'quoted",
    "L-6\n=1+1",
]
BAD_VALUES = {2: ("customer.nature", "=1+1"), 3: ("customer.complaints_last_year", "-5")}
"""Rows (from 1) with a bad cell, echoed in the errors file: a formula, a negative number."""
NUMBER_CELLS = ("-5", "-14")


def hostile_book(path: Path) -> None:
    """A book as an attacker writes it (no neutralising): formula-like ids and names."""
    base = {f"customer.{k}": v for k, v in customer().items()}
    columns = list(base)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for number, ident in enumerate(HOSTILE_IDS, 1):
            row: dict[str, Any] = {**base, "customer.id": ident, "customer.name": "=1+2"}
            row["customer.purchases_growth_pct"] = -14
            if number in BAD_VALUES:
                field, value = BAD_VALUES[number]
                row[field] = value
            writer.writerow([row[c] for c in columns])


def assert_inert(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: each starts with no formula character, or is a plain
    number (which a spreadsheet reads as a number)."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                assert cell in NUMBER_CELLS, cell


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("-2+3", "'-2+3"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-", "'-"),
        ("'x", "''x"),  # the marker itself is escaped, so restoring is exact
        (-5, "-5"),
        ("-5", "-5"),
        (-5.5, "-5.5"),
        ("+3.5", "+3.5"),
        ("-1e-05", "-1e-05"),
        (float("-inf"), "'-inf"),
        ("-٣", "'-٣"),  # an Arabic-Indic digit: not a number to a spreadsheet
        ("C-1", "C-1"),
        (None, ""),
        (True, "True"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@given(st.text())
def test_every_text_is_written_inert_and_read_back_as_it_was(text: str) -> None:
    cell = safe_cell(text)
    assert restore_cell(cell) == text
    assert not cell.startswith(FORMULA_START) or float(cell) == float(text)


def test_batch_results_and_errors_are_inert(cli: Cli, tmp_path: Path) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.csv"
    hostile_book(source)
    code, _, stderr = cli("batch", source, "--out", out, "--workers", 1, "--no-record")
    assert code == 0, stderr
    results, errors = cells(out.read_bytes()), cells(Path(f"{out}.errors.csv").read_bytes())
    assert_inert(results)
    assert_inert(errors)
    ids = [row["customer_id"] for row in read_csv(out)]
    assert ids[:4] == ["'" + i for i in HOSTILE_IDS[:4]]
    assert [restore_cell(i) for i in ids] == HOSTILE_IDS
    echoed = {(int(e["row"]), e["field"]): e["value"] for e in read_csv(Path(f"{out}.errors.csv"))}
    assert echoed[(2, "customer.nature")] == "'=1+1"
    assert echoed[(3, "customer.complaints_last_year")] == "-5"  # a number, as given


def test_parquet_results_hold_the_values_themselves(cli: Cli, tmp_path: Path) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.parquet"
    hostile_book(source)
    code, _, stderr = cli("batch", source, "--out", out, "--workers", 1, "--no-record")
    assert code == 0, stderr
    assert [r["customer_id"] for r in pq.read_table(out).to_pylist()] == HOSTILE_IDS
    assert_inert(cells(Path(f"{out}.errors.csv").read_bytes()))


def test_a_negative_number_the_product_writes_is_read_back_as_a_number(
    cli: Cli, tmp_path: Path
) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.csv"
    row = {f"customer.{k}": v for k, v in customer(purchases_growth_pct=-14).items()}
    with source.open("w", encoding="utf-8", newline="") as handle:
        SafeWriter(handle).writerows([list(row), list(row.values())])
    assert "-14" in source.read_text(encoding="utf-8").split("\n")[1].split(",")
    code, _, stderr = cli("batch", source, "--out", out, "--workers", 1, "--no-record")
    assert code == 0, stderr
    assert [r["status"] for r in read_csv(out)] == ["ok"]


def test_the_portfolio_downloads_are_inert_and_its_tables_show_the_values(
    tmp_path: Path,
) -> None:
    from ui.batch import run_file, template_csv
    from ui.views.portfolio import _frame

    source = tmp_path / "book.csv"
    hostile_book(source)
    run = run_file("book.csv", source.read_bytes(), User("mia", "Mia", "manager"), "en")
    assert run.rows == len(HOSTILE_IDS)
    assert_inert(cells(run.results))
    assert_inert(cells(run.errors))
    assert_inert(cells(template_csv()))
    assert list(_frame(run.results)["customer_id"]) == HOSTILE_IDS
    assert "=1+1" in set(_frame(run.errors)["value"])
