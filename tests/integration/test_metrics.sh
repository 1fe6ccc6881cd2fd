#!/usr/bin/env bash
# certfleetd's side of the expiry monitor (SPEC §5):
#  1. /metrics in the Prometheus text exposition format 0.0.4 on a loopback address (no token):
#     parsed by Debian's python3-prometheus-client AND checked line by line against the grammar
#     here (HELP/TYPE once per family before its samples, label escaping that round-trips CNs with
#     a double quote, a backslash and a line feed — certificates made with openssl and added with
#     `certfleet trust add`), values equal to not_after/not_before of `certfleet --json cert list`,
#     and the monitor's health. x509-certificate-exporter's families beside certfleet's: for a
#     known certificate exactly what `openssl x509 -noout -subject -issuer -serial -dates` says
#     (subject and issuer CN, the serial in decimal, the dates), for all of them the CLI's facts.
#  1b. the cache (--metrics-cache): within the cache time the same bytes though a certificate came
#     in between, after it the certificate; a bad value stops the start with one line.
#  2. the token: a bad --metrics-token-file stops the start; with one the token is needed on a
#     loopback address too, a cached answer included; on a non-loopback listen address
#     (the machine's own, from `hostname -I`) /metrics is 403 without --metrics-token-file and
#     needs the bearer token with it. Without such an address only the loopback decision's unit
#     test (unit_loopback) covers it; the test says which case ran.
#  3. the schedule: certfleetd started with CERTFLEET_NOW inside the start window of its
#     certificates (e-mail off) logs one notification line per certificate at start-up, and
#     `certfleet monitor show` has the pass (last_run, nothing pending); the next pass is due in
#     24 hours, or in one hour once a certificate is within a day of expiry or expired. A pass on request
#     (POST /api/v1/monitor/run) sends nothing twice. x509_cert_expired at the daemon's clock:
#     1 for what expired by then.
#  4. the settings over the API: GET /api/v1/monitor is `monitor show`; PUT changes them (audited,
#     the password never echoed or logged) and a bad address is refused naming the field, with
#     nothing changed.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

# Debian's python3 with python3-prometheus-client (a version manager's python3 may lack it)
PYP=""
for c in /usr/bin/python3 python3; do
	if "$c" -c 'import prometheus_client.parser' 2>/dev/null; then PYP=$c && break; fi
done
if [ -z "$PYP" ]; then
	echo "FAIL: $(basename "$0"): python3-prometheus-client is missing (Debian: apt-get install python3-prometheus-client)" >&2
	exit 1
fi

PUB=ucm1.example.com
PW_ADMIN='admin password of the metrics test'
PW_SMTP='Smtp-secret-4711-metrics-test'
new_store
cf node add "$PUB" --cluster cl1 --product ucm --publisher >/dev/null
cf node add ucm2.example.com --cluster cl1 --product ucm >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf monitor config --email off >/dev/null

# CNs that need escaping in a label value: a double quote and backslashes; a line feed.
CN_QUOTE='certfleet "Quoted" CA \ back\slash'
CN_LF=$'two\nlines CA'
ca() { # ca NAME SUBJ: a self-signed CA certificate NAME.pem (openssl -subj syntax: \ escapes)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" -days 400 \
		-subj "$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
ca quote '/O=certfleet test/CN=certfleet "Quoted" CA \\ back\\slash'
ca lf $'/O=certfleet test/CN=two\nlines CA'
cf trust add --node "$PUB" --store tomcat-trust quote.pem >/dev/null
cf trust add --node ucm2.example.com --store CallManager-trust lf.pem >/dev/null
# A known certificate for x509-certificate-exporter's labels: an intermediate issued by the quoted
# CA (its issuer_CN needs escaping) with a serial whose top bit is set (DER adds a zero byte).
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >sub.ext
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout known.key \
	-subj '/O=certfleet test/CN=known intermediate' 2>/dev/null |
	openssl x509 -req -CA quote.pem -CAkey quote.key -set_serial 0xf1e2d3c4b5a697887766554433221100ffeedd -days 90 \
		-extfile sub.ext -out known.pem 2>/dev/null
cf trust add --node "$PUB" --store tomcat-trust known.pem >/dev/null
# (tomcat-trust is the cluster's: the CA goes into every node's store)
NQUOTE=$(cf --json cert list | json 'sum(1 for i in d["items"] if "Quoted" in i["cn"])')
CNS=$(cf --json cert list | json '"|".join(sorted(set(repr(i["cn"]) for i in d["items"] if "CA" in i["cn"])))')
assert_eq "the CNs with a quote, backslashes and a line feed are stored as made" \
	"$(printf '%s|%s' "$("$PYP" -c 'import sys; print(repr(sys.argv[1]))' "$CN_QUOTE")" "$("$PYP" -c 'import sys; print(repr(sys.argv[1]))' "$CN_LF")" |
		tr '|' '\n' | sort | paste -sd'|')" "$CNS"

