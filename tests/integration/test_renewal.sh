#!/usr/bin/env bash
# End-to-end renewal with an external CA (seed 003: renewing CA-signed Unified CM / IM and
# Presence certificates): `openssl` is the CA and the independent oracle. CA certificates go
# into the -trust store first, a multi-server tomcat CSR is generated on the publisher, signed
# outside, uploaded to the publisher, lands on every node in scope, and the services restart
# publisher first. Also: stale CSRs, trust prune, deploy targets, and no key material in output.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/log" "$T/ca" "$T/d"
# One python process answers JSON queries (starting python per query is slow).
cat >"$T/helper.py" <<'PY'
import json, sys
for line in sys.stdin:
    parts = line.rstrip("\n").split("\t")
    try:
        d = json.load(open(parts[0]))
        v = eval(parts[1])
        out = str(v if not isinstance(v, (list, dict)) else json.dumps(v, sort_keys=True))
    except Exception as ex:
        out = "<no json: %s>" % ex
    print(out.replace("\n", "\\n"), flush=True)
PY
coproc PYH { exec python3 -u "$T/helper.py"; }
# jout EXPR: the python expression's value over the JSON the last cfx printed (d).
jout() {
	local IFS=$'\t' r
	printf '%s\n' "$LAST	$1" >&"${PYH[1]}"
	IFS= read -r r <&"${PYH[0]}" || r="<helper died>"
	printf '%s\n' "$r"
}

# sha256 of a PEM certificate's DER, computed by openssl (first certificate of the file)
cert_sha() { { openssl x509 -in "$1" -outform DER 2>/dev/null || true; } | sha256sum | cut -d' ' -f1; }

D=example.com
PUB=ucm1.$D SUB=ucm2.$D SUB3=ucm3.$D IMP=imp1.$D IMP2=imp2.$D CUC=cuc1.$D
SCOPE="$PUB $SUB $IMP $IMP2" # tomcat multi-server scope: every ucm and imp node of the cluster
ALL="$SCOPE $CUC"            # ucm3 joins later

if [ -x "${STORECHECK:-}" ]; then ok; else fail "STORECHECK is not set to the storecheck tool"; fi

# ==== the external CA: a root and an issuing intermediate, made with openssl ==================
cd "$T/ca" || exit 1
cat >ext.cnf <<'EOF'
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_leaf]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
cat >root.cnf <<'EOF'
[req]
distinguished_name = dn
x509_extensions = v3_root
prompt = no
[dn]
O = Example Corp
CN = Example Root CA
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 -config root.cnf 2>/dev/null ||
	fail "openssl: root CA"
openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/O=Example Corp/CN=Example Issuing CA" 2>/dev/null ||
	fail "openssl: intermediate request"
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAserial root.srl -CAcreateserial -days 1825 \
	-extfile ext.cnf -extensions v3_int -out int.pem 2>/dev/null || fail "openssl: intermediate CA"
cd - >/dev/null || exit 1
CA=$T/ca
if openssl x509 -in "$CA/root.pem" -noout -text 2>/dev/null | grep -q "CA:TRUE" &&
	openssl verify -CAfile "$CA/root.pem" "$CA/int.pem" >/dev/null 2>&1; then ok; else fail "openssl CA setup"; fi
ROOT_SHA=$(cert_sha "$CA/root.pem")
INT_SHA=$(cert_sha "$CA/int.pem")

# sign CSR OUT: the intermediate issues a certificate from the request, copying its extensions
# (KU, EKU, SAN), as a CA administrator does.
sign() {
	openssl x509 -req -in "$1" -CA "$CA/int.pem" -CAkey "$CA/int.key" -CAserial "$CA/int.srl" -CAcreateserial \
		-days 365 -copy_extensions copy -extfile "$CA/ext.cnf" -extensions v3_leaf -out "$2" 2>"$T/sign.err" ||
		fail "openssl x509 -req failed: $(cat "$T/sign.err")"
}

# identity_sha NODE PURPOSE: the sha256 of the node's identity certificate, computed by openssl
identity_sha() {
	cfx cert show --node "$1" --purpose "$2" --pem
	printf '%s\n' "$OUT" >"$T/id.pem"
	cert_sha "$T/id.pem"
}
# store_shas NODE STORE: the sha256 list certfleet reports for a trust store
store_shas() {
	cfx --json cert list --node "$1" --store "$2"
	jout "' '.join(sorted(i['sha256'] for i in d['items']))"
}

