"""The credit memo (``engine.audit.memo``): real consultations recorded into a real SQLite audit
store, a manager's final decision on one, and the HTML read as a committee would read it — in
both languages, escaped, self-contained; ``sales-expert memo`` and the UI's download buttons."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from engine import consult
from engine.audit.decisions import DecisionRequest
from engine.audit.errors import AuditRequestError
from engine.audit.memo import Memo, credit_memo_html, render
from engine.audit.records import AuditRecord
from engine.audit.snapshots import load_snapshot
from engine.audit.store import AuditStore
from engine.cli import main
from engine.labels import number
from engine.result import Result
from knowledge_base import Knowledge, load_knowledge
from tests.audit.conftest import build_engine
from tests.conftest import REPO, customer
from tests.ui.conftest import audit_store, load_example, signed_in, submit

KB = load_knowledge()
EXAMPLES = REPO / "examples"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_ID = "![x](http://evil/)"
HOSTILE_ACTOR = "o'brien & <b>co</b>"
RAW_IDS: tuple[str, ...] = ("credit_decision", "recommended_limit", "approve_with_conditions")
RAW_IDS += ("requested_amount", "risk_level", "not_done", "memo.", "ui.")  # ids, text keys
HAN = re.compile(r"[\u4e00-\u9fff]")
ACTIVE: tuple[str, ...] = ("<img", "<a ", "<link", "<iframe", "<object", "<embed", "src=")
ACTIVE += ("href=", "url(", "@import")
"""What would load or run something: none may be in a memo."""


def example(name: str) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load((EXAMPLES / f"credit-{name}.yaml").read_text("utf-8"))
    return case


def visible(document: str) -> str:
    """The text a reader sees: no style sheet, no tags, entities resolved."""
    body = re.sub(r"<style>.*?</style>", " ", document, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", body))


def memo_text(key: str, lang: str = "en", **values: object) -> str:
    return KB.text(f"memo.{key}", lang, **values)


def live(name: str, lang: str = "en") -> Result:
    """The example consulted now, unrecorded: the figures and texts the memo must show (the
    rule base's thresholds are not this file's business)."""
    return consult(example(name), lang=lang, record=False)


def label(result: Result, topic: str) -> str:
    found = result.conclusion(topic)
    assert found is not None, topic
    return found.label


def advice(result: Result) -> tuple[list[str], dict[str, Any] | None]:
    """The decision's principal reasons and its path to better (None: already the best)."""
    found = result.conclusion("credit_decision")
    assert found is not None
    reasons = [str(r["text"]) for r in found.details.get("reasons") or []]
    return reasons, found.details.get("path_to_better")


def assert_advice_shown(text: str, result: Result, lang: str) -> None:
    """Every reason and proposal is in the memo, or the memo says plainly there is none."""
    reasons, path = advice(result)
    assert all(r in text for r in reasons) and (reasons or memo_text("no_reasons", lang) in text)
    if path is None:
        assert memo_text("best_already", lang) in text
    elif not path["proposals"]:
        assert path["text"] in text  # "nothing within reach gives a better answer"
    assert all(p["text"] in text for p in (path or {}).get("proposals", []))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    with AuditStore(f"sqlite:///{tmp_path / 'audit.db'}") as opened:
        yield opened


@pytest.fixture
def recorded(store: AuditStore) -> dict[str, int]:
    """Record ids: refer (hostile customer, decided by a manager), approve with conditions,
    approve, decline, and a grading-only consultation."""
    refer = example("refer")
    refer["customer"].update(id=HOSTILE_ID, name=HOSTILE_NAME)
    cases = {"refer": refer, **{n: example(n) for n in ("approve-with-conditions", "approve")}}
    cases.update(decline=example("decline"), grading={"customer": customer()})
    ids: dict[str, int] = {}
    for name, case in cases.items():
        actor = HOSTILE_ACTOR if name == "refer" else "alice"
        found = consult(case, store=store, actor=actor, role="rep").audit_id
        assert found is not None
        ids[name] = found
    decided = store.record_decision(
        ids["refer"],
        DecisionRequest("approve", 80_000, 30, "<b>new owner</b> & a bank guarantee"),
        actor="mona",
        role="manager",
        channel="ui",
    )
    ids["decision"] = decided.id
    return ids


