"""The checks after a round of test_store_concurrency.sh.

concurrency_check.py ROUND_DIR ROUND ROUNDS LAST_AUDIT_ID BASE COOKIE_JAR

ROUND_DIR holds each racer's NAME.rc, NAME.out and NAME.err and certs.json (`cert list --json`);
the rest is read from certfleetd's API (BASE, the session cookie in COOKIE_JAR) on one connection.
Prints "LAST_AUDIT_ID OK RETRY REFUSED BAD DUPLICATES SAID VERDICT": the counts of the racers'
outcomes, SAID the racers that said "try again" (comma-separated, "-" for none), VERDICT "ok" or
what is wrong.
"""
import glob
import http.client
import json
import os
import re
import ssl
import sys
import urllib.parse

R, r, rounds, last_audit, base, jar = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:7]
# the CNs of bundle b (gen_certs numbers them from 1, three to a bundle)
bundle = lambda b: ["Bench CA %06d" % n for n in range(3 * b - 2, 3 * b + 1)]
cli_cns, api_cns = bundle(r), bundle(rounds + r)
pub, sub = "ucm1.example.com", "ucm2.example.com"
problems = []

# What each racer changes (its audit row), and what its pair allows: "one" (at most one of the
# two succeeds, the other is refused), "both" (neither is refused; either may say "try again").
racers = {}
for names, action, obj, kind in (
    (("trust1", "trust2"), "trust add", "tomcat-trust on " + pub, "both"),
    (("node1", "node2"), "node add", "n%d.example.com" % r, "one"),
    (("cluster1", "cluster2"), "cluster add", "k%d" % r, "one"),
    (("set1", "set2"), "cluster set", "cl1 presence-domains", "both"),
    (("csr1", "csr2"), "csr generate", "tomcat-ECDSA on " + pub, "both"),
    (("user1", "user2"), "user add", "u%d" % r, "one"),
    (("apiset", "cliset"), "cluster set", "cl1 email-domains", "both"),
    (("apiuser", "cliuser"), "user add", "w%d" % r, "one"),
    (("apitrust", "clitrust"), "trust add", "CallManager-trust on " + pub, "both"),
    (("apicsr", "clicsr"), "csr generate", "CallManager-ECDSA on " + pub, "both"),
):
    for n in names:
        racers[n] = (action, obj, kind)
racers["first1"] = ("node add", "a%d.example.com" % r, "both")
racers["first2"] = ("node add", "b%d.example.com" % r, "both")


def read(name, ext):
    with open(os.path.join(R, name + ext)) as f:
        return f.read()


def outcome(n):
    rc, err = read(n, ".rc").strip(), read(n, ".err")
    if rc == "0":
        return "ok"
    if rc == "5":
        return "retry" if "try again" in err else "refused"
    return "bad"


ran = {os.path.basename(f)[:-3]: None for f in glob.glob(os.path.join(R, "*.rc"))}
for n in ran:
    ran[n] = outcome(n)
ok = lambda n: ran.get(n) == "ok"
count = lambda o: sum(1 for v in ran.values() if v == o)
for n, o in sorted(ran.items()):
    if o == "bad" or (o == "refused" and racers[n][2] == "both"):
        problems.append("%s %s (exit %s): %s" % (n, o, read(n, ".rc").strip(), read(n, ".err").strip()[:300]))
for a, b in (("node1", "node2"), ("cluster1", "cluster2"), ("user1", "user2"), ("apiuser", "cliuser")):
    if ok(a) and ok(b):
        problems.append("both %s and %s succeeded" % (a, b))

u = urllib.parse.urlsplit(base)
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ssl._create_unverified_context(), timeout=60)
cookie = next(line.split("\t")[6].strip() for line in open(jar) if "\tcertfleet_session\t" in line)


def get(path):
    conn.request("GET", u.path + path, headers={"Cookie": "certfleet_session=" + cookie})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        problems.append("GET %s: %d %s" % (path, resp.status, body[:200]))
        return {}
    return json.loads(body)


# One row per certificate in a store; a bundle whole on the publisher and its subscriber, or
# nowhere (when no one's trust add succeeded).
certs = json.load(open(os.path.join(R, "certs.json")))["items"]
seen, dups = {}, 0
for c in certs:
    if "store" in c:
        k = (c["node"], c["store"], c["sha256"])
        seen[k] = seen.get(k, 0) + 1
