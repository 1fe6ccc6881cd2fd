#!/usr/bin/env bash
# OCSP responder benchmark (not a test; SPEC §12: certfleetd's responder ≥ 5× `openssl ocsp -multi
# 2` on the same index): one CA (RSA-2048, made with openssl and imported, so both responders sign
# with the same key) and N certificates issued by `certfleet ca issue --batch`; OCSP requests made
# by `openssl ocsp -reqout -no_nonce` (SHA-1 CertIDs) for a sample of them; one load generator
# (BUILD_DIR/bench/ocsp_load: C connections, HTTP/1.1 keep-alive, one thread) against certfleetd
# --pki-listen (POST /ocsp/NAME, answers signed ahead by its ca-ocsp duty) and against `openssl ocsp
# -index index.txt -multi 2` on an index listing the same N certificates, in one run, the two
# taking turns. Each responder's answers are checked with `openssl ocsp` (Response verify OK, good)
# before anything is timed, and every answer timed is checked by the generator (HTTP 200,
# successful, the request's CertID, good). See bench/README.md ("OCSP responder").
#
# usage: bench/ocsp.sh BUILD_DIR [N_CERTS] [SECONDS]     (1000 certificates, 10 s a run by default)
#
# environment: OCSP_RUNS (timed runs of each responder, alternated, default 3; the medians are
# compared), OCSP_CONNECTIONS (16), OCSP_SAMPLE (requests, default 200), OCSP_PERF=FILE (after the
# timed runs, one more certfleetd run, not counted, recorded by `perf record -g` into FILE).
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [N_CERTS] [SECONDS]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 3 ]] || usage
BUILD=$1
N=${2:-1000}
SECS=${3:-10}
RUNS=${OCSP_RUNS:-3}
CONNS=${OCSP_CONNECTIONS:-16}
SAMPLE=${OCSP_SAMPLE:-200}
WARMUP=1 # seconds of each run not counted (connections made, caches warm)
TARGET=5
for v in "$N" "$SECS" "$RUNS" "$CONNS" "$SAMPLE"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "$0: N_CERTS, SECONDS, OCSP_RUNS, OCSP_CONNECTIONS and OCSP_SAMPLE are positive numbers" >&2; exit 2; }
done
((SAMPLE <= N)) || SAMPLE=$N
for exe in "$BUILD/certfleet" "$BUILD/certfleetd" "$BUILD/bench/ocsp_load"; do
	[[ -x $exe ]] || { echo "$0: $exe not found; build first (make build)" >&2; exit 2; }
done
for tool in openssl python3; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done
unset CERTFLEET_STORE CERTFLEET_NOW

WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench-ocsp.XXXXXX")
DPID=""
OPID=""
PERFPID=""
cleanup() {
	[[ -z $PERFPID ]] || kill -INT "$PERFPID" 2>/dev/null || true
	[[ -z $DPID ]] || { kill "$DPID" 2>/dev/null || true; wait "$DPID" 2>/dev/null || true; }
	# openssl ocsp -multi: the parent respawns a worker that dies, so the whole group is stopped
	[[ -z $OPID ]] || { kill -- -"$OPID" 2>/dev/null || true; wait "$OPID" 2>/dev/null || true; }
	rm -rf "$WORK"
}
trap cleanup EXIT
# The binaries are copied first, so a rebuild during the run cannot swap them.
cp "$BUILD/certfleet" "$BUILD/certfleetd" "$BUILD/bench/ocsp_load" "$WORK/"
CERTFLEET=$WORK/certfleet
CERTFLEETD=$WORK/certfleetd
LOAD=$WORK/ocsp_load
. "$(dirname "$0")/lib.sh"
cd "$WORK"

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# field NAME LINE: NAME's value in ocsp_load's NAME=VALUE line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
# cpu PID...: CPU seconds (user + system) the processes have used so far
cpu() {
	local p
	for p in "$@"; do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || true; done |
		awk -v hz="$(getconf CLK_TCK)" '{ t += $12 + $13 } END { printf "%.2f", t / hz }'
}
# group PID: PID and its children
group() { echo "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null || true); }
# oracle WHAT URL: `openssl ocsp` asks URL about three of the sample (first, middle, last) and must
# say "Response verify OK" and "good" for each.
oracle() {
	local k out
	for k in "${PICK[@]}"; do
		out=$(openssl ocsp -issuer ca.pem -cert "out/$k.pem" -url "$2" -CAfile ca.pem -no_nonce 2>&1) ||
			fail "$1: openssl ocsp could not ask about certificate $k: $(tail -n 2 <<<"$out")"
		grep -q '^Response verify OK' <<<"$out" && grep -q "^out/$k.pem: good" <<<"$out" ||
			fail "$1: openssl ocsp on certificate $k: $(tr '\n' ' ' <<<"$out" | head -c 300)"
	done
}
# precheck WHAT HOST:PORT TAG: every request of the sample sent through the generator (two rounds, no
# error allowed), then the first answer to three of them checked by `openssl ocsp -respin`.
precheck() {
	local line k out dir=$WORK/answers-$3
	line=$("$LOAD" -c "$CONNS" -n $((2 * SAMPLE)) -d 60 -o "$dir" "$2" "$OCSP_PATH" req) ||
		fail "$1: the generator's check run: $line"
	for k in "${PICK[@]}"; do
		out=$(openssl ocsp -respin "$dir/$k.der" -issuer ca.pem -cert "out/$k.pem" -CAfile ca.pem 2>&1) || true
		grep -q '^Response verify OK' <<<"$out" && grep -q "^out/$k.pem: good" <<<"$out" ||
			fail "$1: the answer the generator got for certificate $k: $(tr '\n' ' ' <<<"$out" | head -c 300)"
	done
	BYTES[$3]=$(stat -c %s "$dir/${PICK[0]}.der")
}
# idle_check PIDS...: openssl ocsp's processes, with no request to answer, use no CPU for a second. A
# worker that does is stuck on a connection closed before its request (openssl/openssl#31129, see
# ocsp_load.c) and would make the runs after it slower.
idle_check() {
	local c0
	c0=$(cpu "$@")
	sleep 1
	[[ $(awk -v a="$c0" -v b="$(cpu "$@")" 'BEGIN { print (b - a < 0.2) }') == 1 ]] ||
		fail "an openssl ocsp worker is busy with no request: $(ps -o pid,stat,time,args -p "$(tr ' ' ',' <<<"$*")" | tail -n +2)"
}

echo "certfleet OCSP responder benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2)"
echo "$N certificates, $SAMPLE requests (SHA-1 CertIDs, no nonce), $CONNS connections, $RUNS runs of ${SECS} s (+${WARMUP} s warm-up) each side; load average at start: $(load)"

# ---- the CA, the certificates, the store --------------------------------------------------------------
t0=$(mono)
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/O=Bench/CN=Bench OCSP CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key 2>/dev/null
mkdir csr out req
# one request, linked N times: OCSP looks at the serial only, and N openssl processes would cost more
# than everything else here
openssl req -new -key leaf.key -subj "/CN=phone.example.com" -addext "subjectAltName=DNS:phone.example.com" \
	-out leaf.csr 2>/dev/null
for ((k = 1; k <= N; k++)); do ln leaf.csr "csr/$k.csr"; done

PKI_PORT=$(free_port)
API_PORT=$(free_port)
OCSP_PORT=$(free_port)
OCSP_PATH=/ocsp/bench
export CERTFLEET_STORE=$WORK/store.db
"$CERTFLEET" init >/dev/null
"$CERTFLEET" cluster add c >/dev/null # certfleetd serves its API with a publisher's identity
"$CERTFLEET" node add ucm1.example.com --cluster c --product ucm --publisher >/dev/null
"$CERTFLEET" ca import bench --cert ca.pem --key ca.key >/dev/null
"$CERTFLEET" ca config bench --base-url "http://127.0.0.1:$PKI_PORT" >/dev/null
"$CERTFLEET" ca issue --ca bench --profile tomcat --batch csr --out out >/dev/null
[[ $(ls out | wc -l) -eq $N ]] || fail "certfleet ca issue --batch wrote $(ls out | wc -l) of $N certificates"
[[ $(openssl verify -CAfile ca.pem "out/1.pem" "out/$N.pem" 2>&1 | grep -c ': OK$') -eq 2 ]] || fail "the certificates do not verify"

# the same N certificates as an openssl index (V, notAfter, no revocation time, serial, file, subject),
# read from all of them by one `openssl storeutl -text`
find out -name "*.pem" -exec cat {} + >all.pem
openssl storeutl -noout -text -certs all.pem | awk '
	BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i in m) mon[m[i]] = i }
	/^ *Serial Number: [0-9]+ \(0x[0-9a-f]+\)$/ { s = $0; sub(/.*\(0x/, "", s); sub(/\)/, "", s); serial = toupper(length(s) % 2 ? "0" s : s); next }
	/^ *Serial Number:$/ { want = 1; next }
	want { s = $1; gsub(/:/, "", s); serial = toupper(s); want = 0 }
	/^ *Not After *: / { v = $0; sub(/^ *Not After *: /, "", v); split(v, d, /[ :]+/)
		na = sprintf("%s%02d%02d%s%s%sZ", substr(d[6], 3), mon[d[1]], d[2], d[3], d[4], d[5]) }
	/^ *Subject: / { v = $0; sub(/^ *Subject: /, "", v); printf "V\t%s\t\t%s\tunknown\t/%s\n", na, serial, v }' >index.txt
