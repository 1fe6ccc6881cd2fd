#!/usr/bin/env bash
# The tools on certfleetd's API with real peers: POST /api/v1/validate against `openssl verify` (an
# openssl CA's chain valid, a wrong host, an unrelated CA and a missing intermediate refused, a
# node's trust store as the anchor) and the command line's JSON; POST /api/v1/trust/fetch from
# `openssl s_server` and a STARTTLS XMPP stub on 127.0.0.1, every SHA-256 compared with
# `openssl x509 -fingerprint -sha256`, an import that `certfleet cert list` then shows, and
# imports refused (not a CA, unknown node, a peer that is not there) audited with their error
# line. Bad input is a 400 naming the field; the read-only role may validate, not fetch.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
mkdir -p r

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }
jbody() { python3 -c 'import json,sys; print(json.dumps(eval(sys.argv[1])))' "$1"; }
pemof() { printf 'open("%s").read()' "$1"; }

# ---- an openssl CA: root -> intermediate -> leaf for peer.example.com; an unrelated CA ----------
PEER=peer.example.com
cat >ca.ext <<-'EOF'
	basicConstraints=critical,CA:TRUE
	keyUsage=critical,keyCertSign,cRLSign
	subjectKeyIdentifier=hash
	authorityKeyIdentifier=keyid
EOF
cat >leaf.ext <<-EOF
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
	extendedKeyUsage=serverAuth,clientAuth
	subjectAltName=DNS:$PEER
EOF
ca_root() { # ca_root NAME CN
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 365 -subj "/O=Tools Test/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
ca_root root "Tools Root CA"
ca_root other "Tools Unrelated CA"
openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/O=Tools Test/CN=Tools Issuing CA" 2>/dev/null
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 365 -extfile ca.ext 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=$PEER" 2>/dev/null
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 90 -extfile leaf.ext 2>/dev/null
cat leaf.pem int.pem >leaf+int.pem
cat int.pem root.pem >int+root.pem
cat leaf.pem leaf.key >leaf+key.pem
assert_eq "the openssl chain verifies (the oracle)" "leaf.pem: OK" \
	"$(openssl verify -CAfile root.pem -untrusted int.pem -verify_hostname $PEER leaf.pem 2>&1 | tail -1)"

# ---- the deployment and the daemon ------------------------------------------------------------------
PUB=ucm1.example.com
EXP=exp1.example.com
PW_ADMIN='Adm1n-tools-api-7c1d-test'
PW_READER='Read3r-tools-api-2b9e-test'
new_store
cf node add "$PUB" --cluster cl1 --product ucm --publisher >/dev/null
cf node add "$EXP" --cluster cl1 --product expressway-c --publisher --no-defaults >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add reader --role read-only <<<"$PW_READER" >/dev/null
start_certfleetd
CTJ='Content-Type: application/json'
login() { # login JAR USER PASSWORD: prints the CSRF token
	curl -sk -c "$1" -H "$CTJ" --data-binary "$(jbody "{'user':'$2','password':'$3'}")" "$BASE/login" |
		json 'd["csrf"]'
}
CSRF_A=$(login admin.jar admin "$PW_ADMIN")
CSRF_R=$(login reader.jar reader "$PW_READER")
NREQ=0
CODE=""
B=/dev/null
# post AS ROUTE BODY-FILE: one request as admin or reader; the answer in $B, the status in $CODE
post() {
	local jar=admin.jar csrf=$CSRF_A
	[ "$1" = reader ] && jar=reader.jar csrf=$CSRF_R
	NREQ=$((NREQ + 1))
	B="$T/r/$NREQ"
	CODE=$(curl -sk --max-time 60 -b "$jar" -H "X-CSRF-Token: $csrf" -H "$CTJ" --data-binary @"$3" -o "$B" \
		-w '%{http_code}' "$BASE/$2") || CODE="curl failed ($?)"
}
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 160 "$B"))"; }
failed_rules() { jb '" ".join(c["check"] + ":" + c["rule"] for c in d["checks"] if not c["ok"])'; }
audit_total() { cf --json audit --limit 1 | json 'd["total"]'; }
last_audit() { cf --json audit --limit 1 | json '"|".join(d["items"][0][k] for k in ("account", "client", "action", "object", "result"))'; }
# field_400 WHAT FIELD: the last answer was a 400 naming FIELD with a one-line message
field_400() {
	assert_eq "$1: 400 naming $2" "400 $2" "$CODE $(jb 'd["error"].get("field", "-")')"
	assert_eq "$1: one line" 1 "$(jb 'd["error"]["message"]' | wc -l)"
}

