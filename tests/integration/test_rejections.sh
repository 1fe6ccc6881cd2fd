#!/usr/bin/env bash
# Rejections of `cert upload` (SPEC §3.4) and `trust add` (§3.5), trust delete, and the warnings
# of successful uploads. Every rejection must: exit with the §11.1 code, print exactly one line
# `certfleet: <what failed>: <why>` on stderr naming the input, change nothing (cert list and
# pending CSRs byte-identical before and after), and with --json print one JSON object whose
# error.code is the exit code. Inputs are made with the openssl command.
# SHOW_ERRORS=1 prints every rejection's error line (to review the messages).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
CERTFLEET=$(realpath "$CERTFLEET") # the script works inside $T
cd "$T" || exit 1

UCM=ucm1.example.com
EXP=exp1.example.com

# ---- helpers ------------------------------------------------------------------------------------

assert_icontains() {
	if [[ "${3,,}" == *"${2,,}"* ]]; then ok; else fail "$1: [$2] not found in [$3]"; fi
}

# State that a rejection must leave alone: every certificate, and the pending CSRs we use.
CSR_PAIRS="$UCM:tomcat $UCM:tomcat-ECDSA $UCM:CallManager $UCM:CallManager-ECDSA $EXP:server"
snapshot() {
	cf --json cert list >"$1" 2>&1 || echo "cert list failed: $?" >>"$1"
	local np
	for np in $CSR_PAIRS; do
		echo "== $np" >>"$1"
		cf csr show --node "${np%%:*}" --purpose "${np#*:}" --pem >>"$1" 2>/dev/null || echo "(none)" >>"$1"
	done
}

# one_line WHAT FILE: FILE is exactly one newline-terminated line starting "certfleet: ".
one_line() {
	local lines
	lines=$(python3 -c 'import sys; s=open(sys.argv[1],"rb").read(); print(s.count(b"\n") if s.endswith(b"\n") else -1)' "$2")
	assert_eq "$1: stderr is exactly one line" 1 "$lines"
	local first
	first=$(head -c 11 "$2")
	assert_eq "$1: stderr starts with 'certfleet: '" "certfleet: " "$first"
}

# json_error WHAT CODE FILE: FILE is exactly one JSON object with error.code == CODE and a message.
json_error() {
	local got
	got=$(python3 - "$2" "$3" <<-'EOF'
	import json, sys
	want, path = int(sys.argv[1]), sys.argv[2]
	try:
	    d = json.loads(open(path).read())
	except Exception as ex:
	    print("not one JSON object: %s" % ex); sys.exit()
	if not isinstance(d, dict) or not isinstance(d.get("error"), dict):
	    print("no error object: %r" % d); sys.exit()
	e = d["error"]
	if e.get("code") != want:
	    print("error.code %r, expected %d" % (e.get("code"), want)); sys.exit()
	if not isinstance(e.get("message"), str) or not e["message"]:
	    print("error.message missing"); sys.exit()
	print("ok")
	EOF
	)
	assert_eq "$1: --json stdout is one error object with code $2" ok "$got"
}

# reject WHAT CODE NAME WHY certfleet-args...
#   NAME: text the error line must contain (the input file, node, purpose or store);
#   WHY: what is wrong (case-insensitive). The command is run twice, plain and with --json.
reject() {
	local what=$1 code=$2 name=$3 why=$4 rc
	shift 4
	[ -z "${SHOW_ERRORS:-}" ] || echo "--- $what" >&2
	snapshot "$T/snap.before"
	rc=0
	cf "$@" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq "$what: exit code (stderr: $(head -c 300 "$T/err"))" "$code" "$rc"
	[ -z "${SHOW_ERRORS:-}" ] || cat "$T/err" >&2
	one_line "$what" "$T/err"
	assert_contains "$what: stderr names $name" "$name" "$(cat "$T/err")"
	assert_icontains "$what: stderr says why" "$why" "$(cat "$T/err")"
	snapshot "$T/snap.after"
	if cmp -s "$T/snap.before" "$T/snap.after"; then ok; else
		fail "$what: the store changed: $(diff "$T/snap.before" "$T/snap.after" | head -c 600)"
	fi
	rc=0
	cf --json "$@" >"$T/jout" 2>"$T/jerr" || rc=$?
	assert_eq "$what (--json): exit code" "$code" "$rc"
	one_line "$what (--json)" "$T/jerr"
	json_error "$what" "$code" "$T/jout"
	assert_eq "$what (--json): error.message is the stderr line" "$(cat "$T/jerr")" \
		"certfleet: $(json 'd["error"]["message"]' <"$T/jout" 2>&1)"
	assert_icontains "$what (--json): message says why" "$why" "$(cat "$T/jout")"
	snapshot "$T/snap.after"
	if cmp -s "$T/snap.before" "$T/snap.after"; then ok; else
		fail "$what (--json): the store changed: $(diff "$T/snap.before" "$T/snap.after" | head -c 600)"
	fi
}

