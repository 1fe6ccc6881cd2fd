#!/usr/bin/env python3
"""Certificate corpora for certfleet's validation oracle test and its benchmark.

    gen_validate_corpus.py oracle OUTDIR --now EPOCH [--seed N] [--scale K]
    gen_validate_corpus.py bench  OUTDIR [--now EPOCH] [--cas 1000] [--rsa 10000] [--ec 10000]

Certificates are written as DER by hand (the encoder below) and signed in-process through
libcrypto (ctypes: EVP_DigestSign), so a corpus of thousands takes seconds and needs no Python
package beyond the standard library and no process per certificate. Keys are generated through
libcrypto too; leaf keys come from a small pool (a leaf's own key plays no part in validating it).

oracle writes, under OUTDIR:
  roots.pem, ints.pem, i1.pem, ih.pem, ...  trust anchors, the untrusted intermediates, single CAs
  g/GROUP-KIND/NNNNN-CASE.pem               leaves, one per file, grouped by the options they are
                                            validated with (one certfleet --batch and one
                                            openssl verify run per group); KIND rsa|ec is the
                                            leaf key type, which picks the purpose (tomcat or
                                            tomcat-ECDSA: SPEC §2 binds the key type to it)
  groups.tsv   group, host ("-" none), host kind (dns|ip|-), CA file, untrusted file ("-"),
               certfleet purpose ("-": none; openssl then gets no -purpose, else sslserver)
  cases.tsv    group, file, case, certfleet verdict intended (ok|fail), failing check intended
               (identity|validity|key-usage|chain, "-" when ok, a|b for either), openssl verdict
               intended, openssl error codes that may explain it ("-" when ok, a|b for either)
  single/...   the single-mode sample: leaf + intermediate in one file (PEM, DER), DER leaves
  single.tsv   file, CA file, untrusted file ("-"), host, verdict intended, the leaf alone (PEM),
               the untrusted file to give openssl (which reads only the first certificate of a
               file), certfleet purpose
  All paths in the .tsv files are relative to OUTDIR.

bench writes OUTDIR/bundle.pem (CA certificates, self-signed, mixed RSA-2048 / EC P-256),
OUTDIR/int.pem (an RSA-2048 intermediate issued by one of them), OUTDIR/leaves/rNNNNN.pem (RSA-2048
leaves) and OUTDIR/leaves/eNNNNN.pem (EC P-256 leaves), all issued by the intermediate, valid from
a day before --now for ten years, with serverAuth+clientAuth and the tomcat key usages, and
OUTDIR/all-leaves.pem (every leaf in one bundle).
"""
import argparse
import base64
import ctypes
import ctypes.util
import datetime
import hashlib
import ipaddress
import os
import random
import sys

# ---- libcrypto through ctypes ----------------------------------------------------------------------

_lib = None


def lib():
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
        L = ctypes.CDLL(name)
        vp, cp, ci, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t
        sigs = {
            "OpenSSL_version": (cp, [ci]),
            "EVP_PKEY_CTX_new_from_name": (vp, [vp, cp, cp]),
            "EVP_PKEY_keygen_init": (ci, [vp]),
            "EVP_PKEY_CTX_set_rsa_keygen_bits": (ci, [vp, ci]),
            "EVP_PKEY_CTX_set_group_name": (ci, [vp, cp]),
            "EVP_PKEY_generate": (ci, [vp, ctypes.POINTER(vp)]),
            "EVP_PKEY_CTX_free": (None, [vp]),
            "i2d_PUBKEY": (ci, [vp, ctypes.POINTER(ctypes.c_char_p)]),
            "EVP_MD_CTX_new": (vp, []),
            "EVP_MD_CTX_reset": (ci, [vp]),
            "EVP_sha256": (vp, []),
            "EVP_DigestSignInit": (ci, [vp, vp, vp, vp, vp]),
            "EVP_DigestSign": (ci, [vp, cp, ctypes.POINTER(sz), cp, sz]),
        }
        for fn, (res, args) in sigs.items():
            f = getattr(L, fn)
            f.restype, f.argtypes = res, args
        if not L.OpenSSL_version(0).startswith(b"OpenSSL 3"):
            sys.exit("gen_validate_corpus: needs libcrypto 3 (found %r)" % L.OpenSSL_version(0))
        _lib = L
    return _lib


