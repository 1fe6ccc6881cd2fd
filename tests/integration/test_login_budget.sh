#!/usr/bin/env bash
# certfleetd's global budget of password checks (README "certfleetd", src/daemon/login_budget.h),
# with curl as the clients from many loopback source addresses (--interface 127.0.N.M):
#  1. --login-budget takes a percentage from 1 to 100; anything else is a usage error;
#  2. four clients rotating source addresses post wrong logins (unknown names and a real
#     account's wrong password), none reaching its address's own limit: once the budget is spent
#     they get 429 with Retry-After and the server-wide message, and every answer is a 401 or
#     such a 429;
#  3. meanwhile a logged-in client's GET /api/v1/session answers every time (counted, not timed);
#  4. while the budget is spent, an unknown name gets the 429 but the admin's right password
#     gets in (each account's own check); after the attack the admin logs in again, following
#     Retry-After if the budget is still spent;
#  5. the refusals are logged once a minute with a count, not once per request; no password is
#     logged.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

PW_ADMIN='admin password of the login budget test'
PW_WATCHER='watcher password of the login budget test'
PW_BOB='bob password of the login budget test'
SERVER_MSG='too many failed logins on this server just now'
new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
cf user add watcher --role read-only <<<"$PW_WATCHER" >/dev/null
cf user add bob --role read-only <<<"$PW_BOB" >/dev/null

# ---- 1. the option ------------------------------------------------------------------------------
for bad in 0 101 x 25% ""; do
	assert_exit "--login-budget '$bad'" 2 "$CERTFLEETD" --store "$CERTFLEET_STORE" --login-budget "$bad"
	assert_contains "--login-budget '$bad': usage" "--login-budget PERCENT" "$(cat "$T/err")"
done

start_certfleetd # the default budget

# login FROM USER PASSWORD NAME [JAR]: one login; prints "STATUS RETRY-AFTER MESSAGE" (RETRY-AFTER
# "-" when absent); the answer in r/NAME, its headers in r/NAME.h.
mkdir -p r
login() {
	local jar=${5:-/dev/null} code ra msg
	code=$(curl -sk --max-time 60 --interface "$1" -o "r/$4" -D "r/$4.h" -c "$jar" -w '%{http_code}' \
		-H 'Content-Type: application/json' -d "{\"user\":\"$2\",\"password\":\"$3\"}" "$BASE/login") ||
		code="curl-failed"
	ra=$(grep -i '^retry-after:' "r/$4.h" 2>/dev/null | tr -d '\r' | awk '{print $2}' || true)
	msg=$(json 'd.get("error", {}).get("message", "")' <"r/$4" 2>/dev/null || true)
	echo "$code ${ra:--} $msg"
}

# ---- the logged-in client, and the attack -------------------------------------------------------
assert_eq "the watcher logs in" 200 "$(login 127.0.0.1 watcher "$PW_WATCHER" watcher watcher.jar | cut -d' ' -f1)"

STOP=$T/stop
START=$SECONDS
# attacker K: wrong logins until $STOP exists, rotating over 8 addresses 127.0.K.1-8 (a few
# failures each, far below an address's 20); odd tries name unknown accounts, even ones bob.
attacker() {
	local k=$1 i=0 user
	while [ ! -e "$STOP" ]; do
		i=$((i + 1))
		if [ $((i % 2)) = 1 ]; then user="nobody-$k-$i"; else user=bob; fi
		login "127.0.$k.$((i % 8 + 1))" "$user" "wrong guess $k $i" "a$k" >>"attack$k.txt"
		[ -e "r/first429.$k" ] || ! grep -qF "$SERVER_MSG" "r/a$k" || cp "r/a$k" "r/first429.$k"
		[ "$i" -lt 400 ] || break # a bound, should the stop never come
	done
}
# watcher: GET /api/v1/session with its cookie until $STOP exists; one line per answer.
watcher() {
	while [ ! -e "$STOP" ]; do
		curl -sk --max-time 60 --interface 127.0.0.1 -b watcher.jar -o r/session -w '%{http_code} ' "$BASE/session" ||
			echo -n "curl-failed "
		json 'd.get("user")' <r/session 2>/dev/null || echo none
	done >>watch.txt
}
PIDS=()
for k in 1 2 3 4; do
	attacker "$k" &
	PIDS+=($!)
done
watcher &
PIDS+=($!)

# until some attacker has met the spent budget (generous limit)
SPENT=""
for _ in $(seq 1 600); do
	if grep -qF "$SERVER_MSG" attack*.txt 2>/dev/null; then
		SPENT=yes
		break
	fi
	sleep 0.1
done
assert_eq "the attack spends the budget" yes "$SPENT"