# mkca NAME CN [signer]: a CA certificate NAME.pem with key NAME.key (self-signed, or issued by signer).
mkca() {
	if [ -z "${3:-}" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" -days 3650 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	else
		openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null |
			openssl x509 -req -CA "$3.pem" -CAkey "$3.key" -copy_extensions copy -days 3650 -out "$1.pem" 2>/dev/null
	fi
}

# csr_of NODE PURPOSE OUT: the pending CSR as PEM.
csr_of() { cf csr show --node "$1" --purpose "$2" --pem >"$3"; }

# sign CSR CA OUT [openssl x509 options...]: the CA signs the request, copying its extensions.
sign() {
	local in=$1 ca=$2 out=$3
	shift 3
	openssl x509 -req -in "$in" -CA "$ca.pem" -CAkey "$ca.key" -copy_extensions copy -days 365 -out "$out" "$@" 2>/dev/null
}

# ee KEY SUBJ CA OUT [-addext ...]: an end-entity certificate for KEY issued by CA (CA:FALSE, tomcat usages).
ee() {
	local key=$1 subj=$2 ca=$3 out=$4
	shift 4
	openssl req -new -key "$key" -subj "$subj" -addext basicConstraints=critical,CA:FALSE \
		-addext keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment \
		-addext extendedKeyUsage=serverAuth,clientAuth "$@" 2>/dev/null |
		openssl x509 -req -CA "$ca.pem" -CAkey "$ca.key" -copy_extensions copy -days 365 -out "$out" 2>/dev/null
}

# ca_sign_dates CSR CA OUT START END: issue with explicit validity (openssl ca; x509 -req cannot go back).
ca_sign_dates() {
	mkdir -p "$T/cadb"
	: >"$T/cadb/index.txt"
	[ -f "$T/cadb/serial" ] || echo 1000 >"$T/cadb/serial"
	cat >"$T/cadb/ca.cnf" <<-EOF
	[ ca ]
	default_ca = c
	[ c ]
	database = $T/cadb/index.txt
	new_certs_dir = $T/cadb
	serial = $T/cadb/serial
	default_md = sha256
	policy = p
	copy_extensions = copy
	unique_subject = no
	[ p ]
	commonName = supplied
	EOF
	openssl ca -batch -config "$T/cadb/ca.cnf" -cert "$2.pem" -keyfile "$2.key" -in "$1" -out "$3" \
		-startdate "$4" -enddate "$5" -notext 2>/dev/null
}

count_certs() { cf --json cert list "$@" | json 'len(d["items"])'; }

# ---- deployment -----------------------------------------------------------------------------------

new_store
cf node add $UCM --cluster cl1 --product ucm --no-defaults >/dev/null
cf cluster add clx >/dev/null
cf node add $EXP --cluster clx --product expressway-c --no-defaults >/dev/null

mkca ca "Test Root CA"
mkca other "Other CA"          # never trusted
cf trust add --node $UCM --store tomcat-trust ca.pem >/dev/null 2>&1
cf trust add --node $UCM --store CallManager-trust ca.pem >/dev/null 2>&1
cf trust add --node $EXP --store trusted-ca ca.pem >/dev/null 2>&1
assert_eq "setup: three trust certificates" 3 "$(count_certs)"

# A pending tomcat CSR, a correctly signed certificate for it (kept for later), and its PEM halves.
cf csr generate --node $UCM --purpose tomcat >/dev/null
csr_of $UCM tomcat tomcat.csr
sign tomcat.csr ca good.pem
openssl verify -CAfile ca.pem good.pem >/dev/null 2>&1 || fail "setup: openssl cannot verify good.pem"

# Keys and certificates for uploads with --key (purposes without a pending CSR).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
ee rsa.key "/CN=$UCM" ca cm.pem -addext "subjectAltName=DNS:$UCM"
ee ec.key "/CN=$UCM" ca cm-ec.pem -addext "subjectAltName=DNS:$UCM"

# ---- cert upload: file problems (check 1) ---------------------------------------------------------

: >empty.pem
reject "upload empty file" 3 empty.pem "empty" cert upload --node $UCM --purpose tomcat empty.pem

head -c $(($(wc -c <good.pem) / 2)) good.pem >half.pem
reject "upload PEM cut in half" 3 half.pem "truncated" cert upload --node $UCM --purpose tomcat half.pem
# the END line kept, half the base64 gone
{ head -n 1 good.pem; sed -n '2,8p' good.pem; tail -n 1 good.pem; } >gutted.pem
reject "upload PEM with its middle cut out" 3 gutted.pem "truncated" cert upload --node $UCM --purpose tomcat gutted.pem
# DER cut in half
openssl x509 -in good.pem -outform DER -out good.der
head -c $(($(wc -c <good.der) / 2)) good.der >half.der
reject "upload DER cut in half" 3 half.der "certificate" cert upload --node $UCM --purpose tomcat half.der

head -c 3000 /dev/urandom | tr -d '-' >garbage.bin
reject "upload garbage bytes" 3 garbage.bin "not a certificate" cert upload --node $UCM --purpose tomcat garbage.bin
printf 'hello, this is not a certificate\n' >garbage.txt
reject "upload garbage text" 3 garbage.txt "not a certificate" cert upload --node $UCM --purpose tomcat garbage.txt

reject "upload a CSR as the certificate" 3 tomcat.csr "certificate request" \
	cert upload --node $UCM --purpose tomcat tomcat.csr
openssl req -in tomcat.csr -outform DER -out tomcat.csr.der
reject "upload a DER CSR as the certificate" 3 tomcat.csr.der "certificate request" \
	cert upload --node $UCM --purpose tomcat tomcat.csr.der
reject "upload a private key as the certificate" 3 rsa.key "private key" \
	cert upload --node $UCM --purpose tomcat rsa.key
# a private key after the certificate: the file is still not a certificate chain
cat good.pem rsa.key >cert-and-key.pem
reject "upload certificate followed by a private key" 3 cert-and-key.pem "private key" \
	cert upload --node $UCM --purpose tomcat cert-and-key.pem

# over 16 MiB: a valid certificate padded with text after it
{ cat good.pem; head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' 'x'; echo; } >huge.pem
reject "upload file over 16 MiB" 3 huge.pem "16 MiB" cert upload --node $UCM --purpose tomcat huge.pem
rc=0
cf cert upload --node $UCM --purpose tomcat - <huge.pem >out 2>err || rc=$?
assert_eq "upload over 16 MiB from stdin: exit" 3 "$rc"
assert_contains "upload over 16 MiB from stdin: says why" "16 MiB" "$(cat err)"
rm -f huge.pem
reject "upload a missing file" 3 missing.pem "missing.pem" cert upload --node $UCM --purpose tomcat missing.pem
mkdir adir
reject "upload a directory" 3 adir "directory" cert upload --node $UCM --purpose tomcat adir

# ---- cert upload: keys (check 2) ------------------------------------------------------------------

openssl pkcs8 -topk8 -in rsa.key -v2 aes-256-cbc -passout pass:secret -out rsa-enc.key 2>/dev/null
reject "upload with an encrypted PKCS#8 key" 3 rsa-enc.key "encrypted" \
	cert upload --node $UCM --purpose CallManager cm.pem --key rsa-enc.key
openssl rsa -in rsa.key -aes256 -passout pass:secret -traditional -out rsa-enc-trad.key 2>/dev/null
reject "upload with an encrypted traditional key" 3 rsa-enc-trad.key "encrypted" \
	cert upload --node $UCM --purpose CallManager cm.pem --key rsa-enc-trad.key
reject "upload with a key that does not match" 3 cm.pem "match" \
	cert upload --node $UCM --purpose CallManager cm.pem --key rsa2.key
reject "upload with a certificate given as the key" 3 good.pem "key" \
	cert upload --node $UCM --purpose CallManager cm.pem --key good.pem
reject "upload with a missing key file" 3 missing.key "missing.key" \
	cert upload --node $UCM --purpose CallManager cm.pem --key missing.key
reject "upload with --key while a CSR is pending" 5 "pending" "CSR" \
	cert upload --node $UCM --purpose tomcat good.pem --key rsa.key
reject "upload without a pending CSR or a key" 5 "CallManager" "no pending CSR" \
	cert upload --node $UCM --purpose CallManager cm.pem

# a certificate issued for another key than the pending CSR's (an older CSR)
openssl req -new -key rsa.key -subj "/CN=$UCM" -addext "subjectAltName=DNS:$UCM" -out stale.csr 2>/dev/null
sign stale.csr ca stale.pem
reject "upload for a different key than the pending CSR" 3 stale.pem "does not match the pending CSR" \
	cert upload --node $UCM --purpose tomcat stale.pem

# ---- cert upload: chain, key type, names (checks 3-5) --------------------------------------------

sign tomcat.csr other untrusted.pem
reject "upload not chaining to tomcat-trust" 3 untrusted.pem "chain" \
	cert upload --node $UCM --purpose tomcat untrusted.pem
# with its own (untrusted) CA appended as the chain it still does not reach the store
cat untrusted.pem other.pem >untrusted-chain.pem
reject "upload with an untrusted chain attached" 3 untrusted-chain.pem "chain" \
	cert upload --node $UCM --purpose tomcat untrusted-chain.pem

# issued by an intermediate of the trusted root: the intermediate must come with it
mkca inter "Test Intermediate CA" ca
ee rsa.key "/CN=$UCM" inter cm-inter.pem -addext "subjectAltName=DNS:$UCM"
reject "upload without the intermediate" 3 cm-inter.pem "chain" \
	cert upload --node $UCM --purpose CallManager cm-inter.pem --key rsa.key
# the checks run in the order of SPEC 3.4: key (2) before chain (3) before key type (4)
ee ec.key "/CN=$UCM" other cm-ec-untrusted.pem -addext "subjectAltName=DNS:$UCM"
reject "upload failing checks 3 and 4 reports the chain" 3 cm-ec-untrusted.pem "chain" \
	cert upload --node $UCM --purpose CallManager cm-ec-untrusted.pem --key ec.key
reject "upload failing checks 2 and 3 reports the key" 3 cm-ec-untrusted.pem "match" \
	cert upload --node $UCM --purpose CallManager cm-ec-untrusted.pem --key rsa.key

reject "upload EC certificate for an RSA purpose" 3 cm-ec.pem "RSA" \
	cert upload --node $UCM --purpose CallManager cm-ec.pem --key ec.key
reject "upload RSA certificate for an -ECDSA purpose" 3 cm.pem "EC" \
	cert upload --node $UCM --purpose CallManager-ECDSA cm.pem --key rsa.key

ee rsa.key "/CN=exp1" ca exp-badcn.pem -addext "subjectAltName=DNS:$EXP"
reject "upload Expressway CN not an FQDN" 3 exp-badcn.pem "Common name must be a valid FQDN" \
	cert upload --node $EXP --purpose server exp-badcn.pem --key rsa.key
ee rsa.key "/CN=exp_1.example.com" ca exp-badcn2.pem -addext "subjectAltName=DNS:$EXP"
reject "upload Expressway CN with an underscore" 3 exp-badcn2.pem "Common name must be a valid FQDN" \
	cert upload --node $EXP --purpose server exp-badcn2.pem --key rsa.key
ee rsa.key "/CN=$EXP" ca exp-badsan.pem -addext "subjectAltName=DNS:$EXP,DNS:-bad.example.com"
reject "upload Expressway DNS SAN not an FQDN" 3 exp-badsan.pem "Subject alternative name must be a valid FQDN" \
	cert upload --node $EXP --purpose server exp-badsan.pem --key rsa.key
ee rsa.key "/CN=$EXP" ca exp-badsan2.pem -addext "subjectAltName=DNS:$EXP,DNS:localhost"
reject "upload Expressway single-label DNS SAN" 3 exp-badsan2.pem "Subject alternative name must be a valid FQDN" \
	cert upload --node $EXP --purpose server exp-badsan2.pem --key rsa.key

ee rsa.key "/CN=$EXP" ca exp-wild.pem -addext "subjectAltName=DNS:$EXP,DNS:*.example.com"
reject "upload Expressway wildcard DNS SAN" 3 exp-wild.pem "Subject alternative name must be a valid FQDN" \
	cert upload --node $EXP --purpose server exp-wild.pem --key rsa.key

ee rsa.key "/CN=$UCM" ca itl.pem
reject "upload for ITLRecovery (self-signed only)" 3 ITLRecovery "self-signed" \
	cert upload --node $UCM --purpose ITLRecovery itl.pem --key rsa.key
reject "upload to an unknown node" 4 nosuch.example.com "nosuch.example.com" \
	cert upload --node nosuch.example.com --purpose tomcat good.pem
reject "upload for a purpose the product lacks" 3 cup "cup" \
	cert upload --node $UCM --purpose cup good.pem
reject "upload for an Expressway purpose on ucm" 3 server "server" \
	cert upload --node $UCM --purpose server cm.pem --key rsa.key

# the pending CSR survived every rejection: the good certificate is accepted now
rc=0
cf --json cert upload --node $UCM --purpose tomcat good.pem >up.json 2>up.err || rc=$?
assert_eq "upload of the good certificate after the rejections: exit (stderr: $(cat up.err))" 0 "$rc"
assert_eq "good upload: no warnings" "[]" "$(json 'd["warnings"]' <up.json 2>&1)"
assert_eq "good upload: stored certificate is the uploaded one" \
	"$(openssl x509 -in good.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" \
	"$(cf --json cert list --node $UCM --purpose tomcat | json 'd["items"][0]["sha256"]')"
reject "upload again after the CSR was consumed" 5 "tomcat" "no pending CSR" \
	cert upload --node $UCM --purpose tomcat good.pem

# accepted: a leaf followed by its intermediate; the chain is kept with the identity
cat cm-inter.pem inter.pem >cm-inter-chain.pem
rc=0
cf cert upload --node $UCM --purpose CallManager cm-inter-chain.pem --key rsa.key >out 2>err || rc=$?
assert_eq "upload leaf + intermediate: exit (stderr: $(cat err))" 0 "$rc"
assert_contains "upload leaf + intermediate: chain stored" "$(sed -n 2p inter.pem)" \
	"$(cf cert show --node $UCM --purpose CallManager --pem 2>&1)"
# accepted: an Expressway certificate whose names are FQDNs, with an IP SAN beside them
ee rsa.key "/CN=$EXP" ca exp-ok.pem -addext "subjectAltName=DNS:$EXP,DNS:exp.example.com,IP:192.0.2.10"
rc=0
cf cert upload --node $EXP --purpose server exp-ok.pem --key rsa.key >out 2>err || rc=$?
assert_eq "upload Expressway certificate with FQDNs and an IP SAN: exit (stderr: $(cat err))" 0 "$rc"
# accepted: exactly 16 MiB (a certificate and padding text)
cf csr generate --node $UCM --purpose tomcat-ECDSA >/dev/null
csr_of $UCM tomcat-ECDSA ecdsa.csr
sign ecdsa.csr ca ecdsa.pem
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); n=16*1024*1024; open(sys.argv[2],"wb").write(d+b"x"*(n-len(d)-1)+b"\n")' ecdsa.pem exact.pem
assert_eq "exact.pem is 16 MiB" $((16 * 1024 * 1024)) "$(wc -c <exact.pem)"
rc=0
cf cert upload --node $UCM --purpose tomcat-ECDSA exact.pem >out 2>err || rc=$?
assert_eq "upload of exactly 16 MiB: exit (stderr: $(cat err))" 0 "$rc"
rm -f exact.pem

# ---- trust add ----------------------------------------------------------------------------------

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out peer.key 2>/dev/null
ee peer.key "/CN=peer.example.com" ca ee-nonca.pem
reject "trust add end-entity (CA:FALSE) into tomcat-trust" 3 ee-nonca.pem "CA" \
	trust add --node $UCM --store tomcat-trust ee-nonca.pem

# a peer's self-signed end-entity certificate
openssl req -x509 -key peer.key -subj "/CN=peer2.example.com" -days 365 -out peer-ss.pem \
	-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature,keyEncipherment \
	-addext extendedKeyUsage=serverAuth,clientAuth -addext subjectAltName=DNS:peer2.example.com 2>/dev/null
reject "trust add peer self-signed into trusted-ca" 3 peer-ss.pem "CA" \
	trust add --node $EXP --store trusted-ca peer-ss.pem
before=$(count_certs --node $UCM --store tomcat-trust)
rc=0
cf trust add --node $UCM --store tomcat-trust peer-ss.pem >out 2>err || rc=$?
assert_eq "trust add peer self-signed into tomcat-trust: exit (stderr: $(cat err))" 0 "$rc"
assert_eq "trust add peer self-signed into tomcat-trust: one more" $((before + 1)) "$(count_certs --node $UCM --store tomcat-trust)"

# the same certificate again: exit 0, nothing added, a note that it was ignored
snapshot snap.dup.before
rc=0
cf trust add --node $UCM --store tomcat-trust peer-ss.pem >out 2>err || rc=$?
assert_eq "trust add duplicate: exit (stderr: $(cat err))" 0 "$rc"
assert_icontains "trust add duplicate: note on stderr" "ignored" "$(cat err)"
rc=0
cf --json trust add --node $UCM --store tomcat-trust peer-ss.pem >dup.json 2>err || rc=$?
assert_eq "trust add duplicate --json: exit" 0 "$rc"
assert_icontains "trust add duplicate --json: notes say ignored" "ignored" "$(json 'd["notes"]' <dup.json 2>&1)"
assert_eq "trust add duplicate --json: count 0" 0 "$(json 'd["count"]' <dup.json 2>&1)"
snapshot snap.dup.after
if cmp -s snap.dup.before snap.dup.after; then ok; else fail "trust add duplicate: the store changed"; fi

# two different CAs with the same CN: accepted with a warning
mkca twin "Test Root CA"
before=$(count_certs --node $UCM --store tomcat-trust)
rc=0
cf --json trust add --node $UCM --store tomcat-trust twin.pem >twin.json 2>twin.err || rc=$?
assert_eq "trust add second CA with the same CN: exit (stderr: $(cat twin.err))" 0 "$rc"
assert_eq "trust add same CN: added" $((before + 1)) "$(count_certs --node $UCM --store tomcat-trust)"
assert_eq "trust add same CN: one warning" 1 "$(json 'len(d["warnings"])' <twin.json 2>&1)"
assert_contains "trust add same CN: the warning names the CN" "Test Root CA" "$(json 'd["warnings"]' <twin.json 2>&1)"

# bundles with one bad certificate: nothing from them is added
mkca b1 "Bundle CA 1"
mkca b2 "Bundle CA 2"
cat b1.pem ee-nonca.pem b2.pem >bundle-nonca.pem
reject "trust add bundle with an end-entity in it" 3 bundle-nonca.pem "CA" \
	trust add --node $UCM --store tomcat-trust bundle-nonca.pem
{ cat b1.pem; head -n 1 b2.pem; sed -n '2,6p' b2.pem; tail -n 1 b2.pem; } >bundle-damaged.pem
reject "trust add bundle with a damaged certificate" 3 bundle-damaged.pem "truncated" \
	trust add --node $UCM --store tomcat-trust bundle-damaged.pem
cat b1.pem tomcat.csr b2.pem >bundle-csr.pem
reject "trust add bundle with a CSR in it" 3 bundle-csr.pem "certificate request" \
	trust add --node $UCM --store tomcat-trust bundle-csr.pem
cat b1.pem peer-ss.pem b2.pem >bundle-peer.pem
reject "trust add bundle with a peer self-signed into trusted-ca" 3 bundle-peer.pem "CA" \
	trust add --node $EXP --store trusted-ca bundle-peer.pem
reject "trust add empty file" 3 empty.pem "empty" trust add --node $UCM --store tomcat-trust empty.pem
reject "trust add garbage" 3 garbage.bin "not a certificate" trust add --node $UCM --store tomcat-trust garbage.bin

reject "trust add into a store ucm lacks" 4 trusted-ca "trust store" \
	trust add --node $UCM --store trusted-ca b1.pem
reject "trust add into an unknown store" 4 no-such-trust "trust store" \
	trust add --node $UCM --store no-such-trust b1.pem
reject "trust add on an unknown node" 4 nosuch.example.com "nosuch.example.com" \
	trust add --node nosuch.example.com --store tomcat-trust b1.pem

# trusted-ca holds at most 1000: a separate Expressway cluster with an empty list
EXP2=exp2.example.com
cf cluster add cly >/dev/null
cf node add $EXP2 --cluster cly --product expressway-c --no-defaults >/dev/null
assert_eq "fresh expressway node: empty trusted-ca" 0 "$(count_certs --node $EXP2 --store trusted-ca)"
openssl ecparam -name prime256v1 -genkey -noout -out bulk.key
mkdir bulk
seq 1 1001 | xargs -P 4 -I{} openssl req -x509 -key bulk.key -subj "/CN=Bulk CA {}" -days 3650 -set_serial {} \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign -out bulk/{}.pem 2>/dev/null
for i in $(seq 1 1000); do cat "bulk/$i.pem"; done >bulk-1000.pem
cat bulk-1000.pem bulk/1001.pem >bulk-1001.pem
assert_eq "made 1001 bulk CA certificates" 1001 "$(grep -c 'BEGIN CERTIFICATE' bulk-1001.pem)"
reject "trust add 1001 CAs into trusted-ca" 3 bulk-1001.pem "1000" \
	trust add --node $EXP2 --store trusted-ca bulk-1001.pem
assert_eq "trusted-ca still empty after the refused 1001" 0 "$(count_certs --node $EXP2 --store trusted-ca)"
rc=0
cf trust add --node $EXP2 --store trusted-ca bulk-1000.pem >out 2>err || rc=$?
assert_eq "trust add exactly 1000 CAs: exit (stderr: $(head -c 300 err))" 0 "$rc"
assert_eq "trusted-ca holds 1000" 1000 "$(count_certs --node $EXP2 --store trusted-ca)"
reject "trust add the 1001st CA" 3 bulk/1001.pem "1000" \
	trust add --node $EXP2 --store trusted-ca bulk/1001.pem
cat bulk/1.pem bulk/1001.pem >bulk-dup-plus-one.pem
reject "trust add a known CA plus the 1001st" 3 bulk-dup-plus-one.pem "1000" \
	trust add --node $EXP2 --store trusted-ca bulk-dup-plus-one.pem
rc=0
cf trust add --node $EXP2 --store trusted-ca bulk/7.pem >out 2>err || rc=$?
assert_eq "re-adding a known CA to a full trusted-ca is ignored, not refused (stderr: $(cat err))" 0 "$rc"
assert_eq "trusted-ca still holds 1000" 1000 "$(count_certs --node $EXP2 --store trusted-ca)"

# ---- trust delete -------------------------------------------------------------------------------

ident_id=$(cf --json cert list --node $UCM --purpose tomcat | json 'd["items"][0]["id"]')
reject "trust delete of an identity certificate's id" 4 "$ident_id" "trust" \
	trust delete --node $UCM --store tomcat-trust --id "$ident_id"
assert_eq "identity still there" "$ident_id" "$(cf --json cert list --node $UCM --purpose tomcat | json 'd["items"][0]["id"]')"
cm_trust_id=$(cf --json cert list --node $UCM --store CallManager-trust | json 'd["items"][0]["id"]')
reject "trust delete from the wrong store" 4 "$cm_trust_id" "tomcat-trust" \
	trust delete --node $UCM --store tomcat-trust --id "$cm_trust_id"
reject "trust delete of an unknown id" 4 "999999" "no such" \
	trust delete --node $UCM --store tomcat-trust --id 999999
peer_id=$(cf --json cert list --node $UCM --store tomcat-trust | json '[i["id"] for i in d["items"] if i["cn"]=="peer2.example.com"][0]')
before=$(count_certs)
rc=0
cf trust delete --node $UCM --store tomcat-trust --id "$peer_id" >out 2>err || rc=$?
assert_eq "trust delete of a trust certificate: exit (stderr: $(cat err))" 0 "$rc"
assert_eq "trust delete: one fewer" $((before - 1)) "$(count_certs)"
assert_eq "trust delete: that id is gone" "[]" \
	"$(cf --json cert list | json "[i['id'] for i in d['items'] if i['id']==$peer_id]")"

# ---- warnings on successful uploads -----------------------------------------------------------------

# upload_warns WHAT RULE FILE [--key KEY] [--purpose P]: exit 0, RULE among the warnings, stored.
upload_warns() {
	local what=$1 rule=$2 file=$3 purpose=tomcat rc=0
	shift 3
	local extra=()
	while [ $# -gt 0 ]; do
		case $1 in
		--purpose) purpose=$2; shift 2 ;;
		*) extra+=("$1"); shift ;;
		esac
	done
	cf --json cert upload --node $UCM --purpose $purpose "$file" "${extra[@]}" >w.json 2>w.err || rc=$?
	assert_eq "$what: exit (stderr: $(head -c 300 w.err))" 0 "$rc"
	assert_contains "$what: warning $rule" "\"$rule\"" "$(json '[w["rule"] for w in d.get("warnings",[])]' <w.json 2>&1)"
	assert_contains "$what: warning $rule kept with the stored certificate" "\"$rule\"" \
		"$(cf --json cert list --node $UCM --purpose $purpose | json '[w["rule"] for w in d["items"][0]["warnings"]]' 2>&1)"
	assert_eq "$what: the uploaded certificate is installed" \
		"$(openssl x509 -in "$file" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)" \
		"$(cf --json cert list --node $UCM --purpose $purpose | json 'd["items"][0]["sha256"]' 2>&1)"
}

