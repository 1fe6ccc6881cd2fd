#!/usr/bin/env bash
# The command line's own help and usage errors: every command of `certfleet --help` answers
# `certfleet COMMAND --help` with its usage and exit 0; a group alone lists its commands;
# `--version`; a usage error names the whole command and the option at fault; a store URL this
# build cannot open is exit 2 with one line, and nothing is created.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1

cfx --help
expect_rc "--help" 0
# the commands: "  group [name] usage..." lines; a name is a lower-case word
mapfile -t COMMANDS < <(sed -n 's/^  \([a-z-]*\)\( [a-z-]*\)\?\( .*\)\?$/\1\2/p' "$LAST" |
	awk '{ if (NF > 1 && $2 ~ /^[a-z][a-z-]*$/) print $1 " " $2; else print $1 }' | sort -u)
assert_eq "the command table has its commands" 1 "$([ "${#COMMANDS[@]}" -ge 40 ] && echo 1 || echo 0)"
for cmd in "${COMMANDS[@]}"; do
	# shellcheck disable=SC2086
	cfx $cmd --help
	expect_rc "$cmd --help" 0
	assert_contains "$cmd --help: its usage" "usage: certfleet $cmd" "$OUT"
	assert_eq "$cmd --help: nothing on stderr" "" "$ERR"
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

# store URLs: PostgreSQL is not in this build, other schemes are unknown; both exit 2, one line
for url in "postgresql://certfleet@127.0.0.1:5432/certfleet" "postgres://127.0.0.1/x" "mysql://127.0.0.1/x"; do
	cfx --store "$url" node list
	expect_rc "--store $url" 2
	assert_eq "--store $url: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	CERTFLEET_STORE=$url cfx init
	expect_rc "CERTFLEET_STORE=$url init" 2
done
cfx --store "postgresql://u@127.0.0.1/db" node list
assert_contains "PostgreSQL named" "PostgreSQL stores are not in this build" "$ERR"
assert_eq "nothing created for a URL" "" "$(ls -d postgres* mysql* 2>/dev/null || true)"
finish
