"""``calibrate``: from a request (book, results, outcomes, target) to an overlay, refusing a
request that cannot be served before anything is read at length.

The checks run in the order a person fixes them: the options (a target outside (0, 1), two
targets, a target without the results it needs), then the files (each exists, has its columns,
the book has rows), then the output file (never one of the inputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.batch.table import fingerprint
from engine.calibrate.book import book_columns, refuse, require_file
from engine.calibrate.credit import Kind, Target, propose_credit
from engine.calibrate.grading import REQUIRED_COLUMNS, propose_grading
from engine.calibrate.overlay import FORMAT, KIND, Overlay, OverlaySource, Proposal
from engine.calibrate.results import join_outcomes, read_consultations
from engine.shared import default_engine
from knowledge_base import Knowledge, load_knowledge

TARGET_OPTIONS = {"approval_rate": "--target-approval-rate", "bad_rate": "--target-bad-rate"}


@dataclass(frozen=True)
class Request:
    """What the command line asked for (targets as typed: parsed and checked here)."""

    book: Path
    results: Path | None = None
    outcomes: Path | None = None
    target_approval_rate: str | None = None
    target_bad_rate: str | None = None
    out: Path | None = None
    lang: str = "en"


def parse_target(request: Request) -> Target | None:
    """The one target given, a number strictly between 0 and 1; exit 2 naming the option."""
    given: list[tuple[Kind, str]] = []
    if request.target_approval_rate is not None:
        given.append(("approval_rate", request.target_approval_rate))
    if request.target_bad_rate is not None:
        given.append(("bad_rate", request.target_bad_rate))
    if len(given) > 1:
        raise refuse("--target-approval-rate", "two_targets", request.lang)
    if not given:
        return None
    kind, text = given[0]
    option = TARGET_OPTIONS[kind]
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:  # also refuses nan and infinities
        raise refuse(option, "target_range", request.lang, option=option, value=text)
    return Target(kind, value)


def check_request(request: Request, target: Target | None) -> None:
    """Options that need one another: exit 2 naming the one missing."""
    lang = request.lang
    if request.outcomes is not None and request.results is None:
        raise refuse("--outcomes", "needs_results", lang, option="--outcomes")
    if target is not None and request.results is None:
        option = TARGET_OPTIONS[target.kind]
        raise refuse(option, "needs_results", lang, option=option)
    if request.results is not None and target is None:
        raise refuse("--results", "needs_target", lang)
    if target is not None and target.kind == "bad_rate" and request.outcomes is None:
        raise refuse("--target-bad-rate", "needs_outcomes", lang)


def check_files(request: Request) -> None:
    """Each file exists, the book has rows and its value columns, the output is no input."""
    lang = request.lang
    require_file(request.book, "--book", lang)
    for option, path in (("--results", request.results), ("--outcomes", request.outcomes)):
        if path is not None:
            require_file(path, option, lang)
    found = book_columns(request.book, lang)
    for column in REQUIRED_COLUMNS:
        if column not in found:
            raise refuse("--book", "missing_column", lang, column=column, path=str(request.book))
    if request.out is not None:
        inputs = [p for p in (request.book, request.results, request.outcomes) if p is not None]
        if any(p.resolve() == request.out.resolve() for p in inputs):
            raise refuse("--out", "out_is_input", lang, path=str(request.out))


def calibrate(request: Request, kb: Knowledge | None = None) -> Overlay:
    """The overlay the request proposes (not written: see ``dump_overlay``)."""
    knowledge = kb or load_knowledge()
    target = parse_target(request)
    check_request(request, target)
    check_files(request)
    rows, proposed = propose_grading(request.book, knowledge, request.lang)
    if target is not None and request.results is not None:
        proposed |= _credit(request, target, knowledge)
    source = OverlaySource(book=request.book.name, rows=rows, sha256=fingerprint(request.book))
    return Overlay(
        format=FORMAT,
        kind=KIND,
        created_at=datetime.now(UTC).replace(microsecond=0),
        source=source,
        ruleset_version=default_engine().version,
        parameters=proposed,
    )


def _credit(request: Request, target: Target, kb: Knowledge) -> dict[str, Proposal]:
    assert request.results is not None  # checked by check_request
    consulted = read_consultations(request.results, kb, request.lang)
    counts: dict[str, int] = {}
    if request.outcomes is not None:
        counts = join_outcomes(consulted, request.outcomes, request.lang)
    proposed = propose_credit(consulted, request.book, kb, target, request.lang)
    return {
        name: p.model_copy(update={"figures": p.figures | counts}) for name, p in proposed.items()
    }
