#!/bin/sh
# A throwaway ACME CA on loopback for certfleet's tests: Debian's pebble with pebble-challtestsrv
# as its DNS (every name resolves to 127.0.0.1, no AAAA answers).
#
#   pebble.sh start DIR [--nonce-reject PCT] [--alternate-roots N] [--eab]
#                          makes DIR (removed first), a listener certificate for 127.0.0.1/localhost,
#                          picks free loopback ports and starts both servers; waits until the
#                          directory answers and writes DIR/env (below). Prints the directory URL.
#                          --nonce-reject: the percentage of good nonces pebble refuses with
#                          badNonce (default 0); --alternate-roots: N alternate chains besides the
#                          default one; --eab: accounts need an external account binding.
#                          Starting a running DIR only prints the URL.
#   pebble.sh stop DIR     stops both servers and removes DIR
#   pebble.sh pause DIR    stops pebble only ("the CA is down"); challtestsrv keeps running
#   pebble.sh resume DIR   starts pebble again with the same ports and options. Pebble keeps no
#                          state: accounts, orders and certificates are forgotten and its root and
#                          intermediate are new (fetch them again with `roots`)
#   pebble.sh roots DIR OUT.pem [N]
#                          writes root N (default 0) and its intermediate from the management API
#                          into OUT.pem (root first)
#   pebble.sh status DIR SERIALHEX
#                          prints pebble's cert-status-by-serial JSON ("Status":"Valid"|"Revoked",
#                          "Reason", "RevokedAt"): pebble has no OCSP and no CRL, so this is the
#                          revocation oracle. SERIALHEX as openssl prints it (case and leading
#                          zeros do not matter)
#
# DIR/env (sourceable, every listener on 127.0.0.1):
#   ACME_DIRECTORY       https://127.0.0.1:P/dir
#   ACME_CA_FILE         the listener certificate (what a client trusts; not the issuing root)
#   ACME_MGMT            https://127.0.0.1:M, pebble's management API (/roots/N, /intermediates/N,
#                        /cert-status-by-serial/HEX), same listener certificate
#   ACME_HTTP_PORT       the port pebble's VA fetches HTTP-01 tokens from: the client's responder
#                        listens on 127.0.0.1:ACME_HTTP_PORT
#   ACME_TLS_PORT        the port pebble's VA dials for TLS-ALPN-01
#   ACME_DNS             challtestsrv's DNS (udp+tcp), host:port
#   ACME_CHALLTESTSRV    challtestsrv's management API (http), e.g. POST /set-txt for DNS-01
#   ACME_PEBBLE_PID, ACME_CHALLTESTSRV_PID
#   ACME_EAB_KID, ACME_EAB_HMAC_FILE   with --eab: the key id and a file holding its base64url HMAC key
# Logs: DIR/pebble.log, DIR/challtestsrv.log.
#
# Pebble's VA does not sleep (PEBBLE_VA_NOSLEEP=1) and never reuses an authorization
# (PEBBLE_AUTHZREUSE=0), so every order has a challenge to answer. It validates HTTP-01 by fetching
# the token three times at once. Certificates live 5 years (pebble 2.4.0 cannot change that).
set -eu

usage() {
	echo "usage: pebble.sh start DIR [--nonce-reject PCT] [--alternate-roots N] [--eab] | stop DIR | pause DIR | resume DIR | roots DIR OUT.pem [N] | status DIR SERIALHEX" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
case "$dir" in
/*) ;;
*) dir="$(pwd)/$dir" ;;
esac
case "$dir" in
*[!A-Za-z0-9/._-]*)
	echo "pebble.sh: $dir: use a directory name of letters, digits and ./_- only" >&2
	exit 2
	;;
esac

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
WAIT_SECONDS=${PEBBLE_WAIT_SECONDS:-20}

for prog in pebble pebble-challtestsrv; do
	command -v $prog >/dev/null 2>&1 || {
		echo "pebble.sh: $prog not found (install the Debian package pebble: scripts/deps.sh)" >&2
		exit 1
	}
done

# Whether PID $2 is alive and runs program $1 (a dead or reused pid is not ours).
alive() {
	[ -n "$2" ] && [ -r "/proc/$2/cmdline" ] || return 1
	[ "$(tr '\0' '\n' <"/proc/$2/cmdline" | head -n 1 | sed 's|.*/||')" = "$1" ] || return 1
	# a zombie has exited
	! grep -q '^State:[[:space:]]*Z' "/proc/$2/status" 2>/dev/null
}

# Whether PID $1, a child just started, has not exited. Until it has exec'd its program its command
# line is still the shell's (or env's), which alive would take for another process.
running() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Kills PID $2 (running $1) and waits up to 5 s for it to go, then kills it for good.
kill_wait() {
	alive "$1" "$2" || return 0
	kill "$2" 2>/dev/null || true
	i=0
	while alive "$1" "$2"; do
		i=$((i + 1))
		if [ $i -eq 50 ]; then
			kill -9 "$2" 2>/dev/null || true
		fi
		[ $i -lt 100 ] || break
		sleep 0.1
	done
}

