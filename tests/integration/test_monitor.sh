#!/usr/bin/env bash
# The expiry monitor (SPEC §5): `certfleet monitor config|show|run` against a real SMTP server on
# loopback — Debian's aiosmtpd through smtpd_starttls.py, which writes every message it accepts to
# a directory, started and stopped by this script (plain SMTP for the schedule, STARTTLS + AUTH
# PLAIN with a CA made here for the settings). Time moves with --now (and CERTFLEET_NOW once);
# certificates get chosen expiry dates from `cert self-signed --days D` and `trust add` of an
# openssl CA, and every expected date is read back from `cert list --json`.
#   1. the digest: envelope recipients, From/To/Subject, text/plain + text/html, each due
#      certificate's node, purpose/store, CN, not_after, days left and what breaks
#   2. server down: queued, exit 6, why on stderr; backoff 60 s doubling; delivered exactly once
#   3. separate processes never re-send early (daily frequency)
#   4. the schedule: daily / hourly cadence, per-certificate frequency, start window, renewal,
#      e-mail off
#   5. settings: validation that changes nothing, the SMTP password kept out of every output and
#      the audit log, STARTTLS + AUTH against a server that requires them, a wrong password and a
#      wrong CA refused
. "$(dirname "$0")/lib.sh"
CERTFLEET=$(realpath "$CERTFLEET")
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1

SMTP_PY=$(smtp_python)
if [ -z "$SMTP_PY" ]; then
	fail "python3-aiosmtpd is not installed (scripts/deps.sh installs it)"
	finish
	exit 1
fi

# ---- helpers -------------------------------------------------------------------------------------

# The JSON and mail checks run python a few hundred times: the interpreter that has aiosmtpd (the
# system's) rather than a version manager's shim that costs 0.2 s a start. json as in lib.sh.
PY=$SMTP_PY
json() { "$PY" -c "import json,sys; d=json.load(sys.stdin); v=($1); print(v if not isinstance(v,(list,dict)) else json.dumps(v, sort_keys=True))"; }

DAY=86400
HOUR=3600
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
epoch() { date -u -d "$1" +%s; }