new_csr() { cf csr generate --node $UCM --purpose tomcat >/dev/null && csr_of $UCM tomcat w.csr; }

new_csr
sign w.csr ca w-sha1.pem -sha1
upload_warns "SHA-1 signed leaf" sha1 w-sha1.pem

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key 2>/dev/null
ee weak.key "/CN=$UCM" ca w-weak.pem -addext "subjectAltName=DNS:$UCM"
upload_warns "1024-bit RSA" weak-key w-weak.pem --purpose CallManager --key weak.key
# without --json the warnings go to stderr as "certfleet: warning: [rule] ..."
rc=0
cf cert upload --node $UCM --purpose CallManager w-weak.pem --key weak.key >out 2>err || rc=$?
assert_eq "1024-bit RSA again, plain output: exit (stderr: $(cat err))" 0 "$rc"
assert_contains "1024-bit RSA: warning line on stderr" "certfleet: warning: [weak-key]" "$(cat err)"

new_csr
ca_sign_dates w.csr ca w-2051.pem 20250101000000Z 20510101000000Z
upload_warns "notAfter 2051" date-2050 w-2051.pem

new_csr
cat >nodataenc.ext <<-EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:$UCM
EOF
openssl x509 -req -in w.csr -CA ca.pem -CAkey ca.key -days 365 -extfile nodataenc.ext -out w-ku.pem 2>/dev/null
upload_warns "CA dropped dataEncipherment" ku-missing w-ku.pem
assert_contains "ku-missing names dataEncipherment" "dataEncipherment" "$(json 'd["warnings"]' <w.json 2>&1)"

