#!/bin/bash
# Checks that the ACME test peers work, with real clients: a developer tool, not part of
# `make check` (it takes about half a minute and needs pebble and lego: scripts/deps.sh).
#
#   tests/acme/check_peers.sh
#
# pebble.sh: lego issues with HTTP-01 on ACME_HTTP_PORT, openssl verifies the chain against
# `pebble.sh roots`, lego revokes and `pebble.sh status` says so; pause and resume (pebble forgets
# everything); --eab with --nonce-reject 50 (lego needs the binding and recovers from badNonce).
# acme_stub.py: lego issues and revokes (RFC 8555 only: lego 4.9 knows neither ARI nor profiles),
# curl fetches renewalInfo for the certID openssl computes, /stub/orders lists the order; then
# stub_probe.py checks the refusals and the ARI/profile/replaces handling no real client provokes.
# Every listener must be on 127.0.0.1; everything started is stopped by its pid at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PEBBLE_SH=$HERE/pebble.sh
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
for prog in pebble pebble-challtestsrv lego openssl curl ss xxd; do
	command -v $prog >/dev/null || {
		echo "check_peers: $prog not found (scripts/deps.sh installs the test peers)" >&2
		exit 1
	}
done

D=$(mktemp -d /tmp/acme-peers.XXXXXX)
STUB_PID=
cleanup() {
	for p in "$D/pebble" "$D/eab"; do
		[ -d "$p" ] && "$PEBBLE_SH" stop "$p"
	done
	if [ -n "$STUB_PID" ]; then
		kill "$STUB_PID" 2>/dev/null || true
		wait "$STUB_PID" 2>/dev/null || true
	fi
	rm -rf "$D"
}
trap cleanup EXIT
cd "$D" # lego writes ./.lego when it is not given --path: never in the source tree

