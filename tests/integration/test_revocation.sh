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
cfx revocation config --interval 5s
expect_rc "bad interval" 3
cfx revocation config --ocsp-uri "ftp://x" --ocsp on
expect_rc "bad URI: nothing set" 3
assert_eq "ocsp still off" False "$(cf --json revocation show | json 'd["ocsp"]')"

# ---- distribution points: content, not names, decides; bad downloads keep the last good CRL ----------
mkdir -p www
revoke a 0D
gencrl a crl3.pem
openssl crl -in crl3.pem -outform DER -out crl3.der
revoke a 0E
gencrl a crl4.pem
revoke a 0B
gencrl a crl5.pem
python3 - <<'EOF2'
import gzip, io, zipfile
der = lambda p: __import__("subprocess").run(["openssl", "crl", "-in", p, "-outform", "DER"], capture_output=True, check=True).stdout
open("www/crl3.pem", "wb").write(open("crl3.der", "rb").read())          # DER named .pem
open("www/crl4.der", "wb").write(gzip.compress(open("crl4.pem", "rb").read()))  # gzip'ed PEM named .der
with zipfile.ZipFile("www/crl5.txt", "w") as z:                             # ZIP named .txt
    z.writestr("readme.der", der("crl5.pem"))
    z.writestr("other.pem", open("wrongkey.pem", "rb").read())
EOF2
PORT=$(free_port)
(cd www && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) &
HTTP=$!
on_exit 'kill $HTTP 2>/dev/null'
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT"
must "dp add" crl dp add "$URL/crl3.pem"
cfx crl dp add "$URL/crl3.pem"
expect_rc "the same dp twice" 5
cfx crl dp add "ftp://127.0.0.1/x.crl"
expect_rc "not http(s)" 3
must "update: DER named .pem" --json crl update
assert_eq "kept" True "$(json 'd["items"][0]["ok"]' <"$LAST")"
assert_eq "CRL 3 in use: 0D revoked" rc7 "$(validate 0D)"
assert_eq "source is the URL" "$URL/crl3.pem" "$(list_json | json '[c["source"] for c in d["items"] if c["number"] == "1002"][0]')"
must "dp add gzip" crl dp add "$URL/crl4.der"
must "update: gzip'ed PEM named .der" crl update
assert_eq "CRL 4 in use: 0E revoked" rc7 "$(validate 0E)"
must "dp remove" crl dp remove "$URL/crl3.pem"
must "dp remove" crl dp remove "$URL/crl4.der"
must "dp add zip" crl dp add "$URL/crl5.txt"
cfx crl update
expect_rc "a ZIP holding one good CRL and one signed by another key" 6
assert_contains "says which failed" "signature does not verify" "$ERR"
cp crl4.pem www/crl4.der # now plain PEM: the same CRL again
must "dp add" crl dp add "$URL/crl4.der"
cfx --json crl update
assert_contains "no newer than the one kept" "no newer" "$(cat "$LAST")"
printf 'garbage' >www/crl4.der
cfx crl update
expect_rc "a corrupted download" 6
assert_eq "the last good CRL stays: 0E still revoked" rc7 "$(validate 0E)"
assert_contains "doctor: the failed download" "crl-update-failed" "$(cf --json doctor || true)"
cfx --json crl dp list
assert_eq "dp list" 2 "$(json 'len(d["items"])' <"$LAST")"
must "crl config" --json crl config --daily-at 03:30 --use-cdp on
assert_eq "config" "03:30 True" "$(json 'd["daily_at"] + " " + str(d["use_cdp"])' <"$LAST")"
cfx crl config --daily-at 25:00
expect_rc "bad time" 3
# --use-cdp: the CRL distribution points named in stored certificates are fetched too
mkdir -p d/db
: >d/db/index.txt
echo 2000 >d/db/crlnumber
openssl req -x509 -newkey rsa:2048 -nodes -keyout d/ca.key -out d/ca.pem -days 3650 -subj "/CN=CDP Test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	-addext "crlDistributionPoints=URI:$URL/cdp-d.crl" 2>/dev/null
sed 's#/a/#/d/#g; s#'"$T"'/a#'"$T"'/d#g' a/ca.cnf >d/ca.cnf
gencrl d www/cdp-d.crl
must "the CA naming a CDP" trust add --node "$NODE" --store tomcat-trust d/ca.pem
for u in $(cf --json crl dp list | json '" ".join(d["items"])'); do cf crl dp remove "$u" >/dev/null; done
cfx --json crl update
assert_eq "use-cdp on: the certificate's CDP fetched, its CRL kept" "$URL/cdp-d.crl True" \
	"$(json '" ".join(str(x) for i in d["items"] for x in (i["url"], i["ok"]))' <"$LAST")"
