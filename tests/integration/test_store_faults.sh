#!/usr/bin/env bash
# engines: sqlite — PostgreSQL only, on a server of its own (tests/pg/pgserver.sh) that it stops and starts again; a CERTFLEET_TEST_PG run would only repeat it
# The store's PostgreSQL server failing under certfleet:
#  a. the server stops during a session: between two commands, while a command waits (on a row
#     lock, or for its input with the connection open) and while certfleetd runs. The command line
#     exits 6 with one line and no password; nothing committed before is lost; once the server is
#     back the command line works, a command that waited through the restart goes on, and
#     certfleetd answers again (and sees changes made by others) without a restart. In the
#     server's place, one that takes connections and never answers: certfleetd waits for it once,
#     then answers 503 at once for a few seconds.
#  b. `certfleet trust add` of a 5,000-certificate bundle killed (SIGKILL) at random moments: the
#     store holds the whole bundle or none of it, and the next import works.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
HERE=$(cd "$(dirname "$0")" && pwd)
PGSERVER=${SRCDIR:-$HERE/../..}/tests/pg/pgserver.sh
GEN_CERTS=${GEN_CERTS:-$(dirname "$CERTFLEET")/bench/gen_certs}
BIG=${FAULTS_BUNDLE:-5000}
KILLS=${FAULTS_KILLS:-5}
cd "$T" || exit 1
PY=python3
[ ! -x /usr/bin/python3 ] || PY=/usr/bin/python3
PSQL=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql
[ -x "$PSQL" ] || PSQL=psql
sql() { "$PSQL" "$CERTFLEET_STORE" -XAtqc "$1"; }
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); v=($1); print(v if not isinstance(v,(list,dict)) else json.dumps(v, sort_keys=True))"; }

PUB=ucm1.example.com
SUB=ucm2.example.com
LONE=cms1.example.com
PW_ADMIN='faults-admin-Pw-2c9e'
# the server lives outside $T (the server's own user must reach its directory)
PGDIR=$(mktemp -u /tmp/certfleet-pg-faults.XXXXXX)
cleanup() {
	stop_certfleetd
	(cd / && sh "$PGSERVER" stop "$PGDIR" >/dev/null 2>&1) || true
}
on_exit cleanup # certfleetd first, then its server
pg() { (cd / && sh "$PGSERVER" "$@" "$PGDIR"); }
pg_mode() { (cd / && sh "$PGSERVER" "$1" "$PGDIR" "$2"); }

pg start >/dev/null
export PGPASSWORD
PGPASSWORD=$(cat "$PGDIR/password")
CERTFLEET_STORE=$(cd / && sh "$PGSERVER" createdb "$PGDIR" faults)
export CERTFLEET_STORE

# daemon_done WHAT: stops certfleetd and finds no sanitizer report in its log
daemon_done() {
	stop_certfleetd
	assert_no_sanitizer_report "$1"
}
# one_line WHAT: the last cfx failed with exit 6, one line on stderr, without the password
one_line() {
	expect_rc "$1: exit 6" 6
	assert_eq "$1: one line on stderr ($ERR)" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	[[ "$ERR" != *"$PGPASSWORD"* ]] && ok || fail "$1: the password is in the error"
}
# snapshot: what the store holds that this test changes (trust rows, settings, users, audit rows)
snapshot() {
	cf --json cert list | json 'len(d["items"])'
	cf --json cluster show cl1 | json 'd["settings"]["presence-domains"]'
	cf --json user list | json '[u["name"] for u in d["items"]]'
	cf --json audit --limit 1 | json 'd["total"]'
}

# ---- setup ------------------------------------------------------------------------------------------
must "init" init
must "cluster add" cluster add cl1
must "node add $PUB" node add $PUB --cluster cl1 --product ucm --no-defaults
must "node add $SUB" node add $SUB --cluster cl1 --product ucm --no-defaults
must "cluster add" cluster add media
must "node add $LONE" node add $LONE --cluster media --product cms --no-defaults
must "self-signed tomcat (what certfleetd serves)" cert self-signed --node $PUB --purpose tomcat
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
"$GEN_CERTS" 6 small.pem >/dev/null
"$GEN_CERTS" "$BIG" big.pem >/dev/null
must "trust add" trust add --node $PUB --store tomcat-trust small.pem
must "cluster set" cluster set cl1 presence-domains before.example.com
start_certfleetd --node $PUB
curl -sk -c "$T/jar" -H 'Content-Type: application/json' -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" \
	"$BASE/login" >"$T/login.json"
