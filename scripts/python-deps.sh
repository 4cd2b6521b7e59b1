#!/usr/bin/env bash
# Makes `python3 -c 'import cryptography'` work for the independent verifier (tools/gate_verify.py):
# Debian's python3-cryptography for the system python3, else pip for a python3 that is not
# Debian's (pyenv and the like). Nothing when it already works.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import cryptography' 2>/dev/null && exit 0
if [ "$(command -v python3)" = /usr/bin/python3 ]; then
    scripts/deps.sh python3-cryptography
else
    python3 -m pip install -q cryptography
fi
python3 -c 'import cryptography' || { echo "python-deps: cannot import 'cryptography' in $(command -v python3)" >&2; exit 1; }