# ==== validate ==========================================================================================
AUDIT0=$(audit_total)
# validate WHAT AS BODY (python dict): posts it
validate() {
	jbody "$3" >"v$NREQ.json"
	post "$2" validate "v$NREQ.json"
}
# openssl_says ARGS...: "valid" or "not valid" as openssl verify has it
openssl_says() { if openssl verify "$@" >/dev/null 2>&1; then echo valid; else echo "not valid"; fi; }

validate "good chain" reader "{'pem':$(pemof leaf+int.pem),'host':'$PEER','ca_pem':$(pemof root.pem),'purpose':'tomcat'}"
assert_eq "good chain: the read-only role validates" 200 "$CODE"
GOOD_BODY=$(ls v*.json | head -1)
assert_eq "good chain: valid, as openssl verify" "$(openssl_says -CAfile root.pem -untrusted int.pem -verify_hostname $PEER -purpose sslserver leaf.pem) True" \
	"valid $(jb 'd["ok"]')"
assert_eq "good chain: every check ran and passed" "identity:True validity:True key-usage:True chain:True" \
	"$(jb '" ".join("%s:%s" % (c["check"], c["ok"]) for c in d["checks"])')"
assert_eq "good chain: the chain built, openssl's fingerprints" "$(fp leaf.pem) $(fp int.pem) $(fp root.pem)" \
	"$(jb '" ".join(c["sha256"] for c in d["chain"])')"
cf --json validate leaf+int.pem --host $PEER --ca-file root.pem --purpose tomcat >cli.json || true
assert_eq "good chain: the command line's JSON" "$(json 'd' <cli.json)" "$(jb 'd')"

validate "wrong host" reader "{'pem':$(pemof leaf+int.pem),'host':'wrong.example.com','ca_pem':$(pemof root.pem)}"
assert_eq "wrong host: openssl refuses it too" "not valid" \
	"$(openssl_says -CAfile root.pem -untrusted int.pem -verify_hostname wrong.example.com leaf.pem)"
assert_eq "wrong host: a 200 that says not valid, name-mismatch" "200 False identity:name-mismatch" \
	"$CODE $(jb 'd["ok"]') $(failed_rules)"
assert_contains "wrong host: the message names the host and the certificate's names" "wrong.example.com is not among its names" \
	"$(jb '[c["message"] for c in d["checks"] if not c["ok"]][0]')"

validate "unrelated CA" admin "{'pem':$(pemof leaf+int.pem),'host':'$PEER','ca_pem':$(pemof other.pem)}"
assert_eq "unrelated CA: openssl refuses it too" "not valid" "$(openssl_says -CAfile other.pem -untrusted int.pem leaf.pem)"
assert_eq "unrelated CA: not valid, the chain check fails" "200 False chain:chain-incomplete" \
	"$CODE $(jb 'd["ok"]') $(failed_rules)"

validate "missing intermediate" reader "{'pem':$(pemof leaf.pem),'ca_pem':$(pemof root.pem)}"
assert_eq "missing intermediate: openssl refuses it too" "not valid" "$(openssl_says -CAfile root.pem leaf.pem)"
assert_eq "missing intermediate: chain-incomplete" "200 False chain:chain-incomplete" "$CODE $(jb 'd["ok"]') $(failed_rules)"

validate "purpose of another key type" reader "{'pem':$(pemof leaf+int.pem),'ca_pem':$(pemof root.pem),'purpose':'CallManager-ECDSA'}"
assert_eq "an RSA certificate for an ECDSA purpose" "200 False key-usage:key-type-mismatch" "$CODE $(jb 'd["ok"]') $(failed_rules)"

validate "no trust source" reader "{'pem':$(pemof leaf.pem),'host':'$PEER'}"
assert_eq "no trust source: no chain check, as on the command line" "200 True identity validity" \
	"$CODE $(jb 'd["ok"]') $(jb '" ".join(c["check"] for c in d["checks"])')"