CSRF=$(json 'd["csrf"]' <"$T/login.json")
api() { # api METHOD PATH [CURL-ARGS]: sets CODE; the body in $T/body
	local method=$1 path=$2
	shift 2
	CODE=$(curl -sk -b "$T/jar" -X "$method" -H "X-CSRF-Token: $CSRF" -o "$T/body" -w '%{http_code}' "$@" "$BASE$path") ||
		CODE="curl failed"
}
api GET /nodes
assert_eq "certfleetd answers" 200 "$CODE"
BEFORE=$(snapshot)

# ---- a. the server stops between two commands ------------------------------------------------------
pg pause
cfx cluster set cl1 presence-domains during.example.com
one_line "cluster set with the server stopped"
assert_contains "it says what is wrong" "cannot connect" "$ERR"
cfx --json cert list
one_line "cert list with the server stopped"
api GET /nodes
assert_eq "certfleetd with the server stopped: 503 (try again later)" 503 "$CODE"
assert_contains "certfleetd says why" "database server" "$(cat "$T/body")"
api PUT /clusters/cl1 -H 'Content-Type: application/json' -d '{"key":"presence-domains","values":["api.example.com"]}'
assert_eq "a change through certfleetd with the server stopped: 503" 503 "$CODE"
pg resume
assert_eq "nothing committed before is lost" "$BEFORE" "$(snapshot)"
api GET /nodes
assert_eq "certfleetd answers again without a restart" 200 "$CODE"
api PUT /clusters/cl1 -H 'Content-Type: application/json' -d '{"key":"presence-domains","values":["api.example.com"]}'
assert_eq "certfleetd makes changes again" 200 "$CODE"
must "the command line works again" cluster set cl1 presence-domains after.example.com
api GET /clusters/cl1
assert_eq "certfleetd sees the command line's change (it listens for changes again)" after.example.com \
	"$(json 'd["settings"]["presence-domains"] if isinstance(d["settings"], dict) else [s["value"] for s in d["settings"] if s["key"] == "presence-domains"][0]' <"$T/body" 2>&1)"

# ---- a. the server stops while a command waits on a row lock ---------------------------------------
# psql holds the cluster's settings row; cluster set waits for it (lock_timeout 10 s); the server
# stops under both
mkfifo hold
(cd / && "$PSQL" "$CERTFLEET_STORE" -XAtq -v ON_ERROR_STOP=1 <"$T/hold" >/dev/null 2>&1) &
HOLDER=$!
exec 8>hold
echo "BEGIN; SELECT 1 FROM cluster_settings FOR UPDATE; SELECT pg_sleep(60);" >&8
# wait (generous limit) until psql holds the rows
for _ in $(seq 1 300); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ] && break
	sleep 0.1
