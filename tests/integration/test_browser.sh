#!/usr/bin/env bash
# The web admin page (SPEC §11.3) in headless Chromium driven by playwright-core: login (and a
# wrong password), list filters and paging, CSR generate + download, signing by an external CA
# made here with openssl, chain and certificate upload with the restart plan, details, trust
# delete, the certificate monitor (the expiring-soon panel following the monitor's window, the
# settings saved and checked against the CLI, a bad address shown next to its field, a run now),
# a node's deploy target set (a bad mode named next to its field) and deployed with its result,
# users, the tools (validate a pasted certificate, fetch an openssl s_server's chain and import
# its CA), the ACME view against pebble on loopback (an account added, an order for ucm2's
# CallManager answered by certfleetd's HTTP-01 responder and staged with the certificate decoded,
# deployed, auto renew set with deploy days and time, a second order revoked after a confirmation),
# the local CA view (a root and an intermediate made, a certificate issued from an openssl CSR file and
# verified, revoked after a confirmation, the counts and the CRL download), read-only view, logout. tests/browser/browser_test.js does the clicking; any
# console error, page error, failed request or 5xx answer fails the test. Screenshots of each
# state go to $CERTFLEET_TEST_OUT, else ./browser-shots (ctest runs in the build directory).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
SHOTS=${CERTFLEET_TEST_OUT:-$PWD/browser-shots}
mkdir -p "$SHOTS"
SHOTS=$(realpath "$SHOTS")
CHROMIUM=${CERTFLEET_CHROMIUM:-/usr/bin/chromium}
NPM_DIR=${CERTFLEET_NPM_DIR:-$HOME/.cache/certfleet-browser-test}

# The peers must be there: a missing one is a failure, not a skip.
missing() {
	echo "FAIL: $(basename "$0"): $1 is missing; the browser test needs Node.js with npm and Chromium" \
		"(Debian: apt-get install nodejs npm chromium)" >&2
	exit 1
}
command -v node >/dev/null || missing node
command -v npm >/dev/null || missing npm
[ -x "$CHROMIUM" ] || missing "$CHROMIUM"

