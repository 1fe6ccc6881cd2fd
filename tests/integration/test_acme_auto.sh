#!/usr/bin/env bash
# ACME auto mode (SPEC §7, §11.4 `acme auto`), run by certfleetd's job runner against real CAs on
# loopback, with time moved by CERTFLEET_NOW:
#   1. settings refused (no account, bad days or time, an unknown account or purpose): nothing kept;
#   2. pebble: auto on for an identity with a self-signed certificate: certfleetd's runner orders at
#      once (HTTP-01 answered by its own --acme-http), deploys, then serves the new certificate;
#      the next renewal planned at two thirds of the lifetime (pebble has no ARI), from openssl's
#      reading of the dates;
#   3. the ACME stub (6-day certificates, ARI): the doctor flags a weekly deploy window
#      (acme-schedule); the CA's window fetched and a renewal time chosen inside it; nothing
#      ordered before it; after it (and a submission time), an order that replaces the deployed
#      certificate (its ARI id, computed from openssl's view), staged and held for the deploy
#      window; deployed inside the window;
#   4. pebble down: three failed passes on the backoff ladder make the identity "stuck", named by
#      the monitor (its JSON, its log line, its mail through a real SMTP server) and the doctor;
#      after 30 days auto mode gives up (no more orders, the doctor says so); `acme auto on`
#      again tries at once and the identity renews.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1
# shellcheck disable=SC1091
. "$SRCDIR/tests/acme/acme_lib.sh"
N1=ucm1.example.test N2=ucm2.example.test N3=ucm3.example.test
DAY=86400
epoch() { date -u -d "$1" +%s; }

# daemon_at EPOCH [OPTIONS]: certfleetd with its clock at EPOCH (its runner's pass runs at start).
daemon_at() {
	local at=$1
	shift
	CERTFLEET_NOW=$at start_certfleetd "$@"
}
# wait_for WHAT PYTHON-EXPR NODE: polls `acme show` of (NODE, tomcat) until the expression on it
# holds (90 s at most).
wait_for() {
	local got=""
	for _ in $(seq 1 450); do
		got=$(cf --json acme show --node "$3" --purpose tomcat 2>/dev/null | json "$2" 2>/dev/null || true)
		[ "$got" == True ] && break
		sleep 0.2
	done
	assert_eq "$1" True "$got"
}
show() { cf --json acme show --node "$1" --purpose tomcat | json "$2"; }
sha_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

new_store
cf node add $N1 --cluster cl1 --product ucm --publisher >/dev/null
cf cluster add cl2 >/dev/null
cf cluster add cl3 >/dev/null
cf node add $N2 --cluster cl2 --product ucm --publisher >/dev/null
cf node add $N3 --cluster cl3 --product ucm --publisher >/dev/null
start_pebble pb
HTTP1=127.0.0.1:$ACME_HTTP_PORT
must "account at pebble" acme account add le --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE"

# ---- 1. settings refused, nothing kept ---------------------------------------------------------------
cfx acme auto --node $N1 --purpose tomcat on
expect_rc "auto on without an account" 5
assert_contains "the account asked for" "--account" "$ERR"
cfx acme auto --node $N1 --purpose tomcat on --account le --deploy-days funday
expect_rc "deploy days that are none" 3
assert_contains "the days named" "deploy days" "$ERR"
cfx acme auto --node $N1 --purpose tomcat on --account le --deploy-time 25:00
expect_rc "a deploy time that is none" 3
cfx acme auto --node $N1 --purpose tomcat on --account nobody
expect_rc "an unknown account" 4
cfx acme auto --node $N1 --purpose server on --account le
expect_rc "a purpose the node lacks" 3
cfx acme auto --node $N1 --purpose tomcat maybe --account le
expect_rc "neither on nor off" 2
assert_eq "nothing kept after the refusals" 0 "$(cf --json acme list | json 'len(d["items"])')"

