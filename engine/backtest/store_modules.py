"""The grading, collection and closing back-tests over the audit store: recorded consultations
of the module and the outcomes recorded on them, measured by the module's own ``measure``, so
that the store gives the figures a results file gives (``grading``, ``collection``,
``closing``) from the same rows, by the same code.

**The rows.** Each consultation becomes the results row the batch would have written for it
(``engine.batch.mapping.OUTPUT_COLUMNS``, only the columns the module reads, ``Spec.keep``): a
topic's first conclusion, its conclusions ranked by score and ``;``-separated, or the best
ranked one, and an input repeated from the case (collection's ``overdue_amount``). The module's
``Spec.is_row`` then decides what is a consultation of the module and its ``measure`` how the
outcomes combine, exactly as for a results file; only the linking differs (a recorded outcome
names its consultation, ``ref_id``).

**What is read.** Consultations: records of kind ``consultation`` selected by ``Selection``
(``store``: UTC days, channel, rule-base version) whose ``modules`` column names the module (a
consultation where no rule of the module fired concludes none of its topics; outcomes are only
recorded on such ones). Outcomes: records of kind ``outcome`` of the module on those
consultations, except those another outcome ``corrects`` (``store.corrected``: a correction
replaces what it corrects, a correction of a correction leaves only the last, as for credit),
in recording order, which ``closing`` reads as a results file's row order.

**How: SQL extraction, streamed.** One query joins (LEFT) the consultations with their counted
outcomes, ordered by consultation then outcome, and is streamed (``yield_per``). The database
extracts from the JSON payloads only what a row needs — never a payload, most of which is the
trace: the conclusions of the module's topics as ``[index, topic, value, score]``
(``json_each``/``json_group_array`` on SQLite, ``jsonb_array_elements … WITH ORDINALITY``/
``jsonb_agg`` on PostgreSQL; the index keeps the conclusions' order, which a "first conclusion"
column depends on), each input (``json_extract``/``#>>``), and each outcome's fields
(``payload.outcome``). Those fields are read by the outcome model (``parse_outcome``): the one
definition of their types (a flag is 1 on SQLite, ``true`` on PostgreSQL), and a record the
model refuses today is counted ``invalid_outcomes`` rather than guessed at. Why in SQL rather
than parsing payloads in Python: sending the conclusions alone to Python costs more than
filtering them in the database (measured on PostgreSQL, 10,000 consultations), and a payload
is 6–14 KB. Parsing the payload is most of the cost: on PostgreSQL it is cast to ``jsonb``
once per consultation (``payload_document``), which halved the collection query (it reads the
conclusions and an input); SQLite parses it once per JSON function, so collection pays a
second parse there (about a third more than grading). Every consultation of the module is
read, with an outcome or not: ``is_row`` (Python, the one definition) tells the consultations
without an outcome from those that are not the module's. Only the small rows of the figures
(``Customer``, ``Debt``, ``Deal``) are held, as for a results file.

**Counts beside the figures** (a results file's keys, ``join.left_out``), read in the same
transaction: ``not_<module>_rows``, selected consultations that are not of the module;
``without_outcome``, those of the module without a counted outcome; ``other_module_outcomes``,
outcomes of another module on the selection; ``superseded_outcomes``, outcomes of the module a
correction replaced; ``unmatched``, counted outcomes of the module on a selected consultation
that is not one of the module's (it concluded nothing the figures group by, as a results row
that is not the module's takes no outcome); ``invalid_outcomes``, above.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from engine.audit.models import records
from engine.audit.records import join_ids
from engine.audit.store import AuditStore
from engine.backtest import closing, collection, grading
from engine.backtest.join import Cells, Linked, Spec, cell, left_out
from engine.backtest.store import STREAM_ROWS, Selection, corrected, reading
from engine.batch.mapping import LIST_SEPARATOR, OUTPUT_COLUMNS, Column
from engine.outcomes.model import Outcome, parse_outcome
from engine.outcomes.records import OUTCOME_KIND

Measure = Callable[[Iterable[Linked], Sequence[str]], dict[str, Any]]
CONCLUDED = ("value", "values", "top")
"""How a results column takes a topic's conclusions (``mapping.Column.take``)."""
Found = list[tuple[Any, float | None]]
"""A topic's conclusions as (value, score), in the order the consultation concluded them."""