echo "unique_subject = no" >index.txt.attr
[[ $(grep -cE $'^V\t[0-9]{12}Z\t\t[0-9A-F]+\tunknown\t/CN=phone' index.txt) -eq $N && $(cut -f4 index.txt | sort -u | wc -l) -eq $N ]] || fail "index.txt: $(head -n 2 index.txt)"

# the requests: SAMPLE certificates spread over the N
SAMPLED=$(awk -v n="$N" -v s="$SAMPLE" 'BEGIN { for (j = 0; j < s; j++) print 1 + int(j * n / s) }')
xargs -P 2 -n 50 sh -c 'for k in "$0" "$@"; do
	openssl ocsp -issuer ca.pem -cert "out/$k.pem" -reqout "req/$k.der" -no_nonce >/dev/null || exit 1; done' <<<"$SAMPLED"
[[ $(ls req | wc -l) -eq $SAMPLE ]] || fail "request generation"
PICK=($(sed -n "1p;$(((SAMPLE + 1) / 2))p;${SAMPLE}p" <<<"$SAMPLED"))
echo "input:    CA (RSA-2048, imported into certfleet), $N certificates issued (tomcat profile), index.txt, $SAMPLE requests ($(stat -c %s "req/${PICK[0]}.der") bytes each) in $(sub "$t0" "$(mono)") s"

# ---- the responders: certfleetd and openssl ocsp, both up; the runs take turns -------------------------
declare -A BYTES=()
t0=$(mono)
"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$API_PORT" --pki-listen "127.0.0.1:$PKI_PORT" 2>cf.log &
DPID=$!
# the ca-ocsp duty's pass (it signs in chunks: the lines are added up)
for ((i = 0; ; i++)); do
	done_n=$(sed -n "s/.*ca: bench: \([0-9]*\) certificates' OCSP answers signed.*/\1/p" cf.log | awk '{ s += $1 } END { print s + 0 }')
	((done_n >= N)) && break
	kill -0 "$DPID" 2>/dev/null || fail "certfleetd exited: $(tail -n 3 cf.log)"
	! grep -q "ca: bench: OCSP answers could not be signed" cf.log || fail "certfleetd: $(grep -m 1 'could not be signed' cf.log)"
	((i < 1200)) || fail "certfleetd: the ca-ocsp duty signed $done_n of $N in 120 s: $(tail -n 3 cf.log)"
	sleep 0.1
done
SIGNED_S=$(sub "$t0" "$(mono)")
sleep 0.5 # the listener reloads what the store says moved every 250 ms
oracle "certfleetd" "http://127.0.0.1:$PKI_PORT$OCSP_PATH"
precheck "certfleetd" "127.0.0.1:$PKI_PORT" cf

# with -multi, openssl ocsp makes a process group of its own (setpgid) for its workers
openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -port "$OCSP_PORT" -multi 2 \
	-nmin 720 -ignore_err >ocsp.log 2>&1 &
OPID=$!
for ((i = 0; ; i++)); do
	openssl ocsp -issuer ca.pem -cert "out/${PICK[0]}.pem" -url "http://127.0.0.1:$OCSP_PORT$OCSP_PATH" -CAfile ca.pem \
		-no_nonce >/dev/null 2>&1 && break
	kill -0 "$OPID" 2>/dev/null || fail "openssl ocsp exited: $(tail -n 3 ocsp.log)"
	((i < 100)) || fail "openssl ocsp did not answer in 10 s: $(tail -n 3 ocsp.log)"
	sleep 0.1
done
[[ $(ps -o pgid= -p "$OPID" | tr -d ' ') == "$OPID" ]] ||
	fail "openssl ocsp -multi is not in a process group of its own"
