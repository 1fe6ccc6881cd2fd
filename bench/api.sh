#!/usr/bin/env bash
# certfleetd load benchmark (not a test): the REST API's certificate list with 100,000 certificates
# in the store, driven by wrk over HTTPS on loopback, with the daemon's RSS sampled every second,
# next to standard-tool baselines measured in the same run; on SQLite, on PostgreSQL, or on both
# (a daemon on each, the engines taking turns line by line, with the PostgreSQL/SQLite ratio). See
# bench/README.md for what every line means.
#
# usage: bench/api.sh BUILD_DIR [N] [STORE]      (N defaults to 100000; the targets are for 100000)
#
# STORE: sqlite (the default), both (SQLite and a throwaway PostgreSQL server started with
# tests/pg/pgserver.sh), or a postgresql:// URL of an empty database (password from PGPASSWORD or
# ~/.pgpass).
#
# environment: API_SECONDS (each wrk run, default 30), API_THREADS (2), API_CONNECTIONS (32),
# API_TIMEOUT (wrk's per-request timeout in seconds, default 30: a slow server must show up as
# latency, not as timeouts), BENCH_CACHE / BENCH_REGEN (the bundle cache, as in bench/import.sh),
# API_STORE (an SQLite store made the same way earlier — a publisher with its default identities
# and the N-certificate bundle in tomcat-trust — to copy instead of building one; `certfleet init`
# brings it up to date and the admin account gets the benchmark's password).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
	echo "usage: $0 BUILD_DIR [N] [sqlite|both|postgresql://USER@HOST:PORT/DB]" >&2
	exit 2
fi
BUILD=$1
N=${2:-100000}
STORE_ARG=${3:-sqlite}
case $STORE_ARG in
sqlite) ENGINES=(sqlite) ;;
both) ENGINES=(sqlite postgresql) ;;
postgresql://* | postgres://*) ENGINES=(postgresql) ;;
*)
	echo "usage: $0 BUILD_DIR [N] [sqlite|both|postgresql://USER@HOST:PORT/DB]" >&2
	exit 2
	;;
esac
SECS=${API_SECONDS:-30}
THREADS=${API_THREADS:-2}
CONNS=${API_CONNECTIONS:-32}
TIMEOUT=${API_TIMEOUT:-30}
for exe in "$BUILD/certfleet" "$BUILD/certfleetd" "$BUILD/bench/gen_certs"; do
	[[ -x $exe ]] || { echo "$0: $exe not found; build first (make build)" >&2; exit 2; }
done
[[ $N =~ ^[1-9][0-9]*$ && $N -ge 100 ]] || { echo "$0: N must be a number >= 100" >&2; exit 2; }
for v in "$SECS" "$THREADS" "$CONNS" "$TIMEOUT"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "$0: API_SECONDS, API_THREADS, API_CONNECTIONS and API_TIMEOUT are positive numbers" >&2; exit 2; }
done
for tool in wrk curl openssl python3; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found (scripts/deps.sh installs it)" >&2; exit 2; }
done

TARGET=2000 # requests per second: the 50-item page with 100,000 certificates in the store
P99_TARGET=20 # ms: the page's 99th percentile latency (SPEC §12, PostgreSQL store; held on both)
WARMUP=5    # seconds of each run before the RSS is taken as the reference for "flat"
FLAT=10     # per cent: growth after warm-up below this counts as flat

