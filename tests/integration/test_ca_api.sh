#!/usr/bin/env bash
# The local CA's routes on certfleetd (SPEC §9, §11.4) with curl, and the openssl command as the
# oracle: a root (its RSA-4096 key made on a worker while the daemon answers others) and an
# intermediate made through the API, their chain from GET /api/v1/ca/{name} verified; settings;
# a certificate issued from openssl's CSR and verified against the CA's chain from the API; one
# issued certificate read back (JSON and the PEM download); a revocation, the revoked list and the
# CRL from the API verified with `openssl crl -verify`, listing the serial with its reason, its
# number as GET /api/v1/ca/{name} says; every refusal (a bad name or field 400 naming it, an
# unknown CA or parent 404, a name taken or a serial revoked twice 409, the read-only role and a
# missing CSRF token 403) changing nothing; the JSON as the command line's --json; the audit rows
# with the API account's name; no key in any answer.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1
mkdir -p r
PW_ADMIN='CA API test admin password'
PW_READER='CA API test reader password'

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add reader --role read-only <<<"$PW_READER" >/dev/null
start_certfleetd

CTJ='Content-Type: application/json'
CSRF=$(curl -sk -c admin.jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
CSRF_R=$(curl -sk -c reader.jar -H "$CTJ" -d "{\"user\":\"reader\",\"password\":\"$PW_READER\"}" "$BASE/login" | json 'd["csrf"]')
# Every answer is kept in r/ (checked for keys at the end); $B is the last one's file, $H its
# headers, $CODE its status.
N=0
B=/dev/null
H=/dev/null
CODE=""
call() { # call NAME CURL-ARGS...
	N=$((N + 1))
	B="r/$N-$1.body"
	H="r/$N-$1.head"
	shift
	CODE=$(curl -sk --max-time 120 -D "$H" -o "$B" -w '%{http_code}' "$@") || CODE="curl failed"
}
post() { call "$1" -b admin.jar -H "X-CSRF-Token: $CSRF" -H "$CTJ" --data-binary "$3" "$BASE$2"; } # post NAME PATH BODY
get() { call "$1" -b admin.jar "$BASE$2"; }                                                           # get NAME PATH
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 160 "$B" | tr -d '\0\n'))"; }
err() { jb '"%s %s" % (d["error"]["code"], d["error"].get("field", "-"))'; } # code and field of an error
jbody() { python3 -c 'import json,sys; print(json.dumps(eval(sys.argv[1])))' "$1"; }
pemof() { printf 'open("%s").read()' "$1"; }
ca_count() { cf --json ca list | json 'len(d["items"])'; }
issued() { cf --json ca list | json "[c['issued'] for c in d['items'] if c['name'] == '$1'][0]"; }
audit_total() { cf --json audit --limit 1 | json 'd["total"]'; }
# refused WHAT AUDITED: nothing of the CA state changed since $STATE0; AUDITED 1 when the refusal
# reached the library (its row, "refused: ..."), 0 when it did not (no row)
snap() { cf --json ca list; store_sql 'SELECT serial, revoked_at FROM ca_issued ORDER BY serial'; }
refused() {
	assert_eq "$1: nothing changed" "$STATE0" "$(snap)"
	assert_eq "$1: audit rows" "$2" "$(($(audit_total) - AUDIT0))"
	if [ "$2" = 1 ]; then
		assert_contains "$1: the row says refused" "admin|refused: " \
			"$(cf --json audit --limit 1 | json 'd["items"][0]["account"] + "|" + d["items"][0]["result"]')"
	fi
	STATE0=$(snap)
	AUDIT0=$(audit_total)
}

get empty /ca
assert_eq "GET /ca with no CA" '200 []' "$CODE $(jb 'd["items"]')"

# ---- a root, made on a worker: the daemon answers others meanwhile --------------------------------
post root /ca "{\"name\":\"root\",\"subject\":\"/C=JP/O=Example/CN=Example Root CA\",\"days\":3650}" &
ROOT_POST=$!
for _ in $(seq 1 3000); do
	kill -0 $ROOT_POST 2>/dev/null || break
	curl -sk -o /dev/null -b admin.jar "$BASE/nodes" || true
done
wait $ROOT_POST || true
B=r/$((N + 1))-root.body # (the background call's N did not come back)
N=$((N + 1))
assert_eq "ca create (the default key: RSA-4096)" "root None Example Root CA" \
	"$(jb '" ".join([d["name"], str(d["parent"]), d["subject"].split("CN=")[1].split(",")[0]])')"
