#!/usr/bin/env bash
# certfleet import benchmark (not a test): 100,000 CA certificates in one PEM bundle imported into
# one trust store, then `cert list` three ways, each next to a standard-tool baseline measured in
# the same run on the same input; on SQLite, on PostgreSQL, or on both with the PostgreSQL/SQLite
# ratio. See bench/README.md for what every line means.
#
# usage: bench/import.sh BUILD_DIR [N] [STORE]    (N defaults to 100000; the targets are for 100000)
#
# STORE: sqlite (the default: a store file in a temporary directory); both (SQLite and a throwaway
# PostgreSQL server started with tests/pg/pgserver.sh, each import on a fresh store, the engines
# taking turns, IMPORT_RUNS times each: 3 by default); or a postgresql:// URL of an empty database
# (its password from PGPASSWORD or ~/.pgpass; one import).
#
# The bundle is generated once by BUILD_DIR/bench/gen_certs and cached as
# ${BENCH_CACHE:-/tmp}/certfleet-bench-N-TAG.pem, TAG being a hash of bench/gen_certs.c, so it is
# regenerated when the generator changes (not on every relink); BENCH_REGEN=1 forces it.
set -euo pipefail

usage() {
	echo "usage: $0 BUILD_DIR [N] [sqlite|both|postgresql://USER@HOST:PORT/DB]" >&2
	exit 2
}
[[ $# -ge 1 && $# -le 3 ]] || usage
BUILD=$1
N=${2:-100000}
STORE_ARG=${3:-sqlite}
CERTFLEET=$BUILD/certfleet
GEN=$BUILD/bench/gen_certs
for exe in "$CERTFLEET" "$GEN"; do
	[[ -x $exe ]] || { echo "$0: $exe not found; build first (make build)" >&2; exit 2; }
done
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive number" >&2; exit 2; }
command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 2; }
case $STORE_ARG in
sqlite) ENGINES=(sqlite) ;;
both) ENGINES=(sqlite postgresql) ;;
postgresql://* | postgres://*) ENGINES=(postgresql) ;;
*) usage ;;
esac
if [[ $STORE_ARG == both ]]; then RUNS_IMPORT=${IMPORT_RUNS:-3}; else RUNS_IMPORT=1; fi
[[ $RUNS_IMPORT =~ ^[1-9][0-9]*$ ]] || { echo "$0: IMPORT_RUNS must be a positive number" >&2; exit 2; }

IMPORT_TARGET=15 # seconds, for 100,000 certificates
LIST_TARGET=1    # seconds
PG_RATIO_TARGET=3 # the PostgreSQL import takes at most this many times the SQLite one
CERTMONGER_RATE=1 # certificates per second (getcert start-tracking, one by one; PERFORMANCE.md)
RUNS=3           # list commands: median of this many runs
SAMPLE=200       # certificates in the process-per-certificate sample

unset CERTFLEET_STORE CERTFLEET_NOW
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench.XXXXXX")
NODE=ucm1.example.com
TS=tomcat-trust

# ---- clocks and measuring ------------------------------------------------------------------

. "$(dirname "$0")/lib.sh"
trap 'pg_stop; rm -rf "$WORK"' EXIT
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a + b }'; }

