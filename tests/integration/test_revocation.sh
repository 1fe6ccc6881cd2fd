#!/usr/bin/env bash
# Revocation in the store (issue 6, SPEC §6.2): `crl add|list|remove` keep a CRL only when its
# issuer is in a trust store and its signature verifies (wrong key, corruption, unknown issuer:
# refused, store unchanged); a manual upload replaces the previous one; an expired CRL is kept
# with a warning and makes every certificate of its CA invalid (crl-expired); the newest CRL of an
# issuer decides; `validate --revocation` agrees with `openssl verify -crl_check`; without a CRL
# for the issuer the strict and fallback settings decide. openssl is the CA and the oracle.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1

NODE=ucm1.example.com
new_store
cf node add "$NODE" --cluster cl1 --product ucm --publisher --no-defaults >/dev/null

# ---- a CA with an openssl database, leaves, CRLs ------------------------------------------------
mkca() { # mkca DIR CN
	mkdir -p "$1/db"
	: >"$1/db/index.txt"
	echo 1000 >"$1/db/crlnumber"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" -days 3650 -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	cat >"$1/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $1/db/index.txt
crlnumber = $1/db/crlnumber
certificate = $1/ca.pem
private_key = $1/ca.key
default_md = sha256
default_crl_days = 7
EOF
}
mkca "$T/a" "Revocation Test CA"
mkca "$T/b" "Revocation Test CA" # the same name, another key
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -subj "/CN=leaf.example.com" -out leaf.csr 2>/dev/null
LEAVES=""
for serial in 0A 0B 0C 0D 0E 01F4 C0FFEE11223344556677; do
	openssl x509 -req -in leaf.csr -CA a/ca.pem -CAkey a/ca.key -set_serial "0x$serial" -days 30 \
		-out "leaf-$serial.pem" 2>/dev/null
	LEAVES="$LEAVES $serial"
done
revoke() { # revoke DIR SERIAL...: R lines straight into the index
	local dir=$1
	shift
	for s in "$@"; do
		printf 'R\t301231000000Z\t261101000000Z\t%s\tunknown\t/CN=leaf.example.com\n' "$s" >>"$dir/db/index.txt"
	done
}
gencrl() { openssl ca -gencrl -config "$1/ca.cnf" -out "$2" "${@:3}" 2>/dev/null; }
revoke a 0A 0C
gencrl a crl1.pem
revoke a 01F4 C0FFEE11223344556677
gencrl a crl2.pem
openssl crl -in crl2.pem -outform DER -out crl2.der
revoke b 0B
gencrl b wrongkey.pem

