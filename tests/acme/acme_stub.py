#!/usr/bin/env python3
"""A small ACME server for certfleet's tests of what Debian's pebble 2.4.0 lacks: ARI (RFC 9773
renewalInfo) and profiles (draft-aaron-acme-profiles: meta.profiles, newOrder's "profile").

    acme_stub.py --dir DIR [--port P] [--lifetime-days N] [--shortlived-hours H] [--retry-after S]

Listens on https://127.0.0.1:P (0, the default: a free port) with a listener certificate for
127.0.0.1/localhost, then writes DIR/env (sourceable) and prints the directory URL:
    ACME_DIRECTORY   https://127.0.0.1:P/dir
    ACME_CA_FILE     the listener certificate (what a client trusts)
    ACME_STUB        https://127.0.0.1:P, the base of the management endpoints below
    ACME_STUB_ROOT   the stub CA (PEM) that signs the certificates it issues
    ACME_STUB_PID
Runs until killed. State is in memory only. Needs python3-cryptography.

RFC 8555 as a client needs it: the directory, nonces (HEAD/GET newNonce; every response carries a
fresh Replay-Nonce), flattened JWS with ES256 or RS256 whose protected header is checked (nonce
issued here and used once, url = the request URL, jwk on newAccount / kid on the rest, a kid being
an account URL issued here) and whose signature is verified; accounts (update, deactivate,
keyChange), orders of dns identifiers, one authorization per name with one http-01 challenge that
becomes valid when POSTed ({} payload; nothing is fetched: the stub never dials out), synchronous
finalize, the chain (leaf + stub CA) as application/pem-certificate-chain, revokeCert (with the
account or the certificate's key), POST-as-GET of every resource. Errors are RFC 7807 problems.

Profiles: "classic" (the default; --lifetime-days, serverAuth + clientAuth) and "shortlived"
(--shortlived-hours, serverAuth only). An unknown profile is a 400 invalidProfile.

ARI: GET /renewal-info/<certID>, certID = base64url(AKI keyIdentifier) "." base64url(serial's DER
content octets); 404 for a certificate not issued here. The window is, by priority, the one set
for that certID, the one set for every certificate, else the middle third of the certificate's
lifetime. Retry-After: --retry-after seconds (default 21600) unless the window set says otherwise.
newOrder records "replaces": a certID it did not issue is a 409 conflict, a malformed one a 400.

Management (no authentication, loopback only):
    POST /stub/window {"start": RFC3339, "end": RFC3339[, "certID": ID][, "retryAfter": S]
                       [, "explanationURL": URL]}   sets the window (for one certificate or all);
                      a body without start and end clears it
    GET  /stub/orders  [{"url", "account", "status", "identifiers", "replaces", "profile",
                        "certificate", "certID"}] for every order, oldest first
    GET  /stub/certs   [{"url", "certID", "serial", "names", "profile", "notBefore", "notAfter",
                        "revoked", "reason"}] for every certificate issued
"""

