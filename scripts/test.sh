#!/usr/bin/env bash
# Quick start, step 2: set up and run the full test suite (style, types, rule-base lint, tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check . >/dev/null
echo "==> mypy"
.venv/bin/mypy
echo "==> sales-expert lint"
.venv/bin/sales-expert lint
echo "==> pytest"
.venv/bin/python -m pytest "$@"
