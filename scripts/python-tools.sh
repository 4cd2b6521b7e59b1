#!/usr/bin/env bash
# Test tools from PyPI, pinned, in a virtual environment under .build-tools/ (never committed):
# schemathesis, run against a live gate-server by the suite (ServerSchemaTests). Nothing when
# the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-tools/venv
want=4.32.5
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/python3" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$want')" 2>/dev/null; then
    exit 0
fi
# Debian's python3 keeps venv (and ensurepip) in a package of its own.
if [ "$(command -v python3)" = /usr/bin/python3 ]; then scripts/deps.sh python3-venv; fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$want"
"$venv/bin/schemathesis" --version >/dev/null || { echo "python-tools: schemathesis did not install in $venv" >&2; exit 1; }
