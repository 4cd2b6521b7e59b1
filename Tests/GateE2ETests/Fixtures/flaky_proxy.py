#!/usr/bin/env python3
"""An HTTP reverse proxy for the tests that plays a proxy whose upstream is restarting: while
the file DOWN exists it answers long-polls (paths containing /wait) with 502 and a JSON error,
as nginx answers when gate-server is away; everything else is forwarded to 127.0.0.1:UPSTREAM.
Listens on 127.0.0.1 (a port the system picks, printed on stdout).

usage: flaky_proxy.py UPSTREAM_PORT DOWN
"""
import http.client, http.server, os, sys

upstream, down = int(sys.argv[1]), sys.argv[2]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        if "/wait" in self.path and os.path.exists(down):
            body = b'{"error":"upstream unavailable","code":"bad-gateway"}'
            self.send_response(502)
        else:
            length = int(self.headers.get("Content-Length", "0"))
            conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
            conn.request(self.command, self.path, self.rfile.read(length) if length else None,
                         {"Content-Type": "application/json"} if length else {})
            r = conn.getresponse()
            body = r.read()
            self.send_response(r.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = forward

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
