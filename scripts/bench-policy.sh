#!/usr/bin/env bash
# Issue 3's number: the cost of policy size on the hot path. `gate -- /bin/true` (allowed by the
# last rule, so every rule is read and parsed, and the match is found on the first rule tried from
# the end) with a 1-rule and a 1,000-rule policy, side by side; and with the match on the *first*
# rule of 1,000 (every rule tried, worst case). Usage: scripts/bench-policy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config hyperfine python3
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --static-swift-stdlib --product gate >/dev/null && swift build -c release --static-swift-stdlib --product gate-commands >/dev/null
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
    print("hyperfine: %s adds %.2f ms ± %.2f ms (standard error) over 1 rule" % (k, d, se))
PY

# hyperfine runs each command's batch in turn, and on this VM the machine drifts between
# batches by more than the effect measured. The paired figure interleaves the three policies
# run by run (order shuffled each round) and takes the median of the per-round differences.
python3 - "$gate" "$work" "$out/policy-paired.json" <<'PY'
import json, os, random, statistics, sys, time
gate, work, out = sys.argv[1:]
variants = {"1 rule": "p1", "1000 rules, match last": "p1000", "1000 rules, match first": "p1000first"}
def once(policy):
    env = dict(os.environ, GATE_POLICY=os.path.join(work, policy))
    t = time.perf_counter_ns()
    pid = os.posix_spawn(gate, [gate, "--", "/bin/true"], env)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    return (time.perf_counter_ns() - t) / 1e6
rounds, times = 600, {k: [] for k in variants}
for _ in range(30):
    for v in variants.values(): once(v)
for _ in range(rounds):
    order = list(variants.items())
    random.shuffle(order)
    for name, v in order:
        times[name].append(once(v))
res = {"rounds": rounds}
for k in ("1000 rules, match last", "1000 rules, match first"):
    diffs = [a - b for a, b in zip(times[k], times["1 rule"])]
    d = sorted(diffs)
    res[k] = {"median_ms": statistics.median(diffs), "p25_ms": d[len(d) // 4], "p75_ms": d[3 * len(d) // 4]}
    print("paired: %s adds median %.2f ms (interquartile %.2f … %.2f ms) over 1 rule, %d rounds"
          % (k, res[k]["median_ms"], res[k]["p25_ms"], res[k]["p75_ms"], rounds))
res["medians_ms"] = {k: statistics.median(v) for k, v in times.items()}
json.dump(res, open(out, "w"), indent=1)
print("paired medians: " + ", ".join("%s %.2f ms" % (k, v) for k, v in res["medians_ms"].items()))
PY
