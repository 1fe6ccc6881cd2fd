#!/usr/bin/env bash
# Path validation rules that an independent suite (x509-limbo with the BetterTLS cases) found
# broken: every chain is made here with the openssl command (and a small DER editor for what the
# command will not write), then `certfleet validate` must refuse or accept it, and `openssl
# verify -x509_strict -auth_level 2` is asked the same question where it can answer it:
#   - name constraints reach the leaf's SANs: permitted and excluded, DNS and IPv4;
#   - the CN is not held to the constraints when the leaf has SANs, but a host that matches only
#     that CN is refused; a leaf without SANs has its CN checked;
#   - backtracking: two issuers with one name and key, the first one's constraints excluding the
#     leaf's name, in either order in the peer file;
#   - an issuer without basicConstraints, a SHA-1-signed intermediate, RSA-1024 and P-192 keys,
#     an intermediate whose extendedKeyUsage leaves out the leaf's, a duplicate extension and a
#     missing authorityKeyIdentifier in the leaf;
#   - a peer file with more than 20 certificates (the issuer last);
#   - path building bounded: five intermediates with one subject and one key that certify each
#     other answer at once (the bound in the test is a generous 10 s);
#   - a CRL whose cRLNumber is critical, or that has none, is refused by `crl add`.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
CERTFLEET=$(realpath "$CERTFLEET") # the script works inside $T
command -v openssl >/dev/null || { echo "FAIL: $(basename "$0") needs the openssl command" >&2; exit 1; }
cd "$T" || exit 1

cat >ext.cnf <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_nobc]
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_email]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_nc_dns]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;DNS:example.com,excluded;DNS:bad.example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_nc_ip]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;IP:10.0.0.0/255.0.0.0,excluded;IP:10.9.0.0/255.255.0.0
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ca_nc_excl]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,excluded;DNS:example.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::SAN
[leaf_nosan]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
export SAN=DNS:unused.example.com

