"""Policy drafts (issue 21, engine/policy/drafts.py): named overlays stored in the audit database
on SQLite and PostgreSQL, every change checked (role, reason, parameter range, rule, lint) and
reported with the golden cases it moves; the schema upgrade 3 → 7; the ``policy`` CLI verbs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

import engine.cli
from engine.api import default_engine
from engine.audit import models
from engine.audit.store import AuditStore
from engine.intake import parse_case
from engine.policy import storage
from engine.policy.drafts import (
    create_draft,
    get_draft,
    list_drafts,
    load_change,
    set_parameter,
    switch_rule,
)
from engine.policy.golden import GoldenChange, golden_report
from engine.policy.model import PARAMETER, RULE_OFF, RULE_ON, Who
from engine.policy.refusal import PolicyError
from tests.audit import conftest as audit
from tests.conftest import customer

# the audit tests' fixtures: a store on SQLite and on PostgreSQL, each test with its own keyring
audit_key_file, audit_url = audit.audit_key_file, audit.audit_url
postgres_server, store = audit.postgres_server, audit.store

ADMIN = Who("ada", "admin")
VERY_HIGH = "credit.risk_very_high_min_score"  # 70 points, range 0 to 1,000
SLOW_PAYER = "credit/company-slow-payer-refer.yaml"  # refer at a high risk, declined from 45
QUIET_RULE = "GR-024"  # switching it off leaves the lint clean, moves two grading cases


def drafted(store: AuditStore, name: str = "tighter") -> None:
    create_draft(store, name, ADMIN, "tighten the very high risk band")


# -- drafting and reading -------------------------------------------------------------------


def test_a_draft_records_each_change_and_the_last_change_of_a_target_is_effective(
    store: AuditStore,
) -> None:
    created = create_draft(store, "tighter", ADMIN, "tighten the very high risk band")
    assert created.draft.changes == () and created.golden.changes == ()
    assert created.draft.base_version == default_engine().version
    first = set_parameter(store, "tighter", VERY_HIGH, 45, ADMIN, "decline more high risks")
    assert GoldenChange(SLOW_PAYER, "credit_decision", ("refer",), ("decline",)) in (
        first.golden.changes
    )
    second = set_parameter(store, "tighter", VERY_HIGH, 75, ADMIN, "45 declines too many")
    assert second.golden.changes == ()  # no golden case scores between 70 and 75
    off = switch_rule(store, "tighter", QUIET_RULE, True, ADMIN, "market position by volume")
    assert off.golden.files == [
        "grading/new-big-occasional.yaml",
        "grading/new-high-value-thin-margin.yaml",
    ]
    on = switch_rule(store, "tighter", QUIET_RULE, False, ADMIN, "keep it after all")
    assert on.golden.changes == ()
    draft = get_draft(store, "tighter")
    assert [(c.seq, c.kind, c.target, c.value) for c in draft.changes] == [
        (1, PARAMETER, VERY_HIGH, 45.0),
        (2, PARAMETER, VERY_HIGH, 75.0),
        (3, RULE_OFF, QUIET_RULE, None),
        (4, RULE_ON, QUIET_RULE, None),
    ]
    assert all((c.actor, c.role) == ("ada", "admin") for c in draft.changes)
    assert draft.changes[0].reason == "decline more high risks"
    assert all(c.at.endswith("Z") for c in draft.changes)
    assert (draft.values, draft.rules_off) == ({VERY_HIGH: 75.0}, frozenset())
    assert [(d.name, len(d.changes)) for d in list_drafts(store)] == [("tighter", 4)]


def test_a_draft_starts_from_a_calibration_overlay_with_its_reasons(
    store: AuditStore, tmp_path: Path
) -> None:
    overlay = tmp_path / "overlay.yaml"
    reason = {"en": "Half the book scores above 45.", "zh": "半数客户评分高于45分。"}
    overlay.write_text(yaml.safe_dump(_overlay({VERY_HIGH: 45}, reason)), encoding="utf-8")
    outcome = create_draft(store, "calibrated", ADMIN, "from the book", overlay, lang="zh")
    [change] = outcome.draft.changes
    assert (change.kind, change.target, change.value) == (PARAMETER, VERY_HIGH, 45.0)
    assert change.reason == "半数客户评分高于45分。"
    assert outcome.overlay_version == "rb-0000000000000000"
    assert SLOW_PAYER in outcome.golden.files


def _overlay(values: dict[str, float], reason: dict[str, str]) -> dict[str, Any]:
    """A parameter overlay as `sales-expert calibrate` writes it."""
    return {
        "format": 1,
        "kind": "parameter_overlay",
        "created_at": "2025-06-30T08:00:00+00:00",
        "source": {"book": "book.csv", "rows": 10, "sha256": "0" * 64},
        "ruleset_version": "rb-0000000000000000",
        "parameters": {
            name: {"value": value, "current": 70, "reason": reason, "figures": {}}
            for name, value in values.items()
        },
    }


# -- refusals -------------------------------------------------------------------------------

LINT_EN = (
    "the change is refused: with it the rule base fails the lint: "
    "[never-fires] CR-051: cause.value: no value can pass all its tests; "
    "[table-overlap] topic risk_level: overlap: CR-050 (low) and CR-052 (high) both match when "
    "risk_score.value = 40 (= credit.risk_high_min_score)"
)
LINT_ZH = LINT_EN.replace(
    "the change is refused: with it the rule base fails the lint: ",
    "修改被拒绝：修改后规则库未通过检查：",
)
Request = Callable[[AuditStore, str], object]


def _set(param: str, value: float, reason: str = "why not") -> Request:
    return lambda s, lang: set_parameter(s, "tighter", param, value, ADMIN, reason, lang)


def _switch(rule: str, off: bool) -> Request:
    return lambda s, lang: switch_rule(s, "tighter", rule, off, ADMIN, "why not", lang)


REFUSALS: list[tuple[str, Request, str, str]] = [
    (
        "rep",
        lambda s, lang: create_draft(s, "mine", Who("rita", "rep"), "why not", lang=lang),
        "rita acts as rep: policy drafts are written by the role admin only; claim it with "
        "--actor NAME --role admin and that user's password",
        "rita 的角色为销售代表：只有管理员角色可以编写政策草案；"
        "请用 --actor NAME --role admin 及该用户的密码声明身份",
    ),
    (
        "name",
        lambda s, lang: create_draft(s, "two words", ADMIN, "why not", lang=lang),
        "draft name 'two words': use 1 to 80 letters, digits, dots, dashes or underscores, "
        "starting with a letter or a digit",
        "草案名称 'two words' 无效：须为1至80个字母、数字、点、连字符或下划线，并以字母或数字开头",
    ),
    (
        "unknown draft",
        lambda s, lang: set_parameter(s, "looser", VERY_HIGH, 80, ADMIN, "why not", lang),
        "no draft named 'looser'; drafts: tighter",
        "没有名为 'looser' 的草案；现有草案：tighter",
    ),
    (
        "no reason",
        _set(VERY_HIGH, 45, "  "),
        "a reason is required: say why, in at most 500 characters (--reason TEXT)",
        "须说明理由，不超过500个字符（--reason TEXT）",
    ),
    (
        "long reason",
        _set(VERY_HIGH, 45, "x" * 501),
        "the reason has 501 characters; at most 500 are allowed",
        "理由有501个字符，最多允许500个",
    ),
    (
        "control characters",
        _set(VERY_HIGH, 45, "fine\x1b[2J"),
        "the reason must not contain control characters (line breaks, tabs, terminal escape "
        "codes, text direction overrides)",
        "理由不能包含控制字符（换行符、制表符、终端转义码、文字方向控制符）",
    ),
    (
        "unknown parameter",
        _set("credit.risk_very_high_min_scor", 45),
        "unknown parameter `credit.risk_very_high_min_scor`: the rule base has no parameter of "
        "that name; did you mean `credit.risk_very_high_min_score`, "
        "`credit.risk_high_min_score`, `credit.risk_medium_min_score`?",
        "未知参数 `credit.risk_very_high_min_scor`：规则库中没有该名称的参数；是否指 "
        "`credit.risk_very_high_min_score`、`credit.risk_high_min_score`、"
        "`credit.risk_medium_min_score`？",
    ),
    (
        "out of range",
        _set(VERY_HIGH, 1500),
        "very high risk score threshold: 1,500 points is outside the allowed range, from 0 to "
        "1,000 points",
        "参数“极高风险评分门槛”：1,500分 超出允许范围（0至1,000分）",
    ),
    (
        "not a number",
        _set(VERY_HIGH, float("nan")),
        "very high risk score threshold: the value must be a finite number, got nan",
        "参数“极高风险评分门槛”：取值须为有限的数字，实为 nan",
    ),
    (
        "unchanged",
        _set(VERY_HIGH, 70),
        "parameter very high risk score threshold (credit.risk_very_high_min_score) is already "
        "70 points in draft tighter: nothing to change",
        "参数“极高风险评分门槛”在草案 tighter 中已是70分：无需修改",
    ),
    (
        "unknown rule",
        _switch("rule-7", True),
        "unknown rule rule-7: the rule base has no rule of that id; rule ids look like "
        "CR-012: see `sales-expert rules`",
        "未知规则 rule-7：规则库中没有该编号的规则；规则编号形如 CR-012：见 `sales-expert rules`",
    ),
    (
        "not off",
        _switch(QUIET_RULE, False),
        "rule GR-024 is not switched off in draft tighter: only a rule the draft switched off "
        "can be switched back on",
        "规则 GR-024 在草案 tighter 中未被停用：只有草案停用的规则才能重新启用",
    ),
    ("lint", _set("credit.risk_medium_min_score", 50), LINT_EN, LINT_ZH),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_refusal_names_what_is_wrong_and_stores_nothing(store: AuditStore, lang: str) -> None:
    drafted(store)
    for label, request, en, zh in REFUSALS:
        with pytest.raises(PolicyError) as refused:
            request(store, lang)
        assert str(refused.value) == (zh if lang == "zh" else en), label
    assert get_draft(store, "tighter").changes == ()
    assert [d.name for d in list_drafts(store)] == ["tighter"]


def test_a_taken_name_or_a_rule_switched_off_twice_is_refused(store: AuditStore) -> None:
    drafted(store)
    with pytest.raises(PolicyError, match=r"^a draft named tighter already exists \(created at"):
        drafted(store)
    switch_rule(store, "tighter", QUIET_RULE, True, ADMIN, "try without it")
    with pytest.raises(PolicyError) as refused:
        switch_rule(store, "tighter", QUIET_RULE, True, ADMIN, "again", "zh")
    assert str(refused.value) == "规则 GR-024 在草案 tighter 中已停用：无需修改"
    assert len(get_draft(store, "tighter").changes) == 1


def test_a_draft_moved_on_by_a_later_step_or_by_other_writers_takes_no_change(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafted(store)

    def always_moved(conn: sa.Connection, draft_id: int) -> tuple[str, int]:
        return "draft", 99  # another writer added changes after this one was checked

    with monkeypatch.context() as patched:
        patched.setattr(storage, "head", always_moved)
        with pytest.raises(PolicyError) as refused:
            set_parameter(store, "tighter", VERY_HIGH, 45, ADMIN, "decline more high risks")
    assert str(refused.value) == (
        "draft tighter kept changing while this change was being checked: try again"
    )
    with store.engine.begin() as conn:  # what submitting it does to the draft
        conn.execute(sa.text("UPDATE policy_drafts SET status = 'submitted'"))
    with pytest.raises(PolicyError) as refused:
        set_parameter(store, "tighter", VERY_HIGH, 45, ADMIN, "decline more high risks")
    assert str(refused.value) == (
        "draft tighter is submitted for approval: only a draft being drafted takes changes"
    )
    assert get_draft(store, "tighter").changes == ()


def test_a_rule_whose_absence_leaves_a_gap_is_refused_quoting_the_lint(store: AuditStore) -> None:
    drafted(store)
    with pytest.raises(PolicyError, match=r"\[table-gap\] topic value_tier: gap: no rule of"):
        switch_rule(store, "tighter", "GR-020", True, ADMIN, "one tier fewer")
    assert get_draft(store, "tighter").changes == ()


def test_golden_report_says_when_the_cases_are_not_shipped(tmp_path: Path) -> None:
    report = golden_report({VERY_HIGH: 45}, frozenset(), root=tmp_path)
    assert not report.available and report.to_json()["changed_cases"] == []


# -- schema 3 → 4 ---------------------------------------------------------------------------


def _downgrade_to_schema_3(store: AuditStore) -> None:
    """What schema 3 left: no policy tables, schema version 3."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE policy_events"))
        conn.execute(sa.text("DROP TABLE policy_changes"))
        conn.execute(sa.text("DROP TABLE policy_drafts"))
        conn.execute(sa.text("DELETE FROM audit_schema"))
        conn.execute(models.schema_versions.insert().values(version=3, applied_at="old"))


