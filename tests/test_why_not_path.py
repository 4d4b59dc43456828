"""Why not, on the decision's path: one line per alternative, the premise that really blocks it,
never a worse input as the way to a better answer, shared blockers on one line; and the "how"
of a conclusion several rules reached shows every one of them."""

from __future__ import annotations

from pathlib import Path

import yaml

from benchmarks.cases import generate_cases
from engine import consult
from engine.api import default_engine
from engine.result import WhyNot
from engine.whynot_support import collapse

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example(name: str, lang: str = "en") -> object:
    return consult(yaml.safe_load((EXAMPLES / name).read_text("utf-8")), lang=lang, record=False)


def test_a_referral_is_explained_by_the_risk_verdict_not_by_worse_inputs() -> None:
    result = _example("credit-refer.yaml")
    decision = result.conclusion("credit_decision")  # type: ignore[attr-defined]
    by_value = {w.value: w for w in decision.why_not}
    assert list(by_value) == ["approve", "approve_with_conditions", "decline"]
    assert by_value["approve"].field == "risk_level.value"  # followed down from the verdict
    assert by_value["approve"].failed.endswith(
        "needs Credit risk level is Low, but Credit risk level is High"
    )
    assert by_value["approve_with_conditions"].rule == "CR-107"  # the verdict, not coverage
    texts = " ".join(w.failed for w in decision.why_not)
    for worse in ("Reduced", "Below-zero", "Partial", "Too long"):
        assert worse not in texts


def test_no_better_answer_is_explained_by_a_worse_band() -> None:
    engine = default_engine()
    kb = engine.compiled.knowledge
    checked = 0
    for raw in generate_cases(120):
        result = engine.consult(raw, what_if=False)
        for conclusion in result.conclusions:
            order = {v: i for i, v in enumerate(kb.topics[conclusion.topic].value_ids())}
            for why in conclusion.why_not:
                if why.field is None or order.get(why.value, 99) > order.get(conclusion.value, 0):
                    continue  # a worse alternative, or a missing fact
                band = why.field.split(".", 1)[0]
                if band not in kb.topics or kb.topics[band].kind != "category":
                    continue
                places = {v: i for i, v in enumerate(kb.topics[band].value_ids())}
                wanted = why.expected if isinstance(why.expected, list) else [why.expected]
                if why.actual in places and all(w in places for w in wanted):
                    assert min(places[w] for w in wanted) <= places[why.actual], (
                        conclusion.topic,
                        why,
                    )
                    checked += 1
    assert checked > 50


def test_alternatives_with_one_blocker_share_one_line() -> None:
    blocked = "needs Credit risk level is Low, but Credit risk level is Very high"
    lines = [
        WhyNot("approve", "Approve", "CR-112", blocked),
        WhyNot("approve_with_conditions", "Approve with conditions", "CR-107", blocked),
        WhyNot("refer", "Refer", "CR-104", "needs something else"),
    ]
    merged = collapse(lines, ", ")
    assert [(w.label, w.rule) for w in merged] == [
        ("Approve, Approve with conditions", "CR-112"),
        ("Refer", "CR-104"),
    ]


def test_how_of_an_accumulated_conclusion_shows_every_supporting_firing() -> None:
    result = _example("collection-tough-debtor.yaml")
    tough = next(c for c in result.conclusions if c.topic == "debtor_type")  # type: ignore[attr-defined]
    assert len(tough.rules) >= 2
    assert {step.rule for step in tough.how} >= set(tough.rules)
    seqs = {s.rule: s.seq for s in result.trace}  # type: ignore[attr-defined]
    assert [seqs[s.rule] for s in tough.how] == sorted(seqs[s.rule] for s in tough.how)
