#!/bin/bash
# The main job of `make run`: a demo deployment in an embedded SQLite store — one call-control
# cluster (two Unified CM and two IM and Presence nodes), one Expressway-C and one
# Expressway-E — renewed with a CA-signed multi-server tomcat certificate (openssl plays the
# external CA), then the status of every node and what the doctor finds.
set -euo pipefail
CF_BIN=$(realpath "${1:-build/certfleet}")
DEMO=$(realpath -m "${DEMO_DIR:-build/demo}")
rm -rf "$DEMO"
mkdir -p "$DEMO"
export CERTFLEET_STORE="$DEMO/certfleet.db"
cf() { echo "\$ certfleet $*" >&2; "$CF_BIN" "$@"; }

cf init
cf cluster add uc
cf cluster set uc presence-domains example.com
cf cluster set uc dn.O "Example Corp"
cf cluster set uc dn.OU "Collaboration"
cf cluster set uc dn.L Tokyo
cf cluster set uc dn.C JP
cf node add cucm-pub.example.com --cluster uc --product ucm --ip 192.0.2.10 >/dev/null
cf node add cucm-sub1.example.com --cluster uc --product ucm --ip 192.0.2.11 >/dev/null
cf node add imp-pub.example.com --cluster uc --product imp --ip 192.0.2.20 >/dev/null
cf node add imp-sub1.example.com --cluster uc --product imp --ip 192.0.2.21 >/dev/null
cf cluster add edge-c
cf cluster set edge-c phone-security-profiles dx80-secure.example.com
cf node add expc.example.com --cluster edge-c --product expressway-c >/dev/null
cf cluster add edge-e
cf cluster set edge-e ucm-registration-domains example.com
cf cluster set edge-e registration-domain-format collab-edge
cf node add expe.example.com --cluster edge-e --product expressway-e >/dev/null

# An external CA (openssl), its root in tomcat-trust on the publisher: it lands on every node.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$DEMO/ca.key" -out "$DEMO/ca.pem" -days 3650 \
	-subj "/O=Example Corp/CN=Example Corp Root CA" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cf trust add --node cucm-pub.example.com --store tomcat-trust "$DEMO/ca.pem" --description "Example Corp Root CA"

# A multi-server tomcat CSR on the publisher, signed outside, uploaded once for all nodes.
cf csr generate --node cucm-pub.example.com --purpose tomcat --multi-server | sed "/-----BEGIN/,/-----END/d"
"$CF_BIN" csr show --node cucm-pub.example.com --purpose tomcat --pem > "$DEMO/tomcat.csr"
openssl x509 -req -in "$DEMO/tomcat.csr" -CA "$DEMO/ca.pem" -CAkey "$DEMO/ca.key" -CAcreateserial \
	-days 730 -copy_extensions copy -out "$DEMO/tomcat.pem" 2>/dev/null
cf cert upload --node cucm-pub.example.com --purpose tomcat "$DEMO/tomcat.pem"

# What the Expressway-E CSR would carry.
cf csr generate --node expe.example.com --purpose server | sed -n '1,4p'

echo
echo "Status of the deployment in $CERTFLEET_STORE:"
cf status
echo
echo "Certificates expiring within 2 years:"
cf cert list --expiring 730
echo
echo "What the doctor finds (exit 7 when any finding is an error):"
cf doctor || true
