#!/usr/bin/env python3
"""Round-trip latency of tools/call run through one warm `gate mcp` session.
usage: bench-mcp-client.py GATE N  (GATE_HOME and GATE_POLICY from the environment)"""
import json, os, subprocess, sys, time

gate, n = sys.argv[1], int(sys.argv[2])
p = subprocess.Popen([gate, "mcp", "--agent", "bench"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

def call(obj):
    p.stdin.write((json.dumps(obj) + "\n").encode())
    while True:
        line = p.stdout.readline()
        msg = json.loads(line)
        if msg.get("id") == obj["id"]:
            return msg

call({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
times = []
for i in range(1, n + 31):
    t = time.perf_counter()
    r = call({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": "run", "arguments": {"argv": ["/bin/true"]}}})
    dt = (time.perf_counter() - t) * 1000
    assert r["result"]["structuredContent"]["outcome"] == "ran", r
    if i > 30:  # warm-up
        times.append(dt)
p.stdin.close()
p.wait()
times.sort()
q = lambda f: times[min(len(times) - 1, int(f * len(times)))]
print("calls %d: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, min %.2f ms, max %.2f ms" % (len(times), q(0.5), q(0.9), q(0.99), times[0], times[-1]))
