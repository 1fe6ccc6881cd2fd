#!/usr/bin/env bash
# `certfleet trust fetch` (SPEC §3.6) against real TLS peers on loopback: openssl s_server with an
# RSA, an ECDSA and a chained identity, Debian's aiosmtpd for STARTTLS SMTP, python stubs for
# STARTTLS XMPP and LDAP (see starttls_stub.py for why stubs), peers that refuse, close or stall.
# The oracle for every SHA-256 is `openssl x509 -fingerprint -sha256` of the file served.
# Every server binds 127.0.0.1 on a free high port and is killed by PID on exit, pass or fail.
. "$(dirname "$0")/lib.sh"
CERTFLEET=$(realpath "$CERTFLEET")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1

# stub MODE PORT CERT KEY [DOMAIN]: starttls_stub.py
stub() {
	local log="$T/stub.$2.log"
	python3 "$HERE/starttls_stub.py" "$@" >"$log" 2>&1 &
	SERVERS+=($!)
	wait_ready "$log" READY $!
}

# one_line_named WHAT HOSTPORT WHY: stderr is one line "certfleet: HOSTPORT: WHY..."
one_line_named() {
	assert_eq "$1: one line on stderr" 1 "$(wc -l <"$T/err")"
	assert_contains "$1: names the peer and says why" "certfleet: $2: $3" "$(cat "$T/err")"
}

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'; }

# ---- certificates ----------------------------------------------------------------------------

days="-days 30"
# peers' self-signed end-entity certificates (CA:FALSE), RSA and ECDSA
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -subj /CN=peer-rsa.example.com $days \
	-addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:peer-rsa.example.com 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.pem \
	-subj /CN=peer-ec.example.com $days -addext basicConstraints=critical,CA:FALSE 2>/dev/null
# root -> intermediate -> leaf
cat >ca.ext <<-'EOF'
	basicConstraints=critical,CA:TRUE
	keyUsage=critical,keyCertSign,cRLSign
	subjectKeyIdentifier=hash
	authorityKeyIdentifier=keyid
EOF
cat >leaf.ext <<-'EOF'
	basicConstraints=critical,CA:FALSE
	keyUsage=critical,digitalSignature,keyEncipherment
	extendedKeyUsage=serverAuth,clientAuth
	subjectAltName=DNS:exp-peer.example.com
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -subj "/O=Fetch Test/CN=Fetch Root CA" \
	$days -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/O=Fetch Test/CN=Fetch Issuing CA" \
	2>/dev/null
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem $days -extfile ca.ext \
	2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
	-subj /CN=exp-peer.example.com 2>/dev/null
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem $days -extfile leaf.ext \
	2>/dev/null
cat int.pem root.pem >int+root.pem

P_RSA=$(free_port)
s_server "$P_RSA" rsa.pem rsa.key
P_EC=$(free_port)
s_server "$P_EC" ec.pem ec.key
P_CHAIN=$(free_port)
s_server "$P_CHAIN" leaf.pem leaf.key -cert_chain int.pem
P_FULL=$(free_port)
s_server "$P_FULL" leaf.pem leaf.key -cert_chain int+root.pem
P_MTLS=$(free_port) # TLS 1.2 and a client certificate required: it aborts after its Certificate message
s_server "$P_MTLS" rsa.pem rsa.key -tls1_2 -Verify 1

# ---- RSA and ECDSA peers -------------------------------------------------------------------------

assert_exit "RSA peer" 0 cf trust fetch "127.0.0.1:$P_RSA"
assert_contains "RSA peer: human report names the key type" "key type:  RSA" "$(cat "$T/out")"
assert_contains "RSA peer: human report has the SHA-256" "$(fp rsa.pem)" "$(cat "$T/out")"
cf --json trust fetch "127.0.0.1:$P_RSA" >rsa.json
assert_eq "RSA peer: key_type" RSA "$(json 'd["key_type"]' <rsa.json)"
assert_eq "RSA peer: one certificate" 1 "$(json 'len(d["chain"])' <rsa.json)"
assert_eq "RSA peer: sha256 = openssl's fingerprint" "$(fp rsa.pem)" "$(json 'd["chain"][0]["sha256"]' <rsa.json)"
assert_eq "RSA peer: subject" CN=peer-rsa.example.com "$(json 'd["chain"][0]["subject"]' <rsa.json)"
assert_eq "RSA peer: not_after" \
	"$(date -u -d "$(openssl x509 -in rsa.pem -noout -enddate | sed 's/.*=//')" +%Y-%m-%dT%H:%M:%SZ)" \
	"$(json 'd["chain"][0]["not_after"]' <rsa.json)"