class Key:
    """A private key held by libcrypto: kind 'rsa' (2048) or 'ec' (P-256), its SPKI DER."""

    def __init__(self, kind):
        L = lib()
        ctx = L.EVP_PKEY_CTX_new_from_name(None, b"RSA" if kind == "rsa" else b"EC", None)
        if not ctx or L.EVP_PKEY_keygen_init(ctx) <= 0:
            raise RuntimeError("keygen init failed")
        if kind == "rsa":
            ok = L.EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048)
        else:
            ok = L.EVP_PKEY_CTX_set_group_name(ctx, b"P-256")
        pk = ctypes.c_void_p()
        if ok <= 0 or L.EVP_PKEY_generate(ctx, ctypes.byref(pk)) <= 0:
            raise RuntimeError("keygen failed")
        L.EVP_PKEY_CTX_free(ctx)
        self.kind, self.pkey = kind, pk
        n = L.i2d_PUBKEY(pk, None)
        buf = ctypes.create_string_buffer(n)
        p = ctypes.cast(buf, ctypes.c_char_p)
        L.i2d_PUBKEY(pk, ctypes.byref(p))
        self.spki = buf.raw[:n]
        self.mctx = L.EVP_MD_CTX_new()

    def sign(self, tbs):
        L = lib()
        L.EVP_MD_CTX_reset(self.mctx)
        if L.EVP_DigestSignInit(self.mctx, None, L.EVP_sha256(), None, self.pkey) <= 0:
            raise RuntimeError("sign init failed")
        n = ctypes.c_size_t(0)
        L.EVP_DigestSign(self.mctx, None, ctypes.byref(n), tbs, len(tbs))
        out = ctypes.create_string_buffer(n.value)
        if L.EVP_DigestSign(self.mctx, out, ctypes.byref(n), tbs, len(tbs)) <= 0:
            raise RuntimeError("sign failed")
        return out.raw[: n.value]


# ---- DER -------------------------------------------------------------------------------------------


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def seq(*items):
    return tlv(0x30, b"".join(items))


def integer(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, b)


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)


def bitstring(b, unused=0):
    return tlv(0x03, bytes([unused]) + b)


def octets(b):
    return tlv(0x04, b)


def boolean(v):
    return tlv(0x01, b"\xff" if v else b"\x00")


def utf8(s):
    return tlv(0x0C, s.encode())


def der_time(epoch):
    t = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    if 1950 <= t.year < 2050:
        return tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


OID_CN, OID_O = "2.5.4.3", "2.5.4.10"


def name(cn, o="certfleet oracle"):
    rdns = []
    if o:
        rdns.append(tlv(0x31, seq(oid(OID_O), utf8(o))))
    if cn:
        rdns.append(tlv(0x31, seq(oid(OID_CN), utf8(cn))))
    return seq(*rdns)


def ext(oid_s, critical, body):
    return seq(oid(oid_s), *( [boolean(True)] if critical else []), octets(body))


KU_BITS = {"digitalSignature": 0, "nonRepudiation": 1, "keyEncipherment": 2, "dataEncipherment": 3,
           "keyAgreement": 4, "keyCertSign": 5, "cRLSign": 6}


def ku_ext(names):
    v = 0
    for n in names:
        v |= 0x80 >> KU_BITS[n]
    b = bytes([v])
    unused = 0
    while unused < 7 and not (v >> unused) & 1:
        unused += 1
    return ext("2.5.29.15", True, bitstring(b, unused if v else 0))


EKU_OIDS = {"serverAuth": "1.3.6.1.5.5.7.3.1", "clientAuth": "1.3.6.1.5.5.7.3.2"}


def eku_ext(names):
    return ext("2.5.29.37", False, seq(*[oid(EKU_OIDS[n]) for n in names]))


def san_ext(entries, critical=False):
    out = []
    for e in entries:
        kind, val = e.split(":", 1)
        if kind == "DNS":
            out.append(tlv(0x82, val.encode()))
        elif kind == "IP":
            out.append(tlv(0x87, ipaddress.ip_address(val).packed))
        else:
            raise ValueError(e)
    return ext("2.5.29.17", critical, seq(*out))


def bc_ext(ca):
    return ext("2.5.29.19", True, seq(boolean(True)) if ca else seq())


def ski_ext(ski):
    return ext("2.5.29.14", False, octets(ski))


def aki_ext(ki):
    return ext("2.5.29.35", False, seq(tlv(0x80, ki)))