assert_eq "kept with the CDP as its source" 1 "$(list_json | json "sum(1 for c in d['items'] if c['source'] == '$URL/cdp-d.crl')")"
must "use-cdp off" crl config --use-cdp off
cfx --json crl update
assert_eq "use-cdp off: nothing to fetch" 0 "$(json 'len(d["items"])' <"$LAST")"
kill $HTTP 2>/dev/null || true

# ---- the doctor: a revoked identity, and the CRL of its CA expired ----------------------------------------
cf csr generate --node "$NODE" --purpose tomcat >/dev/null
cf csr show --node "$NODE" --purpose tomcat --pem >tomcat.csr
openssl x509 -req -in tomcat.csr -CA a/ca.pem -CAkey a/ca.key -set_serial 0x77 -days 300 -copy_extensions copy \
	-out tomcat.pem 2>/dev/null
must "upload the CA-signed tomcat" cert upload --node "$NODE" --purpose tomcat tomcat.pem
doctor_rules() { cf --json doctor --node "$NODE" | json '" ".join(sorted(set(f["rule"] for f in d["findings"] if f["rule"] in ("revoked", "crl-expired"))))' || true; }
assert_eq "not revoked yet" "" "$(doctor_rules)"
revoke a 77
gencrl a crl6.pem
must "the CRL revoking it" crl add crl6.pem
assert_eq "doctor: revoked" revoked "$(doctor_rules)"
assert_contains "doctor names the CRL" "CRL of" "$(cf --json doctor --node "$NODE" | json '[f["message"] for f in d["findings"] if f["rule"] == "revoked"][0]')"
assert_eq "doctor: crl-expired once the CRL is past its nextUpdate" crl-expired "$(CERTFLEET_NOW=$LATER doctor_rules)"
CERTFLEET_NOW=$LATER cf --json doctor --node "$NODE" >later.json || true
assert_eq "doctor: crl-expired on the trusted CA itself too, as an error" "error" \
	"$(json '" ".join(f["severity"] for f in d["findings"] if f["rule"] == "crl-expired" and f["purpose"].endswith("-trust") and "\"CN=Revocation Test CA\"" in f["message"])' <later.json)"
assert_eq "doctor: crl-expired's page action is a CRL update" '{"kind": "crl-update"}' \
	"$(json '" ".join(sorted({json.dumps(f["action"], sort_keys=True) for f in d["findings"] if f["rule"] == "crl-expired"}))' <later.json)"
assert_eq "doctor: no crl-expired on the trusted CA while its CRL is current" "" \
	"$(cf --json doctor --node "$NODE" | json '" ".join(f["purpose"] for f in d["findings"] if f["rule"] == "crl-expired")')"
# uploads are checked against the stored CRLs too
cf csr generate --node "$NODE" --purpose tomcat >/dev/null
cf csr show --node "$NODE" --purpose tomcat --pem >tomcat2.csr
openssl x509 -req -in tomcat2.csr -CA a/ca.pem -CAkey a/ca.key -set_serial 0x0C -days 300 -copy_extensions copy \
	-out tomcat-revoked.pem 2>/dev/null
BEFORE_UP=$(cf --json cert list --node "$NODE" --purpose tomcat)
cfx cert upload --node "$NODE" --purpose tomcat tomcat-revoked.pem
expect_rc "an upload of a revoked certificate" 3
assert_contains "refused with the rule" "[revoked]" "$ERR"
assert_eq "identity unchanged" "$BEFORE_UP" "$(cf --json cert list --node "$NODE" --purpose tomcat)"

# ---- remove ---------------------------------------------------------------------------------------------
for ID in $(list_json | json '" ".join(str(c["id"]) for c in d["items"])'); do
	must "remove $ID" crl remove "$ID"
done
assert_eq "gone" 0 "$(list_json | json 'len(d["items"])')"
cfx crl remove "$ID"
expect_rc "remove again" 4
assert_eq "0A no longer known revoked" good "$(validate 0A)"
assert_contains "changes audited" "crl add" "$(cf audit --limit 100)"
finish