unset CERTFLEET_STORE CERTFLEET_NOW
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench.XXXXXX")
declare -A DPID=() STORE=() BASE=() COOKIE=() DLOG=()
SPID=""
SAMPLER=""
cleanup() {
	[[ -z $SAMPLER ]] || kill "$SAMPLER" 2>/dev/null || true
	[[ -z $SPID ]] || kill "$SPID" 2>/dev/null || true
	for e in "${!DPID[@]}"; do
		kill "${DPID[$e]}" 2>/dev/null || true
		wait "${DPID[$e]}" 2>/dev/null || true
	done
	pg_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
# The binaries are copied first, so a rebuild during the run cannot swap them.
cp "$BUILD/certfleet" "$BUILD/certfleetd" "$WORK/"
CERTFLEET=$WORK/certfleet
CERTFLEETD=$WORK/certfleetd
NODE=ucm1.example.com
TS=tomcat-trust
USER_PW='bench admin password, long enough'

. "$(dirname "$0")/lib.sh"
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# ratio A B: A/B to three significant digits (lib.sh's two decimals hide a slow daemon's 0.004)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else printf "%.3g", a / b }'; }
load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# json EXPR < FILE: the Python expression's value (d is the document)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- the input: the same cached bundle as bench/import.sh ---------------------------------------

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TAG=$(sha256sum "$BENCH_DIR/gen_certs.c" | cut -c1-12)
CACHE=${BENCH_CACHE:-/tmp}/certfleet-bench-$N-$TAG.pem
echo "certfleetd REST API load benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(openssl version | cut -d' ' -f1-2), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
echo "wrk: $THREADS threads, $CONNS connections, ${SECS} s per run, timeout ${TIMEOUT} s; load average at start: $(load)"
if [[ ${BENCH_REGEN:-0} == 1 || ! -s $CACHE ]] || [[ $(grep -c -- '-----BEGIN CERTIFICATE-----' "$CACHE") -ne $N ]]; then
	t0=$(mono)
	"$BUILD/bench/gen_certs" "$N" "$CACHE"
	echo "input:    generated $N CA certificates in $(sub "$t0" "$(mono)") s -> $CACHE"
else
	echo "input:    cached $CACHE"
fi

# ---- the stores: one publisher with its default identities, the bundle in its tomcat-trust -----------

if [[ $STORE_ARG == both ]]; then
	pg_start
	echo "engines:  SQLite (WAL, synchronous=FULL) and $(pg_version) on 127.0.0.1, a throwaway server (tests/pg/pgserver.sh) run with $PG_SETTINGS"
fi
for e in "${ENGINES[@]}"; do
	case $e in
	sqlite) STORE[$e]=$WORK/store.db ;;
	postgresql) if [[ $STORE_ARG == both ]]; then STORE[$e]=$(pg_fresh bench_api); else STORE[$e]=$STORE_ARG; fi ;;
	esac
	cf() { "$CERTFLEET" --store "${STORE[$e]}" "$@"; }
	t0=$(mono)
	if [[ $e == sqlite && -n ${API_STORE:-} ]]; then
		# a store made earlier the same way (e.g. by another build), copied and brought up to date
		[[ -s $API_STORE ]] || { echo "$0: API_STORE=$API_STORE is not a store" >&2; exit 2; }
		cp "$API_STORE" "${STORE[$e]}"
		cf init >/dev/null
		cf user passwd admin <<<"$USER_PW" >/dev/null 2>&1 || cf user add admin --role admin <<<"$USER_PW" >/dev/null
		HOW="copied from $API_STORE"
	else
		if [[ $e == postgresql && $STORE_ARG != both ]]; then
			have=$(cf --json node list 2>/dev/null | tr -d ' \n' || true)
			[[ -z $have || $have == '{"items":[]}' ]] || { echo "$0: $STORE_ARG already holds a store; give an empty database" >&2; exit 2; }
		fi
		cf init >/dev/null
		cf cluster add c >/dev/null
		cf node add "$NODE" --cluster c --product ucm --publisher >/dev/null
		cf trust add --node "$NODE" --store "$TS" "$CACHE" >/dev/null
		cf user add admin --role admin <<<"$USER_PW" >/dev/null
		HOW="built"
	fi
	STORED=$(cf cert list --json | json 'len(d["items"])')
	if [[ $e == sqlite ]]; then
		SIZE="$(awk -v b="$(stat -c %s "${STORE[$e]}")" 'BEGIN { printf "%.0f MiB", b / 1048576 }') SQLite"
	else
		SIZE="PostgreSQL"
	fi
	echo "store:    $STORED certificates ($N in $TS + the node's identities), $SIZE, $HOW in $(sub "$t0" "$(mono)") s"