# ---- 2. pebble: the first order at once, deployed, served; the next renewal at 2/3 ------------------------
SELF=$(cf --json cert show --node $N1 --purpose tomcat | json 'd["sha256"]')
must "auto on" --json acme auto --node $N1 --purpose tomcat on --account le
assert_eq "auto on, nothing ordered yet" "True none" "$(json 'str(d["auto"]) + " " + d["state"]' <"$LAST")"
T0=$(date +%s)
RENEW=$(epoch "$(json 'd["renew_at"]' <"$LAST")")
if [ "$RENEW" -le "$T0" ] && [ "$RENEW" -ge $((T0 - 60)) ]; then ok; else fail "a self-signed identity renews at once: $RENEW vs $T0"; fi
DUE=$(epoch "$(cf --json job list | json '[j["next_run"] for j in d["items"] if j["kind"] == "acme-auto"][0]')")
if [ "$DUE" -le "$(date +%s)" ]; then ok; else fail "the runner's job is not due at once: $DUE"; fi
start_certfleetd --acme-http "$HTTP1"
wait_for "certfleetd's runner ordered and deployed" 'd["state"] == "deployed" and d["last_deploy"]["status"] == "ok"' $N1
# the deploy step goes on after its state is recorded (deploy targets, the served check); the
# runner logs it when it ends
for _ in $(seq 1 200); do
	grep -q "acme: $N1 tomcat: deployed " "$T/daemon.err" && break
	sleep 0.1
