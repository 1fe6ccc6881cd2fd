#!/usr/bin/env bash
# certfleetd's change routes (issue 4, SPEC §11.3) end to end: self-signed, CSR preview/generate/
# download, an external CA (openssl) signing the CSR, upload of the chain (multipart, trust store)
# and of the certificate (JSON with the identity), the restart plan, hot reload of the served
# identity (a change from another process while a client holds its connection open), accounts,
# doctor and status; errors naming the field at fault; one audit row per change.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
: "${SRCDIR:?set SRCDIR to the source tree (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

D=example.com
UCM=ucm1.$D UCM2=ucm2.$D IMP=imp1.$D
PW_ADMIN='admin password of the change test'
new_store
cf cluster set cl1 presence-domains "$D" >/dev/null
cf node add "$UCM" --cluster cl1 --product ucm --publisher >/dev/null
cf node add "$UCM2" --cluster cl1 --product ucm >/dev/null
cf node add "$IMP" --cluster cl1 --product imp --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null

start_certfleetd --node "$UCM"

mkdir -p "$T/r"
CODE=""
req() {
	local name=$1 type=()
	shift
	[[ " $* " == *" -d "* ]] && type=(-H 'Content-Type: application/json') # JSON bodies say so
	CODE=$(curl -sk -o "$T/r/$name" -w '%{http_code}' "${type[@]}" "$@") || CODE="curl failed ($?)"
}
J="$T/admin.jar"
req login -c "$J" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login"
assert_eq "login" 200 "$CODE"
CSRF=$(json 'd["csrf"]' <"$T/r/login")
SESSION=$(awk '$6 == "certfleet_session" {print $7}' "$J")
# change NAME METHOD PATH [CURL-ARGS...]: an admin change with the CSRF token.
change() {
	local name=$1 method=$2 path=$3
	shift 3
	req "$name" -b "$J" -X "$method" -H "X-CSRF-Token: $CSRF" "$@" "$BASE$path"
}
audit_rows() { cf --json audit --limit 1000 | json 'd["total"]'; }
served_sha() {
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -outform DER | sha256sum | cut -d' ' -f1
}
tomcat_sha() { cf cert list --json --node "$1" --purpose tomcat | json 'd["items"][0]["sha256"]'; }

# ---- session, nodes, status, doctor -----------------------------------------------------------
req session -b "$J" "$BASE/session"
assert_eq "session" "admin admin $CSRF" "$(json '" ".join((d["user"], d["role"], d["csrf"]))' <"$T/r/session")"
req nodes -b "$J" "$BASE/nodes"
assert_eq "ucm purposes include tomcat and CallManager" "True True" \
	"$(json '" ".join(str(p in next(n for n in d["items"] if n["fqdn"] == "'$UCM'")["purposes"]) for p in ("tomcat", "CallManager"))' <"$T/r/nodes")"
assert_eq "imp stores include cup-xmpp-trust" True \
	"$(json '"cup-xmpp-trust" in next(n for n in d["items"] if n["fqdn"] == "'$IMP'")["stores"]' <"$T/r/nodes")"
req status -b "$J" "$BASE/status"
assert_eq "status is the CLI's" "$(cf --json status | json 'd')" "$(json 'd' <"$T/r/status")"
req doctor -b "$J" "$BASE/doctor"
assert_eq "doctor" 200 "$CODE"
assert_eq "doctor findings are the CLI's" "$(cf --json doctor | json '[f["rule"] for f in d["findings"]]' || true)" \
	"$(json '[f["rule"] for f in d["findings"]]' <"$T/r/doctor")"
req doctor_node -b "$J" "$BASE/doctor?node=nosuch.$D"
assert_eq "doctor for an unknown node" 404 "$CODE"

# ---- a change by another process is seen by the very next request (cached totals and CRLs) ------
total() { curl -sk -b "$J" "$BASE/certificates?limit=1" | json 'd["total"]'; }
BEFORE_TOTAL=$(total)
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=Another CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cf trust add --node "$IMP" --store cup-trust other-ca.pem >/dev/null
assert_eq "the next list counts what the command line added" "$((BEFORE_TOTAL + 1))" "$(total)"

