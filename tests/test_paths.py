"""The path to a better answer, in every module: only changes someone can make, each proposal
re-run to the answer it promises, round numbers at the boundary, plain words when none exists,
and the summary that opens every consultation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.cases import generate_cases
from engine import consult
from engine.advice.path_advice import TARGETS
from engine.advice.reach import focused
from engine.api import default_engine
from engine.intake import parse_case
from knowledge_base.facts import SECTIONS

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def _declared(section: str, field: str) -> str:
    extra = SECTIONS[section].model_fields[field].json_schema_extra
    assert isinstance(extra, dict)
    return str(extra["change"])


@pytest.fixture(scope="module")
def example_results() -> dict[str, tuple[dict[str, Any], Any]]:
    found = {}
    for path in EXAMPLES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[path.stem] = (case, consult(case, record=False))
    return found


def test_every_input_field_declares_what_may_change_it() -> None:
    kinds = default_engine().compiled.knowledge.changes
    for section, model in SECTIONS.items():
        for name in model.model_fields:
            assert _declared(section, name) in {"historical", "fixed", *kinds}, (section, name)
    assert _declared("credit", "longest_days_overdue") == "historical"
    assert _declared("credit", "requested_amount") == "request"
    assert _declared("customer", "nature") == "fixed"


def test_proposals_touch_no_historical_field_and_rerun_to_the_promised_answer(
    example_results: dict[str, tuple[dict[str, Any], Any]],
) -> None:
    checked = 0
    for stem, (case, result) in example_results.items():
        for _section, topic in TARGETS.values():
            headline = result.conclusion(topic)
            if headline is None or "path_to_better" not in headline.details:
                continue
            for proposal in headline.details["path_to_better"]["proposals"]:
                varied = {k: dict(v) if isinstance(v, dict) else v for k, v in case.items()}
                for change in proposal["changes"]:
                    section, field = change["field"].split(".", 1)
                    assert _declared(section, field) not in ("historical", "fixed"), stem
                    to = change["to"]
                    if change["op"] == "add":
                        to = [*varied[section].get(field, []), to]
                    varied[section][field] = to
                again = consult(varied, record=False)
                assert proposal["outcome"] in again.values(topic), (stem, proposal["text"])
                checked += 1
    assert checked >= 10


def test_each_module_has_its_own_path(
    example_results: dict[str, tuple[dict[str, Any], Any]],
) -> None:
    def proposals(stem: str, topic: str) -> list[dict[str, Any]]:
        details = example_results[stem][1].conclusion(topic).details
        return list(details["path_to_better"]["proposals"])

    plan = proposals("collection-tough-debtor", "escalation_level")[0]
    assert [c["field"] for c in plan["changes"]] == [
        "collection.plan_months",
        "collection.debt_acknowledged",
        "collection.plan_first_payment_made",
    ]
    assert plan["outcome"] == "negotiate"
    signal = proposals("closing-impasse", "buyer_state")[0]
    assert signal["changes"][0]["kind"] == "elicit" and signal["outcome"] == "ready"
    tier = proposals("collection-tough-debtor", "service_tier")[0]
    assert tier["changes"] == [
        {
            "field": "customer.annual_purchases",
            "from": 150000,
            "to": 200000,
            "op": "ge",
            "kind": "growth",
        }
    ]
    assert tier["text"] == "Grow the annual purchases to 200,000 yuan or more → Key account"


def test_a_request_above_capacity_is_brought_to_a_round_boundary() -> None:
    case = yaml.safe_load((EXAMPLES[0].parent / "credit-approve.yaml").read_text("utf-8"))
    case["credit"]["requested_amount"] = 5_000_000
    decision = consult(case, record=False).conclusion("credit_decision")
    assert decision is not None and decision.value != "approve"
    proposals = decision.details["path_to_better"]["proposals"]
    amounts = [
        c["to"] for p in proposals for c in p["changes"] if c["field"] == "credit.requested_amount"
    ]
    assert amounts, proposals
    assert all(amount % 1000 == 0 for amount in amounts), amounts


def test_the_focused_engine_gives_the_full_engine_s_answer() -> None:
    engine = default_engine()
    for raw in generate_cases(150):
        case = parse_case(raw, "en")
        full = engine.infer(case, trace=False).derived
        for _section, topic in TARGETS.values():
            sub = focused(engine, topic).infer(case, trace=False).derived
            assert {k for k in full if k[0] == topic} == {k for k in sub if k[0] == topic}


def test_the_summary_opens_every_consultation_in_both_languages() -> None:
    case = yaml.safe_load((EXAMPLES[0].parent / "credit-refer.yaml").read_text("utf-8"))
    english = consult(case, record=False).summary
    chinese = consult(case, lang="zh", record=False).summary
    assert [s.module for s in english] == ["credit", "grading"]
    credit = english[0]
    assert credit.headline == "Refer to a credit manager"
    assert credit.reasons[0] == "Recent longest overdue over a month"
    assert credit.next_step.startswith("Send the request to the credit manager")
    assert chinese[0].title == "授信决定"
    assert all(":" not in line for s in chinese for line in s.reasons)  # 、，： in Chinese
    assert chinese[1].reasons[0].startswith("客户价值等级：")


def test_an_answer_out_of_reach_really_has_no_single_change() -> None:
    from engine.advice.counterfactual import Search
    from engine.advice.paths import within_reach

    engine, out_of_reach = default_engine(), 0
    for raw in generate_cases(60):
        case = parse_case(raw, "en")
        for section, topic in TARGETS.values():
            if getattr(case, section) is None:
                continue
            search = Search(engine, case, section, topic)
            if search.current < len(search.ranking) and not within_reach(search, topic):
                out_of_reach += 1
                assert search.changes(topic) == [], (topic, raw)
    assert out_of_reach >= 10
