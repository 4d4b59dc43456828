"""Fixtures of the audit tests: a store on each backend (SQLite file, real PostgreSQL server) and
rule bases built for a test — one with a small credit module, one with a changed threshold.

PostgreSQL tests are skipped only when the server can be neither found nor installed, and
never in CI (``CI`` set): there they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import Engine, compile_rulebase
from engine.audit.keys import KEY_ENV
from engine.audit.store import AuditStore
from knowledge_base import ROOT as KB_ROOT
from knowledge_base import load_knowledge
from rules import ROOT as RULES_ROOT
from rules import load_rules
from tests.audit.postgres import PostgresServer, Unavailable, start_server

BACKENDS = ["sqlite", "postgresql"]
_databases = itertools.count(1)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except Unavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI and could not be had: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def audit_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own keyring (created with its first record), named by the environment, so
    in-process stores, spawned workers and the CLI (``test_cli.run``) sign with the same key
    on either backend, and never with one in ./data."""
    path = tmp_path / "secrets" / "audit.key"
    monkeypatch.setenv(KEY_ENV, str(path))
    return path


@pytest.fixture(params=BACKENDS)
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty audit database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"audit_{os.getpid()}_{next(_databases)}")


@pytest.fixture
def store(audit_url: str) -> Iterator[AuditStore]:
    with AuditStore(audit_url) as opened:
        yield opened


def _text(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _topic(topic_id: str, kind: str, values: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "id": topic_id,
        "module": "credit",
        "kind": kind,
        "label": _text(topic_id.replace("_", " "), "测试主题"),
        "description": _text(f"Test topic {topic_id}.", "测试用主题。"),
        "values": [
            {"id": v, "label": _text(v, "测试值"), "description": _text(v, "测试值。")}
            for v in values
        ],
    }


def _parameter(name: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": _text(name.rsplit(".", 1)[1].replace("_", " "), "测试参数"),
        "value": value,
        "unit": unit,
        "description": _text(f"Test parameter {name}.", "测试参数。"),
        "rationale": _text("For the audit tests only.", "仅供审计测试使用。"),
    }


def _credit_rule(rule_id: str, op: str, decision: str, numbers: bool) -> dict[str, Any]:
    then: list[dict[str, Any]] = [{"topic": "credit_decision", "value": decision}]
    if numbers:
        then += [
            {"topic": "recommended_limit", "formula": "audit_test_limit"},
            {"topic": "recommended_term_days", "formula": "audit_test_term"},
        ]
    test = {"field": "annual_purchases", "op": op, "param": "credit.audit_test_approve_min"}
    return {
        "id": rule_id,
        "module": "credit",
        "title": _text(f"Test credit rule {decision}", "测试信用规则"),
        "rationale": _text("For the audit tests only.", "仅供审计测试使用。"),
        "sources": ["MKT-CM §Credit"],
        "priority": 50,
        "when": [{"fact": "customer", "tests": [test]}],
        "then": then,
    }


TEST_CREDIT = {
    "topics": [
        _topic(
            "credit_decision",
            "category",
            ("approve", "approve_with_conditions", "refer", "decline"),
        ),
        _topic("recommended_limit", "number"),
        _topic("recommended_term_days", "number"),
    ],
    "parameters": [
        _parameter("credit.audit_test_approve_min", 1_000_000, "yuan"),
        _parameter("credit.audit_test_limit_share", 0.1, "ratio"),
        _parameter("credit.audit_test_term_days", 30, "days"),
    ],
    "formulas": [
        {
            "id": "audit_test_limit",
            "text": _text("a tenth of annual purchases", "年采购额的十分之一"),
            "description": _text("Test limit.", "测试额度。"),
            "expr": {
                "op": "mul",
                "args": [
                    {"field": "customer.annual_purchases"},
                    {"param": "credit.audit_test_limit_share"},
                ],
            },
        },
        {
            "id": "audit_test_term",
            "text": _text("the standard term", "标准账期"),
            "description": _text("Test term.", "测试账期。"),
            "expr": {"param": "credit.audit_test_term_days"},
        },
    ],
}


def _grading_only(folder: str, names: list[str]) -> set[str]:
    """Leave out code and every module's files but grading's and collection's (the maintenance
    plan follows the collection stage): these tests need a rule base that does not move under
    them, and the credit module is replaced by a small test one."""
    modular = Path(folder).name in ("parameters", "topics", "formulas", RULES_ROOT.name)
    return {
        name
        for name in names
        if name.endswith(".py")
        or name == "__pycache__"
        or (modular and name.endswith(".yaml") and not name.startswith(("grading", "collection")))
    }


def build_engine(
    root: Path, credit: bool = False, parameters: dict[str, float] | None = None
) -> Engine:
    """The shipped grading module (only), plus the test credit module and/or parameter values
    changed."""
    kb_root, rules_root = root / "kb", root / "rules"
    shutil.copytree(KB_ROOT, kb_root, ignore=_grading_only)
    shutil.copytree(RULES_ROOT, rules_root, ignore=_grading_only)
    if credit:
        for folder, records in TEST_CREDIT.items():
            path = kb_root / folder / "audit_test.yaml"
            path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
        credit_rules = [
            _credit_rule("CR-901", "ge", "approve", numbers=True),
            _credit_rule("CR-902", "lt", "decline", numbers=False),
        ]
        (rules_root / "credit.yaml").write_text(yaml.safe_dump(credit_rules), encoding="utf-8")
    for path in (kb_root / "parameters").glob("*.yaml"):
        records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        for record in records:
            record["value"] = (parameters or {}).get(record["name"], record["value"])
        path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    return Engine(compile_rulebase(load_rules(rules_root), load_knowledge(kb_root)))


@pytest.fixture(scope="session")
def grading_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped grading rules alone: no rule concludes a credit decision."""
    return build_engine(tmp_path_factory.mktemp("grading-rb"))


@pytest.fixture(scope="session")
def credit_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """Concludes credit_decision approve (limit = purchases / 10, 30 days) from 1,000,000 a
    year of purchases, decline below."""
    return build_engine(tmp_path_factory.mktemp("credit-rb"), credit=True)


@pytest.fixture(scope="session")
def changed_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped grading rules with the high purchase amount threshold at 400,000."""
    return build_engine(
        tmp_path_factory.mktemp("changed-rb"),
        parameters={"grading.monetary_high_min_purchases": 400_000},
    )