# ---- self-signed --------------------------------------------------------------------------------
OLD_SHA=$(tomcat_sha "$UCM")
assert_eq "daemon serves the tomcat identity" "$OLD_SHA" "$(served_sha)"
ROWS=$(audit_rows)
change ss POST /self-signed -d "{\"node\":\"$UCM2\",\"purpose\":\"tomcat\",\"key\":\"rsa:3072\",\"days\":400}"
assert_eq "self-signed" 200 "$CODE"
assert_eq "self-signed: the new identity" "$(tomcat_sha "$UCM2") RSA 3072 True" \
	"$(json '" ".join(str(x) for x in (d["items"][0]["sha256"], d["items"][0]["key_type"], d["items"][0]["key_bits"], d["items"][0]["self_signed"]))' <"$T/r/ss")"
assert_eq "self-signed: restart plan names tomcat on the node" True \
	"$(json 'any(s["node"] == "'$UCM2'" and "Tomcat" in s.get("service", "") for s in d["restart_plan"])' <"$T/r/ss")"
assert_eq "self-signed: one audit row" "$((ROWS + 1))" "$(audit_rows)"
assert_eq "self-signed: its row" "admin 127.0.0.1 cert self-signed tomcat on $UCM2 ok" \
	"$(cf --json audit --limit 1 | json '" ".join(d["items"][0][k] for k in ("account", "client", "action", "object", "result"))')"
change ss_badkey POST /self-signed -d "{\"node\":\"$UCM2\",\"purpose\":\"tomcat\",\"key\":\"rsa:1000\"}"
assert_eq "bad key spec" "400 key" "$CODE $(json 'd["error"].get("field")' <"$T/r/ss_badkey")"
change ss_baddays POST /self-signed -d "{\"node\":\"$UCM2\",\"purpose\":\"tomcat\",\"days\":\"many\"}"
assert_eq "days not a number" "400 days" "$CODE $(json 'd["error"].get("field")' <"$T/r/ss_baddays")"
change ss_badpurpose POST /self-signed -d "{\"node\":\"$UCM2\",\"purpose\":\"cup-xmpp\"}"
assert_eq "purpose the node lacks" "400 purpose" "$CODE $(json 'd["error"].get("field")' <"$T/r/ss_badpurpose")"
change ss_nonode POST /self-signed -d "{\"node\":\"nosuch.$D\",\"purpose\":\"tomcat\"}"
assert_eq "unknown node" "404 node" "$CODE $(json 'd["error"].get("field")' <"$T/r/ss_nonode")"
assert_eq "refusals by the library are audited too" "$((ROWS + 4))" "$(audit_rows)"
assert_eq "refused row says why" True \
	"$(cf --json audit --limit 1 | json 'd["items"][0]["result"].startswith("refused: ")')"

# ---- hot reload: a change from the command line while a client holds its connection ------------
python3 "$SRCDIR/tests/integration/hold_conn.py" "$PORT" "$SESSION" "$T/go" >"$T/hold.out" 2>"$T/hold.err" &
HOLD=$!
for _ in $(seq 1 100); do
	grep -q '^first' "$T/hold.out" 2>/dev/null && break
	sleep 0.05
done
assert_eq "held connection: first request" "first 200 $OLD_SHA" "$(head -1 "$T/hold.out")"
cf cert self-signed --node "$UCM" --purpose tomcat >/dev/null
NEW_SHA=$(tomcat_sha "$UCM")
GOT=""
for _ in $(seq 1 50); do # within 5 s
	GOT=$(served_sha)
	[ "$GOT" = "$NEW_SHA" ] && break
	sleep 0.1
done
assert_eq "a new connection gets the new certificate within 5 s" "$NEW_SHA" "$GOT"
touch "$T/go"
wait "$HOLD" || fail "hold_conn.py: $(cat "$T/hold.err")"
assert_eq "the held connection still works, on the old certificate" "second 200 $OLD_SHA" "$(sed -n 2p "$T/hold.out")"
assert_contains "reload logged" "tomcat identity changed: new connections get sha256 $NEW_SHA" "$(cat "$T/daemon.err")"

