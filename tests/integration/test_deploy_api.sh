#!/usr/bin/env bash
# Deploy targets and deploys through certfleetd's API (SPEC §3.8, §11.3): a target set with
# PUT /api/v1/nodes/{name}/deploy-targets, written out with POST /api/v1/deploy into a scratch
# directory. openssl is the oracle: the certificate written is the stored identity, the key
# written belongs to it (their public keys), the chain is the issuing CA. Also: owner and modes,
# the reload command run (its marker file, its output in the answer), a renewal deployed with the
# last working set as .prev, a failing reload (502 "remote failure" as the command line's exit 6,
# the results beside the error, the refusal audited), the read-only role refused, bad fields
# named as the page names them, the audit rows as the command line writes them, and no private
# key in any answer or the daemon's log.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1
mkdir -p ca r d/private d/certs

NODE=ucm1.example.com
PW_ADMIN='Adm1n-deploy-api-test-7c21'
PW_READER='Read3r-deploy-api-test-0b9d'
KEY=$T/d/private/tomcat.key CERT=$T/d/certs/tomcat.pem CHAIN=$T/d/certs/chain.pem MARK=$T/d/reloaded
OWNER="$(id -un):$(id -gn)"

new_store
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add reader --role read-only <<<"$PW_READER" >/dev/null

# ---- an outside CA (root and issuing CA) and two generations of a CA-signed tomcat identity --
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca/root.key -out ca/root.pem -days 3650 -subj "/CN=Deploy Test Root" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout ca/int.key -out ca/int.csr -subj "/CN=Deploy Test Issuing" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca/int.ext
openssl x509 -req -in ca/int.csr -CA ca/root.pem -CAkey ca/root.key -CAcreateserial -days 1825 -extfile ca/int.ext \
	-out ca/int.pem 2>/dev/null
printf 'subjectAltName=DNS:%s\nkeyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
	$NODE >ca/leaf.ext
cf trust add --node $NODE --store tomcat-trust ca/root.pem >/dev/null
cf trust add --node $NODE --store tomcat-trust ca/int.pem >/dev/null
identity() { # identity NAME: a CA-signed tomcat with its own key, uploaded
	openssl req -new -newkey rsa:2048 -nodes -keyout "ca/$1.key" -out "ca/$1.csr" -subj "/CN=$NODE" 2>/dev/null
	openssl x509 -req -in "ca/$1.csr" -CA ca/int.pem -CAkey ca/int.key -CAcreateserial -days 365 \
		-extfile ca/leaf.ext -out "ca/$1.pem" 2>/dev/null
	cat "ca/$1.pem" ca/int.pem >"ca/$1-chain.pem"
	must "upload identity $1" cert upload --node $NODE --purpose tomcat "ca/$1-chain.pem" --key "ca/$1.key"
}
identity gen1
cert_sha() { openssl x509 -in "$1" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
stored_sha() { cf --json cert list --node $NODE --purpose tomcat | json 'd["items"][0]["sha256"]'; }
# deployed_ok WHAT SHA: certificate, key and chain in place are the stored identity (openssl decides)
deployed_ok() {
	assert_eq "$1: the certificate written is the stored identity" "$2" "$(cert_sha "$CERT")"
	local kp cp
	kp=$(openssl pkey -in "$KEY" -pubout 2>/dev/null || echo "no key")
	cp=$(openssl x509 -in "$CERT" -noout -pubkey 2>/dev/null || echo "no certificate")
	assert_eq "$1: the key written belongs to the certificate (openssl: public keys)" "$cp" "$kp"
	assert_eq "$1: the chain written is the issuing CA" "$(cert_sha ca/int.pem)" "$(cert_sha "$CHAIN")"
}

# ---- the daemon and its sessions --------------------------------------------------------------
start_certfleetd
CTJ='Content-Type: application/json'
jbody() { python3 -c 'import json,sys; print(json.dumps(eval(sys.argv[1])))' "$1"; }
NREQ=0
B=/dev/null
# req NAME CURL-ARGS...: one request; its body in $B (every one kept), the status in $CODE
req() {
	NREQ=$((NREQ + 1))
	B="$T/r/$NREQ-$1"
	shift
	CODE=$(curl -sk --max-time 200 -o "$B" -w '%{http_code}' "$@") || CODE="curl failed ($?)"
}
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 160 "$B"))"; }
login() { # login JAR USER PASSWORD: the CSRF token
	req "login-$2" -c "$1" -H "$CTJ" --data-binary "$(jbody "{'user':'$2','password':'$3'}")" "$BASE/login"
	jb 'd["csrf"]'
}
CSRF_A=$(login admin.jar admin "$PW_ADMIN")
CSRF_R=$(login reader.jar reader "$PW_READER")
AUTH_A=(-b admin.jar -H "X-CSRF-Token: $CSRF_A")
AUTH_R=(-b reader.jar -H "X-CSRF-Token: $CSRF_R")
put_target() { req "$1" "${AUTH_A[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "$2")" "$BASE/nodes/$NODE/deploy-targets"; }
deploy() { req "$1" "${AUTH_A[@]}" -H "$CTJ" --data-binary "$(jbody "$2")" "$BASE/deploy"; }
audit_row() { cf --json audit --limit "${1:-1}" | json "'|'.join(d['items'][${2:-0}][k] for k in ('account', 'client', 'action', 'object', 'result'))"; }

