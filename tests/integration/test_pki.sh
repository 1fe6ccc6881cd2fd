#!/usr/bin/env bash
# certfleetd --pki-listen (SPEC §9): the local CA's OCSP responder and CRL over plain HTTP, with the
# openssl command and curl as the oracles. Answers signed ahead by the ca-ocsp duty: good over POST
# (with and without a nonce) and RFC 5019 GET with cache headers; revoked within a second of
# `ca revoke`, with its reason; unknown for a serial the CA never issued; unauthorized for another
# issuer's CertID; malformedRequest for garbage, and the daemon still answering; the CRL with its
# cache headers, verified by openssl and listing the revoked serial; certfleet's own OCSP client
# and CRL download reading them; a delegated responder certificate (OCSPSigning, ocsp-nocheck).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1
new_store
NODE=ucm1.example.com
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
PKI=$(free_port)
URL=http://127.0.0.1:$PKI

# a CA made by openssl and imported (so the test can also sign a certificate the CA never recorded)
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/O=Example/CN=PKI Test CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
must "ca import" ca import pki --cert ca.pem --key ca.key
must "ca config --base-url" ca config pki --base-url "$URL"
for n in a b c; do
	openssl req -new -newkey rsa:2048 -nodes -keyout $n.key -subj "/CN=$n.example.com" -out $n.csr 2>/dev/null
	cf ca issue --ca pki --profile tomcat $n.csr >$n.pem
done
# never issued by certfleet: the same key, a serial of its own
openssl x509 -req -in c.csr -CA ca.pem -CAkey ca.key -set_serial 0x7a7a7a7a -days 30 -out stranger.pem 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 30 -subj "/CN=Other CA" 2>/dev/null
openssl x509 -req -in a.csr -CA other.pem -CAkey other.key -set_serial 5 -days 30 -out foreign.pem 2>/dev/null

start_certfleetd --pki-listen "127.0.0.1:$PKI"
for _ in $(seq 1 300); do grep -q "ca: pki: .* OCSP answers signed" "$T/daemon.err" && break; sleep 0.1; done
assert_contains "the ca-ocsp duty signs the answers ahead" "ca: pki: 3 certificates' OCSP answers signed" "$(cat "$T/daemon.err")"
assert_eq "ca list: three certificates answered ahead, by the CA" "3 ca True" \
	"$(cf --json ca list | json "' '.join(str(x) for x in (d['items'][0]['ocsp_answers'], d['items'][0]['ocsp_responder'], d['items'][0]['ocsp_oldest'] is not None))")"
assert_contains "certfleetd says where it serves them" "serving the local CAs' CRLs and OCSP on $URL/" "$(cat "$T/daemon.err")"

# ask CERT [openssl ocsp options]: openssl ocsp's verdict line about CERT and whether it verified
ask() {
	local cert=$1
	shift
	openssl ocsp -issuer ca.pem "$@" -cert "$cert" -url "$URL/ocsp/pki" -CAfile ca.pem >ask.out 2>&1 || true
	grep -E "^$cert: |Response verify OK|Responder Error" ask.out | tr '\n' ' ' | sed 's/ $//'
}
assert_eq "POST with a nonce: good, verified" "Response verify OK a.pem: good" "$(ask a.pem)"
assert_eq "POST without a nonce (an answer signed ahead)" "Response verify OK a.pem: good" "$(ask a.pem -no_nonce)"
assert_eq "a SHA-256 CertID" "Response verify OK b.pem: good" "$(ask b.pem -no_nonce -sha256)"
sleep 1.1
ASKED=$(date +%s)
THIS=$(openssl ocsp -issuer ca.pem -cert b.pem -url "$URL/ocsp/pki" -CAfile ca.pem -no_nonce 2>/dev/null | sed -n 's/^\s*This Update: //p')
assert_eq "...signed ahead (its thisUpdate before the question)" 1 "$(( $(date -d "$THIS" +%s) < ASKED ? 1 : 0 ))"

