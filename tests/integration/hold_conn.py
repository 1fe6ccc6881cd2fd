#!/usr/bin/env python3
"""Holds one TLS connection to certfleetd open across a certificate change (hot reload test).

hold_conn.py PORT COOKIE GO_FILE: sends GET /api/v1/nodes on one keep-alive connection, prints
"first STATUS SHA256" (the certificate this connection got), waits until GO_FILE exists, sends
the same request on the same connection and prints "second STATUS SHA256"."""
import hashlib
import os
import socket
import ssl
import sys
import time

port, cookie, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))


def ask(label):
    conn.sendall(("GET /api/v1/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: certfleet_session=%s\r\n"
                  "Connection: keep-alive\r\n\r\n" % cookie).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += conn.recv(65536)
    status = head.split(b" ")[1].decode()
    print(label, status, hashlib.sha256(conn.getpeercert(binary_form=True)).hexdigest(), flush=True)


ask("first")
deadline = time.time() + 30
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
ask("second")
conn.close()