# a node's trust store as the anchor (the page's store picker)
cf trust add --node "$PUB" --store tomcat-trust root.pem >/dev/null
AUDIT0=$(audit_total)
validate "node's store" reader "{'pem':$(pemof leaf+int.pem),'host':'$PEER','node':'$PUB','store':'tomcat-trust','revocation':True}"
assert_eq "the node's tomcat-trust: valid" "200 True" "$CODE $(jb 'd["ok"]')"
assert_eq "the node's tomcat-trust: revocation asked (no CRL or OCSP: no status)" "True" \
	"$(jb 'any(c["check"] == "revocation" and c["ok"] for c in d["checks"])')"
validate "node's other store" reader "{'pem':$(pemof leaf+int.pem),'node':'$PUB','store':'CallManager-trust'}"
assert_eq "a store without the root: chain-incomplete" "200 False chain:chain-incomplete" "$CODE $(jb 'd["ok"]') $(failed_rules)"

# bad input: a 400 naming the field, one line; nothing of a pasted key comes back
validate "not PEM" reader "{'pem':'this is not a certificate'}"
field_400 "text that is no certificate" pem
validate "a key in the PEM" reader "{'pem':$(pemof leaf+key.pem)}"
field_400 "a private key after the certificate" pem
KEY_LINE=$(sed -n 2p leaf.key)
assert_eq "a pasted key: none of it in the answer" "" "$(grep -F "$KEY_LINE" "$B" || true)"
validate "bad ca_pem" reader "{'pem':$(pemof leaf.pem),'ca_pem':'-----BEGIN CERTIFICATE-----\nAAAA\n'}"
field_400 "a truncated ca_pem" ca_pem
validate "node without store" reader "{'pem':$(pemof leaf.pem),'node':'$PUB'}"
field_400 "node without store" store
validate "store and ca_pem" reader "{'pem':$(pemof leaf.pem),'node':'$PUB','store':'tomcat-trust','ca_pem':$(pemof root.pem)}"
field_400 "a store and CA certificates" ca_pem
validate "unknown purpose" reader "{'pem':$(pemof leaf.pem),'purpose':'nonesuch'}"
field_400 "an unknown purpose" purpose
validate "revocation not a boolean" reader "{'pem':$(pemof leaf.pem),'revocation':'yes'}"
field_400 "revocation as text" revocation
validate "unknown node" reader "{'pem':$(pemof leaf.pem),'node':'nosuch.example.com','store':'tomcat-trust'}"
assert_eq "an unknown node: 404 naming it" "404 node" "$CODE $(jb 'd["error"].get("field", "-")')"
assert_eq "validate writes no audit row" "$AUDIT0" "$(audit_total)"
NREQ=$((NREQ + 1))
CODE=$(curl -sk -b reader.jar -H "$CTJ" --data-binary @"$GOOD_BODY" -o "$T/r/$NREQ" -w '%{http_code}' "$BASE/validate")
assert_eq "validate without the CSRF header" 403 "$CODE"

# ==== trust fetch ==========================================================================================
P_CHAIN=$(free_port)
s_server "$P_CHAIN" leaf.pem leaf.key -cert_chain int.pem
P_FULL=$(free_port)
s_server "$P_FULL" leaf.pem leaf.key -cert_chain int+root.pem
P_LEAF=$(free_port)
s_server "$P_LEAF" leaf.pem leaf.key
P_XMPP=$(free_port)
python3 "$HERE/starttls_stub.py" xmpp "$P_XMPP" leaf.pem leaf.key xmpp.example.com >"xmpp.log" 2>&1 &
SERVERS+=($!)
wait_ready xmpp.log READY $!
P_CLOSED=$(free_port)
P_SILENT=$(free_port) # accepts and never answers
python3 "$HERE/starttls_stub.py" silent "$P_SILENT" leaf.pem leaf.key >"silent.log" 2>&1 &
SERVERS+=($!)
wait_ready silent.log READY $!
# fetch AS BODY (python dict)
fetch() {
	jbody "$2" >"f$NREQ.json"
	post "$1" trust/fetch "f$NREQ.json"
}

