#!/usr/bin/env bash
# OCSP at upload, on the interval and in the doctor (SPEC §6.1), against an `openssl ocsp`
# responder on loopback over a PKI made here (root CA -> issuing CA -> EC leaves whose AIA names
# the responder; index.txt read again for every request, so a revocation takes effect at once):
#   1. uploads with OCSP on: revoked refused [revoked], good accepted, unknown refused in strict
#      mode and accepted with a warning otherwise, the responder down refused with the fallback
#      "revoked" and accepted with a revocation-unknown warning with "not revoked"; every refusal
#      leaves the store as it was (cert list --json before and after); the daemon's POST /upload
#      refuses the same way
#   2. `revocation check` asks about every certificate once (the same certificate on two nodes:
#      one request) and records good, revoked and unknown; the doctor then reports `revoked` for
#      the revoked one only (and, in strict mode, the unknown one), naming the responder; the
#      daemon's POST /revocation/check does the same pass (the answers it returns are the ones
#      stored, one audit row as the command line's), counts a dead responder's as errors and is
#      refused (409 ocsp-off, audited) while OCSP is off
#   3. certfleetd with a 10 s interval asks again by itself: a certificate revoked at the
#      responder after the last check shows up in the doctor, in the list route's revocation
#      column (source ocsp) and as one log line
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

