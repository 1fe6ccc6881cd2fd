# Shared helpers for certfleet's integration tests (bash). Source it first:
#   . "$(dirname "$0")/lib.sh"
# It makes a scratch directory $T and a store for the script ($CERTFLEET_STORE), both removed on
# exit, and gives small assertion helpers. Each test script ends with `finish`.
#
# The engine comes from the environment: by default the store is an SQLite file in $T; when
# CERTFLEET_TEST_PG names a running tests/pg/pgserver.sh directory, the script gets its own
# PostgreSQL database (t_<script>_<pid>) and $CERTFLEET_STORE is its postgresql:// URL (password in
# $PGPASSWORD). Tests read the store only through store_sql and store_dump, so they run on both.
# Scripts add their own clean-up with on_exit; they do not set an EXIT trap of their own.
set -euo pipefail

: "${CERTFLEET:?set CERTFLEET to the certfleet binary (ctest does)}"
T=$(mktemp -d /tmp/certfleet-test.XXXXXX)
# python3 is Debian's (which has the test peers' modules: yaml, aiosmtpd), not a version
# manager's shim earlier in PATH, whose start-up (half a second) cost more than the checks.
if [ -x /usr/bin/python3 ]; then
	mkdir "$T/bin"
	ln -s /usr/bin/python3 "$T/bin/python3"
	PATH=$T/bin:$PATH
fi
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

# ---- the store on either engine -------------------------------------------------------------------

# store_engine: sqlite or postgresql, as this run's store is.
store_engine() { if [ -n "${CERTFLEET_TEST_PG:-}" ]; then echo postgresql; else echo sqlite; fi; }

