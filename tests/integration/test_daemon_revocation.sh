#!/usr/bin/env bash
# certfleetd's revocation routes (issue 6, SPEC §6 and §11.3) with curl: the settings (get, put,
# a bad value refused naming its field, nothing changed), CRLs added as a multipart form and as
# JSON (refused when the issuer is unknown), listed as `crl list --json` lists them, a
# certificate's status from them (revoked, good, unknown), removed; distribution points added,
# listed and removed, and an update now against python's http.server on loopback; the daily
# schedule; the read-only role refused every change (403) and every change one audit row.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

NODE=ucm1.example.com
PW_ADMIN='admin password of the revocation test'
PW_READER='reader password of the revocation test'
new_store
cf node add "$NODE" --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add reader --role read-only <<<"$PW_READER" >/dev/null

# ---- a CA with an openssl database; a tomcat identity it signs; CRLs ---------------------------
mkdir -p ca/db
: >ca/db/index.txt
echo 1000 >ca/db/crlnumber
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca/ca.key -out ca/ca.pem -days 3650 -subj "/CN=Daemon Revocation CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cat >ca/ca.cnf <<EOF
[ca]
default_ca = d
[d]
database = $T/ca/db/index.txt
crlnumber = $T/ca/db/crlnumber
certificate = $T/ca/ca.pem
private_key = $T/ca/ca.key
default_md = sha256
default_crl_days = 7
EOF
cf trust add --node "$NODE" --store tomcat-trust ca/ca.pem >/dev/null
cf csr generate --node "$NODE" --purpose tomcat >/dev/null
cf csr show --node "$NODE" --purpose tomcat --pem >tomcat.csr
openssl x509 -req -in tomcat.csr -CA ca/ca.pem -CAkey ca/ca.key -copy_extensions copy -days 365 -set_serial 0x7A11 \
	-out tomcat.pem 2>/dev/null
cf cert upload --node "$NODE" --purpose tomcat tomcat.pem >/dev/null
TOMCAT_ID=$(cf --json cert list --node "$NODE" --purpose tomcat | json 'd["items"][0]["id"]')
CA_ID=$(cf --json cert list --node "$NODE" --store tomcat-trust | json '[c["id"] for c in d["items"] if "Daemon Revocation CA" in c["subject"]][0]')
gencrl() { openssl ca -gencrl -config ca/ca.cnf -out "$1" 2>/dev/null; }
gencrl empty.pem # nothing revoked
printf 'R\t301231000000Z\t261101000000Z\t7A11\tunknown\t/CN=x\n' >>ca/db/index.txt
printf 'R\t301231000000Z\t261101000000Z\t0B0B\tunknown\t/CN=y\n' >>ca/db/index.txt
gencrl revoked.pem # 7A11 (the tomcat identity) and 0B0B
openssl crl -in revoked.pem -outform DER -out revoked.der
# a CRL of a CA in no trust store
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 30 -subj "/CN=Other CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
: >other_index.txt
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/other_index.txt\ndefault_md=sha256\ndefault_crl_days=7\n' "$T" >other.cnf
openssl ca -gencrl -config other.cnf -keyfile other.key -cert other.pem -out other.crl 2>/dev/null
if [ -s revoked.der ] && [ -s empty.pem ] && [ -s other.crl ] && [ -n "$TOMCAT_ID" ]; then ok; else fail "the CA, the identity or the CRLs could not be made"; fi

start_certfleetd
API=$BASE
CTJ='Content-Type: application/json'
CODE=""
B=$T/body
# req CURL-ARGS...: the body in $B, the status in $CODE
req() { CODE=$(curl -sk --max-time 60 -o "$B" -w '%{http_code}' "$@") || CODE="curl failed"; }
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 200 "$B"))"; }
login() { # login USER PASSWORD JAR: prints the CSRF token
	curl -sk -c "$3" -H "$CTJ" -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$API/login" | json 'd["csrf"]'
}
CSRF_A=$(login admin "$PW_ADMIN" admin.jar)
CSRF_R=$(login reader "$PW_READER" reader.jar)
A=(-b admin.jar -H "X-CSRF-Token: $CSRF_A")
R=(-b reader.jar -H "X-CSRF-Token: $CSRF_R")
audit_total() { cf --json audit --limit 1 | json 'd["total"]'; }
# audited WHAT ACTION RESULT: the newest audit row is admin's ACTION with RESULT
audited() {
	assert_eq "$1: audit row" "admin|127.0.0.1|$2|$3" \
		"$(cf --json audit --limit 1 | json '"|".join(d["items"][0][k].split(":")[0] for k in ("account", "client", "action", "result"))')"
}