done
cf cert show --node $N1 --purpose tomcat --pem >n1.pem
"$PEBBLE" roots "$T/pb" roots.pem >/dev/null
cf --json cert show --node $N1 --purpose tomcat | json 'd["chain_pem"]' >n1chain.pem
if openssl verify -CAfile roots.pem -untrusted n1chain.pem n1.pem >/dev/null 2>&1; then ok; else fail "the renewed identity does not verify against pebble's roots"; fi
assert_contains "the identity is pebble's" "Pebble Intermediate CA" "$(openssl x509 -in n1.pem -noout -issuer)"
if [ "$(sha_of n1.pem)" != "$SELF" ]; then ok; else fail "the self-signed certificate is still the identity"; fi
SERVED=""
for _ in $(seq 1 100); do
	SERVED=$(openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$SERVED" == "$(sha_of n1.pem)" ] && break
	sleep 0.1
done
assert_eq "certfleetd serves the renewed certificate" "$(sha_of n1.pem)" "$SERVED"
NB=$(epoch "$(openssl x509 -in n1.pem -noout -startdate | cut -d= -f2)")
NA=$(epoch "$(openssl x509 -in n1.pem -noout -enddate | cut -d= -f2)")
assert_eq "the next renewal at two thirds of the lifetime" "$((NB + (NA - NB) / 3 * 2))" "$(epoch "$(show $N1 'd["renew_at"]')")"
assert_eq "pebble has no ARI: no window" None "$(show $N1 'd["ari"]')"
assert_contains "the runner's log names the deploy" "acme: $N1 tomcat: deployed $(sha_of n1.pem)" "$(cat "$T/daemon.err")"
stop_certfleetd
cf audit --limit 50 >audit.txt
assert_eq "the runner's order audited as auto mode's" 1 "$(grep -c "acme auto.*acme order \[$N1 tomcat\] ok" audit.txt)"
assert_eq "the runner's deploy audited as auto mode's" 1 "$(grep -c "acme auto.*acme deploy \[$N1 tomcat\] ok" audit.txt)"
must "auto off" --json acme auto --node $N1 --purpose tomcat off
assert_eq "auto off" False "$(json 'd["auto"]' <"$LAST")"

# ---- 3. the stub: ARI window, replaces, a deploy window -----------------------------------------------
mkdir stub
"$SRCDIR/tests/acme/acme_stub.py" --dir "$T/stub" --lifetime-days 6 >stub/log 2>&1 &
SERVERS+=($!)
for _ in $(seq 1 100); do [ -s stub/env ] && break; sleep 0.1; done
# shellcheck disable=SC1091
. stub/env
orders() { curl -s --cacert "$ACME_CA_FILE" "$ACME_STUB/stub/orders" | json 'd if isinstance(d, list) else d["orders"]'; }
must "account at the stub" acme account add stub --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE"
must "a 6-day certificate" acme order --node $N2 --purpose tomcat --account stub
must "deployed by hand" acme deploy --node $N2 --purpose tomcat
cf cert show --node $N2 --purpose tomcat --pem >n2.pem
NB=$(epoch "$(openssl x509 -in n2.pem -noout -startdate | cut -d= -f2)")
NA=$(epoch "$(openssl x509 -in n2.pem -noout -enddate | cut -d= -f2)")
NOW=$(date +%s)
# the deploy window: 02:00 UTC two days after the renewal time's day (a day of the week the fake clock reaches later)
WSTART=$((NOW + DAY)) WEND=$((NOW + 2 * DAY))
curl -s --cacert "$ACME_CA_FILE" -X POST \
	-d "{\"start\":\"$(date -u -d "@$WSTART" +%FT%TZ)\",\"end\":\"$(date -u -d "@$WEND" +%FT%TZ)\"}" "$ACME_STUB/stub/window" >/dev/null
WDAY_AT=$(($((WEND + 2 * DAY)) / DAY * DAY + 7200))
WDAY=$(date -u -d "@$WDAY_AT" +%a | tr '[:upper:]' '[:lower:]')
must "auto on with a weekly deploy window" --json acme auto --node $N2 --purpose tomcat on --account stub \
	--deploy-days "$WDAY" --deploy-time 02:00
assert_eq "the window kept" "$WDAY 02:00" "$(json 'd["deploy_days"] + " " + d["deploy_time"]' <"$LAST")"
cf --json doctor --node $N2 >doctor.json || true
assert_eq "doctor: a weekly window cannot serve a 6-day certificate (acme-schedule)" "warning tomcat" \
	"$(json '" ".join([f["severity"] + " " + f["purpose"] for f in d["findings"] if f["rule"] == "acme-schedule"])' <doctor.json)"
NORDERS=$(orders | json 'len(d)')
daemon_at "$(date +%s)" # not before `acme auto on` brought the runner's job forward
wait_for "the CA's window fetched" 'd["ari"] is not None' $N2
stop_certfleetd
RENEW=$(epoch "$(show $N2 'd["renew_at"]')")
if [ "$RENEW" -ge "$WSTART" ] && [ "$RENEW" -lt "$WEND" ]; then ok; else fail "the renewal time $RENEW is not inside the window $WSTART..$WEND"; fi
assert_eq "nothing ordered before the window" "$NORDERS" "$(orders | json 'len(d)')"
# after the renewal time and the submission time that follows it (at most 12 hours later)
AFTER=$((RENEW + 12 * 3600 + 60))
daemon_at "$AFTER"
wait_for "renewed inside the window: staged" 'd["state"] == "staged"' $N2
stop_certfleetd
ARI_ID=$(ari_id n2.pem)
assert_eq "the renewal replaces the deployed certificate" "$ARI_ID" "$(orders | json 'd[-1]["replaces"]')"
assert_eq "held for the deploy window: the identity unchanged" "$(sha_of n2.pem)" \
	"$(cf --json cert show --node $N2 --purpose tomcat | json 'd["sha256"]')"
STAGED=$(show $N2 'd["staged"]["sha256"]')
daemon_at $((WDAY_AT + 60))
wait_for "deployed inside the window" 'd["state"] == "deployed"' $N2
stop_certfleetd
assert_eq "the staged certificate is the identity" "$STAGED" "$(cf --json cert show --node $N2 --purpose tomcat | json 'd["sha256"]')"
must "auto off for the stub's identity" acme auto --node $N2 --purpose tomcat off

# ---- 4. the CA down: stuck, named by the monitor and the doctor; giving up after 30 days ---------------
SMTP_PY=$(smtp_python)
if [ -z "$SMTP_PY" ]; then fail "python3-aiosmtpd is not installed (scripts/deps.sh installs it)"; fi
SMTP_PORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout smtp.key -out smtp.crt -days 2 -subj /CN=127.0.0.1 >/dev/null 2>&1
mkdir mail
"$SMTP_PY" "$SRCDIR/tests/integration/smtpd_starttls.py" "$SMTP_PORT" smtp.crt smtp.key "$T/mail" >smtp.log 2>&1 &
SERVERS+=($!)
for _ in $(seq 1 100); do grep -q READY smtp.log 2>/dev/null && break; sleep 0.1; done
must "monitor mail to the SMTP server" monitor config --email on --emails ops@example.test \
	--smtp "127.0.0.1:$SMTP_PORT" --smtp-tls none
"$PEBBLE" pause "$T/pb"
must "auto on while the CA is down" acme auto --node $N3 --purpose tomcat on --account le
T0=$(date +%s) # not before `acme auto on` brought the runner's job forward
for step in 0 120 400; do
	daemon_at $((T0 + step)) --acme-http "$HTTP1"
	wait_for "a failed pass at +$step s recorded" "d[\"last_sign\"] is not None and d[\"last_sign\"][\"status\"] == \"failed\" and d[\"failures\"] >= $([ $step = 0 ] && echo 1 || ([ $step = 120 ] && echo 2 || echo 3))" $N3
	stop_certfleetd
done
assert_eq "stuck after three failed passes" "stuck 3" "$(show $N3 'd["state"] + " " + str(d["failures"])')"
CERTFLEET_NOW=$((T0 + 400)) cfx --json monitor run
assert_contains "the monitor names the stuck identity" "$N3 tomcat: 3 ACME orders with account le failed in a row" \
	"$(json '" ".join(d["acme_stuck"])' <"$LAST")"
assert_contains "the monitor's log line" "ACME renewal stuck: $N3 tomcat" "$ERR"
MAIL=""
for _ in $(seq 1 50); do MAIL=$(cat mail/* 2>/dev/null || true); [ -n "$MAIL" ] && break; sleep 0.1; done
assert_contains "the mail's subject names it" "Subject: certfleet: ACME renewal stuck - $N3 tomcat" "$MAIL"
assert_contains "the mail says why" "3 ACME orders with account le failed in a row" "$MAIL"
cf --json doctor --node $N3 >doctor.json || true
assert_eq "doctor: acme-stuck" "error" "$(json '" ".join([f["severity"] for f in d["findings"] if f["rule"] == "acme-stuck"])' <doctor.json)"
"$PEBBLE" resume "$T/pb" >/dev/null
LATE=$((T0 + 31 * DAY))
: >"$T/daemon.err"
daemon_at "$LATE" --acme-http "$HTTP1"
LATE_RFC=$(date -u -d "@$LATE" +%FT%TZ)
PASSED_AT=""
for _ in $(seq 1 300); do
	PASSED_AT=$(CERTFLEET_NOW=$LATE cf --json job list | json '[j["last_run"] for j in d["items"] if j["kind"] == "acme-auto" and j["running"] is None][0]' 2>/dev/null || true)
	[ "$PASSED_AT" == "$LATE_RFC" ] && break
	sleep 0.2
done
assert_eq "after 30 days: the runner's pass ran" "$LATE_RFC" "$PASSED_AT"
stop_certfleetd
assert_eq "after 30 days: given up, no order" "stuck 3" "$(show $N3 'd["state"] + " " + str(d["failures"])')"
assert_eq "after 30 days: no order in the runner's log" 0 "$(grep -c "acme: $N3 tomcat: ordering" "$T/daemon.err" || true)"
CERTFLEET_NOW=$LATE cf --json doctor --node $N3 >doctor.json || true
assert_contains "doctor: auto mode gave up" "auto mode gave up after 30 days" \
	"$(json '" ".join([f["message"] for f in d["findings"] if f["rule"] == "acme-stuck"])' <doctor.json)"
CERTFLEET_NOW=$LATE must "auto on again" acme auto --node $N3 --purpose tomcat on
daemon_at "$LATE" --acme-http "$HTTP1"
wait_for "auto on again: renewed and deployed" 'd["state"] == "deployed" and d["failures"] == 0' $N3
stop_certfleetd

finish