done
BEFORE=$(snapshot)
rc=0
"$CERTFLEET" cluster set cl1 presence-domains waiting.example.com >waiter.out 2>waiter.err &
WAITER=$!
for _ in $(seq 1 300); do
	[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
pg pause
wait "$WAITER" || rc=$?
exec 8>&-
wait "$HOLDER" 2>/dev/null || true
assert_eq "a command waiting on a lock when the server stops: exit 6 ($(cat waiter.err))" 6 "$rc"
assert_eq "one line" 1 "$(wc -l <waiter.err)"
pg resume
assert_eq "nothing committed before is lost, nothing half made" "$BEFORE" "$(snapshot)"
must "and the same change works now" cluster set cl1 presence-domains waiting.example.com

# ---- a. the server restarts while a command has its connection open --------------------------------
# user add opens the store, then reads the password: the restart comes in between
mkfifo pwpipe
# add_waiting NAME: `user add NAME` started, waiting for its password (pwpipe) with its connection
# open (generous limit); password_given PASSWORD: sends it, and the command's exit code is in rc
add_waiting() {
	"$CERTFLEET" user add "$1" --role read-only <pwpipe >"$1.out" 2>"$1.err" &
	ADDER=$!
	exec 9>pwpipe
	for _ in $(seq 1 300); do
		[ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'certfleet' AND state = 'idle'")" -ge 2 ] && break
		sleep 0.1
	done
}
password_given() {
	echo "$1" >&9
	exec 9>&-
	rc=0
	wait "$ADDER" || rc=$?
}
add_waiting carol
pg pause
pg resume
password_given "carol-Pw-restart-1d3f"
assert_eq "a command whose connection went with a restart goes on ($(cat carol.err))" 0 "$rc"
assert_contains "carol was added" carol "$(cf user list)"
# and when the server is still down at its next step: exit 6, one line, nothing half made
add_waiting dave
pg pause
password_given "dave-Pw-down-77b0"
assert_eq "a command whose server is down at its change: exit 6 ($(cat dave.err))" 6 "$rc"
assert_eq "one line" 1 "$(wc -l <dave.err)"
pg resume
[[ "$(cf user list)" != *dave* ]] && ok || fail "dave was added though user add failed"

# ---- a. a crash of the server (immediate stop) while certfleetd runs --------------------------------
pg_mode pause immediate
api GET /certificates
assert_eq "certfleetd with the server crashed: 503" 503 "$CODE"
pg resume
api GET /certificates
assert_eq "certfleetd answers again after the crash" 200 "$CODE"
must "the command line works after the crash" trust add --node $PUB --store CallManager-trust small.pem
api GET "/certificates?node=$PUB&store=CallManager-trust"
assert_eq "certfleetd sees it" 6 "$(json 'd["total"] if "total" in d else len(d["items"])' <"$T/body")"

# ---- a. in the server's place, one that takes connections and never answers ------------------------
# certfleetd's first try waits out libpq's connect timeout; asked again at once, it answers 503 without
# waiting on the server a second time; once the server is back (and the pause over) it answers again.
pg pause
python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("READY", flush=True)
time.sleep(600)' "$(cat "$PGDIR/port")" >silent.log 2>&1 &
SILENT=$!
SERVERS+=("$SILENT")
wait_ready silent.log READY "$SILENT"
api GET /certificates
assert_eq "certfleetd with a server that does not answer: 503" 503 "$CODE"
api GET /certificates
assert_eq "asked again at once: 503" 503 "$CODE"
assert_contains "  without waiting on that server again" "tried again in a few seconds" "$(cat "$T/body")"
stop_servers
pg resume
for _ in $(seq 1 100); do
	api GET /certificates
	[ "$CODE" = 200 ] && break
	sleep 0.1
done
assert_eq "certfleetd answers once the server is back" 200 "$CODE"
daemon_done "after the restarts"

# ---- b. SIGKILL of a big trust import ---------------------------------------------------------------
held() { cf --json cert list --node $LONE --store cms-trust | json 'len(d["items"])'; }
t0=$(date +%s%N)
must "a $BIG-certificate import (timed)" trust add --node $LONE --store cms-trust big.pem
took_ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq "it holds the bundle" "$BIG" "$(held)"
# empty the store again (trust delete is one certificate at a time: drop the node and add it back)
must "node delete" node delete $LONE --force
must "node add" node add $LONE --cluster media --product cms --no-defaults
all=0
none=0
early=0
for k in $(seq 1 "$KILLS"); do
	# SIGKILL at a moment in the import's time (within what the timed import took), unless it is
	# done by then
	at=$(awk -v ms="$took_ms" -v r="$RANDOM" 'BEGIN { printf "%.3f", (r / 32768) * ms / 1000 }')
	st=0
	(exec timeout -s KILL "$at" "$CERTFLEET" trust add --node $LONE --store cms-trust big.pem >/dev/null 2>&1) &
	wait $! 2>/dev/null || st=$? # (2>/dev/null: no "Killed" job notice)
	n=$(held)
	if [ "$n" = "$BIG" ]; then
		all=$((all + 1))
	elif [ "$n" = 0 ]; then
		none=$((none + 1))
	else
		fail "kill $k (exit $st): the store holds $n of the $BIG certificates"
	fi
	[ "$st" = 137 ] || early=$((early + 1))
	if [ "$n" = "$BIG" ]; then # start the next kill from an empty store
		cf node delete $LONE --force >/dev/null
		cf node add $LONE --cluster media --product cms --no-defaults >/dev/null
	fi
done
echo "kills: $KILLS SIGKILLs of a $BIG-certificate import ($took_ms ms whole): $none left none of it," \
	"$all all of it ($early had finished before the kill)"
must "the next import works" trust add --node $LONE --store cms-trust big.pem
assert_eq "and holds the whole bundle" "$BIG" "$(held)"

finish
