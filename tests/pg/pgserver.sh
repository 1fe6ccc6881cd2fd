#!/bin/sh
# A throwaway PostgreSQL server on loopback for certfleet's tests.
#
#   pgserver.sh start DIR [PORT]   initdb and start a server with its data, socket and log in DIR,
#                                  listening on 127.0.0.1:PORT (by default the first free port from
#                                  55432, kept in DIR/port); a role "certfleet" whose password is
#                                  in DIR/password owns a database "certfleet". Prints its URL.
#                                  Starting a running server only prints the URL.
#   pgserver.sh createdb DIR NAME  a fresh, empty database NAME owned by the role (dropped first
#                                  when it exists); prints its URL
#   pgserver.sh url DIR [NAME]     prints the URL of database NAME (by default "certfleet")
#   pgserver.sh stop DIR           stops the server and removes DIR
#   pgserver.sh pause DIR [MODE]   stops the server and keeps its data: MODE fast (the default: its
#                                  clients are told the server is going) or immediate (as a crash)
#   pgserver.sh resume DIR         starts a paused server again, on the same port
#
# URLs name no password: clients pass it in PGPASSWORD (PGPASSWORD=$(cat DIR/password)).
# Run as root, the server runs as the user postgres (initdb refuses root).
# The server trades durability for speed (fsync, synchronous_commit and full_page_writes off, 16 MB
# of shared buffers); PGSERVER_OPTIONS (e.g. "-c fsync=on -c shared_buffers=128MB") is appended to
# its options at start and restart, and a later setting wins.
set -eu

usage() {
	echo "usage: pgserver.sh start DIR [PORT] | createdb DIR NAME | url DIR [NAME] | stop DIR | pause DIR [fast|immediate] | resume DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case "$dir" in
/*) ;;
*) dir="$(pwd)/$dir" ;;
esac
case "$dir" in
*[!A-Za-z0-9/._-]*)
	echo "pgserver.sh: $dir: use a directory name of letters, digits and ./_- only" >&2
	exit 2
	;;
esac

# The server's binaries: $PGBIN, else the newest installed major version, else pg_config's.
if [ -z "${PGBIN:-}" ]; then
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$PGBIN" ] || PGBIN=$(pg_config --bindir 2>/dev/null || true)
fi
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
	echo "pgserver.sh: no PostgreSQL server binaries found (install postgresql, or set PGBIN)" >&2
	exit 1
fi

# Runs a server command as the server's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Runs SQL as the superuser over the Unix socket in DIR.
superuser_sql() {
	PGOPTIONS="-c client_min_messages=warning" as_owner "$PGBIN/psql" -X -q -h "$dir" -p "$(cat "$dir/port")" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-Atc "$1"
}

running() {
	[ -f "$dir/data/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

url() {
	echo "postgresql://certfleet@127.0.0.1:$(cat "$dir/port")/$1"
}

# Whether something accepts connections on 127.0.0.1:$1.
port_taken() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
	# sh without /dev/tcp: ask the kernel's socket table
	command -v ss >/dev/null 2>&1 && [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# Starts the server in DIR/data on port $1 (the log: DIR/server.log); fails when it does not start.
server_start() {
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-k $dir -c listen_addresses=127.0.0.1 -p $1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB ${PGSERVER_OPTIONS:-}" \
		start >/dev/null
}

start() {
	want=${1:-}
	if running; then
		url certfleet
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	chmod 0700 "$dir"
	as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	port=${want:-55432}
	tries=0
	while :; do
		if [ -z "$want" ] && port_taken "$port"; then
			port=$((port + 1))
			continue
		fi
		echo "$port" >"$dir/port"
		if server_start "$port"; then
			break
		fi
		tries=$((tries + 1))
		# another server took the port between the check and the start: try the next one
		if [ -n "$want" ] || [ $tries -ge 20 ] || ! grep -q "could not bind\|could not create any TCP" "$dir/server.log"; then
			cat "$dir/server.log" >&2
			exit 1
		fi
		port=$((port + 1))
	done
	password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
	(
		umask 077
		echo "$password" >"$dir/password"
	)
	superuser_sql "CREATE ROLE certfleet LOGIN PASSWORD '$password'" >/dev/null
	superuser_sql "CREATE DATABASE certfleet OWNER certfleet" >/dev/null
	url certfleet
}

case "$cmd" in
start)
	start "${3:-}"
	;;
createdb)
	[ $# -eq 3 ] || usage
	name=$3
	case "$name" in
	"" | *[!a-z0-9_]* | [0-9]*)
		echo "pgserver.sh: $name: a database name is lower-case letters, digits and _" >&2
		exit 2
		;;
	esac
	running || {
		echo "pgserver.sh: no server running in $dir" >&2
		exit 1
	}
	superuser_sql "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
	superuser_sql "CREATE DATABASE $name OWNER certfleet" >/dev/null
	url "$name"
	;;
url)
	[ -f "$dir/port" ] || {
		echo "pgserver.sh: no server in $dir" >&2
		exit 1
	}
	url "${3:-certfleet}"
	;;
pause)
	mode=${3:-fast}
	case "$mode" in
	fast | immediate) ;;
	*) usage ;;
	esac
	if running; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m "$mode" -w stop >/dev/null
	fi
	;;
resume)
	[ -f "$dir/port" ] && [ -d "$dir/data" ] || {
		echo "pgserver.sh: no server in $dir" >&2
		exit 1
	}
	running || server_start "$(cat "$dir/port")" || {
		cat "$dir/server.log" >&2
		exit 1
	}
	;;
stop)
	if running; then
		as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
	rm -rf "$dir"
	;;
*)
	usage
	;;
esac
