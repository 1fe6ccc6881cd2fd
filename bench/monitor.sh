#!/usr/bin/env bash
# certfleet expiry monitor benchmark (not a test): one `certfleet monitor run --now T --json` pass
# over a store holding the 100,000 CA certificates of bench/import.sh's bundle, at times when all
# of them, 1 % of them and none of them are due, next to standard tools answering the same
# question ("which of these expire within 30 days of T?") on the same certificates in the same
# run. See bench/README.md for what every line means.
#
# usage: bench/monitor.sh BUILD_DIR [N]       (N defaults to 100000; the target is for 100000)
#
# The bundle is bench/import.sh's: generated once by BUILD_DIR/bench/gen_certs and cached as
# ${BENCH_CACHE:-/tmp}/certfleet-bench-N-TAG.pem (TAG: a hash of bench/gen_certs.c); BENCH_REGEN=1
# forces a new one.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
	echo "usage: $0 BUILD_DIR [N]" >&2
	exit 2
fi
BUILD=$1
N=${2:-100000}
GEN=$BUILD/bench/gen_certs
for exe in "$BUILD/certfleet" "$GEN"; do
	[[ -x $exe ]] || { echo "$0: $exe not found; build first (make build)" >&2; exit 2; }
done
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive number" >&2; exit 2; }
for tool in openssl python3; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

PASS_TARGET=1 # seconds, one pass over 100,000 certificates
RUNS=3        # monitor passes: median of this many runs, each on a fresh copy of the store
SAMPLE=200    # certificates in the process-per-certificate sample
START=30      # the monitor's default start window, days

unset CERTFLEET_STORE CERTFLEET_NOW
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench.XXXXXX")
SINK_PID=""
trap '[[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
CERTFLEET=$WORK/certfleet
cp "$BUILD/certfleet" "$CERTFLEET" # a rebuild during the run must not swap the binary under it
BASE=$WORK/base.db
STORE=$WORK/store.db
NODE=ucm1.example.com
TS=tomcat-trust

. "$(dirname "$0")/lib.sh"
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
verdict() { if lt "$1" "$2"; then echo "met"; else echo "MISSED"; fi; }
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
PY=python3
[[ -x /usr/bin/python3 ]] && PY=/usr/bin/python3 # the system's (aiosmtpd), not a version manager's shim

# ---- the input (bench/import.sh's bundle and cache) ---------------------------------------------

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TAG=$(sha256sum "$BENCH_DIR/gen_certs.c" | cut -c1-12)
CACHE=${BENCH_CACHE:-/tmp}/certfleet-bench-$N-$TAG.pem
echo "certfleet monitor benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2)"
echo "clock: $CLOCK; monitor passes are the median of $RUNS runs, each on a fresh copy of the store;" \
	"load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
if [[ ${BENCH_REGEN:-0} == 1 || ! -s $CACHE ]] || [[ $(grep -c -- '-----BEGIN CERTIFICATE-----' "$CACHE") -ne $N ]]; then
	t0=$(mono)
	"$GEN" "$N" "$CACHE"
	t1=$(mono)
	echo "input:    generated $N CA certificates in $(sub "$t0" "$t1") s -> $CACHE"
else
	echo "input:    cached $CACHE"
fi
BUNDLE=$CACHE

# ---- the store ------------------------------------------------------------------------------------

cf() { "$CERTFLEET" --store "$BASE" "$@"; }
cf init >/dev/null
cf cluster add c >/dev/null
cf node add "$NODE" --cluster c --product ucm --no-defaults >/dev/null
timed /dev/null "$CERTFLEET" --store "$BASE" trust add --node "$NODE" --store "$TS" "$BUNDLE"
[[ $RC -eq 0 ]] || { echo "FAILED: trust add exited $RC: $(head -n 1 "$WORK/err")" >&2; exit 1; }
printf 'store:    %d certificates imported into %s of %s in %.2f s (trust add, not timed here)\n' "$N" "$TS" "$NODE" "$T"
cf monitor config --email off --start-days "$START" >/dev/null

