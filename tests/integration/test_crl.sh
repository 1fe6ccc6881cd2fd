#!/usr/bin/env bash
# engines: sqlite — it uses no store (the CRL module through crlcheck)
# The CRL module (src/crypto/crl.h, through tests/tools/crlcheck) against openssl as the oracle:
# an RSA CA and an EC CA each issue 2,000 certificates with `openssl ca -infiles` (serials of 1 to
# 20 octets, across the 0x7f/0x80 boundaries), a random half of them is revoked in index.txt (some
# with reason codes) and `openssl ca -gencrl` publishes the CRL. For every certificate,
# `openssl verify -crl_check` (one process for all of them) must agree with `crlcheck lookup` on
# its serial and `crlcheck certs` on the certificate, and both with what was revoked; revocation
# times are those of index.txt. Also: PEM and DER give the same answers; the CRL's facts equal
# `openssl crl`'s; a flipped byte in the signature or in the signed part, a CRL signed by another
# key and a CRL checked against another CA fail verification (exit 3); a truncated CRL fails to
# parse with one line naming the file; an empty CRL, a hand-made v1 CRL without nextUpdate (with a
# GeneralizedTime) and an RSA-PSS-signed CRL are read as openssl reads them; as openssl does, an
# ECDSA signature under an RSA algorithm identifier and a CRL signed by a CA whose keyUsage lacks
# cRLSign are refused, and so is a CRL with an unknown critical entry extension; a revocation time
# in 2200 reads as 2200.
. "$(dirname "$0")/lib.sh"
: "${CRLCHECK:?set CRLCHECK to the crlcheck tool (ctest does)}"

N=2000 # certificates per CA
SEED=${CRL_TEST_SEED:-$RANDOM}
echo "test_crl.sh: random seed $SEED (CRL_TEST_SEED=$SEED reproduces it)"

ck() { "$CRLCHECK" "$@"; }

# mkca DIR ALG SUBJECT [KEYUSAGE]: a CA for `openssl ca` in DIR (ca.pem, ca.key, ca.cnf).
mkca() {
	local dir=$1 alg=$2 subj=$3 ku=${4:-critical,keyCertSign,cRLSign}
	mkdir -p "$dir/certs"
	if [ "$alg" == rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/ca.key" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
	fi
	openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.pem" -subj "$subj" -days 3650 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=$ku" 2>/dev/null
	: >"$dir/index.txt"
	echo "unique_subject = no" >"$dir/index.txt.attr"
	echo 1000 >"$dir/crlnumber"
	cat >"$dir/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/certs
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_days = 365
policy = pol
unique_subject = no
[ pol ]
commonName = supplied
EOF
}

# issue DIR FIRST_SERIAL COUNT: COUNT certificates from one CSR, serials counting up from FIRST_SERIAL.
issue() {
	local dir=$1 first=$2 count=$3 files=()
	echo "$first" >"$dir/serial"
	for ((i = 0; i < count; i++)); do files+=("$T/leaf.csr"); done
	openssl ca -batch -notext -config "$dir/ca.cnf" -out /dev/null -infiles "${files[@]}" 2>"$T/ca.err" ||
		{ fail "openssl ca -infiles: $(tail -n 3 "$T/ca.err")"; return 1; }
}

# revoke_half DIR: turns a random half of index.txt's V lines into R lines (a past revocation
# time, a reason on most), writes DIR/truth ("SERIAL revoked YYYY-MM-DDTHH:MM:SSZ" or "SERIAL good").
revoke_half() {
	python3 - "$1" "$SEED" <<'EOF'
import random, sys, time
d, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed * 7919 + len(d))
reasons = ["", "", "unspecified", "keyCompromise", "CACompromise", "affiliationChanged", "superseded",
           "cessationOfOperation"]
now = int(time.time())
out, truth = [], []
for line in open(d + "/index.txt"):
    f = line.rstrip("\n").split("\t")
    if f[0] == "V" and rnd.random() < 0.5:
        t = time.gmtime(now - rnd.randint(60, 300 * 86400))
        f[0] = "R"
        r = rnd.choice(reasons)
        f[2] = time.strftime("%y%m%d%H%M%SZ", t) + ("," + r if r else "")
        truth.append("%s revoked %s" % (f[3], time.strftime("%Y-%m-%dT%H:%M:%SZ", t)))
    else:
        truth.append("%s good" % f[3])
    out.append("\t".join(f))
open(d + "/index.txt", "w").write("\n".join(out) + "\n")
open(d + "/truth", "w").write("\n".join(truth) + "\n")
EOF
}

