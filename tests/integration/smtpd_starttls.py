#!/usr/bin/env python3
# An SMTP server offering STARTTLS, for test_fetch.sh: Debian's python3-aiosmtpd (a real SMTP
# implementation, RFC 3207 included) on 127.0.0.1:PORT with CERT/KEY as its TLS identity; with
# CERT "-", a server that does not offer STARTTLS. Prints READY once it listens; runs until killed.
#   smtpd_starttls.py PORT CERT KEY
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = None
if cert != "-":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
controller = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=False)
controller.start()
print("READY", flush=True)
threading.Event().wait()
