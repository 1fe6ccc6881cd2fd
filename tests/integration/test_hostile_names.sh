#!/usr/bin/env bash
# Names with control bytes never match and never lie. Certificates whose SAN or CN hold a NUL, a
# line feed or a terminal escape are made with the openssl command (the SAN as raw DER in the
# extension config); openssl is the oracle for what a certificate holds and whether a host matches.
# - a DNS SAN "victim.example.com<NUL>.attacker.example" is refused (exit 3, one error line), never
#   taken for victim.example.com, by validate, cert upload and trust add; nothing is stored
# - a SAN "email:pki@example.com<LF>DNS:ucm2.example.com" stays one e-mail SAN: the stored set is
#   exactly what `openssl x509 -ext subjectAltName` shows, validate --host ucm2 does not match,
#   and the doctor's san-missing-node stays
# - a CN or SAN with an escape or a line feed reaches the terminal as \x1b / \x0a from cert list,
#   cert show, validate and doctor; JSON output carries the exact value
# - an error line naming a file whose name holds a line feed is one line
. "$(dirname "$0")/lib.sh"
CERTFLEET=$(realpath "$CERTFLEET")
cd "$T" || exit 1

U1=ucm1.example.com
U2=ucm2.example.com
ESC=$'\x1b'

# sanhex NAME...: the DER of a GeneralNames (hex) holding each NAME ("DNS:x", "email:x", "URI:x";
# Python escapes such as \x00 and \n give the bytes).
sanhex() {
	python3 - "$@" <<-'EOF'
	import sys
	def tlv(tag, body):
	    n = len(body)
	    length = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255])
	    return bytes([tag]) + length + body
	tags = {"DNS": 0x82, "email": 0x81, "URI": 0x86}
	body = b""
	for arg in sys.argv[1:]:
	    kind, value = arg.split(":", 1)
	    body += tlv(tags[kind], value.encode().decode("unicode_escape").encode("latin-1"))
	print(tlv(0x30, body).hex())
	EOF
}

# issue CSR OUT SANHEX: a CallManager-shaped certificate for the request, issued by ca, with the
# given SAN instead of the request's.
issue() {
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment' \
		'extendedKeyUsage=serverAuth,clientAuth' "subjectAltName=DER:$3" >ext.cnf
	openssl x509 -req -in "$1" -CA ca.pem -CAkey ca.key -extfile ext.cnf -days 365 -out "$2" 2>/dev/null
}

# selfsigned OUT CN SANHEX: a self-signed CA certificate (trust material) with that CN and SAN.
selfsigned() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1" \
		-subj "/CN=$2" -days 365 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -addext "subjectAltName=DER:$3" 2>/dev/null
}

# one_line WHAT: the last cfx wrote exactly one line to stderr, starting "certfleet: ".
one_line() {
	local lines
	lines=$(printf '%s\n' "$ERR" | wc -l)
	assert_eq "$1: one error line" 1 "$lines"
	assert_contains "$1: the error line" "certfleet: " "$ERR"
}

# rows: the certificates in the store.
rows() { cf --json cert list | json 'len(d["items"])'; }

new_store uc
cf node add $U1 --cluster uc --product ucm --publisher --no-defaults >/dev/null
cf node add $U2 --cluster uc --product ucm --no-defaults >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj "/CN=Test Root CA" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
must "trust add the CA" trust add --node $U1 --store CallManager-trust ca.pem
must "multi-server CSR" csr generate --node $U1 --purpose CallManager --multi-server
cf csr show --node $U1 --purpose CallManager --pem >cm.csr

# ---- a NUL in a DNS SAN --------------------------------------------------------------------------
NUL_SAN=$(sanhex 'DNS:victim.example.com\x00.attacker.example')
issue cm.csr nul.pem "$NUL_SAN"
rc=0
openssl verify -CAfile ca.pem -verify_hostname victim.example.com nul.pem >oracle.out 2>&1 || rc=$?
assert_contains "oracle: openssl says the NUL name does not match" "hostname mismatch" "$(cat oracle.out)"
cfx validate nul.pem --host victim.example.com --ca-file ca.pem
expect_rc "validate --host victim.example.com with a NUL SAN: refused, not valid" 3
one_line "validate of the NUL SAN"
assert_contains "the refusal says why" 'DNS name "victim.example.com\x00.attacker.example" holds a NUL byte' "$ERR"
cfx --json validate nul.pem --host victim.example.com
expect_rc "validate --json: refused" 3
assert_eq "validate --json: the error object" 3 "$(json 'd["error"]["code"]' <"$LAST")"
cfx validate --batch nul.pem --host victim.example.com
if [ "$RC" == 0 ]; then fail "validate --batch takes the NUL SAN for valid: $OUT"; else ok; fi
before=$(rows)
cfx cert upload --node $U1 --purpose CallManager nul.pem
expect_rc "cert upload of the NUL SAN: refused" 3
one_line "cert upload of the NUL SAN"
assert_eq "cert upload of the NUL SAN: nothing stored" "$before" "$(rows)"
selfsigned nulca.pem "NUL Root CA" "$NUL_SAN"
cfx trust add --node $U1 --store CallManager-trust nulca.pem
expect_rc "trust add of a CA with a NUL SAN: refused" 3
one_line "trust add of the NUL SAN"
assert_eq "trust add of the NUL SAN: nothing stored" "$before" "$(rows)"
# a CN with a NUL character is refused the same way: a certificate's subject and issuer Name
# replaced in its DER (the signature no longer verifies, which facts do not need)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout plain.key -out plain.pem \
	-days 30 -subj "/CN=ucm1.example.com" 2>/dev/null
