#!/usr/bin/env bash
# The command line's own help and usage errors: every command of `certfleet --help` (the command
# table) answers `certfleet COMMAND --help` with its usage, each option of it explained, and exit 0; a group alone lists its commands;
# `--version`; a usage error names the whole command and the option at fault; a store URL this
# build cannot open is exit 2 with one line, and nothing is created.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1

cfx --help
expect_rc "--help" 0
HELP=$OUT
# the commands, from the program's own list: "  GROUP [NAME]  synopsis or summary"
mapfile -t COMMANDS < <(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\?\)\(  .*\)\?$/\1/p' "$LAST")
assert_eq "the command table has its commands" 1 "$([ "${#COMMANDS[@]}" -ge 40 ] && echo 1 || echo 0)"
for cmd in "${COMMANDS[@]}"; do
	# shellcheck disable=SC2086
	cfx $cmd --help
	expect_rc "$cmd --help" 0
	assert_eq "$cmd --help: its usage first" "usage: certfleet $cmd" "$(head -n 1 <<<"$OUT" | cut -c1-$((17 + ${#cmd})))"
	assert_eq "$cmd --help: nothing on stderr" "" "$ERR"
	# every option of the usage line is described under options:, and nothing else is
	USAGE_OPTS=$(head -n 1 <<<"$OUT" | grep -o -- '--[a-z][a-z0-9-]*' | sort || true)
	LISTED_OPTS=$(sed -n '/^options:/,$s/^  \(--[a-z][a-z0-9-]*\).*/\1/p' <<<"$OUT" | sort)
	assert_eq "$cmd --help: every option of its usage explained" "$USAGE_OPTS" "$LISTED_OPTS"
	# the command's list line shows the same synopsis as its usage
	SYN=$(head -n 1 <<<"$OUT" | cut -c$((19 + ${#cmd}))-)
	[ -z "$SYN" ] || assert_contains "$cmd: --help lists it as its usage says" "$(printf '  %-20s %s' "$cmd" "$SYN")" "$HELP"
done
assert_eq "--help changed nothing (no store made)" 0 "$(ls "$T"/*.db 2>/dev/null | wc -l)"

cfx --version
expect_rc "--version" 0
assert_eq "--version" 1 "$([[ "$OUT" =~ ^certfleet\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && echo 1 || echo 0)"

cfx node
expect_rc "a group alone" 2
assert_contains "a group alone lists its commands" "node delete" "$ERR"
cfx cluster --help
expect_rc "cluster --help" 0
assert_contains "cluster --help lists its commands" "cluster list" "$OUT"
cfx node bogus
expect_rc "unknown subcommand" 2
assert_contains "unknown subcommand named whole" "node bogus" "$ERR"

new_store
cfx node add x.example.com --bogus
expect_rc "bad option" 2
assert_contains "bad option: the whole command" "certfleet: node add: bad option --bogus" "$ERR"
cfx node add x.example.com --cluster
expect_rc "option without its value" 2
assert_contains "missing value: the option" "node add: option needs a value: --cluster" "$ERR"
cfx cert list --expiring
expect_rc "cert list --expiring without days" 2
assert_contains "cert list: the whole command" "cert list: option needs a value: --expiring" "$ERR"

# store URLs: an unknown scheme is exit 2; a PostgreSQL server that is not there is exit 6; one
# line each, naming the store without its password, and nothing created
NOPG=$(free_port)
for url in "mysql://127.0.0.1/x" "ldap://u:pw@127.0.0.1/x"; do
	cfx --store "$url" node list
	expect_rc "--store $url" 2
	assert_eq "--store $url: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	CERTFLEET_STORE=$url cfx init
	expect_rc "CERTFLEET_STORE=$url init" 2
done
cfx --store mysql://127.0.0.1/x node list
assert_contains "unknown scheme named" 'unknown store URL scheme "mysql"' "$ERR"
for url in "postgresql://certfleet:s3cret-pw@127.0.0.1:$NOPG/certfleet" "postgres://127.0.0.1:$NOPG/x"; do
	cfx --store "$url" node list
	expect_rc "--store $url (no server)" 6
	assert_eq "--store $url: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	assert_eq "--store $url: no password in the error" "" "$(grep -o 's3cret-pw' <<<"$ERR" || true)"
	PGPASSWORD=s3cret-pw CERTFLEET_STORE=$url cfx init
	expect_rc "CERTFLEET_STORE=$url init (no server)" 6
	assert_eq "no password in init's error" "" "$(grep -o 's3cret-pw' <<<"$ERR" || true)"
done
assert_eq "nothing created for a URL" "" "$(ls -d postgres* mysql* ldap* 2>/dev/null || true)"

# certfleetd: --help and --version exit 0; a port in use says so and how to pick another
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
RC=0
"$CERTFLEETD" --help >d.out 2>d.err || RC=$?
assert_eq "certfleetd --help" 0 "$RC"
assert_contains "certfleetd --help: usage" "usage: certfleetd" "$(cat d.out)"
assert_eq "certfleetd --help: nothing on stderr" "" "$(cat d.err)"
assert_eq "certfleetd --help: every option of its usage explained" \
	"$(head -n 1 d.out | grep -o -- '--[a-z][a-z-]*' | sort)" \
	"$(sed -n '/^options:/,$s/^  \(--[a-z][a-z-]*\).*/\1/p' d.out | sort)"
assert_eq "certfleetd --help: its options" 15 "$(sed -n '/^options:/,$p' d.out | grep -c '^  --')"
RC=0
"$CERTFLEETD" --version >d.out 2>d.err || RC=$?
assert_eq "certfleetd --version" "0 1" "$RC $([[ "$(cat d.out)" =~ ^certfleetd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && echo 1 || echo 0)"
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher >/dev/null
python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' >busy.port &
BUSY=$!
until [ -s busy.port ]; do sleep 0.1; done
RC=0
timeout 60 "$CERTFLEETD" --store "$CERTFLEET_STORE" --listen "127.0.0.1:$(cat busy.port)" >d.out 2>d.err || RC=$?
kill $BUSY 2>/dev/null || true
assert_eq "certfleetd on a port in use fails" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
assert_contains "port in use: said so" "Address already in use" "$(cat d.err)"
assert_contains "port in use: how to pick another" "--listen ADDR:PORT" "$(cat d.err)"
finish
