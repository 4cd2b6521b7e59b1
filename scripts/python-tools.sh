#!/usr/bin/env bash
# Test tools from PyPI, pinned, in a virtual environment under .build-tools/ (never committed):
# schemathesis, run against a live gate-server by the suite (ServerSchemaTests), and the official
# MCP Python SDK (mcp), the agent host that drives `gate mcp` (MCPTests). Nothing when the pinned
# versions are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build-tools/venv
schemathesis=4.32.5
mcp=2.3.0
have() { "$venv/bin/python3" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
if [ -x "$venv/bin/schemathesis" ] && have schemathesis "$schemathesis" && have mcp "$mcp"; then
    exit 0
fi
# Debian's python3 keeps venv (and ensurepip) in a package of its own.
if [ "$(command -v python3)" = /usr/bin/python3 ]; then scripts/deps.sh python3-venv; fi
[ -x "$venv/bin/python3" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis" "mcp==$mcp"
"$venv/bin/schemathesis" --version >/dev/null || { echo "python-tools: schemathesis did not install in $venv" >&2; exit 1; }
"$venv/bin/python3" -c 'import mcp.client.stdio' || { echo "python-tools: mcp did not install in $venv" >&2; exit 1; }