if [ -n "${CERTFLEET_TEST_PG:-}" ]; then
	PGSERVER_SH=${PGSERVER_SH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../pg" && pwd)/pgserver.sh}
	PSQL=$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
	PSQL=${PSQL:-psql}
	[ -f "$CERTFLEET_TEST_PG/password" ] || {
		echo "FAIL: CERTFLEET_TEST_PG=$CERTFLEET_TEST_PG holds no running pgserver.sh server" >&2
		exit 1
	}
	export PGPASSWORD
	PGPASSWORD=$(cat "$CERTFLEET_TEST_PG/password")
	STORE_DB=$(basename "$0" .sh)
	STORE_DB=t_${STORE_DB#test_}_$$
	export CERTFLEET_STORE
	CERTFLEET_STORE=$(sh "$PGSERVER_SH" createdb "$CERTFLEET_TEST_PG" "$STORE_DB")
	# psql on the script's database (the store's own role; no .psqlrc)
	store_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 "$CERTFLEET_STORE" "$@"; }
else
	export CERTFLEET_STORE="$T/store.db"
fi

# store_sql "SQL": runs SQL on the store; one line per row, columns separated by "|" (as the
# sqlite3 command prints them; NULL is empty). Several statements print each one's rows.
store_sql() {
	if [ -n "${CERTFLEET_TEST_PG:-}" ]; then
		printf '%s\n' "$1" | store_psql -At -F '|' -f -
	else
		sqlite3 "$CERTFLEET_STORE" "$1"
	fi
}

# store_dump: every table's rows, in a fixed order, for before/after comparisons: SQLite's .dump;
# on PostgreSQL one "INSERT INTO table VALUES(...);" line per row, tables by name, rows sorted.
store_dump() {
	if [ -z "${CERTFLEET_TEST_PG:-}" ]; then
		sqlite3 "$CERTFLEET_STORE" .dump
		return
	fi
	local tables
	tables=$(store_sql "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	for t in $tables; do
		echo "SELECT 'INSERT INTO $t VALUES' || r::text || ';' FROM $t r ORDER BY r;"
	done | store_psql -At -f -
}

# store_drop: removes the script's store (at exit, once the daemon has stopped).
store_drop() {
	if [ -n "${CERTFLEET_TEST_PG:-}" ]; then
		# the owner drops its own database, from the server's first one
		"$PSQL" -X -q "${CERTFLEET_STORE%/*}/certfleet" -c "DROP DATABASE IF EXISTS $STORE_DB WITH (FORCE)" \
			>/dev/null 2>&1 || echo "warning: could not drop the test database $STORE_DB" >&2
	fi
}

# A minimal deployment: cluster cl1, presence domain, DN. On PostgreSQL the script's database is
# emptied (its schema dropped and made again) instead of the file removed.
new_store() {
	if [ -n "${CERTFLEET_TEST_PG:-}" ]; then
		store_psql -c "DROP SCHEMA public CASCADE" -c "CREATE SCHEMA public" 2>/dev/null
	else
		rm -f "$CERTFLEET_STORE"*
	fi
	cf init >/dev/null
	cf cluster add "${1:-cl1}" >/dev/null
}

# ---- clean-up at exit --------------------------------------------------------------------------

# on_exit "COMMANDS": run when the script exits, before the daemon stops and the store and $T go
# (last registered first).
EXIT_HOOKS=()
on_exit() { EXIT_HOOKS=("$1" "${EXIT_HOOKS[@]}"); }
lib_exit() {
	local h
	for h in "${EXIT_HOOKS[@]}"; do
		eval "$h" || true
	done
	stop_certfleetd || true
	store_drop
	rm -rf "$T"
}
trap lib_exit EXIT

# ---- peers on loopback ------------------------------------------------------------------------

# Servers a script starts in the background (SERVERS+=($!)): stopped at exit or by stop_servers.
SERVERS=()
stop_servers() {
	local pid
	for pid in "${SERVERS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SERVERS=()
}
on_exit stop_servers
# wait_ready LOG WORD PID: until the server's log says WORD (it listens), at most 10 s.
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	fail "server did not start: $(cat "$1")"
	return 1
}
# s_server PORT CERT KEY [openssl s_server options...]: a TLS peer on 127.0.0.1:PORT (-www: it
# never reads stdin).
s_server() {
	local port=$1 cert=$2 key=$3 log="$T/s_server.$1.log"
	shift 3
	openssl s_server -accept "127.0.0.1:$port" -cert "$cert" -key "$key" -www "$@" >"$log" 2>&1 </dev/null &
	SERVERS+=($!)
	wait_ready "$log" ACCEPT $!
}

# smtp_python: the python3 that has Debian's aiosmtpd (the real SMTP server of the mail tests,
# through smtpd_starttls.py), or nothing when none has it.
smtp_python() {
	local py
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import aiosmtpd' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
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
	for _ in $(seq 1 300); do
		curl -sk -o /dev/null "$ORIGIN/app.css" && return 0
		sleep 0.1
	done
	fail "certfleetd did not answer on $ORIGIN"
}
# proc_running PID: the process exists and has not exited (an exited child not yet waited for is
# a zombie, which kill -0 still finds).
proc_running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
# stop_certfleetd: stops it (SIGTERM) and waits until it has gone (SIGKILL after 20 s).
stop_certfleetd() {
	[ -n "$DPID" ] || return 0
	local pid=$DPID
	DPID=""
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 400); do
		proc_running "$pid" || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
# assert_clean_stop: SIGTERM stops certfleetd with exit 0.
assert_clean_stop() {
	local rc=0
	kill -TERM "$DPID"
	wait "$DPID" || rc=$?
	DPID=""
	assert_eq "certfleetd exits 0 on SIGTERM" 0 "$rc"
}

# assert_no_sanitizer_report WHAT: certfleetd's log ($T/daemon.err) holds no ASan/UBSan report (the
# sanitizer build; leaks show once it has stopped).
assert_no_sanitizer_report() {
	assert_eq "$1: no sanitizer report from certfleetd" "" \
		"$(grep -aE 'runtime error|AddressSanitizer|LeakSanitizer' "$T/daemon.err" | head -3 || true)"
}

finish() {
	echo "$(basename "$0"): $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