new_csr
ca_sign_dates w.csr ca w-expired.pem 20200101000000Z 20210101000000Z
upload_warns "expired certificate" expired w-expired.pem

# notAfter 2049-12-31T23:59:59Z is before 2050: no date-2050; 2050-01-01T00:00:00Z is in 2050
new_csr
ca_sign_dates w.csr ca w-2049.pem 20250101000000Z 20491231235959Z
rc=0
cf --json cert upload --node $UCM --purpose tomcat w-2049.pem >w.json 2>w.err || rc=$?
assert_eq "notAfter 2049-12-31: exit (stderr: $(cat w.err))" 0 "$rc"
assert_eq "notAfter 2049-12-31: no warnings" "[]" "$(json '[w["rule"] for w in d["warnings"]]' <w.json 2>&1)"
new_csr
ca_sign_dates w.csr ca w-2050.pem 20250101000000Z 20500101000000Z
upload_warns "notAfter 2050-01-01T00:00:00Z" date-2050 w-2050.pem

new_csr
cat >noclient.ext <<-EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, dataEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$UCM
EOF
openssl x509 -req -in w.csr -CA ca.pem -CAkey ca.key -days 365 -extfile noclient.ext -out w-eku.pem 2>/dev/null
# clientAuth is asked for by the CSR and needed by tomcat: refused, saying why and where to go
BEFORE_GATE=$(cf --json cert list)
rc=0
cf cert upload --node $UCM --purpose tomcat w-eku.pem >w.out 2>w.err || rc=$?
assert_eq "CA dropped clientAuth: refused" 3 "$rc"
assert_contains "CA dropped clientAuth: the rule" "[eku-missing]" "$(cat w.err)"
assert_contains "CA dropped clientAuth: public CAs" "public CAs dropped clientAuth in 2026" "$(cat w.err)"
assert_contains "CA dropped clientAuth: the local CA" "local CA" "$(cat w.err)"
assert_eq "CA dropped clientAuth: one line" 1 "$(wc -l <w.err)"
assert_eq "CA dropped clientAuth: nothing changed" "$BEFORE_GATE" "$(cf --json cert list)"
upload_warns "CA dropped clientAuth, forced" eku-missing w-eku.pem --force
assert_contains "forced: the warning says so" "uploaded with force" "$(json 'd["warnings"]' <w.json 2>&1)"
cf --json audit --limit 1 >w-audit.json
assert_eq "forced: the audit row says so" "cert upload|tomcat on $UCM (forced)|ok" \
	"$(json '"%s|%s|%s" % (d["items"][0]["action"], d["items"][0]["object"], d["items"][0]["result"])' <w-audit.json)"

