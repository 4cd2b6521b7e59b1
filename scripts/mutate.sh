#!/usr/bin/env bash
# Mutation score of gate's checks: scripts/mutate.py says how (not part of CI: many builds).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh rsync libsodium-dev libsqlite3-dev zlib1g-dev pkg-config sqlite3 python3
exec python3 scripts/mutate.py "$@"
