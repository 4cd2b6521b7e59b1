#!/usr/bin/env python3
"""The gate daemon's side alone: CLIENTS threads x RUNS runs of /bin/true through the socket protocol
(SPEC.md §10), no client processes. Usage: bench-daemon-client.py SOCKET CLIENTS RUNS (as the requester)."""
import json, os, socket, struct, sys, threading, time
sock_path, n_clients, n_runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = ["PATH=/usr/bin:/bin", "HOME=/home/bench-agent", "LANG=C.UTF-8"]
devnull = os.open("/dev/null", os.O_RDWR)
cwd = os.open("/tmp", os.O_PATH | os.O_DIRECTORY)
req = json.dumps({"op": "run", "argv": ["/bin/true"], "env": env, "reason": "", "ticket": "", "timeout": None, "tokens": [], "break_glass": False}).encode()
frame = struct.pack(">I", len(req)) + req
failures = []
def one():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    socket.send_fds(s, [frame], [devnull, devnull, devnull, cwd])
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk: failures.append("eof"); break
        buf += chunk
        if len(buf) >= 4:
            n = struct.unpack(">I", buf[:4])[0]
            if len(buf) >= 4 + n:
                m = json.loads(buf[4:4+n]); buf = buf[4+n:]
                if "exit" in m:
                    if m["exit"] != 0: failures.append(m)
                    break
    s.close()
def worker():
    for _ in range(n_runs): one()
t0 = time.time()
ts = [threading.Thread(target=worker) for _ in range(n_clients)]
[t.start() for t in ts]; [t.join() for t in ts]
dt = time.time() - t0
print("%d runs in %.2f s = %.0f runs/s, failures %d" % (n_clients * n_runs, dt, n_clients * n_runs / dt, len(failures)))
