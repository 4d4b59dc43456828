"""What the Performance page asks the engine for: the back-test of recorded consultations
(``engine.backtest.store``) or of an uploaded results file and outcomes file
(``engine.backtest.credit|grading|collection|closing``), and the page's texts.

The page holds no figures of its own: every number it shows comes from these calls. What is
here is plumbing — which engine function measures which module from which source, uploads
written to a temporary folder the engine can read (and removed afterwards), the engine's
refusals turned into lines a person reads, and the last result kept in the session so that a
rerun (a language switch, a page visit) does not measure again what has not changed.

**Modules by source.** ``STORE_MODULES`` and ``FILE_MODULES`` map a module to the call that
measures it; the page's module selector offers exactly their keys (today every module from
both sources); the page draws any module's figures from its ``module`` key.
"""

from __future__ import annotations

import csv
import dataclasses
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import streamlit as st

from engine.audit.errors import AuditError
from engine.audit.store import AuditStore
from engine.backtest import closing, collection, credit, grading
from engine.backtest.store import Selection, backtest_store
from engine.backtest.store_modules import backtest_store_module
from engine.errors import InputError, excerpt
from engine.outcomes.table import MAX_FILE_BYTES
from ui.i18n import kb, lang, upload_key
from ui.inert import plain

PAGE = "performance"
SOURCE = f"{PAGE}_source"
SOURCES = ("store", "files")
"""The source radio's values: recorded consultations, or a results file and an outcomes file."""
STORE_MODULE = f"{PAGE}_store_module"
FILE_MODULE = f"{PAGE}_file_module"
SINCE, UNTIL = f"{PAGE}_from", f"{PAGE}_to"
CHANNEL, VERSION = f"{PAGE}_channel", f"{PAGE}_version"
COST_BAD, COST_GOOD = f"{PAGE}_cost_bad", f"{PAGE}_cost_good"
RESULTS_FILE, OUTCOMES_FILE = upload_key(f"{PAGE}_results"), upload_key(f"{PAGE}_outcomes")
KEPT = (SOURCE, STORE_MODULE, FILE_MODULE, SINCE, UNTIL, CHANNEL, VERSION, COST_BAD, COST_GOOD)
"""Widget values kept while the page (or their source) is not shown: Streamlit drops the state
of widgets a run does not draw. Uploads cannot be re-set, so they are not kept."""
RESULT = f"{PAGE}_result"
FILE_TYPES = ("csv", "parquet", "pq")

Costs = tuple[float, float]
"""(cost of an accepted bad customer, cost of a rejected good one)."""
Figures = dict[str, Any]
StoreRun = Callable[[AuditStore, Selection, Costs], Figures]
FileRun = Callable[[Path, Path, str, Costs], Figures]

STORE_MODULES: dict[str, StoreRun] = {
    "credit": lambda audit, selection, costs: backtest_store(audit, selection, *costs),
    "grading": lambda audit, selection, _: backtest_store_module(audit, "grading", selection),
    "collection": lambda audit, selection, _: backtest_store_module(audit, "collection", selection),
    "closing": lambda audit, selection, _: backtest_store_module(audit, "closing", selection),
}
"""Modules measured over the audit database (one line per module)."""
FILE_MODULES: dict[str, FileRun] = {
    "credit": lambda results, outcomes, lang, costs: credit.backtest(
        results, outcomes, lang, *costs
    ),
    "grading": lambda results, outcomes, lang, _: grading.backtest(results, outcomes, lang),
    "collection": lambda results, outcomes, lang, _: collection.backtest(results, outcomes, lang),
    "closing": lambda results, outcomes, lang, _: closing.backtest(results, outcomes, lang),
}
"""Modules measured from a batch results file and an outcomes file."""
COSTED = frozenset({"credit"})
"""Modules whose back-test takes the two costs (the cut-off cost table)."""
DEFAULT_COSTS: Costs = (credit.DEFAULT_COST_BAD, credit.DEFAULT_COST_GOOD_REJECTED)
READ_FAILURES = (ValueError, OSError, csv.Error, pa.ArrowException)
"""What reading a file the engine did not refuse itself can raise (a CSV that is not UTF-8,
a damaged Parquet file): shown as a problem of the files, never as a traceback."""


