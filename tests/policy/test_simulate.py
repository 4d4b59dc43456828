"""``policy simulate`` on a generated credit book (``tests/books.py``), checked from outside.

Every figure of the report is recomputed here from the generated cases themselves: each case is
run through ``default_engine()`` and ``engine_with(values, rules_off)`` directly (not through
the book file, the batch reader or the workers), and the migration matrices, changed counts,
approval rates, total limits and bad rates are counted from those answers. The refusals are
pinned word for word in both languages.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.audit.store import AuditStore
from engine.batch.mapping import case_to_row
from engine.calibrate import CalibrateError, engine_with
from engine.cli_policy_simulate import add_simulate
from engine.core import Engine
from engine.intake import parse_case
from engine.lint_language import problems
from engine.outcomes.model import COLUMNS
from engine.policy.change import PolicyChange, PolicyChangeError
from engine.policy.drafts import create_draft, set_parameter
from engine.policy.model import Who
from engine.policy.simulate import simulate
from engine.policy.tally import COMPARED, SAMPLE_ROWS
from engine.shared import default_engine
from knowledge_base import load_knowledge
from tests.books import generate_book, write_csv
from tests.overlays import proposal
from tests.overlays import write_overlay as write_file

ROWS, SEED = 240, 11
HIGH = "credit.risk_high_min_score"
CUT = {HIGH: 55.0}
RULE_OFF = "CR-104"
"""Refer: high risk. Switched off, a case it alone referred has no credit decision."""
APPROVALS = ("approve", "approve_with_conditions")
BAD_ROWS = 2
Answers = dict[str, Any]


@dataclass(frozen=True)
class Book:
    path: Path
    outcomes: Path
    cases: list[dict[str, Any] | None]
    """By row number - 1: the case of each row, None for the rows written to fail."""
    bad: dict[str, bool]
    """Customer id → went bad (the outcomes file says so)."""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The generated book, two rows that fail validation, a customer who comes twice (the
    outcome belongs to the last row), and every customer's true outcome."""
    folder = tmp_path_factory.mktemp("simulate")
    generated = generate_book(ROWS, SEED)
    cases: list[dict[str, Any] | None] = [r.case for r in generated]
    again = dict(generated[7].case, customer=dict(generated[3].case["customer"]))
    cases.insert(60, again)  # customer 3 again, with customer 7's credit request
    rows = [case_to_row(c) for c in cases if c is not None]
    rows.insert(30, case_to_row(generated[5].case) | {"customer.annual_purchases": "lots"})
    rows.insert(90, case_to_row(generated[6].case) | {"credit.requested_amount": "-5"})
    cases.insert(30, None)
    cases.insert(90, None)
    path = write_csv(folder / "book.csv", rows)
    bad = {r.case["customer"]["id"]: r.bad for r in generated}
    told = [
        {"customer_id": r.case["customer"]["id"], "module": "credit", "observed_at": "2024-12-31"}
        | {"outcome": "defaulted" if r.bad else "paid_on_time"}
        for r in generated
    ]
    outcomes = write_csv(folder / "outcomes.csv", told, list(COLUMNS))
    return Book(path, outcomes, cases, bad)


def answers(engine: Engine, case: dict[str, Any]) -> Answers:
    found = engine.infer(parse_case(case), trace=False).one_valued
    return {topic: found[topic].value if topic in found else None for topic in COMPARED} | {
        "risk_score": found["risk_score"].value if "risk_score" in found else None,
        "decision_rules": found["credit_decision"].rules if "credit_decision" in found else [],
    }


def recompute(book: Book, challenger: Engine) -> list[tuple[int, Answers, Answers]]:
    """(row, champion's answers, challenger's answers) of every row that runs."""
    champion = default_engine()
    return [
        (number, answers(champion, case), answers(challenger, case))
        for number, case in enumerate(book.cases, 1)
        if case is not None
    ]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: object) -> tuple[int, str, str]:
        parser = argparse.ArgumentParser()
        add_simulate(parser.add_subparsers())
        args = parser.parse_args(["simulate", *(str(a) for a in argv)])
        code: int = args.func(args)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="module")
