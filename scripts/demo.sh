#!/bin/bash
# The main job of `make run`: a demo deployment in an embedded SQLite store — one call-control
# cluster (two Unified CM and two IM and Presence nodes), one Expressway-C and one
# Expressway-E — renewed with a CA-signed multi-server tomcat certificate (openssl plays the
# external CA), three phones' LSCs, the status of every node and what the doctor finds; then certfleetd serves the
# web page and the API on https://127.0.0.1:8443 (CERTFLEET_LISTEN) until Ctrl-C.
# The store is kept between runs (build/demo, or DEMO_DIR); the deployment and the admin
# account are made when it is new. The admin's random password is printed once, at creation.
set -euo pipefail
CF_BIN=$(realpath "${1:-build/certfleet}")
CFD_BIN=$(realpath "${2:-build/certfleetd}")
LISTEN=${CERTFLEET_LISTEN:-127.0.0.1:8443}
DEMO=$(realpath -m "${DEMO_DIR:-build/demo}")
export CERTFLEET_STORE="$DEMO/certfleet.db"
cf() { echo "\$ certfleet $*" >&2; "$CF_BIN" "$@"; }

new_deployment() {
rm -rf "$DEMO"
mkdir -p "$DEMO"
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
# The self-signed tomcat copies in the peers' trust stores are stale now: the doctor's most common fix.
cf trust prune | sed -n '1p'

# Three phones' LSCs from the same CA (in the publisher's CAPF-trust), one expiring within a month;
# the expiry monitor includes them (LSC monitoring on).
cf trust add --node cucm-pub.example.com --store CAPF-trust "$DEMO/ca.pem" --description "Example Corp Root CA"
printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$DEMO/lsc.ext"
for phone in SEP00500F0A0B01:20 SEP00500F0A0B02:400 CSFJSMITH:1000; do
	openssl req -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=${phone%%:*}/O=Example Corp" 2>/dev/null |
		openssl x509 -req -CA "$DEMO/ca.pem" -CAkey "$DEMO/ca.key" -CAcreateserial -days "${phone##*:}" \
			-extfile "$DEMO/lsc.ext" 2>/dev/null
done >"$DEMO/lscs.pem"
cf endpoint import --node cucm-pub.example.com "$DEMO/lscs.pem"
cf monitor config --lsc on >/dev/null

# What the Expressway-E CSR would carry.
cf csr generate --node expe.example.com --purpose server | sed -n '1,4p'

# The web page's administrator, with a random password shown this once.
PASSWORD=$(openssl rand -base64 18)
"$CF_BIN" user add admin --role admin <<<"$PASSWORD" >/dev/null
}

if [ -s "$CERTFLEET_STORE" ]; then
	echo "Using the demo store $CERTFLEET_STORE (remove $DEMO for a fresh one)."
	PASSWORD=""
else
	new_deployment
fi

echo
echo "Status of the deployment in $CERTFLEET_STORE:"
cf status
echo
echo "Certificates expiring within 2 years:"
cf cert list --expiring 730
echo
echo "Phones' LSCs (the monitor includes them):"
cf endpoint list
echo
echo "What the doctor finds (exit 7 when any finding is an error):"
cf doctor || true

# The daemon, with cucm-pub's CA-signed tomcat identity.
SHA=$("$CF_BIN" --json cert list --node cucm-pub.example.com --purpose tomcat |
	python3 -c 'import json,sys; s=json.load(sys.stdin)["items"][0]["sha256"].upper(); print(":".join(s[i:i+2] for i in range(0, len(s), 2)))')
echo
echo "certfleetd: https://$LISTEN/"
echo "  its certificate (SHA-256, to check against the browser's warning): $SHA"
echo "  the browser does not know the demo CA: $DEMO/ca.pem"
REL_CF=$(realpath --relative-to=. "$CF_BIN" 2>/dev/null || echo "$CF_BIN")
SET_PW="CERTFLEET_STORE=$CERTFLEET_STORE $REL_CF user passwd admin"
if [ -n "$PASSWORD" ]; then
	echo "  log in as admin with the password $PASSWORD (shown only now; $SET_PW sets another)"
else
	echo "  log in as admin with the password printed when the store was made ($SET_PW sets another)"
fi
echo "  the command line on this store: CERTFLEET_STORE=$CERTFLEET_STORE $REL_CF status"
echo "  Ctrl-C stops it."
exec "$CFD_BIN" --store "$CERTFLEET_STORE" --node cucm-pub.example.com --listen "$LISTEN"