# key NAME [ec:CURVE|rsa:BITS]
key() {
	local spec=${2:-ec:P-256}
	case $spec in
	ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${spec#ec:}" -out "$1.key" 2>/dev/null ;;
	rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${spec#rsa:}" -out "$1.key" 2>/dev/null ;;
	esac
}
# root NAME CN [KEYSPEC]: a self-signed CA
root() {
	key "$1" "${3:-}"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -config ext.cnf -extensions ca \
		-out "$1.pem" 2>/dev/null
}
# issue NAME CN ISSUER SECTION [KEYNAME] [DIGEST]: NAME.pem for CN, key KEYNAME.key (made when missing)
SERIAL=100
issue() {
	local k=${5:-$1}
	[[ -f $k.key ]] || key "$k"
	SERIAL=$((SERIAL + 1))
	openssl req -new -key "$k.key" -subj "/CN=$2" -config ext.cnf -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "$SERIAL" -days 20 \
		-"${6:-sha256}" -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
}
# validate WHAT WANT_RC FILE CAFILE [ARGS...]: certfleet validate's exit code; the JSON in $T/out
validate() {
	local what=$1 want=$2 file=$3 ca=$4
	shift 4
	assert_exit "$what" "$want" cf --json validate "$file" --ca-file "$ca" "$@"
}
# rule_of: the rule of the first failed check of the last validate
rule_of() { json '[c.get("rule") for c in d["checks"] if not c["ok"]][0]' <"$T/out"; }
# ossl WANT CAFILE UNTRUSTED LEAF [ARGS...]: openssl verify -x509_strict -auth_level 2 agrees
ossl() {
	local want=$1 ca=$2 untrusted=$3 leaf=$4 got=0
	shift 4
	local args=(-x509_strict -auth_level 2 -CAfile "$ca")
	[[ $untrusted == - ]] || args+=(-untrusted "$untrusted")
	openssl verify "${args[@]}" "$@" "$leaf" >"$T/ossl.out" 2>&1 || got=$?
	if [[ $want == ok ]]; then assert_eq "openssl verify accepts $leaf" 0 "$got"; else
		[[ $got != 0 ]] && ok || fail "openssl verify refuses $leaf: it accepted it"
	fi
}

root root "Rules Root"

# ---- name constraints on the leaf's SANs ---------------------------------------------------------------
issue nc_dns "NC DNS CA" root ca_nc_dns
issue nc_ip "NC IP CA" root ca_nc_ip
nc_case() { # NAME ISSUER SAN CN WANT(ok|fail) HOST
	SAN=$3 issue "$1" "$4" "$2" leaf
	cat "$1.pem" "$2.pem" >"$1.chain"
	if [[ $5 == ok ]]; then
		validate "$1: $3 inside the constraints" 0 "$1.chain" root.pem --host "$6"
		ossl ok root.pem "$2.pem" "$1.pem"
	else
		validate "$1: $3 outside the constraints" 7 "$1.chain" root.pem --host "$6"
		assert_eq "$1: the rule" name-constraints "$(rule_of)"
		ossl fail root.pem "$2.pem" "$1.pem"
	fi
}
nc_case dns_permitted nc_dns DNS:www.example.com www.example.com ok www.example.com
nc_case dns_not_permitted nc_dns DNS:test.localhost test.localhost fail test.localhost
nc_case dns_excluded nc_dns DNS:bad.example.com bad.example.com fail bad.example.com
nc_case dns_second_excluded nc_dns "DNS:www.example.com,DNS:bad.example.com" www.example.com fail www.example.com
nc_case ip_permitted nc_ip IP:10.1.2.3 10.1.2.3 ok 10.1.2.3
nc_case ip_not_permitted nc_ip IP:192.0.2.7 192.0.2.7 fail 192.0.2.7
nc_case ip_excluded nc_ip IP:10.9.1.1 10.9.1.1 fail 10.9.1.1

# ---- the CN and name constraints -------------------------------------------------------------------------
# SANs inside the constraints, a CN outside them: the CN is not one of its names
SAN=DNS:www.example.com issue cn_dns "evil.test" nc_dns leaf
cat cn_dns.pem nc_dns.pem >cn_dns.chain
validate "CN outside, DNS SAN inside: valid for the SAN" 0 cn_dns.chain root.pem --host www.example.com
ossl ok root.pem nc_dns.pem cn_dns.pem
validate "CN outside, DNS SAN inside: not for the CN" 7 cn_dns.chain root.pem --host evil.test
assert_eq "CN with a DNS SAN: name-mismatch" name-mismatch "$(rule_of)"
# an IP SAN only: the CN is not checked for the IP, and a host that matches only the CN is refused
SAN=IP:127.0.0.1 issue cn_ip "evil.test" nc_dns leaf
cat cn_ip.pem nc_dns.pem >cn_ip.chain
validate "CN outside, IP SAN only: valid for the IP" 0 cn_ip.chain root.pem --host 127.0.0.1
validate "CN outside, IP SAN only: not for the CN" 7 cn_ip.chain root.pem --host evil.test
assert_eq "CN with an IP SAN only: the rule" name-constraints "$(rule_of)"
# no SAN at all: the CN is the name and is checked
issue cn_only "evil.test" nc_dns leaf_nosan
cat cn_only.pem nc_dns.pem >cn_only.chain
validate "no SAN, CN outside the constraints" 7 cn_only.chain root.pem
assert_eq "no SAN, CN outside: the rule" name-constraints "$(rule_of)"
ossl fail root.pem nc_dns.pem cn_only.pem

# ---- backtracking after a constraint failure -----------------------------------------------------------
issue twin_nc "Twin CA" root ca_nc_excl twin
issue twin_ok "Twin CA" root ca twin
cp twin.key twin_ok.key
SAN=DNS:www.example.com issue twin_leaf www.example.com twin_ok leaf
cat twin_leaf.pem twin_nc.pem twin_ok.pem >twin1.chain
cat twin_leaf.pem twin_ok.pem twin_nc.pem >twin2.chain
cat twin_leaf.pem twin_nc.pem >twin_only_nc.chain
validate "backtracking: the excluding twin first" 0 twin1.chain root.pem --host www.example.com
assert_eq "backtracking: the chain goes through the other twin" \
	"$(openssl x509 -in twin_ok.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)" \
	"$(json 'd["chain"][1]["sha256"]' <"$T/out")"
validate "backtracking: the excluding twin second" 0 twin2.chain root.pem --host www.example.com
validate "only the excluding twin" 7 twin_only_nc.chain root.pem --host www.example.com
assert_eq "only the excluding twin: the rule" name-constraints "$(rule_of)"

# ---- issuers and keys that may not sign ----------------------------------------------------------------
SAN=DNS:ok.example.com
issue nobc "No BC CA" root ca_nobc
issue nobc_leaf ok.example.com nobc leaf
cat nobc_leaf.pem nobc.pem >nobc.chain
validate "an issuer without basicConstraints" 7 nobc.chain root.pem
assert_eq "an issuer without basicConstraints: the rule" ca-no-basic-constraints "$(rule_of)"
ossl fail root.pem nobc.pem nobc_leaf.pem

issue sha1_ca "SHA1 CA" root ca "" sha1
issue sha1_leaf ok.example.com sha1_ca leaf
cat sha1_leaf.pem sha1_ca.pem >sha1.chain
validate "a SHA-1-signed intermediate" 7 sha1.chain root.pem
assert_eq "a SHA-1-signed intermediate: the rule" sha1 "$(rule_of)"
ossl fail root.pem sha1_ca.pem sha1_leaf.pem

root weak_root "Weak Root" rsa:1024
issue weak_leaf ok.example.com weak_root leaf
validate "an RSA-1024 root" 7 weak_leaf.pem weak_root.pem
assert_eq "an RSA-1024 root: the rule" weak-key "$(rule_of)"
ossl fail weak_root.pem - weak_leaf.pem
key p192 ec:P-192
issue p192_leaf ok.example.com root leaf p192
validate "a P-192 leaf" 7 p192_leaf.pem root.pem
assert_eq "a P-192 leaf: the rule" weak-key "$(rule_of)"
ossl fail root.pem - p192_leaf.pem
issue good_leaf ok.example.com root leaf
validate "the same leaf with a P-256 key" 0 good_leaf.pem root.pem --host ok.example.com
ossl ok root.pem - good_leaf.pem

issue email_ca "Mail CA" root ca_email
issue email_leaf ok.example.com email_ca leaf
cat email_leaf.pem email_ca.pem >email.chain
validate "an intermediate whose EKU leaves out the leaf's" 7 email.chain root.pem
assert_eq "EKU above the leaf: the rule" eku-missing "$(rule_of)"
ossl fail root.pem email_ca.pem email_leaf.pem -purpose sslserver

# ---- the leaf's own profile ----------------------------------------------------------------------------
# edit_tbs.py MODE IN OUT KEY: OUT is IN's TBSCertificate with its subjectAltName given twice (dup)
# or its authorityKeyIdentifier left out (noaki), signed again with KEY (ECDSA, SHA-256): what the
# openssl command will not write
cat >edit_tbs.py <<'EOF'
import base64, subprocess, sys, textwrap
mode, src, dst, key = sys.argv[1:5]
der = base64.b64decode("".join(l for l in open(src) if not l.startswith("-----")))
def tlv(b, i):  # (header length, content length) of the TLV at i
    n = b[i + 1]
    if n < 0x80:
        return 2, n
    k = n & 0x7F
    return 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")
def enc(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(nb)]) + nb + body
def children(b):
    out, i = [], 0
    while i < len(b):
        h, n = tlv(b, i)
        out.append(b[i:i + h + n])
        i += h + n
    return out
def inner(b):
    h, n = tlv(b, 0)
    return b[h:h + n]
parts = children(inner(children(inner(der))[0]))
assert parts[-1][0] == 0xA3
exts = children(inner(inner(parts[-1])))
SAN, AKI = b"\x06\x03\x55\x1d\x11", b"\x06\x03\x55\x1d\x23"
if mode == "dup":
    exts += [e for e in exts if SAN in e[:8]]
else:
    exts = [e for e in exts if AKI not in e[:8]]
parts[-1] = enc(0xA3, enc(0x30, b"".join(exts)))
tbs = enc(0x30, b"".join(parts))
with open(dst + ".tbs", "wb") as f:
    f.write(tbs)
sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, dst + ".tbs"], capture_output=True, check=True).stdout
alg = bytes.fromhex("300a06082a8648ce3d040302")  # ecdsa-with-SHA256
cert = enc(0x30, tbs + alg + enc(0x03, b"\x00" + sig))
with open(dst, "w") as f:
    f.write("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(base64.b64encode(cert).decode(), 64)) +
            "\n-----END CERTIFICATE-----\n")
