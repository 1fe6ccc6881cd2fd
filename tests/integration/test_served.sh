#!/usr/bin/env bash
# The served check after a deploy (SPEC §7, "served ≠ stored"), with real TLS peers on loopback:
# openssl s_server serving the old certificate while the store holds the node's identity (a
# mismatch: exit 6, the check in deploy's output, the doctor's served-mismatch, /metrics'
# certfleet_served_mismatch 1), then serving the deployed files (clean: exit 0, no finding,
# metric 0); the XMPP STARTTLS stub serving them behind STARTTLS; nothing listening (exit 6,
# served-unreachable, certfleet_served_unreachable 1). The target's fields on the command line
# and through the API (a bad address named as the page names it), and certfleetd's own listener
# checked when certfleetd deploys its own tomcat identity.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
STUB=$(cd "$(dirname "$0")" && pwd)/starttls_stub.py
cd "$T" || exit 1
mkdir -p d r

NODE=ucm1.example.com
PW_ADMIN='Adm1n-served-check-test-3e8a'
new_store
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
STORED=$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout old.key -out old.pem -days 30 \
	-subj "/CN=$NODE" 2>/dev/null
OLD=$(openssl x509 -in old.pem -outform DER | sha256sum | cut -d' ' -f1)
P=$(free_port)

# ---- the target's fields ----------------------------------------------------------------------------
cfx deploy-target set --node $NODE --purpose tomcat --serves "$NODE"
expect_rc "serves without a port" 3
assert_contains "...named" "serves: expected HOST:PORT" "$ERR"
cfx deploy-target set --node $NODE --purpose tomcat --serves "127.0.0.1:$P" --starttls ftp
expect_rc "an unknown STARTTLS protocol" 3
assert_contains "...named" 'starttls: unknown protocol "ftp"; expected xmpp|smtp|ldap' "$ERR"
assert_eq "refusals set nothing" 0 "$(cf --json deploy-target list --node $NODE | json 'len(d["items"])')"
must "a target with files and the address the service serves them at" deploy-target set --node $NODE --purpose tomcat \
	--cert "$T/d/tomcat.pem" --key "$T/d/tomcat.key" --serves "127.0.0.1:$P"
assert_eq "deploy-target list --json: serves and starttls" "127.0.0.1:$P|" \
	"$(cf --json deploy-target list --node $NODE | json 'd["items"][0]["serves"] + "|" + d["items"][0]["starttls"]')"
assert_contains "deploy-target list: serves" "serves=127.0.0.1:$P" "$(cf deploy-target list --node $NODE)"

# ---- the old certificate served: a mismatch ------------------------------------------------------------
s_server "$P" old.pem old.key
OLD_PID=${SERVERS[-1]}
cfx --json deploy --node $NODE
expect_rc "deploy while the service serves another certificate" 6
cp "$LAST" mismatch.json
assert_eq "the files were written" "yes" "$([ -s d/tomcat.pem ] && [ -s d/tomcat.key ] && echo yes)"
assert_eq "served: the old certificate, the store's identity, no match" "127.0.0.1:$P $NODE tomcat $OLD $STORED False None" \
	"$(json '" ".join(str(d["served"][0][k]) for k in ("address", "node", "purpose", "sha256", "stored_sha256", "matches", "error"))' <mismatch.json)"
assert_contains "the error says both" "$NODE tomcat serves SHA-256 $OLD at 127.0.0.1:$P, the store holds $STORED" \
	"$(json 'd["error"]["message"]' <mismatch.json)"
assert_contains "...on stderr" "reload the service, or check the deploy target" "$ERR"
cfx --json doctor --node $NODE
expect_rc "the doctor: served-mismatch is an error" 7
assert_eq "served-mismatch: node, purpose, severity, action" "$NODE tomcat error deploy" \
	"$(json '" ".join([[f["node"], f["purpose"], f["severity"], f["action"]["kind"]] for f in d["findings"] if f["rule"] == "served-mismatch"][0])' <"$LAST")"
assert_contains "served-mismatch: the message" "$NODE tomcat serves SHA-256 $OLD at 127.0.0.1:$P, the store holds $STORED" \
	"$(json '[f["message"] for f in d["findings"] if f["rule"] == "served-mismatch"][0]' <"$LAST")"
assert_contains "served-mismatch: the fix" "certfleet deploy --node $NODE --purpose tomcat" \
	"$(json '[f["fix"] for f in d["findings"] if f["rule"] == "served-mismatch"][0]' <"$LAST")"

start_certfleetd --node $NODE --metrics-cache 0
metric() { curl -sk "$ORIGIN/metrics" | grep -F "$1{node=\"$NODE\",purpose=\"tomcat\"}" | awk '{ print $2 }'; }
assert_eq "/metrics: certfleet_served_mismatch 1" 1 "$(metric certfleet_served_mismatch)"
assert_eq "/metrics: certfleet_served_unreachable 0" 0 "$(metric certfleet_served_unreachable)"

# ---- the service reloaded: it serves the deployed files ---------------------------------------------
kill "$OLD_PID"
wait "$OLD_PID" 2>/dev/null || true
s_server "$P" d/tomcat.pem d/tomcat.key
must "deploy once the service serves the stored identity" deploy --node $NODE
assert_contains "deploy: the served check in the text" \
	"tomcat: served check: 127.0.0.1:$P serves the stored certificate (SHA-256 $STORED)" "$OUT"
