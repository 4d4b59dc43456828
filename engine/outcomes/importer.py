"""``sales-expert outcomes import``: an outcomes file into the audit trail, bad rows to a file.

The file is checked whole first (``table.open_table``: size, encoding, header), and the errors
file must be another file than the input (a symbolic or hard link to it too: ``engine.batch
.paths.same_file``) and not a directory; either problem refuses the import before anything is
written. Rows are then read in chunks of ``chunk_rows``: each row is typed and validated
(``model``), and the valid ones of a chunk are linked, checked and recorded in one transaction
(``AuditStore.record_outcomes``). A bad row never stops the import: each of its problems is a
line of the errors file (row, field, value — at most ``ERROR_VALUE_CHARS`` characters of it —
and message, every cell spreadsheet-safe: ``engine.csv_safe``), written afresh on every import
(only its header when nothing failed).

Counts: every row with a value is one of ``ok`` (recorded now), ``failed`` (in the errors file)
or ``duplicates`` (already recorded — by an earlier import, or earlier in this file), so
``rows_in = ok + failed + duplicates``. An import interrupted half-way is simply run again: the
rows it recorded are duplicates the second time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.audit.store import AuditStore
from engine.batch.paths import same_file
from engine.csv_safe import SafeWriter
from engine.errors import FieldProblem, excerpt
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.records import Settled, Who
from engine.outcomes.table import MAX_FILE_BYTES, open_table, read_rows, refuse, typed_cells
from knowledge_base import load_knowledge

ERROR_HEADER = ("row", "field", "value", "message")
ERROR_VALUE_CHARS = 200
"""Most characters of a rejected value the errors file quotes (as batch runs)."""


@dataclass(frozen=True)
class ImportOptions:
    input: Path
    errors: Path | None = None
    lang: str = "en"
    chunk_rows: int = 500
    limit: int = MAX_FILE_BYTES

    @property
    def errors_path(self) -> Path:
        """``--errors``, else ``<input stem>.errors.csv`` beside the input."""
        return self.errors or self.input.with_name(self.input.stem + ".errors.csv")


@dataclass
class ImportSummary:
    rows_in: int = 0
    ok: int = 0
    failed: int = 0
    duplicates: int = 0
    first_id: int | None = None
    last_id: int | None = None
    errors_file: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "rows_in": self.rows_in,
            "ok": self.ok,
            "failed": self.failed,
            "already_recorded": self.duplicates,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "errors_file": self.errors_file,
        }


def check_files(options: ImportOptions) -> None:
    """The errors file is not the input and not a directory (refused before any writing)."""
    kb, lang = load_knowledge(), options.lang
    errors = options.errors_path
    if errors.is_dir():
        raise refuse(str(errors), "is_directory", lang)
    if same_file(options.input, errors):
        first, second = kb.text("outcomes.file.input", lang), kb.text("outcomes.file.errors", lang)
        raise refuse(
            f"{options.input}, {errors}", "same_file", lang, first_file=first, second_file=second
        )


def _cell(value: object) -> object:
    """A rejected value as the errors file shows it: numbers as they are, text cut short."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return excerpt(value, ERROR_VALUE_CHARS, quoted=False)


Parsed = tuple[int, Outcome | None, list[FieldProblem]]


def _parse(number: int, row: dict[str, Any], extra: bool, lang: str) -> Parsed:
    """The row's outcome, or its problems, each showing the cell as it was in the file."""
    data, problems = typed_cells(row, lang)
    if extra:
        problems.append(FieldProblem("(row)", None, _message("extra_cells", lang)))
    parsed = parse_outcome(data, lang)
    if isinstance(parsed, list):
        problems += [
            FieldProblem(p.field, row[p.field], p.message) if row.get(p.field) else p
            for p in parsed
        ]
        return number, None, problems
    return number, (None if problems else parsed), problems


def _message(kind: str, lang: str) -> str:
    return load_knowledge().text(f"outcomes.problem.{kind}", lang)


def _chunks(options: ImportOptions, columns: list[str]) -> Iterator[list[Parsed]]:
    rows = read_rows(options.input, columns)
    parsed = (_parse(n, row, extra, options.lang) for n, row, extra in rows)
    while chunk := list(itertools.islice(parsed, max(1, options.chunk_rows))):
        yield chunk


def _tally(summary: ImportSummary, writer: SafeWriter, number: int, settled: Settled) -> None:
    summary.rows_in += 1
    if settled.record_id is not None:
        summary.ok += 1
        summary.first_id = summary.first_id or settled.record_id
        summary.last_id = settled.record_id
    elif settled.duplicate_of is not None:
        summary.duplicates += 1
    else:
        summary.failed += 1
        writer.writerows([number, p.field, _cell(p.value), p.message] for p in settled.problems)


def _record_chunk(
    store: AuditStore, chunk: list[Parsed], who: Who, options: ImportOptions
) -> list[tuple[int, Settled]]:
    """Each row of the chunk with its fate: the valid ones recorded in one transaction."""
    valid = [(n, o) for n, o, _ in chunk if o is not None]
    sources = [{"file": options.input.name, "row": n} for n, _ in valid]
    outcomes = [o for _, o in valid]
    recorded = iter(store.record_outcomes(outcomes, who, options.lang, sources) if valid else [])
    return [
        (n, next(recorded) if o is not None else Settled(problems=tuple(p))) for n, o, p in chunk
    ]


def import_outcomes(
    store: AuditStore, options: ImportOptions, who: Who, columns: list[str] | None = None
) -> ImportSummary:
    """Import the file (see the module docstring); the counts for the summary line.
    ``columns``: the file's, when the caller has checked it already (``open_table``)."""
    if columns is None:
        columns = open_table(options.input, options.lang, options.limit)
    check_files(options)
    summary = ImportSummary(errors_file=str(options.errors_path))
    with options.errors_path.open("w", encoding="utf-8", newline="") as out:
        writer = SafeWriter(out)
        writer.writerow(ERROR_HEADER)
        for chunk in _chunks(options, columns):
            for number, settled in _record_chunk(store, chunk, who, options):
                _tally(summary, writer, number, settled)
            out.flush()
    return summary


def summary_text(summary: ImportSummary, lang: str) -> str:
    """The summary line, the range of new records, and where the problems are."""
    kb = load_knowledge()
    lines = [
        kb.text(
            "outcomes.summary",
            lang,
            rows=summary.rows_in,
            ok=summary.ok,
            failed=summary.failed,
            duplicates=summary.duplicates,
        )
    ]
    if summary.first_id is not None:
        lines.append(
            kb.text("outcomes.recorded_ids", lang, first=summary.first_id, last=summary.last_id)
        )
    if summary.failed:
        lines.append(kb.text("outcomes.errors_written", lang, file=summary.errors_file))
    return "\n".join(lines)


__all__ = [
    "ERROR_HEADER",
    "ImportOptions",
    "ImportSummary",
    "check_files",
    "import_outcomes",
    "summary_text",
]
