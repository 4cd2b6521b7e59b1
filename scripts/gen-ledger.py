#!/usr/bin/env python3
"""Fills a gate state database with N realistic ledger entries, for the size benchmarks.

Usage: scripts/gen-ledger.py STATE_DIR N
STATE_DIR must hold a state.db that gate created (so the schema is gate's own) with an empty
ledger. Entries cycle through requested -> approved -> started -> finished, with payloads the
size of gate's own (intent fields, a real token, approvals), chained as SPEC.md §6 says. A
checkpoint signed by a fresh ledger key (written to STATE_DIR/ledger.key, 0600) follows every
finished entry, as gate signs one after every run. Written from SPEC.md with tools/gate_verify.py.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import gate_verify as g  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402


def main(state, n):
    db = sqlite3.connect(os.path.join(state, "state.db"))
    if db.execute("SELECT count(*) FROM ledger").fetchone()[0] != 0:
        sys.exit("gen-ledger: the ledger is not empty")
    ledger_id = db.execute("SELECT value FROM meta WHERE name = 'ledger_id'").fetchone()[0]

    seed = os.urandom(32)
    ledger_key = Ed25519PrivateKey.from_private_bytes(seed)
    pk = ledger_key.public_key().public_bytes_raw()
    kid = g.key_id(pk)
    key_path = os.path.join(state, "ledger.key")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, ("gate secret key v1\nname: ledger\nkey-id: %s\npublic-key: %s\nkdf: none\nsecret: %s\n"
                  % (kid.hex().upper(), g.public_key_text(pk), g.b64url_encode(seed))).encode())
    os.close(fd)
    db.execute("INSERT INTO meta(name, value) VALUES ('ledger_key', ?)", (g.public_key_text(pk),))

    approver_seed = bytes(range(32))
    approver_kid = g.key_id(Ed25519PrivateKey.from_private_bytes(approver_seed).public_key().public_bytes_raw())
    t0 = 1_790_000_000_000_000
    prev, rows, checkpoints = bytes(32), [], []
    for seq in range(1, n + 1):
        run = (seq - 1) // 4  # one run: requested, approved, started, finished under one id
        rid = "%08d" % run
        t = t0 + seq * 1_000_000
        kind = ["requested", "approved", "started", "finished"][(seq - 1) % 4]
        intent = {"intent_digest": os.urandom(32).hex(), "argv": ["terraform", "apply", "tfplan-%d" % run],
                  "executable": "/usr/local/bin/terraform", "executable_digest": os.urandom(32).hex(),
                  "cwd": "/srv/infra/prod", "user": "ci", "uid": 1001, "agent": "", "host": "runner-7"}
        if kind == "requested":
            payload = dict(intent, reason="deploy %d" % run, rule="line 12", requires="2 of sre",
                           policy_digest="ab" * 32)
        elif kind == "approved":
            token = g.sign_token(approver_seed, kid=approver_kid, request_id=rid, digest=os.urandom(32), decision=1,
                                 issued=t // 1_000_000, expires=t // 1_000_000 + 900, nonce=os.urandom(16), comment="plan reviewed")
            payload = {"approver": "bob", "key_id": approver_kid.hex().upper(), "intent_digest": intent["intent_digest"],
                       "issued_at": t // 1_000_000, "expires_at": t // 1_000_000 + 900, "comment": "plan reviewed", "token": token}
        elif kind == "started":
            payload = dict(intent, rule="line 12", reason="deploy %d" % run, policy_digest="ab" * 32,
                           approvals=[{"approver": "bob", "key_id": approver_kid.hex().upper(), "token_id": os.urandom(32).hex(),
                                       "token": token}])
        else:
            payload = {"duration_ms": 41234, "exit_code": 0, "gate_exit": 0}
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        actor = "bob" if kind == "approved" else "ci"
        h = g.entry_hash(seq, t, kind, rid, actor, text, prev)
        rows.append((seq, t, kind, rid, actor, text, prev, h))
        prev = h
        if kind == "finished" or seq == n:
            checkpoints.append((seq, t, kid.hex().upper(), g.sign_checkpoint(seed, ledger_id, seq, h, t)))
        if len(rows) >= 50_000:
            flush(db, rows, checkpoints)
    flush(db, rows, checkpoints)
    db.commit()
    print("gen-ledger: %d entries, %d checkpoints, ledger %s" % (n, db.execute("SELECT count(*) FROM checkpoints").fetchone()[0], ledger_id))


def flush(db, rows, checkpoints):
    db.executemany("INSERT INTO ledger(seq, time_us, kind, request_id, actor, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO checkpoints(size, time_us, key_id, text) VALUES (?,?,?,?)", checkpoints)
    rows.clear()
    checkpoints.clear()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]))