# ---- settings -------------------------------------------------------------------------------------
req -b reader.jar "$API/revocation"
assert_eq "GET /revocation (read-only)" 200 "$CODE"
assert_eq "GET /revocation is revocation show --json" "$(cf --json revocation show | json 'd')" "$(jb 'd')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"interval":"12h","strict":true,"fallback":"revoked","timeout":20,"ocsp":true,"ocsp_uri":"http://ocsp.example.com/"}' "$API/revocation"
assert_eq "PUT /revocation" 200 "$CODE"
assert_eq "PUT /revocation: the settings now" "12h|True|revoked|20|True|http://ocsp.example.com/|False" \
	"$(jb '"|".join(str(d[k]) for k in ("interval", "strict", "fallback", "timeout", "ocsp", "ocsp_uri", "ocsp_from_cert"))')"
assert_eq "PUT /revocation: the CLI agrees" "$(jb 'd')" "$(cf --json revocation show | json 'd')"
audited "PUT /revocation" "revocation config" ok
BEFORE=$(cf --json revocation show | json 'd')
req "${A[@]}" -X PUT -H "$CTJ" -d '{"strict":false,"interval":"12x"}' "$API/revocation"
assert_eq "PUT /revocation bad interval" 400 "$CODE"
assert_eq "bad interval: the field" interval "$(jb 'd["error"]["field"]')"
assert_contains "bad interval: the message" "12h" "$(jb 'd["error"]["message"]')"
assert_eq "bad interval: nothing changed (strict stays)" "$BEFORE" "$(cf --json revocation show | json 'd')"
audited "refused PUT /revocation" "revocation config" refused
req "${A[@]}" -X PUT -H "$CTJ" -d '{"fallback":"maybe"}' "$API/revocation"
assert_eq "bad fallback: the field" "400 fallback" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"timeout":"ten"}' "$API/revocation"
assert_eq "bad timeout: the field" "400 timeout" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"strict":"yes"}' "$API/revocation"
assert_eq "strict not a boolean: the field" "400 strict" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"colour":"red"}' "$API/revocation"
assert_eq "unknown member: the field" "400 colour" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"ocsp_uri":"http://a.example/","ocsp_from_cert":true}' "$API/revocation"
assert_eq "ocsp_uri and ocsp_from_cert" "400 ocsp_uri" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"ocsp_from_cert":true,"strict":false,"fallback":"not-revoked"}' "$API/revocation"
assert_eq "ocsp_from_cert" "200 True " "$CODE $(jb 'd["ocsp_from_cert"]') $(jb 'd["ocsp_uri"]')"

# ---- CRLs -------------------------------------------------------------------------------------------
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "status without a CRL" "200 unknown" "$CODE $(jb 'd["status"]')"
req "${A[@]}" -F "file=@revoked.der;filename=ca.crl;type=application/pkix-crl" "$API/crls"
assert_eq "POST /crls multipart (DER)" 200 "$CODE"
assert_eq "the CRL added: issuer, entries, source, expired" "CN=Daemon Revocation CA|2|manual|False" \
	"$(jb '"|".join(str(d[k]) for k in ("issuer", "entries", "source", "expired"))')"