# RFC 5019 GET: URL-encoded base64, cache headers
openssl ocsp -issuer ca.pem -cert a.pem -reqout get.der -no_nonce 2>/dev/null
ENC=$(base64 -w0 get.der | sed 's|+|%2B|g; s|/|%2F|g; s|=|%3D|g')
curl -s -D get.hdr -o get.resp "$URL/ocsp/pki/$ENC"
assert_contains "GET: 200" "HTTP/1.1 200" "$(cat get.hdr)"
assert_contains "...application/ocsp-response" "Content-Type: application/ocsp-response" "$(cat get.hdr)"
assert_contains "...may be cached" "Cache-Control: public, max-age=" "$(cat get.hdr)"
assert_eq "...openssl reads the answer" "Response verify OK a.pem: good" \
	"$(openssl ocsp -respin get.resp -issuer ca.pem -CAfile ca.pem -cert a.pem 2>&1 | grep -E '^a.pem: |Response verify OK' | tr '\n' ' ' | sed 's/ $//')"

# unknown, unauthorized, malformed; the daemon keeps answering
assert_eq "a serial the CA never issued: unknown" "Response verify OK stranger.pem: unknown" "$(ask stranger.pem -no_nonce)"
openssl ocsp -issuer other.pem -cert foreign.pem -url "$URL/ocsp/pki" -no_nonce >foreign.out 2>&1 || true
assert_contains "another issuer's certificate: unauthorized" "Responder Error: unauthorized" "$(cat foreign.out)"
assert_eq "garbage: malformedRequest" "30030a0101" \
	"$(curl -s -X POST --data-binary 'not an OCSP request' -H 'Content-Type: application/ocsp-request' "$URL/ocsp/pki" | xxd -p)"
assert_eq "a truncated request: malformedRequest" "30030a0101" \
	"$(head -c 40 get.der | curl -s -X POST --data-binary @- -H 'Content-Type: application/ocsp-request' "$URL/ocsp/pki" | xxd -p)"
assert_eq "GET of garbage: malformedRequest" "30030a0101" "$(curl -s "$URL/ocsp/pki/%%%%" | xxd -p)"
assert_eq "an unknown CA: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @get.der "$URL/ocsp/nosuch")"
assert_eq "an unknown path: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/other")"
assert_eq "PUT: refused" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @get.der "$URL/ocsp/pki")"
head -c 100000 /dev/urandom >big.bin
assert_eq "a body over 64 KiB: refused" 413 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @big.bin "$URL/ocsp/pki")"
assert_eq "...and the responder still answers" "Response verify OK a.pem: good" "$(ask a.pem)"

# ---- revocation visible within a second -------------------------------------------------------------
SER=$(openssl x509 -in b.pem -noout -serial | cut -d= -f2)
cf ca revoke --ca pki --serial "$SER" --reason keyCompromise >/dev/null
T0=$(date +%s%N)
GOT=""
while [ $(( ($(date +%s%N) - T0) / 1000000 )) -lt 1000 ]; do
	GOT=$(ask b.pem -no_nonce)
	[ "$GOT" = "Response verify OK b.pem: revoked" ] && break
	sleep 0.05
done
assert_eq "revoked within a second of ca revoke (answer signed ahead)" "Response verify OK b.pem: revoked" "$GOT"
assert_contains "...with its reason" "Reason: keyCompromise" "$(cat ask.out)"
assert_eq "...and over a nonce (signed on demand)" "Response verify OK b.pem: revoked" "$(ask b.pem)"