# ==== the deployment: ucm publisher + subscriber, imp publisher (+ subscriber), a cuc node =====
new_store cl1
must "node add ucm publisher" node add $PUB --cluster cl1 --product ucm --publisher
must "node add ucm subscriber" node add $SUB --cluster cl1 --product ucm
must "node add imp publisher" node add $IMP --cluster cl1 --product imp --publisher
must "node add imp subscriber" node add $IMP2 --cluster cl1 --product imp --no-defaults
must "node add cuc (outside the tomcat scope of a ucm cluster)" node add $CUC --cluster cl1 --product cuc

declare -A SELF ECSELF
for n in $PUB $SUB $IMP $CUC; do
	SELF[$n]=$(identity_sha $n tomcat)
	if [ "$n" != $CUC ]; then ECSELF[$n]=$(identity_sha $n tomcat-ECDSA); fi
done
for n in $ALL; do
	assert_contains "self-signed tomcat of $PUB in tomcat-trust on $n" "${SELF[$PUB]}" "$(store_shas $n tomcat-trust)"
done
CM_TRUST_BEFORE=$(store_shas $SUB CallManager-trust)

# ==== 1. generate the multi-server CSR on the publisher ========================================
must "csr generate tomcat multi-server (CSR A)" csr generate --node $PUB --purpose tomcat --multi-server
must "csr show --pem (CSR A)" csr show --node $PUB --purpose tomcat --pem
printf '%s\n' "$OUT" >"$T/a.csr"
if openssl req -in "$T/a.csr" -verify -noout >/dev/null 2>&1; then ok; else fail "openssl cannot verify CSR A"; fi
assert_contains "CSR A subject" "CN = ucm1-ms.$D" "$(openssl req -in "$T/a.csr" -noout -subject 2>&1)"
sign "$T/a.csr" "$T/a.pem"
cat "$T/a.pem" "$CA/int.pem" >"$T/a-chain.pem"

# ==== 2. uploading before the CA is trusted is refused, and changes nothing ====================
cfx cert upload --node $PUB --purpose tomcat "$T/a-chain.pem"
expect_rc "upload before the CA is in tomcat-trust" 3
assert_eq "identity unchanged after the refused upload" "${SELF[$PUB]}" "$(identity_sha $PUB tomcat)"
cfx csr show --node $PUB --purpose tomcat --pem
expect_rc "CSR A still pending after the refused upload" 0
assert_eq "CSR A unchanged" "$(cat "$T/a.csr")" "$OUT"

# ==== 3. the CA certificates into tomcat-trust on the publisher: on every node of the cluster ===
must "trust add root" trust add --node $PUB --store tomcat-trust "$CA/root.pem"
must "trust add intermediate" --json trust add --node $PUB --store tomcat-trust "$CA/int.pem"
for n in $ALL; do
	shas=$(store_shas $n tomcat-trust)
	assert_contains "root in tomcat-trust on $n" "$ROOT_SHA" "$shas"
	assert_contains "intermediate in tomcat-trust on $n" "$INT_SHA" "$shas"
done
# a node that joins later receives what the cluster already trusts
must "node add a second ucm subscriber after the CA import" node add $SUB3 --cluster cl1 --product ucm --no-defaults
SCOPE="$SCOPE $SUB3"
ALL="$ALL $SUB3"
shas=$(store_shas $SUB3 tomcat-trust)
assert_contains "root in tomcat-trust on the late $SUB3" "$ROOT_SHA" "$shas"
assert_contains "intermediate in tomcat-trust on the late $SUB3" "$INT_SHA" "$shas"
cat "$CA/root.pem" "$CA/int.pem" >"$T/bundle.pem"
must "trust add the same bundle again" --json trust add --node $PUB --store tomcat-trust "$T/bundle.pem"
assert_eq "duplicates are not added again" "0" "$(jout "d['count']")"
assert_contains "duplicates noted" "already" "$(jout "' '.join(d['notes'])")"
cfx trust add --node $PUB --store tomcat-trust "$T/a.pem"
expect_rc "a CA-signed leaf (CA:FALSE) is not a trust anchor" 3