CRL_ID=$(jb 'd["id"]')
audited "POST /crls" "crl add" ok
req -b reader.jar "$API/crls"
assert_eq "GET /crls (read-only)" 200 "$CODE"
assert_eq "GET /crls is crl list --json" "$(cf --json crl list | json 'd')" "$(jb 'd')"
assert_eq "GET /crls: one CRL" "$CRL_ID" "$(jb '",".join(str(c["id"]) for c in d["items"])')"
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "the revoked identity" "200 revoked" "$CODE $(jb 'd["status"]')"
assert_eq "revoked: a message" 1 "$(jb '1 if d["message"] else 0')"
req -b reader.jar "$API/certificates/$CA_ID/revocation"
assert_eq "the CA itself (not on its own CRL)" "200 good" "$CODE $(jb 'd["status"]')"
req -b reader.jar "$API/certificates/999999/revocation"
assert_eq "no such certificate" 404 "$CODE"
req -b reader.jar "$API/certificates/x1/revocation"
assert_eq "a malformed id" 400 "$CODE"
# JSON {"pem"}: the empty CRL replaces the manual upload of the same issuer
jpem() { python3 -c 'import json,sys; print(json.dumps({"pem": open(sys.argv[1]).read()}))' "$1"; }
jpem empty.pem >empty.json
req "${A[@]}" -H "$CTJ" --data-binary @empty.json "$API/crls"
assert_eq "POST /crls JSON" "200 0" "$CODE $(jb 'd["entries"]')"
CRL_ID2=$(jb 'd["id"]')
req -b reader.jar "$API/crls"
assert_eq "the manual upload replaced" "$CRL_ID2" "$(jb '",".join(str(c["id"]) for c in d["items"])')"
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "not on the new CRL" "200 good" "$CODE $(jb 'd["status"]')"
# refused: an unknown issuer, not a CRL, no file part, an unknown part
jpem other.crl >other.json
N=$(audit_total)
req "${A[@]}" -H "$CTJ" --data-binary @other.json "$API/crls"
assert_eq "a CRL of an unknown CA" "400 pem" "$CODE $(jb 'd["error"]["field"]')"
assert_contains "unknown CA: the message" "trust store" "$(jb 'd["error"]["message"]')"
audited "refused POST /crls" "crl add" refused
req "${A[@]}" -F "file=@tomcat.pem;filename=tomcat.pem" "$API/crls"
assert_eq "a certificate, not a CRL" "400 file" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -F "node=$NODE" "$API/crls"
assert_eq "an unknown form part" "400 node" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -H "$CTJ" -d '{}' "$API/crls"
assert_eq "JSON without pem" "400 pem" "$CODE $(jb 'd["error"]["field"]')"
assert_eq "refused uploads stored nothing" "$CRL_ID2" "$(cf --json crl list | json '",".join(str(c["id"]) for c in d["items"])')"
# remove
req "${A[@]}" -X DELETE "$API/crls/$CRL_ID2"
assert_eq "DELETE /crls/{id}" "200 True" "$CODE $(jb 'd["removed"]')"
audited "DELETE /crls/{id}" "crl remove" ok
assert_eq "the CRL is gone" 0 "$(cf --json crl list | json 'len(d["items"])')"
# the daemon's parsed CRLs follow changes another process makes, whatever ids they get
cf crl add revoked.der >/dev/null
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "a CRL added by the command line: seen at once" "200 revoked" "$CODE $(jb 'd["status"]')"
cf crl remove "$(cf --json crl list | json 'd["items"][0]["id"]')" >/dev/null
cf crl add empty.pem >/dev/null
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "removed and another added by the command line: seen at once" "200 good" "$CODE $(jb 'd["status"]')"
cf crl remove "$(cf --json crl list | json 'd["items"][0]["id"]')" >/dev/null
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "and removed again" "200 unknown" "$CODE $(jb 'd["status"]')"
req "${A[@]}" -X DELETE "$API/crls/$CRL_ID2"
assert_eq "DELETE it again" 404 "$CODE"
req "${A[@]}" -X DELETE "$API/crls/abc"
assert_eq "DELETE /crls/abc" 400 "$CODE"
req "${A[@]}" -X DELETE "$API/crls/update"
assert_eq "DELETE /crls/update" 405 "$CODE"

# ---- distribution points, update now, schedule -------------------------------------------------------
mkdir www
cp revoked.der www/ca-crl.bin # recognised by content, whatever the name
HPORT=$(free_port)
(cd www && exec python3 -m http.server "$HPORT" --bind 127.0.0.1 >/dev/null 2>&1) &
HPID=$!
on_exit 'kill $HPID 2>/dev/null'
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$HPORT/" && break; sleep 0.1; done
URL="http://127.0.0.1:$HPORT/ca-crl.bin"
BAD="http://127.0.0.1:$HPORT/missing.crl"
req "${A[@]}" -H "$CTJ" -d "{\"url\":\"$URL\"}" "$API/crl-dps"
assert_eq "POST /crl-dps" "200 [\"$URL\"]" "$CODE $(jb 'd["items"]')"
audited "POST /crl-dps" "crl dp add" ok
req "${A[@]}" -H "$CTJ" -d "{\"url\":\"$URL\"}" "$API/crl-dps"
assert_eq "the same URL twice" "409 url" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -H "$CTJ" -d '{"url":"ftp://127.0.0.1/x.crl"}' "$API/crl-dps"
assert_eq "an ftp URL" "400 url" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -H "$CTJ" -d "{\"url\":\"$BAD\"}" "$API/crl-dps"
assert_eq "POST /crl-dps (a URL that fails)" 200 "$CODE"
req -b reader.jar "$API/crl-dps"
assert_eq "GET /crl-dps is crl dp list --json" "$(cf --json crl dp list | json 'd')" "$(jb 'd')"
assert_eq "GET /crl-dps: both" 2 "$(jb 'len(d["items"])')"
req "${A[@]}" -X POST "$API/crls/update"
assert_eq "POST /crls/update" 200 "$CODE"
assert_eq "update: the good URL ok, the missing one not" "$URL:True $BAD:False" \
	"$(jb '" ".join("%s:%s" % (i["url"], i["ok"]) for i in d["items"])')"
