#!/usr/bin/env bash
# certfleetd (issue 4, SPEC §11.3): HTTPS with the node's tomcat identity, login with a session
# cookie and CSRF token, the read routes, deleting a trust certificate (admin + CSRF only, with
# its audit row), errors as JSON, no private key in any response, no password in the log, and a
# clean stop on SIGTERM. curl is the client and openssl s_client checks the served certificate.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

UCM=ucm1.example.com
PW_ADMIN='admin password of the test'
PW_READER='reader password of the test'
new_store
cf node add "$UCM" --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add reader --role read-only <<<"$PW_READER" >/dev/null
PW_VICTIM='victim password of the test'
cf user add victim --role read-only <<<"$PW_VICTIM" >/dev/null

# The budget of password checks is off (100 %): the lockout checks below fail many logins in a row
# from one client (test_login_budget.sh has the budget).
start_certfleetd --login-budget 100

# req NAME CURL-ARGS...: one request; the body in $T/r/NAME, the status in $CODE.
mkdir -p "$T/r"
CODE=""
req() {
	local name=$1 type=()
	shift
	[[ " $* " == *" -d "* ]] && type=(-H 'Content-Type: application/json') # JSON bodies say so
	CODE=$(curl -sk -o "$T/r/$name" -w '%{http_code}' "${type[@]}" "$@") || CODE="curl failed ($?)"
}
body() { cat "$T/r/$1"; }
ADMIN_JAR="$T/admin.jar"
READER_JAR="$T/reader.jar"

# ---- login ----------------------------------------------------------------------------------
req login_bad -c "$T/bad.jar" -d '{"user":"admin","password":"not the password at all"}' "$BASE/login"
assert_eq "wrong password" 401 "$CODE"
assert_eq "wrong password: error shape" unauthenticated "$(json 'd["error"]["code"]' <"$T/r/login_bad")"
MSG_BAD=$(json 'd["error"]["message"]' <"$T/r/login_bad")
req login_nouser -d '{"user":"nobody","password":"not the password at all"}' "$BASE/login"
assert_eq "unknown user" 401 "$CODE"
assert_eq "unknown user: same message" "$MSG_BAD" "$(json 'd["error"]["message"]' <"$T/r/login_nouser")"
assert_eq "no cookie after a failed login" "" "$(grep certfleet_session "$T/bad.jar" || true)"

req login_admin -D "$T/login.hdr" -c "$ADMIN_JAR" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login"
assert_eq "login" 200 "$CODE"
CSRF=$(json 'd["csrf"]' <"$T/r/login_admin")
assert_eq "csrf token" 64 "${#CSRF}"
COOKIE=$(grep -i '^set-cookie:' "$T/login.hdr" | tr -d '\r')
for attr in HttpOnly Secure SameSite=Strict Path=/; do
	assert_contains "cookie $attr" "; $attr" "$COOKIE"
done
req login_reader -c "$READER_JAR" -d "{\"user\":\"reader\",\"password\":\"$PW_READER\"}" "$BASE/login"
assert_eq "reader login" 200 "$CODE"
CSRF_R=$(json 'd["csrf"]' <"$T/r/login_reader")

# ---- reads ------------------------------------------------------------------------------------
req nodes -b "$ADMIN_JAR" "$BASE/nodes"
assert_eq "nodes" 200 "$CODE"
assert_eq "nodes shape" "$UCM ucm True" "$(json '" ".join(str(x) for x in (d["items"][0]["fqdn"], d["items"][0]["product"], d["items"][0]["publisher"]))' <"$T/r/nodes")"
req nodes_anon "$BASE/nodes"
assert_eq "nodes without a session" 401 "$CODE"
req certs_anon "$BASE/certificates"
assert_eq "certificates without a session" 401 "$CODE"
req certs_badcookie -b "certfleet_session=$(printf '0%.0s' {1..64})" "$BASE/certificates"
assert_eq "certificates with a made-up session" 401 "$CODE"

req certs -b "$ADMIN_JAR" "$BASE/certificates"
assert_eq "certificates" 200 "$CODE"
TOTAL=$(json 'd["total"]' <"$T/r/certs")
CLI_TOTAL=$(cf cert list --json | json 'len(d["items"])')
assert_eq "total equals the CLI's list" "$CLI_TOTAL" "$TOTAL"
assert_eq "all items on the first page" "$TOTAL" "$(json 'len(d["items"])' <"$T/r/certs")"
req page -b "$ADMIN_JAR" "$BASE/certificates?limit=3&offset=2"
assert_eq "page" 200 "$CODE"
assert_eq "page size" 3 "$(json 'len(d["items"])' <"$T/r/page")"
assert_eq "page total" "$TOTAL" "$(json 'd["total"]' <"$T/r/page")"
assert_eq "page is the right slice" "$(json '[i["id"] for i in d["items"][2:5]]' <"$T/r/certs")" \
	"$(json '[i["id"] for i in d["items"]]' <"$T/r/page")"
