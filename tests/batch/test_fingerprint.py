"""Issue 19, batch: a run is the whole input file's. An edited book (CSV or Parquet) never
resumes on the old book's rows nor reports "already complete"; nor does a run whose results
file was deleted or edited since. Real files, the real command (``engine.cli.main``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.batch import BatchOptions, run_batch
from engine.batch.table import fingerprint
from tests.batch.conftest import Cli
from tests.batch.test_batch import read_csv, write_book

OLD_WINDOW = 1 << 16
"""The old fingerprint hashed the size and the first and last 64 KiB only."""


def batch(cli: Cli, source: Path, out: Path, *more: object) -> tuple[int, str, str]:
    return cli("batch", source, "--out", out, "--workers", 1, "--no-record", *more)


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Rewrite the CSV book with one cell of data row ``row`` (from 1; -1: the last) changed."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_the_fingerprint_is_a_hash_of_every_byte(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_bytes(b"x" * (3 * OLD_WINDOW + 5))
    before = fingerprint(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] = ord("y")  # the middle, same size: what the old fingerprint missed
    path.write_bytes(bytes(data))
    assert fingerprint(path) != before
    assert len(before) == 64  # the full SHA-256


@pytest.mark.parametrize("where", ["last row", "middle row, same size"])
def test_an_edited_book_is_not_already_complete(cli: Cli, tmp_path: Path, where: str) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.csv"
    write_book(source, 400 if where.startswith("middle") else 30, seed=5)
    code, stdout, stderr = batch(cli, source, out)
    assert code == 0, stderr
    before = read_csv(out)
    row = -1 if where == "last row" else 200
    old_id = before[row if row < 0 else row - 1]["customer_id"]
    new_id = ("X" if old_id[0] != "X" else "Y") + old_id[1:]
    size = source.stat().st_size
    edit_cell(source, row, "customer.id", new_id)
    assert source.stat().st_size == size
    if row > 0:  # the edit lies where the old fingerprint did not look
        offset = source.read_bytes().index(new_id.encode())
        assert OLD_WINDOW < offset < size - OLD_WINDOW
    code, stdout, stderr = batch(cli, source, out)
    assert code == 0, stderr
    assert "already complete" not in stdout and "resumed" not in stdout  # started afresh
    after = read_csv(out)
    assert [r["row"] for r in after] == [r["row"] for r in before]
    assert after[row if row < 0 else row - 1]["customer_id"] == new_id
    assert after[0]["consultation_id"] != before[0]["consultation_id"]  # another run key


class Stop(Exception):
    """Stands for a kill right after the first checkpoint."""


def _stop(done: int, total: int) -> None:
    raise Stop


@pytest.mark.parametrize("edited", [False, True], ids=["same book", "edited last row"])
def test_a_partial_run_resumes_only_on_the_same_book(
    cli: Cli, tmp_path: Path, edited: bool
) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.csv"
    write_book(source, 30, seed=5)
    options = BatchOptions(input=source, out=out, workers=1, chunk_rows=5, record=False)
    with pytest.raises(Stop):
        run_batch(options, stream=io.StringIO(), on_progress=_stop)
    saved = json.loads(options.checkpoint_path.read_text(encoding="utf-8"))
    assert (saved["rows_done"], saved["complete"]) == (20, False)
    if edited:
        edit_cell(source, -1, "customer.id", "EDITED-30")
    code, stdout, stderr = batch(cli, source, out, "--chunk-rows", 5)
    assert code == 0, stderr
    assert ("resumed" not in stdout) if edited else ("resumed after row 20" in stdout)
    rows = read_csv(out)
    assert [int(r["row"]) for r in rows] == list(range(1, 31))  # each row once
    assert (rows[-1]["customer_id"] == "EDITED-30") is edited


def _parquet_book(csv_book: Path, path: Path, last_id: str | None = None) -> None:
    with csv_book.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if last_id is not None:
        rows[-1]["customer.id"] = last_id
    pq.write_table(pa.Table.from_pylist(rows), path)


def test_an_edited_parquet_book_is_not_already_complete(cli: Cli, tmp_path: Path) -> None:
    book, source, out = tmp_path / "book.csv", tmp_path / "book.parquet", tmp_path / "r.parquet"
    write_book(book, 20, seed=5)
    _parquet_book(book, source)
    assert batch(cli, source, out)[0] == 0
    assert "already complete" in batch(cli, source, out)[1]
    _parquet_book(book, source, last_id="EDITED-20")
    code, stdout, stderr = batch(cli, source, out)
    assert code == 0, stderr
    assert "already complete" not in stdout
    assert pq.read_table(out).to_pylist()[-1]["customer_id"] == "EDITED-20"


@pytest.mark.parametrize("change", ["deleted", "edited"])
def test_results_changed_since_the_run_are_not_already_complete(
    cli: Cli, tmp_path: Path, change: str
) -> None:
    source, out = tmp_path / "book.csv", tmp_path / "results.csv"
    write_book(source, 12, seed=5)
    assert batch(cli, source, out)[0] == 0
    expected = out.read_bytes()
    if change == "deleted":
        out.unlink()
    else:
        out.write_bytes(expected[: len(expected) // 2])
    code, stdout, stderr = batch(cli, source, out)
    assert code == 0, stderr
    assert "already complete" not in stdout
    assert out.read_bytes() == expected
