"""The golden cases under a draft: which of them change their answer, topic by topic.

The golden cases are the repository's ``tests/cases/<module>/*.yaml`` (``case:`` the input,
``expect:`` the answer the tests hold the shipped rule base to). They are not part of the
installed package, so they are read from the repository root when the program runs from a
checkout (``cases_folder``); an installed package without the tests says so
(``GoldenReport.available`` is False) rather than reporting that nothing changes.

"Before" is the shipped rule base, "after" the same under the draft's parameter values and
without its rules switched off (``engine.calibrate.apply.engine_with``). A case's answer is
what its file holds the rule base to: the values concluded for each topic its ``expect`` names
(conclusions, rankings, scores), a number topic's number included; intermediate topics it does
not name are left out, or every change of a cut-off would list a dozen lines per case. They
come from an inference without trace (a fifth of a second for a hundred cases).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.calibrate.apply import engine_with
from engine.core import Engine
from engine.errors import excerpt
from engine.intake import parse_case
from engine.policy.checks import State, state
from knowledge_base.errors import SalesExpertError

REPOSITORY = Path(__file__).resolve().parents[2]
CASES = Path("tests") / "cases"
Answers = dict[str, tuple[Any, ...]]


@dataclass(frozen=True)
class GoldenCase:
    file: str
    """Relative to the cases folder: ``credit/decline-very-high-risk.yaml``."""
    case: dict[str, Any]
    topics: tuple[str, ...]
    """The topics of its answer (what its ``expect`` names), in order."""


@dataclass(frozen=True)
class GoldenChange:
    """One topic of one golden case whose answer differs under the draft."""

    file: str
    topic: str
    before: tuple[Any, ...]
    after: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "topic": self.topic,
            "before": list(self.before),
            "after": list(self.after),
        }


@dataclass(frozen=True)
class GoldenReport:
    available: bool
    cases: int = 0
    changes: tuple[GoldenChange, ...] = ()

    @property
    def files(self) -> list[str]:
        """The golden cases that change, in order, each once."""
        return list(dict.fromkeys(c.file for c in self.changes))

    def to_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "cases": self.cases,
            "changed_cases": self.files,
            "changes": [c.to_json() for c in self.changes],
        }


def cases_folder(root: Path = REPOSITORY) -> Path | None:
    """``tests/cases`` of the repository checkout the program runs from, if it is one."""
    folder = root / CASES
    return folder if (root / "pyproject.toml").is_file() and folder.is_dir() else None


@functools.cache
def golden_cases(root: Path = REPOSITORY) -> tuple[GoldenCase, ...] | None:
    """Every golden case, sorted by file; None where the cases are not shipped."""
    folder = cases_folder(root)
    if folder is None:
        return None
    found = []
    for path in sorted(folder.glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expect = data.get("expect") or {}
        named = [t for part in ("conclusions", "ranking", "scores") for t in expect.get(part, {})]
        topics = tuple(dict.fromkeys(named))
        found.append(GoldenCase(path.relative_to(folder).as_posix(), data["case"], topics))
    return tuple(found)


def _answers(engine: Engine, golden: GoldenCase) -> Answers:
    """The values concluded for each topic of the case's answer (all topics if it names none);
    a case the engine fails on answers with the error."""
    try:
        firing = engine.infer(parse_case(golden.case, "en"), trace=False)
    except SalesExpertError as exc:
        failed = (f"error: {excerpt(str(exc), 200, quoted=False)}",)
        return {topic: failed for topic in golden.topics or ("error",)}
    found: dict[str, list[Any]] = {}
    for topic, value in firing.derived:
        if not golden.topics or topic in golden.topics:
            found.setdefault(topic, []).append(value)
    return {topic: tuple(sorted(values, key=str)) for topic, values in found.items()}


@functools.lru_cache(maxsize=16)
def _all_answers(key: State, root: Path) -> tuple[Answers, ...]:
    values, rules_off = key
    engine = engine_with(dict(values), rules_off)
    return tuple(_answers(engine, golden) for golden in golden_cases(root) or ())


def golden_report(
    values: Mapping[str, float], rules_off: frozenset[str], root: Path = REPOSITORY
) -> GoldenReport:
    """Which golden cases answer differently under the draft than under the shipped rules."""
    cases = golden_cases(root)
    if cases is None:
        return GoldenReport(available=False)
    before = _all_answers(state({}, ()), root)
    after = _all_answers(state(values, rules_off), root)
    changes = [
        GoldenChange(golden.file, topic, old.get(topic, ()), new.get(topic, ()))
        for golden, old, new in zip(cases, before, after, strict=True)
        for topic in (golden.topics or sorted(set(old) | set(new)))
        if old.get(topic, ()) != new.get(topic, ())
    ]
    return GoldenReport(True, len(cases), tuple(changes))


__all__ = [
    "GoldenCase",
    "GoldenChange",
    "GoldenReport",
    "cases_folder",
    "golden_cases",
    "golden_report",
]