req page_end -b "$ADMIN_JAR" "$BASE/certificates?limit=50&offset=$TOTAL"
assert_eq "past the end" "0 $TOTAL" "$(json 'str(len(d["items"])) + " " + str(d["total"])' <"$T/r/page_end")"
req limit_big -b "$ADMIN_JAR" "$BASE/certificates?limit=1001"
assert_eq "limit over 1000" 400 "$CODE"
req limit_bad -b "$ADMIN_JAR" "$BASE/certificates?limit=abc"
assert_eq "limit not a number" 400 "$CODE"
req trust_only -b "$ADMIN_JAR" "$BASE/certificates?store=tomcat-trust"
assert_eq "filter by store" "tomcat-trust" "$(json '",".join(sorted(set(i["store"] for i in d["items"])))' <"$T/r/trust_only")"
req node_unknown -b "$ADMIN_JAR" "$BASE/certificates?node=nosuch.example.com"
assert_eq "unknown node" 404 "$CODE"

TOMCAT_ID=$(cf cert list --json --node "$UCM" --purpose tomcat | json 'd["items"][0]["id"]')
TOMCAT_SHA=$(cf cert list --json --node "$UCM" --purpose tomcat | json 'd["items"][0]["sha256"]')
req one -b "$ADMIN_JAR" "$BASE/certificates/$TOMCAT_ID"
assert_eq "one certificate" 200 "$CODE"
assert_eq "its sha256" "$TOMCAT_SHA" "$(json 'd["sha256"]' <"$T/r/one")"
assert_eq "its pem is the certificate" "$TOMCAT_SHA" \
	"$(json 'd["pem"]' <"$T/r/one" | openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
req id_bad -b "$ADMIN_JAR" "$BASE/certificates/12a"
assert_eq "id not all digits" 400 "$CODE"
req id_traversal -b "$ADMIN_JAR" "$BASE/certificates/..%2F..%2Fetc%2Fpasswd"
assert_eq "id with a path" 400 "$CODE"
req id_missing -b "$ADMIN_JAR" "$BASE/certificates/999999"
assert_eq "no such certificate" 404 "$CODE"
assert_eq "error shape" True "$(json '"code" in d["error"] and "message" in d["error"]' <"$T/r/id_missing")"
req no_route -b "$ADMIN_JAR" "$BASE/nothing-here"
assert_eq "unknown route" 404 "$CODE"

# ---- deleting a trust certificate ---------------------------------------------------------------
TRUST_ID=$(cf cert list --json --node "$UCM" --store tomcat-trust | json 'd["items"][0]["id"]')
req del_anon -X DELETE -H "X-CSRF-Token: $CSRF" "$BASE/certificates/$TRUST_ID"
assert_eq "delete without a session" 401 "$CODE"
req del_nocsrf -b "$ADMIN_JAR" -X DELETE "$BASE/certificates/$TRUST_ID"
assert_eq "delete without CSRF" 403 "$CODE"
req del_badcsrf -b "$ADMIN_JAR" -X DELETE -H "X-CSRF-Token: ${CSRF_R}" "$BASE/certificates/$TRUST_ID"
assert_eq "delete with a wrong CSRF" 403 "$CODE"
req del_reader -b "$READER_JAR" -X DELETE -H "X-CSRF-Token: $CSRF_R" "$BASE/certificates/$TRUST_ID"
assert_eq "delete as read-only" 403 "$CODE"
assert_eq "still there after the refusals" 1 \
	"$(cf cert list --json | json "sum(1 for i in d['items'] if i['id'] == $TRUST_ID)")"
req del_ok -b "$ADMIN_JAR" -X DELETE -H "X-CSRF-Token: $CSRF" "$BASE/certificates/$TRUST_ID"
assert_eq "delete as admin" 200 "$CODE"
assert_eq "delete answer" "[$TRUST_ID]" "$(json 'd["ids"]' <"$T/r/del_ok")"
assert_eq "gone" 0 "$(cf cert list --json | json "sum(1 for i in d['items'] if i['id'] == $TRUST_ID)")"
req del_again -b "$ADMIN_JAR" -X DELETE -H "X-CSRF-Token: $CSRF" "$BASE/certificates/$TRUST_ID"
assert_eq "delete again" 404 "$CODE"
req del_identity -b "$ADMIN_JAR" -X DELETE -H "X-CSRF-Token: $CSRF" "$BASE/certificates/$TOMCAT_ID"
assert_eq "delete an identity" 409 "$CODE"
assert_eq "identity kept" 1 "$(cf cert list --json | json "sum(1 for i in d['items'] if i['id'] == $TOMCAT_ID)")"

cf --json audit >"$T/audit.json"
assert_eq "audit row of the delete" "admin 127.0.0.1 ok" "$(json "' '.join(next((r['account'], r['client'], r['result']) for r in d['items'] if r['action'] == 'trust delete' and r['object'].startswith('id $TRUST_ID ')))" <"$T/audit.json")"
assert_eq "one ok row for the delete" 1 "$(json "sum(1 for r in d['items'] if r['action'] == 'trust delete' and r['result'] == 'ok')" <"$T/audit.json")"
req audit -b "$READER_JAR" "$BASE/audit"
assert_eq "audit for read-only" 200 "$CODE"
assert_eq "audit total" "$(json 'd["total"]' <"$T/audit.json")" "$(json 'd["total"]' <"$T/r/audit")"
req audit_anon "$BASE/audit"
assert_eq "audit without a session" 401 "$CODE"

