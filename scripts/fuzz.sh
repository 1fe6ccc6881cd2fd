#!/bin/bash
# Runs each fuzz target for a bounded time. Seeds come from tests/fuzz/corpus/<target>/ (real
# files made by openssl and certfleet); new findings stay in build-fuzz/corpus/.
set -euo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
cd "$(dirname "$0")/.."
mkdir -p tests/fuzz/corpus/{cert,csr,key,names,starttls,http,crl,ocsp,ocsp_request,crlidx,jws,acme,challenge_request}
# Seed corpora from real files if empty.
if [ -z "$(ls -A tests/fuzz/corpus/cert)" ]; then
	d=$(mktemp -d)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$d/k.pem" \
		-out tests/fuzz/corpus/cert/ec.pem -subj "/CN=n1.example.com" -addext subjectAltName=DNS:n1.example.com 2>/dev/null
	openssl x509 -in tests/fuzz/corpus/cert/ec.pem -outform DER -out tests/fuzz/corpus/cert/ec.der
	openssl req -new -key "$d/k.pem" -subj "/CN=n1.example.com" -out tests/fuzz/corpus/csr/req.pem
	openssl req -in tests/fuzz/corpus/csr/req.pem -outform DER -out tests/fuzz/corpus/csr/req.der
	cp "$d/k.pem" tests/fuzz/corpus/key/ec.pem
	printf 'cucm-pub.example.com' > tests/fuzz/corpus/names/fqdn
	printf '*.example.com,chat.example.com' > tests/fuzz/corpus/names/list
	rm -rf "$d"
fi
# http: certfleetd's request handling; its seeds (tests/fuzz/corpus/http/) are committed requests
# for every route, carrying the harness's fixed session cookie and CSRF token (see fuzz_http.c);
# the limits_* seeds reach the connection limits (bodies declared over 1 MiB, chunked past it,
# uploads with and without the admin session and token, pipelined heads, an unfinished head).
# crl: the CRL walker; its seeds (tests/fuzz/corpus/crl/) are committed CRLs made with openssl
# (empty, a few entries, reason codes, CRL number, v1, no nextUpdate, delta; PEM and DER; RSA and
# EC issuers, whose certificates fuzz_crl.c carries to check signatures against).
# ocsp: OCSP responses; its seeds (tests/fuzz/corpus/ocsp/) are committed `openssl ocsp` responses
# about the certificates fuzz_ocsp.c carries (CA-signed, delegated, trusted responder; good,
# revoked; SHA-1 CertID; nonce; malformedRequest).
# ocsp_request: the OCSP responder's request reader and, for what it accepts, the response builder;
# its seeds (tests/fuzz/corpus/ocsp_request/) are committed `openssl ocsp -reqout` requests (with
# and without a nonce, SHA-1, SHA-256 and SHA-384 CertIDs, two certificates, a signed request) and
# broken ones (truncated, a byte after, version 2, an unknown critical extension, a 33-octet nonce,
# nine CertIDs).
# crlidx: a CRL's index as the store keeps it; its seeds (tests/fuzz/corpus/crlidx/) are the indexes
# of the crl seeds and of two more openssl CRLs (serials of 1 to 21 octets with a revocation time
# before 1970; an Ed25519 delta CRL, whose index keeps the signed bytes), made with
# `crlcheck index CRL OUT`.
# jws: the JWS code and base64url; its seeds (tests/fuzz/corpus/jws/) are committed account keys
# made with openssl (P-256 PEM and DER, RSA-2048, a P-384 key it refuses) and base64url texts.
# acme: what an ACME server sends; its seeds (tests/fuzz/corpus/acme/) are RFC 8555's example
# directory, order and authorization, an invalid order with subproblems and a badNonce problem.
# challenge_request: the HTTP-01 responder's request parser; its seeds
# (tests/fuzz/corpus/challenge_request/) are validators' requests (pebble's Go client, Let's
# Encrypt's) and ones it refuses or answers 404.
for t in cert csr key names starttls http crl ocsp ocsp_request crlidx jws acme challenge_request; do
	mkdir -p "$BUILD/corpus/$t"
	echo "fuzz_$t: ${SECONDS_EACH}s"
	"$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=1 \
		"$BUILD/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | tail -4
done