oracle "openssl ocsp" "http://127.0.0.1:$OCSP_PORT$OCSP_PATH"
precheck "openssl ocsp" "127.0.0.1:$OCSP_PORT" os
idle_check $(group "$OPID")
echo "checked:  certfleetd: $N certificates' answers signed ahead ${SIGNED_S} s after start; both responders: openssl ocsp says \"Response verify OK\" and good for certificates ${PICK[*]}, and for the generator's own answers to them; $((2 * SAMPLE)) answers each through the generator, no error (answers: certfleetd ${BYTES[cf]} bytes, openssl ${BYTES[os]} bytes with its signer's certificate)"

# ---- timed -----------------------------------------------------------------------------------------------
# run SIDE HOST:PORT PIDS...: one timed run of the generator; appends to RATE_SIDE and prints a line.
RATES_cf=() RATES_os=() US_cf=() US_os=()
run() {
	local side=$1 hp=$2 c0 c1 line rate errs us
	shift 2
	c0=$(cpu "$@")
	timed gen.out "$LOAD" -c "$CONNS" -w "$WARMUP" -d "$SECS" "$hp" "$OCSP_PATH" req
	c1=$(cpu "$@")
	line=$(cat gen.out)
	[[ $side == cf ]] || idle_check "$@"
	errs=$(field errors "$line")
	[[ $RC -eq 0 && $errs == 0 ]] || fail "$side run: rc $RC: $line $(tail -n 2 "$WORK/err")"
	rate=$(field rate "$line")
	# the server's CPU per answer: over every answer of the run (warm-up and the end's included)
	us=$(awk -v a="$c0" -v b="$c1" -v n="$(field answers "$line")" -v u="$(field uncounted "$line")" \
		'BEGIN { printf "%.1f", (n + u > 0) ? (b - a) * 1e6 / (n + u) : 0 }')
	if [[ $side == cf ]]; then
		RATES_cf+=("$rate")
		US_cf+=("$us")
	else
		RATES_os+=("$rate")
		US_os+=("$us")
	fi
	printf '  %-13s %9.0f answers/s  p50 %6s ms  p99 %6s ms  reconnects %7s  server CPU %5.2f s (%6s us an answer)  generator CPU %s s of %s s\n' \
		"$([[ $side == cf ]] && echo certfleetd || echo "openssl ocsp")" "$rate" "$(field p50_ms "$line")" \
		"$(field p99_ms "$line")" "$(field reconnects "$line")" "$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" \
		"$us" "$CPU" "$T"
}
echo "timed (load average $(load)):"
for ((r = 1; r <= RUNS; r++)); do
	run cf "127.0.0.1:$PKI_PORT" "$DPID"
	run os "127.0.0.1:$OCSP_PORT" $(group "$OPID")
done
if [[ -n ${OCSP_PERF:-} ]]; then # one more run of certfleetd's, profiled and not counted
	perf record -g -o "$OCSP_PERF" -p "$DPID" -- sleep $((SECS + WARMUP)) >perf.out 2>&1 &
	PERFPID=$!
	"$LOAD" -c "$CONNS" -w "$WARMUP" -d "$SECS" "127.0.0.1:$PKI_PORT" "$OCSP_PATH" req >gen.out || true
	wait "$PERFPID" || true
	PERFPID=""
	echo "perf:     one more certfleetd run under perf record -g (not counted: $(field rate "$(cat gen.out)") answers/s): $OCSP_PERF (perf report -i $OCSP_PERF --no-children)"
fi

CF=$(median "${RATES_cf[@]}")
OS=$(median "${RATES_os[@]}")
R=$(ratio "$CF" "$OS")
BEST=$(ratio "$(printf '%s\n' "${RATES_cf[@]}" | sort -g | tail -n 1)" "$(printf '%s\n' "${RATES_os[@]}" | sort -g | tail -n 1)")
echo "certfleetd --pki-listen (POST $OCSP_PATH, answers signed ahead): $(printf '%.0f' "$CF") answers/s (median of ${RATES_cf[*]})"
echo "openssl ocsp -multi 2 (same index, same key, a connection per answer): $(printf '%.0f' "$OS") answers/s (median of ${RATES_os[*]})"
echo "server CPU an answer (median): certfleetd $(median "${US_cf[@]}") us, openssl ocsp $(median "${US_os[@]}") us ($(ratio "$(median "${US_os[@]}")" "$(median "${US_cf[@]}")")x less)"
echo "certfleetd / openssl ocsp -multi 2: ${R}x (best / best: ${BEST}x) (target >= ${TARGET}x: $(ge "$R" "$TARGET" && echo met || echo MISSED)); load average at the end: $(load)"