done

# ---- the daemons ---------------------------------------------------------------------------------------

for e in "${ENGINES[@]}"; do
	PORT=$(free_port)
	BASE[$e]=https://127.0.0.1:$PORT
	DLOG[$e]=$WORK/daemon-$e.log
	"$CERTFLEETD" --store "${STORE[$e]}" --listen "127.0.0.1:$PORT" 2>"${DLOG[$e]}" &
	DPID[$e]=$!
	for _ in $(seq 1 100); do
		curl -sk -o /dev/null "${BASE[$e]}/api/v1/nodes" && break
		kill -0 "${DPID[$e]}" 2>/dev/null || { echo "FAILED: certfleetd ($e) exited: $(head -c 300 "${DLOG[$e]}")" >&2; exit 1; }
		sleep 0.1
	done
	CODE=$(curl -sk -o "$WORK/login.json" -D "$WORK/login.hdr" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"user\":\"admin\",\"password\":\"$USER_PW\"}" "${BASE[$e]}/api/v1/login")
	[[ $CODE == 200 ]] || { echo "FAILED: login ($e) answered $CODE: $(head -c 300 "$WORK/login.json")" >&2; exit 1; }
	SESSION=$(tr -d '\r' <"$WORK/login.hdr" | sed -n 's/^[Ss]et-[Cc]ookie: certfleet_session=\([0-9a-f]*\);.*/\1/p')
	[[ ${#SESSION} == 64 ]] || { echo "FAILED: no session cookie in the login answer ($e)" >&2; exit 1; }
	COOKIE[$e]="Cookie: certfleet_session=$SESSION"
done

# ---- correctness of what is measured, once per engine, outside the timing ----------------------------------

PREFIX="Bench CA 0999"
PREFIX_Q=${PREFIX// /%20}
if ((N >= 99999)); then FILTERED=100; elif ((N >= 99900)); then FILTERED=$((N - 99899)); else FILTERED=0; fi
OFFSET=$((N - 50))
PATH_PAGE="/api/v1/certificates?limit=50"
PATH_DEEP="/api/v1/certificates?limit=50&offset=$OFFSET"
PATH_FILT="/api/v1/certificates?limit=50&begins_with=$PREFIX_Q"
PATH_FLOOR="/api/v1/no-such-route"
# check URL COOKIE ITEMS TOTAL WHAT: the answer is 200 with ITEMS items and this total.
check() {
	local code got
	code=$(curl -sk -o "$WORK/check.json" -w '%{http_code}' -H "$2" "$1")
	got=$(json 'str(len(d["items"])) + " " + str(d["total"])' <"$WORK/check.json" 2>/dev/null || echo "not JSON")
	if [[ $code != 200 || $got != "$3 $4" ]]; then
		echo "FAILED: $5: HTTP $code, (items, total) = ($got), expected ($3, $4)" >&2
		exit 1
	fi
}
for e in "${ENGINES[@]}"; do
	check "${BASE[$e]}$PATH_PAGE" "${COOKIE[$e]}" 50 "$STORED" "the first page ($e)"
	cp "$WORK/check.json" "$WORK/page-$e.json"
	check "${BASE[$e]}$PATH_DEEP" "${COOKIE[$e]}" 50 "$STORED" "the page at offset $OFFSET ($e)"
	check "${BASE[$e]}$PATH_FILT" "${COOKIE[$e]}" $((FILTERED < 50 ? FILTERED : 50)) "$FILTERED" "the begins_with page ($e)"
	curl -sk -H "${COOKIE[$e]}" "${BASE[$e]}/api/v1/certificates?purpose=tomcat" >"$WORK/tomcat.json"
	KEY=$(json 'd["items"][0]["key_type"] + ":" + str(d["items"][0]["key_bits"])' <"$WORK/tomcat.json")
	PAGE_BYTES=$(stat -c %s "$WORK/page-$e.json")
	echo "checked   $e: first page: 50 items of $STORED ($PAGE_BYTES bytes of JSON); offset $OFFSET: 50; begins_with \"$PREFIX\": $FILTERED in total; served with the tomcat identity ($KEY)"
done
FIRST=${ENGINES[0]}
PAGE_BYTES=$(stat -c %s "$WORK/page-$FIRST.json")

# ---- one wrk run ----------------------------------------------------------------------------------------

# rss_sampler PID FILE: appends "seconds VmRSS-KB" every second until killed.
rss_sampler() {
	local pid=$1 out=$2 i=0 kb
	while kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [[ -n $kb ]]; do
		echo "$i $kb" >>"$out"
		sleep 1
		i=$((i + 1))
	done
}
# to_ms VALUE: wrk's "3.88ms", "512.00us" or "1.20s" in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { u = v; sub(/^[0-9.]+/, "", u); x = v + 0; if (u == "us") x /= 1000; else if (u == "s") x *= 1000; else if (u == "m") x *= 60000; printf "%.2f", x }'; }

# run LABEL PID|- LOG URL [HEADER...]: one wrk run; sets RPS, P50, P99 (ms), ERRS, and with a PID
# the RSS figures (RSS0 before, RSSMIN, RSSMAX, RSSEND, RSSW after warm-up, FLATV) and the daemon's
# own time per request from its log LOG (SRV50, SRV99 in ms).
run() {
	local label=$1 pid=$2 log=$3 url=$4 hdr=() lines0=0
	shift 4
	for h in "$@"; do hdr+=(-H "$h"); done
	local la0 la1
	la0=$(load)
	: >"$WORK/rss.txt"
	if [[ $pid != - ]]; then
		lines0=$(wc -l <"$log")
		rss_sampler "$pid" "$WORK/rss.txt" &
		SAMPLER=$!
	fi
	wrk -t "$THREADS" -c "$CONNS" -d "${SECS}s" --timeout "${TIMEOUT}s" --latency "${hdr[@]}" "$url" >"$WORK/wrk.txt" 2>&1 ||
		{ echo "FAILED: wrk ($label): $(tail -n 3 "$WORK/wrk.txt")" >&2; exit 1; }
	if [[ -n $SAMPLER ]]; then
		sleep 1
		kill "$SAMPLER" 2>/dev/null || true
		wait "$SAMPLER" 2>/dev/null || true
		SAMPLER=""
	fi
	la1=$(load)
	RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.txt")
	P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")")
	P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")")
	local total non2xx sock
	total=$(awk '/requests in/ { print $1 }' "$WORK/wrk.txt")
	non2xx=$(awk -F': *' '/Non-2xx or 3xx/ { print $2 }' "$WORK/wrk.txt")
	sock=$(sed -n 's/^ *Socket errors: *//p' "$WORK/wrk.txt")
	ERRS="${non2xx:-0} non-2xx${sock:+, socket errors: $sock}"
	printf '%-20s %7s req/s  p50 %8s ms  p99 %8s ms  %s requests, %s; load %s -> %s\n' \
		"$label" "$RPS" "$P50" "$P99" "$total" "$ERRS" "$la0" "$la1"
	[[ $pid == - ]] && return 0
	# the daemon's own time per request (its log line ends in "STATUS TIME ms")
	tail -n +"$((lines0 + 1))" "$log" | awk '$NF ~ /ms$/ { sub(/ms$/, "", $NF); print $NF }' | sort -g >"$WORK/srv.txt"
	local n
	n=$(wc -l <"$WORK/srv.txt")
	SRV50=$(awk -v n="$n" 'NR == int((n + 1) / 2) { print; exit }' "$WORK/srv.txt")
	SRV99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.999) { print; exit }' "$WORK/srv.txt")
	# RSS: before (first sample), min, max, end, and the sample at the end of the warm-up
	read -r RSS0 RSSMIN RSSMAX RSSEND RSSW < <(awk -v w="$WARMUP" '
		NR == 1 { first = $2; mn = $2; mx = $2 }
		{ if ($2 < mn) mn = $2; if ($2 > mx) mx = $2; last = $2; if ($1 <= w) warm = $2 }
		END { print first, mn, mx, last, warm }' "$WORK/rss.txt")
	local growth
	growth=$(awk -v w="$RSSW" -v m="$RSSMAX" 'BEGIN { printf "%.1f", (w > 0 ? (m - w) * 100 / w : 0) }')
	if awk -v g="$growth" -v f="$FLAT" 'BEGIN { exit !(g < f) }'; then FLATV="flat (+$growth % after ${WARMUP} s)"; else FLATV="GREW (+$growth % after ${WARMUP} s)"; fi
	printf '          daemon: %s ms median, %s ms p99 per request in the handler (%s logged); RSS KB start %s, min %s, max %s, end %s: %s\n' \
		"$SRV50" "$SRV99" "$n" "$RSS0" "$RSSMIN" "$RSSMAX" "$RSSEND" "$FLATV"
	[[ ${non2xx:-0} == 0 || ${ALLOW_NON2XX:-0} == 1 ]] || { echo "FAILED: $label: $non2xx answers were not 2xx" >&2; exit 1; }
}

echo
echo "== certfleetd, GET /api/v1/certificates with $STORED certificates in the store"
declare -A PAGE_RPS PAGE_P99 PAGE_SRV DEEP_RPS DEEP_P99 FILT_RPS FILT_P99
for what in page deep filtered; do
	for e in "${ENGINES[@]}"; do
		case $what in
		page) run "page $e" "${DPID[$e]}" "${DLOG[$e]}" "${BASE[$e]}$PATH_PAGE" "${COOKIE[$e]}"; PAGE_RPS[$e]=$RPS PAGE_P99[$e]=$P99 PAGE_SRV[$e]=$SRV50 ;;
		deep) run "deep $e" "${DPID[$e]}" "${DLOG[$e]}" "${BASE[$e]}$PATH_DEEP" "${COOKIE[$e]}"; DEEP_RPS[$e]=$RPS DEEP_P99[$e]=$P99 ;;
		filtered) run "filtered $e" "${DPID[$e]}" "${DLOG[$e]}" "${BASE[$e]}$PATH_FILT" "${COOKIE[$e]}"; FILT_RPS[$e]=$RPS FILT_P99[$e]=$P99 ;;
		esac
	done
