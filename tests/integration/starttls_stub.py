#!/usr/bin/env python3
# Small TLS peers for test_fetch.sh, on 127.0.0.1:PORT with CERT/KEY as the TLS identity.
# Prints READY once it listens; serves every connection in a thread until killed.
#   starttls_stub.py MODE PORT CERT KEY [DOMAIN]
# Modes:
#   xmpp         the XMPP STARTTLS exchange of RFC 6120 §5 (stream header to=DOMAIN, stream features
#                offering <starttls/>, <proceed/>), then TLS. A stub, because Debian's XMPP servers
#                (prosody, ejabberd) are heavy to configure and start in a test; it speaks the real
#                exchange, and answers a wrong `to` with the host-unknown stream error as a server does.
#   ldap         the LDAP StartTLS extended operation of RFC 4511 §4.14 (BER request checked,
#                resultCode 0 answered), then TLS. A stub for the same reason (slapd).
#   ldap-refuse  the same request answered with resultCode 52 (unavailable).
#   close        reads the client's first bytes (its ClientHello) and closes: a handshake cut off.
#   silent       accepts and never answers (printing "accepted"): the client must time out.
import socket
import ssl
import sys
import threading
import time

mode, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
domain = sys.argv[5] if len(sys.argv) > 5 else "xmpp.example.com"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
STREAMS = "http://etherx.jabber.org/streams"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
held = []


def read_until(conn, *needles):
    data = b""
    while not all(n in data for n in needles):
        chunk = conn.recv(4096)
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def tls(conn):
    with ctx.wrap_socket(conn, server_side=True) as s:
        try:
            s.recv(1)  # until the client closes
        except (ssl.SSLError, OSError):
            pass


def xmpp(conn):
    head = read_until(conn, b"<stream:stream", b">").decode()
    reply = ("<?xml version='1.0'?><stream:stream from='%s' id='stub1' version='1.0' xmlns='jabber:client' "
             "xmlns:stream='%s'>" % (domain, STREAMS))
    if "to='%s'" % domain not in head and 'to="%s"' % domain not in head:
        conn.sendall((reply + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                      "</stream:error></stream:stream>").encode())
        return
    conn.sendall(reply.encode())
    time.sleep(0.05)  # the features in a second segment: the client must reassemble
    conn.sendall(("<stream:features><starttls xmlns='%s'><required/></starttls>"
                  "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
                  "</mechanisms></stream:features>" % TLS_NS).encode())
    read_until(conn, b"<starttls", TLS_NS.encode(), b"/>")
    conn.sendall(("<proceed xmlns='%s'/>" % TLS_NS).encode())
    tls(conn)


def ldap(conn, refuse):
    req = read_until(conn, b"1.3.6.1.4.1.1466.20037")
    if req[:2] != b"\x30\x1d" or req[5:6] != b"\x77":
        return
    if refuse:
        diag = b"no TLS here"
        op = b"\x0a\x01\x34" + b"\x04\x00" + b"\x04" + bytes([len(diag)]) + diag
    else:
        op = b"\x0a\x01\x00\x04\x00\x04\x00"
    body = b"\x02\x01\x01" + b"\x78" + bytes([len(op)]) + op
    conn.sendall(b"\x30" + bytes([len(body)]) + body)
    if not refuse:
        tls(conn)


def serve(conn):
    try:
        if mode == "xmpp":
            xmpp(conn)
        elif mode in ("ldap", "ldap-refuse"):
            ldap(conn, mode == "ldap-refuse")
        elif mode == "close":
            conn.recv(4096)
        elif mode == "silent":
            held.append(conn)
            print("accepted", flush=True)
            return
    except (OSError, ssl.SSLError, ConnectionError):
        pass
    conn.close()


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
print("READY", flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
