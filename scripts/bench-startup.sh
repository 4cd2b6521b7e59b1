#!/usr/bin/env bash
# Instructions executed by an allowed `gate -- /bin/true` (callgrind: deterministic, unlike wall
# time on a shared 2-core machine), for one or more commits side by side. Each commit is built
# as a static release in its own worktree; each run gets a fresh copy of one prepared state
# directory, so no run pays for creating the database or keys.
#   scripts/bench-startup.sh [COMMIT...]     (default: HEAD)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh valgrind libsodium-dev libsqlite3-dev zlib1g-dev pkg-config
export PATH="/opt/swift/usr/bin:$PATH"
commits=("$@")
[ ${#commits[@]} -eq 0 ] && commits=(HEAD)
work=$(mktemp -d /tmp/gate-bench-startup.XXXXXX)
trap 'for c in "${commits[@]}"; do git worktree remove --force "$work/src-$c" 2>/dev/null || true; done; rm -rf "$work"' EXIT

for c in "${commits[@]}"; do
    git worktree add --detach -q "$work/src-$c" "$c"
    # gate-commands exists from issue 17 on; the measured path is gate's alone.
    (cd "$work/src-$c" && swift build -c release --product gate --static-swift-stdlib >/dev/null 2>&1 \
        || { echo "build of $c failed" >&2; exit 1; })
    (cd "$work/src-$c" && swift build -c release --product gate-commands --static-swift-stdlib >/dev/null 2>&1 || true)
    bin="$work/src-$c/.build/release/gate"
    state="$work/state-$c"
    mkdir -p "$state/home"
    printf 'version 1\nallow -- /bin/true\nallow -- /usr/bin/true\n' > "$state/policy"
    chmod 600 "$state/policy"
    GATE_HOME="$state/home" GATE_POLICY="$state/policy" "$bin" -- /bin/true   # makes the database and keys
    for run in 1 2 3; do
        rm -rf "$state/run" && cp -a "$state/home" "$state/run"
        GATE_HOME="$state/run" GATE_POLICY="$state/policy" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$bin" -- /bin/true 2>&1 | sed -n "s/.*Collected : \([0-9]*\)/$c run $run: \1 instructions/p"
    done
done
