#!/usr/bin/env python3
"""Helper of test_api.sh (python3 stdlib + PyYAML): reads docs/api.yaml, builds malformed
multipart bodies and talks raw (malformed) HTTP over TLS to certfleetd.

  api_check.py lint API.yaml              problems of the description, one a line (exit 1 if any)
  api_check.py routes API.yaml            "METHOD PATH" of every operation, sorted
  api_check.py ops API.yaml               METHOD PATH public change role role_other, tab-separated
  api_check.py params API.yaml METHOD PATH  its query parameters: NAME strict|free required|optional
  api_check.py multipart DIR NODE STORE PEM PEM2   bad multipart bodies: DIR/NAME.body + DIR/NAME.ct
  api_check.py raw HOST PORT LOGIN.json   malformed HTTP over TLS: "CASE<TAB>RESULT" lines, RESULT
                                          is the status code, "closed" or "timeout" (LOGIN.json:
                                          a valid login body, wrapped in broken framing)
  api_check.py slowloris HOST PORT        a partial request held open while a good one is served
  api_check.py batch HOST PORT OUTDIR COOKIE CSRF < lines
                                          requests in parallel, each line NAME METHOD TARGET CTYPE
                                          BODYFILE EXPECT (tab-separated; CTYPE/BODYFILE "-" for none);
                                          prints NAME STATUS ERRCODE NITEMS EXPECT BODY_OUT, where
                                          ERRCODE is error.code of a JSON error ("-" otherwise) and
                                          NITEMS the length of "items" ("-" when there is none)
  api_check.py errors API.yaml FILES...   responses that are JSON errors whose code is not one of
                                          api.yaml's or whose message is not one line
"""
import concurrent.futures
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(doc, node):
    """Follows a local $ref (one or more levels)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("non-local $ref " + ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        if seen > 20:
            raise ValueError("$ref loop at " + ref)
    return node


def operations(doc):
    """(METHOD, path, operation, path item) for every operation, in file order."""
    for path, item in (doc.get("paths") or {}).items():
        for m in METHODS:
            if m in item:
                yield m.upper(), path, item[m], item


def is_public(doc, op):
    sec = op.get("security", doc.get("security", []))
    return sec == [] or sec == [{}]


def params_of(doc, op, item):
    out = {}
    for p in list(item.get("parameters", [])) + list(op.get("parameters", [])):
        p = resolve(doc, p)
        out[(p["name"], p["in"])] = p
    return list(out.values())


def all_refs(node, acc):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                acc.append(v)
            else:
                all_refs(v, acc)
    elif isinstance(node, list):
        for v in node:
            all_refs(v, acc)
    return acc


def lint(doc):
    problems = []
    if doc.get("openapi") != "3.0.3":
        problems.append("openapi is not 3.0.3")
    for key in ("info", "paths", "components"):
        if key not in doc:
            problems.append("no " + key)
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    s = schemes.get("session") or {}
    if (s.get("type"), s.get("in"), s.get("name")) != ("apiKey", "cookie", "certfleet_session"):
        problems.append("securitySchemes.session is not the certfleet_session cookie")
    c = schemes.get("csrf") or {}
    if (c.get("type"), c.get("in"), c.get("name")) != ("apiKey", "header", "X-CSRF-Token"):
        problems.append("securitySchemes.csrf is not the X-CSRF-Token header")
    for ref in all_refs(doc, []):
        try:
            resolve(doc, {"$ref": ref})
        except (KeyError, TypeError, ValueError) as e:
            problems.append("unresolved $ref %s (%s)" % (ref, e))
    ids = set()
    for method, path, op, item in operations(doc):
        where = "%s %s" % (method, path)
        oid = op.get("operationId")
        if not oid:
            problems.append(where + ": no operationId")
        elif oid in ids:
            problems.append(where + ": duplicate operationId " + oid)
        ids.add(oid)
        if not isinstance(op.get("x-change"), bool):
            problems.append(where + ": x-change is not true/false")
        if op.get("x-role") not in ("admin", "any"):
            problems.append(where + ": x-role is not admin or any")
        if not op.get("responses"):
            problems.append(where + ": no responses")
        for code in (op.get("responses") or {}):
            if not (isinstance(code, str) and len(code) == 3 and code.isdigit()):
                problems.append(where + ": response code %r is not a quoted status" % (code,))
        public = is_public(doc, op)
        if op.get("x-change"):
            if method not in ("POST", "PUT", "DELETE"):
                problems.append(where + ": a change with a safe method")
            sec = op.get("security", doc.get("security", []))
            if not any("session" in r and "csrf" in r for r in sec):
                problems.append(where + ": a change without session+csrf security")
            for code in ("401", "403"):
                if code not in (op.get("responses") or {}):
                    problems.append(where + ": a change without a %s response" % code)
        elif method in ("PUT", "DELETE") or (method == "POST" and not public):
            problems.append(where + ": %s without x-change: true" % method)
        if not public and "401" not in (op.get("responses") or {}):
            problems.append(where + ": needs a session but has no 401 response")
        if op.get("x-role") == "admin" and "403" not in (op.get("responses") or {}):
            problems.append(where + ": admin only but has no 403 response")
        declared = {p["name"] for p in params_of(doc, op, item) if p.get("in") == "path"}
        used = {seg[1:-1] for seg in path.split("/") if seg.startswith("{") and seg.endswith("}")}
        if declared != used:
            problems.append(where + ": path parameters %s, declared %s" % (sorted(used), sorted(declared)))
        for p in params_of(doc, op, item):
            if p.get("in") == "path" and not p.get("required"):
                problems.append(where + ": path parameter %s not required" % p["name"])
        rb = op.get("requestBody")
        if rb is not None:
            for ctype, media in (resolve(doc, rb).get("content") or {}).items():
                if "schema" not in media:
                    problems.append(where + ": %s body without a schema" % ctype)
    return problems


def kind(doc, p):
    """strict: a value outside the parameter's schema (a number, an enum, a pattern: a node that
    must exist) is refused with a 4xx; filter (x-filter): a value may also match nothing, an
    empty list; free: anything but a 5xx."""
    if p.get("x-filter"):
        return "filter"
    sch = resolve(doc, p.get("schema") or {})
    if sch.get("type") in ("integer", "number", "boolean") or "enum" in sch or "pattern" in sch:
        return "strict"
    return "free"


# ---- multipart bodies ---------------------------------------------------------------------------

def part(boundary, name, data, filename=None, ctype=None):
    disp = 'form-data; name="%s"' % name
    if filename is not None:
        disp += '; filename="%s"' % filename
    head = "--%s\r\nContent-Disposition: %s\r\n" % (boundary, disp)
    if ctype:
        head += "Content-Type: %s\r\n" % ctype
    return head.encode() + b"\r\n" + data + b"\r\n"


def multipart_cases(node, store, pem, pem2):
    b = "certfleetapitestboundary7d3a"
    ct = "multipart/form-data; boundary=" + b
    end = ("--%s--\r\n" % b).encode()
    fields = part(b, "node", node.encode()) + part(b, "store", store.encode())
    fpart = part(b, "file", pem, "ca.pem", "application/x-pem-file")
    fpart2 = part(b, "file", pem2, "ca2.pem", "application/x-pem-file")
    good = fields + fpart + end
    return {
        "no_boundary": ("multipart/form-data", good),
        "wrong_boundary": ("multipart/form-data; boundary=someotherboundary", good),
        "empty_boundary": ("multipart/form-data; boundary=", good),
        "boundary_too_long": ("multipart/form-data; boundary=" + "x" * 200,
                              good.replace(b.encode(), b"x" * 200)),
        "truncated_part": (ct, fields + fpart[: len(fpart) // 2]),
        "no_closing_boundary": (ct, fields + fpart),
        "missing_file": (ct, fields + end),
        "two_files": (ct, fields + fpart + fpart2 + end),
        "unknown_field": (ct, fields + fpart + part(b, "evil", b"1") + end),
        "no_disposition": (ct, fields + ("--%s\r\nContent-Type: text/plain\r\n\r\n" % b).encode() + pem + b"\r\n" + end),
        "purpose_and_store": (ct, fields + part(b, "purpose", b"tomcat") + fpart + end),
        "empty_body": (ct, b""),
        "only_closing": (ct, end),
        "nul_in_name": (ct, fields.replace(b'name="node"', b'name="no\x00de"') + fpart + end),
    }


# ---- raw HTTP over TLS ----------------------------------------------------------------------------

def tls_connect(host, port, timeout):
    raw = socket.create_connection((host, port), timeout=timeout)
    return client_context().wrap_socket(raw, server_hostname=None)


def exchange(host, port, data, timeout=5.0, tls=True):
    """Sends data, returns the status code of the answer, 'closed' when the daemon closed the
    connection without one, 'timeout' when nothing came within timeout seconds."""
    try:
        s = tls_connect(host, port, timeout) if tls else socket.create_connection((host, port), timeout=timeout)
    except (ssl.SSLError, OSError):
        return "closed"
    got = b""
    try:
        try:
            s.sendall(data)
        except (ssl.SSLError, OSError):
            pass  # the daemon may close while we still send; read what it answered
        deadline = time.monotonic() + timeout
        while b"\r\n" not in got and time.monotonic() < deadline:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            got += chunk
    finally:
        try:
            s.close()
        except OSError:
            pass
    if not tls and got[:1] == b"\x15":
        return "closed"  # a TLS alert, then the end
    if got.startswith(b"HTTP/"):
        parts = got.split(b" ", 2)
        return parts[1].decode("ascii", "replace") if len(parts) > 1 else "garbled"
    if got == b"":
        return "closed" if time.monotonic() < deadline else "timeout"
    return "garbled:" + got[:40].decode("ascii", "replace")


def raw_cases(login):
    """Malformed requests. login is a valid login body: a daemon that wrongly accepts the framing
    around it answers 200 (and no failed login is counted against the address)."""
    h = "Host: 127.0.0.1\r\n"
    return [
        ("garbage_line", b"HELLO THERE\r\n\r\n"),
        ("binary_junk", bytes(range(256)) + b"\r\n\r\n"),
        ("http09", b"GET /app.css\r\n\r\n"),
        ("missing_host", b"GET /app.css HTTP/1.1\r\nConnection: close\r\n\r\n"),
        ("bad_version", ("GET /app.css HTTP/1.x\r\n" + h + "\r\n").encode()),
        ("no_version_slash", ("GET /app.css HTTPX\r\n" + h + "\r\n").encode()),
        ("header_without_colon", ("GET /app.css HTTP/1.1\r\n" + h + "NoColonHere\r\n\r\n").encode()),
        ("nul_in_request_line", ("GET /app.css\x00 HTTP/1.1\r\n" + h + "\r\n").encode()),
        # (a NUL inside a header value is cut off there by libevent's parser before certfleetd
        # sees the header; no header certfleetd reads can be changed that way, so it is not probed)
        ("space_before_colon", ("GET /app.css HTTP/1.1\r\n" + h + "Host : evil\r\n\r\n").encode()),
        ("unknown_method", ("BREW /app.css HTTP/1.1\r\n" + h + "\r\n").encode()),
        ("lowercase_method", ("get /app.css HTTP/1.1\r\n" + h + "\r\n").encode()),
        ("absolute_uri_other_scheme", ("GET file:///etc/passwd HTTP/1.1\r\n" + h + "\r\n").encode()),
        ("request_line_100k", ("GET /" + "a" * 100000 + " HTTP/1.1\r\n" + h + "\r\n").encode()),
        ("headers_80k_many", ("GET /app.css HTTP/1.1\r\n" + h + "".join("X-H%d: %s\r\n" % (i, "v" * 30) for i in range(2000)) + "\r\n").encode()),
        ("chunk_size_not_hex", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                "Transfer-Encoding: chunked\r\n\r\nZZZZ\r\n").encode() + login + b"\r\n0\r\n\r\n"),
        ("chunk_size_huge", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                             "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n").encode() + login + b"\r\n0\r\n\r\n"),
        ("chunk_size_negative", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n-5\r\n").encode() + login + b"\r\n0\r\n\r\n"),
        ("chunk_overrun", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n3\r\n").encode() + login + b"\r\n0\r\n\r\n"),
        ("transfer_encoding_unknown", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                       "Transfer-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(login)).encode() + login),
        ("content_length_negative", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                     "Content-Length: -1\r\n\r\n").encode() + login),
        ("content_length_not_number", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                       "Content-Length: abc\r\n\r\n").encode() + login),
        ("content_length_huge", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                 "Content-Length: 99999999999999999999999\r\n\r\n").encode() + login),
        ("content_length_twice_differing", ("POST /api/v1/login HTTP/1.1\r\n" + h + "Content-Type: application/json\r\n"
                                            "Content-Length: %d\r\nContent-Length: 3\r\n\r\n" % len(login)).encode() + login),
    ]


# Unknown methods may be refused with 501 Not Implemented (RFC 9110 §9.1) as well as a 4xx.
MAY_501 = ("unknown_method", "lowercase_method")
# A body longer than the upload limit is read and dropped before the 413 (so a browser sending
# a too-large file sees the answer); a Content-Length no client could send is drained until the
# connection's 30 s idle timeout instead, so no answer within the probe's 3 s is right too.
MAY_TIMEOUT = ("content_length_huge",)


def raw(host, port, login):
    cases = [(name, data, True) for name, data in raw_cases(login)]
    # not TLS at all: plain HTTP; a complete TLS record holding a ClientHello that makes no sense
    cases.append(("plain_http_on_tls_port", b"GET /app.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", False))
    hello = b"\x01\x00\x00\x04\x03\x03\xff\xff"
    cases.append(("bad_client_hello", b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello, False))
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda c: exchange(host, port, c[1], timeout=3.0, tls=c[2]), cases))
    for (name, _, _), res in zip(cases, results):
        if name in MAY_501 and res == "501":
            res = "501-ok"
        if name in MAY_TIMEOUT and res == "timeout":
            res = "timeout-ok"
        print("%s\t%s" % (name, res), flush=True)
    # a TLS connection closed without a request
    try:
        s = tls_connect(host, port, 5)
        s.close()
        print("tls_then_close\tclosed")
    except (ssl.SSLError, OSError) as e:
        print("tls_then_close\terror %s" % e)


def slowloris(host, port):
    """Opens connections that send only part of a request, then checks that a complete request
    on another connection is answered within 5 s while they are open. Prints 'served STATUS' or
    'blocked'."""
    slow = []
    for _ in range(8):
        s = tls_connect(host, port, 5)
        s.sendall(b"GET /api/v1/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        slow.append(s)
    result = []

    def good():
        result.append(exchange(host, port, b"GET /app.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))

    t = threading.Thread(target=good)
    t.start()
    t.join(6)
    for s in slow:
        try:
            s.sendall(b"a")  # still trickling
        except (ssl.SSLError, OSError):
            pass
    print("served %s" % result[0] if result else "blocked")
    for s in slow:
        s.close()


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


CTX = None


def one_request(host, port, cookie, csrf, method, target, ctype, bodyfile):
    body = None
    if bodyfile != "-":
        with open(bodyfile, "rb") as f:
            body = f.read()
    conn = http.client.HTTPSConnection(host, port, context=CTX, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Cookie", "certfleet_session=" + cookie)
        conn.putheader("X-CSRF-Token", csrf)
        if ctype != "-":
            conn.putheader("Content-Type", ctype)
        if body is not None or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body or b"")))
        conn.endheaders(body)
        resp = conn.getresponse()
        return str(resp.status), resp.read()
    except (OSError, http.client.HTTPException, ValueError) as e:
        return "error:" + type(e).__name__, b""
    finally:
        conn.close()


def batch(host, port, outdir, cookie, csrf, lines):
    global CTX
    CTX = client_context()
    reqs = [line.rstrip("\n").split("\t") for line in lines if line.strip()]

    def run(i_r):
        i, (name, method, target, ctype, bodyfile, expect) = i_r
        t0 = time.monotonic()
        status, data = one_request(host, port, cookie, csrf, method, target, ctype, bodyfile)
        if os.environ.get("API_CHECK_TIMES"):
            print("%.3f %s %s" % (time.monotonic() - t0, method, target[:100]), file=sys.stderr)
        out = os.path.join(outdir, "batch-%d" % i)
        with open(out, "wb") as f:
            f.write(data)
        code, nitems = "-", "-"
        try:
            d = json.loads(data)
            if isinstance(d, dict) and isinstance(d.get("error"), dict):
                code = str(d["error"].get("code"))
            if isinstance(d, dict) and isinstance(d.get("items"), list):
                nitems = str(len(d["items"]))
        except ValueError:
            pass
        return "\t".join([name, status, code, nitems, expect, out])

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        for line in ex.map(run, enumerate(reqs)):
            print(line)


def bad_errors(doc, files):
    """JSON error answers whose code is not in api.yaml's Error schema, or whose message is not
    one line: one line per kind of problem, with how often and one file as an example."""
    codes = set(doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"])
    seen = {}
    for path in files:
        try:
            with open(path, "rb") as f:
                d = json.loads(f.read())
        except (ValueError, OSError):
            continue
        if not isinstance(d, dict) or not isinstance(d.get("error"), dict):
            continue
        e = d["error"]
        if e.get("code") not in codes:
            problem = "error code %r" % (e.get("code"),)
        elif not isinstance(e.get("message"), str) or e["message"] == "" or any(c in e["message"] for c in "\r\n"):
            problem = "error message not one line: %r" % (e.get("message"),)
        else:
            continue
        n, example = seen.get(problem, (0, os.path.basename(path)))
        seen[problem] = (n + 1, example)
    for problem, (n, example) in sorted(seen.items()):
        print("%s (%d answers, e.g. %s)" % (problem, n, example))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "lint":
        problems = lint(load(argv[2]))
        for p in problems:
            print(p)
        return 1 if problems else 0
    if cmd == "routes":
        for line in sorted("%s %s" % (m, p) for m, p, _, _ in operations(load(argv[2]))):
            print(line)
        return 0
    if cmd == "ops":
        doc = load(argv[2])
        for m, p, op, _ in operations(doc):
            print("\t".join([m, p, "1" if is_public(doc, op) else "0", "1" if op.get("x-change") else "0",
                             op.get("x-role", "?"), op.get("x-role-other-account", op.get("x-role", "?"))]))
        return 0
    if cmd == "params":
        doc = load(argv[2])
        for m, p, op, item in operations(doc):
            if m == argv[3] and p == argv[4]:
                for prm in params_of(doc, op, item):
                    if prm["in"] == "query":
                        print("%s %s %s" % (prm["name"], kind(doc, prm),
                                            "required" if prm.get("required") else "optional"))
        return 0
    if cmd == "multipart":
        out, node, store = argv[2], argv[3], argv[4]
        with open(argv[5], "rb") as f:
            pem = f.read()
        with open(argv[6], "rb") as f:
            pem2 = f.read()
        for name, (ct, body) in multipart_cases(node, store, pem, pem2).items():
            with open("%s/%s.body" % (out, name), "wb") as f:
                f.write(body)
            with open("%s/%s.ct" % (out, name), "w") as f:
                f.write(ct)
            print(name)
        return 0
    if cmd == "raw":
        with open(argv[4], "rb") as f:
            raw(argv[2], int(argv[3]), f.read().strip())
        return 0
    if cmd == "batch":
        batch(argv[2], int(argv[3]), argv[4], argv[5], argv[6], sys.stdin.readlines())
        return 0
    if cmd == "errors":
        bad_errors(load(argv[2]), argv[3:])
        return 0
    if cmd == "slowloris":
        slowloris(argv[2], int(argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
