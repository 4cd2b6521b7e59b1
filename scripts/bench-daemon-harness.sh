#!/usr/bin/env bash
# What bench-daemon.sh's section 2 costs without gate (issue 12's throughput figure): CLIENTS
# shells, each running RUNS times `setpriv --reuid=bench-agent … env -i … COMMAND`, the way its
# clients reach the daemon, with COMMAND swapped. Prints runs/s. Run as root.
#   scripts/bench-daemon-harness.sh 32 100 /usr/bin/true
#   scripts/bench-daemon-harness.sh 32 100 /path/to/gate --version
#   scripts/bench-daemon-harness.sh 32 100 /usr/bin/sudo -u bench-deploy /usr/bin/true   (needs the
#       sudoers rule bench-daemon.sh writes: bench-agent ALL=(bench-deploy) NOPASSWD: /usr/bin/true)
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 CLIENTS RUNS COMMAND..." >&2; exit 64; }
[ "$(id -u)" = 0 ] || { echo "bench-daemon-harness: run as root" >&2; exit 1; }
clients=$1; runs=$2; shift 2
id bench-agent >/dev/null 2>&1 || useradd --create-home --shell /bin/sh bench-agent
as_agent() { setpriv --reuid=bench-agent --regid=bench-agent --init-groups -- env -i PATH=/usr/bin:/bin HOME=/home/bench-agent "$@"; }
start=$(date +%s.%N)
for c in $(seq "$clients"); do
    ( for r in $(seq "$runs"); do as_agent "$@" >/dev/null || echo "FAILED run $c.$r" >&2; done ) &
done
wait
end=$(date +%s.%N)
echo "$*: $((clients * runs)) runs in $(echo "$end - $start" | bc) s = $(echo "$clients * $runs / ($end - $start)" | bc) runs/s"