# ---- the checker: grammar line by line, then python3-prometheus-client, then the CLI's values ------
cat >check.py <<'EOF'
"""check.py METRICS CERTLIST.json [NOW]: the text exposition format 0.0.4, line by line and with
prometheus_client's parser; the certificate families (certfleet's and x509-certificate-exporter's)
against `certfleet --json cert list`, x509_cert_expired at NOW (default: this machine's time).
Prints one line per problem; the last line is "families N samples M"."""
import datetime
import json
import re
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
certs = json.load(open(sys.argv[2], encoding="utf-8"))["items"]
now = int(sys.argv[3]) if len(sys.argv) > 3 else time.time()
problems = []
bad = problems.append

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
FLOAT = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN)"
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (%s)(?: -?[0-9]+)?$" % (NAME, LABEL, VALUE, LABEL, VALUE, FLOAT))
PAIR = re.compile(r"(%s)=(%s)" % (LABEL, VALUE))
HELP = re.compile(r"^# HELP (%s) (.*)$" % NAME)
TYPE = re.compile(r"^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$" % NAME)


def unescape(v):
    out, i = [], 1
    while i < len(v) - 1:
        if v[i] == "\\":
            out.append({"\\": "\\", '"': '"', "n": "\n"}[v[i + 1]])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


if not text.endswith("\n"):
    bad("the text does not end with a line feed")
helps, types, done, series = {}, {}, set(), set()
current = None  # the family whose samples come now
samples = {}  # (name, frozenset(labels)) -> value
order = []
for n, line in enumerate(text.split("\n")[:-1], 1):
    if line == "":
        bad("line %d: empty" % n)
        continue
    if line.startswith("#"):
        m = HELP.match(line) or TYPE.match(line)
        if not m:
            bad("line %d: a comment that is neither HELP nor TYPE: %r" % (n, line[:80]))
            continue
        fam = m.group(1)
        seen = helps if line.startswith("# HELP") else types
        if fam in seen:
            bad("line %d: second %s for %s" % (n, line.split()[1], fam))
        if fam in done or (current is not None and current != fam and fam in (helps.keys() | types.keys())):
            bad("line %d: %s after samples of %s" % (n, line.split()[1], fam))
        seen[fam] = m.group(2)
        if current != fam:
            if current is not None:
                done.add(current)
            current = fam
        continue
    m = SAMPLE.match(line)
    if not m:
        bad("line %d: not a sample line: %r" % (n, line[:120]))
        continue
    name = m.group(1)
    fam = name
    if fam not in types and name.endswith("_total") and name[:-6] in types:
        fam = name[:-6]
    if fam != current or fam in done:
        bad("line %d: sample of %s outside its family's block (HELP/TYPE first, samples together)" % (n, name))
    if fam not in helps or fam not in types:
        bad("line %d: %s without HELP and TYPE before it" % (n, name))
    labels = {k: unescape(v) for k, v in PAIR.findall(m.group(2) or "")}
    if len(labels) != len(PAIR.findall(m.group(2) or "")):
        bad("line %d: a label twice" % n)
    key = (name, frozenset(labels.items()))
    if key in samples:
        bad("line %d: the same series twice: %s %s" % (n, name, sorted(labels.items())))
    samples[key] = float(m.group(3))
    order.append(key)

# the same text through python3-prometheus-client's parser
parsed = {}
fams = list(text_string_to_metric_families(text))
for f in fams:
    for s in f.samples:
        parsed[(s.name, frozenset(s.labels.items()))] = s.value
if parsed != samples:
    bad("prometheus_client reads other samples than the line check: %d vs %d, e.g. %s" % (
        len(parsed), len(samples), sorted(set(parsed.items()) ^ set(samples.items()), key=str)[:2]))
ftypes = {f.name: f.type for f in fams}
want = {"certfleet_certificate_not_after_seconds": "gauge", "certfleet_certificate_not_before_seconds": "gauge",
        "certfleet_monitor_last_run_timestamp_seconds": "gauge", "certfleet_monitor_notifications_pending": "gauge",
        "certfleet_monitor_smtp_failures": "counter", "x509_cert_not_after": "gauge",
        "x509_cert_not_before": "gauge", "x509_cert_expired": "gauge", "x509_read_errors": "gauge"}