done
echo "          page: ?limit=50   deep: ?limit=50&offset=$OFFSET   filtered: ?limit=50&begins_with=$PREFIX_Q"

# ---- baselines ---------------------------------------------------------------------------------------------

echo
echo "== baselines (same machine, same run)"
# the daemon's floor: TLS + HTTP + a JSON error, no session, no store (404 for an unknown route)
ALLOW_NON2XX=1 run floor "${DPID[$FIRST]}" "${DLOG[$FIRST]}" "${BASE[$FIRST]}$PATH_FLOOR"
FLOOR_RPS=$RPS
echo "          floor: certfleetd ($FIRST) answering 404 for an unknown route, keep-alive (TLS + HTTP + JSON, no store)"
ALLOW_NON2XX=1 run floor-hs "${DPID[$FIRST]}" "${DLOG[$FIRST]}" "${BASE[$FIRST]}$PATH_FLOOR" "Connection: close"
FLOORHS_RPS=$RPS
echo "          floor-hs: the same with Connection: close (a TLS handshake per request, like s_server below)"

# openssl s_server -HTTP serving a file of the same size as the 50-item page, with a key of the
# same type as the daemon's. -WWW answers HTTP/1.0 without a length, which wrk counts as read
# errors; -HTTP serves the file as the whole answer, so it carries a Content-Length. s_server
# closes the connection after every answer: each request costs a TLS handshake.
mkdir "$WORK/www"
case $KEY in
EC:384) NEWKEY=(-newkey ec -pkeyopt ec_paramgen_curve:secp384r1) ;;
EC:*) NEWKEY=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
*) NEWKEY=(-newkey "rsa:${KEY#*:}") ;;
esac
openssl req -x509 "${NEWKEY[@]}" -nodes -keyout "$WORK/www/k.pem" -out "$WORK/www/c.pem" -subj /CN=127.0.0.1 -days 2 2>/dev/null
{
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "$PAGE_BYTES"
	cat "$WORK/page-$FIRST.json"
} >"$WORK/www/page.json"
SPORT=$(free_port)
(cd "$WORK/www" && exec openssl s_server -quiet -accept "127.0.0.1:$SPORT" -cert c.pem -key k.pem -HTTP >/dev/null 2>&1) &
SPID=$!
for _ in $(seq 1 50); do
	curl -sk -o /dev/null "https://127.0.0.1:$SPORT/page.json" && break
	sleep 0.1
