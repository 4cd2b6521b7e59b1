#!/usr/bin/env python3
"""Approval → child start latency, for scripts/bench.sh (local) and scripts/bench-remote.sh.

usage: approve-latency.py CHILDREN LEDGER.jsonl [OUT.json]
  CHILDREN: lines "REQUEST_ID CHILD_START_US" (the child printed `date +%s%6N` as it started)
  LEDGER:   `gate log --json` of the ledger holding the `approved` entries (the host's in local
            mode, the server's in remote mode); latency = child start − that entry's time_us
"""
import json, sys

children = dict(line.split() for line in open(sys.argv[1]) if line.strip())
approved = {}
for line in open(sys.argv[2]):
    e = json.loads(line)
    if e["kind"] == "approved":
        approved[e["request_id"]] = e["time_us"]
lat = sorted((int(children[r]) - approved[r.replace("-", "")]) / 1000 for r in children)
def pct(p): return lat[min(len(lat) - 1, int(round(p / 100 * len(lat) + 0.5)) - 1)]
res = {"n": len(lat), "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": lat[-1], "min_ms": lat[0]}
if len(sys.argv) > 3:
    json.dump(res, open(sys.argv[3], "w"), indent=1)
print("approval → child start: n=%(n)d  min %(min_ms).2f ms  p50 %(p50_ms).2f ms  p90 %(p90_ms).2f ms  p99 %(p99_ms).2f ms  max %(max_ms).2f ms" % res)
