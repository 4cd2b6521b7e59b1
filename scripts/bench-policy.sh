#!/usr/bin/env bash
# Issue 3's number: the cost of policy size on the hot path. `gate -- /bin/true` (allowed by the
# last rule, so every rule is read and parsed, and the match is found on the first rule tried from
# the end) with a 1-rule and a 1,000-rule policy, side by side; and with the match on the *first*
# rule of 1,000 (every rule tried, worst case). Usage: scripts/bench-policy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev pkg-config hyperfine python3
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --static-swift-stdlib --product gate >/dev/null
gate="$PWD/.build/release/gate"
work=$(mktemp -d /tmp/gate-bench-policy.XXXXXX)
trap 'rm -rf "$work"' EXIT
export GATE_HOME="$work/state" NO_COLOR=1
out="${BENCH_OUT:-$PWD/bench-out}"
mkdir -p "$out"
keys=$(for n in a b c d e; do "$gate" keygen --name "$n" --user "$n" --out "$work/$n.key" --no-passphrase 2>/dev/null; done)
python3 - "$work" $keys <<'PY'
import sys
work, keys = sys.argv[1], sys.argv[2:]
head = "version 1\n" + "".join("approver %s user=%s key=%s\n" % (n, n, k) for n, k in zip("abcde", keys))
head += "group sre a b c\ngroup dba d e\ndefault require 1\n"
def rules(n):
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0: out.append('require 2 of sre reason env:TF_WORKSPACE=prod%d -- terraform%d apply ...' % (i, i))
        elif kind == 1: out.append('require 1 of dba cwd=/srv/db%d -- pg_dump%d --dbname=customers ...' % (i, i))
        elif kind == 2: out.append('deny "no %d" agent=* -- aws%d iam ...' % (i, i))
        else: out.append('allow -- tool%d status *' % i)
    return out
open(work + "/p1", "w").write(head + "allow -- /bin/true\n")
open(work + "/p1000", "w").write(head + "\n".join(rules(999)) + "\nallow -- /bin/true\n")
open(work + "/p1000first", "w").write(head + "allow -- /bin/true\n" + "\n".join(rules(999)) + "\n")
PY
chmod 600 "$work"/p1 "$work"/p1000 "$work"/p1000first
for p in p1 p1000 p1000first; do GATE_POLICY="$work/$p" "$gate" -- /bin/true; done
echo "policy sizes: $(wc -l < "$work/p1") and $(wc -l < "$work/p1000") lines, $(wc -c < "$work/p1000") bytes"
hyperfine -N --warmup 30 --runs 500 --export-json "$out/policy.json" \
    -n "1 rule" "env GATE_POLICY=$work/p1 $gate -- /bin/true" \
    -n "1000 rules, match last" "env GATE_POLICY=$work/p1000 $gate -- /bin/true" \
    -n "1000 rules, match first" "env GATE_POLICY=$work/p1000first $gate -- /bin/true" 2>&1 | grep -E "Benchmark|Time|±"
python3 - "$out/policy.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["1 rule"]
for k in ("1000 rules, match last", "1000 rules, match first"):
    d = (r[k]["mean"] - base["mean"]) * 1e3
    se = ((r[k]["stddev"] ** 2 / len(r[k]["times"]) + base["stddev"] ** 2 / len(base["times"])) ** 0.5) * 1e3
    print("summary: %s adds %.2f ms ± %.2f ms (standard error) over 1 rule" % (k, d, se))
PY