# ---- CSR: preview, generate, download ----------------------------------------------------------
req preview -b "$J" "$BASE/csr/preview?node=$UCM&purpose=tomcat&multi_server=1"
assert_eq "preview" 200 "$CODE"
assert_eq "preview: SAN of the multi-server tomcat" "DNS:$IMP DNS:$UCM DNS:$UCM2" \
	"$(json '" ".join(sorted(d["san"]))' <"$T/r/preview")"
req preview_sub -b "$J" "$BASE/csr/preview?node=$UCM2&purpose=tomcat&multi_server=1"
assert_eq "multi-server preview on a subscriber" 409 "$CODE"
req preview_bad -b "$J" "$BASE/csr/preview?node=$UCM&purpose=tomcat&multi_server=yes"
assert_eq "multi_server not 0/1" "400 multi_server" "$CODE $(json 'd["error"]["field"]' <"$T/r/preview_bad")"
ROWS=$(audit_rows)
change csr POST /csr -d "{\"node\":\"$UCM\",\"purpose\":\"tomcat\",\"multi_server\":true}"
assert_eq "generate CSR" 200 "$CODE"
assert_eq "CSR SAN as previewed" "$(json 'sorted(d["san"])' <"$T/r/preview")" "$(json 'sorted(d["san"])' <"$T/r/csr")"
assert_eq "CSR: one audit row" "$((ROWS + 1))" "$(audit_rows)"
req csr_pem -D "$T/csr.hdr" -b "$J" "$BASE/csr?node=$UCM&purpose=tomcat&format=pem"
assert_eq "download CSR" 200 "$CODE"
assert_contains "download: attachment" "attachment; filename=\"$UCM-tomcat.csr\"" "$(tr -d '\r' <"$T/csr.hdr")"
assert_contains "download: type" "Content-Type: application/pkcs10" "$(tr -d '\r' <"$T/csr.hdr")"
if openssl req -in "$T/r/csr_pem" -noout -verify 2>/dev/null; then ok; else fail "downloaded CSR does not verify"; fi
req csr_json -b "$J" "$BASE/csr?node=$UCM&purpose=tomcat"
assert_eq "CSR as JSON is the download" "$(cat "$T/r/csr_pem")" "$(json 'd["pem"]' <"$T/r/csr_json" | sed '$!b')"
req csr_none -b "$J" "$BASE/csr?node=$UCM2&purpose=tomcat"
assert_eq "no pending CSR (wrong state, as the command line's exit 5)" 409 "$CODE"

# ---- an external CA signs it; upload the chain (multipart) and the certificate ----------------
mkdir -p "$T/ca"
cd "$T/ca"
printf '[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' >ca.cnf
printf '[v3_leaf]\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >>ca.cnf
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 -subj "/O=Example Corp/CN=Example Root CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/O=Example Corp/CN=Example Issuing CA" 2>/dev/null
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 -extfile ca.cnf -extensions v3_ca \
	-out int.pem 2>/dev/null
openssl x509 -req -in "$T/r/csr_pem" -CA int.pem -CAkey int.key -CAcreateserial -days 365 -copy_extensions copy \
	-extfile ca.cnf -extensions v3_leaf -out leaf.pem 2>/dev/null
cat root.pem int.pem >chain.pem
cd "$T"
ROWS=$(audit_rows)
change up_chain POST /upload -F "node=$UCM" -F store=tomcat-trust -F "description=Example CA chain" \
	-F "file=@$T/ca/chain.pem;filename=chain.pem"
assert_eq "upload chain into tomcat-trust (multipart)" 200 "$CODE"
assert_eq "chain: both CAs, on every node with the store" True \
	"$(json 'len(d["ids"]) >= 2 and "'$UCM2'" in d["nodes"]' <"$T/r/up_chain")"
assert_eq "chain: one audit row" "$((ROWS + 1))" "$(audit_rows)"
change up_leaf POST /upload -F "node=$UCM" -F purpose=tomcat -F "file=@$T/ca/leaf.pem;filename=leaf.pem"
assert_eq "upload the certificate (multipart)" 200 "$CODE"
LEAF_SHA=$(openssl x509 -in "$T/ca/leaf.pem" -outform DER | sha256sum | cut -d' ' -f1)
assert_eq "uploaded: the identity on each node in scope" "$LEAF_SHA $LEAF_SHA" "$(tomcat_sha "$UCM") $(tomcat_sha "$UCM2")"
assert_eq "uploaded: restart plan has steps on the nodes" True \
	"$(json 'len(d["restart_plan"]) > 0 and {s["node"] for s in d["restart_plan"]} >= {"'$UCM'", "'$UCM2'"}' <"$T/r/up_leaf")"
