"""Fixtures of the batch tests: the real command in this process (the rule base loads once)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.cli import main

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """``sales-expert ARGS`` as ``engine.cli.main`` runs it: (exit code, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
