"""Options every command on the audit database shares: --json, --lang and --db."""

from __future__ import annotations

import argparse


def add_common(p: argparse.ArgumentParser, lang: bool = True) -> None:
    """``--json`` (for machines), ``--lang`` (en, zh) unless ``lang`` is False, and ``--db``."""
    p.add_argument("--json", action="store_true", help="print JSON for machines")
    if lang:
        p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
    p.add_argument("--db", metavar="URL", help="audit database URL (default: the configured one)")


__all__ = ["add_common"]