for k, n in sorted(seen.items()):
    if n > 1:
        dups += 1
        problems.append("%s in %s on %s %d times" % (k[2][:16], k[1], k[0], n))
for cns, store, landed in (
    (cli_cns, "tomcat-trust", ok("trust1") or ok("trust2")),
    (api_cns, "CallManager-trust", ok("apitrust") or ok("clitrust")),
):
    for node in (pub, sub):
        have = sum(1 for c in certs if c.get("store") == store and c["node"] == node and c["cn"] in cns)
        if have != (len(cns) if landed else 0):
            problems.append("the round's bundle in %s on %s: %d of %d" % (store, node, have, len(cns)))

# At most one winner, and then its object is there once.
nodes = get("/nodes").get("items", [])
fqdns = [n["fqdn"] for n in nodes]
clusters = [c["name"] for c in get("/clusters").get("items", [])]
users = [x["name"] for x in get("/users").get("items", [])]
for what, have, pair in (
    ("node n%d.example.com" % r, fqdns.count("n%d.example.com" % r), ("node1", "node2")),
    ("cluster k%d" % r, clusters.count("k%d" % r), ("cluster1", "cluster2")),
    ("user u%d" % r, users.count("u%d" % r), ("user1", "user2")),
    ("user w%d" % r, users.count("w%d" % r), ("apiuser", "cliuser")),
):
    if pair[0] not in ran:
        continue
    if have != (1 if ok(pair[0]) or ok(pair[1]) else 0):
        problems.append("%s: %d rows (%s %s, %s %s)" % (what, have, pair[0], ran[pair[0]], pair[1], ran[pair[1]]))
# The first two nodes of a new cluster: one publisher.
if r > 1:
    k = [n for n in nodes if n["cluster"] == "k%d" % (r - 1)]
    pubs = sum(1 for n in k if n["publisher"])
    if len(k) != ok("first1") + ok("first2") or (k and pubs != 1):
        problems.append("cluster k%d: %d nodes, %d publishers" % (r - 1, len(k), pubs))

# A setting is one writer's value; a pending CSR one generator's, whole.
settings = get("/clusters/cl1").get("settings", {})
for key, names, values in (
    ("presence-domains", ("set1", "set2"), ("p%d-one.example.com", "p%d-two.example.com")),
    ("email-domains", ("apiset", "cliset"), ("e%d-api.example.com", "e%d-cli.example.com")),
):
    value = settings.get(key)
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, list):
        value = ",".join(value)
    if (ok(names[0]) or ok(names[1])) and value not in [v % r for v in values]:
        problems.append("%s is %r" % (key, value))
pems = lambda text: re.findall(r"-----BEGIN CERTIFICATE REQUEST-----[^-]+-----END CERTIFICATE REQUEST-----", text)
for purpose, names in (("tomcat-ECDSA", ("csr1", "csr2")), ("CallManager-ECDSA", ("apicsr", "clicsr"))):
    made = [p for n in names if ok(n) for p in pems(read(n, ".out").replace("\\n", "\n"))]
    if made:
        pending = pems(get("/csr?node=%s&purpose=%s" % (pub, purpose)).get("pem", ""))
        if len(pending) != 1 or pending[0] not in made:
            problems.append("the pending %s CSR is none of the %d made in the round" % (purpose, len(made)))

# The round's audit rows: one "ok" row per change that succeeded (its action and object), and at
# most one row for each that did not (refusals are audited; a store too busy to take a change may
# not take its refusal's row either).
rows = [a for a in get("/audit?limit=200").get("items", []) if a["id"] > last_audit]
want_ok = sorted(racers[n][0] + " " + racers[n][1] for n in ran if ok(n))
got_ok = sorted(a["action"] + " " + a["object"] for a in rows if a["result"] == "ok")
if got_ok != want_ok:
    problems.append("audit rows of changes made: %s; changes that succeeded: %s" % (got_ok, want_ok))
failed = [racers[n][0] + " " + racers[n][1] for n in ran if not ok(n)]
refused = [a["action"] + " " + a["object"] for a in rows if a["result"] != "ok"]
for x in sorted(set(refused)):
    if refused.count(x) > failed.count(x):
        problems.append("%d refusal rows for %s, %d refused" % (refused.count(x), x, failed.count(x)))

said = ",".join(sorted(n for n in ran if ran[n] == "retry")) or "-"
print(max([a["id"] for a in rows] + [last_audit]), count("ok"), count("retry"), count("refused"), count("bad"), dups,
      said, "; ".join(problems) or "ok")