# ---- a target set through the API ----------------------------------------------------------------
req empty -b reader.jar "$BASE/nodes/$NODE/deploy-targets"
assert_eq "no targets yet" "200 $NODE 0" "$CODE $(jb 'd["node"] + " " + str(len(d["items"]))')"
put_target set "{'purpose':'tomcat','cert':'$CERT','key':'$KEY','chain':'$CHAIN','owner':'$OWNER','mode':'0640','reload':'touch $MARK; echo reloaded by the test'}"
assert_eq "PUT deploy target" 200 "$CODE"
assert_eq "the answer is the target" "$NODE|tomcat|$CERT|$KEY|$CHAIN|$OWNER|0640|touch $MARK; echo reloaded by the test" \
	"$(jb '"|".join(d[k] for k in ("node", "purpose", "cert", "key", "chain", "owner", "mode", "reload"))')"
assert_eq "audited as the command line's deploy-target set" "admin|127.0.0.1|deploy-target set|tomcat on $NODE|ok" "$(audit_row)"
req list -b reader.jar "$BASE/nodes/$NODE/deploy-targets"
assert_eq "the read-only role lists it, as deploy-target list --json" "$(cf --json deploy-target list --node $NODE | json 'd')" "$(jb 'd')"

# the read-only role changes nothing; bad fields are named as the page names them
BEFORE=$(cf --json deploy-target list --node $NODE)
N_AUDIT=$(cf --json audit --limit 1 | json 'd["total"]')
req reader_put "${AUTH_R[@]}" -X PUT -H "$CTJ" --data-binary "$(jbody "{'purpose':'tomcat','reload':'touch $T/evil'}")" \
	"$BASE/nodes/$NODE/deploy-targets"
assert_eq "read-only: PUT refused" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
req reader_deploy "${AUTH_R[@]}" -H "$CTJ" --data-binary "$(jbody "{'node':'$NODE'}")" "$BASE/deploy"
assert_eq "read-only: deploy refused" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
assert_eq "read-only: nothing written" "no" "$([ -e "$KEY" ] || [ -e "$CERT" ] && echo yes || echo no)"
put_target bad_owner "{'purpose':'tomcat','owner':'$(id -un):no-such-group-5d2a'}"
assert_eq "a group that does not exist" "400 owner" "$CODE $(jb 'd["error"]["field"]')"
assert_contains "...named in the message" 'owner: no such group "no-such-group-5d2a"' "$(jb 'd["error"]["message"]')"
put_target bad_mode "{'purpose':'tomcat','mode':'rw-r--r--'}"
assert_eq "a mode that is not octal" "400 mode" "$CODE $(jb 'd["error"]["field"]')"
put_target bad_key "{'purpose':'tomcat','key':'private/tomcat.key'}"
assert_eq "a relative key path" "400 key" "$CODE $(jb 'd["error"]["field"]')"
assert_eq "...in the page's words" "key path: must be an absolute path, not \"private/tomcat.key\"" "$(jb 'd["error"]["message"]')"
assert_eq "refusals change nothing" "$BEFORE" "$(cf --json deploy-target list --node $NODE)"
assert_eq "the refusals that reached the library are audited" "$((N_AUDIT + 3))" "$(cf --json audit --limit 1 | json 'd["total"]')"
assert_eq "...with their error line" "admin|127.0.0.1|deploy-target set|tomcat on $NODE|refused: key path: must be an absolute path, not \"private/tomcat.key\"" "$(audit_row)"
# the command line says the same words
cfx deploy-target set --node $NODE --purpose tomcat --mode rw-r--r--
expect_rc "the command line: the same refusal" 3
assert_eq "the command line: the same words" "certfleet: mode: expected an octal file mode such as 0644, not \"rw-r--r--\"" "$ERR"

# ---- deploy ------------------------------------------------------------------------------------------
GEN1=$(stored_sha)
deploy first "{'node':'$NODE'}"
assert_eq "POST deploy" 200 "$CODE"
assert_eq "the answer: what deploy --json prints" "$NODE|tomcat|$KEY $CHAIN $CERT|0|reloaded by the test" \
	"$(jb '"|".join([d["node"], d["items"][0]["purpose"], " ".join(d["items"][0]["files"]), str(d["items"][0]["reload_status"]), d["items"][0]["reload_output"].strip()])')"
