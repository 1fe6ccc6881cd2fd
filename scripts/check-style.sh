#!/bin/sh
# Style checks run by `make check`: OpenSSL only inside src/crypto/, libcurl only inside src/net/,
# libevent only in certfleetd, libarchive only in util/unpack.c, src/net/ never including
# src/core/ and src/core/ never including src/net/, no printf-built SQL or JSON, SQL text only in
# src/store/, SQL only in src/store/ and
# nothing engine-specific outside its driver, every source file named in docs/architecture.md,
# cf_ function prefixes owned by one module (scripts/check-prefixes.sh), and clang-format clean
# sources.
set -eu
cd "$(dirname "$0")/.."
status=0
stray=$(grep -rlE '#[[:space:]]*include[[:space:]]*<openssl/' src tests bench --include='*.[ch]' | grep -v '^src/crypto/' || true)
if [ -n "$stray" ]; then
	echo "check-style: OpenSSL headers outside src/crypto/: $stray" >&2
	status=1
fi
curl=$(grep -rlE '#[[:space:]]*include[[:space:]]*<curl/' src tests bench --include='*.[ch]' | grep -v '^src/net/' || true)
if [ -n "$curl" ]; then
	echo "check-style: libcurl headers outside src/net/: $curl" >&2
	status=1
fi
# each outside library in its own place: libevent in certfleetd (and crypto/tlsserver.c, where its
# TLS bufferevents meet OpenSSL), libarchive in util/unpack.c; so core never sees a socket loop or
# an archive format
confined() { # confined WHAT PATTERN ALLOWED-PATHS-REGEX
	local hits
	hits=$(grep -rlE "#[[:space:]]*include[[:space:]]*<$2" src tests bench --include='*.[ch]' | grep -vE "$3" || true)
	if [ -n "$hits" ]; then
		echo "check-style: $1 headers outside their place: $hits" >&2
		status=1
	fi
}
confined libevent 'event2/' '^(src/daemon/|src/crypto/tlsserver\.c$|tests/)'
confined libarchive 'archive(_entry)?\.h>' '^src/util/unpack\.c$'
# the network layer sits below core: it takes what it needs as plain parameters
upward=$(grep -rlE '#[[:space:]]*include[[:space:]]*"core/' src/net --include='*.[ch]' || true)
if [ -n "$upward" ]; then
	echo "check-style: src/net/ includes src/core/: $upward" >&2
	status=1
fi
# core reaches the network only through the transport table it is handed (core/transport.h):
# neither src/net nor the table filled with it (net_transport.h, above both)
downward=$(grep -rlE '#[[:space:]]*include[[:space:]]*"(net/|net_transport\.h")' src/core --include='*.[ch]' || true)
if [ -n "$downward" ]; then
	echo "check-style: src/core/ includes src/net/ (use the transport table): $downward" >&2
	status=1
fi
# SQL text is the store's: no statement (a string that starts as one) outside src/store/
sqltext=$(grep -rnE '"[[:space:]]*(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE (TABLE|INDEX))[[:space:]]' \
	src --include='*.[ch]' | grep -v '^src/store/' || true)
if [ -n "$sqltext" ]; then
	echo "check-style: SQL outside src/store/: $sqltext" >&2
	status=1
fi
sqlfmt=$(grep -rnE 'printf\([^;]*"(SELECT|INSERT|UPDATE|DELETE) ' src --include='*.c' | grep -v 'schema_version' || true)
if [ -n "$sqlfmt" ]; then
	echo "check-style: SQL built with printf (use bound parameters): $sqlfmt" >&2
	status=1
fi
# SQL is the store's: no SQLite or libpq calls outside their drivers, and no SQLite-only SQL
# (PRAGMA, INSERT OR ..., BEGIN IMMEDIATE, ifnull, rowid) in the portable queries.
engine=$(grep -rlE '#[[:space:]]*include[[:space:]]*<(sqlite3|libpq-fe)\.h>' src --include='*.[ch]' |
	grep -vE '^src/store/db_(sqlite|pg)\.c$' || true)
if [ -n "$engine" ]; then
	echo "check-style: database engine headers outside src/store/db_*.c: $engine" >&2
	status=1
fi
sqlite_sql=$(grep -rniE '"[^"]*(PRAGMA|INSERT OR (REPLACE|IGNORE)|BEGIN IMMEDIATE|ifnull\(|last_insert_rowid|[^_a-z]rowid)' \
	src --include='*.c' | grep -v '^src/store/db_sqlite\.c:' || true)
if [ -n "$sqlite_sql" ]; then
	echo "check-style: SQLite-only SQL outside src/store/db_sqlite.c: $sqlite_sql" >&2
	status=1
fi
# docs/architecture.md names every source file by its file name, as a word of its own ("db.h"
# names db.h, "db_pg.c" does not name pg.c), or a header beside its .c as "identity.c/.h"
word() { printf '(^|[^A-Za-z0-9_])%s([^A-Za-z0-9_]|$)' "$(printf '%s' "$1" | sed 's/\./\\./g')"; }
for f in $(find src -name '*.[ch]' | sort); do
	name=$(basename "$f")
	pattern=$(word "$name")
	case $name in *.h) pattern="$pattern|$(word "${name%.h}.c/.h")" ;; esac
	grep -qE "$pattern" docs/architecture.md || {
		echo "check-style: $f is not named in docs/architecture.md" >&2
		status=1
	}
done
# a symbol's prefix is its folder or file: no two modules share one (scripts/check-prefixes.sh)
scripts/check-prefixes.sh || status=1
if command -v clang-format >/dev/null 2>&1; then
	bad=""
	for f in $(find src -name '*.[ch]'); do
		clang-format --style=file "$f" | cmp -s - "$f" || bad="$bad $f"
	done
	if [ -n "$bad" ]; then
		echo "check-style: not clang-format clean (run clang-format -i):$bad" >&2
		status=1
	fi
fi
[ $status -eq 0 ] && echo "check-style: ok"
exit $status
