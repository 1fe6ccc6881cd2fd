#!/usr/bin/env bash
# engines: sqlite — the README's demo (make run) keeps its store in an SQLite file of its own
# The README stays true: `make run`'s demo (scripts/demo.sh) is started on a free port in a scratch
# directory, and the README's API block (the fenced commands after "Everything the page does is an
# API call") is run against it as written, with only the port, the demo directory and the printed
# password put in. Each answer must be what the README says it is. The demo's own output is checked
# too: the stale self-signed copies are pruned, and its hints name the demo store.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DEMO_DIR="$T/demo" CERTFLEET_LISTEN="127.0.0.1:$PORT" bash "$SRCDIR/scripts/demo.sh" "$CERTFLEET" "$CERTFLEETD" \
	>demo.out 2>demo.err &
DEMO=$!
on_exit 'kill $DEMO 2>/dev/null'
# the demo is up once it has printed how to log in and the daemon answers
for _ in $(seq 1 600); do
	grep -q 'Ctrl-C stops it' demo.out 2>/dev/null &&
		curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && break
	kill -0 $DEMO 2>/dev/null || break
	sleep 0.2
done
assert_eq "the demo serves the page" 200 "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/")"
PASSWORD=$(sed -n 's/.*log in as admin with the password \([^ ]*\) (shown only now.*/\1/p' demo.out)
assert_eq "the demo printed the admin's password" 1 "$([ -n "$PASSWORD" ] && echo 1 || echo 0)"
assert_contains "the demo prunes the stale self-signed copies" "trust certificates pruned" "$(cat demo.out)"
assert_contains "the demo's hint names the demo store" "CERTFLEET_STORE=$T/demo/certfleet.db" "$(cat demo.out)"
STALE=$(CERTFLEET_STORE="$T/demo/certfleet.db" "$CERTFLEET" --json doctor | json 'sum(f["rule"] == "stale-selfsigned-trust" for f in d["findings"])' || true)
assert_eq "the first screen has no stale copies to prune" 0 "$STALE"

# the README's API block, as written
awk '/^Everything the page does is an API call/ {f=1} f && /^```sh$/ {b=1; next} b && /^```$/ {exit} b' \
	"$SRCDIR/README.md" >block.sh
assert_eq "the README has the API block" 1 "$([ "$(grep -c '^curl\|^CSRF=' block.sh)" -ge 4 ] && echo 1 || echo 0)"
sed -e "s|8443|$PORT|g" -e "s|build/demo/|$T/demo/|g" -e "s|\"PASSWORD\"|\"$PASSWORD\"|" block.sh >run.sh
RC=0
bash -euo pipefail run.sh >api.out 2>api.err || RC=$?
assert_eq "the README's API block runs (stderr: $(head -c 300 api.err))" 0 "$RC"
# the answers, in order: the list, the CSR, the upload, the validation (JSON objects, one a line)
python3 - api.out >answers.txt <<-'EOF'
import json, sys
dec = json.JSONDecoder()
text = open(sys.argv[1]).read()
i = 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    d, i = dec.raw_decode(text, i)
    print(",".join(sorted(d)))
EOF
assert_eq "answers: list, CSR, upload, validation" 4 "$(wc -l <answers.txt)"
assert_contains "the list answer" "items" "$(sed -n 1p answers.txt)"
assert_contains "the CSR answer" "pem" "$(sed -n 2p answers.txt)"
assert_contains "the upload answer: restart plan" "restart_plan" "$(sed -n 3p answers.txt)"
assert_contains "the upload answer: warnings" "warnings" "$(sed -n 3p answers.txt)"
assert_eq "the validation answer" "chain,checks,ok" "$(sed -n 4p answers.txt)"
kill $DEMO 2>/dev/null || true
wait $DEMO 2>/dev/null || true
finish
