#!/bin/sh
# Style checks run by `make check`: OpenSSL only inside src/crypto/, no printf-built SQL or
# JSON, and clang-format clean sources.
set -eu
cd "$(dirname "$0")/.."
status=0
stray=$(grep -rlE '#[[:space:]]*include[[:space:]]*<openssl/' src tests bench --include='*.[ch]' | grep -v '^src/crypto/' || true)
if [ -n "$stray" ]; then
	echo "check-style: OpenSSL headers outside src/crypto/: $stray" >&2
	status=1
fi
sqlfmt=$(grep -rnE 'printf\([^;]*"(SELECT|INSERT|UPDATE|DELETE) ' src --include='*.c' | grep -v 'schema_version' || true)
if [ -n "$sqlfmt" ]; then
	echo "check-style: SQL built with printf (use bound parameters): $sqlfmt" >&2
	status=1
fi
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
