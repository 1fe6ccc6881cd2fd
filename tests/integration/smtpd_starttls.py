#!/usr/bin/env python3
# An SMTP server offering STARTTLS, for test_fetch.sh and test_monitor.sh: Debian's python3-aiosmtpd
# (a real SMTP implementation, RFC 3207 and RFC 4954 included) on 127.0.0.1:PORT with CERT/KEY as
# its TLS identity; with CERT "-", a server that does not offer STARTTLS. Prints READY once it
# listens; runs until killed.
#   smtpd_starttls.py PORT CERT KEY [MAILDIR [USER:PASSWORD]]
# With MAILDIR, every message accepted is written to MAILDIR as one file (NNNNNN.eml, renamed into
# place once complete), the envelope first as three header lines the message itself cannot carry:
#   X-Sink-Mail-From: <reverse path>
#   X-Sink-Rcpt-To: <recipient>, <recipient>...   (the RCPT TO addresses, in order)
#   X-Sink-Auth: <login> | -                       (the user the client authenticated as)
# then the message as received. With USER:PASSWORD (needs a CERT), the server requires STARTTLS
# and then AUTH (PLAIN or LOGIN) with that user and password before MAIL; every AUTH attempt is
# printed as "AUTH ok USER" or "AUTH refused USER".
import os
import ssl
import sys
import threading
import warnings

warnings.simplefilter("ignore", DeprecationWarning)  # Session.login_data, set by aiosmtpd itself

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
maildir = sys.argv[4] if len(sys.argv) > 4 else None
cred = sys.argv[5].split(":", 1) if len(sys.argv) > 5 else None
if cred is not None and cert == "-":
    sys.exit("smtpd_starttls.py: AUTH needs a certificate (STARTTLS first)")

ctx = None
if cert != "-":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)


class Store:
    """Writes each message to the directory as one file."""

    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()
        os.makedirs(directory, exist_ok=True)
        self.n = len([f for f in os.listdir(directory) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        login = "-"
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        head = (
            "X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: %s\r\nX-Sink-Auth: %s\r\n"
            % (envelope.mail_from, ", ".join(envelope.rcpt_tos), login)
        ).encode()
        body = envelope.original_content or envelope.content
        if isinstance(body, str):
            body = body.encode("utf-8")
        with self.lock:
            self.n += 1
            name = os.path.join(self.dir, "%06d.eml" % self.n)
        with open(name + ".part", "wb") as f:
            f.write(head + body)
        os.rename(name + ".part", name)
        return "250 OK stored"


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = auth_data.login.decode("utf-8", "replace")
    good = user == cred[0] and auth_data.password.decode("utf-8", "replace") == cred[1]
    print("AUTH %s %s" % ("ok" if good else "refused", user), flush=True)
    return AuthResult(success=good, auth_data=auth_data if good else None)


kwargs = {"tls_context": ctx, "require_starttls": False}
if cred is not None:
    kwargs.update(require_starttls=True, auth_required=True, auth_require_tls=True, authenticator=authenticator)
handler = Store(maildir) if maildir else Sink()
controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY", flush=True)
threading.Event().wait()
