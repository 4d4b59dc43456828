"""Shadow mode (issue 21, engine/policy/shadow.py): an approved draft answers beside the live
policy on recorded consultations, its answers kept in the signed record and never shown, and a
report counts where it differs; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from benchmarks.cases import generate_cases
from engine.api import consult, default_engine
from engine.audit.store import AuditStore
from engine.backtest.store import Selection
from engine.calibrate.apply import engine_with
from engine.intake import parse_case
from engine.policy.drafts import create_draft, set_parameter
from engine.policy.lifecycle import publish, review
from engine.policy.live import live_policy
from engine.policy.model import APPROVE, APPROVED, SUBMIT, Who
from engine.policy.refusal import PolicyError
from engine.policy.shadow import start_shadow, stop_shadow
from engine.policy.shadow_report import shadow_report
from engine.policy.shadow_text import render_shadow_report
from knowledge_base import load_knowledge
from tests.audit import conftest as audit
from tests.conftest import CASES, load_golden

audit_key_file, audit_url = audit.audit_key_file, audit.audit_url
postgres_server, store = audit.postgres_server, audit.store

ADA, BOB = Who("ada", "admin"), Who("bob", "admin")
VERY_HIGH = "credit.risk_very_high_min_score"
SLOW_PAYER = CASES / "credit/company-slow-payer-refer.yaml"  # refer; declined from 45 points


def approved(store: AuditStore) -> None:
    create_draft(store, "tighter", ADA, "tighten")
    set_parameter(store, "tighter", VERY_HIGH, 45, ADA, "decline more")
    review(store, "tighter", SUBMIT, ADA, "ready")
    review(store, "tighter", APPROVE, BOB, "checked")


def credit(case: dict[str, Any], values: dict[str, float]) -> object:
    engine = engine_with(values) if values else default_engine()
    found = engine.infer(parse_case(case), trace=False).one_valued
    return found["credit_decision"].value if "credit_decision" in found else None


def test_a_draft_in_shadow_is_recorded_beside_the_live_answer_and_never_shown(
    store: AuditStore,
) -> None:
    approved(store)
    with pytest.raises(PolicyError, match="nothing to stop"):
        stop_shadow(store, BOB, "stop")
    started = start_shadow(store, "tighter", BOB, "two weeks on live traffic")
    assert started.draft.status == APPROVED and live_policy(store).shadow is not None
    cases = [load_golden(SLOW_PAYER)["case"]]
    cases += generate_cases(30, seed=8, sections=("customer", "credit"))
    shown = [consult(c, store=store, actor="rita", role="rep") for c in cases]
    assert shown[0].ruleset_version == default_engine().version  # the live policy answers
    assert "shadow" not in shown[0].model_dump(mode="json")
    assert shown[0].audit_id is not None
    payload = store.get(shown[0].audit_id).payload
    assert payload is not None
    assert payload["shadow"]["draft"] == "tighter"
    assert payload["shadow"]["version"] == engine_with({VERY_HIGH: 45}).version
    assert payload["shadow"]["answers"]["credit_decision"] == "decline"

    stop_shadow(store, BOB, "enough seen")
    after = consult(cases[0], store=store, actor="rita", role="rep")
    assert after.audit_id is not None
    assert "shadow" not in (store.get(after.audit_id).payload or {})

    today = datetime.now(UTC).date()
    report = shadow_report(store, Selection(today, today))
    differ = sum(credit(c, {}) != credit(c, {VERY_HIGH: 45}) for c in cases)
    assert report["consultations"] == len(cases) and report["drafts"] == {"tighter": len(cases)}
    decisions = [m for m in report["migration"] if m["topic"] == "credit_decision"]
    assert sum(m["n"] for m in decisions) == differ > 0
    assert {"topic": "credit_decision", "live": "refer", "shadow": "decline"} in [
        {k: m[k] for k in ("topic", "live", "shadow")} for m in decisions
    ]
    kb = load_knowledge()
    text = render_shadow_report(report, kb, "en")
    assert text.startswith(
        f"Shadow run: {len(cases)} consultations recorded with tighter in shadow"
    )
    assert "  Credit decision: Refer to a credit manager → Decline: " in text
    assert "影子运行：在tighter影子运行时记录了" in render_shadow_report(report, kb, "zh")
    assert store.verify().ok
    steps = [r.decision for r in store.list_records() if r.kind == "policy"]
    assert steps[:2] == ["shadow_stop", "shadow"]


def test_only_an_approved_draft_runs_in_shadow_and_publishing_still_works(
    store: AuditStore,
) -> None:
    create_draft(store, "tighter", ADA, "tighten")
    with pytest.raises(PolicyError, match="running in shadow needs a draft that is approved"):
        start_shadow(store, "tighter", BOB, "try")
    set_parameter(store, "tighter", VERY_HIGH, 45, ADA, "decline more")
    review(store, "tighter", SUBMIT, ADA, "ready")
    review(store, "tighter", APPROVE, BOB, "checked")
    start_shadow(store, "tighter", BOB, "try on live traffic")
    publish(store, "tighter", BOB, "shadow looked right")
    assert live_policy(store).draft == "tighter"
