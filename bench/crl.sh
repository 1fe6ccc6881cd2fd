#!/usr/bin/env bash
# certfleet CRL benchmark (not a test): a 16.8 MB DER CRL of 480,000 entries, loaded and
# signature-checked by the CRL module (src/crypto/crl.c, through tests/tools/crlcheck: certfleet
# has no CRL command yet) next to `openssl crl -noout -CAfile` on the same file in the same run,
# then 10,000,000 lookups, and loaded from a store: from the index kept beside its DER against
# walking the DER. See bench/README.md ("CRL load and lookups") for every line.
#
# usage: bench/crl.sh BUILD_DIR
#
# The CRL is made once with `openssl ca -gencrl` from an index.txt written directly (480,000 R
# lines, random 16-octet serials) and cached in ${BENCH_CACHE:-/tmp}/certfleet-bench-crl-TAG (TAG:
# a hash of the generator's parameters); BENCH_REGEN=1 forces a new one (≈ 5 s).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
CRLCHECK=$BUILD/tests/crlcheck
CRLSTORE=$BUILD/tests/crlstore
[[ -x $CRLCHECK && -x $CRLSTORE ]] || { echo "$0: $CRLCHECK or $CRLSTORE not found; build first (make build)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 2; }

ENTRIES=480000
LOOKUPS=10000000
RUNS=3            # load lines: median of this many runs, certfleet and openssl alternated
TARGET_SPEED=3    # load + signature check at least this many times faster than openssl crl
TARGET_MEM=0.25   # at most this fraction of openssl crl's peak RSS
TARGET_LOOKUP=1   # seconds for LOOKUPS lookups
LEAVES=20         # openssl verify -crl_check baseline: leaves (half of them revoked)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp "$CRLCHECK" "$CRLSTORE" "$WORK/" # a rebuild during the run must not swap the binaries under it
CRLCHECK=$WORK/crlcheck CRLSTORE=$WORK/crlstore

. "$(dirname "$0")/lib.sh"
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
yes_no() { if "$@"; then echo met; else echo MISSED; fi; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# ---- the input --------------------------------------------------------------------------------

GEN_PARAMS="v1 entries=$ENTRIES serial=16 octets, top bit clear; RSA-2048 sha256; crldays 30; crlnumber 1000"
TAG=$(printf '%s' "$GEN_PARAMS" | sha256sum | cut -c1-12)
IN=${BENCH_CACHE:-/tmp}/certfleet-bench-crl-$TAG
echo "certfleet CRL benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2)"
echo "clock: $CLOCK; load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
if [[ ${BENCH_REGEN:-0} == 1 || ! -f $IN/done ]]; then
	rm -rf "$IN"
	mkdir -p "$IN"
	t0=$(mono)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$IN/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$IN/ca.key" -out "$IN/ca.pem" -subj "/CN=Bench CRL CA/O=certfleet bench" \
		-days 3650 -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	cat >"$IN/ca.cnf" <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $IN
database = \$dir/index.txt
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
crlnumber = \$dir/crlnumber
default_md = sha256
unique_subject = no
EOF
	echo 1000 >"$IN/crlnumber"
	echo "unique_subject = no" >"$IN/index.txt.attr"
	# 480,000 revoked entries: random 16-octet serials (first hex digit 1-7: exactly 16 content
	# octets), revocation times in 2026, no entry extensions: 35 bytes an entry as DER
	awk -v n="$ENTRIES" -v seed=20261122 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			s = sprintf("%X", 1 + int(rand() * 7))
			for (j = 0; j < 31; j++) s = s sprintf("%X", int(rand() * 16))
			t = sprintf("26%02d%02d%02d%02d%02dZ", 1 + int(rand() * 10), 1 + int(rand() * 28),
				int(rand() * 24), int(rand() * 60), int(rand() * 60))
			printf "R\t361122000000Z\t%s\t%s\tunknown\t/CN=bench-%d\n", t, s, i
		}
	}' >"$IN/index.txt"
	dups=$(cut -f4 "$IN/index.txt" | sort | uniq -d | wc -l)
	[[ $dups -eq 0 ]] || { echo "FAILED: $dups duplicate serials in the generated index" >&2; exit 1; }
	openssl ca -gencrl -config "$IN/ca.cnf" -crldays 30 -out "$IN/crl.pem" 2>"$WORK/err" ||
		{ echo "FAILED: openssl ca -gencrl: $(tail -n 2 "$WORK/err")" >&2; exit 1; }
	openssl crl -in "$IN/crl.pem" -outform DER -out "$IN/crl.der"
	touch "$IN/done"
	t1=$(mono)
	echo "input:    generated in $(sub "$t0" "$t1") s -> $IN"