# Prints $1 distinct ports, each free on 127.0.0.1 for both TCP and UDP.
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        held.append(t)
        continue
    held += [t, u]
    ports.append(port)
print(" ".join(map(str, ports)))
EOF
}

# Reads DIR/env and DIR/state (what resume needs) into the shell.
load_env() {
	[ -f "$dir/env" ] && [ -f "$dir/state" ] || {
		echo "pebble.sh: no pebble in $dir" >&2
		exit 1
	}
	. "$dir/env"
	. "$dir/state"
}

write_env() {
	{
		echo "ACME_DIRECTORY=https://127.0.0.1:$ACME_PORT/dir"
		echo "ACME_CA_FILE=$dir/listener-cert.pem"
		echo "ACME_MGMT=https://127.0.0.1:$MGMT_PORT"
		echo "ACME_HTTP_PORT=$HTTP_PORT"
		echo "ACME_TLS_PORT=$TLS_PORT"
		echo "ACME_DNS=127.0.0.1:$DNS_PORT"
		echo "ACME_CHALLTESTSRV=http://127.0.0.1:$CHALL_PORT"
		echo "ACME_PEBBLE_PID=$PEBBLE_PID"
		echo "ACME_CHALLTESTSRV_PID=$CHALL_PID"
		if [ "$EAB" = 1 ]; then
			echo "ACME_EAB_KID=$EAB_KID"
			echo "ACME_EAB_HMAC_FILE=$dir/eab-hmac"
		fi
	} >"$dir/env.new"
	# pebble.sh's own: the ports and options resume needs
	{
		echo "ACME_PORT=$ACME_PORT MGMT_PORT=$MGMT_PORT HTTP_PORT=$HTTP_PORT TLS_PORT=$TLS_PORT DNS_PORT=$DNS_PORT CHALL_PORT=$CHALL_PORT"
		echo "NONCE_REJECT=$NONCE_REJECT ALT_ROOTS=$ALT_ROOTS EAB=$EAB EAB_KID=${EAB_KID:-}"
	} >"$dir/state"
	mv "$dir/env.new" "$dir/env"
}

write_config() {
	if [ "$EAB" = 1 ]; then
		eab="true, \"externalAccountMACKeys\": { \"$EAB_KID\": \"$(cat "$dir/eab-hmac")\" }"
	else
		eab=false
	fi
	cat >"$dir/pebble-config.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$ACME_PORT",
    "managementListenAddress": "127.0.0.1:$MGMT_PORT",
    "certificate": "$dir/listener-cert.pem",
    "privateKey": "$dir/listener-key.pem",
    "httpPort": $HTTP_PORT,
    "tlsPort": $TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": $eab
  }
}
EOF
}

start_challtestsrv() {
	pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$DNS_PORT" \
		-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$CHALL_PORT" \
		>>"$dir/challtestsrv.log" 2>&1 </dev/null &
	CHALL_PID=$!
}

start_pebble() {
	env PEBBLE_VA_NOSLEEP=1 PEBBLE_AUTHZREUSE=0 PEBBLE_WFE_NONCEREJECT="$NONCE_REJECT" \
		PEBBLE_ALTERNATE_ROOTS="$ALT_ROOTS" \
		pebble -config "$dir/pebble-config.json" -dnsserver "127.0.0.1:$DNS_PORT" \
		>>"$dir/pebble.log" 2>&1 </dev/null &
	PEBBLE_PID=$!
}

# Waits until pebble's directory and challtestsrv's management API answer. Returns 1 (and says
# why in $why) when a server exited or the time ran out.
wait_ready() {
	deadline=$(($(date +%s) + WAIT_SECONDS))
	while :; do
		if curl -sf -o /dev/null --max-time 2 --cacert "$dir/listener-cert.pem" "https://127.0.0.1:$ACME_PORT/dir" &&
			curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$CHALL_PORT/"; then
			return 0
		fi
		if ! running "$PEBBLE_PID" || ! running "$CHALL_PID"; then
			why="pebble or pebble-challtestsrv exited"
			return 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			why="pebble did not answer within ${WAIT_SECONDS}s"
			return 1
		fi
		sleep 0.1
	done
}

fail_with_logs() {
	echo "pebble.sh: $1" >&2
	for log in pebble.log challtestsrv.log; do
		[ -f "$dir/$log" ] || continue
		echo "--- $dir/$log (tail)" >&2
		tail -n 20 "$dir/$log" >&2
	done
	exit 1
}

