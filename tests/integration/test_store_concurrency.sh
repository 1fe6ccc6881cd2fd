#!/usr/bin/env bash
# engines: sqlite — it runs itself once per engine (SQLite, then a PostgreSQL server of its own made with tests/pg/pgserver.sh), so a CERTFLEET_TEST_PG run would only repeat it
# Writers at the same moment, on SQLite and on PostgreSQL. In each of ROUNDS rounds, pairs of
# certfleet processes released together make the same or conflicting changes: the same trust
# bundle into the same store, the same node, the same cluster, one cluster setting, a CSR for the
# same node and purpose, an account of the same name, the two first nodes of a new cluster; and a
# running certfleetd's API races the CLI (a cluster setting, an account, a trust upload, a CSR).
# After each round: nobody exited 10 or answered 500 (a collision that did not clear is exit 5 /
# HTTP 503 "try again", counted), no certificate twice in a store, no half change (a bundle whole
# on the publisher and its subscriber or not at all, one publisher per product in a cluster, a
# setting and a pending CSR exactly one writer's), and exactly one audit row per change that
# succeeded. CONC_ROUNDS sets the rounds (the sanitizer build runs fewer: tests/CMakeLists.txt),
# CONC_ENGINES the engines ("sqlite postgresql").
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
HERE=$(cd "$(dirname "$0")" && pwd)
PGSERVER=${SRCDIR:-$HERE/../..}/tests/pg/pgserver.sh
GEN_CERTS=${GEN_CERTS:-$(dirname "$CERTFLEET")/bench/gen_certs}
ROUNDS=${CONC_ROUNDS:-30}
cd "$T" || exit 1

PUB=ucm1.example.com
SUB=ucm2.example.com
PW_ADMIN='conc-admin-Pw-4b1d'
PW_USER='conc-user-Pw-77ae'
# the server lives outside $T (the server's own user must reach its directory)
echo "$PW_USER" >password
PGDIR=""
cleanup() {
	stop_certfleetd
	[ -z "$PGDIR" ] || sh "$PGSERVER" stop "$PGDIR" >/dev/null 2>&1 || true
}
on_exit cleanup # certfleetd first, then its server

# a python3 that starts fast (a version manager's shim costs more than the check it runs)
PY=python3
[ ! -x /usr/bin/python3 ] || PY=/usr/bin/python3

# ---- the certificates: a bundle of 3 CA certificates per round and race ----------------------------
# gen_certs numbers its certificates' CNs: bundle b holds "Bench CA" 3b-2 to 3b (concurrency_check.py
# finds them by CN). Bundle r is raced CLI against CLI in round r, bundle ROUNDS+r API against CLI.
"$GEN_CERTS" $((ROUNDS * 6)) all.pem >/dev/null
awk -v dir="$T" '/BEGIN CERTIFICATE/ { n++; b = int((n - 1) / 3) + 1 } { print > (dir "/bundle" b ".pem") }' all.pem
assert_eq "bundles of 3" 3 "$(grep -c 'BEGIN CERTIFICATE' "bundle$((ROUNDS * 2)).pem")"

# ---- racing --------------------------------------------------------------------------------------
# Every racer waits on the pipe "go" (a line each) and starts when the round releases them all.
R="$T/r"
RACE_STDIN=/dev/null
race() { # race NAME CMD...: runs CMD (stdin: $RACE_STDIN) when released; $R/NAME.rc, .out, .err
	local name=$1 in=$RACE_STDIN
	shift
	(
		read -r _ <&7
		rc=0
		"$@" <"$in" >"$R/$name.out" 2>"$R/$name.err" || rc=$?
		echo "$rc" >"$R/$name.rc"
	) &
	RACERS=$((RACERS + 1))
}
release() { # release: lets every racer go and waits for them
	for _ in $(seq 1 "$RACERS"); do echo go >&7; done
	wait $(jobs -p | grep -v "^${DPID:-x}$") 2>/dev/null || true
	RACERS=0
}
api() { # api METHOD PATH [CURL-ARGS]: prints the body; the HTTP status is the last line
	local method=$1 path=$2
	shift 2
	curl -sk -b "$T/jar" -X "$method" -H "X-CSRF-Token: $CSRF" -w '\n%{http_code}' "$@" "$BASE$path"
}
api_rc() { # api_rc METHOD PATH [CURL-ARGS]: api, with the status mapped onto the CLI's exit codes
	local out code
	out=$(api "$@") || true
	code=${out##*$'\n'}
	printf '%s\n' "${out%$'\n'*}"
	case "$code" in
	200 | 201) return 0 ;;
	409) return 5 ;;
	503) echo "try again (503)" >&2 && return 5 ;;
	*) echo "HTTP $code" >&2 && return 10 ;;
	esac
}

# daemon_done WHAT: stops certfleetd and finds no sanitizer report in its log
daemon_done() {
	stop_certfleetd
	assert_no_sanitizer_report "$1"
}