else
	echo "input:    cached $IN"
fi
CRL=$IN/crl.der
CA=$IN/ca.pem
SIZE=$(stat -c %s "$CRL")
printf '          %s bytes of DER (%.2f MiB), %d entries, RSA-2048 sha256WithRSAEncryption, one `openssl ca -gencrl`\n' \
	"$SIZE" "$(awk -v s="$SIZE" 'BEGIN { print s / 1048576 }')" "$ENTRIES"

# ---- load + signature check, alternated with openssl crl --------------------------------------

echo
echo "== load and signature check (median of $RUNS, alternated)"
a_t=() a_rss=() b_t=() b_rss=()
for ((i = 0; i < RUNS; i++)); do
	timed "$WORK/a.out" "$CRLCHECK" load "$CRL" "$CA"
	[[ $RC -eq 0 ]] && grep -qx 'signature ok' "$WORK/a.out" && grep -qx "entries: $ENTRIES" "$WORK/a.out" ||
		{ echo "FAILED: crlcheck load exited $RC: $(head -c 300 "$WORK/err") $(head -c 300 "$WORK/a.out")" >&2; exit 1; }
	a_t+=("$T") a_rss+=("$RSS")
	timed "$WORK/b.out" openssl crl -inform DER -in "$CRL" -noout -CAfile "$CA"
	[[ $RC -eq 0 ]] && grep -q 'verify OK' "$WORK/b.out" "$WORK/err" ||
		{ echo "FAILED: openssl crl exited $RC: $(head -c 300 "$WORK/err")" >&2; exit 1; }
	b_t+=("$T") b_rss+=("$RSS")
done
A_T=$(median "${a_t[@]}") A_RSS=$(median "${a_rss[@]}")
B_T=$(median "${b_t[@]}") B_RSS=$(median "${b_rss[@]}")
printf 'certfleet %7.3f s  peak %s KB (%s)   crlcheck load crl.der ca.pem (runs: %s)\n' "$A_T" "$A_RSS" "$(mb "$A_RSS")" "${a_t[*]}"
printf 'openssl   %7.3f s  peak %s KB (%s)   openssl crl -inform DER -noout -CAfile ca.pem (runs: %s)\n' \
	"$B_T" "$B_RSS" "$(mb "$B_RSS")" "${b_t[*]}"
timed "$WORK/c.out" openssl crl -inform DER -in "$CRL" -noout
[[ $RC -eq 0 ]] || { echo "FAILED: openssl crl (parse only) exited $RC" >&2; exit 1; }
printf 'openssl   %7.3f s  peak %s KB (%s)   openssl crl -inform DER -noout, parse only (for scale)\n' "$T" "$RSS" "$(mb "$RSS")"

# ---- in-process: where the time goes, and the lookups --------------------------------------------