# timed_runs LABEL CMD...: RUNS runs with stdout to /dev/null; sets MED (median seconds) and the
# list of times in TIMES; fails the benchmark on a non-zero exit.
timed_runs() {
	local label=$1 i
	shift
	local times=()
	for ((i = 0; i < RUNS; i++)); do
		timed /dev/null "$@"
		if [[ $RC -ne 0 ]]; then
			echo "FAILED: $label exited $RC: $(head -c 300 "$WORK/err")" >&2
			exit 1
		fi
		times+=("$T")
	done
	MED=$(median "${times[@]}")
	TIMES="${times[*]}"
	MEDRSS=$RSS
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
verdict() { if lt "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }

# json_items FILE: validates FILE as one JSON object {"items":[...]} and prints the number of
# items, and after a space how many of them are CA certificates in the benchmark's trust store.
json_items() {
	if command -v jq >/dev/null; then
		jq -r --arg ts "$TS" '"\(.items | length) \([.items[] | select(.store == $ts and .ca == true)] | length)"' "$1"
	else
		python3 - "$1" "$TS" <<'EOF'
import json, sys
items = json.load(open(sys.argv[1]))["items"]
print(len(items), sum(1 for i in items if i.get("store") == sys.argv[2] and i.get("ca") is True))
EOF
	fi
}
# check_items FILE WANT WHAT: fails the benchmark unless FILE holds WANT trust CA items.
check_items() {
	local got
	got=$(json_items "$1") || { echo "FAILED: $3 is not valid JSON" >&2; exit 1; }
	if [[ $got != "$2 $2" ]]; then
		echo "FAILED: $3 should hold $2 trust CA items; it holds (items, trust CA items) = ($got)" >&2
		exit 1
	fi
}

# ---- the input --------------------------------------------------------------------------------

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TAG=$(sha256sum "$BENCH_DIR/gen_certs.c" | cut -c1-12)
CACHE=${BENCH_CACHE:-/tmp}/certfleet-bench-$N-$TAG.pem
echo "certfleet import benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2)"
echo "clock: $CLOCK; list figures are the median of $RUNS runs; load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
if [[ ${BENCH_REGEN:-0} == 1 || ! -s $CACHE ]] || [[ $(grep -c -- '-----BEGIN CERTIFICATE-----' "$CACHE") -ne $N ]]; then
	t0=$(mono)
	"$GEN" "$N" "$CACHE"
	t1=$(mono)
	echo "input:    generated $N CA certificates in $(sub "$t0" "$t1") s -> $CACHE"
else
	echo "input:    cached $CACHE"
fi
BUNDLE=$CACHE
SIZE=$(stat -c %s "$BUNDLE")
echo "          $N certificates, $(mib "$SIZE") PEM (EC P-256, CA:TRUE, one root; 1 in 100 expires in < 30 days)"

# expected answers for the checks
if ((N >= 99999)); then FILTERED=100; elif ((N >= 99900)); then FILTERED=$((N - 99899)); else FILTERED=0; fi
EXPIRING=$((N / 100))

# ---- the stores ----------------------------------------------------------------------------------

if [[ $STORE_ARG == both ]]; then
	pg_start
	echo "engines:  SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '(version n/a)') (WAL, synchronous=FULL), file in $WORK;"
	echo "          $(pg_version) on 127.0.0.1, a throwaway server (tests/pg/pgserver.sh) run with $PG_SETTINGS"
elif [[ ${ENGINES[0]} == postgresql ]]; then
	echo "engine:   PostgreSQL at $STORE_ARG (given; the server's CPU is not measured)"
fi

cf() { "$CERTFLEET" --store "$STORE" "$@"; }
# fresh_store ENGINE RUN: a new, empty store of the engine in STORE, with the benchmark's node.
fresh_store() {
	case $1 in
	sqlite) STORE=$WORK/store-$2.db ;;
	postgresql) if [[ $STORE_ARG == both ]]; then STORE=$(pg_fresh "bench_$2"); else STORE=$STORE_ARG; fi ;;
	esac
	local have
	have=$("$CERTFLEET" --store "$STORE" --json node list 2>/dev/null | tr -d ' \n' || true)
	if [[ $1 == postgresql && $STORE_ARG != both && $have != '{"items":[]}' && -n $have ]]; then
		echo "$0: $STORE_ARG already holds a store; give an empty database" >&2
		exit 2
	fi
	cf init >/dev/null
	cf cluster add c >/dev/null
	cf node add "$NODE" --cluster c --product ucm --no-defaults >/dev/null
}

# ---- import: each engine on a fresh store, the engines taking turns ---------------------------------