assert_eq "RSA peer: connected, downloaded, handshake completed" "True True True" \
	"$(json '"%s %s %s" % (d["connected"], d["downloaded"], d["handshake_completed"])' <rsa.json)"
assert_eq "RSA peer: no SNI to an address" None "$(json 'd["sni"]' <rsa.json)"
assert_eq "RSA peer: a self-signed peer does not verify" "False self-signed certificate" \
	"$(json '"%s %s" % (d["verified"], d["verify_error"])' <rsa.json)"
assert_contains "RSA peer: tls_version" TLSv1. "$(json 'd["tls_version"]' <rsa.json)"

cf --json trust fetch "localhost:$P_EC" >ec.json
assert_eq "ECDSA peer: key_type" ECDSA "$(json 'd["key_type"]' <ec.json)"
assert_eq "ECDSA peer: sha256" "$(fp ec.pem)" "$(json 'd["chain"][0]["sha256"]' <ec.json)"
assert_eq "ECDSA peer: certificate key" "EC prime256v1" \
	"$(json 'd["chain"][0]["key_type"] + " " + d["chain"][0]["curve"]' <ec.json)"
assert_contains "ECDSA peer: handshake signature" ECDSA+SHA256 "$(json 'd["signature"]' <ec.json)"
assert_eq "ECDSA peer: SNI defaults to the host name" localhost "$(json 'd["sni"]' <ec.json)"
assert_exit "ECDSA peer, human" 0 cf trust fetch "127.0.0.1:$P_EC" --sni peer-ec.example.com
assert_contains "ECDSA peer: human report names the key type" "key type:  ECDSA" "$(cat "$T/out")"
assert_contains "ECDSA peer: human report names the SNI" "SNI peer-ec.example.com" "$(cat "$T/out")"

# ---- chains --------------------------------------------------------------------------------------

cf --json trust fetch "127.0.0.1:$P_CHAIN" >chain.json
assert_eq "chain: leaf and intermediate, in order" "$(fp leaf.pem) $(fp int.pem)" \
	"$(json '" ".join(c["sha256"] for c in d["chain"])' <chain.json)"
assert_eq "chain: issuers" "CN=Fetch Issuing CA,O=Fetch Test CN=Fetch Root CA,O=Fetch Test" \
	"$(json '" ".join(c["issuer"] for c in d["chain"])' <chain.json)"
assert_eq "chain: leaf key type" ECDSA "$(json 'd["key_type"]' <chain.json)"
cf --json trust fetch "127.0.0.1:$P_FULL" >full.json
assert_eq "full chain: three certificates, in order" "$(fp leaf.pem) $(fp int.pem) $(fp root.pem)" \
	"$(json '" ".join(c["sha256"] for c in d["chain"])' <full.json)"

# A peer that wants a client certificate under TLS 1.2 aborts the handshake after sending its own:
# the chain is still what the administrator came for.
cf --json trust fetch "127.0.0.1:$P_MTLS" >mtls.json || fail "client-certificate peer: exit $?"
assert_eq "client-certificate peer: handshake not completed" False "$(json 'd["handshake_completed"]' <mtls.json)"
assert_eq "client-certificate peer: chain captured" "$(fp rsa.pem)" "$(json 'd["chain"][0]["sha256"]' <mtls.json)"
assert_eq "client-certificate peer: TLS 1.2" TLSv1.2 "$(json 'd["tls_version"]' <mtls.json)"
assert_eq "client-certificate peer: says why" True "$(json 'len(d["handshake_error"]) > 0' <mtls.json)"

# ---- import --------------------------------------------------------------------------------------

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
cf node add exp1.example.com --cluster cl1 --product expressway-c --publisher --no-defaults >/dev/null

assert_exit "import a peer's self-signed certificate into tomcat-trust" 0 \
	cf trust fetch "127.0.0.1:$P_RSA" --import --node ucm1.example.com --store tomcat-trust
assert_contains "import tomcat-trust: count" "1 trust certificate added to tomcat-trust" "$(cat "$T/out")"
assert_contains "import tomcat-trust: restart plan" "Restart plan" "$(cat "$T/out")"
assert_eq "import tomcat-trust: in cert list" "[\"$(fp rsa.pem)\"]" \
	"$(cf --json cert list --store tomcat-trust | json '[c["sha256"] for c in d["items"]]')"
cf --json trust fetch "127.0.0.1:$P_RSA" --import --node ucm1.example.com --store tomcat-trust >again.json
assert_eq "import again: nothing added, a note" "0 True" \
	"$(json '"%d %s" % (d["import"]["count"], any("already" in n for n in d["import"]["notes"]))' <again.json)"

