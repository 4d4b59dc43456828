"""Bad requests to ``sales-expert backtest`` exit 2 with a message naming the option, the value
and what is allowed, in English and in Chinese, before any file or database is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.audit.store import AuditStore
from engine.cli import main

BAD = [
    (
        ["--from", "2025-13-01"],
        "--from: “2025-13-01” is not a date: give YYYY-MM-DD",
        "--from: “2025-13-01”不是日期：请按 YYYY-MM-DD 填写",
    ),
    (
        ["--from", "2025-W01-1"],
        "--from: “2025-W01-1” is not a date: give YYYY-MM-DD",
        "--from: “2025-W01-1”不是日期",
    ),
    (
        ["--to", "31/03/2025"],
        "--to: “31/03/2025” is not a date: give YYYY-MM-DD",
        "--to: “31/03/2025”不是日期",
    ),
    (
        ["--from", "2025-04-01", "--to", "2025-03-31"],
        "--from: the period starts on 2025-04-01, after it ends (--to 2025-03-31)",
        "--from: 起始日期 2025-04-01 晚于结束日期（--to 2025-03-31）",
    ),
    (
        ["--module", "sales"],
        "--module: “sales” is not a module the back-test measures; allowed: credit, grading, "
        "collection, closing",
        "--module: “sales”不是回测支持的模块，可选：credit、grading、collection、closing",
    ),
    (
        ["--channel", "fax"],
        "--channel: “fax” is not a channel; allowed: cli, api, ui, batch, demo",
        "--channel: “fax”不是渠道，可选：cli、api、ui、batch、demo",
    ),
    (
        ["--cost-bad", "-1"],
        "--cost-bad: “-1” is not a cost: give a number, 0 or more",
        "--cost-bad: “-1”不是有效的成本：请填写不小于 0 的数",
    ),
    (
        ["--cost-good-rejected", "nan"],
        "--cost-good-rejected: “nan” is not a cost",
        "--cost-good-rejected: “nan”不是有效的成本",
    ),
    (
        ["--book", "results.csv"],
        "--book: --book and --outcomes go together",
        "--book: --book 与 --outcomes 须同时提供",
    ),
    (
        ["--book", "r.csv", "--outcomes", "o.csv", "--channel", "api"],
        "--channel: selects consultations in the audit database; it does not apply with --book",
        "--channel: 该选项用于筛选审计数据库中的咨询，不能与 --book 同时使用",
    ),
    (
        ["--db", "sqlite:////nowhere/audit.db"],
        "--db: no audit database at “sqlite:////nowhere/audit.db”",
        "--db: “sqlite:////nowhere/audit.db”处没有审计数据库",
    ),
    (
        ["--module", "grading", "--db", "sqlite:////nowhere/audit.db"],
        "--db: no audit database at “sqlite:////nowhere/audit.db”",
        "--db: “sqlite:////nowhere/audit.db”处没有审计数据库",
    ),
    (
        ["--module", "closing", "--book", "r.csv", "--outcomes", "o.csv", "--from", "2025-01-01"],
        "--from: selects consultations in the audit database; it does not apply with --book",
        "--from: 该选项用于筛选审计数据库中的咨询，不能与 --book 同时使用",
    ),
    (
        ["--db", "mysql://localhost/audit"],
        "--db: “mysql://localhost/audit” is not a database URL: give `sqlite:///FILE`",
        "--db: “mysql://localhost/audit”不是数据库地址：请使用 `sqlite:///FILE`",
    ),
]


@pytest.mark.parametrize(("argv", "english", "chinese"), BAD, ids=[b[0][0] for b in BAD])
def test_a_bad_option_exits_2_naming_it_in_both_languages(
    argv: list[str], english: str, chinese: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", *argv]) == 2
    err = capsys.readouterr().err
    assert english in err, err
    assert main(["backtest", *argv, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert chinese in err, err
    assert "(got" not in err  # no English tail on a Chinese message


def test_an_unknown_version_names_the_recorded_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SALES_EXPERT_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    AuditStore(url).close()  # an empty store: no rule base recorded
    assert main(["backtest", "--db", url, "--version", "abc123"]) == 2
    assert "--version: no rule base “abc123” is recorded" in capsys.readouterr().err
    assert main(["backtest", "--db", url, "--version", "abc123", "--lang", "zh"]) == 2
    assert (
        "审计数据库中没有规则库版本“abc123”，已记录的版本（最新在前）：—" in capsys.readouterr().err
    )


def test_a_bad_option_is_reported_before_the_database_is_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad date with a database that does not exist: the date is what is wrong first, and
    nothing is created."""
    missing = tmp_path / "none" / "audit.db"
    assert main(["backtest", "--db", f"sqlite:///{missing}", "--from", "yesterday"]) == 2
    assert "--from: “yesterday” is not a date" in capsys.readouterr().err
    assert not missing.parent.exists()


def test_an_empty_store_gives_empty_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SALES_EXPERT_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    AuditStore(url).close()
    assert main(["backtest", "--db", url, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"n": 0' in out and '"auc": null' in out
    assert main(["backtest", "--db", url]) == 0
    assert "Credit back-test: 0 customers" in capsys.readouterr().out
    assert main(["backtest", "--module", "closing", "--db", url, "--json"]) == 0
    out = capsys.readouterr().out
    assert '"n": 0' in out and '"not_closing_rows": 0' in out
    assert main(["backtest", "--module", "grading", "--db", url, "--lang", "zh"]) == 0
    assert "客户分级回测：有结果的客户 0 个" in capsys.readouterr().out
