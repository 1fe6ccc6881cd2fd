#!/usr/bin/env python3
"""The HTTP peers of test_http_client: a plain HTTP server, the same over TLS asking for a client
certificate (DIR/server.pem, DIR/server.key, client CAs in DIR/ca.pem), and a port that accepts
connections and never answers. Prints "PLAIN TLS SILENT" (the ports) and serves until killed."""
import http.server
import socket
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=(), length=True):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/hello":
            self.reply(200, b"hello\n", [("Content-Type", "text/plain")])
        elif p == "/links":
            self.reply(200, b"links", [("Link", '<https://ca.example/dir>;rel="index"'),
                                       ("Link", '<https://ca.example/chain/2>;rel="alternate"'),
                                       ("Retry-After", "7"), ("Replay-Nonce", "n0nce")])
        elif p == "/big":  # with its length: refused before the body
            self.reply(200, b"x" * 4096)
        elif p == "/stream":  # without a length: refused while it arrives
            self.close_connection = True
            self.reply(200, b"y" * 4096, length=False)
        elif p == "/redirect":
            self.reply(302, b"moved", [("Location", "/hello")])
        elif p == "/missing":
            self.reply(404, b"nope")
        elif p == "/whoami":
            cert = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
            subject = dict(x[0] for x in cert["subject"]) if cert else {}
            self.reply(200, ("CN=" + subject.get("commonName", "")).encode())
        else:
            self.reply(400, b"unknown path")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        head = "%s %s ct=%s len=%d\n" % (self.command, self.path, self.headers.get("Content-Type"), len(body))
        self.reply(201, head.encode() + body, [("Location", "/made/1")])

    do_PUT = do_POST


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    d = sys.argv[1]
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d + "/server.pem", d + "/server.key")
    ctx.load_verify_locations(d + "/ca.pem")
    ctx.verify_mode = ssl.CERT_REQUIRED
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    tls.handle_error = lambda *args: None  # a refused handshake is what some tests want
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held = []

    def hold():
        while True:
            held.append(silent.accept()[0])  # accepted, never read, never answered

    threading.Thread(target=hold, daemon=True).start()
    print(serve(plain), serve(tls), silent.getsockname()[1], flush=True)
    threading.Event().wait()


main()
