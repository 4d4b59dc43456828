"""Shared fixtures: golden cases, the default engine, and rule bases modified for a test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import Engine, compile_rulebase
from knowledge_base import ROOT as KB_ROOT
from knowledge_base import load_knowledge
from rules import ROOT as RULES_ROOT
from rules import load_rules

# Consultations are recorded only where a test asks for it (tests/audit/), never into ./data
# or a database a developer's environment points at; subprocesses inherit this.
os.environ["SALES_EXPERT_RECORD"] = "off"
# Records are signed with the key beside each test's database (or one a test names), never
# with the keyring a developer's environment names.
os.environ.pop("SALES_EXPERT_AUDIT_KEY_FILE", None)

TESTS = Path(__file__).resolve().parent
CASES = TESTS / "cases"
REPO = TESTS.parent


def run_cli(
    *args: str, cwd: Path = REPO, env: Mapping[str, str] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """``sales-expert ARGS`` as a user runs it: a separate process, its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=cwd,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def golden_cases(module: str | None = None) -> list[Path]:
    pattern = f"{module}/*.yaml" if module else "*/*.yaml"
    return sorted(CASES.glob(pattern))


def load_golden(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def customer(**overrides: Any) -> dict[str, Any]:
    """A valid mid-range customer; tests override what they are about."""
    base: dict[str, Any] = {
        "id": "T-1",
        "name": "Test Trading",
        "nature": "company",
        "relationship_years": 3,
        "annual_purchases": 450_000,
        "purchase_frequency": 6,
        "days_since_last_purchase": 30,
        "gross_margin_pct": 12,
        "purchases_growth_pct": 0,
        "complaints_last_year": 0,
    }
    base.update(overrides)
    return base


EditRules = Callable[[list[dict[str, Any]]], None]


@pytest.fixture
def custom_engine(tmp_path: Path) -> Callable[..., Engine]:
    """Build an engine from a copy of the shipped rule base after editing its YAML.

    ``custom_engine(module="grading", edit=fn, formulas=[...], parameters=[...])``: ``fn`` gets
    the module's rule records to change in place; formulas/parameters are added records.
    """

    def build(
        module: str = "grading",
        edit: EditRules | None = None,
        formulas: list[dict[str, Any]] | None = None,
        parameters: list[dict[str, Any]] | None = None,
        topics: list[dict[str, Any]] | None = None,
    ) -> Engine:
        kb_root, rules_root = tmp_path / "kb", tmp_path / "rules"
        shutil.copytree(KB_ROOT, kb_root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        shutil.copytree(RULES_ROOT, rules_root, ignore=shutil.ignore_patterns("*.py", "__py*"))
        path = rules_root / f"{module}.yaml"
        records = yaml.safe_load(path.read_text(encoding="utf-8"))
        if edit is not None:
            edit(records)
        path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
        for folder, extra in (
            ("formulas", formulas),
            ("parameters", parameters),
            ("topics", topics),
        ):
            if extra:
                (kb_root / folder).mkdir(exist_ok=True)
                (kb_root / folder / "test_extra.yaml").write_text(
                    yaml.safe_dump(extra, allow_unicode=True), encoding="utf-8"
                )
        return Engine(compile_rulebase(load_rules(rules_root), load_knowledge(kb_root)))

    return build