python3 - plain.pem nulcn.der <<-'EOF'
	import base64, sys
	def enc(tag, body):
	    n = len(body)
	    return bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255])) + body
	def items(b):
	    out, i = [], 0
	    while i < len(b):
	        n, h = b[i + 1], 2
	        if n & 0x80:
	            k = n & 0x7f
	            n, h = int.from_bytes(b[i + 2:i + 2 + k], "big"), 2 + k
	        out.append(b[i:i + h + n])
	        i += h + n
	    return out
	def content(tlv):
	    n, h = tlv[1], 2
	    if n & 0x80:
	        h = 2 + (n & 0x7f)
	    return tlv[h:]
	pem = open(sys.argv[1]).read()
	der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
	cert = items(content(der))
	tbs = items(content(cert[0]))
	cn = "victim.example.com\0.attacker.example".encode()
	name = enc(0x30, enc(0x31, enc(0x30, bytes.fromhex("0603550403") + enc(0x0C, cn))))
	tbs[3] = tbs[5] = name  # version, serial, signature, issuer, validity, subject, ...
	open(sys.argv[2], "wb").write(enc(0x30, enc(0x30, b"".join(tbs)) + b"".join(cert[1:])))
	EOF
cfx validate nulcn.der
expect_rc "a CN with a NUL character: refused" 3
one_line "the NUL CN"
assert_contains "the NUL CN refusal says why" 'CN "victim.example.com\x00.attacker.example" holds a NUL' "$ERR"

# ---- a line feed inside an e-mail SAN --------------------------------------------------------------
LF_SAN=$(sanhex 'email:pki@example.com\nDNS:ucm2.example.com' "DNS:$U1")
must "a fresh multi-server CSR" csr generate --node $U1 --purpose CallManager --multi-server
cf csr show --node $U1 --purpose CallManager --pem >cm.csr
issue cm.csr lf.pem "$LF_SAN"
cfx validate lf.pem --host $U2 --ca-file ca.pem
expect_rc "validate --host $U2: the e-mail SAN is no DNS name" 7
assert_contains "validate: name-mismatch" "[name-mismatch]" "$OUT"
assert_eq "validate text output: only check, chain and verdict lines" 0 \
	"$(grep -cvE '^(ok|FAIL|chain [0-9]+:|valid$|NOT valid$)' "$LAST" || true)"
assert_contains "validate text output: the line feed escaped" 'email:pki@example.com\x0aDNS:ucm2.example.com' "$OUT"
cfx validate lf.pem --host $U1 --ca-file ca.pem
expect_rc "validate --host $U1: its real DNS name matches" 0
# the upload sees the SAN lacking ucm2 too: it refuses (or, without the refusal, warns) with
# san-missing-node; --force stores it
cfx cert upload --node $U1 --purpose CallManager lf.pem
assert_contains "cert upload with the line-feed SAN: san-missing-node" "[san-missing-node]" "$ERR"
if [ "$RC" != 0 ]; then
	expect_rc "cert upload with the line-feed SAN: refused" 3
	must "cert upload --force with the line-feed SAN" cert upload --node $U1 --purpose CallManager lf.pem --force
fi
for n in $U1 $U2; do
	cfx --json cert show --node $n --purpose CallManager
	assert_eq "stored SAN set on $n: exactly the certificate's two names" \
		"[\"email:pki@example.com\\nDNS:ucm2.example.com\", \"DNS:$U1\"]" "$(json 'd["san"]' <"$LAST")"
	# the oracle: openssl prints the SANs comma-separated after an indent, the line feed as is
	want=$(openssl x509 -in lf.pem -noout -ext subjectAltName | tail -n +2 | sed '1s/^    //')
	assert_eq "stored SAN set on $n joined as openssl shows it" "$want" "$(json '", ".join(d["san"])' <"$LAST")"
done
cfx cert show --node $U1 --purpose CallManager
assert_contains "cert show: the SAN line escaped" \
	"SAN:            email:pki@example.com\\x0aDNS:ucm2.example.com, DNS:$U1" "$OUT"
if grep -q '^DNS:ucm2' "$LAST"; then fail "cert show: a forged line starting DNS:ucm2"; else ok; fi
cfx --json doctor
assert_eq "doctor: san-missing-node on both nodes (the line feed hides no DNS name)" 2 \
	"$(json 'sum(f["rule"] == "san-missing-node" and f["purpose"] == "CallManager" for f in d["findings"])' <"$LAST")"
