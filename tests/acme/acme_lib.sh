# Shell helpers of the ACME tests (sourced after tests/integration/lib.sh): a pebble of their own,
# and a certificate's ARI id computed from openssl's view of it (the oracle of certfleet's).
# shellcheck shell=bash
PEBBLE=$SRCDIR/tests/acme/pebble.sh

# start_pebble DIR [OPTIONS]: a pebble of its own in $T/DIR, stopped at exit; its env sourced.
start_pebble() {
	local dir=$T/$1
	shift
	"$PEBBLE" start "$dir" "$@" >/dev/null
	on_exit "'$PEBBLE' stop '$dir' >/dev/null 2>&1"
	# shellcheck disable=SC1090,SC1091
	. "$dir/env"
}

# ari_id CERT.pem: RFC 9773's id of the certificate — the AKI's keyIdentifier "." the serial's DER
# content, both base64url without padding.
ari_id() {
	python3 - "$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | tail -n 1)" \
		"$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)" <<'PY'
import base64, sys
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
kid = bytes.fromhex(sys.argv[1].replace("keyid:", "").replace(":", "").strip())
sn = sys.argv[2] if len(sys.argv[2]) % 2 == 0 else "0" + sys.argv[2]
sn = bytes.fromhex(sn)
print(b64(kid) + "." + b64((b"\0" if sn[0] & 0x80 else b"") + sn))
PY
}
