#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the project; `setup.sh test` adds the test tools.
# System packages (fonts for Chinese, and what the test suite needs) come from apt when run
# as root; otherwise the script says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-app}"

apt_packages=(fonts-wqy-microhei)
if [ "$extra" = "test" ]; then
  apt_packages+=(postgresql)  # the audit tests run against a real PostgreSQL server too
  apt_packages+=(chromium)    # the browser tests drive Debian's chromium (tests/ui/test_browser.py)
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  else
    echo "warning: please install these Debian packages: ${missing[*]}" >&2
  fi
fi

python_bin="${PYTHON:-$(command -v python3.11 || command -v python3.12 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $python_bin"
  "$python_bin" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$extra" = "test" ]; then
  echo "==> pip install -e .[test]"
  .venv/bin/python -m pip install -q -e ".[test]"
else
  echo "==> pip install -e ."
  .venv/bin/python -m pip install -q -e .
fi
# The keyring that signs audit records (0600; kept if present). It goes where the settings say
# (SALES_EXPERT_AUDIT_KEY_FILE, else beside the SQLite database): see README, "Audit keys".
echo "==> sales-expert audit key init"
.venv/bin/sales-expert audit key init