def cut(book: Book, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The report of a higher high-risk cut-off (40 → 55 points), with outcomes, 1 worker."""
    errors = tmp_path_factory.mktemp("errors") / "errors.csv"
    change = PolicyChange(CUT)
    return simulate(book.path, change, book.outcomes, "en", 1, None, errors=errors)


@pytest.fixture(scope="module")
def cut_truth(book: Book) -> list[tuple[int, Answers, Answers]]:
    return recompute(book, engine_with(CUT))


def topic(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in report["topics"] if t["topic"] == name)


def matrix(report: dict[str, Any], name: str) -> Counter[tuple[Any, Any]]:
    return Counter({(c["from"], c["to"]): c["n"] for c in topic(report, name)["matrix"]})


# ------------------------------------------------------------------ one credit cut-off moved


def test_the_counts_and_the_errors_file(book: Book, cut: dict[str, Any]) -> None:
    rows = len(book.cases)
    assert (cut["rows_in"], cut["ok"], cut["failed"]) == (rows, rows - BAD_ROWS, BAD_ROWS)
    with open(cut["errors_file"], encoding="utf-8", newline="") as handle:
        listed = list(csv.DictReader(handle))
    assert {int(r["row"]) for r in listed} == {31, 91}
    assert {r["field"] for r in listed} == {
        "customer.annual_purchases",
        "credit.requested_amount",
    }


def test_a_cutoff_moves_exactly_the_rows_in_its_band(
    cut: dict[str, Any], cut_truth: list[tuple[int, Answers, Answers]]
) -> None:
    """Only scores from 40 to under 55 change their risk level (high → medium), and only they
    can change their decision; the matrices and counts equal the recomputation's."""
    band = {
        n for n, a, _ in cut_truth if a["risk_score"] is not None and 40 <= a["risk_score"] < 55
    }
    moved = {n for n, a, b in cut_truth if a["risk_level"] != b["risk_level"]}
    assert moved == band and band
    decided = {n for n, a, b in cut_truth if a["credit_decision"] != b["credit_decision"]}
    assert decided and decided <= band
    for name in COMPARED:
        pairs = Counter((a[name], b[name]) for _, a, b in cut_truth)
        pairs.pop((None, None), None)
        changed = sum(n for (before, after), n in pairs.items() if before != after)
        assert topic(cut, name)["changed"] == changed, name
        assert topic(cut, name)["concluded"] == sum(pairs.values()), name
        if topic(cut, name)["kind"] == "category":
            assert matrix(cut, name) == pairs, name
    assert matrix(cut, "risk_level")[("high", "medium")] == len(band)
    any_change = [n for n, a, b in cut_truth if any(a[t] != b[t] for t in COMPARED)]
    assert cut["changed_rows"] == len(any_change)
    assert cut["changed_share"] == len(any_change) / cut["ok"]
    assert [row["row"] for row in cut["sample"]] == any_change[:SAMPLE_ROWS]
    referred = [r for r in cut["sample"] if r["changes"][0]["champion"] == "refer"]
    assert referred and all(r["reasons"]["champion"] for r in referred)
    assert all(r["text"].startswith(r["rule"]) for r in referred[0]["reasons"]["champion"])


def test_approval_rates_and_total_limits_are_the_sums(
    cut: dict[str, Any], cut_truth: list[tuple[int, Answers, Answers]]
) -> None:
    for side, name in ((0, "champion"), (1, "challenger")):
        got = cut["policies"][name]
        both = [(a, b) for _, a, b in cut_truth]
        decisions = [pair[side]["credit_decision"] for pair in both]
        credit = sum(d is not None for d in decisions)
        approved = sum(d in APPROVALS for d in decisions)
        limits = [pair[side]["recommended_limit"] for pair in both]
        assert (got["credit_consultations"], got["approved"]) == (credit, approved)
        assert got["approval_rate"] == approved / credit
        assert got["total_recommended_limit"] == sum(v for v in limits if v is not None)
    assert cut["policies"]["challenger"]["approved"] > cut["policies"]["champion"]["approved"]


def test_bad_rates_with_outcomes_are_the_counts(
    book: Book, cut: dict[str, Any], cut_truth: list[tuple[int, Answers, Answers]]
) -> None:
    """Each customer's outcome belongs to its last row with a credit decision."""
    last: dict[str, tuple[Answers, Answers]] = {}
    for number, a, b in cut_truth:
        case = book.cases[number - 1]
        assert case is not None
        if a["credit_decision"] is not None or b["credit_decision"] is not None:
            last[case["customer"]["id"]] = (a, b)
    got = cut["outcomes"]
    assert (got["linked_rows"], got["unmatched"], got["invalid_outcomes"]) == (len(last), 0, 0)
    for side, name in ((0, "champion"), (1, "challenger")):
        judged = [(pair[side]["credit_decision"], book.bad[c]) for c, pair in last.items()]
        approved = [bad for decision, bad in judged if decision in APPROVALS]
        rejected_good = sum(
            1 for d, bad in judged if d is not None and d not in APPROVALS and not bad
        )
        assert got[name]["approved_with_outcome"] == len(approved)
        assert got[name]["bad"] == sum(approved)
        assert got[name]["bad_rate"] == sum(approved) / len(approved)
        assert got[name]["cost"] == 5.0 * sum(approved) + 1.0 * rejected_good


def test_two_workers_give_the_same_report(book: Book, cut: dict[str, Any], tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    twice = simulate(
        book.path,
        PolicyChange(CUT),
        book.outcomes,
        "en",
        2,
        lambda done, total: seen.append((done, total)),
        errors=tmp_path / "errors.csv",
        chunk_rows=10,  # 25 chunks, 4 windows: the sample fills across windows
    )
    strip = ("seconds", "errors_file")
    assert {k: v for k, v in twice.items() if k not in strip} == {
        k: v for k, v in cut.items() if k not in strip
    }
    assert seen[0][0] == 0 and seen[-1][0] == len(book.cases)
    assert Path(cut["errors_file"]).read_bytes() == (tmp_path / "errors.csv").read_bytes()


# ------------------------------------------------------------------ a rule switched off


def test_switching_a_rule_off_changes_what_it_decided_alone(book: Book) -> None:
    report = simulate(book.path, PolicyChange({}, frozenset({RULE_OFF})), None, "en", 1, None)
    truth = recompute(book, engine_with({}, {RULE_OFF}))
    alone = {n for n, a, _ in truth if a["decision_rules"] == [RULE_OFF]}
    changed = {n for n, a, b in truth if a["credit_decision"] != b["credit_decision"]}
    assert changed == alone and alone
    assert all(b["credit_decision"] is None for n, _, b in truth if n in alone)
    pairs = Counter((a["credit_decision"], b["credit_decision"]) for _, a, b in truth)
    pairs.pop((None, None), None)
    assert matrix(report, "credit_decision") == pairs
    assert matrix(report, "credit_decision")[("refer", None)] == len(alone)
    assert report["change"] == {"values": {}, "rules_off": [RULE_OFF], "source": None}
    assert report["versions"]["challenger"] != report["versions"]["champion"]


def test_an_engine_is_built_once_per_change() -> None:
    assert engine_with({}) is default_engine()
    assert engine_with({HIGH: load_knowledge().param(HIGH)}) is default_engine()
    first = engine_with({HIGH: 55, "credit.risk_medium_min_score": 20}, ["CR-104", "CR-106"])
    again = engine_with({"credit.risk_medium_min_score": 20.0, HIGH: 55.0}, ("CR-106", "CR-104"))
    assert first is again


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("change", "en", "zh"),
    [
        (
            PolicyChange({"credit.risk_high_min_scor": 50}),
            "unknown parameter `credit.risk_high_min_scor`: the rule base has no parameter of "
            "that name; did you mean `credit.risk_high_min_score`, "
            "`credit.risk_very_high_min_score`, `credit.risk_medium_min_score`?",
            "未知参数 `credit.risk_high_min_scor`：规则库中没有该名称的参数；是否指 "
            "`credit.risk_high_min_score`、`credit.risk_very_high_min_score`、"
            "`credit.risk_medium_min_score`？",
        ),
        (
            PolicyChange({HIGH: 5000}),
            "high risk score threshold: 5,000 points is outside the allowed range, from 0 to "
            "1,000 points",
            "参数“高风险评分门槛”：5,000分 超出允许范围（0至1,000分）",
        ),
        (
            PolicyChange({HIGH: float("nan")}),
            "high risk score threshold: the value must be a finite number, got nan",
            "参数“高风险评分门槛”：取值须为有限的数字，实为 nan",
        ),
        (
            PolicyChange({}, frozenset({"CR-999"})),
            "unknown rule `CR-999`: the rule base has no rule with that id "
            "(did you mean `CR-099`?)",
            "未知规则 `CR-999`：规则库中没有该编号的规则（是否指 `CR-099`？）",
        ),
    ],
)
def test_a_bad_change_is_refused_naming_it(change: PolicyChange, en: str, zh: str) -> None:
    for lang, want in (("en", en), ("zh", zh)):
        with pytest.raises(PolicyChangeError) as caught:
            change.check(lang)
        assert str(caught.value) == want


def test_engine_with_refuses_an_unknown_rule_by_name() -> None:
    for lang, want in (
        ("en", "unknown rule `XX-1`: the rule base has no rule with that id"),
        ("zh", "未知规则 `XX-1`：规则库中没有该编号的规则"),
    ):
        with pytest.raises(CalibrateError) as caught:
            engine_with({}, {"XX-1"}, lang=lang)
        assert str(caught.value) == want


def test_simulate_refuses_a_bad_change_before_any_row(book: Book, tmp_path: Path) -> None:
    errors = tmp_path / "errors.csv"
    with pytest.raises(PolicyChangeError):
        simulate(book.path, PolicyChange({HIGH: -1}), None, "en", 1, None, errors=errors)
    assert not errors.exists()


def write_overlay(path: Path, parameters: dict[str, Any]) -> Path:
    return write_file(path, {name: proposal(value) for name, value in parameters.items()})


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_overlay(tmp_path_factory.mktemp("overlay") / "overlay.yaml", CUT)


@pytest.mark.parametrize(
    ("argv", "en", "zh"),
    [
        (
            ["--book", "{book}"],
            "give the change to simulate: --overlay FILE (a parameter overlay, as `sales-expert "
            "calibrate --out` writes) or the name of a DRAFT",
            "请给出要模拟的变更：--overlay FILE（参数覆盖文件，即 `sales-expert calibrate --out` "
            "写出的文件）或草案名称 DRAFT",
        ),
        (
            ["q3", "--overlay", "{overlay}", "--book", "{book}"],
            "give the change once: --overlay FILE or the name of a DRAFT, not both",
            "只能给出一种变更：--overlay FILE 或草案名称 DRAFT，不能同时给出",
        ),
        (
            ["--overlay", "{overlay}"],
            "give the book to simulate: --book BOOK (an input book as `sales-expert batch` reads "
            "it, CSV or Parquet)",
            "请给出要模拟的客户名单：--book BOOK（即 `sales-expert batch` 读取的输入名单，"
            "CSV 或 Parquet）",
        ),
        (
            ["--overlay", "{overlay}", "--book", "{folder}/nope.csv"],
            "--book {folder}/nope.csv: no such file",
            "--book {folder}/nope.csv：文件不存在",
        ),
        (
            ["--overlay", "{overlay}", "--book", "{book}", "--workers", "0"],
            "--workers 0: give a whole number from 1 to 64",
            "--workers 0：请填写 1 至 64 之间的整数",
        ),
        (
            ["--overlay", "{overlay}", "--book", "{book}", "--cost-bad", "-1"],
            "--cost-bad: “-1” is not a cost: give a number, 0 or more",
            "--cost-bad: “-1”不是有效的成本：请填写不小于 0 的数",
        ),
        (
            ["--overlay", "{overlay}", "--book", "{book}", "--errors", "{book}"],
            "--errors {book} is the file of --book: give another file for the errors",
            "--errors {book} 与 --book 是同一文件：请为错误记录另选文件",
        ),
        (
            ["--overlay", "{folder}/unknown.yaml", "--book", "{book}"],
            "{folder}/unknown.yaml: unknown parameter `credit.nope`: the rule base has no "
            "parameter of that name; did you mean `credit.months_per_year`?",
            "{folder}/unknown.yaml: 未知参数 `credit.nope`：规则库中没有该名称的参数；"
            "是否指 `credit.months_per_year`？",
        ),
        (
            ["--overlay", "{folder}/range.yaml", "--book", "{book}"],
            "{folder}/range.yaml: high risk score threshold: 5,000 points is outside the allowed "
            "range, from 0 to 1,000 points",
            "{folder}/range.yaml: 参数“高风险评分门槛”：5,000分 超出允许范围（0至1,000分）",
        ),
    ],
)
def test_a_bad_request_exits_2_naming_it(
    argv: list[str], en: str, zh: str, book: Book, overlay: Path, tmp_path: Path, cli: Any
) -> None:
    write_overlay(tmp_path / "unknown.yaml", {"credit.nope": 3})
    write_overlay(tmp_path / "range.yaml", {HIGH: 5000})
    places = {"book": book.path, "overlay": overlay, "folder": tmp_path}
    args = [a.format(**places) for a in argv]
    for lang, want in (("en", en), ("zh", zh)):
        code, out, err = cli(*args, "--lang", lang)
        assert (code, out) == (2, "")
        assert err == f"error: {want.format(**places)}\n"
    assert not (tmp_path / "nope.csv.simulate-errors.csv").exists()


def test_a_draft_in_the_audit_database_is_the_challenger(
    cli: Any, book: Book, tmp_path: Path
) -> None:
    """A draft written through the workbench's API in a real SQLite file, simulated by name."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    admin = Who("ada", "admin")
    with AuditStore(url) as store:
        create_draft(store, "q3", admin, "a looser high-risk band")
        set_parameter(store, "q3", HIGH, CUT[HIGH], admin, "approve more of the medium band")
    small = tmp_path / "small.csv"
    small.write_text("".join(book.path.read_text(encoding="utf-8").splitlines(True)[:21]))
    argv = ("--book", small, "--db", url, "--json", "--workers", "1")
    code, out, _ = cli("q3", *argv, "--lang", "zh")
    report = json.loads(out)
    assert code == 0 and report["change"]["source"] == "草案“q3”"
    by_overlay = json.loads(
        cli("--overlay", write_overlay(tmp_path / "overlay.yaml", CUT), *argv)[1]
    )
    assert report["rows_in"] == 20 and report["changed_rows"] == by_overlay["changed_rows"] > 0
    assert cli("nope", *argv) == (2, "", "error: no draft named 'nope'; drafts: q3\n")
    elsewhere = tmp_path / "none.db"
    refused = "error: --db sqlite:///{}: no audit database there: give the URL of the database"
    code, _, err = cli("q3", "--book", small, "--db", f"sqlite:///{elsewhere}")
    assert code == 2 and err.startswith(refused.format(elsewhere)) and not elsewhere.exists()


# ------------------------------------------------------------------ the command's output


def test_the_json_is_the_report(
    cli: Any, book: Book, overlay: Path, cut: dict[str, Any], tmp_path: Path
) -> None:
    errors = tmp_path / "errors.csv"
    code, out, err = cli(
        "--overlay", overlay, "--book", book.path, "--outcomes", book.outcomes,
        "--workers", "1", "--errors", errors, "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert code == 0 and "rows/s" in err
    assert report["change"] == {"values": CUT, "rules_off": [], "source": str(overlay)}
    assert report["errors_file"] == str(errors)
    strip = ("seconds", "errors_file", "change")
    assert {k: v for k, v in report.items() if k not in strip} == {
        k: v for k, v in cut.items() if k not in strip
    }


def test_the_text_reads_well_in_both_languages(cut: dict[str, Any]) -> None:
    from engine.policy.simulate_text import render

    en, zh = render(cut, "en"), render(cut, "zh")
    assert "  Refer to a credit manager → Approve with conditions: " in en
    assert "  High → Medium: " in en
    assert "high risk score threshold: 40 points → 55 points" in en
    rows, ok = cut["rows_in"], cut["ok"]
    assert f"rows in {rows} = ok {ok} + failed {BAD_ROWS}" in en
    assert "高风险评分门槛：40分 → 55分" in zh
    assert f"输入 {rows} 行 = 成功 {ok} 行 + 失败 {BAD_ROWS} 行" in zh
    for lang, text in (("en", en), ("zh", zh)):
        assert "None" not in text
        found = [p for line in text.splitlines() for p in problems(line, lang)]
        assert not [p for p in found if p.kind in ("punctuation", "leftover")], found


def test_outcomes_link_by_consultation_id_when_the_book_gives_it(
    book: Book, tmp_path: Path
) -> None:
    """Rows 1-3 carry consultation ids; the outcome naming 12 links to row 2 although its
    customer is row 1's, and one naming an id no row has falls back to its customer."""
    cases = [c for c in book.cases[:4] if c is not None]
    rows = [case_to_row(c) for c in cases]
    for row, consultation in zip(rows, ("11", "12", "13", ""), strict=True):
        row["consultation_id"] = consultation
    path = write_csv(tmp_path / "book.csv", rows)
    ids = [c["customer"]["id"] for c in cases]
    told = [
        {"consultation_id": "12", "customer_id": ids[0], "outcome": "defaulted"},
        {"consultation_id": "99", "customer_id": ids[3], "outcome": "defaulted"},
        {"customer_id": ids[2], "outcome": "paid_on_time"},
        {"consultation_id": "98", "outcome": "defaulted"},
    ]
    told = [t | {"module": "credit", "observed_at": "2024-12-31"} for t in told]
    outcomes = write_csv(tmp_path / "outcomes.csv", told, list(COLUMNS))
    report = simulate(path, PolicyChange(CUT), outcomes, "en", 1, None)
    got = report["outcomes"]
    assert (report["ok"], got["linked_rows"], got["bad_rows"], got["unmatched"]) == (4, 3, 2, 1)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_text_has_both_languages_with_the_same_placeholders(lang: str) -> None:
    import re

    kb = load_knowledge()
    en = {k: v for k, v in kb.texts["en"].items() if k.startswith("policy_simulate.")}
    zh = {k: v for k, v in kb.texts["zh"].items() if k.startswith("policy_simulate.")}
    assert en and set(en) == set(zh)
    for key, text in (en if lang == "en" else zh).items():
        other = zh[key] if lang == "en" else en[key]
        assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", other)), key