declare -A IMPORT_TIMES IMPORT_RSS IMPORT_CPU IMPORT_SRV LAST_STORE
for e in "${ENGINES[@]}"; do IMPORT_TIMES[$e]=""; IMPORT_CPU[$e]=""; IMPORT_SRV[$e]=""; IMPORT_RSS[$e]=0; done
echo
echo "== certfleet: import"
for ((run = 1; run <= RUNS_IMPORT; run++)); do
	for e in "${ENGINES[@]}"; do
		fresh_store "$e" "$run"
		srv0=""
		[[ $e == postgresql && -n $PGDIR ]] && srv0=$(pg_cpu)
		timed "$WORK/import.out" "$CERTFLEET" --store "$STORE" trust add --node "$NODE" --store "$TS" "$BUNDLE"
		if [[ $RC -ne 0 ]]; then
			printf 'import    FAILED on %s (exit %d after %.3f s): %s\n' "$e" "$RC" "$T" "$(head -n 1 "$WORK/err")"
			exit 1
		fi
		srv="-"
		if [[ -n $srv0 ]]; then
			pg_idle "bench_$run"
			srv=$(awk -v a="$srv0" -v b="$(pg_cpu)" 'BEGIN { printf "%.2f", b - a }')
		fi
		IMPORT_TIMES[$e]+="$T "
		IMPORT_CPU[$e]+="$CPU "
		IMPORT_SRV[$e]+="$srv "
		[[ $RSS == n/a ]] || IMPORT_RSS[$e]=$(awk -v a="${IMPORT_RSS[$e]}" -v b="$RSS" 'BEGIN { print (a > b ? a : b) }')
		LAST_STORE[$e]=$STORE
		if [[ $srv == - ]]; then
			printf 'import    %-10s %8.3f s  cpu %s s  peak %s KB   trust add, one %s bundle of %d (run %d)\n' \
				"$e" "$T" "$CPU" "$RSS" "$(mib "$SIZE")" "$N" "$run"
		else
			printf 'import    %-10s %8.3f s  cpu %s s + server %s s  peak %s KB   trust add, one %s bundle of %d (run %d)\n' \
				"$e" "$T" "$CPU" "$srv" "$RSS" "$(mib "$SIZE")" "$N" "$run"
		fi
	done
done
declare -A IMPORT_T IMPORT_C
for e in "${ENGINES[@]}"; do
	# shellcheck disable=SC2086
	IMPORT_T[$e]=$(median ${IMPORT_TIMES[$e]})
	# the CPU of the median run: certfleet's, plus the server's on PostgreSQL
	read -r -a ts <<<"${IMPORT_TIMES[$e]}"
	read -r -a cs <<<"${IMPORT_CPU[$e]}"
	read -r -a ss <<<"${IMPORT_SRV[$e]}"
	for i in "${!ts[@]}"; do
		if [[ ${ts[$i]} == "${IMPORT_T[$e]}" ]]; then
			if [[ ${ss[$i]} == - || ${cs[$i]} == n/a ]]; then IMPORT_C[$e]=${cs[$i]}; else IMPORT_C[$e]=$(add "${cs[$i]}" "${ss[$i]}"); fi
			break
		fi
	done
	if ((RUNS_IMPORT > 1)); then
		printf 'import    %-10s %8.3f s  median of %d (runs: %s); cpu of that run %s s\n' "$e" "${IMPORT_T[$e]}" \
			"$RUNS_IMPORT" "${IMPORT_TIMES[$e]% }" "${IMPORT_C[$e]}"
	fi
done

# ---- correctness, once per engine, outside the timing -------------------------------------------------

for e in "${ENGINES[@]}"; do
	STORE=${LAST_STORE[$e]}
	cf cert list --json >"$WORK/list.json"
	check_items "$WORK/list.json" "$N" "cert list --json ($e)"
	cf cert list --json --store "$TS" --begins-with "Bench CA 0999" >"$WORK/filtered.json"
	check_items "$WORK/filtered.json" "$FILTERED" "the filtered list ($e)"
	cf cert list --json --expiring 30 >"$WORK/expiring.json"
	check_items "$WORK/expiring.json" "$EXPIRING" "cert list --json --expiring 30 ($e)"
	echo "checked   $e: cert list --json: valid JSON, $N items; filtered: $FILTERED items; expiring: $EXPIRING items"
	rm -f "$WORK/list.json"
done

# ---- lists, the engines taking turns line by line --------------------------------------------------

