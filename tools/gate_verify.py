#!/usr/bin/env python3
"""An independent implementation of gate's formats (SPEC.md), written from the spec alone.

It verifies what gate produces without trusting gate: intent digests, approval tokens and the
ledger's hash chain. The test suite runs it against gate's output and against tampered copies.

Usage:
  gate_verify.py intent-digest VECTOR_FILE        print the digest of an intent vector
  gate_verify.py token TOKEN PUBKEY [DIGEST_HEX]   verify a token under a gatepk1: key
  gate_verify.py ledger FILE.jsonl [CHECKPOINT PUBKEY]
                                                   verify a chain from `gate log --json` or `gate audit export`,
                                                   and that it holds what a signed checkpoint covers
  gate_verify.py checkpoint CHECKPOINT PUBKEY      verify a checkpoint's signature under the ledger key
  gate_verify.py evidence BUNDLE.json [PUBKEY]     verify an evidence bundle from `gate audit evidence`,
                                                   optionally pinning the ledger key
  gate_verify.py statement STATEMENT PUBKEY [DIGEST_HEX]
                                                   verify a requester's signed statement (SPEC §9.1), as a
                                                   gate server's `requested` entries record it
Exit status: 0 verified, 1 rejected (the reason on stderr), 2 usage. An evidence bundle checked
without PUBKEY exits 0 when it is consistent, but its first word is not "evidence ok": it says
"signatures consistent, but no ledger key pinned: this proves nothing about who signed".
"""
import base64
import hashlib
import json
import shlex
import struct
import sys

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.exceptions import InvalidSignature
except ImportError:  # pragma: no cover
    sys.exit("gate_verify.py needs the 'cryptography' package (pip install cryptography)")


class Rejected(Exception):
    pass


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise Rejected("a JSON object has the key %r twice: readers disagree on which one counts" % k)
        seen[k] = v
    return seen