# gencrl DIR OUT.pem [openssl ca options...]: the CRL as PEM, and as DER beside it (OUT.der).
gencrl() {
	local dir=$1 out=$2
	shift 2
	openssl ca -gencrl -config "$dir/ca.cnf" -crldays 30 -out "$out" "$@" 2>"$T/ca.err" ||
		{ fail "openssl ca -gencrl: $(tail -n 3 "$T/ca.err")"; return 1; }
	openssl crl -in "$out" -outform DER -out "${out%.pem}.der"
}

# openssl's facts of a CRL in crlcheck's words (issuer, this/next update, number, entries).
openssl_info() {
	local f=$1 last next num
	last=$(openssl crl -in "$f" -noout -lastupdate | sed 's/^lastUpdate=//')
	next=$(openssl crl -in "$f" -noout -nextupdate | sed 's/^nextUpdate=//')
	num=$(openssl crl -in "$f" -noout -crlnumber | sed 's/^crlNumber=//; s/^0x//')
	echo "issuer: $(openssl crl -in "$f" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')"
	echo "this_update: $(date -u -d "$last" +%Y-%m-%dT%H:%M:%SZ)"
	if [ "$next" == NONE ]; then echo "next_update: none"; else echo "next_update: $(date -u -d "$next" +%Y-%m-%dT%H:%M:%SZ)"; fi
	if [ "$num" == "<NONE>" ]; then echo "number: none"; else echo "number: $(norm_hex "$num")"; fi
	echo "entries: $(openssl crl -in "$f" -noout -text | grep -c 'Serial Number:' || true)"
}
# lower case, no leading zeros ("0080" and "80" are the same number)
norm_hex() { local h; h=$(tr 'A-F' 'a-f' <<<"$1" | sed 's/^0*//'); echo "${h:-0}"; }
# crlcheck's facts, the same lines (its number normalised like openssl's)
cf_info() {
	ck load "$1" | awk '/^(issuer|this_update|next_update|entries):/' | sort
	local num
	num=$(ck load "$1" | sed -n 's/^number: //p')
	if [ "$num" == none ]; then echo "number: none"; else echo "number: $(norm_hex "$num")"; fi
}
compare_info() { # WHAT CRLFILE
	local want got
	want=$(openssl_info "$2" | sort)
	got=$(cf_info "$2" | sort)
	assert_eq "$1: the CRL's facts as openssl reads them" "$want" "$got"
}

# one_line_error WHAT FILE: the last command's stderr ($T/err) is one line naming FILE.
one_line_error() {
	local lines
	lines=$(wc -l <"$T/err")
	assert_eq "$1: one line on stderr" 1 "$lines"
	assert_contains "$1: the message names the file" "$2" "$(cat "$T/err")"
}

# flip FILE OFFSET OUT: a copy of FILE with the byte at OFFSET inverted (a negative offset counts from the end).
flip() {
	python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); o = int(sys.argv[2]); d[o] ^= 0xff; open(sys.argv[3], "wb").write(d)' "$@"
}

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/leaf.key" 2>/dev/null
openssl req -new -key "$T/leaf.key" -subj "/CN=phone.example.com" -out "$T/leaf.csr"

# ---- a CA issues N certificates, revokes half, publishes a CRL; openssl is the oracle --------

