"""Public entry points: ``consult(case)`` with the built-in rule base, shared per process."""

from __future__ import annotations

import functools
from typing import Any

from engine.compiler import default_compiled
from engine.core import Engine
from engine.result import Result
from knowledge_base.facts import Case


@functools.cache
def default_engine() -> Engine:
    """The engine for the rule base shipped in ``rules/`` and ``knowledge_base/``."""
    return Engine(default_compiled())


def consult(
    case: Case | dict[str, Any], *, lang: str = "en", engine: Engine | None = None
) -> Result:
    """Run one consultation. ``case`` is a dict (as read from JSON/YAML) or a ``Case``."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    return (engine or default_engine()).consult(case, lang=lang)
