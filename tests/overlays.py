"""Overlay files as `sales-expert calibrate --out` writes them, for the tests that read one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def proposal(value: Any) -> dict[str, Any]:
    """One parameter's proposal: the value, the value it replaces (40) and why."""
    return {"value": value, "current": 40, "reason": {"en": "why", "zh": "原因"}}


def write_overlay(path: Path, parameters: dict[str, Any], **top: Any) -> Path:
    """An overlay file of ``parameters`` (each a proposal); ``top`` replaces top-level keys."""
    data = {
        "format": 1,
        "kind": "parameter_overlay",
        "created_at": "2025-06-30T08:00:00+00:00",
        "source": {"book": "book.csv", "rows": 3, "sha256": "a" * 64},
        "ruleset_version": "rb-0123456789abcdef",
        "parameters": parameters,
    } | top
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path
