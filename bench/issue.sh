#!/usr/bin/env bash
# Bulk issuance benchmark (not a test; SPEC §12: ≥ 3× `openssl ca -infiles`, using both cores):
# N CSRs (10,000 by default) issued by `certfleet ca issue --batch` — read, checked, signed on
# every core, recorded in the store in one transaction, written out — and by `openssl ca -batch
# -infiles` on the same CSRs with the same CA key and the same extensions, in one run. On SQLite,
# on PostgreSQL, or both.
#
# usage: bench/issue.sh BUILD_DIR [N] [sqlite|both]
set -euo pipefail
[[ $# -ge 1 && $# -le 3 ]] || { echo "usage: $0 BUILD_DIR [N] [sqlite|both]" >&2; exit 2; }
BUILD=$1
N=${2:-10000}
STORE_ARG=${3:-sqlite}
CERTFLEET=$(realpath "$BUILD/certfleet")
[[ -x $CERTFLEET ]] || { echo "$0: $CERTFLEET not found; build first (make build)" >&2; exit 2; }
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive number" >&2; exit 2; }
case $STORE_ARG in sqlite) ENGINES=(sqlite) ;; both) ENGINES=(sqlite postgresql) ;; *) exit 2 ;; esac
TARGET=3
unset CERTFLEET_STORE CERTFLEET_NOW
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfleet-bench-issue.XXXXXX")
. "$(dirname "$0")/lib.sh"
trap 'pg_stop; rm -rf "$WORK"' EXIT
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
cd "$WORK"

# ---- the CA and the CSRs (made once; 2 processes at a time) ----------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/O=Bench/CN=Bench CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf.key 2>/dev/null
mkdir csr
echo "making $N CSRs (RSA-2048, one key, a subject and SAN each) ..."
seq 1 "$N" | xargs -P 2 -n 1 sh -c 'openssl req -new -key leaf.key -subj "/CN=phone$0.example.com" \
	-addext "subjectAltName=DNS:phone$0.example.com" -out "csr/$0.csr" 2>/dev/null'
[[ $(ls csr | wc -l) -eq $N ]] || { echo "$0: CSR generation failed" >&2; exit 1; }

# ---- openssl ca ------------------------------------------------------------------------------------
mkdir -p oca/new && : >oca/index.txt
cat >oca.cnf <<CNF
[ ca ]
default_ca = bench
[ bench ]
dir = $WORK/oca
database = \$dir/index.txt
new_certs_dir = \$dir/new
certificate = $WORK/ca.pem
private_key = $WORK/ca.key
rand_serial = yes
default_md = sha256
default_days = 730
policy = anything
unique_subject = no
copy_extensions = copy
x509_extensions = leaf
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://127.0.0.1:8080/crl/bench.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp/bench
CNF
timed oca.out openssl ca -config oca.cnf -batch -notext -out oca/all.pem -infiles csr/*.csr
[[ $RC -eq 0 ]] || { echo "$0: openssl ca failed: $(tail -n 3 "$WORK/err")" >&2; exit 1; }
OT=$T
ON=$(ls oca/new | wc -l)
echo "openssl ca -batch -infiles: $ON certificates in ${OT} s ($(awk -v n="$ON" -v t="$OT" 'BEGIN { printf "%.0f", n / t }')/s; one process)"

# ---- certfleet ---------------------------------------------------------------------------------------
for engine in "${ENGINES[@]}"; do
	if [[ $engine == sqlite ]]; then
		export CERTFLEET_STORE=$WORK/store.db
	else
		[[ -n $PGDIR ]] || pg_start
		export CERTFLEET_STORE
		CERTFLEET_STORE=$(pg_fresh "bench_issue")
	fi
	"$CERTFLEET" init >/dev/null
	"$CERTFLEET" ca import bench --cert ca.pem --key ca.key >/dev/null
	"$CERTFLEET" ca config bench --base-url http://127.0.0.1:8080 >/dev/null
	# a directory of its own per engine: creating files right after deleting thousands costs ext4
	# up to a minute of slower inode allocation (it skips recently freed inodes), which would
	# fall on whichever run came second
	out=out-$engine
	mkdir "$out"
	timed cf.out "$CERTFLEET" --json ca issue --ca bench --profile tomcat --batch csr --out "$out"
	[[ $RC -eq 0 ]] || { echo "$0: certfleet failed: $(tail -n 3 "$WORK/err")" >&2; exit 1; }
	CN=$(ls "$out" | wc -l)
	# the oracle: a sample of what certfleet issued verifies, with the extensions openssl wrote
	V=$(openssl verify -CAfile ca.pem "$out/1.pem" "$out/$N.pem" 2>&1 | grep -c ': OK$')
	[[ $V -eq 2 ]] || { echo "$0: certfleet's certificates do not verify" >&2; exit 1; }
	R=$(ratio "$OT" "$T")
	echo "certfleet ca issue --batch ($engine): $CN certificates in ${T} s ($(awk -v n="$CN" -v t="$T" 'BEGIN { printf "%.0f", n / t }')/s; CPU ${CPU} s, peak ${RSS} KB): ${R}x openssl ca (target >= ${TARGET}x: $(le "$TARGET" "$R" && echo met || echo MISSED))"
	[[ $engine == postgresql ]] && pg_idle bench_issue
done