# ---- malformed input ------------------------------------------------------------------------------
req bad_json -d '{"user": "admin", "password": ' "$BASE/login"
assert_eq "malformed JSON" 400 "$CODE"
req not_object -d '["admin"]' "$BASE/login"
assert_eq "JSON that is not an object" 400 "$CODE"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T/big"
req big -H 'Content-Type: application/json' --data-binary @"$T/big" "$BASE/login"
assert_eq "2 MiB body" 413 "$CODE"

# ---- the served certificate -----------------------------------------------------------------------
SERVED=$(openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 |
	sed 's/.*=//; s/://g' | tr A-F a-f)
assert_eq "served certificate is the tomcat identity" "$TOMCAT_SHA" "$SERVED"

# ---- logout ---------------------------------------------------------------------------------------
req logout_nocsrf -b "$READER_JAR" -X POST "$BASE/logout"
assert_eq "logout without CSRF" 403 "$CODE"
req logout -b "$READER_JAR" -c "$READER_JAR" -X POST -H "X-CSRF-Token: $CSRF_R" "$BASE/logout"
assert_eq "logout" 200 "$CODE"
req after_logout -b "$READER_JAR" "$BASE/nodes"
assert_eq "session ended" 401 "$CODE"

# ---- login throttling ---------------------------------------------------------------------------
# Per account: 5 wrong passwords lock it; the 6th attempt from the same address, even with the
# right one, is refused as a wrong password is (401, no Retry-After: a lock does not tell that the
# account exists) and does not lengthen the lock (more in test_sessions.sh).
for i in 1 2 3 4 5; do
	req "victim_bad$i" -d '{"user":"victim","password":"wrong"}' "$BASE/login"
	assert_eq "victim wrong password $i" 401 "$CODE"
done
req victim_locked -D "$T/locked.hdr" -d "{\"user\":\"victim\",\"password\":\"$PW_VICTIM\"}" "$BASE/login"
assert_eq "locked account" 401 "$CODE"
assert_eq "locked: no Retry-After" "" "$(grep -i '^retry-after' "$T/locked.hdr" || true)"
assert_eq "locked: the message of a wrong password" "$MSG_BAD" "$(json 'd["error"]["message"]' <"$T/r/victim_locked")"
sq() { store_sql "$1"; }
assert_eq "failures stored" 5 "$(sq "SELECT failed_logins FROM users WHERE name = 'victim'")"
LEFT=$(($(sq "SELECT locked_until FROM users WHERE name = 'victim'") - $(date +%s)))
assert_eq "locked for 60 s after the 5th failure" 1 "$((LEFT > 40 && LEFT <= 60))"
sq "UPDATE users SET locked_until = 1 WHERE name = 'victim'" # the lock has run out
req victim_ok -d "{\"user\":\"victim\",\"password\":\"$PW_VICTIM\"}" "$BASE/login"
assert_eq "login once the lock ran out" 200 "$CODE"
assert_eq "success resets the counters" "0|0" "$(sq "SELECT failed_logins, locked_until FROM users WHERE name = 'victim'")"
# Per address: at most 20 failures per 5 minutes, unknown user names included (8 so far).
N=0
while [ "$N" -lt 21 ]; do
	N=$((N + 1))
	req addr_fail -D "$T/addr.hdr" -d "{\"user\":\"nobody-$RANDOM-$N\",\"password\":\"x\"}" "$BASE/login"
	[ "$CODE" = 401 ] || break
done
assert_eq "address throttled" 429 "$CODE"
assert_eq "after 20 failures in all" 13 "$N"
assert_contains "address: Retry-After" "Retry-After:" "$(tr -d '\r' <"$T/addr.hdr")"
req addr_admin -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login"
assert_eq "right password from a throttled address" 429 "$CODE"
assert_contains "refusals logged" "login refused: account victim locked" "$(cat "$T/daemon.err")"
assert_eq "no victim password in the log" "" "$(grep -F "$PW_VICTIM" "$T/daemon.err" || true)"

# ---- still serving, secrets kept, clean stop ---------------------------------------------------------
req alive -b "$ADMIN_JAR" "$BASE/nodes"
assert_eq "daemon still serving" 200 "$CODE"
assert_eq "no private key in any response" "" "$(grep -l 'PRIVATE KEY' "$T"/r/* || true)"
assert_eq "no admin password in the log" "" "$(grep -F "$PW_ADMIN" "$T/daemon.err" || true)"
assert_eq "no reader password in the log" "" "$(grep -F "$PW_READER" "$T/daemon.err" || true)"
assert_eq "no session id in the log" "" "$(grep -F "$(awk '$6 == "certfleet_session" {print $7}' "$ADMIN_JAR")" "$T/daemon.err" || true)"
assert_contains "request log line" "DELETE /api/v1/certificates/$TRUST_ID 200" "$(cat "$T/daemon.err")"
assert_clean_stop
finish
