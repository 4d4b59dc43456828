"""The decision service's own settings: the per-request timeout and where the access log goes.

``sales-expert serve --timeout S --access-log PATH`` checks them and hands them to the server
in ``SALES_EXPERT_SERVE_TIMEOUT`` and ``SALES_EXPERT_SERVE_ACCESS_LOG``: uvicorn starts each
worker process by importing ``engine.service.app:create_app``, and the environment is the
only thing a worker shares with the command that started it. ``create_app`` checks them again,
so a server started with ``uvicorn --factory`` is held to the same limits. This module imports
no web framework: the command line reads it for every command.
"""

from __future__ import annotations

import math
import os

TIMEOUT_ENV = "SALES_EXPERT_SERVE_TIMEOUT"
ACCESS_LOG_ENV = "SALES_EXPERT_SERVE_ACCESS_LOG"
DEFAULT_TIMEOUT = 30.0
MIN_TIMEOUT = 0.05
"""Below this a timeout cuts off consultations that are working normally (one takes about
20-80 ms with the what-if search and its recording)."""
MAX_TIMEOUT = 3600.0
STDOUT, STDERR = "-", ""
"""``--access-log -`` is standard output; no ``--access-log`` is standard error."""


def timeout_seconds(text: str) -> float:
    """The timeout ``text`` gives, or a ValueError naming the value and what is allowed."""
    allowed = (
        f"a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} (default {DEFAULT_TIMEOUT:g})"
    )
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{text!r}: {allowed}") from None
    if not math.isfinite(seconds) or not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:
        raise ValueError(f"{text!r}: {allowed}")
    return seconds


def access_log_target(text: str) -> str:
    """``-``, or a file path that can be appended to (created if missing); a ValueError
    naming the path and the reason otherwise. Checked before the server starts, so a wrong
    path stops ``serve`` at once instead of every worker process failing."""
    if text == STDOUT:
        return text
    if not text.strip():
        raise ValueError(f"{text!r}: a file path, or - for standard output")
    try:
        os.close(os.open(text, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640))
    except OSError as exc:
        raise ValueError(
            f"{text!r}: cannot append to it ({exc.strerror}); "
            "give a file in a folder that exists, or - for standard output"
        ) from None
    return text


def configured_timeout() -> float:
    """The timeout the command line set (the default without one)."""
    text = os.environ.get(TIMEOUT_ENV, "")
    return timeout_seconds(text) if text else DEFAULT_TIMEOUT


def configured_access_log() -> str:
    """Where the command line sent the access log: a path, ``-`` or ``""`` (standard error)."""
    text = os.environ.get(ACCESS_LOG_ENV, STDERR)
    return access_log_target(text) if text else STDERR


__all__ = [
    "ACCESS_LOG_ENV",
    "DEFAULT_TIMEOUT",
    "MAX_TIMEOUT",
    "MIN_TIMEOUT",
    "STDERR",
    "STDOUT",
    "TIMEOUT_ENV",
    "access_log_target",
    "configured_access_log",
    "configured_timeout",
]
