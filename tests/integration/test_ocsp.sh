#!/usr/bin/env bash
# OCSP (SPEC §6.1): `certfleet ocsp check` against `openssl ocsp` responders on loopback, over a
# PKI made here (root CA -> issuing CA -> leaves; index.txt with one good and one revoked leaf):
#   1. signed by the issuing CA itself (delegated)
#   2. signed by a responder certificate the issuing CA issued with OCSPSigning (delegated)
#   3. signed by an unrelated responder whose certificate is in the node's tomcat-trust
#      (trusted-responder: passes only through that fallback), and the same responder without it
#      in any trust store (fails)
#   4. unknown (a leaf missing from the index) in normal and --strict mode
#   5. the responder down; a stale response (certfleet's clock moved past nextUpdate)
#   and a responder that refuses SHA-256 CertIDs (the SHA-1 fallback, reported)
#   6. the --json shape, the issuer found in FILE's chain and in a trust store, the AIA URI
. "$(dirname "$0")/lib.sh"
CERTFLEET=$(realpath "$CERTFLEET")
cd "$T" || exit 1

# ---- the PKI -------------------------------------------------------------------------------------
PORT_CA=$(free_port)
PORT_DEL=$(free_port)
PORT_TRP=$(free_port)
PORT_DOWN=$(free_port)