import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
from collections import OrderedDict

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ERR = "urn:ietf:params:acme:error:"
PROFILES = ("classic", "shortlived")
DEFAULT_PROFILE = "classic"
MAX_NONCES = 10000
MAX_BODY = 1 << 20
NAME_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def rfc3339(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError("no time zone")
    return t.astimezone(datetime.timezone.utc)


def serial_octets(serial):
    """The content octets of the DER INTEGER for a positive serial (RFC 9773 §4.1)."""
    n = max(1, (serial.bit_length() + 8) // 8)  # room for a leading 0 when the top bit is set
    data = serial.to_bytes(n, "big")
    while len(data) > 1 and data[0] == 0 and data[1] < 0x80:
        data = data[1:]
    return data


def cert_id(aki, serial):
    return b64u(aki) + "." + b64u(serial_octets(serial))


class Problem(Exception):
    def __init__(self, status, kind, detail, **extra):
        super().__init__(detail)
        self.status, self.kind, self.detail, self.extra = status, kind, detail, extra


def jwk_public_key(jwk):
    """The public key of an RFC 7517 JWK (EC P-256 or RSA)."""
    if not isinstance(jwk, dict):
        raise Problem(400, "malformed", "jwk is not an object")
    try:
        if jwk.get("kty") == "EC":
            if jwk.get("crv") != "P-256":
                raise Problem(400, "badPublicKey", "only the EC curve P-256 is accepted")
            x, y = unb64u(jwk["x"]), unb64u(jwk["y"])
            if len(x) != 32 or len(y) != 32:
                raise Problem(400, "badPublicKey", "EC coordinates are not 32 bytes")
            nums = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
            return nums.public_key()
        if jwk.get("kty") == "RSA":
            n, e = int.from_bytes(unb64u(jwk["n"]), "big"), int.from_bytes(unb64u(jwk["e"]), "big")
            if n.bit_length() < 2048:
                raise Problem(400, "badPublicKey", "RSA keys have at least 2048 bits")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except Problem:
        raise
    except (KeyError, ValueError, TypeError) as e:
        raise Problem(400, "badPublicKey", "bad jwk: %s" % e)
    raise Problem(400, "badPublicKey", "only EC P-256 and RSA keys are accepted")


def jwk_thumbprint(jwk):
    """RFC 7638 thumbprint: names the key of an account."""
    members = ("crv", "kty", "x", "y") if jwk.get("kty") == "EC" else ("e", "kty", "n")
    canon = json.dumps({k: jwk[k] for k in members}, sort_keys=True, separators=(",", ":"))
    return b64u(hashlib.sha256(canon.encode()).digest())


def spki(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def verify_jws_signature(alg, key, signing_input, signature):
    """RFC 7518: ES256 is raw R||S over SHA-256, RS256 PKCS#1 v1.5 over SHA-256."""
    try:
        if alg == "ES256":
            if not isinstance(key, ec.EllipticCurvePublicKey) or len(signature) != 64:
                raise Problem(400, "malformed", "ES256 needs an EC P-256 key and a 64-byte signature")
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256":
            if not isinstance(key, rsa.RSAPublicKey):
                raise Problem(400, "malformed", "RS256 needs an RSA key")
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise Problem(400, "badSignatureAlgorithm", "unsupported alg", algorithms=["ES256", "RS256"])
    except InvalidSignature:
        raise Problem(400, "malformed", "JWS signature is invalid")


def make_key_and_self_signed(cn, sans, days, ca):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    t = now()
    b = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(t - datetime.timedelta(minutes=5))
        .not_valid_after(t + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return key, b.sign(key, hashes.SHA256())


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class Stub:
    """The CA's state, all behind one lock."""

    def __init__(self, base, lifetime, shortlived, retry_after):
        self.base = base
        self.lifetime = lifetime
        self.shortlived = shortlived
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.nonces = OrderedDict()
        self.accounts = {}  # id -> dict
        self.account_by_key = {}  # thumbprint -> id
        self.orders = {}  # id -> dict, in creation order
        self.authzs = {}
        self.challenges = {}
        self.certs = {}  # id -> dict
        self.cert_by_certid = {}
        self.window_all = None
        self.window_by_certid = {}
        self.ca_key, self.ca_cert = make_key_and_self_signed("ACME stub CA %s" % secrets.token_hex(3), None, 3650, True)
        self.ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)
        self.ca_ski = self.ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest

    def url(self, path):
        return self.base + path

    def directory(self):
        return {
            "newNonce": self.url("/new-nonce"),
            "newAccount": self.url("/new-account"),
            "newOrder": self.url("/new-order"),
            "revokeCert": self.url("/revoke-cert"),
            "keyChange": self.url("/key-change"),
            "renewalInfo": self.url("/renewal-info"),
            "meta": {
                "termsOfService": self.url("/terms"),
                "profiles": {
                    "classic": "The default: server and client authentication, %g days"
                    % (self.lifetime.total_seconds() / 86400),
                    "shortlived": "Server authentication, %g hours" % (self.shortlived.total_seconds() / 3600),
                },
            },
        }

    def new_nonce(self):
        n = secrets.token_urlsafe(16)
        with self.lock:
            self.nonces[n] = True
            while len(self.nonces) > MAX_NONCES:
                self.nonces.popitem(last=False)
        return n

    def use_nonce(self, n):
        with self.lock:
            return isinstance(n, str) and self.nonces.pop(n, None) is not None

    # --- JWS ---------------------------------------------------------------------------------

    def check_jws(self, body, url, want_jwk, allow_either=False):
        """Checks a flattened JWS POSTed to url. Returns (payload bytes, account or None, jwk or None)."""
        try:
            jws = json.loads(body)
            protected_b64, payload_b64, sig_b64 = jws["protected"], jws["payload"], jws["signature"]
            header = json.loads(unb64u(protected_b64))
            signature = unb64u(sig_b64)
            payload = unb64u(payload_b64)
        except (ValueError, KeyError, TypeError):
            raise Problem(400, "malformed", "the body is not a flattened JWS")
        if not isinstance(header, dict):
            raise Problem(400, "malformed", "the protected header is not an object")
        if set(jws) - {"protected", "payload", "signature"}:
            raise Problem(400, "malformed", "unprotected header fields are not allowed")
        alg = header.get("alg")
        if alg not in ("ES256", "RS256"):
            raise Problem(400, "badSignatureAlgorithm", "alg %r is not accepted" % alg, algorithms=["ES256", "RS256"])
        if not self.use_nonce(header.get("nonce")):
            raise Problem(400, "badNonce", "JWS has an invalid anti-replay nonce: %r" % header.get("nonce"))
        if header.get("url") != url:
            raise Problem(401, "unauthorized", "the JWS url %r is not the request URL %s" % (header.get("url"), url))
        has_jwk, has_kid = "jwk" in header, "kid" in header
        if has_jwk == has_kid:
            raise Problem(400, "malformed", "the JWS header has exactly one of jwk and kid")
        if not allow_either and has_jwk != want_jwk:
            raise Problem(400, "malformed", "this resource needs a JWS with %s" % ("jwk" if want_jwk else "kid"))
        account = None
        if has_jwk:
            jwk = header["jwk"]
            key = jwk_public_key(jwk)
        else:
            jwk = None
            with self.lock:
                account = next((a for a in self.accounts.values() if a["url"] == header["kid"]), None)
            if account is None:
                raise Problem(400, "accountDoesNotExist", "kid %r is no account of this server" % header["kid"])
            key = account["key"]
        verify_jws_signature(alg, key, (protected_b64 + "." + payload_b64).encode(), signature)
        if account is not None and account["status"] != "valid":
            raise Problem(401, "unauthorized", "the account is %s" % account["status"])
        return payload, account, jwk

    @staticmethod
    def json_payload(payload):
        try:
            obj = json.loads(payload)
        except ValueError:
            raise Problem(400, "malformed", "the payload is not JSON")
        if not isinstance(obj, dict):
            raise Problem(400, "malformed", "the payload is not a JSON object")
        return obj

    # --- resources ---------------------------------------------------------------------------

    def account_view(self, a):
        v = {"status": a["status"], "orders": a["url"] + "/orders", "termsOfServiceAgreed": True}
        if a["contact"]:
            v["contact"] = a["contact"]
        return v

    @staticmethod
    def check_contact(contact):
        if contact is None:
            return []
        if not isinstance(contact, list) or not all(isinstance(c, str) for c in contact):
            raise Problem(400, "malformed", "contact is a list of strings")
        for c in contact:
            if not c.startswith("mailto:"):
                raise Problem(400, "unsupportedContact", "only mailto: contacts are supported: %r" % c)
            if not re.fullmatch(r"mailto:[^@,\s]+@[^@,\s]+", c):
                raise Problem(400, "invalidContact", "not an e-mail address: %r" % c)
        return contact

    def new_account(self, payload, jwk):
        req = self.json_payload(payload)
        thumb = jwk_thumbprint(jwk)
        with self.lock:
            aid = self.account_by_key.get(thumb)
            if aid is not None:
                a = self.accounts[aid]
                if a["status"] != "valid":
                    raise Problem(401, "unauthorized", "the account is %s" % a["status"])
                return 200, self.account_view(a), {"Location": a["url"]}
        if req.get("onlyReturnExisting"):
            raise Problem(400, "accountDoesNotExist", "no account has this key")
        if req.get("termsOfServiceAgreed") is not True:
            raise Problem(400, "malformed", "the terms of service must be agreed to")
        contact = self.check_contact(req.get("contact"))
        with self.lock:
            aid = secrets.token_hex(8)
            a = {"id": aid, "url": self.url("/acct/" + aid), "key": jwk_public_key(jwk), "thumb": thumb,
                 "jwk": jwk, "contact": contact, "status": "valid"}
            self.accounts[aid] = a
            self.account_by_key[thumb] = aid
        return 201, self.account_view(a), {"Location": a["url"]}

    def account_post(self, aid, payload, account):
        a = self.accounts.get(aid)
        if a is None:
            raise Problem(404, "malformed", "no such account")
        if a is not account:
            raise Problem(403, "unauthorized", "the JWS is not signed by this account")
        if payload:
            req = self.json_payload(payload)
            with self.lock:
                if "contact" in req:
                    a["contact"] = self.check_contact(req["contact"])
                if req.get("status") == "deactivated":
                    a["status"] = "deactivated"
                elif "status" in req and req["status"] != a["status"]:
                    raise Problem(400, "malformed", "status can only become deactivated")
        return 200, self.account_view(a), {}

    def account_orders(self, aid, account):
        if self.accounts.get(aid) is not account:
            raise Problem(403, "unauthorized", "the JWS is not signed by this account")
        with self.lock:
            urls = [o["url"] for o in self.orders.values() if o["account"] == aid]
        return 200, {"orders": urls}, {}

    def key_change(self, payload, account, url):
        try:
            inner = json.loads(payload)
            header = json.loads(unb64u(inner["protected"]))
            inner_payload = unb64u(inner["payload"])
            signature = unb64u(inner["signature"])
        except (ValueError, KeyError, TypeError):
            raise Problem(400, "malformed", "the payload is not a flattened JWS")
        if not isinstance(header, dict) or "jwk" not in header or "kid" in header:
            raise Problem(400, "malformed", "the inner JWS has a jwk and no kid")
        if "nonce" in header:
            raise Problem(400, "malformed", "the inner JWS has no nonce")
        if header.get("url") != url:
            raise Problem(400, "malformed", "the inner JWS url is not the keyChange URL")
        alg = header.get("alg")
        if alg not in ("ES256", "RS256"):
            raise Problem(400, "badSignatureAlgorithm", "alg %r is not accepted" % alg, algorithms=["ES256", "RS256"])
        new_key = jwk_public_key(header["jwk"])
        verify_jws_signature(alg, new_key, (inner["protected"] + "." + inner["payload"]).encode(), signature)
        req = self.json_payload(inner_payload)
        if req.get("account") != account["url"]:
            raise Problem(403, "unauthorized", "the inner payload names another account")
        try:
            old_key = jwk_public_key(req.get("oldKey"))
        except Problem:
            raise Problem(400, "malformed", "oldKey is not a public key")
        if spki(old_key) != spki(account["key"]):
            raise Problem(400, "malformed", "oldKey is not the account's key")
        thumb = jwk_thumbprint(header["jwk"])
        with self.lock:
            other = self.account_by_key.get(thumb)
            if other is not None:
                raise Problem(409, "conflict", "another account has this key",
                              headers={"Location": self.accounts[other]["url"]})
            del self.account_by_key[account["thumb"]]
            account.update(key=new_key, thumb=thumb, jwk=header["jwk"])
            self.account_by_key[thumb] = account["id"]
        return 200, self.account_view(account), {}

    def order_view(self, o):
        v = {
            "status": o["status"],
            "expires": o["expires"],
            "identifiers": o["identifiers"],
            "authorizations": [self.url("/authz/" + z) for z in o["authz"]],
            "finalize": o["url"] + "/finalize",
        }
        if o["profile"] is not None:
            v["profile"] = o["profile"]
        if o["replaces"] is not None:
            v["replaces"] = o["replaces"]
        if o["cert"] is not None:
            v["certificate"] = self.url("/cert/" + o["cert"])
        if o.get("error"):
            v["error"] = o["error"]
        return v

    def new_order(self, payload, account):
        req = self.json_payload(payload)
        idents = req.get("identifiers")
        if not isinstance(idents, list) or not idents:
            raise Problem(400, "malformed", "identifiers is a non-empty list")
        names = []
        for i in idents:
            if not isinstance(i, dict) or not isinstance(i.get("value"), str):
                raise Problem(400, "malformed", "an identifier is an object with type and value")
            if i.get("type") != "dns":
                raise Problem(400, "unsupportedIdentifier", "only dns identifiers: %r" % i.get("type"))
            name = i["value"].lower().rstrip(".")
            if not NAME_RE.match(name) or len(name) > 253:
                raise Problem(400, "rejectedIdentifier", "not a DNS name: %r" % i["value"])
            if name not in names:
                names.append(name)
        profile = req.get("profile")
        if profile is not None and profile not in PROFILES:
            raise Problem(400, "invalidProfile", "no profile %r: %s" % (profile, ", ".join(PROFILES)))
        replaces = req.get("replaces")
        if replaces is not None:
            if not isinstance(replaces, str) or not re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", replaces):
                raise Problem(400, "malformed", "replaces is not an ARI certID: %r" % replaces)
            with self.lock:
                known = replaces in self.cert_by_certid
            if not known:
                raise Problem(409, "conflict", "replaces names a certificate this CA did not issue: %s" % replaces)
        expires = rfc3339(now() + datetime.timedelta(days=7))
        with self.lock:
            oid = secrets.token_hex(8)
            authz = []
            for name in names:
                zid, cid = secrets.token_hex(8), secrets.token_hex(8)
                self.authzs[zid] = {"id": zid, "account": account["id"], "name": name, "status": "pending",
                                    "expires": expires, "challenge": cid}
                self.challenges[cid] = {"id": cid, "authz": zid, "token": secrets.token_urlsafe(32),
                                        "status": "pending", "validated": None}
                authz.append(zid)
            o = {"id": oid, "url": self.url("/order/" + oid), "account": account["id"], "status": "pending",
                 "expires": expires, "identifiers": [{"type": "dns", "value": n} for n in names],
                 "authz": authz, "profile": profile, "replaces": replaces, "cert": None}
            self.orders[oid] = o
        return 201, self.order_view(o), {"Location": o["url"]}

    def owned(self, table, rid, account, what):
        r = table.get(rid)
        if r is None:
            raise Problem(404, "malformed", "no such %s" % what)
        if r["account"] != account["id"]:
            raise Problem(403, "unauthorized", "the %s belongs to another account" % what)
        return r

    def authz_view(self, z):
        c = self.challenges[z["challenge"]]
        return {
            "status": z["status"],
            "expires": z["expires"],
            "identifier": {"type": "dns", "value": z["name"]},
            "challenges": [self.challenge_view(c)],
        }

    def challenge_view(self, c):
        v = {"type": "http-01", "url": self.url("/chall/" + c["id"]), "token": c["token"], "status": c["status"]}
        if c["validated"]:
            v["validated"] = c["validated"]
        return v

    def authz_post(self, zid, payload, account):
        z = self.owned(self.authzs, zid, account, "authorization")
        if payload:
            req = self.json_payload(payload)
            if req.get("status") != "deactivated":
                raise Problem(400, "malformed", "an authorization can only be deactivated")
            with self.lock:
                z["status"] = "deactivated"
                for o in self.orders.values():
                    if zid in o["authz"] and o["status"] in ("pending", "ready"):
                        o["status"] = "invalid"
        return 200, self.authz_view(z), {}

    def challenge_post(self, cid, payload, account):
        c = self.challenges.get(cid)
        if c is None:
            raise Problem(404, "malformed", "no such challenge")
        z = self.owned(self.authzs, c["authz"], account, "challenge")
        if payload:
            self.json_payload(payload)
            with self.lock:
                if z["status"] == "pending":
                    # no validation fetch: answering the challenge makes it valid
                    c["status"] = "valid"
                    c["validated"] = rfc3339(now())
                    z["status"] = "valid"
                    for o in self.orders.values():
                        if o["status"] == "pending" and all(self.authzs[a]["status"] == "valid" for a in o["authz"]):
                            o["status"] = "ready"
        link = '<%s>;rel="up"' % self.url("/authz/" + z["id"])
        return 200, self.challenge_view(c), {"Link": link}

    def order_post(self, oid, payload, account):
        o = self.owned(self.orders, oid, account, "order")
        if payload:
            raise Problem(400, "malformed", "an order is read with POST-as-GET")
        return 200, self.order_view(o), {}

    def finalize(self, oid, payload, account):
        o = self.owned(self.orders, oid, account, "order")
        req = self.json_payload(payload)
        with self.lock:
            if o["status"] != "ready":
                raise Problem(403, "orderNotReady", "the order is %s" % o["status"])
            o["status"] = "processing"
        try:
            csr = x509.load_der_x509_csr(unb64u(req.get("csr", "")))
            if not csr.is_signature_valid:
                raise Problem(400, "badCSR", "the CSR's signature is invalid")
            names = set()
            try:
                san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                names.update(n.lower() for n in san.get_values_for_type(x509.DNSName))
            except x509.ExtensionNotFound:
                pass
            cns = [a.value.lower() for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
            names.update(cns)
            want = {i["value"] for i in o["identifiers"]}
            if names != want:
                raise Problem(400, "badCSR", "the CSR names %s, the order %s" % (sorted(names), sorted(want)))
            key = csr.public_key()
            if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
                raise Problem(400, "badCSR", "RSA keys have at least 2048 bits")
            if not isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
                raise Problem(400, "badCSR", "only RSA and EC keys")
        except Problem:
            with self.lock:
                o["status"] = "ready"
            raise
        except (ValueError, TypeError) as e:
            with self.lock:
                o["status"] = "ready"
            raise Problem(400, "badCSR", "the csr is not a base64url DER PKCS#10 request: %s" % e)
        cn = cns[0] if cns else o["identifiers"][0]["value"]
        self.issue(o, key, cn)
        return 200, self.order_view(o), {"Location": o["url"]}

    def issue(self, o, key, cn):
        profile = o["profile"] or DEFAULT_PROFILE
        nb = now()
        na = nb + (self.shortlived if profile == "shortlived" else self.lifetime)
        eku = [ExtendedKeyUsageOID.SERVER_AUTH]
        if profile == "classic":
            eku.append(ExtendedKeyUsageOID.CLIENT_AUTH)
        rsa_key = isinstance(key, rsa.RSAPublicKey)
        serial = x509.random_serial_number()
        aki = x509.AuthorityKeyIdentifier(self.ca_ski, None, None)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key)
            .serial_number(serial)
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, rsa_key, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage(eku), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(aki, critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(i["value"]) for i in o["identifiers"]]), critical=False
            )
            .sign(self.ca_key, hashes.SHA256())
        )
        der = leaf.public_bytes(serialization.Encoding.DER)
        cid = cert_id(self.ca_ski, serial)
        with self.lock:
            certn = secrets.token_hex(8)
            self.certs[certn] = {
                "id": certn, "account": o["account"], "der": der, "certID": cid, "serial": serial,
                "names": [i["value"] for i in o["identifiers"]], "profile": profile,
                "notBefore": nb, "notAfter": na, "revoked": False, "reason": None,
                "pem": leaf.public_bytes(serialization.Encoding.PEM) + self.ca_pem,
            }
            self.cert_by_certid[cid] = certn
            o["cert"] = certn
            o["status"] = "valid"

    def cert_post(self, certn, payload, account):
        c = self.owned(self.certs, certn, account, "certificate")
        if payload:
            raise Problem(400, "malformed", "a certificate is read with POST-as-GET")
        return c["pem"]

    def revoke(self, payload, account, jwk):
        req = self.json_payload(payload)
        try:
            der = unb64u(req.get("certificate", ""))
        except ValueError:
            raise Problem(400, "malformed", "certificate is not base64url")
        reason = req.get("reason", 0)
        if not isinstance(reason, int) or isinstance(reason, bool) or reason not in (0, 1, 2, 3, 4, 5, 6, 8, 9, 10):
            raise Problem(400, "badRevocationReason", "reason %r is not a CRL reason code" % reason)
        with self.lock:
            c = next((c for c in self.certs.values() if c["der"] == der), None)
        if c is None:
            raise Problem(404, "malformed", "this CA did not issue the certificate")
        if account is not None:
            if c["account"] != account["id"]:
                raise Problem(403, "unauthorized", "the certificate was issued to another account")
        else:
            leaf_key = x509.load_der_x509_certificate(der).public_key()
            if spki(leaf_key) != spki(jwk_public_key(jwk)):
                raise Problem(403, "unauthorized", "the jwk is not the certificate's key")
        with self.lock:
            if c["revoked"]:
                raise Problem(400, "alreadyRevoked", "the certificate is already revoked")
            c["revoked"] = True
            c["reason"] = reason
        return 200, None, {}

    # --- ARI and management ------------------------------------------------------------------

    def renewal_info(self, cid):
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", cid):
            raise Problem(400, "malformed", "not an ARI certID: %r" % cid)
        with self.lock:
            certn = self.cert_by_certid.get(cid)
            if certn is None:
                raise Problem(404, "malformed", "no certificate with this certID")
            c = self.certs[certn]
            w = self.window_by_certid.get(cid) or self.window_all
        if w is None:
            third = (c["notAfter"] - c["notBefore"]) / 3
            w = {"start": rfc3339(c["notBefore"] + third), "end": rfc3339(c["notBefore"] + 2 * third)}
        body = {"suggestedWindow": {"start": w["start"], "end": w["end"]}}
        if w.get("explanationURL"):
            body["explanationURL"] = w["explanationURL"]
        return body, w.get("retryAfter", self.retry_after)

    def set_window(self, body):
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise Problem(400, "malformed", "the body is not JSON")
        if not isinstance(req, dict):
            raise Problem(400, "malformed", "the body is a JSON object")
        cid = req.get("certID")
        w = None
        if "start" in req or "end" in req:
            try:
                start, end = parse_rfc3339(req["start"]), parse_rfc3339(req["end"])
            except (KeyError, ValueError, AttributeError, TypeError):
                raise Problem(400, "malformed", "start and end are RFC 3339 times")
            if end < start:
                raise Problem(400, "malformed", "end is before start")
            w = {"start": rfc3339(start), "end": rfc3339(end)}
            if "retryAfter" in req:
                if not isinstance(req["retryAfter"], int) or req["retryAfter"] < 0:
                    raise Problem(400, "malformed", "retryAfter is a number of seconds")
                w["retryAfter"] = req["retryAfter"]
            if req.get("explanationURL"):
                w["explanationURL"] = str(req["explanationURL"])
        with self.lock:
            if cid is None:
                self.window_all = w
            else:
                if cid not in self.cert_by_certid:
                    raise Problem(404, "malformed", "no certificate with this certID")
                if w is None:
                    self.window_by_certid.pop(cid, None)
                else:
                    self.window_by_certid[cid] = w
        return {"certID": cid, "window": w}

    def list_orders(self):
        with self.lock:
            return [
                {
                    "url": o["url"],
                    "account": self.accounts[o["account"]]["url"],
                    "status": o["status"],
                    "identifiers": o["identifiers"],
                    "replaces": o["replaces"],
                    "profile": o["profile"],
                    "certificate": self.url("/cert/" + o["cert"]) if o["cert"] else None,
                    "certID": self.certs[o["cert"]]["certID"] if o["cert"] else None,
                }
                for o in self.orders.values()
            ]

    def list_certs(self):
        with self.lock:
            return [
                {
                    "url": self.url("/cert/" + c["id"]),
                    "certID": c["certID"],
                    "serial": "%x" % c["serial"],
                    "names": c["names"],
                    "profile": c["profile"],
                    "notBefore": rfc3339(c["notBefore"]),
                    "notAfter": rfc3339(c["notAfter"]),
                    "revoked": c["revoked"],
                    "reason": c["reason"],
                }
                for c in self.certs.values()
            ]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acme-stub"
    stub = None  # set by main

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (rfc3339(now()), fmt % args))

    def send(self, status, body=b"", ctype=None, headers=None, acme=True):
        self.send_response(status)
        if acme:
            self.send_header("Replay-Nonce", self.stub.new_nonce())
            self.send_header("Link", '<%s>;rel="index"' % self.stub.url("/dir"))
            self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        if ctype and body:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, headers=None, acme=True):
        body = b"" if obj is None else (json.dumps(obj, indent=1) + "\n").encode()
        self.send(status, body, "application/json", headers, acme)

    def send_problem(self, p):
        obj = {"type": ERR + p.kind, "detail": p.detail, "status": p.status}
        headers = {}
        for k, v in p.extra.items():
            if k == "headers":
                headers.update(v)
            else:
                obj[k] = v
        body = (json.dumps(obj) + "\n").encode()
        self.send(p.status, body, "application/problem+json", headers)

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None or not n.isdigit() or int(n) > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot go on
        if n is None or not n.isdigit():
            raise Problem(411, "malformed", "Content-Length is required")
        if int(n) > MAX_BODY:
            raise Problem(413, "malformed", "the body is too large")
        return self.rfile.read(int(n))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        try:
            path = self.path.split("?", 1)[0]
            if path == "/dir":
                self.send_json(200, self.stub.directory(), acme=False)
            elif path == "/new-nonce":
                self.send(200 if self.command == "HEAD" else 204)
            elif path == "/terms":
                self.send(200, b"Terms of service of the ACME stub: test use only.\n", "text/plain", acme=False)
            elif path.startswith("/renewal-info/"):
                body, retry = self.stub.renewal_info(path[len("/renewal-info/"):])
                self.send_json(200, body, {"Retry-After": retry}, acme=False)
            elif path == "/stub/orders":
                self.send_json(200, self.stub.list_orders(), acme=False)
            elif path == "/stub/certs":
                self.send_json(200, self.stub.list_certs(), acme=False)
            elif re.fullmatch(r"/(acct|order|authz|chall|cert)/.*", path) or path in (
                "/new-account", "/new-order", "/revoke-cert", "/key-change"
            ):
                raise Problem(405, "malformed", "use POST (POST-as-GET to read)", headers={"Allow": "POST"})
            else:
                raise Problem(404, "malformed", "no such resource")
        except Problem as p:
            self.send_problem(p)

    def do_POST(self):
        try:
            path = self.path.split("?", 1)[0]
            body = self.read_body()
            if path == "/stub/window":
                self.send_json(200, self.stub.set_window(body), acme=False)
                return
            ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype != "application/jose+json":
                raise Problem(415, "malformed", "Content-Type must be application/jose+json")
            url = self.stub.url(path)
            self.route(path, body, url)
        except Problem as p:
            self.send_problem(p)

    def route(self, path, body, url):
        s = self.stub
        if path == "/new-account":
            payload, _, jwk = s.check_jws(body, url, want_jwk=True)
            self.reply(*s.new_account(payload, jwk))
            return
        if path == "/revoke-cert":
            payload, account, jwk = s.check_jws(body, url, want_jwk=False, allow_either=True)
            self.reply(*s.revoke(payload, account, jwk))
            return
        m = re.fullmatch(r"/(new-order|key-change|acct|order|authz|chall|cert)(?:/([0-9a-f]+)(/orders|/finalize)?)?", path)
        if m is None or (m.group(1) in ("new-order", "key-change")) != (m.group(2) is None):
            raise Problem(404, "malformed", "no such resource")
        kind, rid, sub = m.groups()
        payload, account, _ = s.check_jws(body, url, want_jwk=False)
        if kind == "new-order" and sub is None:
            self.reply(*s.new_order(payload, account))
        elif kind == "key-change":
            self.reply(*s.key_change(payload, account, url))
        elif kind == "acct" and sub is None:
            self.reply(*s.account_post(rid, payload, account))
        elif kind == "acct" and sub == "/orders":
            self.reply(*s.account_orders(rid, account))
        elif kind == "order" and sub is None:
            self.reply(*s.order_post(rid, payload, account))
        elif kind == "order" and sub == "/finalize":
            self.reply(*s.finalize(rid, payload, account))
        elif kind == "authz" and sub is None:
            self.reply(*s.authz_post(rid, payload, account))
        elif kind == "chall" and sub is None:
            self.reply(*s.challenge_post(rid, payload, account))
        elif kind == "cert" and sub is None:
            self.send(200, s.cert_post(rid, payload, account), "application/pem-certificate-chain")
        else:
            raise Problem(404, "malformed", "no such resource")

    def reply(self, status, obj, headers):
        self.send_json(status, obj, headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tls = None  # set by main

    def finish_request(self, request, client_address):
        # TLS handshake in the request's thread, so one slow client holds up nobody else
        request.settimeout(30)
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(request, client_address)
        finally:
            request.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def write_atomic(path, data, mode=0o644):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="A small ACME server with ARI and profiles, for certfleet's tests.")
    ap.add_argument("--dir", required=True, help="where the certificates and env go (made if missing)")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--lifetime-days", type=float, default=90, help="lifetime of classic certificates (days)")
    ap.add_argument("--shortlived-hours", type=float, default=160, help="lifetime of shortlived certificates (hours)")
    ap.add_argument("--retry-after", type=int, default=21600, help="Retry-After of renewalInfo (seconds)")
    args = ap.parse_args()
    if args.lifetime_days <= 0 or args.shortlived_hours <= 0 or args.retry_after < 0:
        ap.error("lifetimes are positive and Retry-After is not negative")

    d = os.path.abspath(args.dir)
    os.makedirs(d, mode=0o700, exist_ok=True)
    tls_key, tls_cert = make_key_and_self_signed(
        "localhost", [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
        365, False)
    cert_file, key_file = os.path.join(d, "listener-cert.pem"), os.path.join(d, "listener-key.pem")
    write_atomic(key_file, pem_key(tls_key), 0o600)
    write_atomic(cert_file, tls_cert.public_bytes(serialization.Encoding.PEM))

    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(cert_file, key_file)
    tls.set_alpn_protocols(["http/1.1"])

    server = Server(("127.0.0.1", args.port), Handler)
    server.tls = tls
    base = "https://127.0.0.1:%d" % server.server_address[1]
    stub = Stub(base, datetime.timedelta(days=args.lifetime_days), datetime.timedelta(hours=args.shortlived_hours),
                args.retry_after)
    Handler.stub = stub
    root_file = os.path.join(d, "stub-root.pem")
    write_atomic(root_file, stub.ca_pem)
    env = (
        "ACME_DIRECTORY=%s/dir\nACME_CA_FILE=%s\nACME_STUB=%s\nACME_STUB_ROOT=%s\nACME_STUB_PID=%d\n"
        % (base, cert_file, base, root_file, os.getpid())
    )
    write_atomic(os.path.join(d, "env"), env.encode())
    print(base + "/dir", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
