# Shared helpers for certfleet's integration tests (bash). Source it first:
#   . "$(dirname "$0")/lib.sh"
# It makes a scratch directory $T (removed on exit), points $CERTFLEET_STORE into it, and
# gives small assertion helpers. Each test script ends with `finish`.
set -euo pipefail

: "${CERTFLEET:?set CERTFLEET to the certfleet binary (ctest does)}"
T=$(mktemp -d /tmp/certfleet-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export CERTFLEET_STORE="$T/store.db"
PASSED=0
FAILED=0

cf() { "$CERTFLEET" "$@"; }

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
ok() { PASSED=$((PASSED + 1)); }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" == "$3" ]; then ok; else fail "$1: expected [$2], got [$3]"; fi
}

# assert_contains WHAT NEEDLE HAYSTACK
assert_contains() {
	if [[ "$3" == *"$2"* ]]; then ok; else fail "$1: [$2] not found in [$3]"; fi
}

# assert_exit WHAT EXPECTED_CODE command...   (stdout -> $T/out, stderr -> $T/err)
assert_exit() {
	local what=$1 want=$2 got=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || got=$?
	if [ "$got" == "$want" ]; then ok; else fail "$what: exit $got, expected $want; stderr: $(cat "$T/err")"; fi
}

# json FILTER: reads JSON on stdin, prints the python expression's value (d is the document)
json() { python3 -c "import json,sys; d=json.load(sys.stdin); v=($1); print(v if not isinstance(v,(list,dict)) else json.dumps(v, sort_keys=True))"; }

# cfx ARGS...: runs certfleet without aborting the script; sets RC, OUT, ERR and LAST (the
# stdout file). Every output is kept under $T/log, so a test can check all of it for key
# material at the end.
NCMD=0
RC=0
OUT=""
ERR=""
LAST=/dev/null
cfx() {
	mkdir -p "$T/log"
	NCMD=$((NCMD + 1))
	RC=0
	cf "$@" >"$T/log/$NCMD.out" 2>"$T/log/$NCMD.err" || RC=$?
	LAST="$T/log/$NCMD.out"
	OUT=$(cat "$LAST")
	ERR=$(cat "$T/log/$NCMD.err")
}

# expect_rc WHAT CODE: the last cfx exited with CODE.
expect_rc() {
	if [ "$RC" == "$2" ]; then ok; else fail "$1: exit $RC, expected $2; stderr: $ERR"; fi
}

# must WHAT ARGS...: a cfx that has to succeed (counted as a check).
must() {
	local what=$1
	shift
	cfx "$@"
	expect_rc "$what" 0
}

# A minimal deployment: cluster cl1, presence domain, DN.
new_store() {
	rm -f "$CERTFLEET_STORE"*
	cf init >/dev/null
	cf cluster add "${1:-cl1}" >/dev/null
}

# free_port: a free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_certfleetd [ARGS...]: $CERTFLEETD on the test store on a loopback port ($PORT, else a
# free one), log appended to $T/daemon.err; returns once it answers. Sets PORT, ORIGIN, BASE (the
# API's root) and DPID; stopped when the script exits (stop_certfleetd stops it sooner).
DPID=""
start_certfleetd() {
	PORT=${PORT:-$(free_port)}
	ORIGIN="https://127.0.0.1:$PORT"
	BASE="$ORIGIN/api/v1"
	"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$PORT" "$@" 2>>"$T/daemon.err" &
	DPID=$!
	trap 'stop_certfleetd; rm -rf "$T"' EXIT
	for _ in $(seq 1 300); do
		curl -sk -o /dev/null "$ORIGIN/app.css" && return 0
		sleep 0.1
	done
	fail "certfleetd did not answer on $ORIGIN"
}
stop_certfleetd() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	DPID=""
}
# assert_clean_stop: SIGTERM stops certfleetd with exit 0.
assert_clean_stop() {
	local rc=0
	kill -TERM "$DPID"
	wait "$DPID" || rc=$?
	DPID=""
	assert_eq "certfleetd exits 0 on SIGTERM" 0 "$rc"
}

finish() {
	echo "$(basename "$0"): $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
