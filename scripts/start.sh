#!/usr/bin/env bash
# Quick start, step 1: set up and start the app at http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
.venv/bin/sales-expert demo  # demo users (printed with their passwords) and example records, once
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
exec .venv/bin/streamlit run ui_app.py --server.headless true "$@"