# ---- 4. during the attack: an unknown name is refused unchecked, the admin gets in ---------------
PROBE=$(login 127.0.9.1 nobody-probe "wrong guess" probe)
ADMIN1=$(login 127.0.9.2 admin "$PW_ADMIN" admin1 admin1.jar)
# the attack goes on for 10 more of the watcher's requests (counted; generous limit)
WATCHED_DURING=$(wc -l <watch.txt)
for _ in $(seq 1 1200); do
	[ "$(wc -l <watch.txt)" -lt $((WATCHED_DURING + 10)) ] || break
	sleep 0.1
done
WATCHED_DURING=$(wc -l <watch.txt)
touch "$STOP"
for p in "${PIDS[@]}"; do wait "$p"; done
ELAPSED=$((SECONDS - START))

# The probe is usually refused by the spent budget; the budget may just have earned a check back.
case "$PROBE" in
"429 "[0-9]*" $SERVER_MSG"* | "401 - "*) ok ;;
*) fail "an unknown name during the attack: [$PROBE], expected the server's 429 or a 401" ;;
esac
assert_eq "the admin's right password gets in during the attack" 200 "${ADMIN1%% *}"
assert_eq "its session works" admin "$(curl -sk -b admin1.jar "$BASE/session" | json 'd["user"]')"

# ---- 2. what the attackers got -------------------------------------------------------------------
cat attack*.txt >attack.txt
N_ALL=$(wc -l <attack.txt)
N401=$(grep -c '^401 ' attack.txt || true)
N429=$(grep -cF "$SERVER_MSG" attack.txt || true)
BAD=$(grep -v -E "^401 - |^429 [0-9]+ $SERVER_MSG; try again in [0-9]+ s$" attack.txt | head -3 || true)
assert_eq "every wrong login answered 401 or the server's 429 with Retry-After" "" "$BAD"
echo "wrong logins: $N_ALL, checked (401) $N401, refused unchecked (429) $N429; the watcher's requests: $(wc -l <watch.txt)"
if [ "$N429" -ge 1 ] && [ "$N401" -ge 1 ]; then ok; else fail "expected both: $N401 checked (401), $N429 refused unchecked (429)"; fi
RA_BAD=$(grep -F "$SERVER_MSG" attack.txt | awk '$2 < 1 || $2 > 60' | head -3 || true)
assert_eq "Retry-After is 1 to 60 s" "" "$RA_BAD"
assert_eq "the 429 is the API's error shape" "too many requests" "$(json 'd["error"]["code"]' <"$(ls r/first429.* | head -1)")"
assert_eq "no address reached its own limit" "" "$(grep -F 'from this address' attack.txt | head -1 || true)"

# ---- 3. the logged-in client was answered every time --------------------------------------------
N_WATCH=$(wc -l <watch.txt)
if [ "$WATCHED_DURING" -ge 10 ]; then ok; else fail "the watcher made only $N_WATCH requests ($WATCHED_DURING before the stop)"; fi
assert_eq "every GET /api/v1/session during the attack answered 200 for the watcher ($N_WATCH)" "" \
	"$(grep -v '^200 watcher$' watch.txt | head -3 || true)"

# ---- 4 again: after the attack the admin logs in, following Retry-After --------------------------
ADMIN2=""
for _ in $(seq 1 30); do
	ADMIN2=$(login 127.0.9.3 admin "$PW_ADMIN" admin2 admin2.jar)
	case "$ADMIN2" in
	"429 "[0-9]*" $SERVER_MSG"*) sleep "$(echo "$ADMIN2" | cut -d' ' -f2)" ;;
	*) break ;;
	esac
done
assert_eq "after the attack the admin logs in" 200 "${ADMIN2%% *}"
assert_eq "and the watcher's session still works" "200 watcher" \
	"$(curl -sk -b watcher.jar -o r/session -w '%{http_code}' "$BASE/session") $(json 'd["user"]' <r/session)"

# ---- 5. the log -----------------------------------------------------------------------------------
LINES=$(grep -cF "login refused: too many failed logins on this server" daemon.err || true)
if [ "$LINES" -ge 1 ] && [ "$LINES" -le $((1 + ELAPSED / 60 + 1)) ] && [ "$LINES" -lt "$N429" ]; then
	ok
else
	fail "$N429 refusals by the budget in ${ELAPSED}s logged in $LINES lines, expected one a minute"
fi
grep -F "login refused: too many failed logins on this server" daemon.err | head -2
assert_contains "the line counts the refusals" "refused since the last such line" "$(cat daemon.err)"
for pw in "$PW_ADMIN" "$PW_WATCHER" "$PW_BOB" "wrong guess"; do
	assert_eq "no password in the log" "" "$(grep -F "$pw" daemon.err || true)"
done

finish