fetch admin "{'host':'127.0.0.1','port':$P_CHAIN}"
assert_eq "fetch a chain" 200 "$CODE"
assert_eq "fetch: leaf and intermediate in order, openssl's fingerprints" "$(fp leaf.pem) $(fp int.pem)" \
	"$(jb '" ".join(c["sha256"] for c in d["chain"])')"
assert_eq "fetch: subjects and issuers" "CN=$PEER|CN=Tools Issuing CA,O=Tools Test CN=Tools Issuing CA,O=Tools Test|CN=Tools Root CA,O=Tools Test" \
	"$(jb '" ".join(c["subject"] + "|" + c["issuer"] for c in d["chain"])')"
assert_eq "fetch: not_after as openssl has it" \
	"$(date -u -d "$(openssl x509 -in leaf.pem -noout -enddate | sed 's/.*=//')" +%Y-%m-%dT%H:%M:%SZ)" \
	"$(jb 'd["chain"][0]["not_after"]')"
assert_eq "fetch: the handshake's facts" "127.0.0.1:$P_CHAIN True True RSA None" \
	"$(jb '" ".join(str(d[k]) for k in ("target", "connected", "handshake_completed", "key_type", "sni"))')"
cf --json trust fetch "127.0.0.1:$P_CHAIN" >cli_fetch.json
assert_eq "fetch: the command line's chain" "$(json 'd["chain"]' <cli_fetch.json)" "$(jb 'd["chain"]')"
assert_eq "fetch: the command line's keys" "$(json 'sorted(d)' <cli_fetch.json)" "$(jb 'sorted(d)')"

fetch admin "{'host':'::1','port':$P_CLOSED}"
assert_eq "an IPv6 address without brackets: the target has them" "502 [::1]:$P_CLOSED: cannot connect" \
	"$CODE $(jb 'd["error"]["message"]' | cut -d: -f1-5)"
fetch admin "{'host':'127.0.0.1','port':$P_XMPP,'starttls':'xmpp','sni':'xmpp.example.com'}"
assert_eq "STARTTLS xmpp: the chain after the dialogue" "200 xmpp xmpp.example.com $(fp leaf.pem)" \
	"$CODE $(jb 'd["starttls"] + " " + d["sni"] + " " + d["chain"][0]["sha256"]')"

# bad input: a 400 naming the field, before any connection
fetch admin "{'host':'127.0.0.1','port':$P_XMPP,'starttls':'xmpp'}"
field_400 "STARTTLS xmpp to an address without sni" sni
assert_contains "... says what to give" "domain name" "$(jb 'd["error"]["message"]')"
assert_eq "... no command-line option named" "" "$(jb 'd["error"]["message"]' | grep -o -- '--[a-z]*' || true)"
fetch admin "{'host':'127.0.0.1','port':$P_CHAIN,'starttls':'imap'}"
field_400 "an unknown STARTTLS protocol" starttls
assert_eq "... no command-line option named" "" "$(jb 'd["error"]["message"]' | grep -o -- '--[a-z]*' || true)"
fetch admin "{'host':'127.0.0.1','port':$P_CHAIN,'sni':'10.0.0.1'}"
field_400 "an address as sni" sni
fetch admin "{'host':'127.0.0.1','port':0}"
field_400 "port 0" port
fetch admin "{'host':'127.0.0.1','port':'443'}"
field_400 "port as text" port
fetch admin "{'host':'bad host','port':443}"
field_400 "a host with a blank" host
fetch admin "{'port':443}"
field_400 "no host" host
fetch admin "{'host':'127.0.0.1','port':$P_CHAIN,'import':{'node':'$EXP'}}"
field_400 "import without a store" import
fetch admin "{'host':'127.0.0.1','port':$P_CLOSED}"
assert_eq "a closed port: 502, remote failure" "502 remote failure" "$CODE $(jb 'd["error"]["code"]')"
assert_eq "a closed port: names the peer and says why" "127.0.0.1:$P_CLOSED: cannot connect: Connection refused" \
	"$(jb 'd["error"]["message"]')"
fetch admin "{'host':'127.0.0.1','port':$P_SILENT}"
assert_eq "a peer that never answers: 504 at fetch's time limit, remote failure" "504 remote failure timeout" \
	"$CODE $(jb 'd["error"]["code"] + " " + d["error"]["reason"]')"
