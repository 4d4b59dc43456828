"""Rankings decided by rules: the primary debtor type, the best closing technique and the first
investigation are concluded by rules (CO-123, CL-120, CR-197) that fire after the weighing,
appear in the trace, and decide ties as the policy says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.cases import generate_cases
from engine import consult
from engine.api import default_engine
from engine.firing import Derived, Firing
from engine.plans import ConclusionPlan
from rules.schema import Selection

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name: str) -> Any:
    return consult(yaml.safe_load((EXAMPLES / name).read_text("utf-8")), record=False)


def _select(points: dict[str, float], among: str, **policy: Any) -> Any:
    """Run a selection on a firing holding these scored values (the rule's own code path)."""
    firing = Firing(default_engine().compiled, trace=False)
    for value, score in points.items():
        firing.derived[(among, value)] = Derived(among, value, ["X"], [1], 1, score)
    for value in policy.pop("addressed", ()):
        firing.derived[("type_to_address", value)] = Derived(
            "type_to_address", value, ["X"], [1], 1
        )
    places = {
        v: i for i, v in enumerate(default_engine().compiled.knowledge.topics[among].value_ids())
    }
    plan = ConclusionPlan(
        topic="chosen",
        value=None,
        formula=None,
        calculate=None,
        weight=0.0,
        one_valued=True,
        told_apart=False,
        fixed=None,
        select=Selection(among=among, **policy),
        places=places,
    )
    fact, computation = firing._selected(plan)
    return fact.value, computation


def test_a_tie_goes_to_the_value_listed_first_and_urgency_never_wins_one() -> None:
    order = default_engine().compiled.knowledge.topics["closing_technique"].value_ids()
    first, urgency = order[0], "genuine_urgency"
    policy = {"never_on_tie": ("genuine_urgency",)}
    assert _select({first: 3, "trial_offer": 3}, "closing_technique", **policy)[0] == first
    assert _select({urgency: 3, "trial_offer": 3}, "closing_technique", **policy)[0] == (
        "trial_offer"
    )
    assert _select({urgency: 4, "trial_offer": 3}, "closing_technique", **policy)[0] == urgency
    value, computation = _select({"trial_offer": 2, first: 5}, "closing_technique")
    assert value == first and list(computation["points"]) == [first, "trial_offer"]


def test_a_type_seen_only_as_a_hint_never_leads() -> None:
    chosen, computation = _select(
        {"tough": 5, "scheming": 3},
        "debtor_type",
        within="type_to_address",
        addressed=("scheming",),
    )
    assert chosen == "scheming" and computation["points"] == {"scheming": 3}


@pytest.mark.parametrize(
    ("example", "topic", "rule", "ranked_topic"),
    [
        ("collection-mixed-debtor.yaml", "primary_debtor_type", "CO-123", "debtor_type"),
        ("closing-ready-buyer.yaml", "top_technique", "CL-120", "closing_technique"),
        ("credit-first-order.yaml", "first_investigation", "CR-197", "investigation"),
    ],
)
def test_the_leader_is_concluded_by_a_rule_in_the_trace_and_leads_the_list(
    example: str, topic: str, rule: str, ranked_topic: str
) -> None:
    result = _example(example)
    leader = result.conclusion(topic)
    assert leader is not None and leader.rules[0] == rule
    assert rule in result.fired_rules()
    assert leader.details["selection"][0].startswith(
        next(c.label for c in result.conclusions if c.value == leader.value)
    )
    listed = [c for c in result.conclusions if c.topic == ranked_topic]
    assert listed[0].value == leader.value
    order_key = "priority" if ranked_topic == "investigation" else "rank"
    assert listed[0].details.get(order_key, 1) == 1


def test_the_mixed_debtor_tie_is_decided_by_the_listed_order() -> None:
    result = _example("collection-mixed-debtor.yaml")
    primary = result.conclusion("primary_debtor_type")
    assert primary.value == "tough"
    assert primary.details["selection"] == ["Tough (hard-line): 3 points", "Scheming: 3 points"]
    assert {"CO-001", "CO-008"} <= {step.rule for step in primary.how}  # the evidence behind it


def test_the_leader_always_has_the_most_evidence() -> None:
    engine = default_engine()
    for raw in generate_cases(200):
        result = engine.consult(raw, what_if=False)
        for topic, ranked_topic in (
            ("top_technique", "closing_technique"),
            ("first_investigation", "investigation"),
        ):
            leader = result.conclusion(topic)
            scores = [c.score or 0 for c in result.conclusions if c.topic == ranked_topic]
            if leader is None:
                assert not scores
                continue
            mine = next(c.score or 0 for c in result.conclusions if c.value == leader.value)
            assert mine == max(scores)