# ==== 4. a certificate issued from an old CSR is refused once a new CSR was generated =========
must "csr generate again (CSR B)" csr generate --node $PUB --purpose tomcat --multi-server
must "csr show --pem (CSR B)" csr show --node $PUB --purpose tomcat --pem
printf '%s\n' "$OUT" >"$T/b.csr"
cfx cert upload --node $PUB --purpose tomcat "$T/a-chain.pem"
expect_rc "upload of the certificate from the old CSR" 3
assert_contains "old-CSR message" "does not match the pending CSR" "$ERR"
assert_eq "identity unchanged after the old-CSR upload" "${SELF[$PUB]}" "$(identity_sha $PUB tomcat)"
cfx csr show --node $PUB --purpose tomcat --pem
assert_eq "CSR B still pending after the old-CSR upload" "$(cat "$T/b.csr")" "$OUT"

sign "$T/b.csr" "$T/b.pem"
cat "$T/b.pem" "$CA/int.pem" >"$T/b-chain.pem"
B_SHA=$(cert_sha "$T/b.pem")
# a multi-server certificate is uploaded on the publisher; a subscriber has no CSR for it
cfx cert upload --node $SUB --purpose tomcat "$T/b-chain.pem"
expect_rc "upload on the subscriber (no pending CSR there)" 5

# ==== 5. upload the signed certificate + chain on the publisher ===============================
must "cert upload (CSR B)" cert upload --node $PUB --purpose tomcat "$T/b-chain.pem"
assert_contains "human output shows the restart plan" "Restart plan" "$OUT"
if grep -q "warning" <<<"$ERR"; then fail "upload warned: $ERR"; else ok; fi
# publisher first: the first restart is on the publisher the upload ran on, and each product's
# publisher restarts before its subscribers
first=$(grep -m1 -E "^ *[0-9]+\. restart " <<<"$OUT" || true)
assert_contains "first restart step is on the publisher" "on $PUB" "$first"
line_of() { grep -n -E "restart Cisco Tomcat on $1( |$)" <<<"$OUT" | head -1 | cut -d: -f1; }
for n in $SCOPE; do
	[ -n "$(line_of $n)" ] && ok || fail "no Tomcat restart for $n in: $OUT"
done
for n in $SUB $SUB3; do
	if [ -n "$(line_of $PUB)" ] && [ -n "$(line_of $n)" ] && [ "$(line_of $PUB)" -lt "$(line_of $n)" ]; then ok; else fail "ucm publisher does not restart before the ucm subscriber $n: $OUT"; fi
done
if [ -n "$(line_of $IMP)" ] && [ -n "$(line_of $IMP2)" ] && [ "$(line_of $IMP)" -lt "$(line_of $IMP2)" ]; then ok; else fail "imp publisher does not restart before the imp subscriber: $OUT"; fi
if grep -q "Tomcat on $CUC" <<<"$OUT"; then fail "cuc node (outside the scope) in the restart plan"; else ok; fi

# the same certificate is the tomcat identity on every node in scope
for n in $SCOPE; do
	cfx --json cert show --node $n --purpose tomcat
	assert_eq "tomcat sha256 on $n" "$B_SHA" "$(jout "d['sha256']")"
	assert_eq "tomcat source on $n" "csr" "$(jout "d['source']")"
	assert_eq "tomcat distribution on $n" "multi-server" "$(jout "d['distribution']")"
	assert_eq "tomcat self_signed on $n" "False" "$(jout "d['self_signed']")"
	assert_eq "tomcat warnings on $n" "[]" "$(jout "d['warnings']")"
	cfx cert show --node $n --purpose tomcat --pem
	printf '%s\n' "$OUT" >"$T/stored.pem"
	assert_eq "stored certificate on $n (openssl)" "$B_SHA" "$(cert_sha "$T/stored.pem")"
	if openssl verify -CAfile "$CA/root.pem" -untrusted "$CA/int.pem" "$T/stored.pem" >"$T/v.out" 2>&1; then ok; else fail "openssl verify of the stored tomcat on $n: $(cat "$T/v.out")"; fi
	# --pem prints the chain after the leaf: the intermediate
	assert_eq "stored chain on $n" "2 $INT_SHA" "$(grep -c "BEGIN CERTIFICATE" "$T/stored.pem") $(awk 'n>=1{print} /END CERTIFICATE/{n++}' "$T/stored.pem" | openssl x509 -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)"