assert_contains "it says it timed out" "timed out during the TLS handshake" "$(jb 'd["error"]["message"]')"
fetch reader "{'host':'127.0.0.1','port':$P_CHAIN}"
assert_eq "the read-only role may not fetch" "403 forbidden" "$CODE $(jb 'd["error"]["code"]')"
assert_eq "fetching without import writes no audit row" "$AUDIT0" "$(audit_total)"

# import: the CAs of the full chain into the Expressway's trusted-ca, the leaf left out
fetch admin "{'host':'127.0.0.1','port':$P_FULL,'import':{'node':'$EXP','store':'trusted-ca'}}"
assert_eq "import into trusted-ca" 200 "$CODE"
assert_eq "import: two CAs added, the leaf left out" "2 [\"$(fp leaf.pem)\"]" \
	"$(jb '"%d %s" % (d["import"]["count"], json.dumps(d["import"]["skipped"]))')"
assert_eq "import: cert list shows them" "$(printf '%s\n' "$(fp int.pem)" "$(fp root.pem)" | sort | xargs)" \
	"$(cf --json cert list --node $EXP --store trusted-ca | json '" ".join(sorted(c["sha256"] for c in d["items"]))')"
assert_eq "import: the ids are the stored ones" "$(cf --json cert list --node $EXP --store trusted-ca | json 'sorted(c["id"] for c in d["items"])')" \
	"$(jb 'sorted(d["import"]["ids"])')"
assert_eq "import: a restart plan" True "$(jb '"restart_plan" in d["import"] and "chain" in d')"
assert_eq "import: audited as the command line's" "admin|127.0.0.1|trust fetch|trusted-ca from 127.0.0.1:$P_FULL|ok" "$(last_audit)"
validate "against the imported store" reader "{'pem':$(pemof leaf.pem),'host':'$PEER','node':'$EXP','store':'trusted-ca'}"
assert_eq "the imported CAs validate the peer" "200 True" "$CODE $(jb 'd["ok"]')"

# refusals: audited with their error line, nothing stored
BEFORE=$(cf --json cert list --node $EXP)
fetch admin "{'host':'127.0.0.1','port':$P_LEAF,'import':{'node':'$EXP','store':'trusted-ca'}}"
assert_eq "import a lone CA-signed leaf: refused" 400 "$CODE"
assert_contains "... says why" "is not a CA certificate" "$(jb 'd["error"]["message"]')"
assert_eq "... audited with the error line" "admin|127.0.0.1|trust fetch|trusted-ca from 127.0.0.1:$P_LEAF|refused: $(jb 'd["error"]["message"]')" \
	"$(last_audit)"
fetch admin "{'host':'127.0.0.1','port':$P_CHAIN,'import':{'node':'nosuch.example.com','store':'trusted-ca'}}"
assert_eq "import to an unknown node: 404, audited" "404 refused" \
	"$CODE $(cf --json audit --limit 1 | json 'd["items"][0]["result"][:7]')"
fetch admin "{'host':'127.0.0.1','port':$P_CLOSED,'import':{'node':'$EXP','store':'trusted-ca'}}"
assert_eq "import from a closed port: 502, audited" \
	"502 trusted-ca from 127.0.0.1:$P_CLOSED refused: 127.0.0.1:$P_CLOSED: cannot connect: Connection refused" \
	"$CODE $(cf --json audit --limit 1 | json 'd["items"][0]["object"] + " " + d["items"][0]["result"]')"
fetch reader "{'host':'127.0.0.1','port':$P_FULL,'import':{'node':'$EXP','store':'trusted-ca'}}"
assert_eq "the read-only role may not import" 403 "$CODE"
assert_eq "the refused imports stored nothing" "$BEFORE" "$(cf --json cert list --node $EXP)"

# ---- the daemon stayed well ----------------------------------------------------------------------------
assert_eq "no private key in any answer" "" "$(grep -l 'BEGIN PRIVATE KEY' "$T"/r/* || true)"
assert_eq "no key material of the pasted key in the daemon's log" "" "$(grep -F "$KEY_LINE" daemon.err || true)"
assert_eq "the log names each outbound connection" 1 "$([ "$(grep -c 'trust fetch by admin: connecting to' daemon.err)" -ge 10 ] && echo 1 || echo 0)"
assert_clean_stop
assert_no_sanitizer_report "at exit"
stop_servers
finish