def loads(text):
    """JSON as gate writes it: an object never has a key twice (a reader that keeps the first
    and one that keeps the last would see different things)."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as e:
        raise Rejected("not JSON: %s" % e)


def same(a, b):
    """Equal and of the same JSON type all the way down (Python's == has 0 == False == 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()


# --- SPEC §1: canonical encoding -------------------------------------------------------------
def u32(n):
    return struct.pack(">I", n)


def u64(n):
    return struct.pack(">Q", n)


def data(b):
    return u32(len(b)) + b


def string(s):
    return data(s.encode("utf-8"))


def b64url_decode(text):
    if len(text) % 4 == 1 or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise Rejected("bad base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(raw) != text:
        raise Rejected("non-canonical base64url")
    return raw


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- SPEC §2: intent -------------------------------------------------------------------------
def encode_intent(argv, executable, executable_digest, cwd, user, uid, agent, host, bound_files=(), bound_env=(), shown=()):
    out = (b"gateint2" if shown else b"gateint1") + u32(len(argv))
    for a in argv:
        out += string(a)
    out += string(executable) + executable_digest + string(cwd) + string(user) + u64(uid) + string(agent) + string(host)
    files = sorted(bound_files, key=lambda f: f[0].encode())
    out += u32(len(files))
    for path, digest in files:
        out += string(path) + digest
    env = sorted(bound_env, key=lambda v: v[0].encode())
    out += u32(len(env))
    for name, value in env:
        out += string(name) + string(value)
    if shown:
        outputs = sorted(shown, key=lambda o: o[0].encode())
        out += u32(len(outputs))
        for name, digest in outputs:
            out += string(name) + digest
    return out


def recorded_intent_digest(p):
    """The intent digest recomputed from a ledger payload's fields (SPEC §2, §6)."""
    return intent_digest(argv=p["argv"], executable=p["executable"], executable_digest=bytes.fromhex(p["executable_digest"]),
                         cwd=p["cwd"], user=p["user"], uid=p["uid"], agent=p["agent"], host=p["host"],
                         bound_files=[(f["path"], bytes.fromhex(f["digest"])) for f in p.get("bound_files", [])],
                         bound_env=[(v["name"], v["value"]) for v in p.get("bound_env", [])],
                         shown=[(c["name"], bytes.fromhex(c["digest"])) for c in p.get("context_digests", [])])


def intent_digest(**fields):
    return blake2b256(encode_intent(**fields))


# --- SPEC §3: keys ---------------------------------------------------------------------------
def key_id(public_key):
    return blake2b256(public_key)[:8]


def parse_public_key(text):
    if not text.startswith("gatepk1:"):
        raise Rejected("not a gate public key")
    raw = b64url_decode(text[len("gatepk1:"):])
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise Rejected("public key has the wrong length or algorithm")
    kid, pk = raw[2:10], raw[10:]
    if key_id(pk) != kid:
        raise Rejected("public key is damaged (key id mismatch)")
    return kid, pk


def public_key_text(pk):
    return "gatepk1:" + b64url_encode(b"Ed" + key_id(pk) + pk)


# --- SPEC §4: tokens -------------------------------------------------------------------------
def encode_token_payload(kid, request_id, digest, decision, issued, expires, nonce, comment):
    return (b"gatetok1" + b"Ed" + kid + string(request_id) + digest + bytes([decision]) + u64(issued) + u64(expires)
            + nonce + string(comment))


def parse_token(text):
    text = text.strip()
    if not text.startswith("gate1."):
        raise Rejected("not a gate1 token")
    parts = text[len("gate1."):].split(".")
    if len(parts) != 2:
        raise Rejected("a token has two parts")
    payload, sig = b64url_decode(parts[0]), b64url_decode(parts[1])
    if len(sig) != 64:
        raise Rejected("signature must be 64 bytes")
    p = payload
    if p[:8] != b"gatetok1" or p[8:10] != b"Ed":
        raise Rejected("unknown token version or algorithm")
    kid = p[10:18]
    (n,) = struct.unpack(">I", p[18:22])
    if n > 64:
        raise Rejected("request id too long")
    rid = p[22:22 + n].decode()
    o = 22 + n
    digest = p[o:o + 32]; o += 32
    decision = p[o]; o += 1
    issued, expires = struct.unpack(">QQ", p[o:o + 16]); o += 16
    nonce = p[o:o + 16]; o += 16
    (m,) = struct.unpack(">I", p[o:o + 4]); o += 4
    comment = p[o:o + m].decode(); o += m
    if o != len(p) or decision not in (1, 2) or len(nonce) != 16 or len(digest) != 32:
        raise Rejected("malformed payload")
    if encode_token_payload(kid, rid, digest, decision, issued, expires, nonce, comment) != payload:
        raise Rejected("payload is not canonical")
    return dict(payload=payload, signature=sig, key_id=kid, request_id=rid, intent_digest=digest,
                decision="approve" if decision == 1 else "deny", issued_at=issued, expires_at=expires,
                nonce=nonce, comment=comment)


def verify_signed(parsed, what, public_key_line, expected_digest=None):
    """The checks a token (§5) and a requester statement (§9.1) share, in order: key id first,
    before any cryptography (minisign), then the signature, then the intent digest."""
    kid, pk = parse_public_key(public_key_line)
    if parsed["key_id"] != kid:
        raise Rejected("%s is signed by key %s, not %s" % (what, parsed["key_id"].hex().upper(), kid.hex().upper()))
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(parsed["signature"], parsed["payload"])
    except InvalidSignature:
        raise Rejected("signature does not verify")
    if expected_digest is not None and parsed["intent_digest"] != expected_digest:
        raise Rejected("%s is for another intent" % what)
    return parsed


def verify_token(text, public_key_line, expected_digest=None):
    return verify_signed(parse_token(text), "token", public_key_line, expected_digest)


def sign_token(seed, **fields):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    payload = encode_token_payload(**fields)
    return "gate1." + b64url_encode(payload) + "." + b64url_encode(key.sign(payload))


# --- SPEC §9.1: requester statements -----------------------------------------------------------
def encode_statement_payload(kid, action, request_id, intent_digest, body_digest, issued, nonce):
    return b"gatereq1" + b"Ed" + kid + bytes([action]) + string(request_id) + intent_digest + body_digest + u64(issued) + nonce


def parse_statement(text):
    if not text.startswith("gatereq1."):
        raise Rejected("not a gatereq1 statement")
    parts = text[len("gatereq1."):].split(".")
    if len(parts) != 2:
        raise Rejected("a statement has two parts")
    p, sig = b64url_decode(parts[0]), b64url_decode(parts[1])
    if len(sig) != 64 or p[:8] != b"gatereq1" or p[8:10] != b"Ed" or len(p) < 23:
        raise Rejected("unknown statement version, algorithm or length")
    kid, action = p[10:18], p[18]
    (n,) = struct.unpack(">I", p[19:23])
    if n > 64 or action not in (1, 2, 3):
        raise Rejected("malformed statement")
    rid = p[23:23 + n].decode()
    o = 23 + n
    digest, body, (issued,), nonce = p[o:o + 32], p[o + 32:o + 64], struct.unpack(">Q", p[o + 64:o + 72]), p[o + 72:o + 88]
    if o + 88 != len(p) or encode_statement_payload(kid, action, rid, digest, body, issued, nonce) != p:
        raise Rejected("statement payload is malformed or not canonical")
    return dict(payload=p, signature=sig, key_id=kid, action={1: "create", 2: "cancel", 3: "checkpoint"}[action],
                request_id=rid, intent_digest=digest, body_digest=body, issued_at=issued)


def verify_statement(text, public_key_line, expected_digest=None):
    return verify_signed(parse_statement(text), "statement", public_key_line, expected_digest)


# --- SPEC §6: ledger -------------------------------------------------------------------------
def entry_hash(seq, time_us, kind, request_id, actor, payload, prev_hash):
    return blake2b256(b"gateled1" + u64(seq) + u64(time_us) + string(kind) + string(request_id) + string(actor)
                      + string(payload) + prev_hash)


def utc(seconds):
    import datetime
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


CHAIN_FIELDS = ("seq", "time_us", "kind", "request_id", "actor", "payload_text", "prev_hash", "hash")
EXPORT_FIELDS = ("requester", "agent", "host", "argv", "intent_digest", "rule", "reason", "ticket", "approver", "key_id",
                 "code", "message", "exit_code", "signal", "duration_ms")


def export_columns(payload_text):
    """SPEC §7: the columns an export derives from an entry's payload (null where absent or of
    another type); for an entry with `approvals`, every approver and key id, space-separated."""
    out = dict.fromkeys(EXPORT_FIELDS)
    try:
        p = loads(payload_text)
    except Rejected:
        return out
    if not isinstance(p, dict):
        return out
    is_str = lambda v: isinstance(v, str)
    is_int = lambda v: isinstance(v, int) and not isinstance(v, bool)
    names = dict(user="requester", agent="agent", host="host", intent_digest="intent_digest", rule="rule", reason="reason",
                 ticket="ticket", approver="approver", key_id="key_id", code="code", message="message")
    for k, col in names.items():
        if is_str(p.get(k)):
            out[col] = p[k]
    if "argv" in p:
        out["argv"] = p["argv"]
    for k in ("exit_code", "signal", "duration_ms"):
        if is_int(p.get(k)):
            out[k] = p[k]
    if isinstance(p.get("approvals"), list):
        out["approver"] = " ".join(a["approver"] for a in p["approvals"] if isinstance(a.get("approver"), str))
        out["key_id"] = " ".join(a["key_id"] for a in p["approvals"] if isinstance(a.get("key_id"), str))
    return out


def check_outside_the_hash(e):
    """Only the chain fields are hashed (SPEC §6). Every other field of an entry (`time` and
    `payload` in `gate log --json` and evidence, the derived columns of an export) must be what
    the hashed fields say, or a reader of it could be shown something the chain does not cover."""
    seq = e.get("seq")
    for k in e:
        if k not in CHAIN_FIELDS and k not in ("time", "payload") and k not in EXPORT_FIELDS:
            raise Rejected("entry %s has a field %r that no hash covers" % (seq, k))
    if "time" in e and e["time"] != utc(e["time_us"] // 1000000):
        raise Rejected("entry %s: 'time' is not its time_us" % seq)
    if "payload" in e:
        try:
            parsed = loads(e["payload_text"])
        except Rejected:
            parsed = e["payload_text"]
        if not same(e["payload"], parsed):
            raise Rejected("entry %s: 'payload' is not its payload_text" % seq)
    if any(k in e for k in EXPORT_FIELDS):
        derived = export_columns(e["payload_text"])
        for k in EXPORT_FIELDS:
            if not same(e.get(k), derived[k]):
                raise Rejected("entry %s: the export column %r is not what its payload_text says" % (seq, k))


def check_recorded_statement(e):
    """A gate server records the requester's signed statement with the key that signed it
    (SPEC §9.2): re-check it against the entry it sits in. The create statement's body is not
    kept, so its body digest cannot be re-checked; a checkpoint's body is, and is."""
    try:
        p = loads(e["payload_text"])
    except Rejected:
        return
    if not isinstance(p, dict) or "statement" not in p:
        return
    seq, kind = e["seq"], e["kind"]
    if "requester_key" not in p:
        raise Rejected("entry %d records a statement without the key that signed it" % seq)
    st = verify_statement(p["statement"], p["requester_key"])
    expected = {"requested": "create", "cancelled": "cancel", "checkpoint-copy": "checkpoint"}.get(kind)
    if st["action"] != expected:
        raise Rejected("entry %d (%s) records a %s statement" % (seq, kind, st["action"]))
    if st["request_id"] != e["request_id"]:
        raise Rejected("entry %d records a statement for %s" % (seq, st["request_id"]))
    if kind == "requested" and st["intent_digest"].hex() != p.get("intent_digest"):
        raise Rejected("entry %d: the statement is for another intent than the one recorded" % seq)
    if kind == "cancelled" and st["body_digest"] != bytes(32):
        raise Rejected("entry %d: a cancel statement has no body" % seq)
    if kind == "checkpoint-copy":
        body = b64url_decode(p.get("body", ""))
        if blake2b256(body) != st["body_digest"]:
            raise Rejected("entry %d: the recorded body is not the one the statement signed" % seq)
        sent = loads(body)
        if sent.get("checkpoint") != p.get("checkpoint"):
            raise Rejected("entry %d: the recorded checkpoint is not the one sent" % seq)


def describe_entries(last, first, header):
    """What a verified file holds, said plainly: a whole ledger from entry 1, or a segment."""
    what = ("export of ledger %s (its header is not signed), " % header["ledger_id"]) if header else ""
    if first in (None, 1):
        return "%s%d entries" % (what, last)
    return "%ssegment of %d entries (%d-%d)" % (what, last - first + 1, first, last)


EXPORT_FORMAT = "gate-export-v1"
REQUEST_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def hashed_request_id(shown, seq):
    """SPEC §7: an export shows a request id as people see it, `7K3F-Q2XZ`; the chain hashes the
    compact form (§2.4), the same characters without the dash. Any other value (the compact form
    of `gate log --json`, an empty id, a gate server's ledger id) is hashed as it is."""
    if not isinstance(shown, str):
        raise Rejected("entry %s: request_id is not a string" % seq)
    compact = shown[:4] + shown[5:]
    if len(shown) == 9 and shown[4] == "-" and all(c in REQUEST_ID_ALPHABET for c in compact):
        return compact
    return shown


def verify_ledger_lines(lines, on_entry=None):
    """Each line is one `gate log --json` or `gate audit export` object; `payload_text` is the
    exact stored payload. A JSONL export starts with a header (SPEC §7) naming the ledger, the
    window and the entries that follow: they must all be there. Without a header (`gate log
    --json`) the lines are a segment, verified from its first entry's prev_hash on."""
    objects = [loads(line) for line in lines]
    header = None
    if objects and "format" in objects[0]:
        header = objects.pop(0)
        if header["format"] != EXPORT_FORMAT:
            raise Rejected("not a %s export (format %r)" % (EXPORT_FORMAT, header["format"]))
        seqs = [o["seq"] for o in objects]
        if len(objects) != header["entries"] or (seqs[:1] or [None])[0] != header["first_seq"] \
                or (seqs[-1:] or [None])[0] != header["last_seq"]:
            raise Rejected("the export's header says entries %s-%s (%d), but it holds %d: lines were cut or added" % (
                header["first_seq"], header["last_seq"], header["entries"], len(objects)))
        if header["since_us"] is None and objects and objects[0]["seq"] != 1:
            raise Rejected("a whole-ledger export must start at entry 1")
        # The first and the last entry are inside the window; the ones between are all there,
        # whatever their time (a clock that stepped back, SPEC §7).
        for o in objects[:1] + objects[-1:]:
            if (header["since_us"] is not None and o["time_us"] < header["since_us"]) or \
                    (header["until_us"] is not None and o["time_us"] >= header["until_us"]):
                raise Rejected("entry %d is outside the export's window" % o["seq"])
    count, head = verify_entries(objects, on_entry)
    return count, head, header, (objects[0]["seq"] if objects else None)


def check_copy_extension(e, copies):
    """A gate server's checkpoint copies (SPEC §9.3): a ledger id is held for the requester whose
    copy came first, and a larger copy carries the host's entries since the one held, which must
    chain from its head to the new one. `copies` maps ledger id -> (size, head, requester)."""
    if e["kind"] != "checkpoint-copy":
        return
    seq, p = e["seq"], loads(e["payload_text"])
    ledger, size, head = p.get("ledger"), p.get("size"), p.get("head")
    sent = loads(b64url_decode(p.get("body", "")))
    if ledger not in copies:
        copies[ledger] = (size, head, e["actor"])
        return
    held_size, held_head, holder = copies[ledger]
    if e["actor"] != holder:
        raise Rejected("entry %d: a copy of ledger %s from %s, which the server holds for %s" % (seq, ledger, e["actor"], holder))
    if not isinstance(size, int) or size <= held_size:
        raise Rejected("entry %d: a stored copy of ledger %s that does not grow it" % (seq, ledger))
    prev, count = bytes.fromhex(held_head), held_size
    for x in sent.get("entries", []):
        h = entry_hash(x["seq"], x["time_us"], x["kind"], x["request_id"], x["actor"], x["payload_text"], bytes.fromhex(x["prev_hash"]))
        if x["seq"] != count + 1 or h.hex() != x["hash"] or x["prev_hash"] != prev.hex():
            raise Rejected("entry %d: the entries sent with copy %d of ledger %s do not extend the copy held at %d" % (seq, size, ledger, held_size))
        prev, count = h, x["seq"]
    if count != size or prev.hex() != head:
        raise Rejected("entry %d: copy %d of ledger %s is not reached from the copy held at %d by the entries sent" % (seq, size, ledger, held_size))
    copies[ledger] = (size, head, holder)


def policy_approvers(text):
    """The approvers a policy names (SPEC §6.3): {key id hex: (name, user, key text)}. Only
    `approver NAME user=USER key=K [key=K…]` lines matter here; `#` at the start of a word ends the
    line. gate recorded only policies it had parsed, so a simple reading suffices."""
    out = {}
    for line in text.split("\n"):
        words = []
        for w in line.split():
            if w.startswith("#"):
                break
            words.append(w)
        if len(words) < 3 or words[0] != "approver":
            continue
        name = words[1]
        user = next((w[5:] for w in words[2:] if w.startswith("user=")), None)
        for w in words[2:]:
            if w.startswith("key="):
                kid, _ = parse_public_key(w[4:])
                out[kid.hex().upper()] = (name, user, w[4:])
    return out


def check_recorded_approvals(e, state):
    """SPEC §6.3: a `policy` entry records the policy text before the first entry made under it;
    every approval a start records is checked against the policy its `policy_digest` names: the key
    is one that policy names, the token verifies under it, approves this request and this intent,
    and is not the requester's own. Starts older than the first recorded policy cannot be checked
    (counted in state["unchecked"])."""
    seq, kind = e["seq"], e["kind"]
    if kind == "policy":
        p = loads(e["payload_text"])
        text, digest = p.get("text"), p.get("digest")
        if not isinstance(text, str) or blake2b256(text.encode("utf-8")).hex() != digest:
            raise Rejected("entry %d: the recorded policy text does not have the digest the entry names" % seq)
        state["policies"][digest] = policy_approvers(text)
        return
    if kind not in ("started", "break-glass"):
        return
    p = loads(e["payload_text"])
    approvals = p.get("approvals") or []
    if not approvals:
        return
    policy = state["policies"].get(p.get("policy_digest"))
    if policy is None:
        # Before the first recorded policy, or in a segment that starts after the policy's entry,
        # there is nothing to check against; in a whole ledger after it, that is a forgery.
        if not state["policies"] or not state.get("whole"):
            state["unchecked"] += 1
            return
        raise Rejected("entry %d: its approvals were checked under policy %s..., which the ledger never recorded" % (
            seq, str(p.get("policy_digest"))[:12]))
    digest = bytes.fromhex(p["intent_digest"])
    if recorded_intent_digest(p) != digest:
        raise Rejected("entry %d: the recorded intent fields do not hash to the recorded intent digest" % seq)
    names = set()
    for a in approvals:
        t = parse_token(a["token"])
        kid = t["key_id"].hex().upper()
        if kid not in policy:
            raise Rejected("entry %d: approval by key %s, which the policy in force (%s...) does not name" % (seq, kid, p["policy_digest"][:12]))
        name, user, key = policy[kid]
        t = verify_token(a["token"], key, digest)
        if t["decision"] != "approve" or t["request_id"] != e["request_id"]:
            raise Rejected("entry %d: the approval by key %s is for another request or intent" % (seq, kid))
        if user == p.get("user"):
            raise Rejected("entry %d: %s approved their own request" % (seq, name))
        if a.get("approver") != name:
            raise Rejected("entry %d: the approval by key %s is recorded as %s, but the policy names that key %s" % (seq, kid, a.get("approver"), name))
        names.add(name)
    if len(names) != len(approvals):
        raise Rejected("entry %d: one approver is counted twice" % seq)
    state["checked"] += 1


def verify_entries(entries, on_entry=None, approvals=None):
    """`approvals`: a dict to collect the recorded-approval check's counts in (checked, unchecked);
    the check runs whatever is passed."""
    head, count = bytes(32), 0
    copies = {}
    state = approvals if approvals is not None else {}
    state.setdefault("policies", {})
    state.setdefault("checked", 0)
    state.setdefault("unchecked", 0)
    for i, e in enumerate(entries):
        seq = e["seq"]
        if i == 0:
            state["whole"] = seq == 1
        if i == 0 and seq != 1:
            head, count = bytes.fromhex(e["prev_hash"]), seq - 1
        if seq != count + 1:
            raise Rejected("entry %d is missing (found %d)" % (count + 1, seq))
        e["request_id"] = hashed_request_id(e.get("request_id"), seq)
        h = entry_hash(seq, e["time_us"], e["kind"], e["request_id"], e["actor"], e["payload_text"],
                       bytes.fromhex(e["prev_hash"]))
        if h.hex() != e["hash"]:
            raise Rejected("entry %d does not match its hash" % seq)
        if e["prev_hash"] != head.hex():
            raise Rejected("entry %d does not link to the entry before it" % seq)
        check_outside_the_hash(e)
        check_recorded_statement(e)
        check_copy_extension(e, copies)
        check_recorded_approvals(e, state)
        head, count = h, seq
        if on_entry:
            on_entry(e, h)
    return count, head


# --- SPEC §6.2: checkpoints ------------------------------------------------------------------
def canonical_number(text, what):
    if not text.isdigit() or not text.isascii() or (text != "0" and text.startswith("0")) or int(text) >= 2**63:
        raise Rejected("checkpoint %s is not a canonical number" % what)
    return int(text)


def parse_checkpoint(text):
    if "\r" in text:
        raise Rejected("a checkpoint's lines end in LF, not CRLF")
    lines = text.split("\n")
    if len(lines) != 7 or lines[6] != "":
        raise Rejected("a checkpoint is six lines, each ending in a newline")
    if lines[0] != "gate checkpoint v1":
        raise Rejected("not a gate checkpoint")
    fields = {}
    for i, name in enumerate(["ledger", "size", "head", "time", "sig"], start=1):
        if not lines[i].startswith(name + " "):
            raise Rejected("checkpoint line %d: expected %r" % (i + 1, name))
        fields[name] = lines[i][len(name) + 1:]
    ledger = fields["ledger"]
    if len(ledger) != 16 or any(c not in "0123456789ABCDEF" for c in ledger):
        raise Rejected("checkpoint ledger id is not 16 uppercase hex digits")
    head = fields["head"]
    if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
        raise Rejected("checkpoint head is not 64 lowercase hex digits")
    sig = fields["sig"].split(" ")
    if len(sig) != 3 or sig[0] != "Ed" or len(sig[1]) != 16 or any(c not in "0123456789ABCDEF" for c in sig[1]):
        raise Rejected("checkpoint signature line is malformed")
    signature = b64url_decode(sig[2])
    if len(signature) != 64:
        raise Rejected("checkpoint signature must be 64 bytes")
    signed = "\n".join(lines[:5]) + "\n"
    return dict(ledger=ledger, size=canonical_number(fields["size"], "size"), head=bytes.fromhex(head),
                time_us=canonical_number(fields["time"], "time"), key_id=bytes.fromhex(sig[1]), signature=signature,
                signed=signed.encode("utf-8"))


def verify_checkpoint(text, public_key_line, ledger_id=None):
    c = parse_checkpoint(text)
    kid, pk = parse_public_key(public_key_line)
    if ledger_id is not None and c["ledger"] != ledger_id:
        raise Rejected("checkpoint belongs to ledger %s, not %s" % (c["ledger"], ledger_id))
    if c["key_id"] != kid:  # key id first, before any cryptography
        raise Rejected("checkpoint is signed by key %s, not %s" % (c["key_id"].hex().upper(), kid.hex().upper()))
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(c["signature"], c["signed"])
    except InvalidSignature:
        raise Rejected("checkpoint signature does not verify")
    return c


def sign_checkpoint(seed, ledger, size, head, time_us):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    body = "gate checkpoint v1\nledger %s\nsize %d\nhead %s\ntime %d\n" % (ledger, size, head.hex(), time_us)
    kid = key_id(key.public_key().public_bytes_raw())
    return body + "sig Ed %s %s\n" % (kid.hex().upper(), b64url_encode(key.sign(body.encode())))


def verify_ledger_with_checkpoint(lines, checkpoint_text, public_key_line):
    """The chain verifies, and its entry at the checkpoint's size has the signed head. A file
    that starts after entry 1 is a segment: the checkpoint vouches for the entries of it up to
    its size (they chain to the signed head), not for what is missing before it."""
    c = verify_checkpoint(checkpoint_text, public_key_line)
    hashes = {}
    def keep(e, h):
        if e["seq"] == c["size"]:
            hashes["at"] = h
        if e["seq"] == c["size"] + 1:
            hashes["before"] = e["prev_hash"]
    count, head, header, first = verify_ledger_lines(lines, on_entry=keep)
    if header is not None and header["ledger_id"] != c["ledger"]:
        raise Rejected("the export is of ledger %s, the checkpoint of ledger %s" % (header["ledger_id"], c["ledger"]))
    if c["size"] == 0:
        if c["head"] != bytes(32) or (first == 1 and hashes.get("before", bytes(32).hex()) != bytes(32).hex()):
            raise Rejected("a checkpoint of the empty ledger must have the zero head")
        return count, head, c, first
    if first is not None and first > c["size"]:
        if first != c["size"] + 1:
            raise Rejected("the file starts at entry %d, after the %d entries the checkpoint covers: it cannot vouch for it" % (first, c["size"]))
        if hashes.get("before") != c["head"].hex():
            raise Rejected("entry %d does not follow the head the checkpoint signed: history rewritten" % (c["size"] + 1))
        return count, head, c, first
    if count < c["size"]:
        raise Rejected("the ledger ends at entry %d but the checkpoint covers %d: entries were removed" % (count, c["size"]))
    if hashes.get("at") != c["head"]:
        raise Rejected("entry %d does not have the head the checkpoint signed: history rewritten" % c["size"])
    return count, head, c, first


# --- SPEC §8: evidence bundles -------------------------------------------------------------
SKEW = 300  # seconds of clock difference tolerated around a token's validity (SPEC §5)


def verify_evidence(b, pinned_key=None):
    """Proves one run from the bundle alone: the chain segment ends at a checkpoint signed by the
    ledger key; the run's intent digest is recomputed from its recorded fields; every token
    verifies under its approver's key, for that digest and that run, and was valid at the start."""
    if b.get("format") == "gate-evidence-v1":
        raise Rejected("a gate-evidence-v1 bundle carries its approvers' keys with it, and anyone can make such a bundle with keys "
                       "of their own; make a new one (gate audit evidence), whose keys come from the recorded policy")
    if b.get("format") != "gate-evidence-v2":
        raise Rejected("not a gate-evidence-v2 bundle")
    run = b["run"]
    if pinned_key is not None and parse_public_key(b["ledger_key"]) != parse_public_key(pinned_key):
        raise Rejected("the bundle's ledger key is not the pinned ledger key")
    c = verify_checkpoint(b["checkpoint"], b["ledger_key"], b["ledger_id"])
    entries = b["entries"]
    if not entries:
        raise Rejected("the bundle has no entries")
    count, head = verify_entries(entries)
    if count != c["size"] or head != c["head"]:
        raise Rejected("the chain segment does not end at the head the checkpoint signed")
    own = [e for e in entries if e["request_id"] == run]
    if not own or own[0] is not entries[0]:
        raise Rejected("the segment does not start at the run's first entry")
    starts = [e for e in own if e["kind"] in ("started", "break-glass")]
    if len(starts) != 1:
        raise Rejected("the run has %d start records, not one" % len(starts))
    start = starts[0]
    p = loads(start["payload_text"])
    # An approved run begins with its request (what the approvers were shown: reason, ticket,
    # context); a bundle that starts at the start would hide it.
    if p.get("approvals") and own[0]["kind"] != "requested":
        raise Rejected("the run was approved, but its request (the `requested` entry) is not the bundle's first entry")
    digest = recorded_intent_digest(p)
    if digest.hex() != p["intent_digest"]:
        raise Rejected("the recorded intent fields do not hash to the recorded intent digest")
    for e in own:
        q = loads(e["payload_text"])
        if "intent_digest" in q and q["intent_digest"] != p["intent_digest"]:
            raise Rejected("entry %d is about another intent" % e["seq"])
    # The approvers' keys come from the policy the run was decided under, which the chained
    # start names by digest: never from a list the bundle brings along (approver_keys is only
    # checked against it).
    keys, users = {}, {}
    if "policy" in b:
        if blake2b256(b["policy"].encode("utf-8")).hex() != p["policy_digest"]:
            raise Rejected("the included policy is not the one the run was decided under")
        keys = {kid: (name, key) for kid, (name, user, key) in policy_approvers(b["policy"]).items()}
        users = {kid: user for kid, (name, user, key) in policy_approvers(b["policy"]).items()}
    elif p.get("approvals"):
        raise Rejected("the run was approved, but the bundle does not include the policy it was decided under: "
                       "without it nothing says whose keys the approvals are")
    for k in b.get("approver_keys", []):
        kid, _ = parse_public_key(k["key"])
        if kid.hex().upper() not in keys or parse_public_key(keys[kid.hex().upper()][1]) != parse_public_key(k["key"]):
            raise Rejected("approver_keys lists key %s, which the run's policy does not name" % kid.hex().upper())
    approvers = []
    started_at = start["time_us"] // 1000000
    for a in p.get("approvals", []):
        if a["key_id"] not in keys:
            raise Rejected("approval by key %s, which the policy the run was decided under does not name" % a["key_id"])
        name, key = keys[a["key_id"]]
        if users.get(a["key_id"]) == p["user"]:
            raise Rejected("%s approved their own request" % name)
        t = verify_token(a["token"], key, digest)
        if t["decision"] != "approve" or t["request_id"] != run:
            raise Rejected("token by %s is not an approval of run %s" % (name, run))
        if blake2b256(t["payload"]).hex() != a["token_id"] or name != a["approver"]:
            raise Rejected("approval by %s does not match its token" % name)
        if not (t["issued_at"] <= started_at + SKEW and started_at < t["expires_at"]):
            raise Rejected("token by %s was not valid when the run started" % name)
        if name in approvers:
            raise Rejected("%s is counted twice" % name)
        approvers.append(name)
    for e in own:  # decisions recorded on the way (approvals, denials, after-reviews) verify too
        q = loads(e["payload_text"])
        if e["kind"] in ("approved", "denied", "reviewed"):
            if q["key_id"] not in keys:
                raise Rejected("a decision by key %s, which the policy the run was decided under does not name" % q["key_id"])
            verify_token(q["token"], keys[q["key_id"]][1], digest)
    finished = [loads(e["payload_text"]) for e in own if e["kind"] == "finished" and e["seq"] > start["seq"]]
    outcome = "not finished within the bundle"
    if finished:
        f = finished[0]
        outcome = ("exit %d" % f["exit_code"]) if "exit_code" in f else ("signal %d" % f["signal"]) if "signal" in f else "error"
        outcome += " after %d ms" % f["duration_ms"]
    how = "approved by " + ", ".join(approvers) if approvers else ("break-glass" if start["kind"] == "break-glass" else "no approval needed")
    # Without the ledger key the auditor recorded, a consistent bundle proves nothing: anyone can
    # make one with a ledger key and approver keys of their own. Only a pinned key says "ok".
    verdict = "evidence ok" if pinned_key is not None else \
        "signatures consistent, but no ledger key pinned: this proves nothing about who signed"
    if pinned_key is None:
        print("gate_verify: warning: no ledger key pinned: anyone can make a consistent bundle with keys of their own; "
              "pass the ledger key you recorded (gate audit key) to verify this one", file=sys.stderr)
    return "%s: run %s: %s by %s@%s (%s), %s; entries %d-%d under checkpoint %d of ledger %s, ledger key %s%s" % (
        verdict, run, shlex.join(p["argv"]), p["user"], p["host"], how, outcome, entries[0]["seq"], count, c["size"], c["ledger"],
        c["key_id"].hex().upper(), "" if pinned_key is not None else " (not pinned)")


# --- vectors ---------------------------------------------------------------------------------
def read_vector(path):
    fields = {}
    for line in open(path, encoding="utf-8").read().split("\n"):
        if not line or line.startswith("#"):
            continue
        k, _, v = line.partition(": ")
        if not _ and line.endswith(":"):
            k, v = line[:-1], ""
        fields.setdefault(k, []).append(v)
    return fields


def intent_from_vector(f):
    one = lambda k: f[k][0]
    files = [(p.rsplit(" ", 1)[0], bytes.fromhex(p.rsplit(" ", 1)[1])) for p in f.get("bound-file", [])]
    env = [tuple(v.split("=", 1)) for v in f.get("bound-env", [])]
    shown = [(c.rsplit(" ", 1)[0], bytes.fromhex(c.rsplit(" ", 1)[1])) for c in f.get("context", [])]
    return dict(argv=[loads(a) for a in f["argv"]], executable=one("executable"),
                executable_digest=bytes.fromhex(one("executable-digest")), cwd=one("cwd"), user=one("user"),
                uid=int(one("uid")), agent=one("agent"), host=one("host"), bound_files=files, bound_env=env, shown=shown)


def main(argv):
    try:
        if len(argv) == 2 and argv[0] == "intent-digest":
            print(intent_digest(**intent_from_vector(read_vector(argv[1]))).hex())
        elif len(argv) in (3, 4) and argv[0] == "token":
            t = verify_token(argv[1], argv[2], bytes.fromhex(argv[3]) if len(argv) == 4 else None)
            print("ok: %s of request %s by key %s, intent %s" % (t["decision"], t["request_id"], t["key_id"].hex().upper(),
                                                                  t["intent_digest"].hex()))
        elif len(argv) == 2 and argv[0] == "ledger":
            count, head, header, first = verify_ledger_lines([l for l in open(argv[1], encoding="utf-8") if l.strip()])
            print("ledger ok: %s, head %s" % (describe_entries(count, first, header), head.hex()))
            if first not in (None, 1):
                print("gate_verify: note: a segment: entries 1-%d are not in this file, and no checkpoint was given" % (first - 1), file=sys.stderr)
        elif len(argv) == 4 and argv[0] == "ledger":
            lines = [l for l in open(argv[1], encoding="utf-8") if l.strip()]
            count, head, c, first = verify_ledger_with_checkpoint(lines, open(argv[2], encoding="utf-8").read(), argv[3])
            print("ledger ok: %s, head %s; checkpoint of ledger %s at %d verified" % (describe_entries(count, first, header=None),
                                                                                    head.hex(), c["ledger"], c["size"]))
        elif len(argv) == 3 and argv[0] == "checkpoint":
            c = verify_checkpoint(open(argv[1], encoding="utf-8").read(), argv[2])
            print("ok: checkpoint of ledger %s, %d entries, head %s" % (c["ledger"], c["size"], c["head"].hex()))
        elif len(argv) in (3, 4) and argv[0] == "statement":
            st = verify_statement(argv[1], argv[2], bytes.fromhex(argv[3]) if len(argv) == 4 else None)
            print("ok: %s of request %s by key %s, intent %s, issued %d" % (st["action"], st["request_id"], st["key_id"].hex().upper(),
                                                                           st["intent_digest"].hex(), st["issued_at"]))
        elif len(argv) in (2, 3) and argv[0] == "evidence":
            print(verify_evidence(loads(open(argv[1], encoding="utf-8").read()), argv[2] if len(argv) == 3 else None))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Rejected as e:
        print("rejected: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