echo
echo "== in one process: crlcheck bench crl.der ca.pem $LOOKUPS"
timed "$WORK/bench.out" "$CRLCHECK" bench "$CRL" "$CA" "$LOOKUPS"
[[ $RC -eq 0 ]] || { echo "FAILED: crlcheck bench exited $RC: $(head -c 500 "$WORK/err")" >&2; cat "$WORK/bench.out" >&2; exit 1; }
sed 's/^/          /' "$WORK/bench.out"
kv() { tr ' ' '\n' <"$WORK/bench.out" | sed -n "s/^$1=//p" | head -n 1; }
LOOKUP_S=$(kv lookup_s)
LOOKUP_RATE=$(kv lookups_per_s)
[[ $(kv listed_not_found) == 0 && $(kv entries) == "$ENTRIES" ]] ||
	{ echo "FAILED: not every listed serial was found, or the entry count is wrong" >&2; exit 1; }
printf 'lookups   %7.3f s  %s lookups/s   %d lookups, half of them listed serials (one thread)\n' \
	"$LOOKUP_S" "$LOOKUP_RATE" "$LOOKUPS"
[[ $(kv index_listed_not_found) == 0 ]] ||
	{ echo "FAILED: the CRL read back from its index does not find every listed serial" >&2; exit 1; }
printf 'index     %7.3f s  the parsed CRL read back from its index (%s bytes; written in %s s) against parse %s s\n' \
	"$(kv index_read_s)" "$(kv index_bytes)" "$(kv index_write_s)" "$(kv parse_s)"

# ---- from the store: the index kept beside the DER, against walking the DER again ----------------

# The same CRL twice, each in a store of its own (tests/tools/crlstore put: no issuer check and no
# upload limit, the file being just over 16 MiB): with its index, as `crl add` keeps a CRL since
# schema 7, and without one, as kept before: cf_crlset_load (what validate --revocation, an upload's
# check and the daemon do after a restart or a store change) reads the index, or reads the DER and
# walks it. Each run is a fresh process (crlstore load STORE 1: one load, timed inside); alternated.
echo
echo "== from the store: cf_crlset_load, one load a process (median of $RUNS, alternated)"
"$CRLSTORE" put "$WORK/idx.db" "$CRL" >"$WORK/s.out" ||
	{ echo "FAILED: crlstore put: $(head -c 300 "$WORK/s.out")" >&2; exit 1; }
IDX_BYTES=$(tr ' ' '\n' <"$WORK/s.out" | sed -n 's/^index_bytes=//p')
"$CRLSTORE" put "$WORK/der.db" "$CRL" --no-index >/dev/null
sk() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }
i_t=() i_rss=() w_t=() w_rss=()
for ((i = 0; i < RUNS; i++)); do
	timed "$WORK/i.out" "$CRLSTORE" load "$WORK/idx.db" 1
	[[ $RC -eq 0 && $(sk "$WORK/i.out" indexed) == 1 && $(sk "$WORK/i.out" walked) == 0 ]] ||
		{ echo "FAILED: crlstore load (index) exited $RC: $(head -c 300 "$WORK/err") $(cat "$WORK/i.out")" >&2; exit 1; }
	i_t+=("$(sk "$WORK/i.out" load_s)") i_rss+=("$RSS")
	timed "$WORK/w.out" "$CRLSTORE" load "$WORK/der.db" 1
	[[ $RC -eq 0 && $(sk "$WORK/w.out" indexed) == 0 && $(sk "$WORK/w.out" walked) == 1 ]] ||
		{ echo "FAILED: crlstore load (DER) exited $RC: $(head -c 300 "$WORK/err") $(cat "$WORK/w.out")" >&2; exit 1; }
	w_t+=("$(sk "$WORK/w.out" load_s)") w_rss+=("$RSS")
done
I_T=$(median "${i_t[@]}") I_RSS=$(median "${i_rss[@]}") W_T=$(median "${w_t[@]}") W_RSS=$(median "${w_rss[@]}")
printf 'index     %7.3f s  peak %s KB (%s)   from the stored index (%s bytes beside the DER; runs: %s)\n' \
	"$I_T" "$I_RSS" "$(mb "$I_RSS")" "$IDX_BYTES" "${i_t[*]}"
