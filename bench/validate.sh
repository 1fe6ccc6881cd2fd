#!/usr/bin/env bash
# certfleet validation benchmark (not a test): 20,000 leaf certificates (10,000 RSA-2048 and
# 10,000 EC P-256, issued by one RSA-2048 intermediate) validated against a trust store of 1,000
# CA certificates (mixed RSA/EC), next to the standard-tool baselines measured in the same run on
# the same input. See bench/README.md for what every line means.
#
# usage: bench/validate.sh BUILD_DIR
#
# The input is generated once by tests/integration/gen_validate_corpus.py (DER written by hand,
# signed through libcrypto; ~30 s) and cached in ${BENCH_CACHE:-/tmp}/certfleet-bench-validate-TAG,
# TAG being a hash of the generator; BENCH_REGEN=1 forces a new one.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
BUILD=$1
CERTFLEET=$BUILD/certfleet
[[ -x $CERTFLEET ]] || { echo "$0: $CERTFLEET not found; build first (make build)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 2; }
command -v python3 >/dev/null || { echo "$0: python3 not found" >&2; exit 2; }
CERTFLEET=$(realpath "$CERTFLEET")

NCAS=1000
NRSA=10000
NEC=10000
N=$((NRSA + NEC))
SAMPLE=200       # certificates in the process-per-certificate sample (100 RSA + 100 EC)
RUNS=3           # (a) and (b): median of this many runs, alternated
TARGET_B=2       # (a) at least this many times (b)
TARGET_C=300     # (a) at least this many times (c)
TARGET_R=50      # (r) at least this many times (s), openssl verify -crl_check
TARGET_RR=0.8    # (r) at least this share of (q), the same run without revocation
CRL_SAMPLE=40    # leaves in the openssl verify -crl_check baseline (it re-verifies the CRL per leaf)

unset CERTFLEET_NOW
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CERTFLEET_STORE=$WORK/store.db # validate --ca-file needs no store; keep any default one out of it
cp "$CERTFLEET" "$WORK/certfleet"     # a rebuild during the run must not swap the binary under it
CERTFLEET=$WORK/certfleet

# ---- clocks and measuring ------------------------------------------------------------------

. "$(dirname "$0")/lib.sh"
rate() { awk -v n="$1" -v t="$2" 'BEGIN { if (t <= 0) print "-"; else printf "%.1f", n / t }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
verdict() { if ge "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }

# ---- the input --------------------------------------------------------------------------------

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
GEN=$BENCH_DIR/../tests/integration/gen_validate_corpus.py
TAG=$(sha256sum <"$GEN" | cut -c1-12)
IN=${BENCH_CACHE:-/tmp}/certfleet-bench-validate-$TAG
echo "certfleet validation benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2)"
echo "clock: $CLOCK; load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
if [[ ${BENCH_REGEN:-0} == 1 || ! -f $IN/done ]]; then
	rm -rf "$IN"
	t0=$(mono)
	python3 "$GEN" bench "$IN" --cas "$NCAS" --rsa "$NRSA" --ec "$NEC" >"$WORK/gen.out"
	touch "$IN/done"
	t1=$(mono)
	echo "input:    generated in $(sub "$t0" "$t1") s -> $IN"
	echo "          $(cat "$WORK/gen.out")"
else
	echo "input:    cached $IN"
fi
BUNDLE=$IN/bundle.pem
INT=$IN/int.pem
nfiles=$(find "$IN/leaves" -name '*.pem' | wc -l)
[[ $(grep -c -- '-----BEGIN CERTIFICATE-----' "$BUNDLE") -eq $NCAS && $nfiles -eq $N && -s $IN/crl.der ]] ||
	{ echo "FAILED: the cached input is incomplete ($nfiles leaves); rerun with BENCH_REGEN=1" >&2; exit 1; }
printf '          trust store %d CAs (%s RSA-2048 / %s EC P-256, self-signed), one RSA-2048 intermediate,\n' \
	"$NCAS" "$((NCAS / 2))" "$((NCAS - NCAS / 2))"
printf '          %d RSA-2048 + %d EC P-256 leaves, one PEM file each (and all of them in one bundle)\n' "$NRSA" "$NEC"
# the process-per-certificate sample: the first SAMPLE/2 of each key type
(cd "$IN/leaves" && ls) | awk -v h=$((SAMPLE / 2)) '/^r/ && r++ < h; /^e/ && e++ < h' >"$WORK/sample"

echo
echo "== certfleet"
# (a) --batch over the directory of 20,000 files and (b) one openssl verify process given all the
# leaves, alternated RUNS times so that both see the same machine load; medians are reported.
# (b) is printed under the baselines below.
a_t=() a_rss=() a_cpu=() b_t=() b_rss=() b_cpu=()
for ((i = 0; i < RUNS; i++)); do
	timed "$WORK/a.out" "$CERTFLEET" validate --batch "$IN/leaves" --ca-file "$BUNDLE" --untrusted "$INT"
	[[ $RC -eq 0 ]] || { echo "FAILED: certfleet validate --batch exited $RC: $(head -c 300 "$WORK/err") $(head -c 300 "$WORK/a.out")" >&2; exit 1; }
	a_t+=("$T") a_rss+=("$RSS") a_cpu+=("$CPU")
	# file names relative to the leaves directory keep argv short
	cd "$IN/leaves"
	timed "$WORK/b.out" openssl verify -no-CApath -no-CAstore -CAfile "$BUNDLE" -untrusted "$INT" ./*.pem
	cd - >/dev/null
	B_OK=$(grep -c ': OK$' "$WORK/b.out" || true)
	[[ $RC -eq 0 && $B_OK -eq $N ]] || { echo "FAILED: openssl verify: exit $RC, $B_OK of $N OK: $(head -c 300 "$WORK/err")" >&2; exit 1; }
	b_t+=("$T") b_rss+=("$RSS") b_cpu+=("$CPU")
done
A_T=$(median "${a_t[@]}")
A_RATE=$(rate "$N" "$A_T")
B_T=$(median "${b_t[@]}")
B_RATE=$(rate "$N" "$B_T")
printf '(a)  %8.3f s  %9s cert/s  peak %s KB  cpu %s s   validate --batch DIR (%d files; runs: %s)\n' \
	"$A_T" "$A_RATE" "$(median "${a_rss[@]}")" "$(median "${a_cpu[@]}")" "$N" "${a_t[*]}"
timed "$WORK/aj.json" "$CERTFLEET" validate --batch "$IN/leaves" --ca-file "$BUNDLE" --untrusted "$INT" --json
[[ $RC -eq 0 ]] || { echo "FAILED: certfleet validate --batch --json exited $RC: $(head -c 300 "$WORK/err")" >&2; exit 1; }
printf '     %8.3f s  %9s cert/s  peak %s KB   the same with --json (%s MiB of JSON)\n' \
	"$T" "$(rate "$N" "$T")" "$RSS" "$(awk -v b="$(stat -c %s "$WORK/aj.json")" 'BEGIN { printf "%.1f", b / 1048576 }')"
timed "$WORK/ab.out" "$CERTFLEET" validate --batch "$IN/all-leaves.pem" --ca-file "$BUNDLE" --untrusted "$INT"
[[ $RC -eq 0 ]] || { echo "FAILED: certfleet validate --batch all-leaves.pem exited $RC: $(head -c 300 "$WORK/err")" >&2; exit 1; }
printf '     %8.3f s  %9s cert/s  peak %s KB   validate --batch over one PEM bundle of all %d\n' "$T" "$(rate "$N" "$T")" "$RSS" "$N"
# a process per certificate, for scale (not a target)
t0=$(mono)
while read -r f; do
	"$CERTFLEET" validate "$IN/leaves/$f" --ca-file "$BUNDLE" --untrusted "$INT" >/dev/null ||
		{ echo "FAILED: certfleet validate $f" >&2; exit 1; }
done <"$WORK/sample"
t1=$(mono)
printf '     %8.3f s  %9s cert/s               certfleet validate, a process per certificate (%d sample)\n' \
	"$(sub "$t0" "$t1")" "$(rate "$SAMPLE" "$(sub "$t0" "$t1")")" "$SAMPLE"

# checked once, outside the timing: every leaf reported, every one valid
python3 - "$WORK/aj.json" "$N" <<'EOF' || { echo "FAILED: the --batch --json output is not what it should be" >&2; exit 1; }
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
items = d["items"]
bad = [i for i in items if i.get("ok") is not True]
if len(items) != n or bad or d["summary"].get("ok") != n:
    sys.exit("items %d (want %d), not ok %d (e.g. %r), summary %r" % (len(items), n, len(bad), bad[:1], d["summary"]))
EOF
echo "checked   --batch --json: $N items, all ok; summary ok=$N"

echo
echo "== baselines (same input, same run)"
printf '(b)  %8.3f s  %9s cert/s  peak %s KB  cpu %s s   one openssl verify -CAfile bundle -untrusted int, all %d leaves (runs: %s)\n' \
	"$B_T" "$B_RATE" "$(median "${b_rss[@]}")" "$(median "${b_cpu[@]}")" "$N" "${b_t[*]}"
# (c) a process per certificate on the sample
t0=$(mono)
while read -r f; do
	openssl verify -no-CApath -no-CAstore -CAfile "$BUNDLE" -untrusted "$INT" "$IN/leaves/$f" >/dev/null ||
		{ echo "FAILED: openssl verify $f" >&2; exit 1; }
done <"$WORK/sample"
t1=$(mono)
C_T=$(sub "$t0" "$t1")
C_RATE=$(rate "$SAMPLE" "$C_T")
timed /dev/null openssl verify -no-CApath -no-CAstore -CAfile "$BUNDLE" -untrusted "$INT" "$IN/leaves/$(head -n 1 "$WORK/sample")"
printf '(c)  %8.3f s  %9s cert/s  peak %s KB   openssl verify, a process per certificate (%d sample: %d RSA + %d EC)\n' \
	"$C_T" "$C_RATE" "$RSS" "$SAMPLE" "$((SAMPLE / 2))" "$((SAMPLE / 2))"

echo
echo "== ratios (certificates per second, certfleet / baseline)"
R_B=$(ratio "$A_RATE" "$B_RATE")
R_C=$(ratio "$A_RATE" "$C_RATE")
printf '(a)/(b)  %sx   target >= %dx: %s\n' "$R_B" "$TARGET_B" "$(verdict "$R_B" "$TARGET_B")"
printf '(a)/(c)  %sx   target >= %dx: %s\n' "$R_C" "$TARGET_C" "$(verdict "$R_C" "$TARGET_C")"
printf 'cpu      (b) uses %sx the CPU time of (a) (user + system; less sensitive to other load than wall time)\n' \
	"$(ratio "$(median "${b_cpu[@]}")" "$(median "${a_cpu[@]}")")"

# ---- with revocation: the intermediate's CRL (450,000 entries, ≈ 15.8 MB), every fourth leaf on it ----
echo
echo "== with revocation: the same leaves, the 1,000-CA store and the intermediate's CRL"
CRL=$IN/crl.der
NREV=$(wc -l <"$IN/revoked.txt")
openssl crl -inform DER -in "$CRL" -out "$WORK/crl.pem"
"$CERTFLEET" init >/dev/null
"$CERTFLEET" cluster add bench >/dev/null
"$CERTFLEET" node add ucm.bench.example.com --cluster bench --product ucm --publisher --no-defaults >/dev/null
"$CERTFLEET" trust add --node ucm.bench.example.com --store tomcat-trust "$BUNDLE" >/dev/null
# the intermediate, where a CRL upload finds its issuer, outside the store the leaves are checked against
"$CERTFLEET" trust add --node ucm.bench.example.com --store CallManager-trust "$INT" >/dev/null
t0=$(mono)
"$CERTFLEET" crl add "$CRL" >/dev/null
t1=$(mono)
printf '          crl add: %s s (%s bytes, %s entries, its signature checked against the intermediate)\n' \
	"$(sub "$t0" "$t1")" "$(stat -c %s "$CRL")" \
	"$("$CERTFLEET" --json crl list | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["entries"])')"
q_t=() r_t=()
for ((i = 0; i < RUNS; i++)); do
	timed "$WORK/q.out" "$CERTFLEET" validate --batch "$IN/leaves" --node ucm.bench.example.com --store tomcat-trust \
		--untrusted "$INT"
	[[ $RC -eq 0 ]] || { echo "FAILED: validate --batch from the store exited $RC: $(head -c 300 "$WORK/err")" >&2; exit 1; }
	q_t+=("$T")
	timed "$WORK/r.out" "$CERTFLEET" validate --batch "$IN/leaves" --node ucm.bench.example.com --store tomcat-trust \
		--untrusted "$INT" --revocation
	[[ $RC -eq 7 ]] || { echo "FAILED: validate --batch --revocation exited $RC (7 expected): $(head -c 300 "$WORK/err")" >&2; exit 1; }
	r_t+=("$T")
done
Q_T=$(median "${q_t[@]}")
R_T=$(median "${r_t[@]}")
Q_RATE=$(rate "$N" "$Q_T")
R_RATE=$(rate "$N" "$R_T")
# checked outside the timing: exactly the revoked leaves fail, with the rule revoked
"$CERTFLEET" validate --batch "$IN/leaves" --node ucm.bench.example.com --store tomcat-trust --untrusted "$INT" \
	--revocation --json >"$WORK/r.json" || true
python3 - "$WORK/r.json" "$IN/revoked.txt" "$N" <<'PYEOF' || { echo "FAILED: --revocation did not find exactly the revoked leaves" >&2; exit 1; }
import json, os, sys
d = json.load(open(sys.argv[1]))
revoked = set(l.strip() for l in open(sys.argv[2]) if l.strip())
bad = {os.path.basename(i["file"]) for i in d["items"] if not i["ok"]}
rules = {i["outcome"] for i in d["items"] if not i["ok"]}
if len(d["items"]) != int(sys.argv[3]) or bad != revoked or rules != {"revoked"}:
    sys.exit("items %d, failed %d (want %d), rules %r" % (len(d["items"]), len(bad), len(revoked), rules))
PYEOF
printf '(q)  %8.3f s  %9s cert/s   validate --batch DIR --node --store (the store as trust), no revocation (runs: %s)\n' \
	"$Q_T" "$Q_RATE" "${q_t[*]}"
printf '(r)  %8.3f s  %9s cert/s   the same with --revocation: %d of %d revoked, all found (runs: %s)\n' \
	"$R_T" "$R_RATE" "$NREV" "$N" "${r_t[*]}"
# (s) one openssl verify -crl_check process on a sample (it checks the whole CRL's signature per leaf)
(cd "$IN/leaves" && ls) | awk -v n="$CRL_SAMPLE" 'NR <= n' >"$WORK/crl-sample"
cd "$IN/leaves"
# shellcheck disable=SC2046 # one argument per file name
timed "$WORK/s.out" openssl verify -no-CApath -no-CAstore -crl_check -CRLfile "$WORK/crl.pem" -CAfile "$BUNDLE" \
	-untrusted "$INT" $(cat "$WORK/crl-sample")
cd - >/dev/null
S_T=$T
S_REV=$(cat "$WORK/s.out" "$WORK/err" | grep -c 'certificate revoked' || true)
S_WANT=$(grep -cxFf "$WORK/crl-sample" "$IN/revoked.txt" || true)
[[ $S_REV -eq $S_WANT ]] ||
	{ echo "FAILED: openssl verify -crl_check found $S_REV revoked of $CRL_SAMPLE, $S_WANT expected" >&2; exit 1; }
S_RATE=$(rate "$CRL_SAMPLE" "$S_T")
printf '(s)  %8.3f s  %9s cert/s   one openssl verify -crl_check -CRLfile process, %d leaves (%d revoked, as certfleet says)\n' \
	"$S_T" "$S_RATE" "$CRL_SAMPLE" "$S_REV"
R_S=$(ratio "$R_RATE" "$S_RATE")
R_Q=$(awk -v r="$R_RATE" -v q="$Q_RATE" 'BEGIN { printf "%.2f", r / q }')
printf '(r)/(s)  %sx   target >= %dx: %s\n' "$R_S" "$TARGET_R" "$(verdict "$R_S" "$TARGET_R")"
printf '(r)/(q)  %s    target >= %s (within 20 %% of the rate without revocation): %s\n' "$R_Q" "$TARGET_RR" \
	"$(awk -v a="$R_Q" -v t="$TARGET_RR" 'BEGIN { print (a >= t) ? "met" : "MISSED" }')"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
