#!/usr/bin/env bash
# Builds gate and runs every test: unit tests of the pure core, end-to-end tests that drive the
# built binary (real files, real processes, a real terminal under tmux), and the independent
# Python verifier against gate's output. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
# procps, passwd, util-linux: pgrep/pkill, useradd, setpriv (the daemon tests' real unix users);
# groff-base, man-db: the man pages are checked as man formats them.
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config sqlite3 acl tmux python3 curl openssl chromium \
    procps passwd util-linux groff-base man-db
scripts/python-deps.sh
scripts/python-tools.sh
export PATH="/opt/swift/usr/bin:$PATH"
swift build --build-tests
set +e
swift test --skip-build > .build/test-output.txt 2>&1
status=$?
set -e
# Passes, failures and the closing line; the per-test "started" lines only lengthen the log.
grep -v '^◇ \|^↳ ' .build/test-output.txt || true
exit "$status"