cf --json trust fetch "127.0.0.1:$P_FULL" --import --node exp1.example.com --store trusted-ca >imp.json ||
	fail "import CA chain into trusted-ca: exit $?"
assert_eq "import trusted-ca: the two CAs added, the leaf left out" "2 [\"$(fp leaf.pem)\"]" \
	"$(json '"%d %s" % (d["import"]["count"], json.dumps(d["import"]["skipped"]))' <imp.json)"
assert_eq "import trusted-ca: in cert list" "$(printf '%s\n' "$(fp int.pem)" "$(fp root.pem)" | sort | tr '\n' ' ')" \
	"$(cf --json cert list --node exp1.example.com --store trusted-ca |
		json '" ".join(sorted(c["sha256"] for c in d["items"])) + " "')"
assert_eq "import trusted-ca: restart plan in JSON" True "$(json '"restart_plan" in d["import"]' <imp.json)"
# the same rules as trust add: a CA-signed leaf alone is not a CA certificate
P_LEAF=$(free_port)
s_server "$P_LEAF" leaf.pem leaf.key
assert_exit "import a lone CA-signed leaf into trusted-ca" 3 \
	cf trust fetch "127.0.0.1:$P_LEAF" --import --node exp1.example.com --store trusted-ca
assert_contains "lone leaf: the rule" "is not a CA certificate" "$(cat "$T/err")"
assert_exit "import into a store the node lacks" 4 \
	cf trust fetch "127.0.0.1:$P_RSA" --import --node exp1.example.com --store tomcat-trust

# every import is audited, the refused ones with their error line; looking without --import is not
cf trust fetch "127.0.0.1:$P_RSA" >/dev/null
cf --json audit --limit 1000 >audit.json
assert_eq "fetch --import audit rows (action, object, ok or the refusal)" \
	"$(printf '%s\n' "trust fetch|tomcat-trust from 127.0.0.1:$P_RSA|ok" "trust fetch|tomcat-trust from 127.0.0.1:$P_RSA|ok" \
		"trust fetch|trusted-ca from 127.0.0.1:$P_FULL|ok" "trust fetch|trusted-ca from 127.0.0.1:$P_LEAF|refused" \
		"trust fetch|tomcat-trust from 127.0.0.1:$P_RSA|refused")" \
	"$(json '"\n".join("%s|%s|%s" % (r["action"], r["object"], "ok" if r["result"] == "ok" else "refused") for r in reversed(d["items"]) if r["action"] == "trust fetch")' <audit.json)"
assert_contains "refused import: its error line in the audit row" "is not a CA certificate" \
	"$(json '[r["result"] for r in d["items"] if r["action"] == "trust fetch"][1]' <audit.json)"

# ---- STARTTLS --------------------------------------------------------------------------------------

SMTP_PY=$(smtp_python)
if [ -z "$SMTP_PY" ]; then
	fail "STARTTLS SMTP: python3-aiosmtpd is not installed (scripts/deps.sh installs it)"
else
	P_SMTP=$(free_port)
	"$SMTP_PY" "$HERE/smtpd_starttls.py" "$P_SMTP" ec.pem ec.key >smtp.log 2>&1 &
	SERVERS+=($!)
	wait_ready smtp.log READY $!
	cf --json trust fetch "127.0.0.1:$P_SMTP" --starttls smtp >smtp.json || fail "STARTTLS SMTP: exit $?"
	assert_eq "STARTTLS SMTP: sha256" "$(fp ec.pem)" "$(json 'd["chain"][0]["sha256"]' <smtp.json)"
	assert_eq "STARTTLS SMTP: starttls, key type" "smtp ECDSA" \
		"$(json 'd["starttls"] + " " + d["key_type"]' <smtp.json)"
	P_NOTLS=$(free_port)
	"$SMTP_PY" "$HERE/smtpd_starttls.py" "$P_NOTLS" - - >smtp-notls.log 2>&1 &
	SERVERS+=($!)
	wait_ready smtp-notls.log READY $!
	assert_exit "STARTTLS SMTP, not offered" 6 cf trust fetch "127.0.0.1:$P_NOTLS" --starttls smtp
	one_line_named "STARTTLS SMTP, not offered" "127.0.0.1:$P_NOTLS" \
		"STARTTLS (smtp): the server does not offer STARTTLS"
	assert_exit "TLS to an SMTP port" 6 cf trust fetch "127.0.0.1:$P_SMTP"
	assert_contains "TLS to an SMTP port: the handshake failed" "127.0.0.1:$P_SMTP: TLS handshake failed" \
		"$(cat "$T/err")"
fi