assert_eq "uploaded: CSR consumed" 409 "$(curl -sk -o /dev/null -w '%{http_code}' -b "$J" "$BASE/csr?node=$UCM&purpose=tomcat")"
GOT=""
for _ in $(seq 1 50); do
	GOT=$(served_sha)
	[ "$GOT" = "$LEAF_SHA" ] && break
	sleep 0.1
done
assert_eq "the daemon now serves the CA-signed certificate" "$LEAF_SHA" "$GOT"
if openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$T/ca/root.pem" -verify_return_error -verify_hostname "$UCM" \
	</dev/null >/dev/null 2>&1; then ok; else fail "the served chain does not verify against the root for $UCM"; fi

# JSON upload with a private key that does not belong to the certificate: refused, naming "key".
KEY_JSON=$(python3 -c 'import json,sys; print(json.dumps({"node": sys.argv[1], "purpose": "tomcat", "pem": open(sys.argv[2]).read(), "key": open(sys.argv[3]).read()}))' \
	"$UCM" "$T/ca/leaf.pem" "$T/ca/int.key")
ROWS=$(audit_rows)
change up_badkey POST /upload -H 'Content-Type: application/json' --data-binary "$KEY_JSON"
assert_eq "upload with another certificate's key" "400 key" "$CODE $(json 'd["error"].get("field")' <"$T/r/up_badkey")"
assert_eq "identity unchanged" "$LEAF_SHA" "$(tomcat_sha "$UCM")"
assert_eq "the refusal is audited" "$((ROWS + 1))" "$(audit_rows)"
change up_nofile POST /upload -F "node=$UCM" -F purpose=tomcat
assert_eq "multipart without a file" "400 file" "$CODE $(json 'd["error"].get("field")' <"$T/r/up_nofile")"
change up_both POST /upload -F "node=$UCM" -F purpose=tomcat -F store=tomcat-trust -F "file=@$T/ca/leaf.pem"
assert_eq "purpose and store both" 400 "$CODE"
change up_garbage POST /upload -F "node=$UCM" -F purpose=tomcat -F "file=@$T/ca/ca.cnf"
assert_eq "a file that is no certificate" "400 file" "$CODE $(json 'd["error"].get("field")' <"$T/r/up_garbage")"
# the page's errors give page advice, never a command-line option; the reason lets it link the fix
change up_nocsr POST /upload -F "node=$UCM" -F purpose=tomcat -F "file=@$T/ca/leaf.pem;filename=leaf.pem"
assert_eq "upload without a key and without a pending CSR" "409 no-csr" "$CODE $(json 'd["error"].get("reason")' <"$T/r/up_nocsr")"
MSG=$(json 'd["error"]["message"]' <"$T/r/up_nocsr")
assert_contains "no pending CSR: says to generate a CSR first" "generate a CSR first" "$MSG"
assert_eq "no pending CSR: names no option or command" "" "$(grep -oE -- '--|certfleet ' <<<"$MSG" || true)"
change csr_ipsec POST /csr -d "{\"node\":\"$UCM\",\"purpose\":\"ipsec\"}"
assert_eq "a pending ipsec CSR" 200 "$CODE"
KEY_JSON2=$(python3 -c 'import json,sys; print(json.dumps({"node": sys.argv[1], "purpose": "ipsec", "pem": open(sys.argv[2]).read(), "key": open(sys.argv[3]).read()}))' \
	"$UCM" "$T/ca/leaf.pem" "$T/ca/int.key")