for name, typ in want.items():
    if ftypes.get(name) != typ:
        bad("family %s: type %s, expected %s" % (name, ftypes.get(name), typ))

# the certificate families against the command line
def epoch(t):
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()

for fam, field in (("certfleet_certificate_not_after_seconds", "not_after"),
                   ("certfleet_certificate_not_before_seconds", "not_before")):
    expect = {}
    for c in certs:
        kind = "purpose" if "purpose" in c else "store"
        labels = frozenset({"node": c["node"], kind: c[kind], "cn": c["cn"], "serial": c["serial"]}.items())
        expect[(fam, labels)] = epoch(c[field])
    got = {k: v for k, v in samples.items() if k[0] == fam}
    if got != expect:
        missing = sorted(set(expect) - set(got), key=str)[:2]
        extra = sorted(set(got) - set(expect), key=str)[:2]
        wrong = [(k, got[k], expect[k]) for k in got if k in expect and got[k] != expect[k]][:2]
        bad("%s: %d samples for %d certificates; missing %s; extra %s; wrong %s" % (fam, len(got), len(certs), missing, extra, wrong))

# x509-certificate-exporter's families: subject_CN and issuer_CN (only when the name has a CN),
# serial_number in decimal, filepath NODE/PLACE, and certfleet's node and place. The issuer's CN
# is taken from the listed certificate whose subject is this one's issuer (every certificate of
# these stores has its issuer listed).
by_subject = {c["subject"]: c for c in certs}
unmatched = [c["cn"] for c in certs if c["issuer"] not in by_subject]
if unmatched:
    bad("issuers not in the list (the check needs them): %s" % unmatched[:3])
for fam, value in (("x509_cert_not_after", lambda c: epoch(c["not_after"])),
                   ("x509_cert_not_before", lambda c: epoch(c["not_before"])),
                   ("x509_cert_expired", lambda c: 1.0 if now > epoch(c["not_after"]) else 0.0)):
    expect = {}
    for c in certs:
        kind = "purpose" if "purpose" in c else "store"
        labels = {"node": c["node"], kind: c[kind], "filepath": c["node"] + "/" + c[kind],
                  "serial_number": str(int(c["serial"], 16))}
        if c["cn"]:
            labels["subject_CN"] = c["cn"]
        issuer = by_subject.get(c["issuer"])
        if issuer is not None and issuer["cn"]:
            labels["issuer_CN"] = issuer["cn"]
        expect[(fam, frozenset(labels.items()))] = value(c)
    got = {k: v for k, v in samples.items() if k[0] == fam}
    if got != expect:
        missing = sorted(set(expect) - set(got), key=str)[:2]
        extra = sorted(set(got) - set(expect), key=str)[:2]
        wrong = [(k, got[k], expect[k]) for k in got if k in expect and got[k] != expect[k]][:2]
        bad("%s: %d samples for %d certificates; missing %s; extra %s; wrong %s" % (fam, len(got), len(certs), missing, extra, wrong))
if samples.get(("x509_read_errors", frozenset())) != 0.0:
    bad("x509_read_errors: %s, expected 0" % samples.get(("x509_read_errors", frozenset())))
print("families %d samples %d" % (len(fams), len(samples)))
EOF
# metrics_check WHAT FILE [NOW]: the checker on FILE against the current certificate list
# (x509_cert_expired at NOW, default the real time)
metrics_check() {
	cf --json cert list >certs.json
	"$PYP" check.py "$2" certs.json ${3:+"$3"} >check.out 2>&1 || true
	assert_eq "$1: grammar, prometheus_client and the CLI's dates agree" "" "$(grep -v '^families ' check.out | head -5)"
	NCERTS=$(json 'len(d["items"])' <certs.json)
	# 9 families with samples, the 6 of ACME and the 3 of the served checks, empty here (no identity
	# has an ACME state, no deploy checked an address)
	assert_eq "$1: families and samples" "families 18 samples $((5 * NCERTS + 4))" "$(grep '^families ' check.out || echo none)"
}
sample() { # sample FILE NAME: the value of an unlabelled sample
	awk -v n="$2" '$1 == n {print $2}' "$1"
}