P_XMPP=$(free_port)
stub xmpp "$P_XMPP" rsa.pem rsa.key xmpp.example.com
cf --json trust fetch "127.0.0.1:$P_XMPP" --starttls xmpp --sni xmpp.example.com >xmpp.json ||
	fail "STARTTLS XMPP: exit $?"
assert_eq "STARTTLS XMPP: sha256" "$(fp rsa.pem)" "$(json 'd["chain"][0]["sha256"]' <xmpp.json)"
assert_exit "STARTTLS XMPP, wrong domain" 6 cf trust fetch "127.0.0.1:$P_XMPP" --starttls xmpp --sni other.example.com
assert_contains "STARTTLS XMPP, wrong domain: the stream error" host-unknown "$(cat "$T/err")"
assert_exit "STARTTLS XMPP to an address without --sni" 2 cf trust fetch "127.0.0.1:$P_XMPP" --starttls xmpp
assert_contains "STARTTLS XMPP to an address without --sni: names sni, says what it needs" \
	"certfleet: sni: STARTTLS (xmpp) to an address needs the server's domain name" "$(cat "$T/err")"

P_LDAP=$(free_port)
stub ldap "$P_LDAP" ec.pem ec.key
cf --json trust fetch "127.0.0.1:$P_LDAP" --starttls ldap >ldap.json || fail "STARTTLS LDAP: exit $?"
assert_eq "STARTTLS LDAP: sha256" "$(fp ec.pem)" "$(json 'd["chain"][0]["sha256"]' <ldap.json)"
P_LDAPNO=$(free_port)
stub ldap-refuse "$P_LDAPNO" ec.pem ec.key
assert_exit "STARTTLS LDAP refused" 6 cf trust fetch "127.0.0.1:$P_LDAPNO" --starttls ldap
assert_contains "STARTTLS LDAP refused: result code and text" "resultCode 52 (unavailable): no TLS here" \
	"$(cat "$T/err")"

# ---- failures: exit 6, one line naming HOST:PORT -------------------------------------------------

P_CLOSED=$(free_port)
assert_exit "closed port" 6 cf trust fetch "127.0.0.1:$P_CLOSED"
one_line_named "closed port" "127.0.0.1:$P_CLOSED" "cannot connect: Connection refused"
assert_exit "closed port, --json" 6 cf --json trust fetch "127.0.0.1:$P_CLOSED"
assert_eq "closed port, --json: error object" 6 "$(json 'd["error"]["code"]' <"$T/out")"
assert_exit "closed IPv6 port" 6 cf trust fetch "[::1]:$P_CLOSED"
assert_contains "closed IPv6 port: names it" "certfleet: [::1]:$P_CLOSED: cannot connect" "$(cat "$T/err")"
assert_exit "unknown host" 6 cf trust fetch "no-such-host.invalid:443"
one_line_named "unknown host" "no-such-host.invalid:443" "cannot resolve no-such-host.invalid"

P_CLOSE=$(free_port)
stub close "$P_CLOSE" rsa.pem rsa.key
assert_exit "server closes during the handshake" 6 cf trust fetch "127.0.0.1:$P_CLOSE"
one_line_named "server closes during the handshake" "127.0.0.1:$P_CLOSE" "the server closed the connection"

P_SILENT=$(free_port)
stub silent "$P_SILENT" rsa.pem rsa.key
start=$(date +%s)
assert_exit "silent peer" 6 cf trust fetch "127.0.0.1:$P_SILENT"
took=$(($(date +%s) - start))
one_line_named "silent peer" "127.0.0.1:$P_SILENT" "timed out during the TLS handshake (limit 10 s)"
[ "$took" -ge 9 ] && [ "$took" -le 13 ] && ok || fail "silent peer: gave up after $took s, expected 10"

# ---- usage ---------------------------------------------------------------------------------------

assert_exit "no port" 2 cf trust fetch 127.0.0.1
assert_exit "bare IPv6" 2 cf trust fetch ::1:443
assert_exit "unknown STARTTLS protocol" 2 cf trust fetch "127.0.0.1:$P_RSA" --starttls imap
assert_contains "unknown STARTTLS protocol: names the field" "certfleet: starttls: unknown protocol \"imap\"" "$(cat "$T/err")"
assert_exit "--import without --node" 2 cf trust fetch "127.0.0.1:$P_RSA" --import --store tomcat-trust
assert_exit "--node without --import" 2 cf trust fetch "127.0.0.1:$P_RSA" --node ucm1.example.com --store x
assert_exit "an address as SNI" 2 cf trust fetch "127.0.0.1:$P_RSA" --sni 10.0.0.1
assert_contains "an address as SNI: names the field" "certfleet: sni: \"10.0.0.1\" is not a host name" "$(cat "$T/err")"

stop_servers
finish