# The oracle, outside the timing: every certificate's not_after from `cert list --json`, and the
# three times of the passes: LATE (every certificate inside the window or expired), FEW (only the
# short-lived 1 % inside the window: 10 days before the soonest expiry), NONE (40 days before it).
cf cert list --json >"$WORK/list.json"
"$PY" - "$WORK/list.json" >"$WORK/times" <<'EOF'
import json, sys, datetime
ts = [int(datetime.datetime.strptime(c["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(
      tzinfo=datetime.timezone.utc).timestamp()) for c in json.load(open(sys.argv[1]))["items"]]
with open(sys.argv[1] + ".epochs", "w") as f:
    f.write("\n".join(map(str, ts)) + "\n")
print(max(ts) - 10 * 86400, min(ts) - 10 * 86400, min(ts) - 40 * 86400)
EOF
read -r LATE FEW NONE <"$WORK/times"
# expected WHEN: how many certificates expire by WHEN + START days (due at WHEN)
expected() { awk -v lim=$(($1 + START * 86400)) '$1 <= lim { n++ } END { print n + 0 }' "$WORK/list.json.epochs"; }
E_LATE=$(expected "$LATE")
E_FEW=$(expected "$FEW")
E_NONE=$(expected "$NONE")
rm -f "$WORK/list.json"
echo "times:    all due at $(rfc "$LATE") ($E_LATE), few at $(rfc "$FEW") ($E_FEW), none at $(rfc "$NONE") ($E_NONE);" \
	"window $START days, e-mail off"

# check_run FILE WANT_DUE WANT_SENT WHAT: the run's JSON holds WANT_DUE due, WANT_SENT sent, none queued
check_run() {
	local got
	got=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["due"]), d["sent"], d["queued"])' "$1") ||
		{ echo "FAILED: $4: the output is not the run's JSON" >&2; exit 1; }
	if [[ $got != "$2 $3 0" ]]; then
		echo "FAILED: $4: (due, sent, queued) = ($got), expected ($2 $3 0)" >&2
		exit 1
	fi
}