step() { echo "== $*"; }
ok() { echo "ok   $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# No process of the pids given listens on a wildcard address.
loopback_only() {
	local p bad
	for p in "$@"; do
		bad=$(ss -Htlnup | grep "pid=$p," | awk '{print $5}' | grep -v '^127\.0\.0\.1:' || true)
		[ -z "$bad" ] || fail "pid $p listens on $bad"
	done
	ok "pids $* listen on 127.0.0.1 only"
}

# The RFC 9773 certID of a certificate, computed with openssl:
# base64url(AKI keyIdentifier) "." base64url(the serial's DER INTEGER content octets)
b64url() { xxd -r -p | base64 -w0 | tr '+/' '-_' | tr -d '='; }
cert_id() {
	local aki serial
	aki=$(openssl x509 -in "$1" -noout -ext authorityKeyIdentifier | sed -n '2p' | tr -d ' :')
	aki=${aki#keyid}
	serial=$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)
	[ $((${#serial} % 2)) -eq 0 ] || serial=0$serial
	case "$serial" in [89A-Fa-f]*) serial=00$serial ;; esac
	echo "$(printf %s "$aki" | b64url).$(printf %s "$serial" | b64url)"
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }

# lego against the server of the env file last sourced; the account and certificates go to $LEGO_DIR.
lego_cmd() {
	LEGO_CA_CERTIFICATES=$ACME_CA_FILE lego --server "$ACME_DIRECTORY" --accept-tos --email admin@example.test \
		--path "$LEGO_DIR" "$@"
}

###############################################################################################
step "pebble.sh start"
"$PEBBLE_SH" start "$D/pebble" >"$D/pebble.url"
# shellcheck disable=SC1091
. "$D/pebble/env"
[ "$(cat "$D/pebble.url")" = "$ACME_DIRECTORY" ] || fail "start printed $(cat "$D/pebble.url")"
for v in ACME_DIRECTORY ACME_CA_FILE ACME_MGMT ACME_HTTP_PORT ACME_PEBBLE_PID ACME_CHALLTESTSRV_PID; do
	[ -n "${!v:-}" ] || fail "DIR/env has no $v"
done
ok "directory $ACME_DIRECTORY, HTTP-01 port $ACME_HTTP_PORT"
loopback_only "$ACME_PEBBLE_PID" "$ACME_CHALLTESTSRV_PID"

step "lego issues from pebble (HTTP-01 on 127.0.0.1:$ACME_HTTP_PORT)"
LEGO_DIR=$D/lego-pebble
start=$(date +%s.%N)
lego_cmd --key-type ec256 --domains node1.example.test --domains node2.example.test \
	--http --http.port "127.0.0.1:$ACME_HTTP_PORT" run >"$D/lego1.log" 2>&1 || {
	tail -n 20 "$D/lego1.log"
	fail "lego run against pebble"
}
ok "lego run took $(elapsed "$start") s"
C=$LEGO_DIR/certificates/node1.example.test
"$PEBBLE_SH" roots "$D/pebble" "$D/roots.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$D/roots.pem")" -eq 2 ] || fail "roots.pem holds no root and intermediate"
openssl verify -CAfile "$D/roots.pem" "$C.crt" >/dev/null || fail "the certificate does not verify against pebble.sh roots"
ok "openssl verify against pebble.sh roots"
SERIAL=$(serial_of "$C.crt")
"$PEBBLE_SH" status "$D/pebble" "$SERIAL" >"$D/status.json"
grep -q '"Status": "Valid"' "$D/status.json" || fail "status: $(cat "$D/status.json")"
ok "status $SERIAL: Valid"

step "lego revokes at pebble"
lego_cmd --domains node1.example.test revoke --reason 4 --keep >"$D/lego2.log" 2>&1 || {
	tail -n 20 "$D/lego2.log"
	fail "lego revoke against pebble"
}
"$PEBBLE_SH" status "$D/pebble" "$SERIAL" >"$D/status.json"
grep -q '"Status": "Revoked"' "$D/status.json" && grep -q '"Reason": 4' "$D/status.json" ||
	fail "status after revoke: $(cat "$D/status.json")"
ok "status $SERIAL: Revoked, reason 4"

step "pebble.sh pause / resume"
"$PEBBLE_SH" pause "$D/pebble"
if curl -sf -o /dev/null --max-time 5 --cacert "$ACME_CA_FILE" "$ACME_DIRECTORY"; then
	fail "the directory answers while paused"
fi
ok "paused: the directory does not answer"
"$PEBBLE_SH" resume "$D/pebble"
old_pid=$ACME_PEBBLE_PID
. "$D/pebble/env"
[ "$old_pid" != "$ACME_PEBBLE_PID" ] || fail "resume kept the pid"
curl -sf -o /dev/null --max-time 5 --cacert "$ACME_CA_FILE" "$ACME_DIRECTORY" || fail "no directory after resume"
[ "$ACME_DIRECTORY" = "$(cat "$D/pebble.url")" ] || fail "resume moved the directory"
"$PEBBLE_SH" roots "$D/pebble" "$D/roots2.pem"
if openssl verify -CAfile "$D/roots2.pem" "$C.crt" >/dev/null 2>&1; then
	fail "a certificate from before the restart verifies against the new root"
fi
ok "resumed on the same ports; a new root (the old certificate no longer verifies)"
loopback_only "$ACME_PEBBLE_PID" "$ACME_CHALLTESTSRV_PID"

step "pebble.sh start --eab --nonce-reject 50 --alternate-roots 1"
"$PEBBLE_SH" start "$D/eab" --eab --nonce-reject 50 --alternate-roots 1 >/dev/null
. "$D/eab/env"
[ -n "${ACME_EAB_KID:-}" ] && [ -s "$ACME_EAB_HMAC_FILE" ] || fail "no ACME_EAB_KID / ACME_EAB_HMAC_FILE"
LEGO_DIR=$D/lego-eab
if lego_cmd --domains eab.example.test --http --http.port "127.0.0.1:$ACME_HTTP_PORT" run >"$D/lego3.log" 2>&1; then
	fail "lego registered without an external account binding"
fi
grep -q "External Account Binding" "$D/lego3.log" || fail "lego without a binding: $(tail -n 3 "$D/lego3.log")"
ok "without a binding: refused"
lego_cmd --eab --kid "$ACME_EAB_KID" --hmac "$(cat "$ACME_EAB_HMAC_FILE")" --domains eab.example.test \
	--http --http.port "127.0.0.1:$ACME_HTTP_PORT" run >"$D/lego4.log" 2>&1 || {
	tail -n 20 "$D/lego4.log"
	fail "lego run with EAB"
}
ok "with the binding: issued ($(grep -c badNonce "$D/lego4.log" || true) badNonce retries by lego)"
# the alternate chain: another root whose intermediate has the same name and key as the default one
"$PEBBLE_SH" roots "$D/eab" "$D/roots0.pem" 0
"$PEBBLE_SH" roots "$D/eab" "$D/roots1.pem" 1
root_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
[ "$(root_fp "$D/roots0.pem")" != "$(root_fp "$D/roots1.pem")" ] || fail "alternate root 1 is root 0"
for n in 0 1; do
	openssl verify -CAfile "$D/roots$n.pem" "$LEGO_DIR/certificates/eab.example.test.crt" >/dev/null ||
		fail "the certificate does not verify against chain $n"
done
ok "alternate root 1 is another root; the certificate verifies against both chains"
loopback_only "$ACME_PEBBLE_PID" "$ACME_CHALLTESTSRV_PID"
"$PEBBLE_SH" stop "$D/eab"
[ ! -d "$D/eab" ] || fail "stop left $D/eab"
ok "pebble.sh stop"

###############################################################################################
step "acme_stub.py"
"$PY" "$HERE/acme_stub.py" --dir "$D/stub" >"$D/stub.out" 2>"$D/stub.log" &
STUB_PID=$!
for _ in $(seq 200); do
	[ -f "$D/stub/env" ] && break
	kill -0 "$STUB_PID" 2>/dev/null || fail "acme_stub.py exited: $(tail -n 5 "$D/stub.log")"
	sleep 0.1
done
[ -f "$D/stub/env" ] || fail "acme_stub.py wrote no env within 20 s"
. "$D/stub/env"
[ "$ACME_STUB_PID" = "$STUB_PID" ] || fail "ACME_STUB_PID $ACME_STUB_PID is not $STUB_PID"
curl -sf --cacert "$ACME_CA_FILE" "$ACME_DIRECTORY" >"$D/stubdir.json"
grep -q renewalInfo "$D/stubdir.json" || fail "no renewalInfo in the directory"
ok "directory $ACME_DIRECTORY"
loopback_only "$STUB_PID"

step "lego issues from the stub"
LEGO_DIR=$D/lego-stub
start=$(date +%s.%N)
lego_cmd --key-type ec256 --domains node1.example.test --domains node2.example.test \
	--http --http.port 127.0.0.1:0 run >"$D/lego5.log" 2>&1 || {
	tail -n 20 "$D/lego5.log"
	fail "lego run against the stub"
}
ok "lego run took $(elapsed "$start") s"
C=$LEGO_DIR/certificates/node1.example.test
openssl verify -CAfile "$ACME_STUB_ROOT" "$C.crt" >/dev/null || fail "the certificate does not verify against ACME_STUB_ROOT"
ok "openssl verify against ACME_STUB_ROOT"

step "renewalInfo for the certID openssl computes"
CID=$(cert_id "$C.crt")
curl -sS -D "$D/ri.headers" --cacert "$ACME_CA_FILE" "$ACME_STUB/renewal-info/$CID" -o "$D/ri.json"
grep -qi '^Retry-After: [0-9]' "$D/ri.headers" || fail "renewalInfo has no Retry-After"
"$PY" - "$D/ri.json" "$C.crt" <<'EOF' || fail "renewalInfo: $(cat "$D/ri.json")"
import datetime, json, subprocess, sys
w = json.load(open(sys.argv[1]))["suggestedWindow"]
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
def o(field):
    out = subprocess.check_output(["openssl", "x509", "-in", sys.argv[2], "-noout", "-" + field], text=True)
    return datetime.datetime.strptime(out.split("=", 1)[1].strip(), "%b %d %H:%M:%S %Y GMT")
nb, na = o("startdate"), o("enddate")
third = (na - nb) / 3
assert abs(t(w["start"]) - (nb + third)).total_seconds() <= 1, w
assert abs(t(w["end"]) - (nb + 2 * third)).total_seconds() <= 1, w
EOF
ok "renewal-info/$CID: the middle third of the lifetime, with Retry-After"
curl -sS --cacert "$ACME_CA_FILE" -X POST -d '{"start":"2030-01-01T00:00:00Z","end":"2030-01-02T00:00:00Z","retryAfter":120}' \
	"$ACME_STUB/stub/window" >/dev/null
curl -sS -D "$D/ri.headers" --cacert "$ACME_CA_FILE" "$ACME_STUB/renewal-info/$CID" -o "$D/ri.json"
grep -q '"start": "2030-01-01T00:00:00Z"' "$D/ri.json" && grep -qi '^Retry-After: 120' "$D/ri.headers" ||
	fail "renewalInfo after /stub/window: $(cat "$D/ri.json")"
ok "POST /stub/window sets the window and Retry-After"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ACME_CA_FILE" "$ACME_STUB/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
[ "$code" = 404 ] || fail "renewalInfo of an unknown certID: $code"
ok "unknown certID: 404"

step "/stub/orders"
curl -sS --cacert "$ACME_CA_FILE" "$ACME_STUB/stub/orders" >"$D/orders.json"
"$PY" - "$D/orders.json" "$CID" <<'EOF' || fail "/stub/orders: $(cat "$D/orders.json")"
import json, sys
orders = json.load(open(sys.argv[1]))
assert len(orders) == 1, orders
o = orders[0]
assert o["identifiers"] == [{"type": "dns", "value": "node1.example.test"}, {"type": "dns", "value": "node2.example.test"}], o
assert o["status"] == "valid" and o["certID"] == sys.argv[2] and o["replaces"] is None and o["profile"] is None, o
EOF
ok "lists lego's order (valid, both names, its certID, no replaces, no profile)"

step "lego revokes at the stub"
lego_cmd --domains node1.example.test revoke --reason 1 --keep >"$D/lego6.log" 2>&1 || {
	tail -n 20 "$D/lego6.log"
	fail "lego revoke against the stub"
}
curl -sS --cacert "$ACME_CA_FILE" "$ACME_STUB/stub/certs" | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["certID"] == sys.argv[1]][0]
sys.exit(0 if c["revoked"] and c["reason"] == 1 else 1)' "$CID" || fail "/stub/certs does not show the revocation"
ok "/stub/certs: revoked, reason 1"

step "stub_probe.py (what lego does not exercise)"
"$PY" "$HERE/stub_probe.py" "$D/stub" >"$D/probe.log" 2>&1 || {
	cat "$D/probe.log"
	fail "stub_probe.py"
}
ok "$(grep -c '^ok' "$D/probe.log") checks"
grep -q Traceback "$D/stub.log" && fail "acme_stub.py logged a traceback: $(grep -A5 Traceback "$D/stub.log" | head -n 20)"
loopback_only "$STUB_PID"

###############################################################################################
step "stop everything"
. "$D/pebble/env"
pids="$STUB_PID $ACME_PEBBLE_PID $ACME_CHALLTESTSRV_PID"
"$PEBBLE_SH" stop "$D/pebble"
kill "$STUB_PID"
wait "$STUB_PID" 2>/dev/null || true
STUB_PID=
for p in $pids; do
	! kill -0 "$p" 2>/dev/null || [ "$(ps -o stat= -p "$p")" = Z ] || fail "pid $p still runs"
done
ok "nothing left running"
echo "check_peers: all passed"
