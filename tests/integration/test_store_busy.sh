#!/usr/bin/env bash
# A store held by another change (a long CLI import, say): the write lock taken by the engine's own
# tool (sqlite3's BEGIN IMMEDIATE; on PostgreSQL a LOCK of the audit table, which every audited
# change writes) and kept until the test lets go.
#  1. reads never wait on it: `certfleet cert list` (opening the store included) and certfleetd's
#     GET routes answer at once;
#  2. a change through the API waits on a worker, not on the loop: while it waits, GET /session
#     answers within curl's 2 s limit; it ends after the engine's lock timeout (10 s) with 503, a
#     Retry-After header and "store busy", and nothing of it is in the store;
#  3. a change on the command line ends the same way: exit 5, one line saying "store busy";
#  4. once the lock is let go, the same changes go through.
. "$(dirname "$0")/lib.sh"
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
cd "$T" || exit 1
CTJ='Content-Type: application/json'

N=ucm1.example.com
new_store
cf node add $N --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
must "the identity certfleetd serves" cert self-signed --node $N --purpose tomcat
PW_ADMIN='busy-admin-Pw-5c1e'
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
start_certfleetd --node $N
CSRF=$(curl -sk -c jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
[ -n "$CSRF" ] && ok || fail "login"

# hold_lock: takes the store's write lock in the background until the file "release" appears;
# returns once the lock is held ("locked" in holder.out).
hold_lock() {
	rm -f release holder.out
	if [ -n "${CERTFLEET_TEST_PG:-}" ]; then
		{
			echo "BEGIN; LOCK TABLE audit IN EXCLUSIVE MODE; SELECT 'locked';"
			while [ ! -e release ]; do sleep 0.1; done
			echo "ROLLBACK;"
		} | store_psql -At -f - >holder.out 2>&1 &
	else
		python3 - "$CERTFLEET_STORE" >holder.out 2>&1 <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
while not os.path.exists("release"):
    time.sleep(0.1)
c.execute("ROLLBACK")
EOF
	fi
	HOLDER=$!
	for _ in $(seq 1 100); do grep -q locked holder.out 2>/dev/null && return 0; sleep 0.1; done
	fail "the lock holder did not start: $(cat holder.out)"
}

BEFORE=$(store_dump | grep -v 'INSERT INTO audit')
hold_lock

# ---- 1. reads -------------------------------------------------------------------------------------
cfx cert list --node $N
expect_rc "cert list while the store is held" 0
code=$(curl -sk -b jar -o certs.json -w '%{http_code}' --max-time 2 "$BASE/certificates?node=$N" || true)
assert_eq "GET /certificates while the store is held" 200 "$code"

# ---- 2. a change through the API ------------------------------------------------------------------
curl -sk -b jar -H "X-CSRF-Token: $CSRF" -H "$CTJ" -X PUT -d '{"start_days": 45}' -D put.hdr -o put.body \
	-w '%{http_code}' --max-time 120 "$BASE/monitor" >put.part &
PUT=$!
sleep 1 # the PUT is waiting on the lock by now (it waits 10 s)
code=$(curl -sk -b jar -o session.json -w '%{http_code}' --max-time 2 "$BASE/session" || true)
assert_eq "GET /session while a change waits on the lock" 200 "$code"
kill -0 $PUT 2>/dev/null && ok || fail "the PUT ended before GET /session was answered"
wait $PUT
assert_eq "the waiting PUT: status" 503 "$(cat put.part)"
assert_contains "  Retry-After" "Retry-After:" "$(cat put.hdr)"
assert_contains "  store busy" "store busy" "$(cat put.body)"

# ---- 3. a change on the command line --------------------------------------------------------------
cfx monitor config --start-days 45
expect_rc "monitor config while the store is held" 5
assert_contains "  says store busy" "store busy" "$ERR"
assert_eq "  one line" 1 "$(wc -l <<<"$ERR")"

touch release
wait $HOLDER
assert_eq "nothing changed while the store was held" "$BEFORE" "$(store_dump | grep -v 'INSERT INTO audit')"

# ---- 4. once let go ---------------------------------------------------------------------------------
code=$(curl -sk -b jar -H "X-CSRF-Token: $CSRF" -H "$CTJ" -X PUT -d '{"start_days": 45}' -o put2.body \
	-w '%{http_code}' "$BASE/monitor")
assert_eq "the PUT once the lock is let go" 200 "$code"
assert_eq "  applied" 45 "$(cf --json monitor show | json 'd["start_days"]')"
must "monitor config once the lock is let go" monitor config --start-days 40
finish
