#!/usr/bin/env bash
# The one job runner (core/jobs, daemon/jobs.c): two certfleetd processes on one store, a real SMTP
# server (Debian's aiosmtpd through smtpd_starttls.py) and a certificate due for notice.
#   1. Both processes start at the same moment and both find the monitor job due: exactly one
#      digest arrives, and the job table (`job list`, GET /jobs) shows one run by one of them.
#   2. Runs on request at the same moment (each process's POST /monitor/run and two CLI passes)
#      after another certificate comes due: one digest for it; the others ran after it (nothing
#      new to send) or answered "under way" (503 with Retry-After, exit 5).
#   3. A job another process holds: a run on request answers 503 / exit 5 naming the holder and
#      sends nothing; `job list` shows who runs it; a lease past its time is nobody's.
. "$(dirname "$0")/lib.sh"
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
HERE=$(cd "$(dirname "$0")" && pwd)
CTJ='Content-Type: application/json'

SMTP_PY=$(smtp_python)
if [ -z "$SMTP_PY" ]; then
	fail "python3-aiosmtpd is not installed (scripts/deps.sh installs it)"
	finish
	exit 1
fi

P_SMTP=$(free_port)
MAIL="$T/mail"
mkdir -p "$MAIL"
"$SMTP_PY" "$HERE/smtpd_starttls.py" "$P_SMTP" - - "$MAIL" >"$T/smtp.log" 2>&1 &
SERVERS+=($!)
wait_ready "$T/smtp.log" READY $!
D1="" D2=""
stop_daemons() {
	local p
	for p in $D1 $D2; do kill "$p" 2>/dev/null || true; done
	for p in $D1 $D2; do wait "$p" 2>/dev/null || true; done
}
on_exit stop_daemons # before the SMTP server (hooks run last registered first)