cfx doctor
assert_contains "doctor text: the finding" "ERROR san-missing-node $U1 CallManager" "$OUT"

# ---- terminal escapes and a forged line in a CN -------------------------------------------------------
selfsigned esc.pem "Evil${ESC}[2J Root" "$(sanhex "URI:http://pki.example.com/\\x1b]0;owned\\x07")"
must "trust add of a CA whose CN holds an escape" trust add --node $U1 --store tomcat-trust esc.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout forged.key -out forged.pem \
	-days 365 -subj "/CN=Forged Root"$'\n'"99       ucm9.example.com" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
must "trust add of a CA whose CN holds a line feed" trust add --node $U1 --store tomcat-trust forged.pem

cfx cert list --node $U1 --store tomcat-trust
expect_rc "cert list" 0
if grep -q "$ESC" "$LAST"; then fail "cert list: an escape byte reaches the terminal"; else ok; fi
assert_contains "cert list: the escape shown as \\x1b" 'Evil\x1b[2J Root' "$OUT"
assert_contains "cert list: the line feed shown as \\x0a" 'Forged Root\x0a99       ucm9.example.com' "$OUT"
assert_eq "cert list: the header and one line per certificate" 3 "$(wc -l <"$LAST")"
cfx --json cert list --node $U1 --store tomcat-trust
assert_eq "cert list --json: the CNs exactly" "$(printf 'Evil\x1b[2J Root|Forged Root\n99       ucm9.example.com')" \
	"$(json '"|".join(sorted(i["cn"] for i in d["items"]))' <"$LAST")"
id=$(json '[i["id"] for i in d["items"] if i["cn"].startswith("Evil")][0]' <"$LAST")
cfx cert show --node $U1 --store tomcat-trust --id "$id"
expect_rc "cert show of the escape CA" 0
if grep -q "$ESC" "$LAST"; then fail "cert show: an escape byte reaches the terminal"; else ok; fi
if grep -q $'\x07' "$LAST"; then fail "cert show: a bell byte reaches the terminal"; else ok; fi
assert_contains "cert show: the URI SAN escaped" 'URI:http://pki.example.com/\x1b]0;owned\x07' "$OUT"
cfx --json cert show --node $U1 --store tomcat-trust --id "$id"
assert_eq "cert show --json: the URI SAN exactly" "$(printf 'URI:http://pki.example.com/\x1b]0;owned\x07')" \
	"$(json 'd["san"][0]' <"$LAST")"

# ---- text that is not UTF-8 --------------------------------------------------------------------------
# A store keeps only UTF-8 text (PostgreSQL refuses anything else; JSON cannot carry it): such a name
# or description is refused as input on both engines, in one line, with nothing stored but the
# refusal's audit row, which shows the bytes as \xHH.
store_dump | grep -v '^INSERT INTO "\{0,1\}audit' >dump.before
cfx cluster add $'bad\xffname'
expect_rc "cluster add of a name that is not UTF-8" 3
one_line "cluster add of a name that is not UTF-8"
assert_contains "  and the line says why" "not UTF-8" "$ERR"
cfx --json audit --limit 1
assert_eq "  the refusal is audited, the byte as \\xff" 'cluster add bad\xffname' \
	"$(json 'd["items"][0]["action"] + " " + d["items"][0]["object"]' <"$LAST")"
cfx trust add --node $U1 --store tomcat-trust --description $'caf\xe9 root' ca.pem
expect_rc "trust add with a description that is not UTF-8" 3
one_line "trust add with a description that is not UTF-8"
store_dump | grep -v '^INSERT INTO "\{0,1\}audit' >dump.after
assert_eq "  nothing stored but the audit rows" "" "$(diff dump.before dump.after | head -3 | cut -c1-120)"

# ---- error lines for file names with a line feed ----------------------------------------------------
bad=$'bad\nforged: ok.pem'
cp nul.pem "$bad"
cfx validate "$bad"
expect_rc "validate of a file named with a line feed (NUL SAN inside)" 3
one_line "validate of a file named with a line feed"
cfx trust add --node $U1 --store tomcat-trust "$bad"
expect_rc "trust add of a file named with a line feed" 3
one_line "trust add of a file named with a line feed"
cfx validate $'missing\nforged: ok.pem'
expect_rc "a missing file named with a line feed" 3
one_line "a missing file named with a line feed"
assert_contains "the file name escaped" 'missing\x0aforged: ok.pem' "$ERR"
printf 'not a certificate\n' >"$bad"
cfx trust add --node $U1 --store tomcat-trust "$bad"
expect_rc "garbage in a file named with a line feed" 3
one_line "garbage in a file named with a line feed"
cfx --json trust add --node $U1 --store tomcat-trust "$bad"
assert_contains "--json error: the file name exactly as escaped text" 'bad\\x0aforged: ok.pem' "$OUT"

finish