# ---- the PKI -------------------------------------------------------------------------------------
PORT_CA=$(free_port)
PORT_DOWN=$(free_port)
URL_CA="http://127.0.0.1:$PORT_CA/"
cat >ext.cnf <<EOF
[req]
distinguished_name=dn
[dn]
[v3ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:ucm1.example.com,DNS:ucm2.example.com
authorityInfoAccess=OCSP;URI:$URL_CA
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
# sign NAME CN ISSUER EXT: NAME.pem, and NAME-chain.pem (with the issuing CA) for leaves
sign() {
	key "$1"
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
		-extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
	cat "$1.pem" issuing.pem >"$1-chain.pem" 2>/dev/null || true
}
key root
openssl req -x509 -new -key root.key -subj "/CN=Revcheck Test Root" -days 30 -config ext.cnf -extensions v3ca \
	-out root.pem 2>/dev/null
sign issuing "Revcheck Test Issuing CA" root v3ca
sign good ucm1.example.com issuing leaf     # good, revoked at the responder before certfleetd runs (3)
sign revoked ucm1.example.com issuing leaf  # revoked from the start
sign unlisted ucm2.example.com issuing leaf # not in the index: unknown
sign later ucm1.example.com issuing leaf    # good at upload, revoked before `revocation check` (2)
sign subca "Revcheck Test Sub CA" issuing v3ca # a trust upload (1b)

idx() { # STATUS PEM [REVOCATION]: one line of openssl's index.txt
	local serial subj enddate
	serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)
	subj=$(openssl x509 -in "$2" -noout -subject -nameopt compat | sed 's/^subject=//')
	enddate=$(date -u -d "$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" "$enddate" "${3:-}" "$serial" "$subj"
}
REVOKED_AT=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
echo "unique_subject = no" >index.txt.attr # several leaves for ucm1
index() { # index NAME...: those revoked, the other known leaves good
	local n st
	for n in good revoked later subca; do
		st=V
		[[ " $* " == *" $n "* ]] && st=R
		if [ $st == R ]; then idx R "$n.pem" "$REVOKED_AT,keyCompromise"; else idx V "$n.pem"; fi
	done >index.txt.new
	mv index.txt.new index.txt
}
index revoked

# ---- the responder: an HTTP front on 127.0.0.1 running `openssl ocsp` for each request --------------
# (as in test_ocsp.sh; no -nmin: the answers carry no nextUpdate, so none is cached). Each request
# is one "REQ" line in its log.
cat >ocspfront.py <<'PYEOF'
import http.server, subprocess, sys, tempfile, os
port, args = int(sys.argv[1]), sys.argv[2:]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        print("REQ", flush=True)
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "req"), "wb").write(req)
            subprocess.run(["openssl", "ocsp", "-reqin", os.path.join(d, "req"), "-respout",
                            os.path.join(d, "resp")] + args, check=True, capture_output=True)
            resp = open(os.path.join(d, "resp"), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/ocsp-response")
        self.send_header("Content-Length", str(len(resp)))
        self.end_headers()
        self.wfile.write(resp)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
print("READY", flush=True)
s.serve_forever()
PYEOF
python3 ocspfront.py "$PORT_CA" -index index.txt -rsigner issuing.pem -rkey issuing.key -CA issuing.pem \
	>ocsp.log 2>&1 &
RESPONDER=$!
on_exit 'kill $RESPONDER 2>/dev/null'
start() { # certfleetd, stopped with the responder when the script exits
	start_certfleetd
}
for _ in $(seq 1 100); do
	grep -q READY ocsp.log 2>/dev/null && break
	sleep 0.05
done
grep -q READY ocsp.log || fail "the OCSP responder did not start: $(cat ocsp.log)"
requests() { grep -c REQ ocsp.log || true; }

# ---- the deployment -------------------------------------------------------------------------------
N1=ucm1.example.com
N2=ucm2.example.com
PW_ADMIN='admin password of the revcheck test'
new_store
cf node add "$N1" --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
cf node add "$N2" --cluster cl1 --product ucm --no-defaults >/dev/null
for n in "$N1" "$N2"; do
	for s in tomcat-trust CallManager-trust; do cf trust add --node "$n" --store "$s" root.pem >/dev/null; done
done
cf cert self-signed --node "$N1" --purpose tomcat >/dev/null # what certfleetd serves with
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
list() { cf --json cert list; }
upload() { # upload NODE PURPOSE NAME
	cfx cert upload --node "$1" --purpose "$2" "$3-chain.pem" --key "$3.key"
}
must "OCSP on (the certificates' AIA URI)" revocation config --ocsp on

# ---- 1. uploads ---------------------------------------------------------------------------------------
BEFORE=$(list)
upload "$N1" tomcat-ECDSA revoked
expect_rc "revoked at the responder: refused" 3
assert_contains "refused with the rule" "[revoked]" "$ERR"
assert_contains "names the responder and the trust model" "OCSP $URL_CA (delegated)" "$ERR"
assert_eq "one error line" 1 "$(wc -l <<<"$ERR")"
assert_eq "store unchanged by the refusal" "$BEFORE" "$(list)"

upload "$N1" tomcat-ECDSA good
expect_rc "good at the responder: accepted" 0
assert_eq "no revocation warning" "" "$(grep -o 'revocation-unknown' <<<"$ERR" || true)"

must "strict mode" revocation config --strict on
BEFORE=$(list)
upload "$N2" CallManager-ECDSA unlisted
expect_rc "unknown in strict mode: refused" 3
assert_contains "strict refusal" "strict mode refuses an unknown status [revoked]" "$ERR"
assert_eq "store unchanged by the strict refusal" "$BEFORE" "$(list)"
must "strict off" revocation config --strict off
upload "$N2" CallManager-ECDSA unlisted
expect_rc "unknown in normal mode: accepted" 0
assert_contains "with a warning" "[revocation-unknown]" "$ERR"

must "a responder that is down" revocation config --ocsp-uri "http://127.0.0.1:$PORT_DOWN/" --fallback revoked
BEFORE=$(list)
upload "$N1" CallManager-ECDSA later
expect_rc "responder down, fallback revoked: refused" 3
assert_contains "fallback refusal" "the fallback treats that as revoked" "$ERR"
assert_contains "fallback refusal rule" "[revoked]" "$ERR"
assert_eq "store unchanged by the fallback refusal" "$BEFORE" "$(list)"
must "fallback not revoked" revocation config --fallback not-revoked
upload "$N1" CallManager-ECDSA later
expect_rc "responder down, fallback not revoked: accepted" 0
assert_contains "with a warning" "[revocation-unknown]" "$ERR"
assert_contains "saying why" "responder unreachable" "$ERR"
cfx --json cert show --node "$N1" --purpose CallManager-ECDSA
assert_eq "the warning is the certificate's" revocation-unknown \
	"$(json '",".join(w["rule"] for w in d["warnings"] if w["rule"].startswith("revocation"))' <"$LAST")"
must "the certificates' own responder again" revocation config --ocsp-from-cert

upload "$N2" tomcat-ECDSA good
expect_rc "the same certificate on the second node" 0

# ---- 1b. trust uploads are checked too: a sub-CA with its issuing CA ---------------------------------
must "the configured responder (the sub-CA has no AIA)" revocation config --ocsp-uri "$URL_CA"
index revoked subca
BEFORE=$(list)
cfx trust add --node "$N1" --store tomcat-trust subca-chain.pem
expect_rc "a revoked sub-CA: refused" 3
assert_contains "names the certificate of the bundle" "subca-chain.pem (certificate 1 of 2)" "$ERR"
assert_contains "and the rule" "[revoked]" "$ERR"
assert_eq "store unchanged by the refused trust upload" "$BEFORE" "$(list)"
index revoked
cfx --json trust add --node "$N1" --store tomcat-trust subca-chain.pem
expect_rc "a good sub-CA: accepted" 0
SUBCA_SHA=$(openssl x509 -in subca.pem -outform DER | sha256sum | cut -d' ' -f1)
assert_eq "its OCSP answer recorded" "good delegated" \
	"$(store_sql "SELECT status || ' ' || trust FROM revocation_checks WHERE sha256 = '$SUBCA_SHA'")"
# a stored CRL refuses a trust upload too (its issuer already trusted), unless checking is off
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/index.txt\ncrlnumber=%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' "$T" "$T" >crl.cnf
echo 01 >"$T/crlnumber"
index revoked subca
openssl ca -gencrl -config crl.cnf -keyfile issuing.key -cert issuing.pem -out issuing.crl 2>/dev/null
index revoked
cf --json cert list --store tomcat-trust | json '"\n".join("%d %s" % (c["id"], c["node"]) for c in d["items"] if c["cn"] == "Revcheck Test Sub CA")' |
	while read -r id node; do cf trust delete --node "$node" --store tomcat-trust --id "$id" >/dev/null; done
must "the issuing CA's CRL" --json crl add issuing.crl
CRL_ID=$(json 'd["id"]' <"$LAST")
BEFORE_CRL=$(list)
cfx trust add --node "$N1" --store tomcat-trust subca.pem
expect_rc "a sub-CA on the stored CRL: refused" 3
assert_contains "refused by the CRL" "[revoked]" "$ERR"
assert_eq "store unchanged by the CRL's refusal" "$BEFORE_CRL" "$(list)"
must "revocation checking off" revocation config --check off
cfx trust add --node "$N1" --store tomcat-trust subca.pem
expect_rc "checking off: the same sub-CA accepted" 0
must "checking on again" revocation config --check on
cf crl remove "$CRL_ID" >/dev/null
# (taken out again: part 2 counts the certificates there are to ask)
cf --json cert list --store tomcat-trust | json '"\n".join("%d %s" % (c["id"], c["node"]) for c in d["items"] if c["cn"] in ("Revcheck Test Sub CA", "Revcheck Test Issuing CA"))' |
	while read -r id node; do cf trust delete --node "$node" --store tomcat-trust --id "$id" >/dev/null; done
assert_eq "taken out" "$BEFORE" "$(list)"
must "the certificates' own responder again" revocation config --ocsp-from-cert

# ---- 2. revocation check and the doctor ------------------------------------------------------------
index revoked later
R0=$(requests)
cfx --json revocation check
expect_rc "revocation check: a revoked certificate fails" 7
js() { json "$1" <"$LAST"; }
assert_eq "counts: three certificates" "3 1 1 1" "$(js '" ".join(str(d[k]) for k in ("checked", "good", "revoked", "unknown"))')"
assert_eq "one request per certificate, not per node" 3 $(($(requests) - R0))
assert_eq "every place listed" 4 "$(js 'len(d["items"])')"
st() { js "[i['status'] + '/' + i['trust'] for i in d['items'] if i['node'] == '$1' and i.get('purpose') == '$2'][0]"; }
assert_eq "good on $N1" good/delegated "$(st "$N1" tomcat-ECDSA)"
assert_eq "good on $N2 (the same answer)" good/delegated "$(st "$N2" tomcat-ECDSA)"
assert_eq "revoked" revoked/delegated "$(st "$N1" CallManager-ECDSA)"
assert_eq "unknown" unknown/delegated "$(st "$N2" CallManager-ECDSA)"
assert_contains "revoked: when and why" "keyCompromise" "$(js "[i['message'] for i in d['items'] if i['status'] == 'revoked'][0]")"
assert_eq "newly revoked said" True "$(js "[i['newly_revoked'] for i in d['items'] if i['status'] == 'revoked'][0]")"
cfx revocation check
assert_contains "human output" "3 certificates asked: 1 good, 1 revoked, 1 unknown" "$OUT"
assert_contains "a line per place" "CallManager-ECDSA" "$(grep "^$N1" <<<"$OUT")"

R1=$(requests)
revoked_in_doctor() { # the node/purpose pairs of `revoked` findings
	cf --json doctor | json '" ".join(sorted(f["node"] + "/" + f["purpose"] for f in d["findings"] if f["rule"] == "revoked"))' || true
}
assert_eq "doctor: the revoked one only" "$N1/CallManager-ECDSA" "$(revoked_in_doctor)"
MSG=$(cf --json doctor | json '[f["message"] for f in d["findings"] if f["rule"] == "revoked"][0]' || true)
assert_contains "doctor names the source" "OCSP $URL_CA (delegated) at " "$MSG"
assert_contains "doctor says revoked" ": revoked; revoked on" "$MSG"
must "strict mode" revocation config --strict on
assert_eq "doctor, strict: the unknown one too" "$N1/CallManager-ECDSA $N2/CallManager-ECDSA" "$(revoked_in_doctor)"
must "strict off" revocation config --strict off
assert_eq "the doctor asked no one" 0 $(($(requests) - R1))

# a responder's "unknown" is a status: the fallback is for no status at all (SPEC §6.1, §6.2)
must "fallback revoked" revocation config --fallback revoked
cfx validate unlisted-chain.pem --node "$N2" --store CallManager-trust --revocation
expect_rc "validate: the responder's unknown, fallback revoked: not failed" 0
must "fallback back" revocation config --fallback not-revoked

# a responder that fails is asked once per pass: its other certificates are not asked again
must "a responder that is down" revocation config --ocsp-uri "http://127.0.0.1:$PORT_DOWN/"
cfx --json revocation check
assert_eq "down: every certificate unknown" "3 3" "$(js '"%d %d" % (d["checked"], d["unknown"])')"
assert_eq "down: the first certificate asked, the other two not asked again" "1 2" \
	"$(js '"%d %d" % (len({i["sha256"] for i in d["items"] if i["message"].startswith("responder unreachable")}), len({i["sha256"] for i in d["items"] if i["message"].startswith("not asked: the responder failed earlier in this pass")}))')"
must "the certificates' own responder again" revocation config --ocsp-from-cert
cf revocation check >/dev/null || true

# the daemon's upload route is the same library call: refused the same way
CTJ='Content-Type: application/json'
login() { # a session for admin in admin.jar; A: the arguments of a change
	curl -sk -c admin.jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" >login.json
	A=(-b admin.jar -H "X-CSRF-Token: $(json 'd["csrf"]' <login.json)")
}
start
login
python3 - "$N2" revoked-chain.pem revoked.key >upload.json <<'EOF'
import json, sys
print(json.dumps({"node": sys.argv[1], "purpose": "tomcat-ECDSA", "pem": open(sys.argv[2]).read(),
                  "key": open(sys.argv[3]).read()}))
EOF
BEFORE=$(list)
CODE=$(curl -sk -o resp.json -w '%{http_code}' "${A[@]}" -H "$CTJ" --data-binary @upload.json "$BASE/upload")
assert_eq "POST /upload of a revoked certificate" 400 "$CODE"
assert_contains "POST /upload says why" "[revoked]" "$(cat resp.json)"
assert_eq "store unchanged by the route's refusal" "$BEFORE" "$(list)"

# ---- 2b. the same pass from the page: POST /revocation/check ------------------------------------------
audit_last() { cf --json audit --limit 1 | json '"|".join(d["items"][0][k] for k in ("account", "client", "action", "object", "result"))'; }
post_check() { CODE=$(curl -sk --max-time 120 -o check.json -w '%{http_code}' "${A[@]}" -X POST "$BASE/revocation/check"); }
R2=$(requests)
AUDIT0=$(cf --json audit --limit 1 | json 'd["total"]')
post_check
assert_eq "POST /revocation/check" 200 "$CODE"
cj() { json "$1" <check.json; }
assert_eq "route: counts (checked good revoked unknown errors)" "3 1 1 1 0" \
	"$(cj '" ".join(str(d[k]) for k in ("checked", "good", "revoked", "unknown", "errors"))')"
assert_eq "route: one request per certificate" 3 $(($(requests) - R2))
assert_eq "route: every place listed" "$N1/CallManager-ECDSA/revoked $N1/tomcat-ECDSA/good $N2/CallManager-ECDSA/unknown $N2/tomcat-ECDSA/good" \
	"$(cj '" ".join(sorted(i["node"] + "/" + i["purpose"] + "/" + i["status"] for i in d["items"]))')"
assert_eq "route: the answers are the ones stored" "$(store_sql \
	"SELECT sha256 || ' ' || status || ' ' || trust || ' ' || responder || ' ' || message FROM revocation_checks ORDER BY sha256")" \
	"$(cj '"\n".join(sorted(set(" ".join((i["sha256"], i["status"], i["trust"], i["responder"], i["message"])) for i in d["items"])))')"
assert_eq "route: asked now (the stored time is the answer's)" "$(store_sql "SELECT max(checked) FROM revocation_checks")" \
	"$(cj 'max(__import__("calendar").timegm(__import__("time").strptime(i["checked"], "%Y-%m-%dT%H:%M:%SZ")) for i in d["items"])')"
assert_eq "route: one audit row" $((AUDIT0 + 1)) "$(cf --json audit --limit 1 | json 'd["total"]')"
assert_eq "route: audited as the command line's revocation check" "admin|127.0.0.1|revocation check|OCSP status of every certificate|ok" "$(audit_last)"
cfx --json revocation check
assert_eq "route: the command line's JSON has the same members and answers" \
	"$(json 'sorted((sorted(d), sorted((i["node"], i["purpose"], i["status"], i["trust"]) for i in d["items"])))' <"$LAST")" \
	"$(cj 'sorted((sorted(d), sorted((i["node"], i["purpose"], i["status"], i["trust"]) for i in d["items"])))')"
# a responder that is down: no answers, said as errors; OCSP off: refused, audited, nothing asked
must "a responder that is down" revocation config --ocsp-uri "http://127.0.0.1:$PORT_DOWN/"
post_check
assert_eq "route, responder down: all unknown, without an answer" "200 3 3 3" \
	"$CODE $(cj '"%d %d %d" % (d["checked"], d["unknown"], d["errors"])')"
must "OCSP off" revocation config --ocsp off --ocsp-from-cert
R3=$(requests)
post_check
assert_eq "route, OCSP off: refused with the reason" "409 ocsp-off" "$CODE $(cj 'd["error"].get("reason")')"
assert_eq "route, OCSP off: names no command-line option" "" "$(cj 'd["error"]["message"]' | grep -oE -- '--|certfleet ' || true)"
assert_eq "route, OCSP off: nobody asked" 0 $(($(requests) - R3))
assert_contains "route, OCSP off: the refusal audited" "admin|127.0.0.1|revocation check|OCSP status of every certificate|refused" "$(audit_last)"
must "OCSP on again" revocation config --ocsp on
cf revocation check >/dev/null || true
stop_certfleetd

# ---- 3. certfleetd asks again on the interval -----------------------------------------------------
cfx revocation config --interval 5s
expect_rc "an interval under 10 s" 3
must "a 10 s interval" --json revocation config --interval 10s
assert_eq "shown as given" 10s "$(json 'd["interval"]' <"$LAST")"
cfx revocation check
expect_rc "checked again just now" 7
index revoked later good # revoked at the responder after the last check
start
login
found=""
for _ in $(seq 1 120); do
	if [ "$(revoked_in_doctor)" == "$N1/CallManager-ECDSA $N1/tomcat-ECDSA $N2/tomcat-ECDSA" ]; then
		found=yes
		break
	fi
	sleep 0.5
done
assert_eq "certfleetd recorded the new revocation by itself" yes "$found"
sleep 0.5
assert_eq "a log line for each place of it" "$N1 $N2" \
	"$(grep 'tomcat-ECDSA "ucm1.example.com" is revoked' "$T/daemon.err" | grep -o 'ucm[12].example.com purpose' | cut -d' ' -f1 | xargs)"
assert_eq "none for the one revoked before" 0 "$(grep -c 'CallManager-ECDSA.*is revoked' "$T/daemon.err" || true)"
CODE=$(curl -sk -o certs.json -w '%{http_code}' -b admin.jar "$BASE/certificates?purpose=tomcat-ECDSA")
assert_eq "list route" 200 "$CODE"
assert_eq "list: revoked, from OCSP, on both nodes" "revoked/ocsp revoked/ocsp" \
	"$(json '" ".join(c["revocation"] + "/" + c["revocation_source"] for c in d["items"])' <certs.json)"
CODE=$(curl -sk -o certs.json -w '%{http_code}' -b admin.jar "$BASE/certificates?purpose=CallManager-ECDSA&node=$N2")
assert_eq "list: unknown, from OCSP (no CRL)" "unknown/ocsp" \
	"$(json '" ".join(c["revocation"] + "/" + c["revocation_source"] for c in d["items"])' <certs.json)"
ID=$(json 'd["items"][0]["id"]' <certs.json)
CODE=$(curl -sk -o one.json -w '%{http_code}' -b admin.jar "$BASE/certificates/$ID/revocation")
assert_eq "details route" 200 "$CODE"
assert_eq "details: as the list, from OCSP" "unknown/ocsp" "$(json 'd["status"] + "/" + d["source"]' <one.json)"
assert_contains "details: the responder asked and when" "OCSP http://127.0.0.1" "$(json 'd["message"]' <one.json)"
CODE=$(curl -sk -o certs.json -w '%{http_code}' -b admin.jar "$BASE/certificates?purpose=tomcat-ECDSA&node=$N1")
ID=$(json 'd["items"][0]["id"]' <certs.json)
CODE=$(curl -sk -o one.json -w '%{http_code}' -b admin.jar "$BASE/certificates/$ID/revocation")
assert_eq "details: revoked, from OCSP" "revoked/ocsp" "$(json 'd["status"] + "/" + d["source"]' <one.json)"
assert_contains "details: how the answer was trusted" "(delegated)" "$(json 'd["message"]' <one.json)"
CODE=$(curl -sk -o certs.json -w '%{http_code}' -b admin.jar "$BASE/certificates?store=tomcat-trust&node=$N1")
assert_eq "list: a root, never asked, no CRL" "unknown/crl" \
	"$(json '" ".join(c["revocation"] + "/" + c["revocation_source"] for c in d["items"] if c["cn"] == "Revcheck Test Root")' <certs.json)"
# the command line's list says the same of every certificate (one decision, in core)
words='" ".join("%s:%s/%s" % (c["id"], c["revocation"], c["revocation_source"]) for c in sorted(d["items"], key=lambda c: c["id"]))'
curl -sk -o all.json -b admin.jar "$BASE/certificates?limit=1000"
cf --json cert list >cli.json
assert_eq "cert list --json and the API agree on every certificate's revocation" "$(json "$words" <all.json)" \
	"$(json "$words" <cli.json)"
assert_contains "among them revoked from OCSP" "revoked/ocsp" "$(json "$words" <cli.json)"
assert_clean_stop

assert_eq "no sanitizer report" "" "$(grep -lE 'runtime error|Sanitizer' "$T"/log/* "$T/daemon.err" 2>/dev/null || true)"
# no response or log line holds a private key
assert_eq "no private key in any output" "" "$(grep -l 'PRIVATE KEY' "$T"/log/* "$T/daemon.err" resp.json certs.json 2>/dev/null || true)"
kill $RESPONDER 2>/dev/null || true
finish