EOF
# the editor itself: the leaf with only its AKI taken out still verifies without -x509_strict
python3 edit_tbs.py noaki good_leaf.pem noaki_leaf.pem root.key
assert_eq "a re-signed leaf has a valid signature" "noaki_leaf.pem: OK" \
	"$(openssl verify -no-CApath -CAfile root.pem noaki_leaf.pem 2>&1 | tail -1)"
assert_eq "the no-AKI leaf has no AKI" "" "$(openssl x509 -in noaki_leaf.pem -noout -ext authorityKeyIdentifier 2>/dev/null)"
validate "a leaf without authorityKeyIdentifier" 7 noaki_leaf.pem root.pem
assert_eq "a leaf without AKI: the rule" malformed-certificate "$(rule_of)"
ossl fail root.pem - noaki_leaf.pem
python3 edit_tbs.py dup good_leaf.pem dup_leaf.pem root.key
assert_eq "the duplicate-extension leaf lists its SAN twice" 2 \
	"$(openssl asn1parse -in dup_leaf.pem | grep -c 'Subject Alternative Name')"
validate "a leaf with a duplicate extension" 7 dup_leaf.pem root.pem
assert_eq "a duplicate extension: the rule" malformed-certificate "$(rule_of)"
ossl fail root.pem - dup_leaf.pem