echo
echo "== certfleet: lists"
declare -A LIST_T FILT_T EXP_T REVAL_T
for what in list filtered expiring revalid; do
	for e in "${ENGINES[@]}"; do
		STORE=${LAST_STORE[$e]}
		case $what in
		list)
			timed_runs "cert list --json ($e)" "$CERTFLEET" --store "$STORE" cert list --json
			LIST_T[$e]=$MED
			printf 'list      %-10s %8.3f s  peak %s KB   cert list --json (%s items; runs: %s)\n' "$e" "$MED" "$MEDRSS" "$N" "$TIMES"
			;;
		filtered)
			timed_runs "filtered list ($e)" "$CERTFLEET" --store "$STORE" cert list --json --store "$TS" --begins-with "Bench CA 0999"
			FILT_T[$e]=$MED
			printf 'filtered  %-10s %8.3f s  peak %s KB   cert list --json --store %s --begins-with "Bench CA 0999" (%d items)\n' \
				"$e" "$MED" "$MEDRSS" "$TS" "$FILTERED"
			;;
		expiring)
			timed_runs "expiring list ($e)" "$CERTFLEET" --store "$STORE" cert list --expiring 30
			EXP_T[$e]=$MED
			printf 'expiring  %-10s %8.3f s  peak %s KB   cert list --expiring 30 (%d items, text)\n' "$e" "$MED" "$MEDRSS" "$EXPIRING"
			;;
		revalid)
			timed_runs "stored re-validation ($e)" "$CERTFLEET" --store "$STORE" validate --stored
			REVAL_T[$e]=$MED
			printf 'revalid   %-10s %8.3f s  peak %s KB   validate --stored (expiry + trust anchor presence of all %s, from stored facts)\n' \
				"$e" "$MED" "$MEDRSS" "$N"
			;;
		esac
	done
done

# ---- baselines: standard tools on the same bundle ---------------------------------------------------

echo
echo "== baselines (same bundle, same run)"
timed "$WORK/storeutl.out" openssl storeutl -noout -certs "$BUNDLE"
[[ $RC -eq 0 ]] || { echo "FAILED: openssl storeutl: $(head -n 1 "$WORK/err")" >&2; exit 1; }
STOREUTL_T=$T
printf 'openssl   %8.3f s  peak %s KB   openssl storeutl -noout -certs bundle.pem (one process decodes all %s; %s)\n' \
	"$T" "$RSS" "$N" "$(tail -n 1 "$WORK/storeutl.out")"
timed /dev/null openssl crl2pkcs7 -nocrl -certfile "$BUNDLE" -outform DER -out /dev/null
[[ $RC -eq 0 ]] || { echo "FAILED: openssl crl2pkcs7: $(head -n 1 "$WORK/err")" >&2; exit 1; }
CRL2P7_T=$T
printf 'openssl   %8.3f s  peak %s KB   openssl crl2pkcs7 -nocrl -certfile bundle.pem (loads all %s into memory, writes one PKCS#7)\n' \
	"$T" "$RSS" "$N"

# one process per certificate, measured on a sample and extrapolated
awk -v max="$SAMPLE" -v pfx="$WORK/one." '
	n >= max { exit }
	{ print > (pfx n ".pem") }
	/^-----END CERTIFICATE-----/ { close(pfx n ".pem"); n++ }' "$BUNDLE"