def pt(key: str, **values: object) -> str:
    """The page text ``performance.<key>`` in the current language."""
    return kb().text(f"{PAGE}.{key}", lang(), **values)


def upload_limit() -> int:
    """Largest upload measured, in bytes: the server's upload limit (what the batch page's
    uploader allows), and never more than the outcomes reader accepts."""
    megabytes = int(st.get_option("server.maxUploadSize"))
    return min(megabytes * 1024 * 1024, MAX_FILE_BYTES)


@dataclass(frozen=True)
class Upload:
    """An uploaded file: the name its owner knows it by, and its bytes."""

    name: str
    data: bytes

    def suffix(self) -> str:
        """``.parquet`` / ``.pq`` for Parquet (the engine tells the format by it), else ``.csv``."""
        found = Path(self.name).suffix.lower()
        return found if found in (".parquet", ".pq") else ".csv"


@dataclass(frozen=True)
class Measured:
    """One back-test as the page shows it: the figures, or the problems that prevented them."""

    figures: Figures | None
    problems: tuple[str, ...] = ()


def problem_lines(exc: InputError, names: dict[str, str]) -> tuple[str, ...]:
    """Each problem of an engine refusal as a line, the temporary paths replaced by the names
    of the uploads (``names``: path → name), the text escaped for Markdown."""
    lines = []
    for problem in exc.problems:
        shown = dataclasses.replace(problem, field=names.get(problem.field, problem.field))
        lines.append(plain(str(shown)))
    if exc.total > len(exc.problems):
        lines.append(pt("more_problems", count=exc.total - len(exc.problems)))
    return tuple(lines)


def measure_files(module: str, results: Upload, outcomes: Upload, costs: Costs) -> Measured:
    """The back-test of two uploads, written where the engine can read them; the folder is
    removed afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="sales-expert-ui-") as folder:
        paths = {
            "results": Path(folder) / f"results{results.suffix()}",
            "outcomes": Path(folder) / f"outcomes{outcomes.suffix()}",
        }
        paths["results"].write_bytes(results.data)
        paths["outcomes"].write_bytes(outcomes.data)
        names = {str(paths["results"]): results.name, str(paths["outcomes"]): outcomes.name}
        try:
            figures = FILE_MODULES[module](paths["results"], paths["outcomes"], lang(), costs)
        except InputError as exc:
            return Measured(None, problem_lines(exc, names))
        except READ_FAILURES as exc:
            shown = str(exc)
            for path, name in names.items():
                shown = shown.replace(path, name)
            return Measured(None, (pt("unreadable", problem=plain(excerpt(shown, 300))),))
    source = {"mode": "book", "book": results.name, "outcomes": outcomes.name}
    return Measured(figures | {"source": source})


def measure_store(module: str, audit: AuditStore, selection: Selection, costs: Costs) -> Measured:
    """The back-test of the recorded consultations ``selection`` picks."""
    try:
        return Measured(STORE_MODULES[module](audit, selection, costs))
    except AuditError as exc:
        return Measured(None, (pt("unavailable", problem=plain(exc)),))
    except InputError as exc:
        return Measured(None, problem_lines(exc, {}))


def remembered(key: Hashable, measure: Callable[[], Measured]) -> Measured:
    """The last result if it was measured for the same request (``key``), else measured now.
    A request names everything the figures depend on, so a stale result is never shown."""
    found = st.session_state.get(RESULT)
    if isinstance(found, tuple) and len(found) == 2 and found[0] == key:
        kept: Measured = found[1]
        return kept
    measured = measure()
    st.session_state[RESULT] = (key, measured)
    return measured


__all__ = [
    "COSTED",
    "DEFAULT_COSTS",
    "FILE_MODULES",
    "KEPT",
    "SOURCES",
    "STORE_MODULES",
    "Costs",
    "Measured",
    "Upload",
    "measure_files",
    "measure_store",
    "pt",
    "remembered",
    "upload_limit",
]
