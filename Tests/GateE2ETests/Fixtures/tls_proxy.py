#!/usr/bin/env python3
"""A TLS-terminating proxy for the tests (what nginx is in examples/nginx.conf): listens on
127.0.0.1 with CERT/KEY (a port the system picks, printed on stdout) and forwards each
connection's bytes to 127.0.0.1:UPSTREAM.

usage: tls_proxy.py CERT KEY UPSTREAM_PORT
"""
import socket, ssl, sys, threading

cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)

def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def serve(raw):
    try:
        client = context.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        raw.close()  # a client that refused our certificate
        return
    server = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=pump, args=(server, client), daemon=True).start()
    pump(client, server)

while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