printf 'DER walk  %7.3f s  peak %s KB (%s)   the same row without an index: its DER read and walked (runs: %s)\n' \
	"$W_T" "$W_RSS" "$(mb "$W_RSS")" "${w_t[*]}"
printf 'store     DER walk / index: %sx\n' "$(ratio "$W_T" "$I_T")"

# ---- baseline for lookups: openssl verify -crl_check, one process for LEAVES leaves ----------------

# leaves of the bench CA, half with listed serials; crlcheck lookup must agree with openssl verify
mapfile -t listed < <(awk -v h=$((LEAVES / 2)) 'NR % 40000 == 1 && n++ < h { print $4 }' "$IN/index.txt")
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/leaf.key" 2>/dev/null
openssl req -new -key "$WORK/leaf.key" -subj "/CN=leaf.example.com" -out "$WORK/leaf.csr"
serials=("${listed[@]}")
while ((${#serials[@]} < LEAVES)); do serials+=("$(openssl rand -hex 16 | sed 's/^./1/')"); done
mkdir -p "$WORK/leaves"
for s in "${serials[@]}"; do
	openssl x509 -req -in "$WORK/leaf.csr" -CA "$CA" -CAkey "$IN/ca.key" -set_serial "0x$s" -days 30 \
		-out "$WORK/leaves/$s.pem" 2>/dev/null
done
cd "$WORK/leaves"
timed "$WORK/v.out" openssl verify -crl_check -CAfile "$CA" -CRLfile "$IN/crl.pem" "${serials[@]/%/.pem}"
cd - >/dev/null
V_OK=$(grep -c ': OK$' "$WORK/v.out" || true)
V_REV=$(grep -c 'certificate revoked' "$WORK/err" || true)
printf '%s\n' "${serials[@]}" | "$CRLCHECK" lookup "$CRL" >"$WORK/l.out"
L_REV=$(grep -c '^revoked$' "$WORK/l.out" || true)
[[ $V_OK -eq $((LEAVES - ${#listed[@]})) && $V_REV -eq ${#listed[@]} && $L_REV -eq ${#listed[@]} ]] ||
	{ echo "FAILED: openssl verify: $V_OK OK, $V_REV revoked; crlcheck lookup: $L_REV revoked; expected ${#listed[@]} revoked of $LEAVES" >&2; exit 1; }
V_RATE=$(awk -v n="$LEAVES" -v t="$T" 'BEGIN { printf "%.1f", n / t }')
printf 'openssl   %7.3f s  %s leaves/s   openssl verify -crl_check, one process, %d leaves (%d revoked; PEM CRL; agrees with crlcheck lookup)\n' \
	"$T" "$V_RATE" "$LEAVES" "${#listed[@]}"

# ---- ratios and targets ---------------------------------------------------------------------------

SPEED=$(ratio "$B_T" "$A_T")
MEM=$(awk -v a="$A_RSS" -v b="$B_RSS" 'BEGIN { printf "%.3f", a / b }')
echo
echo "== ratios and targets (SPEC §12)"
printf 'load      openssl crl / certfleet time: %sx   target >= %sx: %s\n' "$SPEED" "$TARGET_SPEED" "$(yes_no ge "$SPEED" "$TARGET_SPEED")"
printf 'memory    certfleet / openssl crl peak RSS: %s (1/%s)   target <= %s: %s\n' "$MEM" \
	"$(ratio "$B_RSS" "$A_RSS")" "$TARGET_MEM" "$(yes_no le "$MEM" "$TARGET_MEM")"
printf 'lookups   %d in %s s   target < %s s: %s   (%s x one openssl verify -crl_check leaf rate)\n' "$LOOKUPS" "$LOOKUP_S" \
	"$TARGET_LOOKUP" "$(yes_no lt "$LOOKUP_S" "$TARGET_LOOKUP")" "$(ratio "$LOOKUP_RATE" "$V_RATE")"
