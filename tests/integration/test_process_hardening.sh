#!/usr/bin/env bash
# Core dumps are off in both programs (they hold private keys and passwords): a running certfleetd
# and a certfleet blocked reading a password from a pipe both show "Max core file size 0 0" in
# /proc/PID/limits (soft and hard, so nothing they start can raise it again). The dumpable flag,
# which Linux does not show in /proc, is checked by unit_util with prctl(PR_GET_DUMPABLE).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"

# core_limit PID: "soft hard" of the core file size limit
core_limit() { awk '/^Max core file size/ { print $5, $6 }' "/proc/$1/limits"; }

new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher >/dev/null

# the shell's own limit is not 0, so a 0 below is the programs' doing
ulimit -S -c unlimited 2>/dev/null || ulimit -S -c "$(ulimit -H -c)"
assert_contains "this shell allows core files" "unlimited" "$(core_limit $$) $(ulimit -c)"

# certfleetd
start_certfleetd
assert_eq "certfleetd: no core files (soft hard)" "0 0" "$(core_limit "$DPID")"
assert_clean_stop

# certfleet, while it waits for a password on a pipe that stays open
mkfifo "$T/pw"
"$CERTFLEET" user add alice --role admin <"$T/pw" >"$T/add.out" 2>"$T/add.err" &
CPID=$!
exec 3>"$T/pw" # opens the pipe's writing end: certfleet now blocks reading the line
for _ in $(seq 1 100); do
	[[ "$(cat "/proc/$CPID/wchan" 2>/dev/null)" == *pipe_read ]] && break # (anon_)pipe_read
	sleep 0.1
done
assert_contains "certfleet waits for the password" pipe_read "$(cat "/proc/$CPID/wchan")"
assert_eq "certfleet: no core files (soft hard)" "0 0" "$(core_limit "$CPID")"
echo 'Hardening-Test-Password-4711' >&3
exec 3>&-
rc=0
wait "$CPID" || rc=$?
assert_eq "certfleet user add completes after the password" 0 "$rc"
assert_contains "the account exists" alice "$(cf user list)"
if grep -q 'Hardening-Test-Password-4711' "$T/add.out" "$T/add.err"; then
	fail "the password appears in certfleet's output"
else
	ok
fi

finish