# playwright-core (no browser download) in a cache outside the source tree, kept between runs.
have_playwright() {
	node -e 'const v = require(process.argv[1] + "/node_modules/playwright-core/package.json").version;
		process.exit(v.split(".")[0] === "1" ? 0 : 1)' "$NPM_DIR" 2>/dev/null
}
mkdir -p "$NPM_DIR"
(
	flock 9
	if ! have_playwright; then
		cp "$SRCDIR/tests/browser/package.json" "$NPM_DIR/package.json"
		cd "$NPM_DIR"
		npm_config_cache="$NPM_DIR/npm-cache" npm install --no-audit --no-fund --loglevel=error >"$T/npm.log" 2>&1 ||
			{ echo "FAIL: npm install playwright-core: $(tail -5 "$T/npm.log")" >&2; exit 1; }
	fi
) 9>"$NPM_DIR/.lock"
have_playwright || { echo "FAIL: playwright-core 1.x not found under $NPM_DIR" >&2; exit 1; }
rm -f "$SHOTS"/*.png # only this run's states
cd "$T" || exit 1

# The page runs under CSP default-src 'self': no inline script, style or event handler.
assert_eq "no inline script, style or handler in index.html" "" \
	"$(grep -nE '<script>|<script [^>]*>[^<]|<style|[[:space:]]style=|[[:space:]]on[a-z]+=' "$SRCDIR/web/index.html" || true)"

# ---- the deployment: one ucm cluster of three nodes, an admin --------------------------------
UCM1=ucm1.example.com
PW_ADMIN='admin password of the browser test'
new_store
cf node add "$UCM1" --cluster cl1 --product ucm --publisher >/dev/null
cf node add ucm2.example.com --cluster cl1 --product ucm >/dev/null
cf node add ucm3.example.com --cluster cl1 --product ucm >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null

# ---- an external CA: root and intermediate, and a signing script the browser test calls --------
mkdir -p "$T/ca"
cd "$T/ca"
cat >ca.ext <<'EOF'
[ inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ leaf ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 -sha256 \
	-subj "/O=certfleet test/CN=certfleet Test Root CA" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr \
	-subj "/O=certfleet test/CN=certfleet Test Intermediate CA" 2>/dev/null
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 -sha256 \
	-extfile ca.ext -extensions inter -out inter.pem 2>/dev/null
cat root.pem inter.pem >chain.pem
# a phone's LSC from the root, expiring in 3 days (the expiring-soon panel with LSC monitoring on)
printf 'extendedKeyUsage=clientAuth\n' >lsc.ext
openssl req -newkey rsa:2048 -nodes -keyout lsc.key -subj "/CN=SEP00AABBCCDD01" 2>/dev/null |
	openssl x509 -req -CA root.pem -CAkey root.key -CAcreateserial -days 3 -sha256 -extfile lsc.ext -out lsc.pem 2>/dev/null
cat >sign.sh <<EOF
#!/usr/bin/env bash
# sign.sh CSR OUT: the external CA signs the CSR with the intermediate, keeping its extensions.
set -euo pipefail
openssl x509 -req -in "\$1" -CA "$T/ca/inter.pem" -CAkey "$T/ca/inter.key" -CAcreateserial \\
	-days 730 -sha256 -copy_extensions copyall -extfile "$T/ca/ca.ext" -extensions leaf -out "\$2" 2>/dev/null
EOF
assert_eq "test CA chain verifies" "inter.pem: OK" "$(openssl verify -CAfile root.pem inter.pem 2>&1 | tail -1)"
# a TLS peer for the certificate import tool: openssl s_server presenting a leaf and the intermediate
openssl req -newkey rsa:2048 -nodes -keyout peer.key -subj "/CN=peer.example.com" 2>/dev/null |
	openssl x509 -req -CA inter.pem -CAkey inter.key -CAcreateserial -days 90 -sha256 -extfile ca.ext -extensions leaf \
		-out peer.pem 2>/dev/null
# a CSR for the local CA view (DER, as a file chosen in the page)
openssl req -new -newkey rsa:2048 -nodes -keyout local.key -subj "/CN=lab.example.com" \
	-addext "subjectAltName=DNS:lab.example.com" -outform DER -out local.csr.der 2>/dev/null
cd "$T"
PEER_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$PEER_PORT" -cert ca/peer.pem -key ca/peer.key -cert_chain ca/inter.pem -www \
	>s_server.log 2>&1 </dev/null &
PEER_PID=$!
on_exit 'kill "$PEER_PID" 2>/dev/null'
for _ in $(seq 1 100); do grep -q ACCEPT s_server.log && break; sleep 0.1; done
assert_contains "the TLS peer listens" ACCEPT "$(cat s_server.log)"

# ---- an ACME CA: pebble on loopback (tests/acme/pebble.sh); certfleetd answers its HTTP-01 --------
# shellcheck disable=SC1091
. "$SRCDIR/tests/acme/acme_lib.sh"
start_pebble pebble

# ---- the daemon ---------------------------------------------------------------------------------
start_certfleetd --acme-http "127.0.0.1:$ACME_HTTP_PORT"
assert_eq "the page is served" 200 "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/")"

# ---- the browser ----------------------------------------------------------------------------------
NODE_RC=0
NODE_PATH="$NPM_DIR/node_modules" BASE_URL="https://127.0.0.1:$PORT" CERTFLEET="$CERTFLEET" \
	CHROMIUM="$CHROMIUM" SHOTS="$SHOTS" WORK="$T" PW_ADMIN="$PW_ADMIN" SIGN="$T/ca/sign.sh" \
	CA_DIR="$T/ca" COUNTS="$T/counts" PEER_PORT="$PEER_PORT" ACME_DIRECTORY="$ACME_DIRECTORY" \
	ACME_CA_FILE="$ACME_CA_FILE" PEBBLE="$PEBBLE" PEBBLE_DIR="$T/pebble" \
	timeout 540 node "$SRCDIR/tests/browser/browser_test.js" || NODE_RC=$?
# The node script's own checks count here; it reports them even when it stops early.
if [ -s "$T/counts" ]; then
	read -r P F <"$T/counts"
	PASSED=$((PASSED + P))
	FAILED=$((FAILED + F))
else
	fail "browser test gave no result (exit $NODE_RC)"
fi

# ---- the daemon stayed well ------------------------------------------------------------------------
assert_eq "no private key in the downloads" "" "$(grep -rl 'PRIVATE KEY' "$T/downloads" 2>/dev/null || true)"
assert_eq "no admin password in the daemon log" "" "$(grep -F "$PW_ADMIN" "$T/daemon.err" || true)"
assert_clean_stop
kill "$PEER_PID" 2>/dev/null || true
wait "$PEER_PID" 2>/dev/null || true
if [ "$FAILED" -ne 0 ]; then
	echo "last lines of the daemon's log:" >&2
	tail -8 "$T/daemon.err" >&2
fi
echo "screenshots: $SHOTS"
finish
