#!/usr/bin/env bash
# certfleetd under hostile HTTP clients: request bodies are refused (413) once the headers are in,
# so unauthenticated 20 MiB bodies held open do not grow the daemon, and the bytes held in
# unfinished requests across all connections are bounded; an upload's larger limit needs the
# admin session and CSRF token in its headers; clients trickling their headers or body are cut off
# at the deadlines; the connection cap below `ulimit -n` keeps a new client answered while many
# slow ones are open, and the log stays small. The clients are hostile_client.py (Python's ssl
# over real sockets); curl is the well-behaved client.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
HOSTILE="$(cd "$(dirname "$0")" && pwd)/hostile_client.py"
cd "$T" || exit 1

UCM=ucm1.example.com
PW_ADMIN='admin password of the limits test'
new_store
cf node add "$UCM" --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null

# kv KEY LINE: the value of KEY in a "k=v k=v" line
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# rss_below WHAT KIB: the daemon's resident memory ($RSS) is below its start ($BASE_RSS) plus KIB.
# Not in the sanitizer build, whose allocator keeps freed memory in quarantine.
SANITIZED=$(grep -qa __asan_init "$CERTFLEETD" && echo 1 || echo 0)
rss_below() {
	[ "$SANITIZED" = 1 ] && return 0
	if [ "$RSS" -lt $((BASE_RSS + $2)) ]; then ok; else
		fail "$1: the daemon grew from $BASE_RSS KiB to $RSS KiB (budget: $(($2 / 1024)) MiB more)"
	fi
}

