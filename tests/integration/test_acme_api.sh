#!/usr/bin/env bash
# The ACME routes of certfleetd (SPEC §7, §11.3) against Debian's pebble on loopback
# (tests/acme/pebble.sh), with curl: an account made through the API, an order answered over
# HTTP-01 by the same certfleetd (--acme-http) while the daemon keeps answering other requests
# (a request is served between the order's start and its answer, in the daemon's own log), the
# staged certificate as the command line shows it, the CA down (a 502 in one line naming its URL,
# the failure counted in the identity's state) and back, a deploy, a revocation pebble confirms, and
# the audit rows. test_api.sh covers the routes' checks (roles, CSRF, fields) against the ACME stub.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1
# shellcheck disable=SC1091
. "$SRCDIR/tests/acme/acme_lib.sh"
NODE=ucm1.example.test
PW_ADMIN='ACME API test admin password'

new_store
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
start_pebble pb
start_certfleetd --acme-http "127.0.0.1:$ACME_HTTP_PORT"

CTJ='Content-Type: application/json'
CSRF=$(curl -sk -c jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
# post NAME PATH BODY: a change as the admin; its answer in NAME.json, the status in $CODE
post() { CODE=$(curl -sk --max-time 300 -o "$1.json" -w '%{http_code}' -b jar -H "X-CSRF-Token: $CSRF" -H "$CTJ" -d "$3" "$BASE$2"); }
get() { CODE=$(curl -sk --max-time 60 -o "$1.json" -w '%{http_code}' -b jar "$BASE$2"); }

# ---- an account -------------------------------------------------------------------------------------
post account /acme/accounts "{\"name\":\"pb\",\"directory\":\"$ACME_DIRECTORY\",\"email\":\"pki@example.test\",\"agree_tos\":true,\"ca_file\":\"$ACME_CA_FILE\"}"
assert_eq "account add: 201" 201 "$CODE"
assert_contains "account add: pebble's account URL" "${ACME_DIRECTORY%/dir}/my-account/" "$(json 'd["kid"]' <account.json)"
assert_eq "account add: as the command line lists it" "$(cf --json acme account list | json 'd["items"][0]')" "$(json 'd' <account.json)"

# ---- an order, while the daemon answers others --------------------------------------------------------
ORDER_BODY="{\"node\":\"$NODE\",\"purpose\":\"tomcat\",\"account\":\"pb\"}"
post order /acme/order "$ORDER_BODY" &
ORDER=$!
for _ in $(seq 1 3000); do
	kill -0 $ORDER 2>/dev/null || break
	curl -sk -o /dev/null -b jar "$BASE/nodes" || true
done
wait $ORDER || true
assert_eq "order: staged" "staged ok 0" "$(json 'd["state"] + " " + d["last_sign"]["status"] + " " + str(d["failures"])' <order.json)"
# the daemon's log: a request answered after the order started and before it was answered
SERVED=$(awk -v node="$NODE" '
	index($0, "acme order by admin: " node " tomcat") { started = 1; next }
	started && / POST \/api\/v1\/acme\/order / { print n + 0; exit }
	started && / GET \/api\/v1\/nodes 200 / { n++ }' "$T/daemon.err")
if [ "${SERVED:-0}" -ge 1 ]; then ok; else fail "no request was answered while the order ran (log: $(grep -c 'nodes 200' "$T/daemon.err") GET /nodes lines)"; fi
assert_eq "order: the answer is acme show's" "$(cf --json acme show --node $NODE --purpose tomcat | json 'd')" "$(json 'd' <order.json)"
json 'd["staged"]["pem"]' <order.json >leaf.pem
assert_contains "order: the leaf names the node" "DNS:$NODE" "$(openssl x509 -in leaf.pem -noout -ext subjectAltName)"
STAGED=$(json 'd["staged"]["sha256"]' <order.json)

# ---- the CA down: a 502 in one line, counted; back: staged again ---------------------------------------
"$PEBBLE" pause "$T/pb"
post down /acme/order "$ORDER_BODY"
assert_eq "order while the CA is down: 502" "502 remote failure" "$CODE $(json 'd["error"]["code"]' <down.json)"
assert_contains "the CA down: its URL named" "$ACME_DIRECTORY" "$(json 'd["error"]["message"]' <down.json)"
get after_down "/acme/identity?node=$NODE&purpose=tomcat"
assert_eq "the CA down: the failure counted, the staged certificate kept" "1 failed $STAGED" \
	"$(json '" ".join([str(d["failures"]), d["last_sign"]["status"], d["staged"]["sha256"]])' <after_down.json)"
"$PEBBLE" resume "$T/pb" >/dev/null
post again /acme/order "$ORDER_BODY"
assert_eq "the CA back: staged, failures reset" "200 staged 0" "$CODE $(json 'd["state"] + " " + str(d["failures"])' <again.json)"
STAGED=$(json 'd["staged"]["sha256"]' <again.json)

# ---- deploy: certfleetd serves the new certificate --------------------------------------------------------
post deploy /acme/deploy "{\"node\":\"$NODE\",\"purpose\":\"tomcat\"}"
assert_eq "deploy: the staged certificate" "200 $STAGED deployed" "$CODE $(json 'd["sha256"] + " " + d["item"]["state"]' <deploy.json)"
served() { openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
NOW=""
for _ in $(seq 1 100); do NOW=$(served); [ "$NOW" == "$STAGED" ] && break; sleep 0.1; done
assert_eq "deploy: new connections get it" "$STAGED" "$NOW"
assert_eq "deploy: the served check of certfleetd's own listener" "127.0.0.1:$PORT True" \
	"$(json '" ".join(str(c[k]) for c in d["served"] for k in ("address", "matches"))' <deploy.json)"
assert_eq "deploy: the item's served member" "True $STAGED" "$(json 'str(d["item"]["served"]["matches"]) + " " + d["item"]["served"]["sha256"]' <deploy.json)"

# ---- a deploy whose address serves another certificate: deployed, then 502 served-mismatch beside it ---
# (CallManager's target names certfleetd's listener, which serves tomcat)
cf deploy-target set --node $NODE --purpose CallManager --serves "127.0.0.1:$PORT" >/dev/null
post cm_order /acme/order "{\"node\":\"$NODE\",\"purpose\":\"CallManager\",\"account\":\"pb\"}"
CM=$(json 'd["staged"]["sha256"]' <cm_order.json)
AUDIT_BEFORE=$(cf --json audit --limit 1 | json 'd["total"]')
post cm_deploy /acme/deploy "{\"node\":\"$NODE\",\"purpose\":\"CallManager\"}"
assert_eq "deploy, the address serves another certificate: 502 served-mismatch" "502 served-mismatch" \
	"$CODE $(json 'd["error"]["reason"]' <cm_deploy.json)"
assert_eq "served-mismatch: what was deployed and what was served, beside the error" "$CM $STAGED False deployed" \
	"$(json '" ".join([d["sha256"], d["served"][0]["sha256"], str(d["served"][0]["matches"]), d["item"]["state"]])' <cm_deploy.json)"
assert_eq "served-mismatch: the identity is deployed" "$CM" "$(cf --json cert show --node $NODE --purpose CallManager | json 'd["sha256"]')"
assert_eq "served-mismatch: one audit row, the deploy's" "1 acme deploy $NODE CallManager ok" \
	"$(cf --json audit --limit 1 | json 'str(d["total"] - '"$AUDIT_BEFORE"') + " " + " ".join(d["items"][0][k] for k in ("action", "object", "result"))')"

# ---- revoke: the deployed one needs force; pebble says it is revoked -----------------------------------------
post revoke /acme/revoke "{\"node\":\"$NODE\",\"purpose\":\"tomcat\",\"reason\":\"superseded\"}"
assert_eq "revoke of the certificate in use: 409 needs-force" "409 needs-force" "$CODE $(json 'd["error"]["reason"]' <revoke.json)"
post revoke /acme/revoke "{\"node\":\"$NODE\",\"purpose\":\"tomcat\",\"reason\":\"superseded\",\"force\":true}"
assert_eq "revoke with force" "200 $STAGED" "$CODE $(json 'd["revoked"]' <revoke.json)"
cf cert show --node $NODE --purpose tomcat --pem >deployed.pem
assert_contains "pebble: revoked, superseded" '"Reason": 4' \
	"$("$PEBBLE" status "$T/pb" "$(openssl x509 -in deployed.pem -noout -serial | cut -d= -f2)")"

# ---- the audit log: the API's rows as the command line's -------------------------------------------------------
cf audit --limit 20 >audit.txt
for row in "acme account add \[pb\] ok" "acme deploy \[$NODE tomcat\] ok" "acme revoke \[$NODE tomcat $STAGED\] ok"; do
	assert_eq "one audit row: $row" 1 "$(grep -c "admin@127.0.0.1 $row" audit.txt)"
done
assert_eq "an audit row per order staged" 2 "$(grep -c "admin@127.0.0.1 acme order \[$NODE tomcat\] ok" audit.txt)"
assert_eq "the order refused while the CA was down, audited" 1 "$(grep -c "admin@127.0.0.1 acme order \[$NODE tomcat\] refused: " audit.txt)"
assert_eq "no private key in any answer" "" "$(grep -l 'PRIVATE KEY' ./*.json || true)"
assert_clean_stop
assert_no_sanitizer_report "at exit"
finish