audited "POST /crls/update" "crl update" ok
req -b reader.jar "$API/crls"
assert_eq "the downloaded CRL listed, from its URL" "2|$URL" "$(jb '"|".join(str(d["items"][0][k]) for k in ("entries", "source"))')"
req -b reader.jar "$API/certificates/$TOMCAT_ID/revocation"
assert_eq "revoked by the downloaded CRL" "200 revoked" "$CODE $(jb 'd["status"]')"
req "${A[@]}" -X DELETE "$API/crl-dps?url=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BAD")"
assert_eq "DELETE /crl-dps?url=" "200 [\"$URL\"]" "$CODE $(jb 'd["items"]')"
audited "DELETE /crl-dps" "crl dp remove" ok
req "${A[@]}" -X DELETE "$API/crl-dps?url=http://127.0.0.1:9/none.crl"
assert_eq "DELETE an unknown dp" "404 url" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X DELETE "$API/crl-dps"
assert_eq "DELETE /crl-dps without url" "400 url" "$CODE $(jb 'd["error"]["field"]')"
req -b reader.jar "$API/crl-schedule"
assert_eq "GET /crl-schedule" "200 02:00 False" "$CODE $(jb 'd["daily_at"]') $(jb 'd["use_cdp"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"daily_at":"03:45","use_cdp":true}' "$API/crl-schedule"
assert_eq "PUT /crl-schedule" "200 03:45 True" "$CODE $(jb 'd["daily_at"]') $(jb 'd["use_cdp"]')"
audited "PUT /crl-schedule" "crl config" ok
assert_eq "PUT /crl-schedule: the CLI agrees" "$(jb 'd')" "$(cf --json crl config | json 'd')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"daily_at":"25:99"}' "$API/crl-schedule"
assert_eq "a bad daily time" "400 daily_at" "$CODE $(jb 'd["error"]["field"]')"
req "${A[@]}" -X PUT -H "$CTJ" -d '{"use_cdp":"on"}' "$API/crl-schedule"
assert_eq "use_cdp not a boolean" "400 use_cdp" "$CODE $(jb 'd["error"]["field"]')"

# ---- the read-only role: every change 403, nothing changed, no audit row ---------------------------------
N=$(audit_total)
CRL_NOW=$(cf --json crl list | json 'd["items"][0]["id"]')
jpem revoked.pem >revoked.json
for what in "PUT revocation {\"strict\":true}" "POST crls @revoked.json" "POST crls/update -" "DELETE crls/$CRL_NOW -" \
	"POST crl-dps {\"url\":\"http://127.0.0.1:9/r.crl\"}" "DELETE crl-dps?url=$URL -" "PUT crl-schedule {\"daily_at\":\"01:00\"}"; do
	read -r m p body <<<"$what"
	args=(-X "$m")
	case $body in -) ;; @*) args+=(-H "$CTJ" --data-binary "$body") ;; *) args+=(-H "$CTJ" -d "$body") ;; esac
	req "${R[@]}" "${args[@]}" "$API/$p"
	assert_eq "read-only: $m /$p" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
	req -b admin.jar "${args[@]}" "$API/$p"
	assert_eq "no CSRF token: $m /$p" 403 "$CODE"
done
req "${R[@]}" -F "file=@revoked.der" "$API/crls"
assert_eq "read-only: multipart POST /crls" 403 "$CODE"
assert_eq "read-only: no audit rows" "$N" "$(audit_total)"
assert_eq "read-only: the CRLs unchanged" "$CRL_NOW" "$(cf --json crl list | json '",".join(str(c["id"]) for c in d["items"])')"
assert_eq "read-only: the dps unchanged" 1 "$(cf --json crl dp list | json 'len(d["items"])')"
assert_eq "read-only: the schedule unchanged" 03:45 "$(cf --json crl config | json 'd["daily_at"]')"

assert_no_sanitizer_report "while running"
assert_clean_stop
assert_no_sanitizer_report "at exit"
finish