# SMTP servers: smtpd_starttls.py PORT CERT KEY MAILDIR [USER:PASSWORD], one log per start.
declare -A SPID=()
NSTART=0
# sink_up NAME PORT CERT KEY MAILDIR [USER:PASSWORD]
sink_up() {
	local name=$1 i
	shift
	NSTART=$((NSTART + 1))
	local log="$T/smtp.$name.$NSTART.log"
	"$SMTP_PY" "$HERE/smtpd_starttls.py" "$@" >"$log" 2>&1 &
	SPID[$name]=$!
	for ((i = 0; i < 100; i++)); do
		grep -q READY "$log" 2>/dev/null && return 0
		kill -0 "${SPID[$name]}" 2>/dev/null || break
		sleep 0.1
	done
	fail "SMTP server $name did not start: $(cat "$log")"
}
sink_down() {
	local pid=${SPID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	SPID[$1]=""
}
stop_all() {
	local n
	for n in "${!SPID[@]}"; do sink_down "$n"; done
}
on_exit stop_all

# Messages: take_mail MAILDIR moves what arrived into a new directory $GOT, NGOT = how many,
# $GOT/sum.json = a summary of each (envelope, headers, parts) for mj.
cat >"$T/mailsum.py" <<'EOF'
import email, email.policy, json, os, sys
out = []
d = sys.argv[1]
for f in sorted(x for x in os.listdir(d) if x.endswith(".eml")):
    m = email.message_from_bytes(open(os.path.join(d, f), "rb").read(), policy=email.policy.default)
    parts = {}
    for p in m.walk():
        if not p.is_multipart():
            parts.setdefault(p.get_content_type(), p.get_content())
    out.append({
        "file": f,
        "mail_from": str(m["X-Sink-Mail-From"]),
        "rcpt": [a.strip() for a in str(m["X-Sink-Rcpt-To"]).split(",")],
        "auth": str(m["X-Sink-Auth"]),
        "from": str(m["From"] or ""),
        "to": str(m["To"] or ""),
        "subject": str(m["Subject"] or ""),
        "date": str(m["Date"] or ""),
        "message_id": str(m["Message-ID"] or ""),
        "type": m.get_content_type(),
        "types": sorted(parts),
        "text": parts.get("text/plain", ""),
        "html": parts.get("text/html", ""),
    })
json.dump(out, sys.stdout)
EOF
NTAKE=0
GOT=/dev/null
NGOT=0
take_mail() {
	NTAKE=$((NTAKE + 1))
	GOT="$T/got.$NTAKE"
	mkdir -p "$GOT"
	find "$1" -maxdepth 1 -name '*.eml' -exec mv {} "$GOT/" \;
	NGOT=$(find "$GOT" -name '*.eml' | wc -l)
	"$PY" "$T/mailsum.py" "$GOT" >"$GOT/sum.json"
}
# mj EXPR: EXPR over the summary list m of the last take_mail
mj() {
	"$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); v=($1); print(v if not isinstance(v,(list,dict)) else json.dumps(v, sort_keys=True))" \
		"$GOT/sum.json" 2>&1 | tail -n 1
}
# rj EXPR: EXPR over the last command's JSON output d ("<no JSON ...>" when it is not JSON)
rj() {
	"$PY" -c "
import json,sys
try:
    d=json.load(open(sys.argv[1]))
except Exception as x:
    print('<no JSON: %s>' % x); sys.exit(0)
try:
    v=($1)
except Exception as x:
    print('<%s: %s>' % (type(x).__name__, x)); sys.exit(0)
print(v if not isinstance(v,(list,dict)) else json.dumps(v, sort_keys=True))" "$LAST"
}
# due_names: the last run's due list as sorted "node/purpose-or-store" words
due_names() { rj '" ".join(sorted(x["node"] + "/" + (x.get("purpose") or x.get("store") or "?") for x in d["due"]))'; }

# mrun EPOCH: one `monitor run --json` at that time (cfx: RC, OUT, ERR, LAST)
mrun() { cfx --json monitor run --now "$(rfc "$1")"; }
# note_lines: the per-notification lines of the last command's stderr
note_lines() { grep -c '^certfleet: monitor: [^ ]*\.example\.com ' <<<"$ERR" || true; }
pending() { cf --json monitor show | json 'd["pending"]'; }

# na NODE PURPOSE-or-STORE: not_after (epoch) of that certificate, from cert list --json
na() {
	epoch "$(cf --json cert list --node "$1" | json "[c['not_after'] for c in d['items'] if c.get('purpose', c.get('store')) == '$2'][0]")"
}

# expect_mail WHAT MAILDIR N: N messages arrived in MAILDIR since the last look (taken)
expect_mail() {
	take_mail "$2"
	assert_eq "$1: messages received" "$3" "$NGOT"
}

# setup NODE...: a fresh store with a Unified CM publisher ucm1 (no default certificates) and the
# monitor pointed at the plain sink
P_SMTP=$(free_port)
MAIL="$T/mail"
mkdir -p "$MAIL"
RCPTS="ops@example.com;pki-team@example.net"
setup() {
	new_store
	cf node add ucm1.example.com --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
	must "monitor config" monitor config --emails "$RCPTS" --smtp "127.0.0.1:$P_SMTP" --smtp-tls none \
		--from certfleet-test@example.com "$@"
}
selfsigned() { cf cert self-signed --node ucm1.example.com --purpose "$1" --days "$2" >/dev/null; }

sink_up plain "$P_SMTP" - - "$MAIL"

# ---- 5a. settings: defaults, validation that changes nothing ----------------------------------------

new_store
must "monitor show (defaults)" --json monitor show
assert_eq "defaults" "30 1d True [] False  starttls  False  None 0" \
	"$(rj '"%s %s %s %s %s %s %s %s %s %s %s %s" % (d["start_days"], d["frequency"], d["email"], json.dumps(d["emails"]), d["lsc"], d["smtp"], d["smtp_tls"], d["smtp_user"], d["smtp_password_set"], d["smtp_ca"], d["last_run"], d["pending"])')"
assert_eq "default sender is certfleet@<host>" "certfleet@" "$(rj 'd["from"].split("@")[0] + "@"')"
assert_eq "default sender names a host" True "$(rj 'len(d["from"].split("@", 1)[1]) > 0')"

must "monitor config --json" --json monitor config --start-days 20 --frequency 12h --emails "a@example.com;b@example.org" \
	--smtp 127.0.0.1:2525 --smtp-tls starttls --from monitor@example.com --lsc on
CONF_JSON=$(rj 'd')
assert_eq "config --json: the new settings" '20 12h ["a@example.com", "b@example.org"] 127.0.0.1:2525 starttls monitor@example.com True' \
	"$(rj '"%s %s %s %s %s %s %s" % (d["start_days"], d["frequency"], json.dumps(d["emails"]), d["smtp"], d["smtp_tls"], d["from"], d["lsc"])')"
must "monitor show --json after config" --json monitor show
assert_eq "config --json prints what monitor show --json prints" "$CONF_JSON" "$(rj 'd')"
BEFORE=$(cf --json monitor show)

# bad_config WHAT NEEDLE ARGS...: refused with exit 3, NEEDLE on stderr, settings unchanged
bad_config() {
	local what=$1 needle=$2
	shift 2
	cfx monitor config "$@"
	expect_rc "$what: refused" 3
	assert_contains "$what: stderr names it" "$needle" "$ERR"
	assert_eq "$what: nothing changed" "$BEFORE" "$(cf --json monitor show)"
}
bad_config "a bad address among good ones" "bad@@example.com" \
	--start-days 5 --emails "ok@example.com;bad@@example.com;c@example.com"
bad_config "an address with a space" "not an address" --emails "ok@example.com;not an address"
bad_config "an address without a domain" "nobody@" --emails "nobody@;ok@example.com"
for v in 0h 5m abc -1d 1.5d ""; do
	bad_config "--frequency '$v'" "frequency" --frequency "$v"
done
for v in -1 abc ""; do
	bad_config "--start-days '$v'" "start_days:" --start-days "$v"
done
for v in 127.0.0.1:99999 127.0.0.1:abc :25 "mail host:25" 127.0.0.1:0; do
	bad_config "--smtp '$v'" "smtp" --smtp "$v"
done
bad_config "--smtp-tls ssl" "smtp_tls:" --smtp-tls ssl
bad_config "--email maybe" "email" --email maybe
bad_config "--from without @" "from" --from nobody
bad_config "a bad --from next to a good --frequency" "from" --frequency 2d --from "a b@example.com"

# the SMTP password: stored, never printed, never audited
SECRET='s3cr3t-Pa55-word'
cfx monitor config --smtp-user mon --smtp-password-stdin <<<"$SECRET"
expect_rc "--smtp-password-stdin" 0
must "monitor show --json" --json monitor show
assert_eq "password set, user stored" "True mon" "$(rj '"%s %s" % (d["smtp_password_set"], d["smtp_user"])')"
assert_eq "monitor show --json: no password field, no password" "False False" \
	"$(rj '"%s %s" % (any("password" in k and k != "smtp_password_set" for k in d), "'"$SECRET"'" in json.dumps(d))')"
must "monitor show (text)" monitor show
[[ $OUT$ERR == *"$SECRET"* ]] && fail "monitor show prints the SMTP password" || ok
must "audit" audit
assert_contains "audit: a monitor config row" "monitor config" "$OUT"
[[ $OUT == *"$SECRET"* ]] && fail "the audit log holds the SMTP password" || ok
must "audit --json" --json audit
[[ $OUT == *"$SECRET"* ]] && fail "the audit log (JSON) holds the SMTP password" || ok

# ---- 1. the digest ---------------------------------------------------------------------------------

setup
cf node add exp1.example.com --cluster cl1 --product expressway-c --no-defaults >/dev/null
selfsigned tomcat 20
selfsigned CallManager 45 # outside the 30-day window
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/O=certfleet test/CN=Monitor Test Root CA" -days 10 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cf trust add --node exp1.example.com --store trusted-ca ca.pem >/dev/null
NA_T=$(na ucm1.example.com tomcat)
NOW=$((NA_T - 19 * DAY - HOUR)) # tomcat: 19 days and an hour left; the CA: 9 days and about an hour
cf --json cert list >list.json
# what should be due: every certificate with not_after <= now + 30 days (from cert list)
EXPECT=$("$PY" -c '
import json, sys, datetime
now = int(sys.argv[1])
def ep(s): return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
print(json.dumps(sorted([c["node"], c.get("purpose") or c.get("store"), c["cn"], c["not_after"], (ep(c["not_after"]) - now) // 86400]
                        for c in json.load(open("list.json"))["items"] if ep(c["not_after"]) <= now + 30 * 86400)))' "$NOW")
assert_eq "the test's own setup: three certificates in the window" \
	"exp1.example.com/trusted-ca ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(a[0] + "/" + a[1] for a in json.loads(sys.argv[1]))))' "$EXPECT")"

mrun "$NOW"
expect_rc "run with three certificates due" 0
assert_eq "run: due = the certificates inside the window (node, purpose/store, cn, not_after, days_left)" "$EXPECT" \
	"$(rj 'sorted([x["node"], x.get("purpose") or x.get("store"), x["cn"], x["not_after"], x["days_left"]] for x in d["due"])')"
assert_eq "run: sent 3, queued 0" "3 0" "$(rj '"%s %s" % (d["sent"], d["queued"])')"
assert_eq "run: next run in 24 h (nothing within a day)" "$(rfc $((NOW + DAY)))" "$(rj 'd["next_run"]')"
assert_eq "run: tomcat breaks the admin web pages" "True True" \
	"$(rj '"%s %s" % tuple(w in [x["breaks"] for x in d["due"] if x.get("purpose") == "tomcat"][0] for w in ("admin", "web page"))')"
assert_contains "run: a trust CA breaks every peer signed by it" "every peer signed by it" \
	"$(rj '[x["breaks"] for x in d["due"] if x.get("store") == "trusted-ca"][0]')"
assert_eq "monitor show: last_run is the run's time, nothing pending" "$(rfc "$NOW") 0" \
	"$(cf --json monitor show | json '"%s %s" % (d["last_run"], d["pending"])')"
REPORT="$T/report1.json"
cp "$LAST" "$REPORT"
ERR1=$ERR
# one stderr line per notification, in the contract's format
"$PY" - "$REPORT" "$ERR1" >notes.chk <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
lines = sys.argv[2].splitlines()
for x in d["due"]:
    want = 'certfleet: monitor: %s %s "%s" expires %s (%d days): breaks %s' % (
        x["node"], x.get("purpose") or x.get("store"), x["cn"], x["not_after"], x["days_left"], x["breaks"])
    print("ok" if lines.count(want) == 1 else "missing: " + want)
EOF
assert_eq "run: one stderr line per notification, contract format" "ok ok ok" "$(tr '\n' ' ' <notes.chk | sed 's/ $//')"

expect_mail "digest" "$MAIL" 1
assert_eq "digest: envelope recipients = every address of --emails" \
	'["ops@example.com", "pki-team@example.net"]' "$(mj 'sorted(m[0]["rcpt"])')"
assert_eq "digest: To header names both addresses" "True True" \
	"$(mj '"%s %s" % ("ops@example.com" in m[0]["to"], "pki-team@example.net" in m[0]["to"])')"
assert_eq "digest: envelope sender and From = --from" "certfleet-test@example.com True" \
	"$(mj '"%s %s" % (m[0]["mail_from"], "certfleet-test@example.com" in m[0]["from"])')"
assert_contains "digest: subject counts the certificates" "certfleet: 3 certificate" "$(mj 'm[0]["subject"]')"
assert_contains "digest: subject names the first to expire" \
	"first: Monitor Test Root CA on exp1.example.com in 9 days" "$(mj 'm[0]["subject"]')"
assert_eq "digest: multipart/alternative with text/plain and text/html" \
	'multipart/alternative ["text/html", "text/plain"]' "$(mj 'm[0]["type"] + " " + json.dumps(m[0]["types"])')"
assert_eq "digest: Date and Message-ID headers" "True True" \
	"$(mj '"%s %s" % (len(m[0]["date"]) > 0, len(m[0]["message_id"]) > 0)')"
# every due certificate's facts in both parts
"$PY" - "$REPORT" "$GOT/sum.json" >parts.chk <<'EOF'
import html, json, sys
d = json.load(open(sys.argv[1]))
m = json.load(open(sys.argv[2]))[0]
for x in d["due"]:
    name = x.get("purpose") or x.get("store")
    for part, esc in (("text", lambda s: s), ("html", html.escape)):
        body = m[part]
        for what, val in (("node", x["node"]), ("purpose/store", name), ("cn", x["cn"]),
                          ("not_after", x["not_after"]), ("days left", "%d day" % x["days_left"]),
                          ("breaks", x["breaks"])):
            if what == "days left" and part == "html" and (">%d<" % x["days_left"]) in body:
                continue  # a cell of its own in a table
            if val not in body and esc(val) not in body:
                print("%s part lacks the %s of %s/%s: %r" % (part, what, x["node"], name, val))
print("done")
EOF
assert_eq "digest: each certificate's node, purpose/store, CN, not_after, days left, breaks in text and HTML" \
	"done" "$(cat parts.chk | tr '\n' ' ' | sed 's/ $//')"

mrun $((NOW + 60))
expect_rc "run a minute later" 0
assert_eq "a minute later: nothing due, nothing sent" "0 0 0" \
	"$(rj '"%s %s %s" % (len(d["due"]), d["sent"], d["queued"])')"
expect_mail "a minute later" "$MAIL" 0
assert_eq "a minute later: no notification line" 0 "$(note_lines)"

# ---- 2. the server down: queued, backoff, delivered exactly once --------------------------------------

T1=$((NOW + DAY + 60)) # the daily frequency has passed for all three
sink_down plain
mrun "$T1"
expect_rc "server down: exit 6" 6
assert_eq "server down: queued 3, sent 0" "3 0" "$(rj '"%s %s" % (d["queued"], d["sent"])')"
# why: a line besides the notification lines, about the connection or naming the server
WHY=$(grep -v '^certfleet: monitor: [^ ]*\.example\.com ' <<<"$ERR" || true)
if grep -qiE "connect|refused|127\.0\.0\.1:$P_SMTP" <<<"$WHY"; then ok; else fail "server down: stderr does not say why: [$ERR]"; fi
assert_eq "server down: retry in 60 s is the next run" "$(rfc $((T1 + 60)))" "$(rj 'd["next_run"]')"
assert_eq "server down: monitor show counts 3 pending" 3 "$(pending)"
sink_up plain "$P_SMTP" - - "$MAIL"
mrun $((T1 + 30))
expect_rc "before the retry time (server up)" 0
expect_mail "before the retry time: no attempt" "$MAIL" 0
assert_eq "before the retry time: still queued" "3 0" "$(rj '"%s %s" % (d["queued"], d["sent"])')"
assert_eq "before the retry time: pending" 3 "$(pending)"
sink_down plain
mrun $((T1 + 60))
expect_rc "at the retry time, server still down: exit 6" 6
assert_eq "second failure: still queued" 3 "$(pending)"
assert_eq "second failure: the backoff doubles to 120 s" "$(rfc $((T1 + 180)))" "$(rj 'd["next_run"]')"
sink_up plain "$P_SMTP" - - "$MAIL"
mrun $((T1 + 150))
expect_rc "inside the doubled backoff (server up)" 0
expect_mail "inside the doubled backoff: no attempt" "$MAIL" 0
assert_eq "inside the doubled backoff: pending" 3 "$(pending)"
mrun $((T1 + 180))
expect_rc "retry time, server up" 0
assert_eq "retry: sent 3, queued 0" "3 0" "$(rj '"%s %s" % (d["sent"], d["queued"])')"
expect_mail "retry: exactly one digest" "$MAIL" 1
assert_contains "retry: the digest holds the three certificates" "certfleet: 3 certificate" "$(mj 'm[0]["subject"]')"
assert_eq "retry: one notification line per certificate" 3 "$(note_lines)"
assert_eq "retry: nothing pending" 0 "$(pending)"
mrun $((T1 + 181))
expect_rc "a second later" 0
expect_mail "a second later: nothing more" "$MAIL" 0
assert_eq "a second later: nothing sent or queued" "0 0" "$(rj '"%s %s" % (d["sent"], d["queued"])')"
mrun $((T1 + 180 + HOUR))
expect_mail "an hour later: nothing more" "$MAIL" 0

# ---- 3. separate processes never re-send early; 4a. daily cadence ----------------------------------

setup
selfsigned tomcat 20
NA=$(na ucm1.example.com tomcat)
S=$((NA - 19 * DAY - HOUR))
mrun "$S"
assert_eq "restart: first run notifies tomcat and its trust copy" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" \
	"$(due_names)"
expect_mail "restart: first run" "$MAIL" 1
assert_eq "daily cadence: next run in 24 h" "$(rfc $((S + DAY)))" "$(rj 'd["next_run"]')"
RC=0
CERTFLEET_NOW=$((S + HOUR)) cf --json monitor run >"$T/env.json" 2>"$T/env.err" || RC=$?
LAST="$T/env.json"
assert_eq "restart: a new process an hour later (CERTFLEET_NOW): exit 0" 0 "$RC"
assert_eq "restart: an hour later nothing is due" 0 "$(rj 'len(d["due"])')"
assert_eq "restart: CERTFLEET_NOW is the clock (next run 24 h after it)" "$(rfc $((S + HOUR + DAY)))" "$(rj 'd["next_run"]')"
expect_mail "restart: an hour later" "$MAIL" 0
mrun $((S + DAY - 60))
expect_mail "restart: a minute short of a day" "$MAIL" 0
mrun $((S + DAY))
assert_eq "restart: a day later both again" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" "$(due_names)"
expect_mail "restart: a day later" "$MAIL" 1

# ---- 4b. hourly inside the last day and after expiry ----------------------------------------------

H=$((NA - 12 * HOUR))
mrun "$H"
assert_eq "last day: notified" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" "$(due_names)"
assert_eq "last day: days left 0" "0 0" "$(rj '" ".join(str(x["days_left"]) for x in d["due"])')"
assert_eq "last day: next run in 1 h" "$(rfc $((H + HOUR)))" "$(rj 'd["next_run"]')"
expect_mail "last day" "$MAIL" 1
mrun $((H + 30 * 60))
assert_eq "last day, 30 min later: nothing" "" "$(due_names)"
assert_eq "last day, 30 min later: next run in 1 h" "$(rfc $((H + 30 * 60 + HOUR)))" "$(rj 'd["next_run"]')"
expect_mail "last day, 30 min later" "$MAIL" 0
mrun $((H + HOUR))
assert_eq "last day, 1 h later: notified again" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" "$(due_names)"
expect_mail "last day, 1 h later" "$MAIL" 1
X=$((NA + 2 * HOUR))
mrun "$X"
assert_eq "expired: notified" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" "$(due_names)"
assert_eq "expired 2 h ago: days left negative" "True" "$(rj 'all(x["days_left"] < 0 for x in d["due"]) and len(d["due"]) > 0')"
assert_eq "expired: next run in 1 h" "$(rfc $((X + HOUR)))" "$(rj 'd["next_run"]')"
expect_mail "expired" "$MAIL" 1
assert_contains "expired: the subject says so" "expired" "$(mj 'm[0]["subject"]')"
mrun $((X + 30 * 60))
assert_eq "expired, 30 min later: nothing" "" "$(due_names)"
expect_mail "expired, 30 min later" "$MAIL" 0
mrun $((X + HOUR))
assert_eq "expired, 1 h later: again" "ucm1.example.com/tomcat ucm1.example.com/tomcat-trust" "$(due_names)"
expect_mail "expired, 1 h later" "$MAIL" 1
mrun $((X + DAY + 5 * 60))
assert_eq "expired a day ago: still hourly (days left negative, next run in 1 h)" \
	"2 True $(rfc $((X + DAY + 5 * 60 + HOUR)))" \
	"$(rj '"%d %s %s" % (len(d["due"]), all(x["days_left"] < 0 for x in d["due"]), d["next_run"])')"
expect_mail "expired a day ago" "$MAIL" 1

# ---- 4c. the frequency, per certificate -----------------------------------------------------------

setup --frequency 12h --start-days 20
selfsigned tomcat 20
selfsigned CallManager 21
A=$(($(na ucm1.example.com tomcat) - 20 * DAY))     # tomcat enters the window
B=$(($(na ucm1.example.com CallManager) - 20 * DAY)) # CallManager a day later
TC="ucm1.example.com/tomcat ucm1.example.com/tomcat-trust"
CM="ucm1.example.com/CallManager ucm1.example.com/CallManager-trust"
mrun $((A - 1))
assert_eq "start window: a second before tomcat's window nothing" "" "$(due_names)"
mrun "$A"
assert_eq "12h: tomcat as it enters the window" "$TC" "$(due_names)"
mrun $((A + 6 * HOUR))
assert_eq "12h: not again after 6 h" "" "$(due_names)"
expect_mail "12h: after 6 h" "$MAIL" 1
mrun $((A + 18 * HOUR))
assert_eq "12h: tomcat again after 18 h" "$TC" "$(due_names)"
mrun "$B"
assert_eq "12h: CallManager enters its window, tomcat (6 h ago) not" "$CM" "$(due_names)"
mrun $((B + 6 * HOUR))
assert_eq "12h: tomcat after its 12 h, CallManager (6 h ago) not" "$TC" "$(due_names)"
mrun $((B + 12 * HOUR))
assert_eq "12h: CallManager after its 12 h, tomcat (6 h ago) not" "$CM" "$(due_names)"
expect_mail "12h: one digest per run that had something" "$MAIL" 4
must "frequency 2d" monitor config --frequency 2d
mrun $((B + 12 * HOUR + DAY))
assert_eq "2d: nothing after a day" "" "$(due_names)"
mrun $((B + 6 * HOUR + 2 * DAY - 60))
assert_eq "2d: nothing a minute short of 2 days" "" "$(due_names)"
mrun $((B + 6 * HOUR + 2 * DAY))
assert_eq "2d: tomcat after 2 days" "$TC" "$(due_names)"
mrun $((B + 12 * HOUR + 2 * DAY))
assert_eq "2d: CallManager after 2 days" "$CM" "$(due_names)"
expect_mail "2d" "$MAIL" 2

# ---- 4d. the start window; 4e. renewal ---------------------------------------------------------------

setup --start-days 10
selfsigned tomcat 30
NA=$(na ucm1.example.com tomcat)
mrun $((NA - 11 * DAY))
assert_eq "start 10 days: 11 days before expiry not due" "" "$(due_names)"
mrun $((NA - 10 * DAY - 1))
assert_eq "start 10 days: a second before the window not due" "" "$(due_names)"
expect_mail "outside the window" "$MAIL" 0
W=$((NA - 10 * DAY))
mrun "$W"
assert_eq "start 10 days: due at 10 days" "$TC" "$(due_names)"
expect_mail "start 10 days" "$MAIL" 1

sink_down plain
mrun $((W + DAY))
expect_rc "renewal: the server down, queued" 6
assert_eq "renewal: two notifications waiting" 2 "$(pending)"
selfsigned tomcat 60 # far from the simulated clock's window
sink_up plain "$P_SMTP" - - "$MAIL"
mrun $((W + DAY + 60))
expect_rc "renewed: run at the retry time" 0
assert_eq "renewed: the old certificate's notifications dropped, the new one not due" "0 0 0" \
	"$(rj '"%s %s %s" % (len(d["due"]), d["sent"], d["queued"])')"
assert_eq "renewed: nothing pending" 0 "$(pending)"
expect_mail "renewed: nothing sent" "$MAIL" 0
selfsigned tomcat 25 # renewed again, this one inside the window at the simulated time
NEW_NA=$(cf --json cert list --node ucm1.example.com --purpose tomcat | json 'd["items"][0]["not_after"]')
mrun $((W + DAY + 120))
assert_eq "a renewal inside the window is a new certificate: notified" "$TC" "$(due_names)"
assert_eq "the new certificate's not_after" "$NEW_NA $NEW_NA" "$(rj '" ".join(x["not_after"] for x in d["due"])')"
selfsigned tomcat 26
mrun $((W + DAY + 180))
assert_eq "renewed a minute later: starts afresh, notified despite the daily frequency" "$TC" "$(due_names)"
expect_mail "renewals inside the window" "$MAIL" 2

# ---- 4f. e-mail off ----------------------------------------------------------------------------------

setup --email off
selfsigned tomcat 20
NA=$(na ucm1.example.com tomcat)
E=$((NA - 15 * DAY))
mrun "$E"
expect_rc "e-mail off: run" 0
assert_eq "e-mail off: due" "$TC" "$(due_names)"
expect_mail "e-mail off: no message" "$MAIL" 0
assert_eq "e-mail off: one stderr line per notification" 2 "$(note_lines)"
assert_contains "e-mail off: the line" "certfleet: monitor: ucm1.example.com tomcat \"ucm1.example.com\" expires" "$ERR"
assert_eq "e-mail off: nothing queued" 0 "$(rj 'd["queued"]')"
assert_eq "e-mail off: nothing pending" 0 "$(pending)"
mrun $((E + HOUR))
assert_eq "e-mail off: counted as done (an hour later nothing)" "" "$(due_names)"
assert_eq "e-mail off: no line an hour later" 0 "$(note_lines)"
must "e-mail back on" monitor config --email on
mrun $((E + 2 * HOUR))
assert_eq "e-mail on again: still nothing within the day" "" "$(due_names)"
expect_mail "e-mail on again" "$MAIL" 0

# ---- 5b. STARTTLS + AUTH PLAIN, checked against --smtp-ca ------------------------------------------

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout smtpca.key -out smtpca.pem \
	-subj "/CN=Monitor SMTP Test CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout smtp.key -out smtp.csr \
	-subj "/CN=127.0.0.1" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >smtp.ext
openssl x509 -req -in smtp.csr -CA smtpca.pem -CAkey smtpca.key -CAcreateserial -out smtp.pem -days 30 \
	-extfile smtp.ext 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem \
	-subj "/CN=Some Other CA" -days 30 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
P_TLS=$(free_port)
MAIL_TLS="$T/mail-tls"
mkdir -p "$MAIL_TLS"
sink_up auth "$P_TLS" smtp.pem smtp.key "$MAIL_TLS" "mon:$SECRET"
AUTHLOG="$T/smtp.auth.$NSTART.log"

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
cfx monitor config --emails "sec@example.com" --smtp "127.0.0.1:$P_TLS" --smtp-tls starttls --smtp-user mon \
	--smtp-ca "$T/smtpca.pem" --from certfleet-test@example.com --smtp-password-stdin <<<"$SECRET"
expect_rc "config for STARTTLS + AUTH" 0
selfsigned tomcat 20
NA=$(na ucm1.example.com tomcat)
G=$((NA - 19 * DAY - HOUR))
mrun "$G"
expect_rc "STARTTLS + AUTH: delivered" 0
assert_eq "STARTTLS + AUTH: sent 2" "2 0" "$(rj '"%s %s" % (d["sent"], d["queued"])')"
expect_mail "STARTTLS + AUTH" "$MAIL_TLS" 1
assert_eq "STARTTLS + AUTH: the server saw the user authenticate" "mon sec@example.com" \
	"$(mj 'm[0]["auth"] + " " + " ".join(m[0]["rcpt"])')"
assert_contains "STARTTLS + AUTH: the server accepted the password" "AUTH ok mon" "$(cat "$AUTHLOG")"

cfx monitor config --smtp-password-stdin <<<"wrong-$SECRET"
expect_rc "a wrong password stored" 0
mrun $((G + DAY))
expect_rc "wrong password: exit 6" 6
expect_mail "wrong password: nothing delivered" "$MAIL_TLS" 0
assert_contains "wrong password: the server refused it" "AUTH refused mon" "$(cat "$AUTHLOG")"
assert_eq "wrong password: queued" 2 "$(pending)"
cfx monitor config --smtp-password-stdin <<<"$SECRET"
must "a CA that did not sign the server" monitor config --smtp-ca "$T/other.pem"
mrun $((G + DAY + 60))
expect_rc "unknown server certificate: exit 6" 6
expect_mail "unknown server certificate: nothing delivered" "$MAIL_TLS" 0
assert_eq "unknown server certificate: still queued" 2 "$(pending)"
must "the right CA again" monitor config --smtp-ca "$T/smtpca.pem"
mrun $((G + DAY + 180))
expect_rc "right password and CA: delivered at the retry time" 0
expect_mail "right password and CA" "$MAIL_TLS" 1
assert_eq "right password and CA: nothing pending" 0 "$(pending)"

# ---- a failing CRL download is an alarm the monitor sends too, once per frequency ------------------------
setup
take_mail "$MAIL"
DEAD=$(free_port) # nothing listens there
cf crl dp add "http://127.0.0.1:$DEAD/issuing.crl" >/dev/null
cfx crl update
expect_rc "the download fails" 6
A=$(date +%s)
mrun "$A"
expect_rc "a run with only the alarm" 0
expect_mail "the alarm digest" "$MAIL" 1
assert_eq "its subject names the download" "certfleet: CRL download failing - http://127.0.0.1:$DEAD/issuing.crl" "$(mj 'm[0]["subject"]')"
assert_eq "it says the URL and that the last good CRL stays in use" True \
	"$(mj '"last good CRLs stay in use" in m[0]["text"] and "http://127.0.0.1:'"$DEAD"'/issuing.crl" in m[0]["text"]')"
assert_eq "and in HTML" True "$(mj '"CRL downloads are failing" in m[0]["html"]')"
assert_eq "run --json: the alarm" 1 "$(rj 'len(d["alarms"])')"
mrun $((A + 3600))
expect_mail "an hour later: not again (daily frequency)" "$MAIL" 0
mrun $((A + DAY + 60))
expect_mail "a day later: again" "$MAIL" 1
must "e-mail off" monitor config --email off
mrun $((A + 2 * DAY + 120))
assert_contains "without mail: the log line" "certfleet: monitor: CRL download failing: http://127.0.0.1:$DEAD/issuing.crl" "$ERR"
expect_mail "without mail: no message" "$MAIL" 0

sink_down auth
sink_down plain

# the password never appeared in any output of any command
if grep -rqF -- "$SECRET" "$T/log"; then
	fail "the SMTP password appears in command output: $(grep -rlF -- "$SECRET" "$T/log" | head -3)"
else
	ok
fi
must "audit at the end" --json audit
assert_contains "audit: monitor config recorded" "monitor config" "$OUT"
if [ -n "${STORECHECK:-}" ]; then
	rc=0
	out=$("$STORECHECK" "$CERTFLEET_STORE" 2>&1) || rc=$?
	assert_eq "storecheck on the last store (ledger and settings written by every run): $out" 0 "$rc"
fi

finish