cat >ext.cnf <<EOF
[req]
distinguished_name=dn
[dn]
[v3ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
authorityInfoAccess=OCSP;URI:http://127.0.0.1:$PORT_CA/
[responder]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
noCheck=ignored
[noeku]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
# sign NAME CN ISSUER EXT
sign() {
	key "$1"
	openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
		-extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
}
key root
openssl req -x509 -new -key root.key -subj "/CN=OCSP Test Root" -days 30 -config ext.cnf -extensions v3ca \
	-out root.pem 2>/dev/null
sign issuing "OCSP Test Issuing CA" root v3ca
sign good "good.example.com" issuing leaf
sign revoked "revoked.example.com" issuing leaf
sign unlisted "unlisted.example.com" issuing leaf
sign delegate "OCSP Delegated Responder" issuing responder
sign noeku "OCSP Responder Without EKU" issuing noeku
key other
openssl req -x509 -new -key other.key -subj "/CN=Unrelated OCSP Responder" -days 30 -config ext.cnf \
	-extensions responder -out other.pem 2>/dev/null
cat good.pem issuing.pem >good-chain.pem

# index.txt: good valid, revoked revoked (keyCompromise); unlisted is not in it
idx() { # STATUS PEM [REVOCATION]
	local serial subj enddate
	serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)
	subj=$(openssl x509 -in "$2" -noout -subject -nameopt compat | sed 's/^subject=//')
	enddate=$(date -u -d "$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
	printf '%s\t%s\t%s\t%s\tunknown\t%s\n' "$1" "$enddate" "${3:-}" "$serial" "$subj"
}
REVOKED_AT=$(date -u -d '-1 hour' +%y%m%d%H%M%SZ)
{
	idx V good.pem
	idx R revoked.pem "$REVOKED_AT,keyCompromise"
} >index.txt

# ---- responders ------------------------------------------------------------------------------------
# `openssl ocsp -port` listens on every interface; so a small HTTP front bound to 127.0.0.1 hands
# each POSTed request to `openssl ocsp -reqin ... -respout ...` (the same responder code, with the
# index, signer and -nmin given) and returns its response. With --refuse-sha256 it answers
# malformedRequest to a request whose CertID is hashed with SHA-256, as SHA-1-only responders do.
cat >ocspfront.py <<'PYEOF'
import http.server, subprocess, sys, tempfile, os
port, refuse, args = int(sys.argv[1]), sys.argv[2] == "--refuse-sha256", sys.argv[3:]
SHA256_OID = bytes.fromhex("0609608648016503040201")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if refuse and SHA256_OID in req:
            resp = bytes.fromhex("30030a0101")  # OCSPResponse{malformedRequest}
        else:
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
declare -A RPID=()
# responder NAME PORT SIGNER [--refuse-sha256] [openssl ocsp options...]
responder() {
	local name=$1 port=$2 signer=$3 mode=- i
	shift 3
	if [ "${1:-}" == --refuse-sha256 ]; then
		mode=$1
		shift
	fi
	python3 ocspfront.py "$port" "$mode" -index index.txt -rsigner "$signer.pem" -rkey "$signer.key" \
		-CA issuing.pem "$@" >"ocsp.$name.log" 2>&1 &
	RPID[$name]=$!
	for ((i = 0; i < 100; i++)); do
		grep -q READY "ocsp.$name.log" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "OCSP responder $name did not start: $(cat "ocsp.$name.log")"
}
stop_all() {
	local n
	for n in "${!RPID[@]}"; do
		kill "${RPID[$n]}" 2>/dev/null || true
		wait "${RPID[$n]}" 2>/dev/null || true
	done
}
on_exit stop_all

responder ca "$PORT_CA" issuing -nmin 5
responder del "$PORT_DEL" delegate -nmin 5
responder trp "$PORT_TRP" other -nmin 5

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
URL_CA="http://127.0.0.1:$PORT_CA/"
URL_DEL="http://127.0.0.1:$PORT_DEL/"
URL_TRP="http://127.0.0.1:$PORT_TRP/"
js() { json "$1" <"$LAST"; }

# ---- 1. signed by the issuing CA ---------------------------------------------------------------------
must "good, CA-signed (URL from AIA)" ocsp check good.pem --issuer issuing.pem
assert_eq "good line" "good (delegated)" "$(head -1 "$LAST")"
assert_contains "responder named" "CN=OCSP Test Issuing CA" "$OUT"
cfx --json ocsp check good.pem --issuer issuing.pem
expect_rc "good --json" 0
assert_eq "json keys" '["cached", "certid_hash", "next_update", "nocheck", "nonce", "responder", "sha1_fallback", "status", "this_update", "trust_model", "url"]' "$(js 'sorted(d)')"
assert_eq "json status" "good delegated sha256 matched" "$(js 'd["status"]+" "+d["trust_model"]+" "+d["certid_hash"]+" "+d["nonce"]')"
assert_eq "json url" "$URL_CA" "$(js 'd["url"]')"
# nextUpdate = thisUpdate + 5 min (-nmin 5)
assert_eq "next_update - this_update" 300 "$(js '__import__("calendar").timegm(__import__("time").strptime(d["next_update"],"%Y-%m-%dT%H:%M:%SZ")) - __import__("calendar").timegm(__import__("time").strptime(d["this_update"],"%Y-%m-%dT%H:%M:%SZ"))')"

cfx --json ocsp check revoked.pem --issuer issuing.pem
expect_rc "revoked: errors found" 7
assert_eq "revoked json" "revoked keyCompromise" "$(js 'd["status"]+" "+d["reason"]')"
assert_eq "revoked_at" "$(date -u -d "20${REVOKED_AT:0:2}-${REVOKED_AT:2:2}-${REVOKED_AT:4:2} ${REVOKED_AT:6:2}:${REVOKED_AT:8:2}:${REVOKED_AT:10:2}" +%Y-%m-%dT%H:%M:%SZ)" "$(js 'd["revoked_at"]')"
cfx ocsp check revoked.pem --issuer issuing.pem
assert_eq "revoked line" "revoked (delegated)" "$(head -1 "$LAST")"

# the issuer from the chain in FILE, and from a trust store
must "issuer from FILE's chain" ocsp check good-chain.pem
must "trust add issuing CA" trust add --node ucm1.example.com --store CallManager-trust issuing.pem
must "issuer from --node/--store" ocsp check good.pem --node ucm1.example.com --store CallManager-trust
cfx ocsp check good.pem
expect_rc "no issuer anywhere" 3
assert_contains "no issuer message" "no issuer" "$ERR"
cfx ocsp check good.pem --issuer root.pem
expect_rc "wrong --issuer" 3

# --sha1: a SHA-1 CertID on request
cfx --json ocsp check good.pem --issuer issuing.pem --sha1
expect_rc "--sha1" 0
assert_eq "--sha1 certid" "sha1 good" "$(js 'd["certid_hash"]+" "+d["status"]')"

# a responder that refuses SHA-256 CertIDs: asked again with SHA-1, and certfleet says so
PORT_SHA1=$(free_port)
responder sha1only "$PORT_SHA1" issuing --refuse-sha256 -nmin 5
cfx --json ocsp check revoked.pem --issuer issuing.pem --url "http://127.0.0.1:$PORT_SHA1/"
expect_rc "SHA-1 fallback: revoked" 7
assert_eq "SHA-1 fallback json" "revoked sha1 True" "$(js 'd["status"]+" "+d["certid_hash"]+" "+str(d["sha1_fallback"])')"
cfx ocsp check good.pem --issuer issuing.pem --url "http://127.0.0.1:$PORT_SHA1/"
expect_rc "SHA-1 fallback: good" 0
assert_contains "SHA-1 fallback said" "answered malformedRequest to the SHA-256 CertID; asked again with SHA-1" "$OUT"
cfx --json ocsp check good.pem --issuer issuing.pem --url "$URL_CA"
assert_eq "no fallback when SHA-256 is answered" "sha256 False" "$(js 'd["certid_hash"]+" "+str(d["sha1_fallback"])')"

# ---- 2. a delegated responder certificate --------------------------------------------------------
cfx --json ocsp check good.pem --issuer issuing.pem --url "$URL_DEL"
expect_rc "delegated responder" 0
assert_eq "delegated json" "good delegated True" "$(js 'd["status"]+" "+d["trust_model"]+" "+str(d["nocheck"])')"
assert_contains "delegated responder named" "CN=OCSP Delegated Responder" "$(js 'd["responder"]')"
cfx ocsp check revoked.pem --issuer issuing.pem --url "$URL_DEL"
expect_rc "delegated responder: revoked" 7
assert_contains "nocheck noted" "id-pkix-ocsp-nocheck" "$OUT"

# a responder certificate from the issuer but without OCSPSigning is not a delegate
PORT_NOEKU=$(free_port)
responder noeku "$PORT_NOEKU" noeku -nmin 5
cfx ocsp check good.pem --issuer issuing.pem --url "http://127.0.0.1:$PORT_NOEKU/"
expect_rc "responder without OCSPSigning: untrusted" 6
assert_contains "no-EKU reason" "OCSPSigning" "$ERR"

# ---- 3. trusted-responder: only through tomcat-trust -------------------------------------------------
cfx ocsp check good.pem --issuer issuing.pem --url "$URL_TRP"
expect_rc "unrelated responder, no trust: fails" 6
assert_contains "untrusted message" "untrusted response" "$ERR"
assert_eq "one error line" 1 "$(wc -l <"$T/log/$NCMD.err")"
cfx ocsp check good.pem --issuer issuing.pem --url "$URL_TRP" --node ucm1.example.com
expect_rc "unrelated responder, not in tomcat-trust: fails" 6
# in another trust store it does not count either
must "trust add responder to CallManager-trust" trust add --node ucm1.example.com --store CallManager-trust other.pem
cfx ocsp check good.pem --issuer issuing.pem --url "$URL_TRP" --node ucm1.example.com
expect_rc "responder in CallManager-trust only: fails" 6
must "trust add responder to tomcat-trust" trust add --node ucm1.example.com --store tomcat-trust other.pem
cfx --json ocsp check good.pem --issuer issuing.pem --url "$URL_TRP" --node ucm1.example.com
expect_rc "trusted responder: good" 0
assert_eq "trusted-responder json" "good trusted-responder" "$(js 'd["status"]+" "+d["trust_model"]')"
cfx ocsp check revoked.pem --issuer issuing.pem --url "$URL_TRP" --node ucm1.example.com
expect_rc "trusted responder: revoked" 7
assert_eq "trusted-responder line" "revoked (trusted-responder)" "$(head -1 "$LAST")"
# the CA-signed response stays delegated with the node given
cfx --json ocsp check good.pem --issuer issuing.pem --node ucm1.example.com
assert_eq "delegated first" "delegated" "$(js 'd["trust_model"]')"

# ---- 4. unknown: normal vs strict ------------------------------------------------------------------
cfx --json ocsp check unlisted.pem --issuer issuing.pem
expect_rc "unknown, normal mode" 0
assert_eq "unknown status" "unknown" "$(js 'd["status"]')"
cfx ocsp check unlisted.pem --issuer issuing.pem --strict
expect_rc "unknown, strict mode" 7
assert_eq "unknown line" "unknown (delegated)" "$(head -1 "$LAST")"
cfx ocsp check good.pem --issuer issuing.pem --strict
expect_rc "good, strict mode" 0
cfx ocsp check revoked.pem --issuer issuing.pem --strict
expect_rc "revoked, strict mode" 7

# ---- 5. responder down; stale -------------------------------------------------------------------
cfx ocsp check good.pem --issuer issuing.pem --url "http://127.0.0.1:$PORT_DOWN/"
expect_rc "responder down" 6
assert_eq "down: one line" 1 "$(wc -l <"$T/log/$NCMD.err")"
assert_contains "down: what" "certfleet: http://127.0.0.1:$PORT_DOWN/: responder unreachable" "$ERR"
cfx --json ocsp check good.pem --issuer issuing.pem --url "http://127.0.0.1:$PORT_DOWN/"
expect_rc "responder down --json" 6
assert_eq "down json error" 6 "$(js 'd["error"]["code"]')"

# nextUpdate is thisUpdate + 5 min: one hour later the answer is stale
LATER=$(($(date +%s) + 3600))
CERTFLEET_NOW=$LATER cfx ocsp check good.pem --issuer issuing.pem
expect_rc "stale response" 6
assert_contains "stale message" "stale response" "$ERR"
# within the skew allowance it is not
SOON=$(($(date +%s) + 300 + 120))
CERTFLEET_NOW=$SOON cfx ocsp check good.pem --issuer issuing.pem
expect_rc "nextUpdate passed by less than the skew" 0
# a response from the future (certfleet's clock an hour behind) is refused
CERTFLEET_NOW=$(($(date +%s) - 3600)) cfx ocsp check good.pem --issuer issuing.pem
expect_rc "thisUpdate in the future" 6
assert_contains "future message" "thisUpdate is in the future" "$ERR"

# ---- 6. input errors -----------------------------------------------------------------------------
cfx ocsp check good.pem --issuer issuing.pem --store CallManager-trust
expect_rc "--store without --node" 2
cfx ocsp check issuing.pem --issuer root.pem
expect_rc "no AIA and no --url" 3
assert_contains "no AIA message" "--url" "$ERR"

# ---- 7. validate --revocation asks OCSP when it is on -------------------------------------------------
vr() { cf validate "$1" --node ucm1.example.com --store CallManager-trust --revocation >"$T/vr.out" 2>&1 && echo ok || echo "rc$?"; }
assert_eq "OCSP off: no CRL, no status, not a failure" ok "$(vr good.pem)"
must "OCSP on (the certificate's AIA URI)" revocation config --ocsp on
assert_eq "good through OCSP" ok "$(vr good.pem)"
assert_contains "says OCSP answered" "OCSP good" "$(cat "$T/vr.out")"
assert_eq "revoked through OCSP" rc7 "$(vr revoked.pem)"
assert_contains "revoked line" "OCSP revoked" "$(cat "$T/vr.out")"
must "a responder that is down" revocation config --ocsp-uri "http://127.0.0.1:$PORT_DOWN/"
assert_eq "down, no CRL, normal mode: no status" ok "$(vr good.pem)"
assert_contains "says why" "no status could be had" "$(cat "$T/vr.out")"
must "strict" revocation config --strict on
assert_eq "down, no CRL, strict mode" rc7 "$(vr good.pem)"
must "checking off" revocation config --check off --strict off
assert_eq "revocation checking off" ok "$(vr revoked.pem)"

stop_all
finish