@dataclass(frozen=True)
class Reader:
    """What the back-test of one module reads of each consultation, and how it measures."""

    spec: Spec
    measure: Measure
    columns: tuple[Column, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.topic for c in self.columns if c.take in CONCLUDED))

    @property
    def inputs(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.take == "input")

    @property
    def names(self) -> list[str]:
        """The columns a results file of today's batch has, of those the module reads."""
        return [c.name for c in self.columns]

    def cells(self, row: sa.Row[Any]) -> Cells:
        """The consultation as the batch writes its results row (``mapping.result_cells``)."""
        by_topic: dict[str, Found] = {}
        for _, topic, value, score in sorted(_loaded(row.conclusions) or [], key=lambda e: e[0]):
            by_topic.setdefault(str(topic), []).append((value, score))
        return {
            c.name: cell(row._mapping[c.name])
            if c.take == "input"
            else _cell(c.take, by_topic.get(c.topic, []))
            for c in self.columns
        }


def reader(spec: Spec, measure: Measure) -> Reader:
    """The reader of a module: the batch's columns among those its ``Spec`` keeps."""
    columns = tuple(c for c in OUTPUT_COLUMNS if c.name in spec.keep)
    unread = [c.name for c in columns if c.take not in (*CONCLUDED, "input")]
    if unread:  # a module reading, say, the rules fired would need them extracted too
        raise ValueError(f"the store cannot read the results column(s) {', '.join(unread)}")
    return Reader(spec, measure, columns)


READERS: dict[str, Reader] = {
    "grading": reader(grading.SPEC, grading.measure),
    "collection": reader(collection.SPEC, collection.measure),
    "closing": reader(closing.SPEC, closing.measure),
}
"""The modules measured here (credit has its own reader, ``store``)."""


def _loaded(found: object) -> Any:
    """A JSON value from the database: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(found) if isinstance(found, str) else found


def _cell(take: str, found: Found) -> str:
    """A results cell from a topic's conclusions, as ``mapping._cell`` writes it (ranked by
    score, highest first, ties in conclusion order)."""
    ranked = sorted(found, key=lambda f: -(f[1] or 0.0))
    if take == "values":
        return cell(LIST_SEPARATOR.join(str(value) for value, _ in ranked))
    if not found:
        return ""
    return cell((ranked if take == "top" else found)[0][0])


def payload_document(backend: str, table: sa.FromClause) -> tuple[sa.FromClause, Any]:
    """Where a consultation's payload is read from: its text on SQLite (every JSON function
    parses it); on PostgreSQL the payload cast to ``jsonb`` once, in a LATERAL subquery, since
    the cast is most of the cost (``OFFSET 0`` keeps the planner from copying it into every
    use: a collection row reads the payload twice)."""
    if backend == "sqlite":
        return table, table.c.payload
    parsed = sa.select(sa.cast(table.c.payload, JSONB).label("doc")).correlate(table)
    once = parsed.offset(0).lateral("d")
    return table.join(once, sa.true()), once.c.doc


def concluded(backend: str, document: Any, topics: Sequence[str]) -> Any:
    """``[[index, topic, value, score], …]`` of the consultation's conclusions of ``topics``,
    found by the database in its payload (None or [] when there are none)."""
    if backend == "sqlite":
        each = sa.func.json_each(document, "$.result.conclusions")
        item = each.table_valued("key", "value").alias("item")
        topic = sa.func.json_extract(item.c.value, "$.topic")
        value, score = (sa.func.json_extract(item.c.value, f"$.{n}") for n in ("value", "score"))
        found = sa.func.json_group_array(sa.func.json_array(item.c.key, topic, value, score))
    else:
        elements = sa.func.jsonb_array_elements(document[("result", "conclusions")])
        ordered = elements.table_valued(sa.column("value", JSONB), with_ordinality="idx")
        item = ordered.render_derived("item")  # AS item(value, idx): names the ordinality
        topic = item.c.value["topic"].astext
        parts = (item.c.value[n] for n in ("topic", "value", "score"))
        found = sa.func.jsonb_agg(sa.func.jsonb_build_array(item.c.idx, *parts))
    return sa.select(found).where(topic.in_(topics)).scalar_subquery()


def case_input(backend: str, document: Any, column: Column) -> Any:
    """An input of the case (``collection.overdue_amount``): a number on SQLite, text on
    PostgreSQL (``cell`` makes both the text a results file has)."""
    path = ("case", *column.topic.split("."))
    if backend == "sqlite":
        return sa.func.json_extract(document, "$." + ".".join(path)).label(column.name)
    return document[path].astext.label(column.name)


def _counted(backend: str, module: str) -> sa.Subquery:
    """The module's outcomes that count (no other outcome corrects them), with their fields."""
    o = records.alias("o")
    if backend == "sqlite":
        facts: Any = sa.func.json_extract(o.c.payload, "$.outcome")
    else:
        facts = sa.cast(o.c.payload, JSONB)["outcome"]
    found = sa.select(o.c.id, o.c.ref_id, facts.label("facts"))
    found = found.where(o.c.kind == OUTCOME_KIND, o.c.modules == join_ids([module]))
    return found.where(~corrected(backend, o)).subquery("counted")