done
run s_server - - "https://127.0.0.1:$SPORT/page.json"
SSRV_RPS=$RPS SSRV_P99=$P99
echo "          s_server: openssl s_server -HTTP, one static $PAGE_BYTES-byte JSON file ($KEY key), a TLS handshake per request"
kill "$SPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
SPID=""

# ---- ratios and the targets ---------------------------------------------------------------------------------

echo
echo "== ratios (req/s; above 1 means certfleetd answers more)"
for e in "${ENGINES[@]}"; do
	printf 'page      %-10s vs s_server %sx   vs the daemon floor (keep-alive) %sx   vs floor-hs %sx\n' "$e" \
		"$(ratio "${PAGE_RPS[$e]}" "$SSRV_RPS")" "$(ratio "${PAGE_RPS[$e]}" "$FLOOR_RPS")" "$(ratio "${PAGE_RPS[$e]}" "$FLOORHS_RPS")"
	printf 'deep      %-10s vs s_server %sx\n' "$e" "$(ratio "${DEEP_RPS[$e]}" "$SSRV_RPS")"
	printf 'filtered  %-10s vs s_server %sx\n' "$e" "$(ratio "${FILT_RPS[$e]}" "$SSRV_RPS")"
done
printf 'floor-hs  vs s_server %sx   (the same work: a handshake and one answer per connection)\n' "$(ratio "$FLOORHS_RPS" "$SSRV_RPS")"
if [[ $STORE_ARG == both ]]; then
	echo
	echo "== PostgreSQL / SQLite (same run; req/s: below 1 means PostgreSQL answers fewer; p99: above 1 means PostgreSQL is slower)"
	for what in page deep filtered; do
		case $what in
		page) r1=${PAGE_RPS[postgresql]} r0=${PAGE_RPS[sqlite]} p1=${PAGE_P99[postgresql]} p0=${PAGE_P99[sqlite]} ;;
		deep) r1=${DEEP_RPS[postgresql]} r0=${DEEP_RPS[sqlite]} p1=${DEEP_P99[postgresql]} p0=${DEEP_P99[sqlite]} ;;
		filtered) r1=${FILT_RPS[postgresql]} r0=${FILT_RPS[sqlite]} p1=${FILT_P99[postgresql]} p0=${FILT_P99[sqlite]} ;;
		esac
		printf '%-9s req/s %sx (%s / %s)   p99 %sx (%s ms / %s ms)\n' "$what" "$(ratio "$r1" "$r0")" "$r1" "$r0" \
			"$(ratio "$p1" "$p0")" "$p1" "$p0"
	done
fi

echo
if ((N == 100000)); then
	echo "== targets (100,000 certificates, this 2-core machine)"
	for e in "${ENGINES[@]}"; do
		if ge "${PAGE_RPS[$e]}" "$TARGET"; then v=met; else v=MISSED; fi
		printf 'page      %-10s >= %d req/s: %s (%s req/s; %s ms per request in the daemon)\n' "$e" "$TARGET" "$v" \
			"${PAGE_RPS[$e]}" "${PAGE_SRV[$e]}"
		if ge "${PAGE_P99[$e]}" "$P99_TARGET"; then v=MISSED; else v=met; fi
		printf 'page      %-10s p99 < %d ms: %s (%s ms)\n' "$e" "$P99_TARGET" "$v" "${PAGE_P99[$e]}"
	done
else
	echo "== the targets apply to N = 100000 (this run: N = $N)"
fi
echo "load average at the end: $(load)"