change up_pending POST /upload -H 'Content-Type: application/json' --data-binary "$KEY_JSON2"
assert_eq "upload with a key while a CSR is pending" "409 csr-pending" "$CODE $(json 'd["error"].get("reason")' <"$T/r/up_pending")"
MSG=$(json 'd["error"]["message"]' <"$T/r/up_pending")
assert_contains "CSR pending: says what to do" "without a private key, or discard the CSR first" "$MSG"
assert_eq "CSR pending: names no option or command" "" "$(grep -oE -- '--|certfleet ' <<<"$MSG" || true)"
change csr_ipsec_discard DELETE "/csr?node=$UCM&purpose=ipsec"
assert_eq "the ipsec CSR discarded" 200 "$CODE"

# ---- accounts -------------------------------------------------------------------------------------
PW_OP='operator password of the change test'
PW_OP2='second operator password of the test'
change uadd POST /users -d "{\"name\":\"operator\",\"role\":\"read-only\",\"password\":\"$PW_OP\"}"
assert_eq "add user" 201 "$CODE"
change uadd_dup POST /users -d "{\"name\":\"operator\",\"role\":\"read-only\",\"password\":\"$PW_OP\"}"
assert_eq "add the same user again" 409 "$CODE"
change uadd_short POST /users -d '{"name":"shorty","role":"admin","password":"short"}'
assert_eq "too short a password" "400 password" "$CODE $(json 'd["error"].get("field")' <"$T/r/uadd_short")"
change uadd_role POST /users -d "{\"name\":\"x\",\"role\":\"root\",\"password\":\"$PW_OP\"}"
assert_eq "unknown role" "400 role" "$CODE $(json 'd["error"].get("field")' <"$T/r/uadd_role")"
req users -b "$J" "$BASE/users"
assert_eq "users" "admin:admin operator:read-only" "$(json '" ".join(u["name"] + ":" + u["role"] for u in d["items"])' <"$T/r/users")"
OJ="$T/op.jar"
req oplogin -c "$OJ" -d "{\"user\":\"operator\",\"password\":\"$PW_OP\"}" "$BASE/login"
assert_eq "new user logs in" 200 "$CODE"
OCSRF=$(json 'd["csrf"]' <"$T/r/oplogin")
req op_users -b "$OJ" "$BASE/users"
assert_eq "read-only may not list accounts" 403 "$CODE"
req op_pw_other -b "$OJ" -X PUT -H "X-CSRF-Token: $OCSRF" -d "{\"password\":\"$PW_OP2\"}" "$BASE/users/admin/password"
assert_eq "read-only may not set another's password" 403 "$CODE"
req op_pw -b "$OJ" -X PUT -H "X-CSRF-Token: $OCSRF" -d "{\"password\":\"$PW_OP2\"}" "$BASE/users/operator/password"
assert_eq "read-only sets its own password" 200 "$CODE"
req op_still -b "$OJ" "$BASE/session"
assert_eq "own session kept after a password change" 200 "$CODE"
change udel DELETE /users/operator
assert_eq "delete user" 200 "$CODE"
req op_gone -b "$OJ" "$BASE/session"
assert_eq "a deleted user's session ends" 401 "$CODE"
change udel_self DELETE /users/admin
assert_eq "an admin cannot delete itself" 409 "$CODE"
change udel_none DELETE /users/nobody
assert_eq "delete an unknown user" 404 "$CODE"

# ---- discard a CSR --------------------------------------------------------------------------------
change csr2 POST /csr -d "{\"node\":\"$IMP\",\"purpose\":\"cup-xmpp\"}"
assert_eq "CSR for cup-xmpp" 200 "$CODE"
change csr_del DELETE "/csr?node=$IMP&purpose=cup-xmpp"
assert_eq "discard CSR" 200 "$CODE"
assert_eq "discarded" 409 "$(curl -sk -o /dev/null -w '%{http_code}' -b "$J" "$BASE/csr?node=$IMP&purpose=cup-xmpp")"

# ---- secrets --------------------------------------------------------------------------------------
assert_eq "no private key in any response" "" "$(grep -l 'PRIVATE KEY' "$T"/r/* || true)"
for pw in "$PW_ADMIN" "$PW_OP" "$PW_OP2"; do
	assert_eq "no password in the log" "" "$(grep -F "$pw" "$T/daemon.err" || true)"
	assert_eq "no password in the audit log" "" "$(cf --json audit --limit 1000 | grep -F "$pw" || true)"
done
assert_clean_stop
finish
