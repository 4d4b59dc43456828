"""Golden explanation texts: each example's summary, as `sales-expert consult` prints it, in
both languages. A change to a rule, a text or the path search shows here as a readable diff;
regenerate on purpose with ``SALES_EXPERT_UPDATE_GOLDEN=1 pytest tests/test_golden_summaries.py``
and review the diff like code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from engine import consult
from engine.api import default_engine
from engine.render import render_summary

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden" / "summaries"
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def summary_text(example: Path, lang: str) -> str:
    case = yaml.safe_load(example.read_text(encoding="utf-8"))
    result = consult(case, lang=lang, record=False)
    text = render_summary(result, "", default_engine().compiled.knowledge)
    return text.split("\n", 1)[1].lstrip("\n") + "\n"  # without the version-stamped header


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_summary_reads_as_recorded(example: Path, lang: str) -> None:
    golden = GOLDEN / f"{example.stem}.{lang}.txt"
    text = summary_text(example, lang)
    if os.environ.get("SALES_EXPERT_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden text {golden.name}: regenerate (see the module docstring)"
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_text_belongs_to_an_example() -> None:
    stems = {p.stem for p in EXAMPLES}
    assert {p.name.rsplit(".", 2)[0] for p in GOLDEN.glob("*.txt")} <= stems
