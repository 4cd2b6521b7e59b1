#!/usr/bin/env bash
# Issue 18's flood figures: 10,000 unauthenticated writes (tokens that do not parse, posted to a
# request's decisions on 4 connections) against a release gate-server, while a fifth connection
# asks /v1/health in a loop. Prints the server ledger's size before and after (it must not
# grow), health latency p50/p99/max during the flood, and the server's RSS before, at its peak
# and 5 s after.   scripts/bench-server-flood.sh [N]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh libsodium-dev libsqlite3-dev zlib1g-dev pkg-config python3 curl
export PATH="/opt/swift/usr/bin:$PATH"
n=${1:-10000}
swift build -c release --product gate-server >/dev/null
server="$PWD/.build/release/gate-server"
work=$(mktemp -d /tmp/gate-bench-flood.XXXXXX)
mkdir -m 700 "$work/state"
printf 'version 1\n' > "$work/state/policy"; chmod 600 "$work/state/policy"
"$server" --listen 127.0.0.1:0 --state "$work/state" 2> "$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -1)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); server pid $pid port $port"
rss() { awk '/VmRSS/ {print $2}' /proc/$pid/status; }
hwm() { awk '/VmHWM/ {print $2}' /proc/$pid/status; }
entries() { curl -s "http://127.0.0.1:$port/v1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ledger_entries"])'; }
echo "ledger entries before: $(entries); RSS before: $(rss) kB"
python3 - "$port" "$n" <<'PY'
import http.client, json, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
lat, done = [], threading.Event()
def hammer(k):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(k):
        c.request("POST", "/v1/requests/7K3FQ2XZ/decisions", json.dumps({"token": "x%d" % i}), {"Content-Type": "application/json"})
        c.getresponse().read()
def health():
    c = http.client.HTTPConnection("127.0.0.1", port)
    while not done.is_set():
        t = time.perf_counter(); c.request("GET", "/v1/health"); c.getresponse().read(); lat.append((time.perf_counter() - t) * 1000)
hs = threading.Thread(target=health); hs.start()
start = time.perf_counter()
ts = [threading.Thread(target=hammer, args=(n // 4,)) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
elapsed = time.perf_counter() - start
done.set(); hs.join()
lat.sort()
print("flood: %d writes in %.1f s (%.0f/s); health during it: %d samples, p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (n, elapsed, n / elapsed, len(lat), lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1]))
PY
echo "ledger entries after: $(entries); RSS peak: $(hwm) kB"
sleep 5
echo "RSS 5 s after: $(rss) kB; operator log lines: $(grep -c 'refused an unsigned' "$work/server.log")"