cfx --json doctor --node $NODE
assert_eq "no served finding" "" "$(json '" ".join(f["rule"] for f in d["findings"] if f["rule"].startswith("served-"))' <"$LAST")"
assert_eq "/metrics: certfleet_served_mismatch 0" 0 "$(metric certfleet_served_mismatch)"
stop_servers

# ---- behind STARTTLS (XMPP: the node's name as the stream's domain) -----------------------------------
P2=$(free_port)
python3 "$STUB" xmpp "$P2" d/tomcat.pem d/tomcat.key $NODE >xmpp.log 2>&1 &
SERVERS+=($!)
wait_ready xmpp.log READY $!
must "the address behind XMPP STARTTLS" deploy-target set --node $NODE --purpose tomcat --serves "127.0.0.1:$P2" --starttls xmpp
must "deploy, checked behind STARTTLS" --json deploy --node $NODE
assert_eq "STARTTLS xmpp: the stored identity served" "127.0.0.1:$P2 True" \
	"$(json 'd["served"][0]["address"] + " " + str(d["served"][0]["matches"])' <"$LAST")"
stop_servers

# ---- nothing listening ------------------------------------------------------------------------------------
cfx --json deploy --node $NODE
expect_rc "deploy while nothing serves the address" 6
assert_eq "served: no SHA-256, the error" "None False" \
	"$(json 'str(d["served"][0]["sha256"]) + " " + str(d["served"][0]["matches"])' <"$LAST")"
assert_contains "...the connection refused" "onnection refused" "$(json 'd["served"][0]["error"]' <"$LAST")"
assert_contains "...the error line" "$NODE tomcat: nothing served at 127.0.0.1:$P2" "$(json 'd["error"]["message"]' <"$LAST")"
cfx --json doctor --node $NODE
assert_eq "the doctor: served-unreachable is a warning" "$NODE tomcat warning" \
	"$(json '" ".join([[f["node"], f["purpose"], f["severity"]] for f in d["findings"] if f["rule"] == "served-unreachable"][0])' <"$LAST")"
assert_eq "/metrics: certfleet_served_unreachable 1" 1 "$(metric certfleet_served_unreachable)"

# ---- the API: the fields, and certfleetd checking its own listener ------------------------------------
CTJ='Content-Type: application/json'
jbody() { python3 -c 'import json,sys; print(json.dumps(eval(sys.argv[1])))' "$1"; }
NREQ=0
B=/dev/null
req() {
	NREQ=$((NREQ + 1))
	B="$T/r/$NREQ-$1"
	shift
	CODE=$(curl -sk --max-time 60 -o "$B" -w '%{http_code}' "$@") || CODE="curl failed ($?)"
}
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 160 "$B"))"; }
req login -c admin.jar -H "$CTJ" --data-binary "$(jbody "{'user':'admin','password':'$PW_ADMIN'}")" "$BASE/login"
AUTH=(-b admin.jar -H "X-CSRF-Token: $(jb 'd["csrf"]')")
req bad "${AUTH[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "{'purpose':'tomcat','serves':'no port'}")" "$BASE/nodes/$NODE/deploy-targets"
assert_eq "PUT a bad serves: 400 naming the field" "400 serves" "$CODE $(jb 'd["error"]["field"]')"
req bad_tls "${AUTH[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "{'purpose':'tomcat','starttls':'pop3'}")" "$BASE/nodes/$NODE/deploy-targets"
assert_eq "PUT a bad starttls: 400 naming the field" "400 starttls" "$CODE $(jb 'd["error"]["field"]')"
req clear "${AUTH[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "{'purpose':'tomcat','serves':'','starttls':''}")" "$BASE/nodes/$NODE/deploy-targets"
assert_eq "PUT: the address cleared, the files kept" "200 |$T/d/tomcat.pem" "$CODE $(jb 'd["serves"] + "|" + d["cert"]')"
cfx --json doctor --node $NODE
assert_eq "a cleared address forgets its last check" "" "$(json '" ".join(f["rule"] for f in d["findings"] if f["rule"].startswith("served-"))' <"$LAST")"
req deploy "${AUTH[@]}" -H "$CTJ" --data-binary "$(jbody "{'node':'$NODE','purpose':'tomcat'}")" "$BASE/deploy"
assert_eq "certfleetd deploying its own tomcat identity checks its own listener" "200 127.0.0.1:$PORT $STORED True" \
	"$CODE $(jb 'd["served"][0]["address"] + " " + d["served"][0]["sha256"] + " " + str(d["served"][0]["matches"])')"
req deploy_ipsec "${AUTH[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "{'purpose':'ipsec','cert':'$T/d/ipsec.pem'}")" "$BASE/nodes/$NODE/deploy-targets"
req deploy_other "${AUTH[@]}" -H "$CTJ" --data-binary "$(jbody "{'node':'$NODE','purpose':'ipsec'}")" "$BASE/deploy"
assert_eq "...not when it deploys another purpose" "200 0" "$CODE $(jb 'len(d["served"])')"
assert_no_sanitizer_report "served checks"
assert_clean_stop
finish