start() {
	NONCE_REJECT=0
	ALT_ROOTS=0
	EAB=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--nonce-reject)
			[ $# -ge 2 ] || usage
			NONCE_REJECT=$2
			shift 2
			;;
		--alternate-roots)
			[ $# -ge 2 ] || usage
			ALT_ROOTS=$2
			shift 2
			;;
		--eab)
			EAB=1
			shift
			;;
		*) usage ;;
		esac
	done
	case "$NONCE_REJECT$ALT_ROOTS" in
	*[!0-9]*)
		echo "pebble.sh: --nonce-reject and --alternate-roots take a whole number" >&2
		exit 2
		;;
	esac
	[ "$NONCE_REJECT" -le 100 ] || {
		echo "pebble.sh: --nonce-reject is a percentage (0-100)" >&2
		exit 2
	}
	if [ -f "$dir/env" ]; then
		. "$dir/env"
		if alive pebble "$ACME_PEBBLE_PID"; then
			echo "$ACME_DIRECTORY"
			return 0
		fi
		# left over from an earlier run: stop what is left of it first
		kill_wait pebble-challtestsrv "$ACME_CHALLTESTSRV_PID"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	chmod 0700 "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
		-keyout "$dir/listener-key.pem" -out "$dir/listener-cert.pem" -subj "/CN=localhost" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>"$dir/openssl.log" || fail_with_logs "no listener certificate"
	if [ "$EAB" = 1 ]; then
		EAB_KID=kid-1
		# 48 random bytes: 64 base64url characters, no padding
		head -c 48 /dev/urandom | base64 -w0 | tr '+/' '-_' >"$dir/eab-hmac"
		chmod 0600 "$dir/eab-hmac"
	fi
	# Another process may take a port between picking and binding: then pick again.
	tries=0
	while :; do
		# shellcheck disable=SC2046 # six words: the ports
		set -- $(free_ports 6)
		ACME_PORT=$1 MGMT_PORT=$2 HTTP_PORT=$3 TLS_PORT=$4 DNS_PORT=$5 CHALL_PORT=$6
		write_config
		start_challtestsrv
		start_pebble
		if wait_ready; then
			break
		fi
		kill_wait pebble "$PEBBLE_PID"
		kill_wait pebble-challtestsrv "$CHALL_PID"
		tries=$((tries + 1))
		if [ $tries -ge 3 ] || ! grep -q "address already in use" "$dir/pebble.log" "$dir/challtestsrv.log"; then
			fail_with_logs "$why"
		fi
	done
	write_env
	echo "https://127.0.0.1:$ACME_PORT/dir"
}

case "$cmd" in
start)
	start "$@"
	;;
stop)
	[ $# -eq 0 ] || usage
	if [ -f "$dir/env" ]; then
		. "$dir/env"
		kill_wait pebble "$ACME_PEBBLE_PID"
		kill_wait pebble-challtestsrv "$ACME_CHALLTESTSRV_PID"
	fi
	rm -rf "$dir"
	;;
pause)
	[ $# -eq 0 ] || usage
	load_env
	kill_wait pebble "$ACME_PEBBLE_PID"
	;;
resume)
	[ $# -eq 0 ] || usage
	load_env
	CHALL_PID=$ACME_CHALLTESTSRV_PID
	alive pebble-challtestsrv "$CHALL_PID" || start_challtestsrv
	PEBBLE_PID=$ACME_PEBBLE_PID
	alive pebble "$PEBBLE_PID" || start_pebble
	wait_ready || {
		kill_wait pebble "$PEBBLE_PID"
		fail_with_logs "resume: $why"
	}
	write_env
	;;
roots)
	[ $# -ge 1 ] && [ $# -le 2 ] || usage
	out=$1
	n=${2:-0}
	load_env
	tmp="$out.tmp.$$"
	curl -sSf --max-time 10 --cacert "$ACME_CA_FILE" "$ACME_MGMT/roots/$n" >"$tmp" &&
		curl -sSf --max-time 10 --cacert "$ACME_CA_FILE" "$ACME_MGMT/intermediates/$n" >>"$tmp" || {
		rm -f "$tmp"
		echo "pebble.sh: could not fetch root $n from $ACME_MGMT" >&2
		exit 1
	}
	mv "$tmp" "$out"
	;;
status)
	[ $# -eq 1 ] || usage
	# pebble names serials in lower-case hex without leading zeros
	serial=$(printf '%s' "$1" | tr 'A-F' 'a-f' | sed 's/^0x//; s/^0*//')
	case "$serial" in
	"") serial=0 ;;
	*[!0-9a-f]*)
		echo "pebble.sh: $1: not a hex serial" >&2
		exit 2
		;;
	esac
	load_env
	curl -sSf --max-time 10 --cacert "$ACME_CA_FILE" "$ACME_MGMT/cert-status-by-serial/$serial"
	echo
	;;
*)
	usage
	;;
esac