# ---- one engine ------------------------------------------------------------------------------------
run_engine() {
	local engine=$1 r t0=$SECONDS
	local rounds=0 successes=0 retries=0 refusals=0 duplicates=0 bad=0 verdict n_ok n_retry n_refused n_bad n_dup
	local said retried=""
	if [ "$engine" = postgresql ]; then
		CERTFLEET_STORE=$(cd / && sh "$PGSERVER" createdb "$PGDIR" concurrency)
	else
		CERTFLEET_STORE="$T/store.db"
	fi
	export CERTFLEET_STORE
	cf init >/dev/null
	cf cluster add cl1 >/dev/null
	cf cluster add fleet >/dev/null
	cf node add $PUB --cluster cl1 --product ucm --no-defaults >/dev/null
	cf node add $SUB --cluster cl1 --product ucm --no-defaults >/dev/null
	cf cert self-signed --node $PUB --purpose tomcat >/dev/null # what certfleetd serves
	cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
	PORT=$(free_port)
	start_certfleetd --node $PUB
	curl -sk -c "$T/jar" -H 'Content-Type: application/json' -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" \
		"$BASE/login" >"$T/login.json"
	CSRF=$(json 'd["csrf"]' <"$T/login.json")
	local last_audit
	last_audit=$(cf --json audit --limit 1 | json 'd["items"][0]["id"]')

	for r in $(seq 1 "$ROUNDS"); do
		rm -rf "$R"
		mkdir -p "$R"
		rm -f "$T/go"
		mkfifo "$T/go"
		exec 7<>"$T/go"
		RACERS=0
		# the CLI against the CLI
		race trust1 cf trust add --node $PUB --store tomcat-trust "bundle$r.pem"
		race trust2 cf trust add --node $PUB --store tomcat-trust "bundle$r.pem"
		race node1 cf node add "n$r.example.com" --cluster fleet --product cms --no-defaults
		race node2 cf node add "n$r.example.com" --cluster fleet --product cms --no-defaults
		race cluster1 cf cluster add "k$r"
		race cluster2 cf cluster add "k$r"
		if [ "$r" -gt 1 ]; then # the first two nodes of the cluster the last round made: one publisher
			race first1 cf node add "a$r.example.com" --cluster "k$((r - 1))" --product imp --no-defaults
			race first2 cf node add "b$r.example.com" --cluster "k$((r - 1))" --product imp --no-defaults
		fi
		race set1 cf cluster set cl1 presence-domains "p$r-one.example.com"
		race set2 cf cluster set cl1 presence-domains "p$r-two.example.com"
		race csr1 cf csr generate --node $PUB --purpose tomcat-ECDSA
		race csr2 cf csr generate --node $PUB --purpose tomcat-ECDSA
		RACE_STDIN="$T/password"
		if [ $((r % 2)) = 1 ]; then # (password hashing is dear: the CLI against the CLI every other round)
			race user1 cf user add "u$r" --role read-only
			race user2 cf user add "u$r" --role read-only
		fi
		RACE_STDIN=/dev/null
		# the API against the CLI
		race apiset api_rc PUT /clusters/cl1 -H 'Content-Type: application/json' \
			-d "{\"key\":\"email-domains\",\"values\":[\"e$r-api.example.com\"]}"
		race cliset cf cluster set cl1 email-domains "e$r-cli.example.com"
		if [ $((r % 2)) = 0 ]; then # (and the API against the CLI in the others)
			race apiuser api_rc POST /users -H 'Content-Type: application/json' \
				-d "{\"name\":\"w$r\",\"role\":\"read-only\",\"password\":\"$PW_USER\"}"
			RACE_STDIN="$T/password" race cliuser cf user add "w$r" --role read-only
		fi
		race apitrust api_rc POST /upload -F node=$PUB -F store=CallManager-trust \
			-F "file=@bundle$((ROUNDS + r)).pem;type=application/x-pem-file"
		race clitrust cf trust add --node $PUB --store CallManager-trust "bundle$((ROUNDS + r)).pem"
		race apicsr api_rc POST /csr -H 'Content-Type: application/json' \
			-d "{\"node\":\"$PUB\",\"purpose\":\"CallManager-ECDSA\"}"
		race clicsr cf csr generate --node $PUB --purpose CallManager-ECDSA
		release
		exec 7>&-
		rounds=$((rounds + 1))

		# ---- the store after the round: cert list from the command line, the rest from the API ----
		cf --json cert list >"$R/certs.json"
		verdict=$("$PY" "$HERE/concurrency_check.py" "$R" "$r" "$ROUNDS" "$last_audit" "$BASE" "$T/jar")
		read -r last_audit n_ok n_retry n_refused n_bad n_dup said verdict <<<"$verdict"
		[ "$said" = - ] || retried+=" $said"
		successes=$((successes + n_ok))
		retries=$((retries + n_retry))
		refusals=$((refusals + n_refused))
		bad=$((bad + n_bad))
		duplicates=$((duplicates + n_dup))
		assert_eq "$engine round $r: nobody failed, and the store after the round" ok "$verdict"
	done
	daemon_done "$engine"
	# which said "try again", how often: "csr1 x2,user2 x1"
	[ -z "$retried" ] || retried=" ($(echo $retried | tr ' ,' '\n\n' | sort | uniq -c | awk '{print $2 " x" $1}' | paste -sd, -))"
	echo "$engine: $rounds rounds, $successes changes succeeded, $refusals refused as expected (already there)," \
		"$retries said \"try again\"$retried, $bad failed, duplicates=$duplicates ($((SECONDS - t0)) s)"
	assert_eq "$engine: nobody failed" 0 "$bad"
	assert_eq "$engine: no duplicates" 0 "$duplicates"
}

for engine in ${CONC_ENGINES:-sqlite postgresql}; do
	if [ "$engine" = postgresql ]; then
		PGDIR=$(mktemp -u /tmp/certfleet-pg-conc.XXXXXX)
		(cd / && sh "$PGSERVER" start "$PGDIR" >/dev/null)
		export PGPASSWORD
		PGPASSWORD=$(cat "$PGDIR/password")
	fi
	run_engine "$engine"
done

finish