SIG_ALG = {"rsa": seq(oid("1.2.840.113549.1.1.11"), b"\x05\x00"), "ec": seq(oid("1.2.840.10045.4.3.2"))}


class CA:
    def __init__(self, key, subject, ski, cert_der):
        self.key, self.subject, self.ski, self.der = key, subject, ski, cert_der


def make_cert(serial, issuer_key, issuer_name, issuer_ski, subject, spki, not_before, not_after,
              exts, aki=True, v1=False):
    """A certificate (DER). issuer_ski: the AKI value (None or aki=False: no AKI). v1: a version 1
    certificate (no version field, no extensions)."""
    ski = hashlib.sha1(subject + spki).digest()
    allexts = list(exts) + [ski_ext(ski)]
    if aki and issuer_ski is not None:
        allexts.append(aki_ext(issuer_ski))
    alg = SIG_ALG[issuer_key.kind]
    head = [] if v1 else [tlv(0xA0, integer(2))]
    tail = [] if v1 else [tlv(0xA3, seq(*allexts))]
    tbs = seq(*head, integer(serial), alg, issuer_name, seq(der_time(not_before), der_time(not_after)),
              subject, spki, *tail)
    sig = issuer_key.sign(tbs)
    return seq(tbs, alg, bitstring(sig)), ski


def make_ca(rng, key, cn, issuer=None, not_before=None, not_after=None, is_ca=True, o="certfleet oracle",
            pathlen=None, ku=None, extra=()):
    subject = name(cn, o)
    bc = bc_ext(is_ca) if pathlen is None else ext("2.5.29.19", True, seq(boolean(True), integer(pathlen)))
    exts = [bc, ku_ext(ku or (["keyCertSign", "cRLSign"] if is_ca else ["digitalSignature"]))] + list(extra)
    if issuer is None:  # self-signed: AKI = own SKI
        ski = hashlib.sha1(subject + key.spki).digest()
        der, _ = make_cert(rng.getrandbits(127) | 1 << 126, key, subject, ski, subject, key.spki, not_before, not_after, exts)
    else:
        der, ski = make_cert(rng.getrandbits(127) | 1 << 126, issuer.key, issuer.subject, issuer.ski, subject, key.spki,
                             not_before, not_after, exts)
    return CA(key, subject, ski, der)


def pem(der):
    b = base64.b64encode(der).decode()
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END CERTIFICATE-----\n"


def write(path, text_or_bytes):
    mode = "wb" if isinstance(text_or_bytes, bytes) else "w"
    with open(path, mode) as f:
        f.write(text_or_bytes)


def flip_signature_byte(der):
    """Flips one byte inside the signature BIT STRING (the certificate's last element; 8 bytes from
    the end lies inside an RSA signature and inside the s INTEGER of an ECDSA signature)."""
    b = bytearray(der)
    b[-8] ^= 0x5A
    return bytes(b)


# ---- the oracle corpus -------------------------------------------------------------------------------

DAY = 86400
YEAR = 365 * DAY
TOMCAT_KU = {"rsa": ["digitalSignature", "keyEncipherment", "dataEncipherment"], "ec": ["digitalSignature", "keyAgreement"]}
BOTH_EKU = ["serverAuth", "clientAuth"]


