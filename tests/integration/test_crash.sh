#!/usr/bin/env bash
# engines: sqlite — about SQLite's own recovery of a writer killed mid-transaction (its journal and
# WAL files); a PostgreSQL server rolls back a lost connection's transaction itself
# Crash safety: certfleet commands that write the store are killed with SIGKILL at random
# moments (0-150 ms after start). After that the store must pass SQLite's integrity check and
# storecheck (every identity's key matches its certificate), every change must be all or
# nothing (a trust bundle is in a store completely or not at all; a multi-server certificate
# is on every node or on none; self-signed identities have their trust copies), and every
# command must still work (a CSR generate + sign + upload round trip included).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${STORECHECK:?set STORECHECK to the storecheck tool (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET") # the script works inside $T
STORECHECK=$(realpath "$STORECHECK")
cd "$T" || exit 1

PUB=ucm1.example.com
SUB=ucm2.example.com
MIN_KILLS=200
MAX_SECONDS=150 # the kill loop stops here even if MIN_KILLS was not reached (and the test fails)
BUNDLES=4
BUNDLE_SIZE=200

# ---- setup ----------------------------------------------------------------------------------------

new_store
cf node add $PUB --cluster cl1 --product ucm >/dev/null # with its default self-signed identities
cf node add $SUB --cluster cl1 --product ucm --no-defaults >/dev/null

openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -subj "/CN=Crash Test Root" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
for s in tomcat-trust CallManager-trust ipsec-trust; do
	cf trust add --node $PUB --store $s root.pem >/dev/null 2>&1
done

# issue KEYFILE OUT: a certificate for the key, CN/SAN = the publisher, signed by the root.
issue() {
	openssl req -new -key "$1" -subj "/CN=$PUB" -addext "subjectAltName=DNS:$PUB" \
		-addext keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment \
		-addext extendedKeyUsage=serverAuth,clientAuth 2>/dev/null |
		openssl x509 -req -CA root.pem -CAkey root.key -copy_extensions copy -days 365 -out "$2" 2>/dev/null
}
# Certificates with their keys for `cert upload --key` (CallManager purposes never get a CSR here).
for k in 1 2 3; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out cm$k.key 2>/dev/null
	issue cm$k.key cm$k.pem
done
for k in 1 2; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cme$k.key 2>/dev/null
	issue cme$k.key cme$k.pem
done

# Bundles of CA certificates for `trust add` (CN "Crash Bundle K-N").
openssl ecparam -name prime256v1 -genkey -noout -out bulk.key
mkdir bulk
for b in $(seq 1 $BUNDLES); do
	for n in $(seq 1 $BUNDLE_SIZE); do echo "$b $n"; done
done | xargs -P 4 -n 2 sh -c 'openssl req -x509 -key bulk.key -subj "/CN=Crash Bundle $0-$1" -days 3650 \
	-set_serial $(($0 * 100000 + $1)) -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	-out bulk/$0-$1.pem 2>/dev/null'
for b in $(seq 1 $BUNDLES); do
	for n in $(seq 1 $BUNDLE_SIZE); do cat "bulk/$b-$n.pem"; done >bundle$b.pem
	assert_eq "bundle $b has $BUNDLE_SIZE certificates" $BUNDLE_SIZE "$(grep -c 'BEGIN CERTIFICATE' bundle$b.pem)"
done

# ---- invariants -------------------------------------------------------------------------------------