deployed_ok "first deploy" "$GEN1"
[ -e "$MARK" ] && ok || fail "the reload command did not run (no marker file)"
assert_eq "modes: key 0600, certificate and chain 0640" "600 640 640" "$(stat -c %a "$KEY" "$CERT" "$CHAIN" | xargs)"
assert_eq "owner" "$OWNER $OWNER $OWNER" "$(stat -c %U:%G "$KEY" "$CERT" "$CHAIN" | xargs)"
assert_eq "audited as the command line's deploy" "admin|127.0.0.1|deploy|$NODE|ok" "$(audit_row)"

# a renewal: the new identity deployed for one purpose; the first set is .prev
identity gen2
GEN2=$(stored_sha)
rm -f "$MARK"
deploy renewal "{'node':'$NODE','purpose':'tomcat'}"
assert_eq "POST deploy (purpose)" 200 "$CODE"
# (the renewal's row may have the id of the one it replaced: certfleetd must still notice it)
assert_eq "certfleetd's own listener serves the renewal (the served check)" "127.0.0.1:$PORT $GEN2 True" \
	"$(jb '" ".join(str(d["served"][0][k]) for k in ("address", "sha256", "matches"))')"
deployed_ok "renewal" "$GEN2"
assert_eq "the first set is .prev" "$GEN1" "$(cert_sha "$CERT.prev")"
[ -e "$MARK" ] && ok || fail "the reload command did not run on the renewal"
assert_eq "audited with its purpose" "admin|127.0.0.1|deploy|tomcat on $NODE|ok" "$(audit_row)"

# a failing reload: 502 "remote failure" (the command line's exit 6), the new files in place, the
# results beside the error, the refusal audited with its error line; .prev stays the last working set
put_target fail_reload "{'purpose':'tomcat','reload':'echo the service refused >&2; exit 3'}"
assert_eq "PUT: only the reload changed" "$CERT|$KEY|0640|echo the service refused >&2; exit 3" "$(jb '"|".join(d[k] for k in ("cert", "key", "mode", "reload"))')"
identity gen3
GEN3=$(stored_sha)
deploy failing "{'node':'$NODE'}"
assert_eq "failing reload: 502 remote failure" "502 remote failure" "$CODE $(jb 'd["error"]["code"]')"
assert_eq "failing reload: status and output beside the error" "3|the service refused" \
	"$(jb '"|".join([str(d["items"][0]["reload_status"]), d["items"][0]["reload_output"].strip()])')"
MSG=$(jb 'd["error"]["message"]')
assert_eq "failing reload: the error line" "$NODE: the reload for tomcat failed with exit status 3; the new files are in place and the last working ones are kept as .prev" "$MSG"
deployed_ok "failing reload: the new files are in place" "$GEN3"
assert_eq "failing reload: .prev is the last working set" "$GEN2" "$(cert_sha "$CERT.prev")"
assert_eq "failing reload: audited as refused" "admin|127.0.0.1|deploy|$NODE|refused: $MSG" "$(audit_row)"
cfx --json deploy --node $NODE
expect_rc "the command line: exit 6 for the same failure" 6
assert_eq "the command line: the same error line" "certfleet: $MSG" "$ERR"
[ "$(cf --json audit --limit 1 | json 'd["items"][0]["result"]')" = "$MSG" ] && ok || fail "the command line's refusal row"

# a target whose directory is not there: its own error (400), nothing else written
put_target ipsec "{'purpose':'ipsec','cert':'$T/nowhere/ipsec.pem'}"
assert_eq "PUT ipsec target" 200 "$CODE"
deploy nodir "{'node':'$NODE','purpose':'ipsec'}"
assert_eq "a missing directory" "400 input rejected" "$CODE $(jb 'd["error"]["code"]')"
assert_contains "...named" "$T/nowhere/ipsec.pem: its directory does not exist" "$(jb 'd["error"]["message"]')"
deploy unknown "{'node':'nosuch.example.com'}"
assert_eq "an unknown node" "404 not found" "$CODE $(jb 'd["error"]["code"]')"

# ---- secrets ---------------------------------------------------------------------------------------------
assert_eq "no private key in any answer" "" "$(grep -l 'PRIVATE KEY' "$T"/r/* || true)"
assert_eq "no private key in the daemon's log" "" "$(grep -l 'PRIVATE KEY' "$T/daemon.err" || true)"
assert_eq "the reload's output is not in the daemon's log" "" "$(grep -F 'the service refused' "$T/daemon.err" || true)"
assert_clean_stop
assert_no_sanitizer_report "at exit"
finish