# pass LABEL WHEN WANT [SETUP...]: RUNS monitor passes at WHEN, each on a fresh copy of the base
# store (copied, and SETUP run on it, outside the timing); checks every run; sets MED, TIMES, MEDRSS.
pass() {
	local label=$1 when=$2 want=$3 i times=() rss=()
	shift 3
	for ((i = 0; i < RUNS; i++)); do
		cp "$BASE" "$STORE"
		(($# == 0)) || "$CERTFLEET" --store "$STORE" "$@" >/dev/null
		timed "$WORK/run.json" "$CERTFLEET" --store "$STORE" "${JSONOPT[@]}" monitor run --now "$(rfc "$when")"
		[[ $RC -eq 0 ]] || { echo "FAILED: $label exited $RC: $(grep -v '^certfleet: monitor: ' "$WORK/err" | head -c 300)" >&2; exit 1; }
		if ((${#JSONOPT[@]} > 0)); then
			check_run "$WORK/run.json" "$want" "$want" "$label"
		elif [[ $(grep -c '^certfleet: monitor: ' "$WORK/err" || true) -ne $want ]]; then
			echo "FAILED: $label: $(grep -c '^certfleet: monitor: ' "$WORK/err" || true) notification lines, expected $want" >&2
			exit 1
		fi
		times+=("$T")
		rss+=("$RSS")
	done
	MED=$(median "${times[@]}")
	TIMES="${times[*]}"
	MEDRSS=$(median "${rss[@]}")
	NOTES=$(grep -c '^certfleet: monitor: ' "$WORK/err" || true)
}

echo
echo "== certfleet monitor run --now T --json (e-mail off: each notification is its stderr line)"
JSONOPT=(--json)
pass "all due" "$LATE" "$E_LATE"
ALL_T=$MED
printf 'all       %8.3f s  peak %s KB   %d of %d due and notified (%d stderr lines; runs: %s)\n' \
	"$ALL_T" "$MEDRSS" "$E_LATE" "$N" "$NOTES" "$TIMES"
JSONOPT=()
pass "all due, text" "$LATE" "$E_LATE"
printf 'all-text  %8.3f s  peak %s KB   the same without --json (the notification lines only; runs: %s)\n' \
	"$MED" "$MEDRSS" "$TIMES"
JSONOPT=(--json)
# the steady state: every certificate in the window already notified, nothing due a minute later
cp "$BASE" "$STORE"
"$CERTFLEET" --store "$STORE" --json monitor run --now "$(rfc "$LATE")" >/dev/null 2>&1
times=()
for ((i = 0; i < RUNS; i++)); do
	timed "$WORK/run.json" "$CERTFLEET" --store "$STORE" --json monitor run --now "$(rfc $((LATE + 60 + i)))"
	[[ $RC -eq 0 ]] || { echo "FAILED: the pass after exited $RC: $(head -c 300 "$WORK/err")" >&2; exit 1; }
	check_run "$WORK/run.json" 0 0 "the pass a minute later"
	times+=("$T")
done
AGAIN_T=$(median "${times[@]}")
printf 'again     %8.3f s  peak %s KB   a minute later: all %d in the window, each notified, none due (runs: %s)\n' \
	"$AGAIN_T" "$RSS" "$E_LATE" "${times[*]}"
pass "few due" "$FEW" "$E_FEW"
FEW_T=$MED
printf 'few       %8.3f s  peak %s KB   %d of %d due (runs: %s)\n' "$FEW_T" "$MEDRSS" "$E_FEW" "$N" "$TIMES"
pass "none due" "$NONE" "$E_NONE"
NONE_T=$MED
printf 'none      %8.3f s  peak %s KB   %d of %d due (runs: %s)\n' "$NONE_T" "$MEDRSS" "$E_NONE" "$N" "$TIMES"

# the few-due pass with e-mail on: one digest to a local aiosmtpd sink (plain SMTP on loopback)
MAIL_T=""
if "$PY" -c 'import aiosmtpd' 2>/dev/null; then
	PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$WORK/mail"
	"$PY" "$BENCH_DIR/../tests/integration/smtpd_starttls.py" "$PORT" - - "$WORK/mail" >"$WORK/sink.log" 2>&1 &
	SINK_PID=$!
	for ((i = 0; i < 100; i++)); do
		grep -q READY "$WORK/sink.log" 2>/dev/null && break
		sleep 0.1
	done
	pass "few due, mailed" "$FEW" "$E_FEW" monitor config --email on --emails ops@example.com \
		--smtp "127.0.0.1:$PORT" --smtp-tls none
	MAIL_T=$MED
	NMAIL=$(find "$WORK/mail" -name '*.eml' | wc -l)
	[[ $NMAIL -eq $RUNS ]] || { echo "FAILED: the sink received $NMAIL messages, expected $RUNS" >&2; exit 1; }
	SIZE=$(stat -c %s "$(find "$WORK/mail" -name '*.eml' | head -n 1)")
	printf 'mailed    %8.3f s  peak %s KB   %d due, one %d-byte digest delivered to aiosmtpd on loopback (runs: %s)\n' \
		"$MAIL_T" "$MEDRSS" "$E_FEW" "$SIZE" "$TIMES"
	kill "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=""
else
	echo "mailed    skipped: python3-aiosmtpd is not installed"
fi

# ---- baselines: standard tools on the same certificates ---------------------------------------------

echo
echo "== baselines (same certificates, same run): which expire within $START days of $(rfc "$LATE")?"
LIM=$(date -u -d "@$((LATE + START * 86400))" +%Y%m%d%H%M%S)
# one openssl process decodes the whole bundle and prints every certificate as text; awk keeps
# the subject of each whose Not After is at or before the limit
timed "$WORK/storeutl.out" bash -c '
	openssl storeutl -noout -text -certs "$1" | awk -v lim="$2" "
		BEGIN { split(\"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec\", m, \" \"); for (i = 1; i <= 12; i++) mon[m[i]] = i }
		\$1 == \"Not\" && \$2 == \"After\" { split(\$6, t, \":\"); na = sprintf(\"%04d%02d%02d%02d%02d%02d\", \$7, mon[\$4], \$5, t[1], t[2], t[3]) }
		\$1 == \"Subject:\" { if (na != \"\" && na <= lim) print; na = \"\" }"' _ "$BUNDLE" "$LIM"
[[ $RC -eq 0 ]] || { echo "FAILED: openssl storeutl | awk: $(head -n 1 "$WORK/err")" >&2; exit 1; }
STOREUTL_T=$T
GOT=$(wc -l <"$WORK/storeutl.out")
[[ $GOT -eq $E_LATE ]] || { echo "FAILED: openssl storeutl | awk found $GOT, certfleet and the oracle $E_LATE" >&2; exit 1; }
rm -f "$WORK/storeutl.out"
printf 'openssl   %8.3f s  peak %s KB   openssl storeutl -noout -text -certs bundle.pem | awk (Not After <= limit): %d, the same answer\n' \
	"$STOREUTL_T" "$RSS" "$GOT"

# a process per certificate, the cron-script way, on a sample and extrapolated
awk -v max="$SAMPLE" -v pfx="$WORK/one." '
	n >= max { exit }
	{ print > (pfx n ".pem") }
	/^-----END CERTIFICATE-----/ { close(pfx n ".pem"); n++ }' "$BUNDLE"
ones=("$WORK"/one.*.pem)
SAMPLE=${#ones[@]}
SECS=$((LATE + START * 86400 - $(date +%s))) # -checkend counts from the real clock
WILL=0
t0=$(mono)
for f in "${ones[@]}"; do
	openssl x509 -noout -subject -checkend "$SECS" -in "$f" >/dev/null || WILL=$((WILL + 1))
done
t1=$(mono)
[[ $WILL -eq $SAMPLE ]] || { echo "FAILED: openssl x509 -checkend: $WILL of $SAMPLE will expire, expected all" >&2; exit 1; }
ONE_T=$(sub "$t0" "$t1")
ONE_RATE=$(awk -v n="$SAMPLE" -v t="$ONE_T" 'BEGIN { printf "%.1f", n / t }')
PERPROC_T=$(awk -v n="$N" -v r="$ONE_RATE" 'BEGIN { printf "%.0f", n / r }')
printf 'openssl   %8s s  (extrapolated) a process per certificate: openssl x509 -noout -subject -checkend S, %s/s on %d (all %d: will expire)\n' \
	"$PERPROC_T" "$ONE_RATE" "$SAMPLE" "$WILL"

# ---- ratios and the target ----------------------------------------------------------------------------

echo
echo "== ratios (baseline time / certfleet time; above 1 means certfleet is faster)"
printf 'all       vs openssl storeutl | awk %sx   vs a process per certificate %sx\n' \
	"$(ratio "$STOREUTL_T" "$ALL_T")" "$(ratio "$PERPROC_T" "$ALL_T")"
printf 'few       vs openssl storeutl | awk %sx   (the baseline reads every certificate whatever is due)\n' \
	"$(ratio "$STOREUTL_T" "$FEW_T")"
echo
if ((N == 100000)); then
	echo "== target (100,000 certificates, this $(nproc)-core machine)"
	printf 'all       < %d s: %s (%s s)\n' "$PASS_TARGET" "$(verdict "$ALL_T" "$PASS_TARGET")" "$ALL_T"
	printf 'again     < %d s: %s (%s s)\n' "$PASS_TARGET" "$(verdict "$AGAIN_T" "$PASS_TARGET")" "$AGAIN_T"
	printf 'few       < %d s: %s (%s s)\n' "$PASS_TARGET" "$(verdict "$FEW_T" "$PASS_TARGET")" "$FEW_T"
else
	echo "== the target applies to N = 100000 (this run: N = $N)"
fi