# check_store WHEN: storecheck passes, the list parses, and every change was all or nothing.
check_store() {
	local when=$1 rc=0 out
	out=$("$STORECHECK" "$CERTFLEET_STORE" 2>&1) || rc=$?
	assert_eq "$when: storecheck exit ($out)" 0 "$rc"
	rc=0
	cf --json cert list >list.json 2>list.err || rc=$?
	assert_eq "$when: cert list exit ($(cat list.err))" 0 "$rc"
	out=$(python3 - "$BUNDLES" "$BUNDLE_SIZE" "$PUB" "$SUB" list.json 2>&1 <<-'EOF'
	import json, sys
	bundles, size, pub, sub = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
	items = json.load(open(sys.argv[5]))["items"]
	problems = []
	# a trust bundle is in a store wholly or not at all
	counts = {}
	for i in items:
	    if "store" in i and i["cn"].startswith("Crash Bundle "):
	        b = i["cn"][len("Crash Bundle "):].split("-")[0]
	        counts[(i["node"], i["store"], b)] = counts.get((i["node"], i["store"], b), 0) + 1
	for k, n in sorted(counts.items()):
	    if n != size:
	        problems.append("bundle %s in %s on %s: %d of %d certificates" % (k[2], k[1], k[0], n, size))
	# the publisher's trust stores are mirrored on the subscriber
	for (node, store, b), n in counts.items():
	    if node == pub and counts.get((sub, store, b)) != n:
	        problems.append("bundle %s in %s: on %s but not (all) on %s" % (b, store, pub, sub))
	# one identity per (node, purpose)
	seen = set()
	for i in items:
	    if "purpose" in i:
	        if (i["node"], i["purpose"]) in seen:
	            problems.append("two %s identities on %s" % (i["purpose"], i["node"]))
	        seen.add((i["node"], i["purpose"]))
	ident = {(i["node"], i["purpose"]): i for i in items if "purpose" in i}
	# the multi-server tomcat is on both nodes or the subscriber has none
	if (sub, "tomcat") in ident:
	    if ident.get((pub, "tomcat"), {}).get("sha256") != ident[(sub, "tomcat")]["sha256"]:
	        problems.append("tomcat on %s differs from the multi-server tomcat on %s" % (sub, pub))
	# every self-signed identity has its copy in its trust store on both nodes
	stores = {"tomcat": "tomcat-trust", "tomcat-ECDSA": "tomcat-trust", "CallManager": "CallManager-trust",
	          "CallManager-ECDSA": "CallManager-trust", "ipsec": "ipsec-trust", "CAPF": "CAPF-trust"}
	trust = {(i["node"], i["store"], i["sha256"]) for i in items if "store" in i}
	for (node, purpose), i in ident.items():
	    if i["self_signed"] and purpose in stores:
	        for n in (pub, sub):
	            if (n, stores[purpose], i["sha256"]) not in trust:
	                problems.append("self-signed %s of %s is missing from %s on %s" % (purpose, node, stores[purpose], n))
	print("; ".join(problems) if problems else "ok")
	EOF
	)
	assert_eq "$when: all-or-nothing invariants" ok "$out"
}

check_store "before the kills"

# ---- the kill loop ------------------------------------------------------------------------------------

CSR_PURPOSES=(tomcat ipsec)
CSR_KEYS=(rsa:2048 rsa:3072 rsa:2048)
UPLOADS=("CallManager cm1" "CallManager cm2" "CallManager-ECDSA cme1" "CallManager cm3" "CallManager-ECDSA cme2")
SELF_SIGNED=("tomcat --multi-server" CallManager TVS ipsec ITLRecovery CAPF tomcat-ECDSA authz)
STORES=(tomcat-trust CallManager-trust ipsec-trust CAPF-trust)

# op_args I: sets ARGS to the I-th command (alternating kinds).
op_args() {
	local i=$1 n=$(($1 / 4)) u
	case $((i % 4)) in
	0) ARGS=(csr generate --node $PUB --purpose "${CSR_PURPOSES[n % ${#CSR_PURPOSES[@]}]}"
		--key "${CSR_KEYS[n % ${#CSR_KEYS[@]}]}") ;;
	1) read -r -a u <<<"${UPLOADS[n % ${#UPLOADS[@]}]}"
	   ARGS=(cert upload --node $PUB --purpose "${u[0]}" "${u[1]}.pem" --key "${u[1]}.key") ;;
	2) read -r -a u <<<"${SELF_SIGNED[n % ${#SELF_SIGNED[@]}]}"
	   ARGS=(cert self-signed --force --node $PUB --purpose "${u[@]}") ;;
	3) ARGS=(trust add --node $PUB --store "${STORES[n % ${#STORES[@]}]}" "bundle$(((n / ${#STORES[@]}) % BUNDLES + 1)).pem") ;;
	esac
}

iter=0
kills=0
finished=0
early=0
by_kind=(0 0 0 0)
start=$SECONDS
while [ $kills -lt $MIN_KILLS ] || [ $iter -lt 200 ]; do
	if [ $((SECONDS - start)) -ge $MAX_SECONDS ]; then
		echo "kill loop: stopped after $MAX_SECONDS s" >&2
		break
	fi
	op_args $iter
	# exec: $! is certfleet itself, not a subshell
	(exec "$CERTFLEET" "${ARGS[@]}" >/dev/null 2>bg.err) &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 151)))"
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true) # still the subshell before its exec
	kill -9 "$pid" 2>/dev/null || true
	st=0
	wait "$pid" 2>/dev/null || st=$? # (2>/dev/null: no "Killed" job notice)
	if [ "$st" -eq 137 ] && [ "$exe" != "$CERTFLEET" ]; then
		early=$((early + 1)) # killed before certfleet started: not counted
	elif [ "$st" -eq 137 ]; then
		kills=$((kills + 1))
		by_kind[iter % 4]=$((by_kind[iter % 4] + 1))
		if [ $((kills % 50)) -eq 0 ]; then
			check_store "after $kills kills (iteration $iter)"
		fi
	else
		# it finished before the kill: then it must have succeeded
		finished=$((finished + 1))
		if [ "$st" -eq 0 ]; then ok; else fail "iteration $iter: certfleet ${ARGS[*]}: exit $st: $(cat bg.err)"; fi
	fi
	iter=$((iter + 1))
