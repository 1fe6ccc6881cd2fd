#!/bin/sh
# Installs the Debian packages that building and testing certfleet need, if any are missing.
set -eu
PKGS="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev openssl libssl-dev libsqlite3-dev sqlite3 \
libjansson-dev libcmocka-dev libevent-dev python3 python3-aiosmtpd python3-yaml python3-prometheus-client chromium wrk curl libcurl4-openssl-dev libarchive-dev strace \
postgresql libpq-dev pebble lego python3-cryptography"
# Node.js and npm drive the browser tests; use the machine's own when it has them.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "certfleet: installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
