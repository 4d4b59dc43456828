"""Calibration from the company's own book (issue 20): proposed parameter values, never applied.

``calibrate(Request(book=…))`` reads an input book (and optionally the batch results of it and
an outcomes file) and returns an ``Overlay``: grading band cut-offs from the book's quantiles
(``grading``), the credit score cut-off for a target approval or bad rate (``credit``), each
with its current value and the figures that justify it. ``dump_overlay`` writes it as YAML,
``load_overlay`` reads one back and checks it against the rule base (``overlay``: the file
format is documented there); ``engine_with`` builds an engine under changed values (``apply``).

Modules: ``book`` (reading the input book, the errors), ``results`` (the credit consultations
of a results file), ``grading``, ``credit``, ``overlay``, ``apply``, ``propose`` (the request).
"""

from __future__ import annotations

from engine.calibrate.apply import engine_with, knowledge_with
from engine.calibrate.book import CalibrateError
from engine.calibrate.overlay import Overlay, Proposal, dump_overlay, load_overlay, problems
from engine.calibrate.propose import Request, calibrate

__all__ = [
    "CalibrateError",
    "Overlay",
    "Proposal",
    "Request",
    "calibrate",
    "dump_overlay",
    "engine_with",
    "knowledge_with",
    "load_overlay",
    "problems",
]