done
assert_eq "cuc tomcat (outside the scope) still self-signed" "${SELF[$CUC]}" "$(identity_sha $CUC tomcat)"
cfx csr show --node $PUB --purpose tomcat
expect_rc "csr show after the upload (CSR consumed)" 5
RC=0
"$STORECHECK" "$CERTFLEET_STORE" >"$T/storecheck.out" 2>&1 || RC=$?
ERR=$(cat "$T/storecheck.out")
expect_rc "storecheck: every identity's key matches its certificate" 0

# ==== 6. trust prune: the stale self-signed tomcat copies of the now CA-signed nodes ==========
must "trust prune" --json trust prune
PRUNED=$(jout "d['count']")
# per node: the self-signed RSA tomcat copies of ucm1, ucm2 and imp1 (3 on each of 6 nodes)
assert_eq "pruned count" "18" "$PRUNED"
for n in $ALL; do
	shas=$(store_shas $n tomcat-trust)
	for peer in $PUB $SUB $IMP; do
		if [[ "$shas" == *"${SELF[$peer]}"* ]]; then fail "stale self-signed tomcat of $peer still in tomcat-trust on $n"; else ok; fi
		assert_contains "self-signed tomcat-ECDSA of $peer (still self-signed) kept on $n" "${ECSELF[$peer]}" "$shas"
	done
	assert_contains "self-signed tomcat of $CUC (still self-signed) kept on $n" "${SELF[$CUC]}" "$shas"
	assert_contains "root kept on $n" "$ROOT_SHA" "$shas"
	assert_contains "intermediate kept on $n" "$INT_SHA" "$shas"
done
assert_eq "CallManager-trust untouched by the prune" "$CM_TRUST_BEFORE" "$(store_shas $SUB CallManager-trust)"
must "trust prune again" --json trust prune
assert_eq "second prune removes nothing" "0" "$(jout "d['count']")"

# ==== 7. deploy the identity to files =========================================================
must "deploy-target set" deploy-target set --node $PUB --purpose tomcat --cert "$T/d/tomcat.pem" \
	--key "$T/d/tomcat.key" --chain "$T/d/chain.pem" --reload "touch $T/reloaded"
must "deploy" deploy --node $PUB
for f in tomcat.pem tomcat.key chain.pem; do
	[ -s "$T/d/$f" ] && ok || fail "deploy did not write $f"
done
assert_eq "key file mode" "600" "$(stat -c %a "$T/d/tomcat.key" 2>/dev/null)"
[ -e "$T/reloaded" ] && ok || fail "the reload command did not run"
assert_eq "deployed certificate" "$B_SHA" "$(cert_sha "$T/d/tomcat.pem")"
assert_eq "deployed chain" "$INT_SHA" "$(cert_sha "$T/d/chain.pem")"
pub_cert=$(openssl x509 -in "$T/d/tomcat.pem" -noout -pubkey 2>/dev/null || true)
pub_key=$(openssl pkey -in "$T/d/tomcat.key" -pubout 2>/dev/null || true)
if [ -n "$pub_cert" ] && [ "$pub_cert" == "$pub_key" ]; then ok; else fail "deployed key does not match the deployed certificate"; fi

# ==== 8. renew the CA-signed certificate (JSON this time) =====================================
must "csr generate (CSR C, renewal)" --json csr generate --node $PUB --purpose tomcat --multi-server
assert_eq "CSR C distribution" "multi-server" "$(jout "d['distribution']")"
must "csr show --pem (CSR C)" csr show --node $PUB --purpose tomcat --pem
printf '%s\n' "$OUT" >"$T/c.csr"
sign "$T/c.csr" "$T/c.pem"
cat "$T/c.pem" "$CA/int.pem" >"$T/c-chain.pem"
C_SHA=$(cert_sha "$T/c.pem")
must "cert upload --json (CSR C)" --json cert upload --node $PUB --purpose tomcat "$T/c-chain.pem"
assert_eq "upload items: one per node in scope" "$(echo $SCOPE | tr ' ' '\n' | sort | xargs)" "$(jout "' '.join(sorted(i['node'] for i in d['items']))")"
assert_eq "upload items: one certificate" "$C_SHA" "$(jout "' '.join(sorted(set(i['sha256'] for i in d['items'])))")"
assert_eq "upload warnings" "[]" "$(jout "d['warnings']")"
assert_eq "restart plan: first step on the publisher" "$PUB" "$(jout "d['restart_plan'][0]['node']")"
assert_eq "restart plan: Tomcat on every node in scope, once" "$(echo $SCOPE | tr ' ' '\n' | sort | xargs)" \
	"$(jout "' '.join(sorted(s['node'] for s in d['restart_plan'] if s.get('service') == 'Cisco Tomcat'))")"