def oracle(out, now, seed, scale):
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    vb, va = now - 400 * DAY, now + 3 * YEAR  # CA validity
    K = lambda kind: Key(kind)
    r1 = make_ca(rng, K("rsa"), "Oracle Root R1", None, vb, now + 10 * YEAR)
    r2 = make_ca(rng, K("ec"), "Oracle Root R2", None, vb, now + 10 * YEAR)
    r3 = make_ca(rng, K("rsa"), "Oracle Root R3", None, vb, now + 10 * YEAR)
    i1 = make_ca(rng, K("rsa"), "Oracle Issuing I1", r1, vb, va)
    i2 = make_ca(rng, K("ec"), "Oracle Issuing I2", r2, vb, va)
    i3 = make_ca(rng, K("rsa"), "Oracle Issuing I3", r3, vb, va)
    i4 = make_ca(rng, K("ec"), "Oracle Issuing I4", r1, vb, va)
    ih = make_ca(rng, K("rsa"), "Oracle Hidden IH", r2, vb, va)        # under a trusted root, never in ints.pem
    rx = make_ca(rng, K("ec"), "Rogue Root RX", None, vb, now + 10 * YEAR)  # not trusted
    ix = make_ca(rng, K("rsa"), "Rogue Issuing IX", rx, vb, va)         # in ints.pem, chains to RX
    imp = make_ca(rng, K("rsa"), "Oracle Issuing I1", rx, vb, va)       # impostor: I1's name, another key
    ie = make_ca(rng, K("rsa"), "Oracle Expired IE", r1, now - 3 * YEAR, now - 10 * DAY)
    inca = make_ca(rng, K("rsa"), "Oracle Not A CA IN", r3, vb, va, is_ca=False)
    # harder chains: an expired root; an intermediate not yet valid; pathLenConstraint 0 with a
    # CA below it; a CA without keyCertSign; a name-constrained CA (permitted: example.org only);
    # a renewed intermediate: same name and key twice, the first copy expired.
    r4 = make_ca(rng, K("rsa"), "Oracle Expired Root R4", None, now - 20 * YEAR, now - 5 * DAY)
    i5 = make_ca(rng, K("ec"), "Oracle Issuing I5 under expired root", r4, vb, va)
    i7 = make_ca(rng, K("rsa"), "Oracle Future I7", r1, now + 10 * DAY, va)
    ip0 = make_ca(rng, K("rsa"), "Oracle Pathlen0 IP0", r3, vb, va, pathlen=0)
    ips = make_ca(rng, K("ec"), "Oracle Below Pathlen0 IPS", ip0, vb, va)
    ink = make_ca(rng, K("rsa"), "Oracle No CertSign INK", r1, vb, va, ku=["digitalSignature", "cRLSign"])
    # NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT SEQUENCE OF GeneralSubtree }
    nc = ext("2.5.29.30", True, seq(tlv(0xA0, seq(tlv(0x82, b"example.org")))))
    inc = make_ca(rng, K("ec"), "Oracle Name Constrained INC", r2, vb, va, extra=[nc])
    i6key = K("rsa")
    i6old = make_ca(rng, i6key, "Oracle Renewed I6", r3, now - 6 * YEAR, now - 30 * DAY)
    i6 = make_ca(rng, i6key, "Oracle Renewed I6", r3, now - 30 * DAY, va)
    write(os.path.join(out, "roots.pem"), "".join(pem(c.der) for c in (r1, r2, r3, r4)))
    write(os.path.join(out, "ints.pem"), "".join(pem(c.der) for c in (i1, i2, i3, i4, ix, ie, inca, i5, i7, ip0, ips,
                                                                       ink, inc, i6old, i6)))
    write(os.path.join(out, "i1.pem"), pem(i1.der))
    write(os.path.join(out, "ih.pem"), pem(ih.der))
    write(os.path.join(out, "ints+ih.pem"), open(os.path.join(out, "ints.pem")).read() + pem(ih.der))
    write(os.path.join(out, "bad.pem"), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
    leaf_keys = {"rsa": [K("rsa") for _ in range(3)], "ec": [K("ec") for _ in range(3)]}
    good_issuers = [i1, i2, i3, i4]

    groups = [
        # name, host, host kind, CA file, untrusted, purpose
        ("main", "www.example.com", "dns", "roots.pem", "ints.pem", "tomcat"),
        ("ip4", "10.1.2.3", "ip", "roots.pem", "ints.pem", "tomcat"),
        ("ip6", "2001:db8::1", "ip", "roots.pem", "ints.pem", "tomcat"),
        ("deep", "a.b.example.com", "dns", "roots.pem", "ints.pem", "tomcat"),
        ("upper", "WWW.Example.COM", "dns", "roots.pem", "ints.pem", "tomcat"),
        ("nohost", "-", "-", "roots.pem", "ints.pem", "tomcat"),
        ("partial", "www.example.com", "dns", "i1.pem", "-", "tomcat"),
        ("nopurpose", "www.example.com", "dns", "roots.pem", "ints.pem", "-"),
    ]
    # Each group is split by the leaf key type: certfleet's purposes bind the key type (SPEC §2:
    # "-ECDSA" <=> EC), so RSA leaves are validated with tomcat and EC leaves with tomcat-ECDSA.
    rows = []
    for g in groups:
        for kind, purpose in (("rsa", "tomcat"), ("ec", "tomcat-ECDSA")):
            rows.append(["%s-%s" % (g[0], kind)] + list(g[1:5]) + [purpose if g[5] != "-" else "-"])
    write(os.path.join(out, "groups.tsv"), "".join("\t".join(r) + "\n" for r in rows))
    cases = []
    counter = [0]

    def leaf(group, case, cf, cf_check, os_v, os_err, *, kind=None, issuer=None, san=("DNS:www.example.com",),
             cn=None, ku="tomcat", eku=BOTH_EKU, nb=None, na=None, aki=True, mutate=None, self_signed=False,
             dirkind=None, extra=(), v1=False, subject=None, san_critical=False):
        counter[0] += 1
        n = counter[0]
        kind = kind or ("rsa" if n % 2 else "ec")
        key = leaf_keys[kind][n % 3]
        issuer = issuer or good_issuers[n % 4]
        nb = now - 30 * DAY - n if nb is None else nb
        na = now + 365 * DAY + n if na is None else na
        cn = cn if cn is not None else "leaf%05d.example.com" % n
        subject = name(cn) if subject is None else subject
        exts = [bc_ext(False)] + list(extra)
        if ku is not None:
            exts.append(ku_ext(TOMCAT_KU[kind] if ku == "tomcat" else ku))
        if eku is not None:
            exts.append(eku_ext(eku))
        sans = ["DNS:leaf%05d.example.com" % n] + list(san) if san is not None else None
        if sans:
            exts.append(san_ext(sans, san_critical))
        serial = rng.getrandbits(127) | 1 << 126
        if self_signed:
            sk = Key(kind) if n % 10 == 0 else key
            ski = hashlib.sha1(subject + sk.spki).digest()
            der, _ = make_cert(serial, sk, subject, ski, subject, sk.spki, nb, na, exts)
        else:
            der, _ = make_cert(serial, issuer.key, issuer.subject, issuer.ski, subject, key.spki, nb, na, exts, aki=aki,
                               v1=v1)
        if mutate:
            der = mutate(der)
        group = "%s-%s" % (group, dirkind or kind)
        d = os.path.join(out, "g", group)
        os.makedirs(d, exist_ok=True)
        fn = "%05d-%s.pem" % (n, case)
        write(os.path.join(d, fn), pem(der))
        cases.append((group, fn, case, cf, cf_check, os_v, os_err))
        return os.path.join(d, fn), der

    def many(count, *a, **kw):
        for _ in range(max(1, round(count * scale))):
            leaf(*a, **kw)

    OK = ("ok", "-", "ok", "-")
    # main: www.example.com, tomcat, roots + ints
    many(700, "main", "good", *OK)
    many(60, "main", "good-rsa-by-ec", *OK, kind="rsa", issuer=i2)
    many(60, "main", "good-ec-by-rsa", *OK, kind="ec", issuer=i3)
    many(100, "main", "good-wildcard", *OK, san=("DNS:*.example.com",))
    many(40, "main", "good-cn-only", *OK, san=None, cn="www.example.com")
    many(40, "main", "good-no-ku-eku", *OK, ku=None, eku=None)
    many(30, "main", "good-2050", *OK, na=now + 30 * YEAR)  # GeneralizedTime notAfter
    many(20, "main", "good-near-end", *OK, na=now + 90)
    many(20, "main", "good-near-start", *OK, nb=now - 90)
    many(120, "main", "expired", "fail", "validity", "fail", "10", na=now - DAY)
    many(30, "main", "expired-just", "fail", "validity", "fail", "10", na=now - 90)
    many(120, "main", "not-yet-valid", "fail", "validity", "fail", "9", nb=now + DAY)
    many(30, "main", "not-yet-valid-just", "fail", "validity", "fail", "9", nb=now + 90)
    many(80, "main", "wrong-issuer-rogue-chain", "fail", "chain", "fail", "2|20", issuer=ix)
    many(70, "main", "wrong-issuer-rogue-root", "fail", "chain", "fail", "20", issuer=rx)
    many(40, "main", "wrong-issuer-impostor-aki", "fail", "chain", "fail", "20|7", issuer=imp)
    many(40, "main", "wrong-issuer-impostor-noaki", "fail", "chain", "fail", "7|20", issuer=imp, aki=False)
    many(30, "main", "self-signed", "fail", "chain", "fail", "18", self_signed=True)
    many(150, "main", "missing-intermediate", "fail", "chain", "fail", "20", issuer=ih)
    many(150, "main", "bad-signature", "fail", "chain", "fail", "7", mutate=flip_signature_byte)
    many(150, "main", "wrong-eku-clientauth", "fail", "key-usage", "fail", "26", eku=["clientAuth"])
    many(40, "main", "wrong-ku-crlsign", "fail", "key-usage", "fail", "26", ku=["cRLSign"])
    many(150, "main", "name-mismatch", "fail", "identity", "fail", "62", san=("DNS:other.example.org",))
    many(30, "main", "name-cn-but-san", "fail", "identity", "fail", "62", san=(), cn="www.example.com")
    many(30, "main", "name-wildcard-other", "fail", "identity", "fail", "62", san=("DNS:*.other.example.com",))
    many(20, "main", "name-wildcard-below", "fail", "identity", "fail", "62", san=("DNS:*.www.example.com",))
    many(50, "main", "expired-intermediate", "fail", "validity|chain", "fail", "10", issuer=ie)
    many(30, "main", "intermediate-not-ca", "fail", "chain", "fail", "24|79|20|2", issuer=inca)
    # certfleet's tomcat purpose is stricter than openssl's sslserver: these differ by design
    many(30, "main", "stricter-eku-serveronly", "fail", "key-usage", "ok", "-", eku=["serverAuth"])
    many(20, "main", "stricter-ku-rsa-nodata", "fail", "key-usage", "ok", "-", kind="rsa",
         ku=["digitalSignature", "keyEncipherment"])
    many(20, "main", "stricter-ku-ec-noagree", "fail", "key-usage", "ok", "-", kind="ec", ku=["digitalSignature"])
    # ... and binds the key type: an EC key under tomcat, an RSA key under tomcat-ECDSA
    many(15, "main", "stricter-ec-key-for-tomcat", "fail", "key-usage", "ok", "-", kind="ec", dirkind="rsa")
    many(15, "main", "stricter-rsa-key-for-ecdsa", "fail", "key-usage", "ok", "-", kind="rsa", dirkind="ec")
    # harder chains and encodings
    many(30, "main", "expired-root", "fail", "validity|chain", "fail", "10", issuer=i5)
    many(30, "main", "intermediate-not-yet-valid", "fail", "validity|chain", "fail", "9", issuer=i7)
    many(30, "main", "pathlen-exceeded", "fail", "chain", "fail", "25", issuer=ips)
    many(30, "main", "intermediate-no-certsign", "fail", "chain", "fail", "20|32|2", issuer=ink)
    many(30, "main", "name-constraints-violated", "fail", "chain|identity", "fail", "47", issuer=inc)
    many(40, "main", "good-renewed-intermediate", *OK, issuer=i6)
    many(30, "main", "unknown-critical-extension", "fail", "*", "fail", "34",
         extra=[ext("1.3.6.1.4.1.55555.1", True, b"\x05\x00")])
    many(20, "main", "good-v1", *OK, v1=True, san=None, cn="www.example.com")
    many(20, "main", "good-san-uppercase", *OK, san=("DNS:WWW.EXAMPLE.COM",))
    many(20, "main", "good-empty-subject", *OK, subject=seq(), san_critical=True)
    # ip4: 10.1.2.3
    many(40, "ip4", "good-ip", *OK, san=("DNS:www.example.com", "IP:10.1.2.3"))
    many(20, "ip4", "ip-mismatch", "fail", "identity", "fail", "64", san=("IP:10.1.2.4",))
    many(20, "ip4", "ip-as-dns-san", "fail", "identity", "fail", "64", san=("DNS:10.1.2.3",))
    many(20, "ip4", "ip-as-cn", "fail", "identity", "fail", "64", san=None, cn="10.1.2.3")
    many(20, "ip4", "ip-v6-mapped-other", "fail", "identity", "fail", "64", san=("IP:::ffff:10.1.2.4",))
    # ip6: 2001:db8::1
    many(20, "ip6", "good-ip6", *OK, san=("IP:2001:db8::1",))
    many(20, "ip6", "ip6-mismatch", "fail", "identity", "fail", "64", san=("IP:2001:db8::2", "IP:10.1.2.3"))
    # deep: a.b.example.com
    many(30, "deep", "wildcard-too-deep", "fail", "identity", "fail", "62", san=("DNS:*.example.com",))
    many(30, "deep", "good-wildcard-b", *OK, san=("DNS:*.b.example.com",))
    many(10, "deep", "good-exact", *OK, san=("DNS:a.b.example.com",))
    # upper: WWW.Example.COM (DNS names compare case-insensitively)
    many(20, "upper", "good-case", *OK)
    many(10, "upper", "good-case-wildcard", *OK, san=("DNS:*.EXAMPLE.com",))
    # nohost: no --host, so no identity check
    many(40, "nohost", "good-unnamed", *OK, san=("DNS:other.example.org",))
    many(20, "nohost", "expired", "fail", "validity", "fail", "10", na=now - DAY)
    many(20, "nohost", "missing-intermediate", "fail", "chain", "fail", "20", issuer=ih)
    # partial: the CA file holds only intermediate I1 (partial chain), no untrusted
    many(40, "partial", "good-partial", *OK, issuer=i1)
    many(20, "partial", "other-intermediate", "fail", "chain", "fail", "20", issuer=i2)
    many(20, "partial", "bad-signature", "fail", "chain", "fail", "7", issuer=i1, mutate=flip_signature_byte)
    # nopurpose: no --purpose, so KU/EKU are not checked
    many(30, "nopurpose", "good-clientauth-only", *OK, eku=["clientAuth"])
    many(20, "nopurpose", "good", *OK)
    many(20, "nopurpose", "name-mismatch", "fail", "identity", "fail", "62", san=("DNS:other.example.org",))

    write(os.path.join(out, "cases.tsv"), "".join("\t".join(c) + "\n" for c in cases))

    # single-mode sample: chains in the file, DER input, --untrusted. Columns: file, CA file,
    # untrusted ("-"), host, verdict intended, the leaf alone as PEM and the untrusted file for openssl.
    sd = os.path.join(out, "single")
    os.makedirs(sd, exist_ok=True)
    single = []

    def one(case, v, fmt, chain, cf_untrusted, os_untrusted, **kw):
        j = len(single)
        lp, der = leaf("single-src", case, v, "-", v, "-", **kw)
        f = os.path.join(sd, "%02d-%s.%s" % (j, case, fmt))
        body = [der] + ([ih.der] if chain else [])
        write(f, b"".join(body) if fmt == "der" else "".join(pem(d) for d in body))
        single.append((os.path.relpath(f, out), "roots.pem", cf_untrusted, "www.example.com", v,
                       os.path.relpath(lp, out), os_untrusted, "tomcat-ECDSA" if os.path.dirname(lp).endswith("-ec") else "tomcat"))

    for _ in range(6):  # leaf + the hidden intermediate in FILE (PEM); --untrusted lacks it
        one("chain-in-file", "ok", "pem", True, "ints.pem", "ints+ih.pem", issuer=ih)
    for _ in range(4):  # the same as concatenated DER, no --untrusted at all
        one("chain-in-file-der", "ok", "der", True, "-", "ih.pem", issuer=ih)
    for _ in range(4):  # the missing intermediate given with --untrusted
        one("untrusted-option", "ok", "pem", False, "ih.pem", "ih.pem", issuer=ih)
    one("chain-in-file-expired", "fail", "pem", True, "ints.pem", "ints+ih.pem", issuer=ih, na=now - DAY)
    one("chain-in-file-badsig", "fail", "pem", True, "ints.pem", "ints+ih.pem", issuer=ih, mutate=flip_signature_byte)
    one("der-good", "ok", "der", False, "ints.pem", "ints.pem")
    one("der-expired", "fail", "der", False, "ints.pem", "ints.pem", na=now - DAY)
    one("der-badsig", "fail", "der", False, "ints.pem", "ints.pem", mutate=flip_signature_byte)
    one("der-mismatch", "fail", "der", False, "ints.pem", "ints.pem", san=("DNS:x.example.org",))
    write(os.path.join(out, "single.tsv"), "".join("\t".join(s) + "\n" for s in single))
    # the single-src leaves are not part of the batch groups
    cases[:] = [c for c in cases if not c[0].startswith("single-src")]
    write(os.path.join(out, "cases.tsv"), "".join("\t".join(c) + "\n" for c in cases))
    print("oracle corpus: %d leaves in %d groups, %d single-mode files -> %s" % (len(cases), len(rows), len(single), out))


# ---- the benchmark corpus -----------------------------------------------------------------------------


def bench_crl(out, rng, inter, serials, now, entries=450000):
    """The intermediate's CRL for the revocation run: every fourth leaf revoked, and random 16-octet
    serials up to `entries` in all (≈ 15.8 MB of DER, under the 16 MiB a CRL upload may have),
    listed in serial order as CAs do. Writes crl.der and revoked.txt (the revoked leaves' files)."""
    revoked = [sn for i, (_, sn) in enumerate(serials) if i % 4 == 0]
    listed = set(revoked)
    while len(listed) < entries:
        listed.add(rng.getrandbits(127) | 1 << 126)
    when = der_time(now - 30 * DAY)
    body = b"".join(seq(integer(sn), when) for sn in sorted(listed))
    number = tlv(0xA0, seq(seq(tlv(0x06, bytes([0x55, 0x1D, 0x14])), tlv(0x04, integer(1000)))))
    alg = SIG_ALG[inter.key.kind]
    tbs = seq(integer(1), alg, inter.subject, der_time(now - DAY), der_time(now + 30 * DAY), seq(body), number)
    write(os.path.join(out, "crl.der"), seq(tbs, alg, bitstring(inter.key.sign(tbs))))
    write(os.path.join(out, "revoked.txt"), "".join(f + "\n" for i, (f, _) in enumerate(serials) if i % 4 == 0))


def bench(out, now, ncas, nrsa, nec, seed):
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "leaves"), exist_ok=True)
    # CA keys: EC keys are cheap, one each; RSA-2048 keys cost ~150 ms each, so 16 are shared by the
    # RSA CAs (every CA has its own name, serial and subject key identifier).
    rsa_pool = [Key("rsa") for _ in range(16)]
    cas = []
    for i in range(ncas):
        key = rsa_pool[i % 16] if i % 2 == 0 else Key("ec")
        cas.append(make_ca(rng, key, "Bench Validate CA %04d" % (i + 1), None, now - 400 * DAY, now + 20 * YEAR,
                           o="certfleet bench"))
    anchor = cas[ncas * 3 // 4 + 1 if ncas > 4 else 0]
    inter = make_ca(rng, Key("rsa"), "Bench Validate Issuing CA", anchor, now - 400 * DAY, now + 15 * YEAR,
                    o="certfleet bench")
    write(os.path.join(out, "bundle.pem"), "".join(pem(c.der) for c in cas))
    write(os.path.join(out, "int.pem"), pem(inter.der))
    leaf_rsa = [Key("rsa") for _ in range(16)]
    allpem = []
    serials = []
    for kind, count in (("rsa", nrsa), ("ec", nec)):
        for i in range(count):
            key = leaf_rsa[i % 16] if kind == "rsa" else Key("ec")
            host = "%s%05d.bench.example.com" % (kind[0], i + 1)
            exts = [bc_ext(False), ku_ext(TOMCAT_KU[kind]), eku_ext(BOTH_EKU), san_ext(["DNS:" + host])]
            serial = rng.getrandbits(127) | 1 << 126
            serials.append(("%s%05d.pem" % (kind[0], i + 1), serial))
            der, _ = make_cert(serial, inter.key, inter.subject, inter.ski, name(host, "certfleet bench"),
                               key.spki, now - DAY, now + 10 * YEAR, exts)
            p = pem(der)
            allpem.append(p)
            write(os.path.join(out, "leaves", "%s%05d.pem" % (kind[0], i + 1)), p)
    write(os.path.join(out, "all-leaves.pem"), "".join(allpem))
    bench_crl(out, rng, inter, serials, now)
    print("bench corpus: %d CAs, 1 intermediate (issued by %s), %d RSA + %d EC leaves -> %s"
          % (ncas, "CA %04d" % (cas.index(anchor) + 1), nrsa, nec, out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["oracle", "bench"])
    ap.add_argument("out")
    ap.add_argument("--now", type=int, default=None, help="epoch seconds the validity windows are built around")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--scale", type=float, default=1.0, help="oracle: multiply every case count")
    ap.add_argument("--cas", type=int, default=1000)
    ap.add_argument("--rsa", type=int, default=10000)
    ap.add_argument("--ec", type=int, default=10000)
    a = ap.parse_args()
    now = a.now if a.now is not None else int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    if a.mode == "oracle":
        oracle(a.out, now, a.seed, a.scale)
    else:
        bench(a.out, now, a.cas, a.rsa, a.ec, a.seed)


if __name__ == "__main__":
    main()