# ==== 1. /metrics on loopback ===========================================================================
# (--metrics-cache 0: every request builds its answer, so a change shows at the next one)
# the first "pass done" in the log: the runner's start-up pass has finished
wait_pass_done() {
	for _ in $(seq 1 300); do grep -q 'monitor: pass done' "$T/daemon.err" && return 0; sleep 0.1; done
	fail "no monitor pass done within 30 s"
}
start_certfleetd --log-level debug --metrics-cache 0
wait_pass_done # the start-up pass runs on the job runner beside the listener
CODE=$(curl -sk -D m1.hdr -o m1.txt -w '%{http_code}' "$ORIGIN/metrics") || CODE="curl failed"
assert_eq "GET /metrics on 127.0.0.1 without any credentials" 200 "$CODE"
assert_contains "Content-Type of /metrics" "text/plain; version=0.0.4" "$(grep -i '^content-type:' m1.hdr | tr -d '\r')"
metrics_check "/metrics on loopback" m1.txt
# the escaping in the text itself, and what a parser makes of it
assert_eq "a CN with a quote and backslashes, escaped" $((2 * NQUOTE)) \
	"$(grep -cF 'cn="certfleet \"Quoted\" CA \\ back\\slash"' m1.txt || true)"
assert_eq "a CN with a line feed, escaped" 2 "$(grep -cF 'cn="two\nlines CA"' m1.txt || true)"
assert_eq "x509-certificate-exporter's labels escaped too" 3 \
	"$(grep -cF 'subject_CN="two\nlines CA",issuer_CN="two\nlines CA"' m1.txt || true)"
# x509-certificate-exporter's series of the known certificate, through prometheus_client, against
# what `openssl x509 -noout -subject -issuer -serial -dates` says of its file
# (names one attribute a line, unescaped: no name here has a line feed)
openssl x509 -in known.pem -noout -subject -issuer -serial -dates -nameopt multiline,-esc_msb,-esc_ctrl,utf8 >known.txt
EXPECT=$("$PYP" - known.txt "$PUB" ucm2.example.com <<'EOF'
import calendar, sys, time
fields, part = {}, None
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line.endswith("=") and not line.startswith(" "):
        part = line[:-1]  # "subject=" / "issuer=": their attributes follow, one a line
    elif line.strip().startswith("commonName") and part is not None:
        fields[part + "_CN"] = line.split(" = ", 1)[1]
    elif "=" in line and not line.startswith(" "):
        key, value = line.split("=", 1)
        fields[key] = value
        part = None
date = lambda v: calendar.timegm(time.strptime(v, "%b %d %H:%M:%S %Y GMT"))
values = {"x509_cert_not_after": date(fields["notAfter"]), "x509_cert_not_before": date(fields["notBefore"]),
          "x509_cert_expired": int(time.time() > date(fields["notAfter"]))}
for node in sys.argv[2:]:
    for fam, v in sorted(values.items()):
        print(fam, sorted({"node": node, "store": "tomcat-trust", "filepath": node + "/tomcat-trust",
                           "subject_CN": fields["subject_CN"], "issuer_CN": fields["issuer_CN"],
                           "serial_number": str(int(fields["serial"], 16))}.items()), int(v))
EOF
)
GOT=$("$PYP" - m1.txt <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
    for s in f.samples:
        if s.name.startswith("x509_cert_") and s.labels.get("subject_CN") == "known intermediate":
            print(s.name, sorted(s.labels.items()), int(s.value))
EOF
)
assert_eq "x509_cert_* of a known certificate as openssl x509 reads it (serial in decimal)" \
	"$(sort <<<"$EXPECT")" "$(sort <<<"$GOT")"
assert_contains "  its serial_number" "('serial_number', '5394239030517750101787403360659429389364096733')" "$GOT"
assert_contains "  its issuer_CN, the quoted CA's" "('issuer_CN', 'certfleet \"Quoted\" CA \\\\ back\\\\slash')" "$GOT"
RT=$("$PYP" - m1.txt <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    if f.name == "certfleet_certificate_not_after_seconds":
        for s in f.samples:
            if "CA" in s.labels["cn"]:
                print(repr(s.labels["cn"]), s.labels.get("store"))
EOF
)
RT=$(sort -u <<<"$RT")
assert_eq "label values round-trip through prometheus_client" \
	"$(printf '%s tomcat-trust\n%s CallManager-trust' "$("$PYP" -c 'import sys; print(repr(sys.argv[1]))' "$CN_QUOTE")" "$("$PYP" -c 'import sys; print(repr(sys.argv[1]))' "$CN_LF")" | sort)" \
	"$(sort <<<"$RT")"
# health: the start-up pass ran (nothing is due at the real time: every certificate has years)
SHOW=$(cf --json monitor show)
LAST=$(sample m1.txt certfleet_monitor_last_run_timestamp_seconds)
assert_eq "health: last run as monitor show has it" \
	"$(json '"%d" % __import__("calendar").timegm(__import__("time").strptime(d["last_run"], "%Y-%m-%dT%H:%M:%SZ"))' <<<"$SHOW" 2>/dev/null || echo none)" "$LAST"