# -- what the memo shows ----------------------------------------------------------------------


def test_the_memo_of_a_decided_referral_in_english(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    document = credit_memo_html(store, recorded["refer"], "en")
    text = visible(document)
    record = store.get(recorded["refer"])
    now = live("refer")
    assert "Credit memo" in text and "Refer to a credit manager" in text
    assert "100,000 yuan" in text and "30 days" in text  # the request
    assert memo_text("field.risk_level") in text and label(now, "risk_level") in text
    assert f"{number(now.value('risk_score'))} points" in text
    assert advice(now)[0], "a referral has principal reasons"
    assert_advice_shown(text, now, "en")
    assert record.ruleset_version in text and record.product_version in text
    assert f"{HOSTILE_ACTOR} (sales rep)" in text and "command line" not in text
    assert "Python API" in text  # recorded through engine.consult
    # the manager's final decision, the one that stands
    final = text[text.index(memo_text("section.final")) :]
    assert "Approve" in final and "80,000 yuan" in final and "30 days" in final
    assert "mona (manager)" in final and "<b>new owner</b> & a bank guarantee" in final
    assert str(recorded["decision"]) in final
    assert memo_text("final_none") not in text
    assert not re.search(r"(?<![A-Za-z])None(?![A-Za-z])", text)
    for raw in RAW_IDS:
        assert raw not in text, raw


def test_the_memo_in_chinese_has_chinese_labels_and_no_program_values(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    text = visible(credit_memo_html(store, recorded["refer"], "zh"))
    decision = KB.topics["credit_decision"].value("refer")
    assert decision is not None
    for label in (
        memo_text("title", "zh"),
        decision.label.zh,
        memo_text("field.risk_level", "zh"),
        memo_text("section.reasons", "zh"),
        memo_text("section.changes", "zh"),
        "客户编号",
        "100,000 元",
        "（经理）",
    ):
        assert label in text, label
    assert_advice_shown(text, live("refer", "zh"), "zh")  # reasons and changes, in Chinese
    assert " None" not in text and "None" not in text
    assert "True" not in text and "False" not in text
    for raw in RAW_IDS:
        assert raw not in text, raw
    for line in memo_lines(text):
        if HAN.search(line):
            assert not re.search(rf"{HAN.pattern}\s*[,:;()]|[,:;()]\s*{HAN.pattern}", line), line


def memo_lines(text: str) -> list[str]:
    """Lines of the memo's own texts: reason sentences quote parameter names (ASCII)."""
    return [line for line in text.splitlines() if line.strip() and "credit." not in line]


def test_conditions_and_no_final_decision_leave_lines_to_sign(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    document = credit_memo_html(store, recorded["approve-with-conditions"], "en")
    text = visible(document)
    now = live("approve-with-conditions")
    assert f"{memo_text('field.decision')}: {label(now, 'credit_decision')}" in text
    assert f"{number(now.value('recommended_limit'))} yuan" in text
    assert f"{number(now.value('recommended_term_days'))} days" in text
    conditions = [c.label for c in now.conclusions if c.topic == "credit_condition"]
    assert conditions and all(f"{c}: " in text for c in conditions)
    assert memo_text("final_none") in text
    assert document.count("<td></td>") >= 5  # blank lines: decision, limit, term, signatures
    assert memo_text("sign.manager") in text and memo_text("sign.committee") in text


def test_what_would_change_says_plainly_when_nothing_would(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    approve = visible(credit_memo_html(store, recorded["approve"], "en"))
    assert live("approve").value("credit_decision") == "approve"
    assert memo_text("best_already") in approve and memo_text("no_reasons") in approve
    decline = visible(credit_memo_html(store, recorded["decline"], "zh"))
    now = live("decline", "zh")
    assert_advice_shown(decline, now, "zh")
    assert label(now, "credit_decision") in decline
    assert f"{number(now.value('amount_to_collect'))} 元" in decline  # arrears to collect


def parts_of(store: AuditStore, record_id: int) -> tuple[AuditRecord, dict[str, Any], Knowledge]:
    record = store.get(record_id)
    version = record.ruleset_version
    _, recorded_kb, _ = load_snapshot(version, store.snapshot(version))
    return record, (record.payload or {})["case"], recorded_kb


def test_reasons_and_changes_are_listed_in_order_and_escaped(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    record, case, recorded_kb = parts_of(store, recorded["refer"])
    details = {
        "reasons": [{"text": "CR-001 first <reason>"}, {"text": "CR-002 second & last"}],
        "path_to_better": {
            "proposals": [{"text": "Reduce the requested credit to <270,000> or less → Approve"}],
            "complete": True,
        },
    }
    values = {"credit_decision": ["refer"]}
    memo = Memo(record, case, values, details, [], KB, recorded_kb, "en")
    document = render(memo)
    assert "<ol><li>CR-001 first &lt;reason&gt;</li><li>CR-002 second &amp; last</li></ol>" in (
        document
    )
    assert (
        "<ul><li>Reduce the requested credit to &lt;270,000&gt; or less → Approve</li></ul>"
        in document
    )


def test_reasons_not_worked_out_again_are_said_to_be_missing(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    record, case, recorded_kb = parts_of(store, recorded["refer"])
    memo = Memo(record, case, {"credit_decision": ["refer"]}, None, [], KB, recorded_kb, "en")
    text = visible(render(memo))
    assert memo_text("not_regenerated", version=record.ruleset_version) in text
    assert memo_text("not_searched") in text


def test_a_consultation_under_another_rule_base_is_told_with_that_one(tmp_path: Path) -> None:
    """The memo re-runs the case under the recorded rule base (here a small test credit
    module), not today's, and labels the decision with its topics."""
    engine = build_engine(tmp_path / "rb", credit=True)
    case = {"customer": customer(annual_purchases=2_000_000)}
    with AuditStore(f"sqlite:///{tmp_path / 'old.db'}") as old:
        found = consult(case, engine=engine, store=old, lang="zh")
        assert found.audit_id is not None
        text = visible(credit_memo_html(old, found.audit_id, "zh"))
    assert found.ruleset_version != live("approve").ruleset_version
    assert memo_text("regenerated", "zh", version=found.ruleset_version) in text
    assert label(found, "credit_decision") == "测试值"  # the test module's label
    assert "200,000" in text and "测试值" in text
    assert memo_text("best_already", "zh") in text


# -- escaping and self-containment ------------------------------------------------------------


def test_typed_texts_are_escaped_and_inert(store: AuditStore, recorded: dict[str, int]) -> None:
    document = credit_memo_html(store, recorded["refer"], "en")
    assert "<script" not in document.lower()
    assert html.escape(HOSTILE_NAME) in document
    assert f"<td>{html.escape(HOSTILE_ID)}</td>" in document  # plain text in a cell
    assert "<b>" not in document and "&lt;b&gt;new owner&lt;/b&gt; &amp; a bank" in document
    assert html.escape(HOSTILE_ACTOR) in document
    for active in ACTIVE:
        assert active not in document, active
    assert not re.search(r"<[^>]*\son\w+\s*=", document)  # no event handler attributes
    assert "http" not in document.replace(html.escape(HOSTILE_ID), "")


def test_the_document_is_print_ready(store: AuditStore, recorded: dict[str, int]) -> None:
    document = credit_memo_html(store, recorded["approve"], "zh")
    assert document.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in document
    assert '<meta charset="utf-8">' in document
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", document)
    assert "@media print" in document


# -- refusals ---------------------------------------------------------------------------------


def test_unknown_and_non_credit_records_are_refused_in_either_language(
    store: AuditStore, recorded: dict[str, int]
) -> None:
    with pytest.raises(AuditRequestError, match="There is no audit record 99"):
        credit_memo_html(store, 99, "en")
    with pytest.raises(AuditRequestError, match="没有编号为 99 的审计记录"):
        credit_memo_html(store, 99, "zh")
    with pytest.raises(AuditRequestError, match="not a credit consultation"):
        credit_memo_html(store, recorded["grading"], "en")
    with pytest.raises(AuditRequestError, match="不是信用咨询"):
        credit_memo_html(store, recorded["grading"], "zh")
    with pytest.raises(
        AuditRequestError, match=f"final decision on consultation {recorded['refer']}"
    ):
        credit_memo_html(store, recorded["decision"], "en")
    with pytest.raises(AuditRequestError, match="Language fr"):
        credit_memo_html(store, recorded["refer"], "fr")


def test_memo_texts_exist_in_both_languages() -> None:
    """Same keys; every Chinese text is Chinese but the templates that only arrange values."""
    en = {k for k in KB.texts["en"] if k.startswith("memo.")}
    zh = {k for k in KB.texts["zh"] if k.startswith("memo.")}
    assert en == zh and len(en) > 40
    templates = {"memo.time", "memo.with_unit", "memo.labelled", "memo.asker", "memo.unit.%"}
    for key in zh - templates:
        assert HAN.search(KB.texts["zh"][key]), key


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def configured(
    store: AuditStore, recorded: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, int]:
    """``sales-expert`` pointed at the test database."""
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", store.url)
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SALES_EXPERT_CONFIG", raising=False)
    return recorded


def test_cli_prints_the_memo_or_writes_it(
    configured: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["memo", str(configured["refer"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and "Refer to a credit manager" in out
    target = tmp_path / "memo.html"
    assert main(["memo", str(configured["approve"]), "--lang", "zh", "--out", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    assert memo_text("title", "zh") in target.read_text("utf-8")


def test_cli_exits_2_with_a_message_for_an_unknown_or_non_credit_record(
    configured: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["memo", "99"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "There is no audit record 99" in captured.err
    assert main(["memo", str(configured["grading"]), "--lang", "zh"]) == 2
    assert "不是信用咨询" in capsys.readouterr().err


# -- the front end (AppTest) ------------------------------------------------------------------


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data directory of its own with recording on (sign-in is seeded, no users file)."""
    monkeypatch.setenv("SALES_EXPERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SALES_EXPERT_RECORD", "on")
    for name in ("SALES_EXPERT_DATABASE_URL", "SALES_EXPERT_CONFIG", "SALES_EXPERT_USERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def memo_buttons(at: AppTest) -> list[str]:
    return [str(d.proto.label) for d in at.get("download_button") if "_memo" in d.proto.id]


@pytest.mark.usefixtures("app_env")
def test_the_credit_page_offers_the_memo_after_a_recorded_consultation() -> None:
    at = signed_in("manager")
    assert memo_buttons(at) == []
    load_example(at, "credit", "credit-refer.yaml")
    submit(at, "credit_form")
    assert not at.exception
    assert memo_buttons(at) == [memo_text("download")]
    at.sidebar.radio(key="lang").set_value("zh").run()
    assert memo_buttons(at) == [memo_text("download", "zh")]


@pytest.mark.usefixtures("app_env")
def test_the_audit_page_offers_the_memo_only_for_a_credit_consultation() -> None:
    store = audit_store()
    credit = consult(example("refer"), store=store, actor="mia", role="manager").audit_id
    consult({"customer": customer()}, store=store, actor="rita")  # the newest, opened first
    at = signed_in("auditor")
    assert not at.exception and memo_buttons(at) == []
    at.selectbox(key="audit_open").set_value(credit).run()
    assert memo_buttons(at) == [memo_text("download")]