ones=("$WORK"/one.*.pem)
SAMPLE=${#ones[@]}
t0=$(mono)
for f in "${ones[@]}"; do
	openssl x509 -noout -subject -enddate -in "$f" >/dev/null
done
t1=$(mono)
ONE_T=$(sub "$t0" "$t1")
ONE_RATE=$(awk -v n="$SAMPLE" -v t="$ONE_T" 'BEGIN { printf "%.1f", n / t }')
PERPROC_T=$(awk -v n="$N" -v r="$ONE_RATE" 'BEGIN { printf "%.0f", n / r }')
printf 'openssl   %8s s  (extrapolated) a process per certificate: openssl x509 -noout -subject -enddate, %s/s on %d\n' \
	"$PERPROC_T" "$ONE_RATE" "$SAMPLE"
CERTMONGER_T=$((N / CERTMONGER_RATE))
printf 'certmonger %7s s  (quoted, not measured) getcert start-tracking one by one at ~%d/s\n' "$CERTMONGER_T" "$CERTMONGER_RATE"

# ---- ratios and targets ---------------------------------------------------------------------------------

echo
echo "== ratios (baseline time / certfleet time; above 1 means certfleet is faster)"
for e in "${ENGINES[@]}"; do
	printf 'import    %-10s vs openssl storeutl %sx   vs openssl crl2pkcs7 %sx   vs process per cert %sx   vs certmonger %sx\n' \
		"$e" "$(ratio "$STOREUTL_T" "${IMPORT_T[$e]}")" "$(ratio "$CRL2P7_T" "${IMPORT_T[$e]}")" \
		"$(ratio "$PERPROC_T" "${IMPORT_T[$e]}")" "$(ratio "$CERTMONGER_T" "${IMPORT_T[$e]}")"
	printf 'list      %-10s vs openssl storeutl %sx   (re-reading the bundle is what listing it takes without a store)\n' \
		"$e" "$(ratio "$STOREUTL_T" "${LIST_T[$e]}")"
	printf 'filtered  %-10s vs openssl storeutl %sx\n' "$e" "$(ratio "$STOREUTL_T" "${FILT_T[$e]}")"
	printf 'expiring  %-10s vs openssl storeutl %sx\n' "$e" "$(ratio "$STOREUTL_T" "${EXP_T[$e]}")"
done
if [[ $STORE_ARG == both ]]; then
	PG_RATIO=$(ratio "${IMPORT_T[postgresql]}" "${IMPORT_T[sqlite]}")
	echo
	echo "== PostgreSQL / SQLite (time on PostgreSQL / time on SQLite, same run; below 1 means PostgreSQL is faster)"
	printf 'import    %sx (median %s s / %s s)   cpu %sx (certfleet + server %s s / %s s)\n' "$PG_RATIO" \
		"${IMPORT_T[postgresql]}" "${IMPORT_T[sqlite]}" "$(ratio "${IMPORT_C[postgresql]}" "${IMPORT_C[sqlite]}")" \
		"${IMPORT_C[postgresql]}" "${IMPORT_C[sqlite]}"
	printf 'list      %sx   filtered %sx   expiring %sx   revalid %sx\n' "$(ratio "${LIST_T[postgresql]}" "${LIST_T[sqlite]}")" \
		"$(ratio "${FILT_T[postgresql]}" "${FILT_T[sqlite]}")" "$(ratio "${EXP_T[postgresql]}" "${EXP_T[sqlite]}")" \
		"$(ratio "${REVAL_T[postgresql]}" "${REVAL_T[sqlite]}")"
fi

echo
if ((N == 100000)); then
	echo "== targets (100,000 certificates, this 2-core machine)"
	for e in "${ENGINES[@]}"; do
		printf 'import    %-10s < %2d s: %s (%s s)\n' "$e" "$IMPORT_TARGET" "$(verdict "${IMPORT_T[$e]}" "$IMPORT_TARGET")" "${IMPORT_T[$e]}"
		printf 'list      %-10s < %2d s: %s (%s s)\n' "$e" "$LIST_TARGET" "$(verdict "${LIST_T[$e]}" "$LIST_TARGET")" "${LIST_T[$e]}"
		printf 'filtered  %-10s < %2d s: %s (%s s)\n' "$e" "$LIST_TARGET" "$(verdict "${FILT_T[$e]}" "$LIST_TARGET")" "${FILT_T[$e]}"
		printf 'expiring  %-10s < %2d s: %s (%s s)\n' "$e" "$LIST_TARGET" "$(verdict "${EXP_T[$e]}" "$LIST_TARGET")" "${EXP_T[$e]}"
		printf 'revalid   %-10s < 0.2 s: %s (%s s)\n' "$e" "$(verdict "${REVAL_T[$e]}" 0.2)" "${REVAL_T[$e]}"
	done
	if [[ $STORE_ARG == both ]]; then
		if le "$PG_RATIO" "$PG_RATIO_TARGET"; then v=met; else v=MISSED; fi
		printf 'import    postgresql <= %dx sqlite: %s (%sx)\n' "$PG_RATIO_TARGET" "$v" "$PG_RATIO"
	fi
else
	echo "== targets apply to N = 100000 (this run: N = $N)"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