# ---- a peer file with more than 20 certificates ----------------------------------------------------------
issue many_ca "Many CA" root ca
issue many_leaf ok.example.com many_ca leaf
cp many_leaf.pem many.chain
for i in $(seq 1 24); do
	issue "filler$i" "Filler CA $i" root ca filler
	cat "filler$i.pem" >>many.chain
done
cat many_ca.pem >>many.chain
assert_eq "the peer file holds 26 certificates" 26 "$(grep -c 'BEGIN CERTIFICATE' many.chain)"
validate "the issuer after 24 other certificates" 0 many.chain root.pem --host ok.example.com
assert_eq "the issuer after 24 others: chain" 3 "$(json 'len(d["chain"])' <"$T/out")"

# ---- path building bounded -----------------------------------------------------------------------------
# Five CAs named "Loop CA" with one key, each issued by "Loop CA" with that key: every one verifies
# every other. Without an anchor above them: refused at once; with one of them issued by the root
# as well: accepted at once.
key loop
openssl req -x509 -new -key loop.key -subj "/CN=Loop CA" -days 30 -config ext.cnf -extensions ca \
	 -out loop0.pem 2>/dev/null
cp loop.key loop0.key
for i in 1 2 3 4; do
	SERIAL=$((SERIAL + 1))
	openssl req -new -key loop.key -subj "/CN=Loop CA" -config ext.cnf -out "loop$i.csr" 2>/dev/null
	openssl x509 -req -in "loop$i.csr" -CA loop0.pem -CAkey loop.key -set_serial "$SERIAL" -days 20 \
		-extfile ext.cnf -extensions ca -out "loop$i.pem" 2>/dev/null
