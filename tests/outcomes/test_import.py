"""Importing an outcomes file (CSV, Parquet): counts (rows in = ok + failed + already recorded),
the errors file (row, field, value, message; spreadsheet-safe), idempotency on SQLite and
PostgreSQL, and the files refused whole before anything is written."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.audit.store import AuditStore
from engine.errors import InputError
from engine.outcomes.importer import ImportOptions, import_outcomes, summary_text
from engine.outcomes.table import MAX_FILE_BYTES, OutcomesFileError
from tests.outcomes.conftest import MANAGER, Clock, consulted

HEADER = "consultation_id,customer_id,module,outcome,observed_at,days_late,amount_recovered,"
HEADER += "days_to_recover,repeat_purchase,revenue,note\n"
FORMULA = "=cmd|' /C calc'!A0"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def book(tmp_path: Path) -> Path:
    """Seven data rows: two good, a duplicate of the first, three bad, one empty."""
    return write(
        tmp_path / "outcomes.csv",
        HEADER
        + "1,,credit,paid_late,2025-03-31,12,,,,,\n"
        + "1,,credit,paid_late,2025-03-31, 12 ,,,,,\n"
        + ",C-1,collection,recovered,2025-04-30,,18000,45,,,partly\n"
        + "1,,credit,paid_late,2025-03-31,,,,,,\n"
        + f",{FORMULA},credit,defaulted,2025-03-31,,,,,,\n"
        + ",,,,,,,,,,\n"
        + '1,,grading,purchases,2025-03-31,,,,yes,"640,000",\n',
    )


def seeded(store: AuditStore, clock: Clock) -> None:
    clock.at("2025-01-10")
    assert consulted(store, "credit", "C-1") == 1
    assert consulted(store, "collection", "C-1") == 2


def test_an_import_counts_every_row_and_a_second_one_records_nothing(
    store: AuditStore, clock: Clock, tmp_path: Path
) -> None:
    seeded(store, clock)
    source = book(tmp_path)
    options = ImportOptions(source)
    summary = import_outcomes(store, options, MANAGER)
    counts = (summary.rows_in, summary.ok, summary.failed, summary.duplicates)
    assert counts == (6, 2, 3, 1)
    assert summary.rows_in == summary.ok + summary.failed + summary.duplicates
    assert (summary.first_id, summary.last_id) == (3, 4)
    assert [(r.id, r.ref_id, r.decision) for r in store.list_records()][:2] == [
        (4, 2, "recovered"),
        (3, 1, "paid_late"),
    ]
    assert store.get(3).payload["source"] == {"file": "outcomes.csv", "row": 1}  # type: ignore[index]
    assert store.get(4).payload["outcome"]["note"] == "partly"  # type: ignore[index]
    assert options.errors_path == tmp_path / "outcomes.errors.csv"
    expected = [
        ["row", "field", "value", "message"],
        ["4", "days_late", "", "is required when the outcome is “paid late”"],
        [
            "5",
            "customer_id",
            "'" + FORMULA,  # neutralised: a spreadsheet shows it, never runs it
            "this customer has no consultation of this module recorded before 2025-03-31",
        ],
        [
            "7",
            "revenue",
            "640,000",
            "must be a number, such as 12500 or 12500.5 (no thousands separators)",
        ],
    ]
    assert errors_of(options.errors_path) == expected
    text = summary_text(summary, "en")
    assert text.splitlines()[0] == "rows in 6 = ok 2 + failed 3 (+ 1 already recorded)"
    assert "Recorded as audit records 3 to 4." in text and "outcomes.errors.csv" in text

    again = import_outcomes(store, options, MANAGER)
    assert (again.rows_in, again.ok, again.failed, again.duplicates) == (6, 0, 3, 3)
    assert again.first_id is None and store.count() == 4
    assert errors_of(options.errors_path) == expected  # written afresh, not appended
    assert (
        summary_text(again, "zh").splitlines()[0] == "输入 6 行 = 成功 0 + 失败 3（+ 已记录过 3）"
    )
    assert store.verify().ok


def test_a_parquet_file_with_typed_columns(store: AuditStore, clock: Clock, tmp_path: Path) -> None:
    seeded(store, clock)
    table = pa.table(
        {
            "consultation_id": pa.array([1, 1, None], pa.int64()),
            "customer_id": pa.array([None, None, "C-1"], pa.string()),
            "module": ["credit", "grading", "collection"],
            "outcome": ["written_off", "purchases", "legal"],
            "observed_at": pa.array([date(2025, 5, 1)] * 3, pa.date32()),
            "amount_lost": pa.array([12_500.5, None, None], pa.float64()),
            "repeat_purchase": pa.array([None, True, None], pa.bool_()),
            "revenue": pa.array([None, 99_000.0, None], pa.float64()),
        }
    )
    source = tmp_path / "outcomes.parquet"
    pq.write_table(table, source)
    summary = import_outcomes(store, ImportOptions(source), MANAGER)
    assert (summary.rows_in, summary.ok, summary.failed) == (3, 3, 0)
    facts = [store.get(i).payload["outcome"] for i in (3, 4, 5)]  # type: ignore[index]
    assert facts[0]["amount_lost"] == 12_500.5 and facts[0]["observed_at"] == "2025-05-01"
    assert (facts[1]["repeat_purchase"], facts[1]["revenue"]) == (True, 99_000.0)
    assert store.get(5).ref_id == 2
    assert import_outcomes(store, ImportOptions(source), MANAGER).duplicates == 3


def test_an_extra_cell_and_blank_rows(store: AuditStore, clock: Clock, tmp_path: Path) -> None:
    seeded(store, clock)
    source = write(
        tmp_path / "o.csv",
        "consultation_id,module,outcome,observed_at\n"
        "\n"
        "1,credit,paid_on_time,2025-03-31,surprise\n"
        ",,,\n"
        "1,credit,defaulted,2025-03-31\n",
    )
    summary = import_outcomes(store, ImportOptions(source, tmp_path / "bad.csv"), MANAGER)
    assert (summary.rows_in, summary.ok, summary.failed) == (2, 1, 1)
    assert errors_of(tmp_path / "bad.csv")[1:] == [
        ["2", "(row)", "", "the row has more cells than the header has columns"]
    ]
    assert store.get(3).payload["source"]["row"] == 4  # type: ignore[index]


def refused(source: Path, tmp_path: Path, errors: Path | None = None, **options: object) -> str:
    with AuditStore(f"sqlite:///{tmp_path / 'refused.db'}") as store:
        with pytest.raises(OutcomesFileError) as caught:
            import_outcomes(store, ImportOptions(source, errors, **options), MANAGER)  # type: ignore[arg-type]
        assert store.count() == 0
    assert isinstance(caught.value, InputError)  # the CLI exits 2 on it
    return str(caught.value)


def test_the_header_is_checked_whole(tmp_path: Path) -> None:
    message = refused(
        write(tmp_path / "o.csv", "consultation_id,module,outcome,observed_on\n"), tmp_path
    )
    assert "unknown column 'observed_on' (did you mean observed_at?)" in message
    assert "the required column observed_at is missing" in message
    message = refused(write(tmp_path / "o.csv", "module,outcome,observed_at,module\n"), tmp_path)
    assert "the column module appears twice" in message
    assert "`consultation_id` column, a `customer_id` column, or both" in message
    assert "the file is empty" in refused(write(tmp_path / "o.csv", ""), tmp_path)
    assert not (tmp_path / "o.errors.csv").exists()


def test_a_file_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    source = tmp_path / "o.csv"
    head = b"consultation_id,module,outcome,observed_at\n1,credit,paid_on_time,2025-01-01\n"
    source.write_bytes(head + b"1,credit,\xff\n")
    assert f"the byte 0xff at offset {len(head) + 9} cannot be decoded" in refused(source, tmp_path)


def test_size_and_form_limits(tmp_path: Path) -> None:
    source = write(tmp_path / "o.csv", "consultation_id,module,outcome,observed_at\n")
    assert MAX_FILE_BYTES >= 100_000_000
    assert "larger than 10 bytes" in refused(source, tmp_path, limit=10)
    huge = write(tmp_path / "h.csv", "consultation_id,module,outcome,observed_at,note\n")
    huge.write_text(huge.read_text() + "1,credit,legal,2025-01-01," + "x" * 200_000 + "\n")
    assert "not a valid CSV file at line 2" in refused(huge, tmp_path)
    fake = write(tmp_path / "o.parquet", "consultation_id,module\n")
    assert "not a readable Parquet file" in refused(fake, tmp_path)
    assert "no such file" in refused(tmp_path / "missing.csv", tmp_path)


def test_the_errors_file_is_never_the_input(tmp_path: Path) -> None:
    text = "consultation_id,module,outcome,observed_at\n1,credit,legal,2025-01-01\n"
    source = write(tmp_path / "o.csv", text)
    message = refused(source, tmp_path, source)
    assert "the outcomes file and the errors file are the same file" in message
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    assert "the same file" in refused(source, tmp_path, link)
    assert source.read_text() == text  # untouched
    (tmp_path / "dir").mkdir()
    assert "is a directory" in refused(source, tmp_path, tmp_path / "dir")


def test_the_summary_and_errors_in_chinese(store: AuditStore, clock: Clock, tmp_path: Path) -> None:
    seeded(store, clock)
    source = write(tmp_path / "o.csv", HEADER + "1,,credit,paid_late,2025-03-31,,,,,,\n")
    summary = import_outcomes(store, ImportOptions(source, lang="zh"), MANAGER)
    rows = errors_of(tmp_path / "o.errors.csv")
    assert rows[1] == ["1", "days_late", "", "结果为“逾期付款”时必填"]
    assert summary_text(summary, "zh").splitlines() == [
        "输入 1 行 = 成功 0 + 失败 1（+ 已记录过 0）",
        f"失败行的问题见：{tmp_path / 'o.errors.csv'}",
    ]


def test_errors_value_is_cut_to_an_excerpt(store: AuditStore, clock: Clock, tmp_path: Path) -> None:
    seeded(store, clock)
    source = write(
        tmp_path / "o.csv",
        "customer_id,module,outcome,observed_at\n" + f"{'Z' * 500},credit,legal,2025-03-31\n",
    )
    import_outcomes(store, ImportOptions(source), MANAGER)
    [_, row] = errors_of(tmp_path / "o.errors.csv")
    assert row[1] == "customer_id" and len(row[2]) == 200 and row[2].endswith("…")
    assert row[3] == "must have at most 64 characters"