# mails_about TEXT: how many messages arrived that name TEXT
mails_about() { grep -l -- "$1" "$MAIL"/*.eml 2>/dev/null | wc -l; }
# wait_for WHAT COMMAND...: until COMMAND succeeds (60 s at most)
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1 600); do
		"$@" && return 0
		sleep 0.1
	done
	fail "$what: still not so after 60 s"
	return 1
}
job_field() { cf --json job list | json "[j for j in d['items'] if j['kind'] == '$1'][0]$2"; }

# ---- a store with a certificate due for notice ----------------------------------------------------
new_store
N=ucm1.example.com
cf node add $N --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
must "the identity certfleetd serves" cert self-signed --node $N --purpose tomcat
must "a certificate due for notice" cert self-signed --node $N --purpose CallManager --days 10
must "monitor config" monitor config --emails ops@example.com --smtp "127.0.0.1:$P_SMTP" --smtp-tls none \
	--from certfleet-test@example.com
PW_ADMIN='jobs-admin-Pw-5c2e'
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null

# ---- 1. two processes start at the same moment ----------------------------------------------------
P1=$(free_port)
P2=$(free_port)
"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$P1" --log-level debug 2>"$T/d1.err" &
D1=$!
"$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$P2" --log-level debug 2>"$T/d2.err" &
D2=$!
answers() { curl -sk -o /dev/null "https://127.0.0.1:$1/app.css"; }
wait_for "certfleetd 1 answers" answers "$P1"
wait_for "certfleetd 2 answers" answers "$P2"
monitor_ran() { [ "$(job_field monitor '["last_status"]')" = ok ]; }
wait_for "the monitor job has run" monitor_ran
# both runners have looked at the table since: whoever did not run the pass saw it done or held
looked() { grep -q "jobs: the table looked at" "$T/d1.err" && grep -q "jobs: the table looked at" "$T/d2.err"; }
wait_for "both runners looked at the table" looked
passes=$(cat "$T/d1.err" "$T/d2.err" | grep -c "monitor: pass done" || true)
assert_eq "one pass between the two processes" 1 "$passes"
assert_eq "one digest for the certificate due" 1 "$(mails_about "CallManager")"
assert_eq "and no other message" 1 "$(ls "$MAIL" | grep -c '\.eml$')"
assert_eq "the job is free again, due later, no failures" "None True 0 None" \
	"$(cf --json job list | json "[(j['running'], j['next_run'] > j['last_run'], j['attempts'], j['last_error']) for j in d['items'] if j['kind'] == 'monitor'][0]" | tr -d "(),'")"
assert_eq "the other duties, planned by their settings" \
	"acme-auto:by identity (acme list) ca-crl:by CA (ca list) ca-ocsp:by CA (ca list) crl-download:daily at 02:00 UTC ocsp-check:off" \
	"$(cf --json job list | json "' '.join(j['kind'] + ':' + j['plan'] for j in d['items'] if j['kind'] != 'monitor')")"
cfx job list
expect_rc "job list" 0
assert_contains "job list: the monitor's row" "monitor" "$OUT"

# the API shows the same table
login() { curl -sk -c "$T/jar$1" -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" \
	"https://127.0.0.1:$1/api/v1/login" | json 'd["csrf"]'; }
CSRF1=$(login "$P1")
CSRF2=$(login "$P2")
api_jobs=$(curl -sk -b "$T/jar$P2" "https://127.0.0.1:$P2/api/v1/jobs" | json "[(j['kind'], j['next_run'], j['last_status']) for j in d['items']]")
cli_jobs=$(cf --json job list | json "[(j['kind'], j['next_run'], j['last_status']) for j in d['items']]")
assert_eq "GET /jobs answers what job list prints" "$cli_jobs" "$api_jobs"

# ---- 2. runs on request at the same moment ---------------------------------------------------------
must "another certificate due" cert self-signed --node $N --purpose CallManager-ECDSA --days 5
run_api() { # run_api PORT CSRF N: POST /monitor/run; its status into $T/race.N
	curl -sk -b "$T/jar$1" -H "X-CSRF-Token: $2" -X POST -o "$T/race.$3.body" -D "$T/race.$3.head" \
		-w '%{http_code}' "https://127.0.0.1:$1/api/v1/monitor/run" >"$T/race.$3"
}
run_cli() { # run_cli N: certfleet monitor run; its exit code into $T/race.N
	local rc=0
	cf monitor run >/dev/null 2>"$T/race.$1.err" || rc=$?
	echo "$rc" >"$T/race.$1"
}
RACERS=()
run_api "$P1" "$CSRF1" 1 &
RACERS+=($!)
run_api "$P2" "$CSRF2" 2 &
RACERS+=($!)
run_cli 3 &
RACERS+=($!)
run_cli 4 &
RACERS+=($!)
wait "${RACERS[@]}"
results=$(cat "$T/race.1" "$T/race.2" "$T/race.3" "$T/race.4" | tr '\n' ' ')
echo "runs on request at the same moment: $results"
ran=0
for n in 1 2; do
	case $(cat "$T/race.$n") in
	200) ran=$((ran + 1)) ;;
	503)
		assert_contains "race $n: a 503 says a run is under way" "under way" "$(cat "$T/race.$n.body")"
		grep -qi '^Retry-After:' "$T/race.$n.head" || fail "race $n: a 503 without Retry-After"
		;;
	*) fail "race $n: POST /monitor/run answered $(cat "$T/race.$n"): $(cat "$T/race.$n.body")" ;;
	esac
done
for n in 3 4; do
	case $(cat "$T/race.$n") in
	0) ran=$((ran + 1)) ;;
	5) assert_contains "race $n: exit 5 says a run is under way" "under way" "$(cat "$T/race.$n.err")" ;;
	*) fail "race $n: monitor run exited $(cat "$T/race.$n"): $(cat "$T/race.$n.err")" ;;
	esac
done
[ "$ran" -ge 1 ] && ok || fail "no run on request ran"
assert_eq "one digest for the new certificate" 1 "$(mails_about "CallManager-ECDSA")"
assert_eq "and the first one was not sent again" 1 "$(grep -L -- "CallManager-ECDSA" "$MAIL"/*.eml | wc -l)"

# ---- 3. a job another process holds ---------------------------------------------------------------
must "a third certificate due" cert self-signed --node $N --purpose ipsec --days 3
before=$(ls "$MAIL" | grep -c '\.eml$')
until_t=$(($(date +%s) + 600))
store_sql "UPDATE jobs SET lease_holder = 'certfleetd on elsewhere pid 1', lease_until = $until_t WHERE kind = 'monitor'"
code=$(curl -sk -b "$T/jar$P1" -H "X-CSRF-Token: $CSRF1" -X POST -o "$T/held.body" -D "$T/held.head" \
	-w '%{http_code}' "https://127.0.0.1:$P1/api/v1/monitor/run")
assert_eq "POST /monitor/run while held elsewhere" 503 "$code"
assert_contains "the 503 names the holder" "certfleetd on elsewhere pid 1" "$(cat "$T/held.body")"
grep -qi '^Retry-After:' "$T/held.head" && ok || fail "the 503 has no Retry-After"
cfx monitor run
expect_rc "monitor run while held elsewhere" 5
assert_contains "exit 5 names the holder" "a run is under way in certfleetd on elsewhere pid 1" "$ERR"
assert_eq "job list shows who runs it" "certfleetd on elsewhere pid 1" "$(job_field monitor '["running"]["by"]')"
assert_eq "nothing was sent" "$before" "$(ls "$MAIL" | grep -c '\.eml$')"
# a lease past its time is nobody's
store_sql "UPDATE jobs SET lease_until = $(($(date +%s) - 1)) WHERE kind = 'monitor'"
must "monitor run once the lease ran out" monitor run
assert_eq "the held-back certificate's digest" 1 "$(mails_about "ipsec")"
assert_eq "job list: nobody runs it now" None "$(job_field monitor '["running"]')"

for p in $D1 $D2; do kill "$p"; done
for p in $D1 $D2; do wait "$p" 2>/dev/null || true; done
D1="" D2=""
assert_eq "no sanitizer report from either process" "" \
	"$(grep -l -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$T/d1.err" "$T/d2.err" 2>/dev/null)"
finish