SERVED=$(awk '
	index($0, "ca create by admin: root") { started = 1; next }
	started && / POST \/api\/v1\/ca 201 / { print n + 0; exit }
	started && / GET \/api\/v1\/nodes 200 / { n++ }' "$T/daemon.err")
if [ "${SERVED:-0}" -ge 1 ]; then ok; else fail "no request was answered while the root's key was made (the loop waited)"; fi
cf ca show root --pem >root.cli.pem
assert_eq "...an RSA-4096 key" "Public-Key: (4096 bit)" \
	"$(openssl x509 -in root.cli.pem -noout -text | grep -o 'Public-Key: (4096 bit)')"

post issuing /ca '{"name":"issuing","parent":"root","key":"ec:secp384r1","subject":"CN=Example Issuing CA,O=Example"}'
assert_eq "ca create under a parent: 201" "201 issuing root" "$CODE $(jb 'd["name"] + " " + d["parent"]')"
assert_eq "...as ca list --json has it (with the CRL's status beside it)" \
	"$(cf --json ca list | json "[c for c in d['items'] if c['name'] == 'issuing'][0]")" "$(jb '{k: v for k, v in d.items() if k != "crl"}')"
assert_eq "...no CRL made yet" None "$(jb 'd["crl"]')"
get list /ca
assert_eq "GET /ca: as ca list --json, each with its CRL" "$(cf --json ca list | json 'd["items"]')" \
	"$(jb '[{k: v for k, v in c.items() if k != "crl"} for c in d["items"]]')"
assert_eq "...the root issued the intermediate" "1 0" "$(jb '" ".join(str(c[k]) for c in d["items"] if c["name"] == "root" for k in ("issued", "revoked"))')"
get show_root /ca/root
jb 'd["pem"]' >root.pem
assert_eq "GET /ca/root: its certificate" "$(openssl x509 -in root.cli.pem -outform DER | sha256sum)" \
	"$(openssl x509 -in root.pem -outform DER | sha256sum)"
get show_issuing /ca/issuing
jb 'd["pem"]' >issuing.pem
jb 'd["chain_pem"]' >chain.pem
assert_eq "GET /ca/issuing: its chain is itself and the root" 2 "$(grep -c 'BEGIN CERTIFICATE' chain.pem)"
assert_eq "openssl verifies the intermediate against the root from the API" "issuing.pem: OK" \
	"$(openssl verify -CAfile root.pem issuing.pem 2>&1)"
TEXT=$(openssl x509 -in issuing.pem -noout -text)
assert_contains "...CA:TRUE, pathlen:0" "CA:TRUE, pathlen:0" "$TEXT"
assert_contains "...its EC P-384 key" "NIST CURVE: P-384" "$TEXT"
assert_eq "GET /ca/root: pem, chain_pem, crl beside the CLI's members" "True True True 1" \
	"$(json "' '.join(str(k in d) for k in ('pem', 'chain_pem', 'crl')) + ' ' + str(d['issued'])" <"r/$((N - 1))-show_root.body")"

# ---- refusals of create: 4xx naming the field, nothing made ---------------------------------------
STATE0=$(snap)
AUDIT0=$(audit_total)
post bad_name /ca '{"name":"bad name","key":"ec:prime256v1"}'
assert_eq "a bad name: 400 naming it" "400 input rejected name" "$CODE $(err)"
assert_eq "...no command-line words in the message" "" "$(jb 'd["error"]["message"]' | grep -oE -- '--[a-z]+' || true)"
refused "a bad name" 1
post weak /ca '{"name":"weak","key":"rsa:1024"}'
assert_eq "a weak key: 400 naming key" "400 input rejected key" "$CODE $(err)"
refused "a weak key" 1
post no_cn /ca '{"name":"nocn","key":"ec:prime256v1","subject":"/O=No CN"}'
assert_eq "a subject without CN: 400 naming subject" "400 input rejected subject" "$CODE $(err)"
assert_contains "...says why" "needs a CN" "$(jb 'd["error"]["message"]')"
refused "a subject without CN" 1
post no_parent /ca '{"name":"orphan","parent":"nosuch","key":"ec:prime256v1"}'
assert_eq "an unknown parent: 404 naming parent" "404 not found parent" "$CODE $(err)"
refused "an unknown parent" 1
post taken /ca '{"name":"root","key":"ec:prime256v1"}'
assert_eq "a name taken: 409" "409 wrong state name" "$CODE $(err)"
refused "a name taken" 1
post pathlen /ca '{"name":"sub","parent":"issuing","key":"ec:prime256v1"}'
assert_eq "a CA under a pathlen:0 CA: 400" "400 input rejected parent" "$CODE $(err)"
assert_contains "...says why" "allows no CA below it" "$(jb 'd["error"]["message"]')"
refused "a CA under a pathlen:0 CA" 1
for c in 'days|{"name":"x","days":0}' 'days|{"name":"x","days":"30"}' 'pathlen|{"name":"x","pathlen":17}' \
	'name|{"key":"ec:prime256v1"}' 'name|{"name":""}' 'dayz|{"name":"x","dayz":3}' 'parent|{"name":"x","parent":7}'; do
	IFS='|' read -r field body <<<"$c"
	post "bad_$field" /ca "$body"
	assert_eq "create $body: 400 naming $field" "400 input rejected $field" "$CODE $(err)"
done
refused "malformed bodies (not audited: they reach no library)" 0
call reader_create -b reader.jar -H "X-CSRF-Token: $CSRF_R" -H "$CTJ" --data-binary '{"name":"r","key":"ec:prime256v1"}' "$BASE/ca"
assert_eq "create by the read-only role: 403" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
call nocsrf_create -b admin.jar -H "$CTJ" --data-binary '{"name":"r","key":"ec:prime256v1"}' "$BASE/ca"
assert_eq "create without the CSRF token: 403" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
call anon_list "$BASE/ca"
assert_eq "GET /ca without a session: 401" 401 "$CODE"
call reader_list -b reader.jar "$BASE/ca"
assert_eq "GET /ca by the read-only role" 200 "$CODE"
refused "the read-only role, no CSRF token" 0
get unknown /ca/nosuch
assert_eq "GET an unknown CA: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
assert_eq "two CAs" 2 "$(ca_count)"

# ---- settings --------------------------------------------------------------------------------------
post cfg_bad_url /ca/issuing/config '{"base_url":"ftp://x"}'
assert_eq "config: a base URL that is not http: 400 naming base_url" "400 input rejected base_url" "$CODE $(err)"
refused "a bad base URL" 1
post cfg_bad_period /ca/issuing/config '{"crl_validity":7200,"crl_interval":10800}'
assert_eq "config: an interval longer than the CRL's validity: 400" "400 input rejected" "$CODE $(jb 'd["error"]["code"]')"
refused "an interval longer than the validity" 1
post cfg_bad_type /ca/issuing/config '{"crl_validity":"72h"}'
assert_eq "config: a period that is not seconds: 400 naming it" "400 input rejected crl_validity" "$CODE $(err)"
post cfg_unknown /ca/nosuch/config '{"crl_validity":7200}'
assert_eq "config of an unknown CA: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
call cfg_reader -b reader.jar -H "X-CSRF-Token: $CSRF_R" -H "$CTJ" --data-binary '{"crl_validity":7200}' "$BASE/ca/issuing/config"
assert_eq "config by the read-only role: 403" 403 "$CODE"
refused "config refusals" 1
BASEURL="http://127.0.0.1:8080"
post cfg /ca/issuing/config "{\"base_url\":\"$BASEURL\",\"crl_validity\":172800,\"crl_interval\":43200,\"ocsp_validity\":3600}"
assert_eq "config: the settings and URLs" "200 172800 43200 3600 $BASEURL/crl/issuing.crl $BASEURL/ocsp/issuing" \
	"$CODE $(jb "' '.join(str(d[k]) for k in ('crl_validity', 'crl_interval', 'ocsp_validity', 'crl_url', 'ocsp_url'))")"
assert_eq "...as ca show --json has them" "$(cf --json ca show issuing | json '[d[k] for k in ("base_url", "crl_validity", "crl_interval", "ocsp_validity")]')" \
	"$(jb '[d[k] for k in ("base_url", "crl_validity", "crl_interval", "ocsp_validity")]')"

# ---- issuing ----------------------------------------------------------------------------------------
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -subj "/CN=cucm1.example.com" \
	-addext "subjectAltName=DNS:cucm1.example.com" -out leaf.csr 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -subj "/CN=ec.example.com" \
	-out ec.csr 2>/dev/null
jbody "{'csr':$(pemof leaf.csr),'profile':'tomcat','days':30}" >issue.json
STATE0=$(snap)
AUDIT0=$(audit_total)
post issue /ca/issuing/issue "@issue.json"
assert_eq "ca issue: 201 with serial and pem (as ca issue --json)" "201 pem serial" "$CODE $(jb '" ".join(sorted(d))')"
SER=$(jb 'd["serial"]')
jb 'd["pem"]' >leaf.pem
assert_eq "openssl verifies it against the CA's chain from the API" "leaf.pem: OK" \
	"$(openssl verify -CAfile chain.pem leaf.pem 2>&1)"
assert_eq "...and against the root alone, the intermediate untrusted" "leaf.pem: OK" \
	"$(openssl verify -CAfile root.pem -untrusted issuing.pem leaf.pem 2>&1)"
assert_eq "...the serial the answer says" "$SER" "$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2 | tr A-F a-f)"
TEXT=$(openssl x509 -in leaf.pem -noout -text)
assert_contains "...tomcat's serverAuth and clientAuth" "TLS Web Server Authentication, TLS Web Client Authentication" "$TEXT"
assert_contains "...the CRL DP under the base URL" "URI:$BASEURL/crl/issuing.crl" "$TEXT"
NA=$(date -d "$(openssl x509 -in leaf.pem -noout -enddate | cut -d= -f2)" +%s)
NOW=$(date +%s)
assert_eq "...valid 30 days" 1 "$((NA >= NOW + 30 * 86400 - 120 && NA <= NOW + 30 * 86400 + 120 ? 1 : 0))"
assert_eq "...recorded with the CA" 1 "$(issued issuing)"
STATE0=$(snap)
assert_eq "...one audit row" 1 "$(($(audit_total) - AUDIT0))"
AUDIT0=$(audit_total)

jbody "{'csr':$(pemof ec.csr),'profile':'tomcat'}" >issue_ec.json
post issue_ec /ca/issuing/issue "@issue_ec.json"
assert_eq "tomcat from an EC request: 400 naming csr" "400 input rejected csr" "$CODE $(err)"
assert_contains "...says why" "needs an RSA key" "$(jb 'd["error"]["message"]')"
refused "tomcat from an EC request" 1
jbody "{'csr':$(pemof leaf.csr),'profile':'nosuch'}" >issue_profile.json
post issue_profile /ca/issuing/issue "@issue_profile.json"
assert_eq "an unknown profile: 400 naming profile" "400 input rejected profile" "$CODE $(err)"
refused "an unknown profile" 1
post issue_garbage /ca/issuing/issue '{"csr":"not a request"}'
assert_eq "garbage: 400 naming csr" "400 input rejected csr" "$CODE $(err)"
refused "a garbage request" 1
post issue_unknown /ca/nosuch/issue "@issue.json"
assert_eq "issue at an unknown CA: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
refused "an unknown CA" 1
post issue_days /ca/issuing/issue "$(jbody "{'csr':$(pemof leaf.csr),'days':-1}")"
assert_eq "issue: days -1: 400 naming days" "400 input rejected days" "$CODE $(err)"
post issue_nocsr /ca/issuing/issue '{"profile":"tomcat"}'
assert_eq "issue without a request: 400 naming csr" "400 input rejected csr" "$CODE $(err)"
call issue_reader -b reader.jar -H "X-CSRF-Token: $CSRF_R" -H "$CTJ" --data-binary "@issue.json" "$BASE/ca/issuing/issue"
assert_eq "issue by the read-only role: 403" 403 "$CODE"
refused "malformed issue bodies and the read-only role" 0

# ---- one issued certificate read back --------------------------------------------------------------
get one "/ca/issuing/issued?serial=$(echo "$SER" | sed 's/../&:/g; s/:$//' | tr a-f A-F)"
assert_eq "GET issued?serial= (typed with colons): the certificate" "200 1 $SER tomcat None" \
	"$CODE $(jb '" ".join(str(x) for x in [len(d["items"]), d["items"][0]["serial"], d["items"][0]["profile"], d["items"][0]["revoked_at"]])')"
assert_eq "...its PEM is the one issued" "$(openssl x509 -in leaf.pem -outform DER | sha256sum)" \
	"$(jb 'd["items"][0]["pem"]' | openssl x509 -outform DER | sha256sum)"
get one_pem "/ca/issuing/issued?serial=$SER&format=pem"
assert_eq "...as a PEM download" "200 $(openssl x509 -in leaf.pem -outform DER | sha256sum)" \
	"$CODE $(openssl x509 -in "$B" -outform DER 2>/dev/null | sha256sum)"
assert_contains "...named for the CA and serial" "attachment; filename=\"issuing-$SER.pem\"" "$(grep -i '^content-disposition:' "$H" | tr -d '\r')"
assert_contains "...as application/x-pem-file" "application/x-pem-file" "$(grep -i '^content-type:' "$H" | tr -d '\r')"
get one_unknown "/ca/issuing/issued?serial=0123456789"
assert_eq "a serial it never issued: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
get one_bad "/ca/issuing/issued?serial=xyz"
assert_eq "a serial that is not hex: 400 naming serial" "400 input rejected serial" "$CODE $(err)"
get issued_all "/ca/issuing/issued"
assert_eq "the whole issued list is not offered: 400 naming revoked" "400 input rejected revoked" "$CODE $(err)"
get issued_bad "/ca/issuing/issued?revoked=yes"
assert_eq "revoked=yes: 400" "400 input rejected revoked" "$CODE $(err)"
get revoked_none "/ca/issuing/issued?revoked=1"
assert_eq "the revoked list, before any revocation: empty" "200 []" "$CODE $(jb 'd["items"]')"

# ---- revocation and the CRL --------------------------------------------------------------------
get crl0 /ca/issuing/crl
assert_eq "GET /ca/issuing/crl: the first one, made on request" 200 "$CODE"
openssl crl -inform DER -in "$B" -out crl0.pem 2>/dev/null
crlnum() { openssl crl "$@" -noout -crlnumber | cut -d= -f2 | python3 -c 'import sys; print(int(sys.stdin.read().strip(), 16))'; }
N0=$(crlnum -in crl0.pem)
jbody "{'csr':$(pemof leaf.csr),'profile':'tomcat'}" >issue2.json
post issue2 /ca/issuing/issue "@issue2.json"
SER2=$(jb 'd["serial"]')
STATE0=$(snap)
AUDIT0=$(audit_total)
post revoke /ca/issuing/revoke "{\"serial\":\"$(echo "$SER" | sed 's/../&:/g; s/:$//' | tr a-f A-F)\",\"reason\":\"keyCompromise\"}"
assert_eq "ca revoke (the serial typed with colons): as ca revoke --json" "200 issuing $SER keyCompromise" \
	"$CODE $(jb '" ".join([d["ca"], d["serial"], d["reason"]])')"
assert_eq "...one audit row" 1 "$(($(audit_total) - AUDIT0))"
STATE0=$(snap)
AUDIT0=$(audit_total)
post revoke_again /ca/issuing/revoke "{\"serial\":\"$SER\"}"
assert_eq "revoked twice: 409" "409 wrong state" "$CODE $(jb 'd["error"]["code"]')"
refused "revoked twice" 1
post revoke_unknown /ca/issuing/revoke '{"serial":"0123456789"}'
assert_eq "a serial it never issued: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
refused "a serial it never issued" 1
post revoke_hold /ca/issuing/revoke "{\"serial\":\"$SER2\",\"reason\":\"certificateHold\"}"
assert_eq "certificateHold: 400 naming reason" "400 input rejected reason" "$CODE $(err)"
refused "certificateHold" 1
post revoke_badser /ca/issuing/revoke '{"serial":"not hex"}'
assert_eq "a serial that is not hex: 400 naming serial" "400 input rejected serial" "$CODE $(err)"
refused "a serial that is not hex" 1
post revoke_noca /ca/nosuch/revoke "{\"serial\":\"$SER2\"}"
assert_eq "revoke at an unknown CA: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
refused "revoke at an unknown CA" 1
call revoke_reader -b reader.jar -H "X-CSRF-Token: $CSRF_R" -H "$CTJ" --data-binary "{\"serial\":\"$SER2\"}" "$BASE/ca/issuing/revoke"
assert_eq "revoke by the read-only role: 403" 403 "$CODE"
call revoke_nocsrf -b admin.jar -H "$CTJ" --data-binary "{\"serial\":\"$SER2\"}" "$BASE/ca/issuing/revoke"
assert_eq "revoke without the CSRF token: 403" 403 "$CODE"
refused "revoke by the read-only role, without the CSRF token" 0

get revoked "/ca/issuing/issued?revoked=1"
assert_eq "the revoked list: the serial, its reason" "200 1 $SER keyCompromise" \
	"$CODE $(jb '" ".join(str(x) for x in [len(d["items"]), d["items"][0]["serial"], d["items"][0]["reason"]])')"
call revoked_reader -b reader.jar "$BASE/ca/issuing/issued?revoked=1"
assert_eq "...the read-only role reads it" 200 "$CODE"
get show_after /ca/issuing
assert_eq "GET /ca/issuing: the counts" "2 1" "$(jb '"%d %d" % (d["issued"], d["revoked"])')"
CRLNUM=$(jb 'd["crl"]["number"]')
assert_eq "...the CRL's dates" "True True" "$(jb '" ".join(str(bool(d["crl"][k])) for k in ("this_update", "next_update"))')"
VALID=$(jb '(__import__("datetime").datetime.strptime(d["crl"]["next_update"], "%Y-%m-%dT%H:%M:%SZ") - __import__("datetime").datetime.strptime(d["crl"]["this_update"], "%Y-%m-%dT%H:%M:%SZ")).total_seconds()')
assert_eq "...valid as configured (48 h)" 172800.0 "$VALID"
get crl /ca/issuing/crl
assert_contains "the CRL: application/pkix-crl" "application/pkix-crl" "$(grep -i '^content-type:' "$H" | tr -d '\r')"
assert_contains "...a download named for the CA" "attachment; filename=\"issuing.crl\"" "$(grep -i '^content-disposition:' "$H" | tr -d '\r')"
cp "$B" crl.der
assert_eq "openssl verifies the CRL with the CA's chain from the API" "verify OK" \
	"$(openssl crl -inform DER -in crl.der -CAfile chain.pem -noout -verify 2>&1)"
CRLTEXT=$(openssl crl -inform DER -in crl.der -noout -text)
assert_contains "...lists the revoked serial" "Serial Number: $(echo "$SER" | tr a-f A-F)" "$CRLTEXT"
assert_contains "...with its reason" "Key Compromise" "$CRLTEXT"
assert_eq "...one entry" 1 "$(echo "$CRLTEXT" | grep -c 'Serial Number:')"
N1=$(crlnum -inform DER -in crl.der)
assert_eq "...the number GET /ca/issuing says" "$CRLNUM" "$N1"
assert_eq "...a higher number than the first" 1 "$((N1 > N0 ? 1 : 0))"
openssl crl -inform DER -in crl.der -out crl.pem
V=$(openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem leaf.pem 2>&1 || true)
assert_contains "openssl verify -crl_check: the leaf revoked" "certificate revoked" "$V"
get crl_unknown /ca/nosuch/crl
assert_eq "the CRL of an unknown CA: 404" "404 not found" "$CODE $(jb 'd["error"]["code"]')"
call crl_anon "$BASE/ca/issuing/crl"
assert_eq "the CRL without a session: 401" 401 "$CODE"

# ---- the audit log: the API's rows as the command line's, with the API account's name -----------------
cf --json audit --limit 200 >audit.json
ROWS=$(json "'\n'.join('|'.join(r[k] for k in ('account', 'client', 'action', 'object')) for r in reversed(d['items']) if r['action'].startswith('ca ') and r['result'] == 'ok')" <audit.json)
assert_eq "the changes audited, one row each" "admin|127.0.0.1|ca create|root
admin|127.0.0.1|ca create|issuing
admin|127.0.0.1|ca config|issuing
admin|127.0.0.1|ca issue|issuing $SER
admin|127.0.0.1|ca issue|issuing $SER2
admin|127.0.0.1|ca revoke|issuing $SER" "$ROWS"
assert_contains "refusals audited with the API's words" "admin|ca create|bad name|refused: name: only letters, digits" \
	"$(json "[ '|'.join([r['account'], r['action'], r['object'], r['result']]) for r in d['items'] if r['object'] == 'bad name'][0]" <audit.json)"

# ---- no key anywhere, the daemon stops cleanly -------------------------------------------------------
assert_eq "the store does keep the CAs' keys (the check below can fail)" 2 \
	"$(store_sql "SELECT count(*) FROM cas WHERE key_pem LIKE '%PRIVATE KEY%'")"
assert_eq "no private key in any answer" "" "$(grep -la 'PRIVATE KEY' r/* || true)"
assert_eq "no private key in the daemon's log" "" "$(grep -a 'PRIVATE KEY' "$T/daemon.err" | head -3 || true)"
assert_clean_stop
assert_no_sanitizer_report "at exit"
finish