# oracle_run NAME ALG
oracle_run() {
	local name=$1 alg=$2 dir=$T/$1 q=$((N / 4))
	mkca "$dir" "$alg" "/CN=CRL Test $name CA/O=certfleet test"
	# serials: 1..q (one and two octets, 0x7f/0x80 and 0xff/0x100), q across 0x7fffffff/0x80000000,
	# q of 16 octets with the top bit set (17 content octets), the rest of 20 octets
	issue "$dir" 01 "$q" || return
	issue "$dir" $(printf '%X' $((0x80000000 - q / 2))) "$q" || return
	issue "$dir" "$(openssl rand -hex 16 | sed 's/^./F/')" "$q" || return
	issue "$dir" "$(openssl rand -hex 20 | sed 's/^./7/')" $((N - 3 * q)) || return
	revoke_half "$dir"
	gencrl "$dir" "$dir/crl.pem" || return
	local crl=$dir/crl.pem der=$dir/crl.der nrev
	nrev=$(grep -c ' revoked ' "$dir/truth")
	assert_eq "$name: $N certificates issued" "$N" "$(ls "$dir/certs" | wc -l)"

	# the oracle: one openssl verify for every certificate
	# (OK lines go to stdout, failures to stderr: kept apart, a line cannot be split by the other)
	(cd "$dir/certs" && openssl verify -crl_check -CAfile "$dir/ca.pem" -CRLfile "$crl" ./*.pem >"$dir/verify.out" 2>"$dir/verify.err") || true
	# crlcheck on the serials (the file names are openssl's hex serials) and on the certificates
	ls "$dir/certs" | sed 's/\.pem$//' >"$dir/serials"
	ck lookup "$crl" <"$dir/serials" >"$dir/lookup.pem.out" 2>"$T/err" || fail "$name: crlcheck lookup (PEM): $(cat "$T/err")"
	ck lookup "$der" <"$dir/serials" >"$dir/lookup.der.out" 2>"$T/err" || fail "$name: crlcheck lookup (DER): $(cat "$T/err")"
	ck lookup -t "$der" <"$dir/serials" >"$dir/lookup.t.out" 2>"$T/err" || fail "$name: crlcheck lookup -t: $(cat "$T/err")"
	(cd "$dir/certs" && "$CRLCHECK" certs "$der" ./*.pem >"$dir/certs.out" 2>"$T/err") || fail "$name: crlcheck certs: $(cat "$T/err")"

	python3 - "$dir" <<'EOF' >"$dir/compare.out"
import re, sys
d = sys.argv[1]
serials = open(d + "/serials").read().split()
truth = {}
for line in open(d + "/truth"):
    f = line.split()
    truth[f[0].upper()] = ("revoked " + f[2]) if f[1] == "revoked" else "good"
ok = set(m.group(1) for m in re.finditer(r"^\./(\S+)\.pem: OK$", open(d + "/verify.out").read(), re.M))
failed = set(m.group(1) for m in re.finditer(r"^error \./(\S+)\.pem: verification failed$", open(d + "/verify.err").read(), re.M))
revoked_errors = open(d + "/verify.err").read().count("certificate revoked")
lp = open(d + "/lookup.pem.out").read().split("\n")[:-1]
ld = open(d + "/lookup.der.out").read().split("\n")[:-1]
lt = open(d + "/lookup.t.out").read().split("\n")[:-1]
certs = dict(re.findall(r"^\./(\S+)\.pem: (\S+)$", open(d + "/certs.out").read(), re.M))
bad = []
if not (len(lp) == len(ld) == len(lt) == len(serials)):
    bad.append("line counts: %d serials, lookup PEM %d, DER %d, -t %d" % (len(serials), len(lp), len(ld), len(lt)))
if len(failed) != revoked_errors:
    bad.append("openssl verify: %d failed, %d of them for revocation" % (len(failed), revoked_errors))
for i, s in enumerate(serials):
    t = truth.get(s.upper())
    o = "good" if s in ok else "revoked" if s in failed else "missing"
    p = lp[i] if i < len(lp) else "missing"
    q = ld[i] if i < len(ld) else "missing"
    r = lt[i] if i < len(lt) else "missing"
    c = certs.get(s, "missing")
    if t is None or t.split()[0] != o or p != o or q != o or c != o or r != t:
        bad.append("serial %s: index.txt %s, openssl verify %s, crlcheck lookup PEM %s DER %s -t [%s], certs %s"
                   % (s, t, o, p, q, r, c))
print(len(serials), len(ok), len(failed), len(bad))
for b in bad[:10]:
    print(b)
EOF
	read -r total nok nfailed nbad <"$dir/compare.out"
	assert_eq "$name: openssl verify answered for every certificate" "$N" "$((nok + nfailed))"
	assert_eq "$name: openssl verify found the revoked half revoked" "$nrev" "$nfailed"
	if [ "$nbad" == 0 ]; then ok; else fail "$name: $nbad of $total certificates disagree: $(tail -n +2 "$dir/compare.out")"; fi

	# facts, PEM = DER, signature
	compare_info "$name" "$der"
	assert_eq "$name: PEM and DER give the same facts" "$(ck load "$crl" 2>&1)" "$(ck load "$der" 2>&1)"
	assert_exit "$name: the CRL verifies with its CA" 0 ck load "$der" "$dir/ca.pem"
	assert_contains "$name: signature ok" "signature ok" "$(cat "$T/out")"
	assert_exit "$name: the PEM CRL verifies with its CA" 0 ck load "$crl" "$dir/ca.pem"
	assert_eq "$name: openssl agrees the CRL verifies" "verify OK" "$(openssl crl -in "$der" -inform DER -noout -CAfile "$dir/ca.pem" 2>&1)"

	# a flipped byte in the signature value (the last byte of the file)
	flip "$der" -1 "$dir/badsig.der"
	assert_exit "$name: a flipped signature byte still parses" 0 ck load "$dir/badsig.der"
	assert_exit "$name: a flipped signature byte fails verification" 3 ck load "$dir/badsig.der" "$dir/ca.pem"
	one_line_error "$name: flipped signature" "CRL"
	# a flipped byte in the signed part: the last octet of a revoked 20-octet serial
	local off
	off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); s = bytes.fromhex(sys.argv[2]); i = d.find(s); print(i + len(s) - 1 if i > 0 else -1)' \
		"$der" "$(awk '$2 == "revoked" && length($1) == 40 { print $1; exit }' "$dir/truth")")
	if [ "$off" -gt 0 ]; then
		flip "$der" "$off" "$dir/badtbs.der"
		assert_exit "$name: a flipped serial octet still parses" 0 ck load "$dir/badtbs.der"
		assert_exit "$name: a flipped serial octet fails verification" 3 ck load "$dir/badtbs.der" "$dir/ca.pem"
		one_line_error "$name: flipped TBS byte" "CRL"
		assert_contains "$name: openssl agrees" "verify failure" \
			"$(openssl crl -in "$dir/badtbs.der" -inform DER -noout -CAfile "$dir/ca.pem" 2>&1)"
	else
		fail "$name: no 20-octet revoked serial found in the DER"
	fi
	# a flipped byte in the issuer name
	off=$(python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.find(b"CRL Test") + 1)' "$der")
	flip "$der" "$off" "$dir/badname.der"
	assert_exit "$name: a changed issuer name fails verification" 3 ck load "$dir/badname.der" "$dir/ca.pem"
	one_line_error "$name: changed issuer name" "CRL"

	# a CRL signed by another key under the same name
	mkca "$dir/other" "$alg" "/CN=CRL Test $name CA/O=certfleet test"
	cp "$dir/index.txt" "$dir/other/index.txt"
	gencrl "$dir/other" "$dir/other/crl.pem" || return
	assert_exit "$name: a CRL signed by another key parses" 0 ck load "$dir/other/crl.der"
	assert_exit "$name: a CRL signed by another key fails verification" 3 ck load "$dir/other/crl.der" "$dir/ca.pem"
	one_line_error "$name: another key" "CRL"
	# the right CRL checked against another CA (another name)
	assert_exit "$name: checked against another CA" 3 ck load "$der" "$T/rsa-other-name/ca.pem"
	one_line_error "$name: another CA" "CRL"

	# truncated: DER cut short, PEM with its last lines gone
	head -c $(($(stat -c %s "$der") - 100)) "$der" >"$dir/trunc.der"
	assert_exit "$name: a truncated DER CRL is refused" 3 ck load "$dir/trunc.der"
	one_line_error "$name: truncated DER" "$dir/trunc.der"
	head -n -3 "$crl" >"$dir/trunc.pem"
	assert_exit "$name: a truncated PEM CRL is refused" 3 ck load "$dir/trunc.pem"
	one_line_error "$name: truncated PEM" "$dir/trunc.pem"
	head -c 300 "$der" >"$dir/short.der"
	assert_exit "$name: the first 300 bytes are refused" 3 ck lookup "$dir/short.der" </dev/null
	one_line_error "$name: 300 bytes" "$dir/short.der"
}

mkca "$T/rsa-other-name" rsa "/CN=Some Other CA/O=certfleet test"
t0=$SECONDS
oracle_run rsa rsa
oracle_run ec ec
echo "test_crl.sh: oracle runs took $((SECONDS - t0)) s"

# ---- an empty CRL ---------------------------------------------------------------------------------

E=$T/empty
mkca "$E" rsa "/CN=CRL Test Empty CA/O=certfleet test"
gencrl "$E" "$E/crl.pem"
compare_info "empty" "$E/crl.der"
assert_exit "empty: verifies" 0 ck load "$E/crl.der" "$E/ca.pem"
assert_eq "empty: every serial is good" "good
good" "$(printf '01\n7fffffffffffffffffffffffffffffffffffffff\n' | ck lookup "$E/crl.der")"

# ---- a v1 CRL without nextUpdate, by hand (thisUpdate and one entry as GeneralizedTime) ------------

V=$T/v1
mkca "$V" rsa "/CN=CRL Test V1 CA/O=certfleet test"
openssl x509 -in "$V/ca.pem" -outform DER -out "$V/ca.der"
python3 - "$V/ca.der" "$V/tbs.der" <<'EOF'
import sys
def tlv(tag, body):
    n = len(body)
    if n < 0x80: l = bytes([n])
    elif n < 0x100: l = bytes([0x81, n])
    else: l = bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + body
def read(d, i):
    tag, n = d[i], d[i + 1]; j = i + 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(d[j:j + k], "big"); j += k
    return tag, j, j + n
cert = open(sys.argv[1], "rb").read()
_, s, _ = read(cert, 0)          # Certificate
_, s, e = read(cert, s)          # TBSCertificate
i = s
_, _, i = read(cert, i)          # [0] version
_, _, i = read(cert, i)          # serial
_, _, i = read(cert, i)          # signature
_, _, i2 = read(cert, i)         # issuer
_, _, i3 = read(cert, i2)        # validity
_, _, i4 = read(cert, i3)        # subject
subject = cert[i3:i4]
alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
def entry(serial_hex, t):
    return tlv(0x30, tlv(0x02, bytes.fromhex(serial_hex)) + t)
revoked = tlv(0x30, entry("05", tlv(0x17, b"250101000000Z")) +
                    entry("0080", tlv(0x17, b"251231235959Z")) +
                    entry("7f" + "ab" * 19, tlv(0x18, b"20510704120000Z")))
tbs = tlv(0x30, alg + subject + tlv(0x17, b"260101000000Z") + revoked)
open(sys.argv[2], "wb").write(tbs)
EOF
openssl dgst -sha256 -sign "$V/ca.key" -out "$V/sig" "$V/tbs.der"
python3 - "$V/tbs.der" "$V/sig" "$V/crl.der" <<'EOF'
import sys
def tlv(tag, body):
    n = len(body)
    l = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + body
tbs, sig = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
open(sys.argv[3], "wb").write(tlv(0x30, tbs + alg + tlv(0x03, b"\x00" + sig)))
EOF
assert_eq "v1: openssl verifies the hand-made CRL" "verify OK" "$(openssl crl -in "$V/crl.der" -inform DER -noout -CAfile "$V/ca.pem" 2>&1)"
compare_info "v1" "$V/crl.der"
assert_exit "v1: verifies" 0 ck load "$V/crl.der" "$V/ca.pem"
assert_eq "v1: lookups and times (UTCTime and GeneralizedTime)" "revoked 2025-01-01T00:00:00Z
revoked 2025-12-31T23:59:59Z
revoked 2051-07-04T12:00:00Z
good
good" "$(printf '5\n80\n7f%s\n06\n0\n' "$(printf 'ab%.0s' {1..19})" | ck lookup -t "$V/crl.der")"

# ---- by hand, signed by the EC CA: a signature algorithm naming another key type, a far date ------

# The TBS and the outer AlgorithmIdentifier say sha256WithRSAEncryption, the signature is ECDSA by
# the EC CA's key: openssl refuses it ("wrong public key type"); so must certfleet. Its entries:
# serial 5 revoked in 2200 (GeneralizedTime), serial 6 in 2026.
X=$T/algmix
mkdir -p "$X"
openssl x509 -in "$T/ec/ca.pem" -outform DER -out "$X/ca.der"
cat >"$X/mk.py" <<'EOF2'
import sys
def tlv(tag, body):
    n = len(body)
    l = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xff])
    return bytes([tag]) + l + body
def read(d, i):
    tag, n = d[i], d[i + 1]; j = i + 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(d[j:j + k], "big"); j += k
    return tag, j, j + n
mode, cafile = sys.argv[1], sys.argv[2]
cert = open(cafile, "rb").read()
_, s, _ = read(cert, 0); _, s, e = read(cert, s); i = s
for _ in range(5): _, _, i = read(cert, i)   # version, serial, signature, issuer, validity
_, _, j = read(cert, i)                     # subject
subject = cert[i:j]
rsa_alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d01010b")) + b"\x05\x00")
def entry(h, t): return tlv(0x30, tlv(0x02, bytes.fromhex(h)) + t)
ec_alg = tlv(0x30, tlv(0x06, bytes.fromhex("2a8648ce3d040302")))
if mode == "critent":  # ecdsa-with-SHA256; serial 01 with a critical entry extension 1.2.3.4
    ext = tlv(0x30, tlv(0x30, tlv(0x06, bytes.fromhex("2a0304")) + tlv(0x01, b"\xff") + tlv(0x04, b"\x05\x00")))
    rev = tlv(0x30, tlv(0x30, tlv(0x02, b"\x01") + tlv(0x17, b"260301000000Z") + ext))
    open(sys.argv[3], "wb").write(tlv(0x30, tlv(0x02, b"\x01") + ec_alg + subject + tlv(0x17, b"261101000000Z") +
                                      tlv(0x17, b"491231000000Z") + rev))
elif mode == "critcrl":
    tbs, sig = open(sys.argv[3], "rb").read(), open(sys.argv[4], "rb").read()
    open(sys.argv[5], "wb").write(tlv(0x30, tbs + ec_alg + tlv(0x03, b"\x00" + sig)))
elif mode == "tbs":
    rev = tlv(0x30, entry("05", tlv(0x18, b"22000101000000Z")) + entry("06", tlv(0x17, b"260301000000Z")))
    open(sys.argv[3], "wb").write(tlv(0x30, tlv(0x02, b"\x01") + rsa_alg + subject + tlv(0x17, b"261101000000Z") + rev))
else:
    tbs, sig = open(sys.argv[3], "rb").read(), open(sys.argv[4], "rb").read()
    open(sys.argv[5], "wb").write(tlv(0x30, tbs + rsa_alg + tlv(0x03, b"\x00" + sig)))
EOF2
python3 "$X/mk.py" tbs "$X/ca.der" "$X/tbs.der"
openssl dgst -sha256 -sign "$T/ec/ca.key" -out "$X/sig" "$X/tbs.der"
python3 "$X/mk.py" crl "$X/ca.der" "$X/tbs.der" "$X/sig" "$X/crl.der"
assert_contains "algmix: openssl refuses an ECDSA signature under an RSA algorithm" "wrong public key type" \
	"$(openssl crl -in "$X/crl.der" -inform DER -noout -CAfile "$T/ec/ca.pem" 2>&1)"
assert_exit "algmix: an ECDSA signature under sha256WithRSAEncryption is refused" 3 ck load "$X/crl.der" "$T/ec/ca.pem"
assert_contains "algmix: openssl reads the revocation date 2200" "Jan  1 00:00:00 2200 GMT" "$(openssl crl -in "$X/crl.der" -inform DER -noout -text)"
assert_eq "algmix: revocation times in 2200 and 2026" "revoked 2200-01-01T00:00:00Z
revoked 2026-03-01T00:00:00Z" "$(printf '5\n6\n' | ck lookup -t "$X/crl.der")"

# An entry with a critical extension nobody knows (1.2.3.4): RFC 5280 §5.3, the CRL must not be
# used; openssl verify -crl_check refuses it ("unhandled critical CRL extension").
python3 "$X/mk.py" critent "$X/ca.der" "$X/crit.tbs"
openssl dgst -sha256 -sign "$T/ec/ca.key" -out "$X/crit.sig" "$X/crit.tbs"
python3 "$X/mk.py" critcrl "$X/ca.der" "$X/crit.tbs" "$X/crit.sig" "$X/crit.der"
openssl crl -in "$X/crit.der" -inform DER -out "$X/crit.pem"
assert_contains "critical entry extension: openssl verify -crl_check refuses the CRL" "unhandled critical CRL extension" \
	"$(openssl verify -crl_check -CAfile "$T/ec/ca.pem" -CRLfile "$X/crit.pem" "$T/ec/certs/01.pem" 2>&1)"
assert_eq "critical entry extension: the signature is good" "verify OK" \
	"$(openssl crl -in "$X/crit.der" -inform DER -noout -CAfile "$T/ec/ca.pem" 2>&1)"
assert_exit "critical entry extension: the CRL is refused" 3 ck load "$X/crit.der"

# ---- an RSA-PSS signature (openssl reads it; so must certfleet) ----------------------------------

P=$T/pss
mkca "$P" rsa "/CN=CRL Test PSS CA/O=certfleet test"
gencrl "$P" "$P/crl.pem" -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32
assert_eq "pss: openssl verifies the RSA-PSS CRL" "verify OK" "$(openssl crl -in "$P/crl.der" -inform DER -noout -CAfile "$P/ca.pem" 2>&1)"
assert_exit "pss: an RSA-PSS-signed CRL verifies" 0 ck load "$P/crl.der" "$P/ca.pem"
flip "$P/crl.der" -1 "$P/bad.der"
assert_exit "pss: with a flipped signature byte it does not" 3 ck load "$P/bad.der" "$P/ca.pem"

# ---- an issuer whose keyUsage lacks cRLSign may not sign CRLs (RFC 5280 §6.3.3 (f)) -------------

K=$T/nocrlsign
mkca "$K" ec "/CN=CRL Test No CRLSign CA/O=certfleet test" "critical,keyCertSign"
issue "$K" 01 1
gencrl "$K" "$K/crl.pem"
assert_contains "keyUsage without cRLSign: openssl verify -crl_check refuses the CRL" "key usage does not include CRL signing" \
	"$(openssl verify -crl_check -CAfile "$K/ca.pem" -CRLfile "$K/crl.pem" "$K/certs/01.pem" 2>&1)"
assert_exit "keyUsage without cRLSign: the CRL is refused" 3 ck load "$K/crl.der" "$K/ca.pem"

finish