done
echo "kill loop: $iter iterations, $kills kills hit a running certfleet, $finished finished first, $early killed before exec, $((SECONDS - start)) s"
echo "kills by command: csr generate ${by_kind[0]}, cert upload ${by_kind[1]}, cert self-signed ${by_kind[2]}, trust add ${by_kind[3]}"
if [ $kills -ge $MIN_KILLS ]; then ok; else fail "only $kills kills hit a running process (need $MIN_KILLS)"; fi
if [ $iter -ge 200 ]; then ok; else fail "only $iter iterations (need 200)"; fi

# ---- afterwards ---------------------------------------------------------------------------------------

check_store "after the kill loop"

fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f; }

# round_trip PURPOSE WHAT: the pending CSR is signed by the root and uploaded.
round_trip() {
	local p=$1 what=$2 rc=0
	cf csr show --node $PUB --purpose "$p" --pem >"rt-$p.csr" 2>rt.err || rc=$?
	assert_eq "$what: csr show $p (stderr: $(cat rt.err))" 0 "$rc"
	openssl req -in "rt-$p.csr" -noout -verify >/dev/null 2>&1 || fail "$what: the pending $p CSR does not verify"
	openssl x509 -req -in "rt-$p.csr" -CA root.pem -CAkey root.key -copy_extensions copy -days 365 \
		-out "rt-$p.pem" 2>/dev/null
	rc=0
	cf cert upload --node $PUB --purpose "$p" "rt-$p.pem" >/dev/null 2>rt.err || rc=$?
	assert_eq "$what: upload of the signed $p (stderr: $(cat rt.err))" 0 "$rc"
	assert_eq "$what: $p is the uploaded certificate" "$(fingerprint "rt-$p.pem")" \
		"$(cf --json cert list --node $PUB --purpose "$p" | json 'd["items"][0]["sha256"]' 2>&1)"
	rc=0
	cf csr show --node $PUB --purpose "$p" >/dev/null 2>&1 || rc=$?
	assert_eq "$what: the $p CSR was consumed (csr show: no pending CSR is exit 5)" 5 "$rc"
}

# CSRs left pending by the loop (generated by runs that were not killed, or killed after commit)
for p in "${CSR_PURPOSES[@]}"; do
	if cf csr show --node $PUB --purpose "$p" >/dev/null 2>&1; then
		round_trip "$p" "CSR left pending by the loop"
	fi
done

# a fresh round trip for each CSR purpose
for p in "${CSR_PURPOSES[@]}"; do
	rc=0
	cf csr generate --node $PUB --purpose "$p" >/dev/null 2>err || rc=$?
	assert_eq "after the kills: csr generate $p (stderr: $(cat err))" 0 "$rc"
	round_trip "$p" "after the kills"
done

# every other kind of change still works
rc=0
cf cert upload --node $PUB --purpose CallManager cm1.pem --key cm1.key >/dev/null 2>err || rc=$?
assert_eq "after the kills: cert upload --key (stderr: $(cat err))" 0 "$rc"
rc=0
cf cert self-signed --node $PUB --purpose tomcat --multi-server --force >/dev/null 2>err || rc=$?
assert_eq "after the kills: cert self-signed --multi-server (stderr: $(cat err))" 0 "$rc"
for b in $(seq 1 $BUNDLES); do
	rc=0
	cf trust add --node $PUB --store CAPF-trust bundle$b.pem >/dev/null 2>err || rc=$?
	assert_eq "after the kills: trust add bundle $b (stderr: $(cat err))" 0 "$rc"
done
assert_eq "after the kills: CAPF-trust on $SUB holds every bundle" $((BUNDLES * BUNDLE_SIZE)) \
	"$(cf --json cert list --node $SUB --store CAPF-trust | json 'len([i for i in d["items"] if i["cn"].startswith("Crash Bundle ")])')"
id=$(cf --json cert list --node $PUB --store CAPF-trust | json '[i["id"] for i in d["items"] if i["cn"]=="Crash Bundle 1-1"][0]')
rc=0
cf trust delete --node $PUB --store CAPF-trust --id "$id" >/dev/null 2>err || rc=$?
assert_eq "after the kills: trust delete (stderr: $(cat err))" 0 "$rc"
rc=0
cf csr generate --node $PUB --purpose tomcat >/dev/null 2>err && cf csr discard --node $PUB --purpose tomcat >/dev/null 2>err || rc=$?
assert_eq "after the kills: csr generate + discard (stderr: $(cat err))" 0 "$rc"

rc=0
out=$("$STORECHECK" "$CERTFLEET_STORE" 2>&1) || rc=$?
assert_eq "final storecheck ($out)" 0 "$rc"
rc=0
cf --json cert list | json 'len(d["items"])' >/dev/null 2>&1 || rc=$?
assert_eq "final cert list --json parses" 0 "$rc"

finish
