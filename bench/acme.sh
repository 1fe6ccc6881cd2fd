#!/usr/bin/env bash
# ACME benchmark (not a test): from `certfleet acme order` to a staged certificate, against `lego
# run` on the same pebble in the same run (SPEC §12: certfleet within a third of lego's time).
#
# usage: bench/acme.sh BUILD_DIR [RUNS]    (RUNS: orders per tool, taking turns; 5 by default)
#
# A throwaway pebble (tests/acme/pebble.sh: loopback only, validation without pebble's random
# sleep, no authorization reuse) serves both. Each tool registers its account once, outside the
# timing (certfleet: acme account add; lego: a first `run` for a name of its own); each timed
# order is for a new name, so every one is a fresh authorization with an HTTP-01 validation
# served by the tool itself on the port pebble dials (certfleet: --http-listen; lego: --http
# --http.port). Timed: the command, start to exit, wall clock. Printed: each run, the medians,
# the ratio and the target.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: bench/acme.sh BUILD_DIR [RUNS]}
RUNS=${2:-5}
for tool in lego pebble openssl python3; do
	command -v "$tool" >/dev/null || { echo "$0: $tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
[[ -x $BUILD/certfleet ]] || { echo "$0: no $BUILD/certfleet (build first)" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench-acme.XXXXXX")
. bench/lib.sh
cleanup() { tests/acme/pebble.sh stop "$WORK/pb" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

tests/acme/pebble.sh start "$WORK/pb" >/dev/null
# shellcheck disable=SC1091
. "$WORK/pb/env"
HTTP=127.0.0.1:$ACME_HTTP_PORT
cf() { "$BUILD/certfleet" --store "$WORK/store.db" "$@"; }
legocmd() {
	LEGO_CA_CERTIFICATES=$ACME_CA_FILE lego --server "$ACME_DIRECTORY" --accept-tos --email admin@example.test \
		--path "$WORK/lego" --key-type ec256 --http --http.port "$HTTP" "$@"
}
echo "ACME benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(lego --version 2>&1 | head -n 1), pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null || echo '?')"
echo "clock: $CLOCK; $RUNS orders per tool, taking turns; pebble at $ACME_DIRECTORY, HTTP-01 on $HTTP"

# the accounts, outside the timing
cf init >/dev/null
cf acme account add bench --directory "$ACME_DIRECTORY" --agree-tos --email admin@example.test \
	--ca-file "$ACME_CA_FILE" >/dev/null
legocmd --domains warmup.example.test run >/dev/null 2>&1 || { echo "FAILED: lego's first run" >&2; exit 1; }

CF_T=() LEGO_T=()
for i in $(seq 1 "$RUNS"); do
	node=cf$i.example.test
	cf cluster add "c$i" >/dev/null
	cf node add "$node" --cluster "c$i" --product ucm --publisher >/dev/null
	timed "$WORK/cf.out" "$BUILD/certfleet" --store "$WORK/store.db" acme order --node "$node" --purpose tomcat \
		--account bench --http-listen "$HTTP"
	[[ $RC == 0 ]] || { echo "FAILED: certfleet acme order ($node): $(cat "$WORK/err")" >&2; exit 1; }
	[[ $(cf --json acme show --node "$node" --purpose tomcat | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])') == staged ]] ||
		{ echo "FAILED: $node not staged" >&2; exit 1; }
	CF_T+=("$T")
	timed "$WORK/lego.out" env LEGO_CA_CERTIFICATES="$ACME_CA_FILE" lego --server "$ACME_DIRECTORY" --accept-tos \
		--email admin@example.test --path "$WORK/lego" --key-type ec256 --http --http.port "$HTTP" \
		--domains "lego$i.example.test" run
	[[ $RC == 0 && -s $WORK/lego/certificates/lego$i.example.test.crt ]] ||
		{ echo "FAILED: lego run (lego$i): $(tail -n 3 "$WORK/err")" >&2; exit 1; }
	LEGO_T+=("$T")
	printf 'run %d   certfleet acme order %6.3f s   lego run %6.3f s\n' "$i" "${CF_T[-1]}" "${LEGO_T[-1]}"
done
CF_M=$(median "${CF_T[@]}")
LEGO_M=$(median "${LEGO_T[@]}")
R=$(ratio "$CF_M" "$LEGO_M")
echo "median    certfleet acme order $CF_M s   lego run $LEGO_M s   certfleet / lego = $R"
if awk -v r="$R" 'BEGIN { exit !(r <= 1 / 3) }'; then
	echo "target    certfleet <= 1/3 of lego's time: met ($R)"
else
	echo "target    certfleet <= 1/3 of lego's time: MISSED ($R)"
fi