# the README's naive signing (openssl x509 -req without copying the request's extensions): no SAN,
# so peers cannot match the node's name: refused; a multi-server certificate that lacks a node of its
# scope likewise, and each needs --force
new_csr
openssl x509 -req -in w.csr -CA ca.pem -CAkey ca.key -days 365 -out w-nosan.pem 2>/dev/null
BEFORE_GATE=$(cf --json cert list)
rc=0
cf cert upload --node $UCM --purpose tomcat w-nosan.pem >w.out 2>w.err || rc=$?
assert_eq "no SAN: refused" 3 "$rc"
assert_contains "no SAN: the rule and the node" "$UCM, the name peers use for this node" "$(cat w.err)"
assert_contains "no SAN: the rule id" "[san-missing-node]" "$(cat w.err)"
assert_eq "no SAN: nothing changed" "$BEFORE_GATE" "$(cf --json cert list)"
upload_warns "no SAN, forced" san-missing-node w-nosan.pem --force

ee rsa.key "/O=Example/OU=Voice" ca w-nocn.pem -addext "subjectAltName=DNS:$UCM"
upload_warns "no CN" no-cn w-nocn.pem --purpose CallManager --key rsa.key
ee rsa.key "/CN=$UCM/unstructuredName=odd" ca w-oid.pem -addext "subjectAltName=DNS:$UCM"
upload_warns "subject attribute with an unsupported OID" unsupported-oid w-oid.pem --purpose CallManager --key rsa.key
# the EV attributes are supported
ee rsa.key "/CN=$UCM/O=Example/1.3.6.1.4.1.311.60.2.1.3=US/2.5.4.15=Private Organization" ca w-ev.pem \
	-addext "subjectAltName=DNS:$UCM"
rc=0
cf --json cert upload --node $UCM --purpose CallManager w-ev.pem --key rsa.key >w.json 2>w.err || rc=$?
assert_eq "EV subject attributes: exit (stderr: $(cat w.err))" 0 "$rc"
assert_eq "EV subject attributes: no warnings" "[]" "$(json '[w["rule"] for w in d["warnings"]]' <w.json 2>&1)"

new_csr
ca_sign_dates w.csr ca w-future.pem 20400101000000Z 20410101000000Z
rc=0
cf --json cert upload --node $UCM --purpose tomcat w-future.pem >w.json 2>w.err || rc=$?
assert_eq "not yet valid: exit (stderr: $(cat w.err))" 0 "$rc"
assert_eq "not yet valid: one warning" 1 "$(json 'len(d["warnings"])' <w.json 2>&1)"

finish