assert_eq "health: pending as monitor show has it" "$(json 'd["pending"]' <<<"$SHOW")" "$(sample m1.txt certfleet_monitor_notifications_pending)"
assert_eq "health: no SMTP failures" 0 "$(sample m1.txt certfleet_monitor_smtp_failures_total)"
# nothing within a day of expiry or expired: the next pass 24 hours after the start-up pass
NEXT=$(sed -n 's/.*monitor: pass done: .* next pass due \(.*\)$/\1/p' "$T/daemon.err" | head -1)
assert_eq "the next pass 24 hours after the start-up pass" \
	"$("$PYP" -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]) + 86400)))' "$LAST")" "$NEXT"
assert_eq "POST /metrics" 405 "$(curl -sk -o /dev/null -w '%{http_code}' -X POST "$ORIGIN/metrics")"
# a new certificate shows up at the next scrape
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout late.key -out late.pem -days 30 \
	-subj '/CN=late arrival' 2>/dev/null
cf trust add --node ucm2.example.com --store tomcat-trust late.pem >/dev/null
curl -sk -o m2.txt "$ORIGIN/metrics"
metrics_check "/metrics after a trust add from the command line" m2.txt
# timing on this store, for the log (the 100,000-certificate figure is bench material)
echo "/metrics: $(wc -c <m2.txt) bytes for $NCERTS certificates; $(grep 'GET /metrics 200' "$T/daemon.err" | tail -1 | awk '{print $NF}')" >&2
stop_certfleetd
wait 2>/dev/null || true

# ==== 1b. the cache =======================================================================================
# A bad --metrics-cache stops the start with one line naming it.
for bad in soon -1 3601 1.5 10s ""; do
	assert_exit "--metrics-cache [$bad] stops certfleetd" 2 \
		"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$(free_port)" --metrics-cache "$bad"
	assert_eq "  with one line naming the option" "1 1" \
		"$(wc -l <"$T/err") $(grep -c -- '--metrics-cache' "$T/err" || true)"
done
# --metrics-cache 8: an answer is served again, byte for byte, for 8 seconds after it was built,
# though a certificate came in between; the first request after them shows it. (The cache time
# starts once the first answer is built: after T0, before T1.)
now_ms() { date +%s%3N; }
assert_no_sanitizer_report "before the next daemon"
: >"$T/daemon.err"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cached.key -out cached.pem -days 30 \
	-subj '/CN=arrived while cached' 2>/dev/null
start_certfleetd --log-level debug --metrics-cache 8
T0=$(now_ms)
curl -sk -o c1.txt "$ORIGIN/metrics"
T1=$(now_ms)
cf trust add --node ucm2.example.com --store tomcat-trust cached.pem >/dev/null
curl -sk -o c2.txt "$ORIGIN/metrics"
T2=$(now_ms)
assert_eq "the certificate is stored" 1 "$(cf --json cert list | json 'sum(1 for i in d["items"] if i["cn"] == "arrived while cached")')"
if [ $((T2 - T0)) -lt 8000 ]; then
	assert_eq "a second request within the cache time: the same bytes" "" "$(cmp c1.txt c2.txt 2>&1 || true)"
	assert_eq "  without the certificate stored in between" 0 "$(grep -c 'arrived while cached' c2.txt || true)"
else
	fail "the two requests took $((T2 - T0)) ms, more than the cache time: nothing learnt about the cache"
fi
sleep "$(awk -v w=$((T1 + 8500 - $(now_ms))) 'BEGIN { printf "%.3f", (w > 0 ? w : 0) / 1000 }')"
curl -sk -o c3.txt "$ORIGIN/metrics"
assert_eq "after the cache time: the certificate is in the answer (5 families)" 5 \
	"$(grep -c 'arrived while cached' c3.txt || true)"
metrics_check "/metrics after the cache time" c3.txt
assert_eq "the answers were built twice, and served once from the cache" "2 1" \
	"$(grep -c '/metrics: built for' "$T/daemon.err") $(grep -c '/metrics: the answer built' "$T/daemon.err")"
stop_certfleetd
wait 2>/dev/null || true

# ==== 2. the token ========================================================================================
openssl rand -hex 32 >token
chmod 600 token
TOKEN=$(cat token)
printf 'short\n' >short.token
assert_exit "a token file with a too short token stops certfleetd" 3 \
	"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$(free_port)" --metrics-token-file short.token
assert_contains "  and says why" "metrics token" "$(cat "$T/err")"
assert_exit "a missing token file stops certfleetd" 3 \
	"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$(free_port)" --metrics-token-file no-such-file