def _layout(conn: sa.Connection, table: str) -> list[tuple[str, bool]]:
    return [(c["name"], bool(c["nullable"])) for c in sa.inspect(conn).get_columns(table)]


def test_a_schema_3_database_upgrades_keeping_every_record(
    audit_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = default_engine()
    with AuditStore(audit_url) as old:
        for n in range(3):
            case = parse_case({"customer": customer(id=f"C-{n}")})
            old.record_consultation(
                shipped.consult(case), case, shipped.compiled, actor="x", role="rep"
            )
        with old.engine.connect() as conn:
            tables = ("policy_drafts", "policy_changes", "policy_events")
            fresh = {t: _layout(conn, t) for t in tables}
        hashes = [r.hash for r in old.list_records()]
        _downgrade_to_schema_3(old)
    with AuditStore(audit_url) as upgraded:
        with upgraded.engine.connect() as conn:
            assert models.schema_version(conn) == models.SCHEMA_VERSION == 8
            assert {t: _layout(conn, t) for t in fresh} == fresh  # as a new database has them
        assert [r.hash for r in upgraded.list_records()] == hashes
        assert upgraded.verify().ok
        drafted(upgraded)
        assert [d.name for d in list_drafts(upgraded)] == ["tighter"]
    monkeypatch.setenv("SALES_EXPERT_DATABASE_URL", audit_url)
    assert engine.cli.main(["audit", "verify"]) == 0


# -- the CLI --------------------------------------------------------------------------------


def test_the_cli_drafts_as_a_proved_admin(cli: Callable[..., tuple[int, str, str]]) -> None:
    admin = ("--actor", "ada", "--role", "admin")
    code, out, err = cli(
        "policy",
        "draft",
        "tighter",
        "--reason",
        "fewer refers",
        *admin,
        "--json",
        password="ada-pw",
    )
    assert code == 0, err
    assert json.loads(out)["draft"]["author"] == "ada"
    code, out, err = cli(
        "policy",
        "set",
        "tighter",
        VERY_HIGH,
        "45",
        "--reason",
        "decline more",
        *admin,
        password="ada-pw",
    )
    assert code == 0, err
    assert out.startswith(
        "Draft tighter: change 1 recorded: very high risk score threshold "
        "(credit.risk_very_high_min_score) set to 45 points.\n"
    )
    assert f"  {SLOW_PAYER}: Credit decision: Refer to a credit manager → Decline\n" in out
    code, out, err = cli(
        "policy",
        "set",
        "tighter",
        "--rule-off",
        QUIET_RULE,
        "--reason",
        "by volume",
        *admin,
        "--json",
        password="ada-pw",
    )
    assert code == 0, err
    assert json.loads(out)["draft"]["effective"] == {
        "parameters": {VERY_HIGH: 45.0},
        "rules_off": [QUIET_RULE],
    }
    code, out, _ = cli("policy", "list", "--lang", "zh")
    assert (
        code == 0 and "tighter［草拟中］：修改参数1项，停用规则1条，共2项修改；ada（管理员）" in out
    )
    code, out, _ = cli("policy", "show", "tighter", "--json")
    shown = json.loads(out)
    assert code == 0 and SLOW_PAYER in shown["golden"]["changed_cases"]
    assert [c["seq"] for c in shown["draft"]["changes"]] == [1, 2]
    code, out, _ = cli("policy", "show", "tighter", "--lang", "zh")
    assert code == 0 and "  “极高风险评分门槛”：70分 → 45分\n" in out
    change = load_change("tighter", "en")
    assert (dict(change.values), change.rules_off) == ({VERY_HIGH: 45.0}, frozenset({QUIET_RULE}))


def test_the_cli_refuses_a_rep_and_bad_requests_with_exit_2(
    cli: Callable[..., tuple[int, str, str]], cli_env: Path
) -> None:
    code, _, err = cli(
        "policy", "draft", "mine", "--reason", "why", "--actor", "rita", password="rita-pw"
    )
    assert code == 2
    assert err == (
        "error: rita acts as rep: policy drafts are written by the role admin only; claim it "
        "with --actor NAME --role admin and that user's password\n"
    )
    code, _, err = cli("policy", "draft", "mine", "--reason", "why", "--lang", "zh")
    assert code == 2 and err.startswith("error: keyboard 的角色为销售代表：")
    code, _, err = cli(
        "policy", "draft", "mine", "--reason", "why", "--actor", "ada", password="wrong"
    )
    assert code == 2 and "ada" in err
    code, _, err = cli("policy", "show", "nothing")
    assert (code, err) == (2, "error: no draft named 'nothing'; drafts: none yet\n")
    code, _, err = cli("policy", "set", "nothing", VERY_HIGH, "--reason", "why")
    assert (code, err) == (
        2,
        "error: `sales-expert policy set` takes either PARAM VALUE, or one of --rule-off RULE "
        "and --rule-on RULE, not both\n",
    )
    database = f"sqlite:///{cli_env / 'other.db'}"
    code, out, _ = cli("policy", "list", "--db", database)
    assert code == 0 and out.startswith("No policy drafts yet")
