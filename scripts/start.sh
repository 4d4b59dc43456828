#!/usr/bin/env bash
# Quick start, step 1: set up and start the app at http://localhost:8501.
#
#   bash scripts/start.sh [--address ADDR] [--allow-demo-on-network] [streamlit options...]
#
# Listens on 127.0.0.1 (this machine only) unless --address ADDR, --server.address ADDR or
# $STREAMLIT_SERVER_ADDRESS names another address. The demo users' passwords are public: while
# the users file holds one, a network address (0.0.0.0, a LAN address, a host name) is refused
# unless --allow-demo-on-network is given (`sales-expert demo --check-address` decides).
# Any other option goes to `streamlit run` (e.g. --server.port 8502).
set -euo pipefail
cd "$(dirname "$0")/.."

address="${STREAMLIT_SERVER_ADDRESS:-127.0.0.1}"
allow=()
passed=()
while [ $# -gt 0 ]; do
  case "$1" in
    --allow-demo-on-network) allow=(--allow-demo-on-network) ;;
    --address | --server.address)
      [ $# -ge 2 ] || { echo "error: $1 needs an address" >&2; exit 2; }
      address="$2"
      shift
      ;;
    --address=* | --server.address=*) address="${1#*=}" ;;
    *) passed+=("$1") ;;
  esac
  shift
done

bash scripts/setup.sh app
.venv/bin/sales-expert demo  # demo users (printed with their passwords) and example records, once
# Refuses (exit 2) a network address while a demo password is in use; warns loudly otherwise.
.venv/bin/sales-expert demo --check-address "$address" ${allow[@]+"${allow[@]}"}
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
exec .venv/bin/streamlit run ui/server.py --server.headless true --server.address "$address" \
  ${passed[@]+"${passed[@]}"}