# ---- bodies: refused before they are read ----------------------------------------------------
start_certfleetd
BASE_RSS=$(awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status")

# 30 unauthenticated logins of 20 MiB, and 30 more to a route that does not exist, each holding
# back its last byte: they used to be kept whole (some 1.2 GiB); now each is refused as its
# headers arrive and its bytes are drained, so the daemon stays small and answers others.
R=$(python3 "$HOSTILE" flood "$PORT" "$DPID" 30 /api/v1/login $((20 * 1024 * 1024)))
echo "# $R"
RSS=$(kv rss_kib "$R")
rss_below "30 x 20 MiB logins" $((48 * 1024))
assert_eq "30 x 20 MiB logins: another client is answered" 200 "$(kv probe "$R")"
R=$(python3 "$HOSTILE" flood "$PORT" "$DPID" 30 /api/v1/no-such-route $((20 * 1024 * 1024)))
echo "# $R"
RSS=$(kv rss_kib "$R")
rss_below "30 x 20 MiB to a missing route" $((48 * 1024))
assert_eq "30 x 20 MiB to a missing route: another client is answered" 200 "$(kv probe "$R")"

# A body over 1 MiB gets 413 at once; curl sees it without sending the body (Expect: 100-continue
# is answered with the refusal).
BIG="$T/big.json"
python3 -c 'import sys; sys.stdout.write("{\"user\":\"" + "a" * (2 * 1024 * 1024) + "\"}")' >"$BIG"
CODE=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$BIG" \
	"$BASE/login")
assert_eq "a 2 MiB login body" 413 "$CODE"

# 150 bodies of exactly 1 MiB (allowed), each holding back its last byte: the bytes held in
# unfinished requests stay within the 64 MiB budget (connections beyond it are closed); they
# used to be held whole (150 MiB).
R=$(python3 "$HOSTILE" flood "$PORT" "$DPID" 150 /api/v1/login $((1024 * 1024)))
echo "# $R"
RSS=$(kv rss_kib "$R")
rss_below "150 x 1 MiB logins" $((112 * 1024))
CLOSED=$(kv closed "$R")
if [ "$CLOSED" -ge 50 ]; then ok; else fail "150 x 1 MiB logins: only $CLOSED connections closed over the budget"; fi
assert_eq "150 x 1 MiB logins: another client is answered" 200 "$(kv probe "$R")"
assert_contains "the budget is logged" "would take the bytes held in unfinished requests over 64 MiB" \
	"$(cat "$T/daemon.err")"

# An upload may be larger, but only with the admin session and its CSRF token in the headers.
JAR="$T/admin.jar"
curl -sk -o "$T/login.json" -c "$JAR" -H 'Content-Type: application/json' \
	-d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login"
CSRF=$(json 'd["csrf"]' <"$T/login.json")
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'A' >"$T/big.pem"
up() { curl -sk -o "$T/up.json" -w '%{http_code}' -F node=$UCM -F purpose=tomcat -F file=@"$T/big.pem" "$@" \
	"$BASE/upload"; }
assert_eq "a 3 MiB upload without a session" 413 "$(up)"
assert_eq "a 3 MiB upload without the CSRF token" 413 "$(up -b "$JAR")"
assert_eq "a 3 MiB upload with a wrong CSRF token" 413 "$(up -b "$JAR" -H "X-CSRF-Token: $(printf 'f%.0s' {1..64})")"
CODE=$(up -b "$JAR" -H "X-CSRF-Token: $CSRF")
assert_eq "a 3 MiB upload with session and token is read (and refused for what it is)" 400 "$CODE"
assert_contains "the upload's refusal is about its content" '"field":"file"' "$(cat "$T/up.json")"
# and the same connection's next request is held to 1 MiB again
CODE=$(curl -sk -o /dev/null -w '%{http_code}/%{num_connects} ' -b "$JAR" -H "X-CSRF-Token: $CSRF" \
	-F node=$UCM -F purpose=tomcat -F file=@"$T/big.pem" "$BASE/upload" --next -sk -o /dev/null \
	-w '%{http_code}/%{num_connects}' -b "$JAR" -H 'Content-Type: application/json' --data-binary @"$BIG" \
	"$BASE/login")
assert_eq "keep-alive: an upload, then a 2 MiB login on the same connection" "400/1 413/0" "$CODE"
assert_clean_stop
assert_no_sanitizer_report "bodies"

# ---- slow clients: deadlines and the connection cap -----------------------------------------
# Under `ulimit -n 128` with short deadlines: 150 clients trickling header lines used to hold
# every descriptor forever (the 30 s timeout restarts with each line), so nobody else was
# answered and accept() errors flooded the log.
: >"$T/daemon.err"
PORT=$(free_port)
(
	ulimit -n 128
	exec "$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$PORT" --header-timeout 2 --request-timeout 4
) 2>>"$T/daemon.err" &
DPID=$!
for _ in $(seq 1 300); do
	curl -sk -o /dev/null "https://127.0.0.1:$PORT/app.css" && break
	sleep 0.1
done
assert_contains "the cap is below the descriptor limit" "at most 96 connections" "$(cat "$T/daemon.err")"

R=$(python3 "$HOSTILE" slowhead "$PORT")
echo "# $R"
S=$(kv closed_s "$R")
if [ "$S" != never ] && [ "$S" -le 8 ]; then ok; else fail "a client trickling header lines was closed after $S s"; fi
R=$(python3 "$HOSTILE" slowbody "$PORT")
echo "# $R"
S=$(kv closed_s "$R")
if [ "$S" != never ] && [ "$S" -le 10 ]; then ok; else fail "a client trickling its body was closed after $S s"; fi

R=$(python3 "$HOSTILE" trickle "$PORT" "$DPID" 150 12)
echo "# $R"
assert_eq "150 trickling clients: a new client is answered" 200 "$(kv probe "$R")"
# within a few header timeouts (a generous bound: it waits in the listen queue for a free slot)
if python3 -c "import sys; sys.exit(0 if $(kv probe_s "$R") <= 8 else 1)"; then ok; else
	fail "150 trickling clients: the new client waited $(kv probe_s "$R") s"
fi
CLOSED=$(kv closed "$R")
if [ "$CLOSED" -ge 150 ]; then ok; else fail "150 trickling clients: only $CLOSED were cut off"; fi
CPU=$(kv cpu_s "$R")
if python3 -c "import sys; sys.exit(0 if $CPU < 6 else 1)"; then ok; else
	fail "150 trickling clients: the daemon used $CPU s of CPU in 12 s"
fi
LOG=$(wc -c <"$T/daemon.err")
if [ "$LOG" -lt 20000 ]; then ok; else fail "150 trickling clients: the log grew to $LOG bytes"; fi
assert_eq "no accept() errors logged" 0 "$(grep -c 'Error from accept' "$T/daemon.err" || true)"
assert_contains "the deadline is logged" "did not send a request's line and headers within 2 s" \
	"$(cat "$T/daemon.err")"
assert_eq "a client is answered after the clients left" 200 \
	"$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "https://127.0.0.1:$PORT/app.css")"
assert_clean_stop
assert_no_sanitizer_report "slow clients"

# options are checked
assert_exit "--header-timeout 0" 2 "$CERTFLEETD" --store "$CERTFLEET_STORE" --header-timeout 0
assert_exit "--max-connections x" 2 "$CERTFLEETD" --store "$CERTFLEET_STORE" --max-connections x
finish