done
issue loop_leaf ok.example.com loop0 leaf
cat loop_leaf.pem loop0.pem loop1.pem loop2.pem loop3.pem loop4.pem >loop.chain
issue loop_root "Loop CA" root ca loop
cat loop.chain loop_root.pem >loop_rooted.chain
start=$(date +%s%N)
validate "five same-subject same-key intermediates, no anchor" 7 loop.chain root.pem
secs=$((($(date +%s%N) - start) / 1000000000))
[[ $secs -lt 10 ]] && ok || fail "five same-subject same-key intermediates took ${secs} s (bound 10 s)"
start=$(date +%s%N)
validate "the same with one of them issued by the root" 0 loop_rooted.chain root.pem --host ok.example.com
secs=$((($(date +%s%N) - start) / 1000000000))
[[ $secs -lt 10 ]] && ok || fail "five same-subject same-key intermediates and a rooted one took ${secs} s (bound 10 s)"
assert_eq "the rooted loop: leaf, Loop CA, root" 3 "$(json 'len(d["chain"])' <"$T/out")"

# ---- CRLs: a critical cRLNumber -------------------------------------------------------------------------
mkdir -p ca/db
: >ca/db/index.txt
cat >ca/ca.cnf <<EOF
[ca]
default_ca = c
[c]
database = $T/ca/db/index.txt
certificate = $T/root.pem
private_key = $T/root.key
default_md = sha256
default_crl_days = 7
[crl_critical]
2.5.29.20 = critical,DER:02:01:07
EOF
openssl ca -gencrl -config ca/ca.cnf -crlexts crl_critical -out critnum.crl 2>/dev/null
assert_contains "the critical CRL number is critical" "critical" "$(openssl crl -in critnum.crl -noout -text | grep 'CRL Number')"
openssl ca -gencrl -config ca/ca.cnf -out nonum.crl 2>/dev/null # no crlnumber file: no cRLNumber
assert_eq "the CRL without a number has none" "" "$(openssl crl -in nonum.crl -noout -text | grep 'CRL Number' || true)"
echo 1000 >ca/db/crlnumber
sed -i "/^\[c\]\$/a crlnumber = $T/ca/db/crlnumber" ca/ca.cnf # in the CA's section
openssl ca -gencrl -config ca/ca.cnf -out good.crl 2>/dev/null
assert_contains "the good CRL has a number, not critical" "CRL Number: " "$(openssl crl -in good.crl -noout -text | grep -A0 'CRL Number')"
new_store
cf node add rules.example.com --cluster cl1 --product cms >/dev/null
cf trust add --node rules.example.com --store cms-trust root.pem >/dev/null
cfx crl add critnum.crl
expect_rc "crl add: a critical cRLNumber" 3
assert_contains "crl add: a critical cRLNumber: why" "cRLNumber extension is critical" "$ERR"
openssl verify -crl_check -CAfile root.pem -CRLfile critnum.crl good_leaf.pem >"$T/ossl.out" 2>&1 &&
	fail "openssl verify -crl_check refuses a critical cRLNumber: it accepted it" || ok
cfx crl add nonum.crl
expect_rc "crl add: a CRL without a cRLNumber (RFC 5280 5.2.3)" 3
assert_contains "crl add: no cRLNumber: why" "has no cRLNumber" "$ERR"
assert_eq "crl add: refused CRLs are not stored" 0 "$(cf --json crl list | json 'len(d["items"])')"
cfx crl add good.crl
expect_rc "crl add: the same CA's CRL with a non-critical cRLNumber" 0

finish