for n in $SUB $SUB3; do
	assert_eq "restart plan: ucm publisher before ucm subscriber $n" "True" \
		"$(jout "[s['node'] for s in d['restart_plan']].index('$PUB') < [s['node'] for s in d['restart_plan']].index('$n')")"
done
assert_eq "restart plan: imp publisher before imp subscriber" "True" \
	"$(jout "[s['node'] for s in d['restart_plan']].index('$IMP') < [s['node'] for s in d['restart_plan']].index('$IMP2')")"
for n in $SCOPE; do assert_eq "renewed tomcat on $n" "$C_SHA" "$(identity_sha $n tomcat)"; done
cfx --json cert show --node $SUB --purpose tomcat
assert_eq "renewed tomcat source" "csr" "$(jout "d['source']")"
must "trust prune after the renewal" --json trust prune
assert_eq "nothing stale after a CA-signed renewal" "0" "$(jout "d['count']")"

# a second deploy keeps the previous files as .prev
cp "$T/d/tomcat.pem" "$T/first-deploy.pem"
rm -f "$T/reloaded"
must "deploy again" deploy --node $PUB
for f in tomcat.pem tomcat.key chain.pem; do
	[ -s "$T/d/$f.prev" ] && ok || fail "second deploy kept no $f.prev"
done
assert_eq "deployed renewed certificate" "$C_SHA" "$(cert_sha "$T/d/tomcat.pem")"
assert_eq "tomcat.pem.prev is the previous certificate" "$B_SHA" "$(cert_sha "$T/d/tomcat.pem.prev")"
assert_eq "previous key file mode" "600" "$(stat -c %a "$T/d/tomcat.key.prev" 2>/dev/null)"
assert_eq "renewed key file mode" "600" "$(stat -c %a "$T/d/tomcat.key" 2>/dev/null)"
[ -e "$T/reloaded" ] && ok || fail "the reload command did not run on the second deploy"
if [ "$(openssl x509 -in "$T/d/tomcat.pem" -noout -pubkey 2>/dev/null)" == "$(openssl pkey -in "$T/d/tomcat.key" -pubout 2>/dev/null)" ]; then ok; else fail "renewed key does not match the renewed certificate"; fi

# a failing reload is a remote failure (6); the files stay in place
must "deploy-target set --reload false" deploy-target set --node $PUB --purpose tomcat --cert "$T/d/tomcat.pem" \
	--key "$T/d/tomcat.key" --chain "$T/d/chain.pem" --reload false
cfx deploy --node $PUB
expect_rc "deploy with a failing reload" 6
assert_contains "failing reload reported" "reload" "$ERR"
cfx --json deploy --node $PUB
expect_rc "deploy --json with a failing reload" 6
assert_eq "JSON reload status" "1" "$(jout "d['items'][0]['reload_status']")"
assert_eq "JSON error code" "6" "$(jout "d['error']['code']")"
assert_eq "files in place after the failed reload" "$C_SHA" "$(cert_sha "$T/d/tomcat.pem")"
[ -s "$T/d/tomcat.pem.prev" ] && ok || fail "no .prev after the failed reload"

# ==== 9. presence HA (seed 003 note): cup-xmpp renewal disables HA first, re-enables it last ===
must "presence-ha on" cluster set cl1 presence-ha on
must "trust add root into cup-xmpp-trust on the imp publisher" trust add --node $IMP --store cup-xmpp-trust "$T/bundle.pem"
for n in $IMP $IMP2; do
	shas=$(store_shas $n cup-xmpp-trust)
	assert_contains "root in cup-xmpp-trust on $n" "$ROOT_SHA" "$shas"