# With a token file the token is needed on a loopback address too (a reverse proxy in front).
start_certfleetd --metrics-token-file token
CODE=$(curl -sk -D t0.hdr -o t0.json -w '%{http_code}' "$ORIGIN/metrics")
assert_eq "127.0.0.1 with a token file: no Authorization" "401 0" "$CODE $(grep -c 'certfleet_\|x509_' t0.json || true)"
assert_eq "127.0.0.1 with a token file: the right bearer token" 200 \
	"$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$ORIGIN/metrics")"
assert_eq "127.0.0.1 with a token file and the answer cached: a wrong token" 401 \
	"$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" "$ORIGIN/metrics")"
assert_contains "  the start-up line says so" "/metrics: needs Authorization: Bearer" "$(cat "$T/daemon.err")"
stop_certfleetd
wait 2>/dev/null || true

# A non-loopback address of this machine (IPv4 first), if there is one.
ADDR=""
for a in $(hostname -I 2>/dev/null); do
	case $a in 127.* | ::1 | fe80:* | FE80:*) continue ;; esac
	if "$PYP" -c 'import socket,sys; a=sys.argv[1]; s=socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET); s.bind((a, 0))' "$a" 2>/dev/null; then
		ADDR=$a && break
	fi
done
start_on() { # start_on ADDR ARGS...: certfleetd on ADDR (a free port); sets MORIGIN, DPID
	local host=$1 port
	shift
	port=$(free_port)
	if [[ "$host" == *:* ]]; then MORIGIN="https://[$host]:$port"; else MORIGIN="https://$host:$port"; fi
	"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "$(if [[ "$host" == *:* ]]; then echo "[$host]"; else echo "$host"; fi):$port" "$@" 2>>"$T/daemon.err" &
	DPID=$!
	for _ in $(seq 1 300); do
		curl -sk -o /dev/null "$MORIGIN/app.css" && return 0
		sleep 0.1
	done
	fail "certfleetd did not answer on $MORIGIN"
}
if [ -n "$ADDR" ]; then
	echo "token path: tested end to end on the non-loopback address $ADDR" >&2
	start_on "$ADDR"
	CODE=$(curl -sk -o t1.json -w '%{http_code}' "$MORIGIN/metrics")
	assert_eq "$ADDR without --metrics-token-file: /metrics refused" 403 "$CODE"
	assert_contains "  and the answer says how to enable it" "--metrics-token-file" "$(json 'd["error"]["message"]' <t1.json)"
	CODE=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$MORIGIN/metrics")
	assert_eq "$ADDR without --metrics-token-file: a token does not help" 403 "$CODE"
	stop_certfleetd
	wait 2>/dev/null || true
	start_on "$ADDR" --metrics-token-file token --metrics-cache 600
	CODE=$(curl -sk -D t2.hdr -o /dev/null -w '%{http_code}' "$MORIGIN/metrics")
	assert_eq "$ADDR with a token file: no Authorization" 401 "$CODE"
	assert_contains "  with WWW-Authenticate: Bearer" "Bearer" "$(grep -i '^www-authenticate:' t2.hdr | tr -d '\r')"
	for wrong in "Bearer ${TOKEN%?}" "Bearer ${TOKEN}x" "Bearer " "Basic $(printf 'x:%s' "$TOKEN" | base64 -w0)" "$TOKEN" "Bearer  $TOKEN"; do
		CODE=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: $wrong" "$MORIGIN/metrics")
		assert_eq "$ADDR with a token file: Authorization [${wrong:0:12}…]" 401 "$CODE"
	done
	CODE=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: bearer $TOKEN" "$MORIGIN/metrics")
	assert_eq "$ADDR with a token file: the scheme in lower case (RFC 7235: case-insensitive)" 200 "$CODE"
	CODE=$(curl -sk -o m3.txt -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$MORIGIN/metrics")
	assert_eq "$ADDR with the right bearer token" 200 "$CODE"
	metrics_check "/metrics with the bearer token on $ADDR" m3.txt
	# the answer is cached now; the token is still checked on every request
	CODE=$(curl -sk -o t3.json -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" "$MORIGIN/metrics")
	assert_eq "$ADDR with the answer cached: a wrong token" 401 "$CODE"
	assert_eq "  gets no metric" 0 "$(grep -c 'certfleet_\|x509_' t3.json || true)"
	CODE=$(curl -sk -o t4.json -w '%{http_code}' "$MORIGIN/metrics")
	assert_eq "$ADDR with the answer cached: no Authorization" "401 0" "$CODE $(grep -c 'certfleet_\|x509_' t4.json || true)"
	# the session cookie is no way in
	SESSION_CODE=$(curl -sk -c ses.jar -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$MORIGIN/api/v1/login")
	assert_eq "login on $ADDR" 200 "$SESSION_CODE"
	assert_eq "a session is not a metrics token" 401 "$(curl -sk -b ses.jar -o /dev/null -w '%{http_code}' "$MORIGIN/metrics")"
	assert_eq "the token is not in the daemon's log" "" "$(grep -F "$TOKEN" "$T/daemon.err" || true)"
	stop_certfleetd
	wait 2>/dev/null || true
else
	echo "token path: this machine has no non-loopback address; only unit_loopback (the loopback decision) covers it" >&2
fi

# ==== 3. the schedule ======================================================================================
# The daemon's clock at 10 days before the default identities expire: they are all inside the
# 30-day start window (e-mail is off: the log line is the notification).
TOMCAT_NA=$(cf --json cert list --node "$PUB" --purpose tomcat | json 'd["items"][0]["not_after"]')
NA_EPOCH=$("$PYP" -c 'import calendar,sys,time; print(calendar.timegm(time.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ")))' "$TOMCAT_NA")
NOW1=$((NA_EPOCH - 10 * 86400))
DUE=$(CERTFLEET_NOW=$NOW1 cf --json cert list --expiring 30 | json 'len(d["items"])')
assert_eq "certificates inside the window at the daemon's time" 1 "$([ "$DUE" -ge 10 ] && echo 1 || echo 0)"
assert_no_sanitizer_report "before the next daemon"
: >"$T/daemon.err"
CERTFLEET_NOW=$NOW1 start_certfleetd --log-level debug
wait_pass_done
assert_eq "one log line per notification at start-up" "$DUE" "$(grep -c 'info monitor: .* expires ' "$T/daemon.err" || true)"
assert_contains "the tomcat line as the command line writes it" \
	"info monitor: $PUB tomcat \"$PUB\" expires $TOMCAT_NA (10 days): breaks " "$(cat "$T/daemon.err")"
assert_contains "trust certificates name their store" "info monitor: $PUB tomcat-trust \"" "$(cat "$T/daemon.err")"
SHOW=$(cf --json monitor show)
assert_eq "monitor show: last run at the daemon's clock, nothing pending" \
	"$(CERTFLEET_NOW=$NOW1 "$PYP" -c 'import os,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(os.environ["CERTFLEET_NOW"]))))') 0" \
	"$(json 'str(d["last_run"]) + " " + str(d["pending"])' <<<"$SHOW")"
NEXT=$(sed -n 's/.*monitor: pass done: .* next pass due \(.*\)$/\1/p' "$T/daemon.err" | head -1)
assert_eq "expired certificates (the test CAs, by then): the next pass in one hour" \
	"$("$PYP" -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]) + 3600)))' "$NOW1")" "$NEXT"
# a pass on request right after: nothing is notified twice
CSRF=$(curl -sk -c admin.jar -H 'Content-Type: application/json' -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
AUTH=(-b admin.jar -H "X-CSRF-Token: $CSRF")
CODE=$(curl -sk "${AUTH[@]}" -X POST -o run.json -w '%{http_code}' "$BASE/monitor/run")
assert_eq "POST /monitor/run" 200 "$CODE"
assert_eq "POST /monitor/run: nothing due twice" "0 0 0" "$(json '"%d %d %d" % (len(d["due"]), d["sent"], d["queued"])' <run.json)"
assert_eq "POST /monitor/run: audited" "admin|monitor run|ok" \
	"$(cf --json audit --limit 1 | json '"|".join(d["items"][0][k] for k in ("account", "action", "result"))')"
assert_eq "one notification line per certificate in all" "$DUE" "$(grep -c 'info monitor: .* expires ' "$T/daemon.err" || true)"
curl -sk -o m4.txt "$ORIGIN/metrics"
metrics_check "/metrics at the daemon's clock (x509_cert_expired then)" m4.txt "$NOW1"
assert_eq "x509_cert_expired: 1 for the certificates expired at the daemon's clock" \
	"$(json "sum(1 for i in d['items'] if __import__('calendar').timegm(__import__('time').strptime(i['not_after'], '%Y-%m-%dT%H:%M:%SZ')) < $NOW1)" <certs.json)" \
	"$(grep -c '^x509_cert_expired{.* 1$' m4.txt || true)"
assert_eq "  some are" 1 "$([ "$(grep -c '^x509_cert_expired{.* 1$' m4.txt || true)" -gt 0 ] && echo 1 || echo 0)"
assert_eq "health after the passes: last run" "$NOW1" "$(sample m4.txt certfleet_monitor_last_run_timestamp_seconds)"
assert_eq "health after the passes: pending" 0 "$(sample m4.txt certfleet_monitor_notifications_pending)"
assert_clean_stop
# Half a day before expiry: every hour.
assert_no_sanitizer_report "before the next daemon"
: >"$T/daemon.err"
NOW2=$((NA_EPOCH - 43200))
CERTFLEET_NOW=$NOW2 start_certfleetd --log-level debug
wait_pass_done
NEXT=$(sed -n 's/.*monitor: pass done: .* next pass due \(.*\)$/\1/p' "$T/daemon.err" | head -1)
assert_eq "within a day of expiry: the next pass in one hour" "$("$PYP" -c 'import sys,time; print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(sys.argv[1]) + 3600)))' "$NOW2")" "$NEXT"
assert_contains "within a day of expiry: notified again (0 days)" "info monitor: $PUB tomcat \"$PUB\" expires $TOMCAT_NA (0 days)" "$(cat "$T/daemon.err")"
assert_clean_stop

# ==== 4. the settings over the API ============================================================================
start_certfleetd
CSRF=$(curl -sk -c admin.jar -H 'Content-Type: application/json' -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
AUTH=(-b admin.jar -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json')
curl -sk -b admin.jar -o get.json "$BASE/monitor"
assert_eq "GET /monitor is monitor show" "$(cf --json monitor show | json 'd')" "$(json 'd' <get.json)"
BEFORE=$(cf --json monitor show | json 'd')
AUDIT0=$(cf --json audit --limit 1 | json 'd["total"]')
CODE=$(curl -sk "${AUTH[@]}" -X PUT -o bad.json -w '%{http_code}' \
	-d '{"start_days":14,"emails":["pki@example.com","not an address"]}' "$BASE/monitor")
assert_eq "PUT /monitor with a bad address" 400 "$CODE"
assert_eq "  names the field" emails "$(json 'd["error"].get("field")' <bad.json)"
assert_contains "  and the address" "not an address" "$(json 'd["error"]["message"]' <bad.json)"
assert_eq "  and changes nothing" "$BEFORE" "$(cf --json monitor show | json 'd')"
CODE=$(curl -sk "${AUTH[@]}" -X PUT -o bad2.json -w '%{http_code}' -d '{"frequency":"90m"}' "$BASE/monitor")
assert_eq "PUT /monitor with a bad frequency" "400 frequency" "$CODE $(json 'd["error"].get("field")' <bad2.json)"
CODE=$(curl -sk "${AUTH[@]}" -X PUT -o bad3.json -w '%{http_code}' -d '{"start_days":"14"}' "$BASE/monitor")
assert_eq "PUT /monitor with start_days a string" "400 start_days" "$CODE $(json 'd["error"].get("field")' <bad3.json)"
CODE=$(curl -sk "${AUTH[@]}" -X PUT -o put.json -w '%{http_code}' \
	-d "{\"start_days\":14,\"frequency\":\"12h\",\"email\":true,\"emails\":\"pki@example.com; ops@example.com\",\"lsc\":true,\"smtp\":\"mail.example.com:587\",\"smtp_tls\":\"implicit\",\"smtp_user\":\"certfleet\",\"smtp_password\":\"$PW_SMTP\",\"from\":\"certfleet@example.com\"}" \
	"$BASE/monitor")
assert_eq "PUT /monitor" 200 "$CODE"
assert_eq "  answers the settings as monitor show" "$(cf --json monitor show | json 'd')" "$(json 'd' <put.json)"
assert_eq "  every value set" "14 12h True ['pki@example.com', 'ops@example.com'] True mail.example.com:587 implicit certfleet True certfleet@example.com" \
	"$(json '" ".join(str(d[k]) for k in ("start_days", "frequency", "email", "emails", "lsc", "smtp", "smtp_tls", "smtp_user", "smtp_password_set", "from"))' <put.json)"
assert_eq "  audited once (refusals have their own rows)" "admin|monitor config|ok" \
	"$(cf --json audit --limit 1 | json '"|".join(d["items"][0][k] for k in ("account", "action", "result"))')"
assert_eq "  three audit rows: the two refusals of the library and the change" 3 "$(($(cf --json audit --limit 1 | json 'd["total"]') - AUDIT0))"
assert_eq "the SMTP password is in no answer, log line or audit row" "" \
	"$(grep -lF "$PW_SMTP" put.json get.json "$T/daemon.err" 2>/dev/null; cf --json audit --limit 100 | grep -F "$PW_SMTP" || true)"
assert_clean_stop
assert_no_sanitizer_report "the end"
finish
