#!/usr/bin/env python3
"""Checks acme_stub.py's refusals and its ARI, profile and replaces handling, which no real client
(lego 4.9) provokes: bad nonces, bad signatures, wrong url/kid/jwk, unknown profiles, replaces,
renewalInfo windows, orderNotReady, badCSR, keyChange, revocation with the certificate's key.
Part of check_peers.sh (a developer tool, not in make check).

    stub_probe.py DIR      DIR: a running acme_stub.py's --dir (its env file is read)

Prints one line per check; exits 1 at the first that fails.
"""

import base64
import datetime
import json
import ssl
import sys
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_env(d):
    env = {}
    with open(d + "/env") as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    return env


ENV = load_env(sys.argv[1])
TLS = ssl.create_default_context(cafile=ENV["ACME_CA_FILE"])


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def http(method, url, body=None, ctype="application/jose+json"):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=TLS, timeout=10) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())


DIR = http("GET", ENV["ACME_DIRECTORY"]).json()


def nonce():
    return http("HEAD", DIR["newNonce"]).headers["Replay-Nonce"]


class Key:
    def __init__(self, kind="ec"):
        if kind == "ec":
            self.key = ec.generate_private_key(ec.SECP256R1())
            n = self.key.public_key().public_numbers()
            self.jwk = {"crv": "P-256", "kty": "EC", "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}
            self.alg = "ES256"
        else:
            self.key = rsa.generate_private_key(65537, 2048)
            n = self.key.public_key().public_numbers()
            self.jwk = {"e": b64u(n.e.to_bytes(3, "big")), "kty": "RSA", "n": b64u(n.n.to_bytes(256, "big"))}
            self.alg = "RS256"
        self.kid = None

    def sign_bytes(self, data):
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def jws(self, url, payload, use_jwk=None, header=None, tamper=False, with_nonce=True):
        h = {"alg": self.alg, "url": url}
        if with_nonce:
            h["nonce"] = nonce()
        if use_jwk if use_jwk is not None else self.kid is None:
            h["jwk"] = self.jwk
        else:
            h["kid"] = self.kid
        h.update(header or {})
        h = {k: v for k, v in h.items() if v is not None}
        p = b64u(json.dumps(h).encode())
        pl = "" if payload is None else b64u(json.dumps(payload).encode())
        sig = self.sign_bytes((p + "." + pl).encode())
        if tamper:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return {"protected": p, "payload": pl, "signature": b64u(sig)}

    def post(self, url, payload, **kw):
        return http("POST", url, json.dumps(self.jws(url, payload, **kw)).encode())


def check(what, cond, resp=None):
    if not cond:
        print("FAIL: %s" % what)
        if resp is not None:
            print("  status %s: %s" % (resp.status, resp.body[:400].decode(errors="replace")))
        sys.exit(1)
    print("ok   %s" % what)


def problem(resp, status, kind):
    try:
        t = resp.json().get("type")
    except ValueError:
        t = None
    return resp.status == status and t == "urn:ietf:params:acme:error:" + kind and resp.headers.get("Replay-Nonce")


def register(key):
    r = key.post(DIR["newAccount"], {"termsOfServiceAgreed": True, "contact": ["mailto:probe@example.test"]})
    check("newAccount: 201 with a Location", r.status == 201 and r.headers.get("Location"), r)
    key.kid = r.headers["Location"]


def csr_der(names, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return key, b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def order(key, names, **extra):
    payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
    payload.update(extra)
    return key.post(DIR["newOrder"], payload)


def issue(key, names, **extra):
    """A whole order; returns (order URL, order JSON, leaf certificate, leaf key)."""
    r = order(key, names, **extra)
    check("newOrder %s %s: 201" % (names, extra), r.status == 201, r)
    url, o = r.headers["Location"], r.json()
    r = key.post(o["finalize"], {"csr": b64u(csr_der(names)[1])})
    check("finalize before the challenges: 403 orderNotReady", problem(r, 403, "orderNotReady"), r)
    for z in o["authorizations"]:
        a = key.post(z, None).json()
        ch = [c for c in a["challenges"] if c["type"] == "http-01"][0]
        r = key.post(ch["url"], None)
        check("challenge POST-as-GET leaves it pending", r.json()["status"] == "pending", r)
        r = key.post(ch["url"], {})
        check("challenge POST {}: valid", r.status == 200 and r.json()["status"] == "valid", r)
    r = key.post(url, None)
    check("order is ready", r.json()["status"] == "ready", r)
    r = key.post(o["finalize"], {"csr": b64u(csr_der(names + ["other.example.test"])[1])})
    check("finalize with a CSR naming more: 400 badCSR", problem(r, 400, "badCSR"), r)
    leaf_key, der = csr_der(names)
    r = key.post(o["finalize"], {"csr": b64u(der)})
    check("finalize: valid with a certificate URL", r.status == 200 and r.json()["status"] == "valid", r)
    r = key.post(r.json()["certificate"], None)
    check("certificate: a PEM chain of two", r.headers["Content-Type"] == "application/pem-certificate-chain"
          and r.body.count(b"BEGIN CERTIFICATE") == 2, r)
    leaf = x509.load_pem_x509_certificates(r.body)[0] if hasattr(x509, "load_pem_x509_certificates") \
        else x509.load_pem_x509_certificate(r.body)
    return url, key.post(url, None).json(), leaf, leaf_key


def validity(cert):
    """notBefore, notAfter (naive UTC) with old and new python3-cryptography alike."""
    if hasattr(cert, "not_valid_before_utc"):
        return cert.not_valid_before_utc.replace(tzinfo=None), cert.not_valid_after_utc.replace(tzinfo=None)
    return cert.not_valid_before, cert.not_valid_after


def cert_id(cert):
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    s = cert.serial_number
    return b64u(aki) + "." + b64u(s.to_bytes((s.bit_length() + 8) // 8, "big"))


def main():
    base = ENV["ACME_STUB"]
    r = http("POST", base + "/stub/window", b"{}", "application/json")
    check("POST /stub/window {}: the default window for every certificate", r.status == 200, r)
    check("directory has renewalInfo and meta.profiles",
          "renewalInfo" in DIR and set(DIR["meta"]["profiles"]) == {"classic", "shortlived"})
    r = http("GET", DIR["newNonce"])
    check("GET newNonce: 204 with a nonce", r.status == 204 and r.headers.get("Replay-Nonce"), r)

    k = Key()
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, header={"nonce": "bogus"})
    check("made-up nonce: 400 badNonce", problem(r, 400, "badNonce"), r)
    jws = k.jws(DIR["newAccount"], {"termsOfServiceAgreed": True}, tamper=True)
    r = http("POST", DIR["newAccount"], json.dumps(jws).encode())
    check("bad signature: 400 malformed", problem(r, 400, "malformed"), r)
    r = http("POST", DIR["newAccount"], json.dumps(jws).encode())
    check("the same nonce again: 400 badNonce", problem(r, 400, "badNonce"), r)
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, header={"url": DIR["newOrder"]})
    check("url not the request URL: 401 unauthorized", problem(r, 401, "unauthorized"), r)
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, header={"alg": "HS256"})
    check("alg HS256: 400 badSignatureAlgorithm", problem(r, 400, "badSignatureAlgorithm"), r)
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, with_nonce=False)
    check("no nonce: 400 badNonce", problem(r, 400, "badNonce"), r)
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=False, header={"kid": base + "/acct/00"})
    check("newAccount with a kid: 400 malformed", problem(r, 400, "malformed"), r)
    r = k.post(DIR["newAccount"], {"onlyReturnExisting": True})
    check("onlyReturnExisting, no account: 400 accountDoesNotExist", problem(r, 400, "accountDoesNotExist"), r)
    r = http("POST", DIR["newAccount"], json.dumps(k.jws(DIR["newAccount"], {})).encode(), ctype="application/json")
    check("Content-Type application/json: 415", r.status == 415, r)
    register(k)
    r = k.post(DIR["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True)
    check("newAccount with a known key: 200, same Location", r.status == 200 and r.headers["Location"] == k.kid, r)
    r = k.post(DIR["newOrder"], {"identifiers": [{"type": "dns", "value": "a.example.test"}]}, use_jwk=True)
    check("newOrder with a jwk: 400 malformed", problem(r, 400, "malformed"), r)
    stranger = Key()
    stranger.kid = base + "/acct/0123456789abcdef"
    r = order(stranger, ["a.example.test"])
    check("unknown kid: 400 accountDoesNotExist", problem(r, 400, "accountDoesNotExist"), r)
    r = order(k, ["a.example.test"], profile="longlived")
    check("unknown profile: 400 invalidProfile", problem(r, 400, "invalidProfile"), r)
    r = order(k, ["a.example.test"], replaces="aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
    check("replaces a certificate not issued here: 409 conflict", problem(r, 409, "conflict"), r)
    r = order(k, ["a.example.test"], replaces="not a cert id")
    check("replaces not a certID: 400 malformed", problem(r, 400, "malformed"), r)
    r = order(k, ["a.example.test"])
    r = k.post(r.json()["authorizations"][0], {"status": "deactivated"})
    check("authorization deactivated", r.json()["status"] == "deactivated", r)

    # RS256 account, shortlived profile
    rk = Key("rsa")
    register(rk)
    url, o, leaf, leaf_key = issue(rk, ["short.example.test"], profile="shortlived")
    life = validity(leaf)[1] - validity(leaf)[0]
    eku = list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    check("shortlived: 160 hours, serverAuth only (%s, %s)" % (life, [e._name for e in eku]),
          life == datetime.timedelta(hours=160) and eku == [ExtendedKeyUsageOID.SERVER_AUTH])
    check("order shows profile shortlived", o.get("profile") == "shortlived")
    r = k.post(url, None)
    check("another account reads the order: 403 unauthorized", problem(r, 403, "unauthorized"), r)

    # ARI
    url, o, leaf, leaf_key = issue(k, ["ari.example.test", "www.ari.example.test"])
    cid = cert_id(leaf)
    r = http("GET", DIR["renewalInfo"] + "/" + cid)
    nb, na = validity(leaf)
    third = (na - nb) / 3
    want = {"start": (nb + third).strftime("%Y-%m-%dT%H:%M:%SZ"), "end": (nb + 2 * third).strftime("%Y-%m-%dT%H:%M:%SZ")}
    check("renewalInfo: the middle third, Retry-After", r.status == 200 and r.json()["suggestedWindow"] == want
          and r.headers.get("Retry-After") == "21600", r)
    r = http("GET", DIR["renewalInfo"] + "/" + "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
    check("renewalInfo of an unknown certID: 404", r.status == 404, r)
    r = http("GET", DIR["renewalInfo"] + "/" + "nodot")
    check("renewalInfo of a malformed certID: 400", r.status == 400, r)
    win = {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}
    r = http("POST", base + "/stub/window", json.dumps(dict(win, retryAfter=60)).encode(), "application/json")
    check("POST /stub/window", r.status == 200, r)
    r = http("GET", DIR["renewalInfo"] + "/" + cid)
    check("renewalInfo: the window set, Retry-After 60", r.json()["suggestedWindow"] == win
          and r.headers["Retry-After"] == "60", r)
    win2 = {"start": "2031-01-01T00:00:00Z", "end": "2031-01-01T01:00:00Z"}
    r = http("POST", base + "/stub/window", json.dumps(dict(win2, certID=cid)).encode(), "application/json")
    r = http("GET", DIR["renewalInfo"] + "/" + cid)
    check("renewalInfo: the window set for this certID wins", r.json()["suggestedWindow"] == win2, r)
    http("POST", base + "/stub/window", json.dumps({"certID": cid}).encode(), "application/json")
    http("POST", base + "/stub/window", b"{}", "application/json")
    r = http("GET", DIR["renewalInfo"] + "/" + cid)
    check("renewalInfo: back to the default once cleared", r.json()["suggestedWindow"] == want, r)
    r = http("POST", base + "/stub/window", json.dumps({"start": "yesterday", "end": "x"}).encode(), "application/json")
    check("POST /stub/window with bad times: 400", r.status == 400, r)

    # replaces, then /stub/orders
    url2, o2, leaf2, _ = issue(k, ["ari.example.test", "www.ari.example.test"], replaces=cid, profile="classic")
    check("order shows replaces", o2.get("replaces") == cid)
    orders = http("GET", base + "/stub/orders").json()
    mine = [x for x in orders if x["url"] == url2]
    check("/stub/orders lists the order with replaces and profile", len(mine) == 1 and mine[0]["replaces"] == cid
          and mine[0]["profile"] == "classic" and mine[0]["certID"] == cert_id(leaf2)
          and mine[0]["identifiers"] == [{"type": "dns", "value": "ari.example.test"},
                                         {"type": "dns", "value": "www.ari.example.test"}])

    # revocation with the certificate's own key, then again
    der = leaf.public_bytes(serialization.Encoding.DER)
    lk = Key()
    lk.key = leaf_key
    r = rk.post(DIR["revokeCert"], {"certificate": b64u(der), "reason": 1})
    check("revokeCert by another account: 403 unauthorized", problem(r, 403, "unauthorized"), r)
    r = lk.post(DIR["revokeCert"], {"certificate": b64u(der), "reason": 1}, use_jwk=True,
                header={"jwk": leaf_jwk(leaf_key)})
    check("revokeCert with the certificate's key: 200", r.status == 200, r)
    r = k.post(DIR["revokeCert"], {"certificate": b64u(der), "reason": 1})
    check("revokeCert again: 400 alreadyRevoked", problem(r, 400, "alreadyRevoked"), r)
    certs = {c["certID"]: c for c in http("GET", base + "/stub/certs").json()}
    check("/stub/certs shows it revoked, reason 1", certs[cid]["revoked"] and certs[cid]["reason"] == 1)

    # keyChange: the new key signs afterwards, the old one no longer does
    nk = Key()
    inner = nk.jws(DIR["keyChange"], {"account": k.kid, "oldKey": k.jwk}, use_jwk=True, with_nonce=False)
    r = k.post(DIR["keyChange"], inner)
    check("keyChange: 200", r.status == 200, r)
    r = k.post(k.kid, None)
    check("the old key after keyChange: 400 malformed", problem(r, 400, "malformed"), r)
    nk.kid = k.kid
    r = nk.post(k.kid, None)
    check("the new key reads the account", r.status == 200 and r.json()["status"] == "valid", r)
    r = nk.post(k.kid, {"status": "deactivated"})
    check("account deactivated", r.json()["status"] == "deactivated", r)
    r = order(nk, ["a.example.test"])
    check("a deactivated account: 401 unauthorized", problem(r, 401, "unauthorized"), r)
    print("stub_probe: all checks passed")


def leaf_jwk(key):
    n = key.public_key().public_numbers()
    return {"crv": "P-256", "kty": "EC", "x": b64u(n.x.to_bytes(32, "big")), "y": b64u(n.y.to_bytes(32, "big"))}


if __name__ == "__main__":
    main()
