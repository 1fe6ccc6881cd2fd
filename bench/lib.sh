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
