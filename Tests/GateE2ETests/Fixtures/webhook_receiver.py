#!/usr/bin/env python3
"""A webhook receiver for the tests: listens on 127.0.0.1 (a port the system picks, printed
on stdout), answers the first POST to /json with 500 (so the sender's retry is exercised), a POST
to /redirect with 307 to /stolen (which must never be reached), and everything else with 200,
and appends one JSON line per delivery to the log file: path, the X-Gate-* headers, the body,
and whether X-Gate-Signature (v2: t "." event "." delivery "." body) verifies under the secret.

usage: webhook_receiver.py LOG SECRET_FILE
"""
import hashlib, hmac, http.server, json, sys

log_path, secret_path = sys.argv[1], sys.argv[2]
secret = open(secret_path, "rb").read().strip()
seen = {"json": 0}

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("X-Gate-Signature", "")
        parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
        event, delivery = self.headers.get("X-Gate-Event", ""), self.headers.get("X-Gate-Delivery", "")
        signed = ".".join([parts.get("t", ""), event, delivery]).encode() + b"." + body
        expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
        mac_ok = "v2" in parts and hmac.compare_digest(parts["v2"], expected)
        status = 200
        if self.path == "/redirect":
            status = 307
        if self.path == "/json":
            seen["json"] += 1
            if seen["json"] == 1:
                status = 500
        with open(log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "status": status, "event": event, "delivery": delivery,
                                "mac_ok": mac_ok, "body": json.loads(body)}) + "\n")
        self.send_response(status)
        if status == 307:
            self.send_header("Location", "http://%s:%d/stolen" % self.server.server_address)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
