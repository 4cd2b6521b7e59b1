"""The review's forged-history attack (issue 12): with only INSERT on state.db, append a properly
chained `started` + `finished` pair for a command nobody approved, "approved by alice" with a
token from a key the attacker made and named alice. Usage: forge_started.py STATE_DB VERIFIER_DIR
APPROVER_NAME [POLICY_TEXT_FILE | --unrecorded-policy]. With a policy file, a `policy` entry naming
the attacker's key is forged first (what a thorough attacker would add); with --unrecorded-policy
the start names a policy digest the ledger never recorded."""
import hashlib, json, os, sqlite3, sys, time
sys.path.insert(0, sys.argv[2])
import gate_verify as g
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

db = sqlite3.connect(sys.argv[1])
name = sys.argv[3]
seed = os.urandom(32)
pk = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
kid = g.key_id(pk)
seq, prev = db.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
real = json.loads(db.execute("SELECT payload FROM ledger WHERE kind = 'started' ORDER BY seq DESC LIMIT 1").fetchone()[0])
actor = db.execute("SELECT actor FROM ledger WHERE kind = 'started' ORDER BY seq DESC LIMIT 1").fetchone()[0]
now = int(time.time())
entries = []


def append(kind, request, payload):
    global seq, prev
    seq += 1
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    t = (now + seq) * 1000000
    h = g.entry_hash(seq, t, kind, request, actor, text, prev)
    db.execute("INSERT INTO ledger(seq, time_us, kind, request_id, actor, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)",
               (seq, t, kind, request, actor, text, prev, h))
    prev = h


p = dict(real)
if len(sys.argv) > 4 and sys.argv[4] == "--unrecorded-policy":
    # The start names a policy the ledger never recorded (one that would name the attacker's key).
    p["policy_digest"] = os.urandom(32).hex()
elif len(sys.argv) > 4:
    text = open(sys.argv[4], encoding="utf-8").read() + "approver mallory-as-%s user=%s-twin key=%s\n" % (name, name, g.public_key_text(pk))
    digest = hashlib.blake2b(text.encode(), digest_size=32).hexdigest()
    append("policy", "", {"digest": digest, "text": text})
    p["policy_digest"] = digest
request = "FAKER1D2"
p["argv"] = ["/bin/echo", "EXFILTRATE-DB"]
d = g.intent_digest(argv=p["argv"], executable=p["executable"], executable_digest=bytes.fromhex(p["executable_digest"]), cwd=p["cwd"],
                    user=p["user"], uid=p["uid"], agent=p["agent"], host=p["host"],
                    bound_files=[(f["path"], bytes.fromhex(f["digest"])) for f in p.get("bound_files", [])],
                    bound_env=[(v["name"], v["value"]) for v in p.get("bound_env", [])])
p["intent_digest"] = d.hex()
fields = dict(kid=kid, request_id=request, digest=d, decision=1, issued=now, expires=now + 900, nonce=os.urandom(16), comment="")
token = g.sign_token(seed, **fields)
p["approvals"] = [{"approver": "mallory-as-" + name if len(sys.argv) > 4 and sys.argv[4] != "--unrecorded-policy" else name, "key_id": kid.hex().upper(),
                   "token_id": g.blake2b256(g.encode_token_payload(**fields)).hex(), "token": token}]
requested = {k: v for k, v in p.items() if k not in ("approvals", "runner_pid", "runner_process", "run_as", "via_daemon")}
append("requested", request, requested)
append("started", request, p)
append("finished", request, {"exit_code": 0, "duration_ms": 3})
db.commit()
print(request)
