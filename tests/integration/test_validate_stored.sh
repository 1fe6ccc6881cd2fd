#!/bin/bash
# `certfleet validate --stored`: stored certificates re-checked from their facts — expiry (time
# moved with CERTFLEET_NOW) and whether the trust anchor an identity's chain ended at is still in
# the node's trust stores.
. "$(dirname "$0")/lib.sh"

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --no-defaults >/dev/null
cd "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout root.key -out root.pem -days 3650 \
	-subj "/CN=Stored Root" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout int.key -out int.csr -subj "/CN=Stored Int" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1000 -extfile ca.ext -out int.pem 2>/dev/null
cf trust add --node ucm1.example.com --store tomcat-trust root.pem >/dev/null
cf csr generate --node ucm1.example.com --purpose tomcat >/dev/null
cf csr show --node ucm1.example.com --purpose tomcat --pem >t.csr
openssl x509 -req -in t.csr -CA int.pem -CAkey int.key -CAcreateserial -days 30 -copy_extensions copy -out t.pem 2>/dev/null
cat t.pem int.pem >chain.pem
assert_exit "upload leaf + intermediate" 0 cf cert upload --node ucm1.example.com --purpose tomcat chain.pem

# everything valid now
assert_exit "stored: all valid" 0 cf --json validate --stored
assert_eq "stored: total" "2" "$(json 'd["summary"]["total"]' <"$T/out")"
assert_eq "stored: ok" "2" "$(json 'd["summary"]["ok"]' <"$T/out")"
assert_eq "stored: no items" "[]" "$(json 'd["items"]' <"$T/out")"

# 40 days on: the identity has expired (its CA has not)
assert_exit "stored: expired later" 7 env CERTFLEET_NOW=$(($(date +%s) + 40 * 86400)) "$CERTFLEET" --json validate --stored
assert_eq "stored: one expired" "1" "$(json 'd["summary"]["expired"]' <"$T/out")"
assert_eq "stored: the tomcat identity" "tomcat expired" "$(json 'd["items"][0]["purpose"] + " " + d["items"][0]["rule"]' <"$T/out")"

# the root goes from tomcat-trust: the identity's anchor is gone
rid=$(cf --json cert list --store tomcat-trust | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
cf trust delete --node ucm1.example.com --store tomcat-trust --id "$rid" >/dev/null
assert_exit "stored: anchor gone" 7 cf --json validate --stored --node ucm1.example.com
assert_eq "stored: untrusted-issuer" "untrusted-issuer" "$(json 'd["items"][0]["rule"]' <"$T/out")"
assert_eq "stored: counted" "1" "$(json 'd["summary"]["untrusted-issuer"]' <"$T/out")"
assert_exit "stored: human summary" 7 cf validate --stored
assert_contains "stored: human line" "whose trust anchor is gone" "$(cat "$T/out")"

# and the file still validates against the root given directly, not without it
assert_exit "validate file with --ca-file" 0 cf validate chain.pem --ca-file root.pem --host ucm1.example.com --purpose tomcat
assert_exit "validate file without its root" 7 cf validate chain.pem --node ucm1.example.com --store tomcat-trust
assert_exit "unknown node" 4 cf validate --stored --node nope.example.com

# trust add speaks with the engine's rule ids: an expired CA is imported with a warning, an
# end-entity certificate is refused naming ca-no-basic-constraints
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout old.key -out old.pem -days 1 \
	-subj "/CN=Old Root" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
assert_exit "expired CA imported" 0 env CERTFLEET_NOW=$(($(date +%s) + 3 * 86400)) "$CERTFLEET" --json trust add \
	--node ucm1.example.com --store CallManager-trust old.pem
assert_eq "expired CA warning" "expired" "$(json '",".join(w["rule"] for w in d["warnings"])' <"$T/out")"
assert_exit "fresh CA: no warning" 0 cf --json trust add --node ucm1.example.com --store CAPF-trust root.pem
assert_eq "fresh CA: no warnings" "[]" "$(json 'd["warnings"]' <"$T/out")"
assert_exit "end-entity refused" 3 cf trust add --node ucm1.example.com --store CAPF-trust t.pem
assert_contains "refusal carries the rule id" "[ca-no-basic-constraints]" "$(cat "$T/err")"
finish