# ---- the CRL ---------------------------------------------------------------------------------
curl -s -D crl.hdr -o crl.der "$URL/crl/pki.crl"
assert_contains "GET /crl/pki.crl: 200" "HTTP/1.1 200" "$(cat crl.hdr)"
assert_contains "...application/pkix-crl" "Content-Type: application/pkix-crl" "$(cat crl.hdr)"
assert_contains "...Expires at its nextUpdate" "Expires: " "$(cat crl.hdr)"
assert_contains "...Last-Modified at its thisUpdate" "Last-Modified: " "$(cat crl.hdr)"
assert_eq "openssl verifies it" "verify OK" "$(openssl crl -inform DER -in crl.der -CAfile ca.pem -noout -verify 2>&1)"
assert_contains "...it lists the revoked serial" "Serial Number: $SER" "$(openssl crl -inform DER -in crl.der -noout -text)"
assert_eq "HEAD: the headers alone" "0" "$(curl -s -I "$URL/crl/pki.crl" -o /dev/null -w '%{size_download}')"
assert_eq "an unknown CA's CRL: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/crl/nosuch.crl")"

# ---- certfleet's own clients ------------------------------------------------------------------------
cfx --json ocsp check a.pem --issuer ca.pem
expect_rc "certfleet ocsp check: good (the AIA's URL)" 0
assert_eq "...delegated model (the CA signs), nonce matched" "good delegated matched $URL/ocsp/pki" \
	"$(echo "$OUT" | json "d['status'] + ' ' + d['trust_model'] + ' ' + d['nonce'] + ' ' + d['url']")"
cfx --json ocsp check b.pem --issuer ca.pem
assert_eq "certfleet ocsp check: revoked, keyCompromise" "revoked keyCompromise" "$(echo "$OUT" | json "d['status'] + ' ' + d['reason']")"
cf trust add --node $NODE --store tomcat-trust ca.pem >/dev/null
must "crl dp add: the CA's distribution point" crl dp add "$URL/crl/pki.crl"
must "crl update: downloads it" crl update
assert_eq "...kept, one revoked entry" "1" "$(cf --json crl list | json "[c['entries'] for c in d['items'] if 'PKI Test CA' in c['issuer']][0]")"
cfx validate b.pem --node $NODE --store tomcat-trust --revocation
expect_rc "certfleet's validate: revoked by the downloaded CRL" 7

# ---- a delegated responder ----------------------------------------------------------------------------
must "ca config --ocsp-responder delegated" --json ca config pki --ocsp-responder delegated
assert_eq "...shown" delegated "$(echo "$OUT" | json 'd["ocsp_responder"]')"
for _ in $(seq 1 100); do
	openssl ocsp -issuer ca.pem -cert a.pem -url "$URL/ocsp/pki" -CAfile ca.pem -no_nonce -resp_text >del.out 2>&1 || true
	grep -q "pki OCSP Responder" del.out && break
	sleep 0.1
done
assert_contains "answers signed by the delegated responder (its certificate in the answer)" "Subject: CN=pki OCSP Responder" "$(cat del.out)"
assert_contains "...verified by openssl" "Response verify OK" "$(cat del.out)"
assert_contains "...its certificate: OCSP Signing, OCSP No Check" "OCSP Signing" "$(cat del.out)"
assert_contains "...and ocsp-nocheck" "OCSP No Check" "$(cat del.out)"
cfx --json ocsp check a.pem --issuer ca.pem
assert_eq "certfleet ocsp check accepts it: delegated, no-check" "good delegated True" \
	"$(echo "$OUT" | json "d['status'] + ' ' + d['trust_model'] + ' ' + str(d['nocheck'])")"

assert_clean_stop
assert_contains "certfleetd counts its answers when it stops" "PKI listener stopped: " "$(cat "$T/daemon.err")"
AHEAD=$(sed -n 's/.*PKI listener stopped: \([0-9]*\) OCSP answers signed ahead.*/\1/p' "$T/daemon.err")
assert_eq "...most answered from those signed ahead" 1 "$([ "${AHEAD:-0}" -ge 5 ] && echo 1 || echo 0)"
assert_no_sanitizer_report "the PKI listener"
assert_eq "no private key in any output" "" "$(grep -l 'PRIVATE KEY' "$T"/log/* 2>/dev/null || true)"
finish