def rows_query(backend: str, selection: Selection, module: str) -> sa.Select[Any]:
    """The selected consultations of the module, each with its counted outcomes (one row per
    outcome, one row without any), in consultation then recording order."""
    got, c = READERS[module], records.alias("c")
    counted = _counted(backend, module)
    consultations, document = payload_document(backend, c)
    return (
        sa.select(
            c.c.id,
            concluded(backend, document, got.topics).label("conclusions"),
            *(case_input(backend, document, column) for column in got.inputs),
            counted.c.id.label("outcome_id"),
            counted.c.facts,
        )
        .select_from(consultations.outerjoin(counted, counted.c.ref_id == c.c.id))
        .where(*selection.clauses(c), c.c.modules.contains(f",{module},", autoescape=True))
        .order_by(c.c.id, counted.c.id)
    )


@dataclass
class Tally:
    """What the streamed rows left out, counted as they pass."""

    module_rows: int = 0
    linked: int = 0
    placed: int = 0
    invalid: int = 0

    def outcome(self, row: sa.Row[Any]) -> Outcome | None:
        """The outcome of a row as the model reads it (the link is the consultation)."""
        data = _loaded(row.facts) | {"consultation_id": row.id}
        found = parse_outcome(data, "en", latest=date.max)  # recorded: observed by then
        if isinstance(found, Outcome):
            self.placed += 1
            return found
        self.invalid += 1
        return None


def linked_rows(
    conn: sa.Connection, selection: Selection, module: str, tally: Tally
) -> Iterator[Linked]:
    """Each consultation of the module that has a counted outcome, with its outcomes, streamed;
    ``tally`` counts the others."""
    got = READERS[module]
    query = rows_query(conn.dialect.name, selection, module)
    found = conn.execution_options(yield_per=STREAM_ROWS).execute(query)
    for _, group in itertools.groupby(found, key=lambda row: row.id):
        rows = list(group)
        cells = got.cells(rows[0])
        if not got.spec.is_row(cells):
            continue  # its outcomes are unmatched (counted in the database, ``_recorded``)
        tally.module_rows += 1
        told = [tally.outcome(row) for row in rows if row.outcome_id is not None]
        kept = [outcome for outcome in told if outcome is not None]
        if kept:
            tally.linked += 1
            yield cells, kept


@dataclass(frozen=True)
class Recorded:
    """The selection's consultations and the outcomes on them, counted in the database."""

    consultations: int
    others: int
    superseded: int
    counted: int


def _recorded(conn: sa.Connection, selection: Selection, module: str) -> Recorded:
    c, o = records.alias("c"), records.alias("o")
    total = conn.scalar(sa.select(sa.func.count()).select_from(c).where(*selection.clauses(c)))
    is_module = o.c.modules == join_ids([module])
    superseded = sa.and_(is_module, corrected(conn.dialect.name, o))
    tallies = sa.select(
        sa.func.count(sa.case((~is_module, 1))),
        sa.func.count(sa.case((is_module, 1))),
        sa.func.count(sa.case((superseded, 1))),
    ).select_from(c.join(o, o.c.ref_id == c.c.id))
    others, ours, replaced = conn.execute(
        tallies.where(*selection.clauses(c), o.c.kind == OUTCOME_KIND)
    ).one()
    return Recorded(int(total or 0), int(others), int(replaced), int(ours) - int(replaced))


def backtest_store_module(store: AuditStore, module: str, selection: Selection) -> dict[str, Any]:
    """The back-test of ``module`` (grading, collection or closing) over the consultations
    ``selection`` picks in ``store``: the keys of the results-file back-test, and ``source``."""
    if module not in READERS:
        raise ValueError(f"module: {module!r}; the store back-test measures {', '.join(READERS)}")
    tally = Tally()
    with reading(store) as conn:
        recorded = _recorded(conn, selection, module)
        rows = linked_rows(conn, selection, module, tally)
        measured = READERS[module].measure(rows, READERS[module].names)
    counts = left_out(
        module,
        unmatched=recorded.counted - tally.placed - tally.invalid,
        invalid=tally.invalid,
        others=recorded.others,
        without=tally.module_rows - tally.linked,
        not_module=recorded.consultations - tally.module_rows,
        superseded=recorded.superseded,
    )
    source = {"mode": "store", "database": store.display_url, **selection.as_json()}
    return measured | counts | {"source": source}


__all__ = ["READERS", "Reader", "Tally", "backtest_store_module", "linked_rows", "rows_query"]