list_json() { cf --json crl list; }
# ---- refusals change nothing ----------------------------------------------------------------------
cfx crl add crl1.pem
expect_rc "issuer in no trust store" 3
assert_contains "says so" "is in no trust store" "$ERR"
must "the CA into tomcat-trust" trust add --node "$NODE" --store tomcat-trust a/ca.pem
BEFORE=$(list_json)
cfx crl add wrongkey.pem
expect_rc "signed by another key of the same name" 3
assert_contains "says why" "signature does not verify" "$ERR"
python3 - crl1.pem corrupt.der <<'EOF'
import subprocess, sys
der = subprocess.run(["openssl", "crl", "-in", sys.argv[1], "-outform", "DER"], capture_output=True, check=True).stdout
b = bytearray(der); b[len(b) // 2] ^= 0x01  # one bit inside the signed list
open(sys.argv[2], "wb").write(b)
EOF
cfx crl add corrupt.der
expect_rc "a flipped bit" 3
head -c 200 crl2.der >truncated.der
cfx crl add truncated.der
expect_rc "truncated" 3
assert_eq "one line naming the file" 1 "$(grep -c 'truncated.der' <<<"$ERR")"
echo "not a crl" >junk.crl
cfx crl add junk.crl
expect_rc "junk" 3
assert_eq "store unchanged by the refusals" "$BEFORE" "$(list_json)"

# ---- add, replace, newest wins ----------------------------------------------------------------------
must "add CRL 1" --json crl add crl1.pem
assert_eq "entries of CRL 1" "2 1000 False" "$(json '" ".join(str(x) for x in (d["entries"], d["number"], d["expired"]))' <"$LAST")"
validate() { cf validate "leaf-$1.pem" --node "$NODE" --store tomcat-trust --revocation >/dev/null 2>&1 && echo good || echo "rc$?"; }
assert_eq "0A revoked by CRL 1" rc7 "$(validate 0A)"
assert_eq "01F4 not yet" good "$(validate 01F4)"
must "add CRL 2 (DER)" crl add crl2.der
assert_eq "a manual upload replaces the previous one" 1 "$(list_json | json 'len(d["items"])')"
assert_eq "CRL 2 is the one" "4 1001" "$(list_json | json '" ".join(str(x) for x in (d["items"][0]["entries"], d["items"][0]["number"]))')"
# every leaf against openssl verify -crl_check with the same CRL
for s in $LEAVES; do
	if openssl verify -crl_check -CAfile a/ca.pem -CRLfile crl2.pem "leaf-$s.pem" >/dev/null 2>&1; then want=good; else want=rc7; fi
	assert_eq "serial $s as openssl verify -crl_check" "$want" "$(validate "$s")"
done
assert_eq "the oracle saw revocations" 4 "$(for s in $LEAVES; do openssl verify -crl_check -CAfile a/ca.pem -CRLfile crl2.pem "leaf-$s.pem" 2>&1; done | grep -c 'certificate revoked')"
cfx --json validate leaf-0C.pem --node "$NODE" --store tomcat-trust --revocation
assert_eq "the failed check names the rule" revoked "$(json '[c["rule"] for c in d["checks"] if c["check"] == "revocation"][0]' <"$LAST")"

# ---- an expired CRL: kept with a warning, its CA's certificates invalid --------------------------------
LATER=$(($(date +%s) + 10 * 86400))
cfx crl add crl2.pem
expect_rc "re-add" 0
CERTFLEET_NOW=$LATER cfx crl add crl2.pem
expect_rc "an expired CRL is accepted" 0
assert_contains "with a warning" "has already expired" "$ERR"
CERTFLEET_NOW=$LATER cfx --json validate leaf-0D.pem --node "$NODE" --store tomcat-trust --revocation
expect_rc "a good serial under an expired CRL" 7
assert_eq "rule crl-expired" crl-expired "$(json '[c["rule"] for c in d["checks"] if c["check"] == "revocation"][0]' <"$LAST")"

# ---- no CRL for the issuer: strict and fallback ----------------------------------------------------------
mkca "$T/c" "Other CA"
must "another CA, no CRL" trust add --node "$NODE" --store tomcat-trust c/ca.pem
openssl x509 -req -in leaf.csr -CA c/ca.pem -CAkey c/ca.key -set_serial 0x05 -days 30 -out other.pem 2>/dev/null
other() { cf validate other.pem --node "$NODE" --store tomcat-trust --revocation >/dev/null 2>&1 && echo good || echo "rc$?"; }
assert_eq "no CRL, default fallback: not revoked" good "$(other)"
must "fallback revoked" revocation config --fallback revoked
assert_eq "no CRL, fallback revoked" rc7 "$(other)"
must "back" revocation config --fallback not-revoked --strict on
assert_eq "no CRL, strict" rc7 "$(other)"
must "strict off" revocation config --strict off
cfx revocation config --interval 5m
expect_rc "bad interval" 3
cfx revocation config --ocsp-uri "ftp://x" --ocsp on
expect_rc "bad URI: nothing set" 3
assert_eq "ocsp still off" False "$(cf --json revocation show | json 'd["ocsp"]')"

# ---- remove ---------------------------------------------------------------------------------------------
ID=$(list_json | json 'd["items"][0]["id"]')
must "remove" crl remove "$ID"
assert_eq "gone" 0 "$(list_json | json 'len(d["items"])')"
cfx crl remove "$ID"
expect_rc "remove again" 4
assert_eq "0A no longer known revoked" good "$(validate 0A)"
assert_contains "changes audited" "crl add" "$(cf audit --limit 100)"
finish