done
must "csr generate cup-xmpp multi-server" csr generate --node $IMP --purpose cup-xmpp --multi-server
must "csr show cup-xmpp" csr show --node $IMP --purpose cup-xmpp --pem
printf '%s\n' "$OUT" >"$T/x.csr"
sign "$T/x.csr" "$T/x.pem"
cat "$T/x.pem" "$CA/int.pem" >"$T/x-chain.pem"
must "cert upload cup-xmpp" --json cert upload --node $IMP --purpose cup-xmpp "$T/x-chain.pem"
assert_eq "HA plan: first step" "disable-ha $IMP" "$(jout "d['restart_plan'][0]['action'] + ' ' + d['restart_plan'][0]['node']")"
assert_eq "HA plan: last step" "enable-ha $IMP" "$(jout "d['restart_plan'][-1]['action'] + ' ' + d['restart_plan'][-1]['node']")"
assert_eq "HA plan: XCP Router on every imp node, publisher first" "$IMP $IMP2" \
	"$(jout "' '.join(s['node'] for s in d['restart_plan'] if s.get('service') == 'Cisco XCP Router')")"
for n in $IMP $IMP2; do assert_eq "cup-xmpp on $n" "$(cert_sha "$T/x.pem")" "$(identity_sha $n cup-xmpp)"; done

# ==== 10. CallManager: DER leaf without its chain, from a CA that drops dataEncipherment =======
cat >>"$CA/ext.cnf" <<'EOF'
[v3_leaf_noDE]
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
must "trust add the CA bundle into CallManager-trust" trust add --node $PUB --store CallManager-trust "$T/bundle.pem"
for n in $PUB $SUB $SUB3 $CUC; do
	assert_contains "intermediate in CallManager-trust on $n" "$INT_SHA" "$(store_shas $n CallManager-trust)"
done
must "csr generate CallManager multi-server" csr generate --node $PUB --purpose CallManager --multi-server
must "csr show CallManager" csr show --node $PUB --purpose CallManager --pem
printf '%s\n' "$OUT" >"$T/cm.csr"
openssl x509 -req -in "$T/cm.csr" -CA "$CA/int.pem" -CAkey "$CA/int.key" -CAserial "$CA/int.srl" -days 365 \
	-copy_extensions copy -extfile "$CA/ext.cnf" -extensions v3_leaf_noDE -outform DER -out "$T/cm.der" 2>/dev/null ||
	fail "openssl could not sign the CallManager CSR"
CM_SHA=$(sha256sum "$T/cm.der" 2>/dev/null | cut -d' ' -f1 || true)
must "cert upload CallManager (DER, no chain in the file)" --json cert upload --node $PUB --purpose CallManager "$T/cm.der"
assert_eq "CallManager warning: the CA dropped dataEncipherment" "ku-missing" \
	"$(jout "' '.join(w['rule'] for w in d['warnings'] if 'dataEncipherment' in w['message'])")"
assert_eq "CallManager on every ucm node" "$(echo $PUB $SUB $SUB3 | tr ' ' '\n' | sort | xargs) $CM_SHA" \
	"$(jout "' '.join(sorted(i['node'] for i in d['items'])) + ' ' + ' '.join(sorted(set(i['sha256'] for i in d['items'])))")"
assert_eq "CallManager restart plan" \
	"$PUB:Cisco CallManager,$PUB:Cisco TFTP,$PUB:Cisco CTIManager,$SUB:Cisco CallManager,$SUB:Cisco TFTP,$SUB:Cisco CTIManager,$SUB3:Cisco CallManager,$SUB3:Cisco TFTP,$SUB3:Cisco CTIManager" \
	"$(jout "','.join('%s:%s' % (s['node'], s.get('service')) for s in d['restart_plan'])")"
cfx cert show --node $SUB3 --purpose CallManager --pem
printf '%s\n' "$OUT" >"$T/stored.pem"
if openssl verify -CAfile "$CA/root.pem" -untrusted "$CA/int.pem" "$T/stored.pem" >/dev/null 2>&1; then ok; else fail "openssl verify of the stored CallManager"; fi
assert_eq "CallManager chain completed from the trust store" "2" "$(grep -c "BEGIN CERTIFICATE" "$T/stored.pem")"

# ==== nothing printed ever held a private key; only the deployed key file does ================
if grep -l "PRIVATE KEY" "$T"/log/* >/dev/null 2>&1; then
	fail "private key material in command output: $(grep -l "PRIVATE KEY" "$T"/log/* | head -3)"
else ok; fi
grep -q "PRIVATE KEY" "$T/d/tomcat.key" && ok || fail "the deployed key file holds no private key"

finish
