#!/usr/bin/env python3
"""1,000 requesters waiting on one gate server at once (issue 5), at the protocol level of
SPEC.md §9 (built on tools/gate_verify.py, the second implementation of gate's formats).

--setup DIR KEYS   writes DIR/policy (an approver, a requester) and the keys to KEYS
--run URL KEYS PID N [--burst]
    creates N signed requests, opens N long-polls at once (GET …/wait, one connection each),
    samples the server's RSS while they all wait, then approves each request in turn (or, with
    --burst, sends all N approvals at once) and records, per request, the time from sending its
    approval to its waiter's answer.
"""
import asyncio, json, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import gate_verify as gv
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

def raw_public(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def setup(dir, keys_path):
    approver, requester = os.urandom(32), os.urandom(32)
    with open(os.path.join(dir, "policy"), "w") as f:
        f.write("version 1\napprover bench user=bench-approver key=%s\nrequester ci1 key=%s\nrequire 1 -- /bin/echo ...\n"
                % (gv.public_key_text(raw_public(approver)), gv.public_key_text(raw_public(requester))))
    os.chmod(os.path.join(dir, "policy"), 0o600)
    json.dump({"approver": approver.hex(), "requester": requester.hex()}, open(keys_path, "w"))

def statement(seed, action, request_id, digest, body):
    payload = gv.encode_statement_payload(gv.key_id(raw_public(seed)), action, request_id, digest, gv.blake2b256(body),
                                          int(time.time()), os.urandom(16))
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(payload)
    return "gatereq1." + gv.b64url_encode(payload) + "." + gv.b64url_encode(sig)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # RequestID.alphabet (Crockford base32)

async def http(host, port, method, path, body=None):
    reader, writer = await asyncio.open_connection(host, port)
    head = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n" % (method, path, host, port)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    writer.write(head.encode() + b"\r\n" + (body or b""))
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data.split(b"\r\n\r\n", 1)[1] or b"null")

def rss_kb(pid, field):
    for line in open("/proc/%s/status" % pid):
        if line.startswith(field):
            return int(line.split()[1])

async def run(url, keys_path, pid, n, burst=False):
    keys = json.load(open(keys_path))
    approver, requester = bytes.fromhex(keys["approver"]), bytes.fromhex(keys["requester"])
    host, port = url[len("http://"):].rsplit(":", 1)
    port = int(port)
    ids, digests = [], {}
    t0 = time.time()
    for i in range(n):
        rid = "".join(ALPHABET[b % len(ALPHABET)] for b in os.urandom(8))
        fields = dict(argv=["/bin/echo", str(i)], executable=os.path.realpath("/bin/echo"), executable_digest=bytes(32), cwd="/",
                      user="ci", uid=1000, agent="", host="bench-%d" % i)
        intent = gv.encode_intent(**fields)
        digest = gv.blake2b256(intent)
        body = json.dumps({"intent": gv.b64url_encode(intent), "reason": "", "ticket": "", "context": {}, "blobs": []},
                          separators=(",", ":")).encode()
        doc = json.dumps({"statement": statement(requester, 1, rid, digest, body), "body": gv.b64url_encode(body)}).encode()
        status, answer = await http(host, port, "POST", "/v1/requests", doc)
        if status != 201:
            sys.exit("create failed: %d %s" % (status, answer))
        ids.append(rid)
        digests[rid] = digest
    print("created %d signed requests in %.1f s" % (n, time.time() - t0))
    released = {}
    async def waiter(rid):
        status, answer = await http(host, port, "GET", "/v1/requests/%s/wait?seen=0&timeout=60" % rid)
        released[rid] = (time.monotonic(), answer["status"])
    tasks = [asyncio.create_task(waiter(rid)) for rid in ids]
    await asyncio.sleep(min(3.0, 0.3 + n / 400))  # every long-poll connected and parked
    status, health = await http(host, port, "GET", "/v1/health")
    print("waiting on the server: %d; server RSS %d MB (peak so far %d MB)"
          % (health["waiting"], rss_kb(pid, "VmRSS:") // 1024, rss_kb(pid, "VmHWM:") // 1024))
    approved_at = {}
    now = int(time.time())
    tokens = {rid: gv.sign_token(approver, kid=gv.key_id(raw_public(approver)), request_id=rid, digest=digests[rid], decision=1,
                                 issued=now, expires=now + 600, nonce=os.urandom(16), comment="") for rid in ids}
    async def approve(rid):
        # From the moment the approval is sent: the server checks the token, commits it (fsync,
        # checkpoint) and then releases the waiter, before or after answering the approver.
        approved_at[rid] = time.monotonic()
        status, answer = await http(host, port, "POST", "/v1/requests/%s/decisions" % rid, json.dumps({"token": tokens[rid]}).encode())
        if status != 201:
            sys.exit("approval failed: %d %s" % (status, answer))
    if burst:
        # Every approval sent at once: each waiter also waits for the commits queued before its own.
        await asyncio.gather(*(approve(rid) for rid in ids))
    else:
        for rid in ids:
            await approve(rid)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    lat = sorted(max(0.0, released[r][0] - approved_at[r]) * 1000 for r in ids)
    ok = sum(1 for r in ids if released[r][1] == "approved")
    def pct(p): return lat[min(len(lat) - 1, int(round(p / 100 * len(lat) + 0.5)) - 1)]
    print("released %d of %d (status approved: %d); approval sent → waiter answered: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms"
          % (len(released), n, ok, pct(50), pct(90), pct(99), lat[-1]))
    print("server peak RSS (VmHWM): %d MB" % (rss_kb(pid, "VmHWM:") // 1024))

if __name__ == "__main__":
    if sys.argv[1] == "--setup":
        setup(sys.argv[2], sys.argv[3])
    else:
        asyncio.run(run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), burst=len(sys.argv) > 6 and sys.argv[6] == "--burst"))
