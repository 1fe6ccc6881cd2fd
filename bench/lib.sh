# Shared by the benchmark scripts: a monotonic clock and timing of one command. Source it after
# setting WORK (a scratch directory).

# A monotonic clock in seconds (perl's CLOCK_MONOTONIC; date +%s.%N when perl lacks it).
if perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e1 2>/dev/null; then
	mono() { perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 'printf "%.6f\n", clock_gettime(CLOCK_MONOTONIC)'; }
	CLOCK="CLOCK_MONOTONIC (perl Time::HiRes)"
else
	mono() { date +%s.%N; }
	CLOCK="date +%s.%N (wall clock)"
fi
if [[ -x /usr/bin/time ]]; then
	TIMECMD=(/usr/bin/time -f '%M %U %S' -o "$WORK/rss")
else
	TIMECMD=()
fi

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# ratio A B: A/B with two decimals ("-" when B is 0)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else printf "%.2f", a / b }'; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# timed OUT CMD...: runs CMD with stdout to OUT and stderr to $WORK/err; sets T (seconds),
# RSS (peak resident KB), CPU (user + system seconds; both "n/a" without /usr/bin/time) and RC.
timed() {
	local out=$1 t0 t1
	shift
	: >"$WORK/rss"
	t0=$(mono)
	set +e
	"${TIMECMD[@]}" "$@" >"$out" 2>"$WORK/err"
	RC=$?
	set -e
	t1=$(mono)
	T=$(sub "$t0" "$t1")
	local last
	last=$(tail -n 1 "$WORK/rss" 2>/dev/null || true)
	RSS=${last%% *}
	CPU=$(awk '{ printf "%.2f", $2 + $3 }' <<<"$last")
	[[ $RSS =~ ^[0-9]+$ ]] || { RSS=n/a; CPU=n/a; }
}

# ---- the second engine: a throwaway PostgreSQL server (tests/pg/pgserver.sh) -----------------------

PGSERVER_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/pg" && pwd)/pgserver.sh
# What the benchmark's server runs with: PostgreSQL's own durable defaults, not the tests' fast
# settings (SQLite commits with a full sync too).
PG_SETTINGS="-c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=128MB"
PGDIR=""

# pg_start: starts the server in a new directory of its own (the user postgres must reach it: not
# under WORK); sets PGDIR and exports PGPASSWORD. pg_stop stops it and removes the directory.
pg_start() {
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench-pg.XXXXXX")
	PGSERVER_OPTIONS=$PG_SETTINGS sh "$PGSERVER_SH" start "$PGDIR" >/dev/null
	PGPASSWORD=$(cat "$PGDIR/password")
	export PGPASSWORD
}
pg_stop() {
	[[ -z $PGDIR ]] || sh "$PGSERVER_SH" stop "$PGDIR" >/dev/null 2>&1 || true
	PGDIR=""
}
# pg_fresh NAME: the URL of a new, empty database NAME on the server.
pg_fresh() { sh "$PGSERVER_SH" createdb "$PGDIR" "$1"; }
# pg_version: the server's version ("PostgreSQL 15.x").
pg_version() { "$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1)")/postgres" --version 2>/dev/null | sed 's/^postgres (PostgreSQL) /PostgreSQL /'; }
# pg_cpu: CPU seconds (user + system) the server has used: the postmaster, its processes alive now
# and those that ended (a connection's backend ends with the connection).
pg_cpu() {
	local pm
	pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
	{
		sed 's/^.*) //' "/proc/$pm/stat"
		for c in $(cat "/proc/$pm/task/$pm/children" 2>/dev/null); do sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null || true; done
	} | awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { t += $14 + $15 } { t += $12 + $13 } END { printf "%.2f", t / hz }'
}
# pg_idle DB: waits (up to 10 s) until no connection to database DB is left, so its CPU is counted.
pg_idle() {
	local pm i
	pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
	for ((i = 0; i < 100; i++)); do
		ps --ppid "$pm" -o args= 2>/dev/null | grep -q "^postgres: [a-z]* $1 " || return 0
		sleep 0.1
	done
}
