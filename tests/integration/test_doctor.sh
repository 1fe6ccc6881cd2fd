#!/usr/bin/env bash
# `certfleet doctor` (SPEC §4, §11): for every rule id a deployment that triggers it (the finding
# appears in --json output with the right node, purpose and severity) and one that does not;
# exit codes 7 (an error finding) and 0 (warnings and info only); --node filtering; the human
# output format; a fresh default deployment shows duplicate-selfsigned-cn and no error.
# Certificates are made with the openssl command. A few states cannot be reached through the CLI
# because certfleet refuses to create them (a key that does not match its certificate, an RSA
# certificate filed under an -ECDSA purpose, an end-entity certificate in a trust store, a
# trusted-ca list over its limit, a bad name on an Expressway); those are made by editing the
# store with SQL (store_sql: the sqlite3 command or psql), as a damaged or hand-migrated store would be.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
CERTFLEET=$(realpath "$CERTFLEET") # the script works inside $T
[ "$(store_engine)" != sqlite ] || command -v sqlite3 >/dev/null || { echo "FAIL: $(basename "$0") needs the sqlite3 command (Debian: sqlite3)" >&2; exit 1; }
cd "$T" || exit 1
NOW=$(date +%s)
DAY=86400
# The public roots the doctor compares Expressway-E chains against: only our "public" CA.
export CERTFLEET_CA_BUNDLE="$T/public-roots.pem"

# ---- helpers ----------------------------------------------------------------------------------------

# doctor [args...]: `certfleet --json doctor`; the JSON in doc.json, the exit code in $DRC. Every
# output is kept in all.json (crl-expired and revoked must never appear) and checked for shape.
doctor() {
	DRC=0
	cf --json doctor "$@" >doc.json 2>doc.err || DRC=$?
	cat doc.json >>all.json
	local shape
	shape=$(python3 - doc.json <<-'EOF'
	import json, sys
	try:
	    d = json.load(open(sys.argv[1]))
	except Exception as ex:
	    print("not one JSON object: %s" % ex); sys.exit()
	if not isinstance(d, dict) or list(d) != ["findings"] or not isinstance(d["findings"], list):
	    print("not {\"findings\":[...]}: %r" % d); sys.exit()
	kinds = {"prune": ["node"], "csr": ["multi_server", "node", "purpose"],
	         "self-signed": ["multi_server", "node", "purpose"], "upload": ["node", "purpose"],
	         "trust-add": ["node", "store"], "trust-delete": ["id", "node", "store"],
	         "trust-list": ["node", "store"], "csr-discard": ["node", "purpose"], "crl-update": []}
	for f in d["findings"]:
	    if sorted(f) != ["action", "fix", "message", "node", "purpose", "rule", "severity"]:
	        print("bad keys %r" % sorted(f)); sys.exit()
	    if not all(isinstance(v, str) for k, v in f.items() if k != "action"):
	        print("non-string member in %r" % f); sys.exit()
	    a = f["action"]
	    if a is not None and (not isinstance(a, dict) or a.get("kind") not in kinds or
	                          sorted(k for k in a if k != "kind") != kinds[a["kind"]]):
	        print("bad action %r" % f); sys.exit()
	    if a is None and f["rule"] != "not-yet-valid":
	        print("no page action for %r" % f); sys.exit()
	    if f["severity"] not in ("error", "warning", "info"):
	        print("bad severity %r" % f); sys.exit()
	    if not f["message"] or not f["fix"] or "\n" in f["message"] + f["fix"]:
	        print("message and fix must be one non-empty line: %r" % f); sys.exit()
	print("ok")
	EOF
	)
	assert_eq "doctor $*: output has the contract shape" ok "$shape"
}

# count RULE [NODE] [PURPOSE] [SEVERITY]: findings in doc.json that match ("" = any).
count() {
	python3 - doc.json "$@" <<-'EOF'
	import json, sys
	want = (sys.argv[2:] + [""] * 4)[:4]
	keys = ["rule", "node", "purpose", "severity"]
	d = json.load(open(sys.argv[1]))
	print(sum(all(w == "" or f[k] == w for k, w in zip(keys, want)) for f in d["findings"]))
	EOF
}

findings() {
	python3 -c 'import json,sys; print("; ".join("%s %s %s %s" % (f["severity"], f["rule"], f["node"], f["purpose"]) for f in json.load(open(sys.argv[1]))["findings"]) or "none")' doc.json
}

# has WHAT RULE NODE PURPOSE SEVERITY: such a finding is there.
has() {
	local n
	n=$(count "$2" "$3" "$4" "$5")
	if [ "$n" -ge 1 ]; then ok; else fail "$1: no $5 $2 on $3 ${4:-(node)}; findings: $(findings)"; fi
}

# lacks WHAT RULE [NODE] [PURPOSE]: no such finding.
lacks() {
	local n
	n=$(count "$2" "${3:-}" "${4:-}")
	if [ "$n" -eq 0 ]; then ok; else fail "$1: unexpected $2 on ${3:-any node} ${4:-}; findings: $(findings)"; fi
}

# field RULE NODE PURPOSE KEY: that member of the first matching finding.
field() {
	python3 - doc.json "$@" <<-'EOF'
	import json, sys
	rule, node, purpose, key = sys.argv[2:6]
	for f in json.load(open(sys.argv[1]))["findings"]:
	    if f["rule"] == rule and f["node"] == node and f["purpose"] == purpose:
	        print(f[key]); break
	EOF
}

# action RULE NODE PURPOSE: the page's action of the first matching finding, as sorted JSON.
action() {
	python3 - doc.json "$@" <<-'EOF'
	import json, sys
	rule, node, purpose = sys.argv[2:5]
	for f in json.load(open(sys.argv[1]))["findings"]:
	    if f["rule"] == rule and f["node"] == node and f["purpose"] == purpose:
	        print(json.dumps(f["action"], sort_keys=True)); break
	EOF
}

# mkca NAME CN [SIGNER]: a CA certificate NAME.pem, key NAME.key (self-signed, or issued by SIGNER).
mkca() {
	if [ -z "${3:-}" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" -days 3650 \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	else
		openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null |
			openssl x509 -req -CA "$3.pem" -CAkey "$3.key" -copy_extensions copy -days 3650 -out "$1.pem" 2>/dev/null
	fi
}

# leaf KEY SUBJ CA OUT [openssl req/x509 options...]: an end-entity certificate for KEY issued by CA,
# with only the extensions given (-addext ...); other options go to `openssl x509 -req`.
leaf() {
	local key=$1 subj=$2 ca=$3 out=$4 reqopts=() x509opts=()
	shift 4
	while [ $# -gt 0 ]; do
		if [ "$1" == -addext ]; then reqopts+=("$1" "$2"); shift 2; else x509opts+=("$1"); shift; fi
	done
	openssl req -new -key "$key" -subj "$subj" ${reqopts[@]+"${reqopts[@]}"} 2>/dev/null |
		openssl x509 -req -CA "$ca.pem" -CAkey "$ca.key" -copy_extensions copy -days 365 -out "$out" \
			${x509opts[@]+"${x509opts[@]}"} 2>/dev/null
}

# The extensions of a well-formed identity of the tomcat family (RSA).
GOOD=(-addext basicConstraints=critical,CA:FALSE
	-addext keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
	-addext extendedKeyUsage=serverAuth,clientAuth)
IPSEC=(-addext basicConstraints=critical,CA:FALSE
	-addext keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
	-addext extendedKeyUsage=serverAuth,clientAuth,ipsecEndSystem)

rsakey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"${2:-2048}" -out "$1" 2>/dev/null; }
eckey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# upload NODE PURPOSE CERT KEY: cert upload with --key; must succeed.
upload() {
	local rc=0
	cf cert upload --node "$1" --purpose "$2" "$3" --key "$4" >up.out 2>up.err || rc=$?
	assert_eq "upload $3 as $2 on $1 (stderr: $(cat up.err))" 0 "$rc"
}

# self_signed NODE PURPOSE [options...]: cert self-signed; must succeed.
self_signed() {
	local node=$1 purpose=$2 rc=0
	shift 2
	cf cert self-signed --node "$node" --purpose "$purpose" "$@" >ss.out 2>ss.err || rc=$?
	assert_eq "self-signed $purpose on $node (stderr: $(cat ss.err))" 0 "$rc"
}

sql() { store_sql "$1"; }
node_id() { sql "SELECT id FROM nodes WHERE fqdn = '$1'"; }

rsakey k1.key # one RSA key serves every upload but two
rsakey weak.key 1024
eckey ec1.key

# =====================================================================================================
# 1. A fresh default deployment: ucm publisher + subscriber + imp, defaults on.
# =====================================================================================================
PUB=pub.example.com
SUB=sub.example.com
IMPN=imp.example.com
new_store uc
cf node add $PUB --cluster uc --product ucm --publisher >/dev/null 2>&1
cf node add $SUB --cluster uc --product ucm >/dev/null 2>&1
cf node add $IMPN --cluster uc --product imp >/dev/null 2>&1

doctor
assert_eq "fresh deployment: exit 0 (no error)" 0 "$DRC"
assert_eq "fresh deployment: no error finding" 0 "$(count "" "" "" error)"
for n in $PUB $SUB; do
	has "fresh: tomcat/CallManager share a CN" duplicate-selfsigned-cn $n CallManager warning
	has "fresh: tomcat-ECDSA/CallManager-ECDSA share a CN" duplicate-selfsigned-cn $n CallManager-ECDSA warning
done
has "fresh: tomcat/cup-xmpp share a CN" duplicate-selfsigned-cn $IMPN cup-xmpp warning
assert_eq "duplicate-selfsigned-cn: the page's action is a CSR for the second of the pair" \
	"{\"kind\": \"csr\", \"multi_server\": false, \"node\": \"$SUB\", \"purpose\": \"CallManager\"}" \
	"$(action duplicate-selfsigned-cn $SUB CallManager)"
has "fresh: tomcat-ECDSA/cup-xmpp-ECDSA share a CN" duplicate-selfsigned-cn $IMPN cup-xmpp-ECDSA warning
assert_eq "fresh: duplicate-selfsigned-cn is the only rule" "duplicate-selfsigned-cn" \
	"$(python3 -c 'import json; print(" ".join(sorted({f["rule"] for f in json.load(open("doc.json"))["findings"]})))')"
lacks "fresh: no pair across key types" duplicate-selfsigned-cn $PUB tomcat-ECDSA
lacks "fresh: no stale trust yet" stale-selfsigned-trust

# human output: one line per finding `SEVERITY RULE node purpose: message — fix`, then a summary
rc=0
cf doctor >human.out 2>human.err || rc=$?
assert_eq "human output: exit 0" 0 "$rc"
assert_eq "human output: one line per finding plus the summary" $(($(count) + 1)) "$(wc -l <human.out)"
if grep -qE "^WARNING duplicate-selfsigned-cn $PUB CallManager: .*CN \"$PUB\".* — .*certfleet csr generate" human.out; then
	ok
else
	fail "human output: no 'WARNING duplicate-selfsigned-cn $PUB CallManager: ... — fix' line: $(head -3 human.out)"
fi
assert_contains "human output: summary" "$(count) findings: 0 errors, $(count) warnings, 0 info" "$(tail -1 human.out)"

# --node limits the findings to that node; an unknown node is exit 4
doctor --node $SUB
assert_eq "--node $SUB: exit 0" 0 "$DRC"
assert_eq "--node $SUB: every finding is on $SUB" "$(count)" "$(count "" $SUB)"
assert_eq "--node $SUB: its two pairs" 2 "$(count duplicate-selfsigned-cn $SUB)"
rc=0
cf doctor --node nosuch.example.com >out 2>err || rc=$?
assert_eq "--node unknown: exit 4" 4 "$rc"
assert_contains "--node unknown: names the node" "nosuch.example.com" "$(cat err)"
rc=0
cf doctor extra-operand >out 2>err || rc=$?
assert_eq "doctor with an operand: usage, exit 2" 2 "$rc"

# A CA-signed CallManager on the publisher (one CSR, multi-server): the pair is gone there, and the
# self-signed CallManager copies of both nodes in CallManager-trust are now what `trust prune` deletes.
mkca ca "Test Root CA"
cf trust add --node $PUB --store CallManager-trust ca.pem >/dev/null 2>&1
cf csr generate --node $PUB --purpose CallManager --multi-server >/dev/null
cf csr show --node $PUB --purpose CallManager --pem >cm.csr
openssl x509 -req -in cm.csr -CA ca.pem -CAkey ca.key -copy_extensions copy -days 365 -out cm.pem 2>/dev/null
cf cert upload --node $PUB --purpose CallManager cm.pem >/dev/null 2>&1
doctor
assert_eq "after the CA-signed CallManager: exit 0" 0 "$DRC"
lacks "CA-signed CallManager: no tomcat/CallManager pair on $PUB" duplicate-selfsigned-cn $PUB CallManager
lacks "CA-signed CallManager: no tomcat/CallManager pair on $SUB" duplicate-selfsigned-cn $SUB CallManager
has "CA-signed CallManager: the EC pair remains" duplicate-selfsigned-cn $PUB CallManager-ECDSA warning
for n in $PUB $SUB; do
	has "stale copy in CallManager-trust on $n" stale-selfsigned-trust $n CallManager-trust warning
	lacks "tomcat-trust copies are current on $n" stale-selfsigned-trust $n tomcat-trust
	lacks "the CA-signed CallManager chains to CallManager-trust on $n" untrusted-issuer $n CallManager
	lacks "the CA-signed CallManager has its whole chain on $n" chain-incomplete $n CallManager
	lacks "the CA-signed CallManager's issuer is a CA on $n" ca-no-basic-constraints $n CallManager
	lacks "the multi-server CallManager names every node on $n" san-missing-node $n CallManager
done
assert_contains "stale: the message names the peer" "$PUB's CallManager" \
	"$(field stale-selfsigned-trust $PUB CallManager-trust message)"
assert_contains "stale: the fix is trust prune" "certfleet trust prune --node $PUB" \
	"$(field stale-selfsigned-trust $PUB CallManager-trust fix)"
assert_eq "stale: the page's action is prune on that node" "{\"kind\": \"prune\", \"node\": \"$SUB\"}" \
	"$(action stale-selfsigned-trust $SUB CallManager-trust)"
stale=$(count stale-selfsigned-trust)
pruned=$(cf --json trust prune | json 'd["count"]')
assert_eq "stale-selfsigned-trust lists exactly what trust prune deletes" "$stale" "$pruned"
doctor
lacks "after trust prune: nothing stale" stale-selfsigned-trust
# a node joins: the CA-signed multi-server CallManager lacks it; the page's action is a new
# multi-server CSR on the publisher, from the subscriber's finding too
cf node add sub2.example.com --cluster uc --product ucm --no-defaults >/dev/null
doctor
has "a node outside the CA-signed multi-server SAN" san-missing-node $SUB CallManager error
assert_eq "san-missing-node (CA-signed): a multi-server CSR on the publisher" \
	"{\"kind\": \"csr\", \"multi_server\": true, \"node\": \"$PUB\", \"purpose\": \"CallManager\"}" \
	"$(action san-missing-node $SUB CallManager)"

# =====================================================================================================
# 2. One store where each rule has its own node and purpose (nodes without defaults).
# =====================================================================================================
new_store uc
U1=ucm1.example.com
U2=ucm2.example.com
U3=ucm3.example.com
U4=ucm4.example.com
U5=ucm5.example.com
for n in $U1 $U2 $U3 $U4 $U5; do cf node add $n --cluster uc --product ucm --no-defaults >/dev/null; done
mkca ca "Test Root CA"
for s in tomcat-trust CallManager-trust ipsec-trust; do
	cf trust add --node $U1 --store $s ca.pem >/dev/null 2>&1 # from the publisher: on every node
done
doctor
assert_eq "empty nodes: no findings" 0 "$(count)"
assert_eq "empty nodes: exit 0" 0 "$DRC"

# ---- time: expired, not-yet-valid, expiring, date-2050 (self-signed on ucm2) ----------------------
CERTFLEET_NOW=$((NOW - 400 * DAY)) self_signed $U2 CallManager --days 30
CERTFLEET_NOW=$((NOW + 10 * DAY)) self_signed $U2 TVS
self_signed $U2 ipsec --days 10
self_signed $U2 authz --days 10000
self_signed $U2 tomcat
# ---- CA-signed uploads on ucm1: wildcard, SHA-1, weak key, unsupported OID -------------------------
leaf k1.key "/CN=$U1" ca u1-tomcat.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U1,DNS:*.example.com"
upload $U1 tomcat u1-tomcat.pem k1.key
leaf k1.key "/CN=$U1" ca u1-cm.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U1" -sha1
upload $U1 CallManager u1-cm.pem k1.key
leaf weak.key "/CN=$U1" ca u1-tvs.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U1"
upload $U1 TVS u1-tvs.pem weak.key
leaf k1.key "/CN=$U1/unstructuredName=lab 4" ca u1-ipsec.pem "${IPSEC[@]}" -addext "subjectAltName=DNS:$U1"
upload $U1 ipsec u1-ipsec.pem k1.key
# ---- ucm3: key usage, no CN, CN not an FQDN ---------------------------------------------------------
leaf k1.key "/CN=$U3" ca u3-tomcat.pem -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,keyEncipherment -addext extendedKeyUsage=serverAuth,clientAuth \
	-addext "subjectAltName=DNS:$U3"
upload $U3 tomcat u3-tomcat.pem k1.key
leaf k1.key "/CN=$U3" ca u3-cm.pem -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment \
	-addext extendedKeyUsage=serverAuth -addext "subjectAltName=DNS:$U3"
upload $U3 CallManager u3-cm.pem k1.key
# no CN, and neither key usage extension: no restriction, so nothing is missing
leaf k1.key "/O=Example Corp/OU=Voice" ca u3-tvs.pem -addext "subjectAltName=DNS:$U3"
upload $U3 TVS u3-tvs.pem k1.key
leaf k1.key "/CN=ucm3" ca u3-ipsec.pem "${IPSEC[@]}" -addext "subjectAltName=DNS:$U3"
upload $U3 ipsec u3-ipsec.pem k1.key
# ---- ucm4: SAN not an FQDN, chains --------------------------------------------------------------
leaf k1.key "/CN=$U4" ca u4-tomcat.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U4,DNS:voice_gw.example.com"
upload $U4 tomcat u4-tomcat.pem k1.key
# chain-incomplete: issued by an intermediate whose root is nowhere; the intermediate is trusted
# on ucm4 only (a subscriber's trust add stays local), then deleted
mkca orphanroot "Orphan Root CA"
mkca inter "Orphan Intermediate CA" orphanroot
cf trust add --node $U4 --store CallManager-trust inter.pem >/dev/null 2>&1
leaf k1.key "/CN=$U4" inter u4-cm.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U4"
upload $U4 CallManager u4-cm.pem k1.key
# untrusted-issuer: issued by a root in ipsec-trust and tomcat-trust of ucm4, later deleted from
# ipsec-trust only: the chain still completes (through tomcat-trust), to a root ipsec does not trust
mkca r2 "Second Root CA"
cf trust add --node $U4 --store ipsec-trust r2.pem >/dev/null 2>&1
cf trust add --node $U4 --store tomcat-trust r2.pem >/dev/null 2>&1
leaf k1.key "/CN=$U4" r2 u4-ipsec.pem "${IPSEC[@]}" -addext "subjectAltName=DNS:$U4"
upload $U4 ipsec u4-ipsec.pem k1.key
# ca-no-basic-constraints in a chain: a legacy root without basicConstraints (OpenSSL accepts it as a
# trust anchor, and tomcat-trust takes it as a self-signed certificate); TVS validates against all stores
cat >legacy.cnf <<-'EOF'
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = Legacy Root CA
[ext]
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout legacy.key -out legacy.pem -days 3650 -config legacy.cnf 2>/dev/null
cf trust add --node $U4 --store tomcat-trust legacy.pem >/dev/null 2>&1
leaf k1.key "/CN=$U4" legacy u4-tvs.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U4"
upload $U4 TVS u4-tvs.pem k1.key
# CAs in a trust store that trust add only warned of: a 1024-bit key, valid past 2050, an
# unsupported subject attribute (CAPF-trust of ucm4: no identity of the tests chains through it)
openssl req -x509 -newkey rsa:1024 -nodes -keyout weakca.key -out weakca.pem -subj "/CN=Weak Key CA" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout longca.key -out longca.pem -subj "/CN=Long Lived CA" -days 13000 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout oidca.key -out oidca.pem \
	-subj "/CN=Odd Name CA/unstructuredName=lab" -days 3650 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
for ca in weakca longca oidca; do
	cf trust add --node $U4 --store CAPF-trust $ca.pem >/dev/null 2>&1
done
# ---- ucm5: self-signed identities the store will damage --------------------------------------------
self_signed $U5 tomcat
self_signed $U5 CallManager
self_signed $U5 tomcat-ECDSA
# ---- a pending CSR 40 days old on ucm1, a fresh one on ucm2 ----------------------------------------
CERTFLEET_NOW=$((NOW - 40 * DAY)) cf csr generate --node $U1 --purpose CAPF >/dev/null
cf csr generate --node $U2 --purpose CallManager-ECDSA >/dev/null

# ---- another cluster: a multi-server certificate, then a node joins --------------------------------
cf cluster add ms >/dev/null
M1=ms1.example.com
M2=ms2.example.com
M3=ms3.example.com
cf node add $M1 --cluster ms --product ucm --no-defaults >/dev/null
cf node add $M2 --cluster ms --product ucm --no-defaults >/dev/null
self_signed $M1 CallManager --multi-server
# ---- IM and Presence with federation wildcards, Meeting Server with a wildcard -----------------------
cf cluster add im >/dev/null
cf cluster set im presence-domains example.com >/dev/null
cf cluster set im xmpp-federation-wildcards on >/dev/null
IM1=imp1.example.com
cf node add $IM1 --cluster im --product imp --no-defaults >/dev/null
self_signed $IM1 cup-xmpp-s2s
self_signed $IM1 cup
self_signed $IM1 tomcat
cf cluster add meet >/dev/null
CMS=cms1.example.com
cf node add $CMS --cluster meet --product cms --no-defaults >/dev/null
cf trust add --node $CMS --store cms-trust ca.pem >/dev/null 2>&1
leaf k1.key "/CN=$CMS" ca cms-shared.pem -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,keyEncipherment -addext extendedKeyUsage=serverAuth,clientAuth \
	-addext "subjectAltName=DNS:$CMS,DNS:*.meet.example.com"
upload $CMS shared cms-shared.pem k1.key
self_signed $CMS dbclient
# ---- Expressway-E: self-signed, private CA, public CA; Expressway-C -----------------------------------
cf cluster add edge >/dev/null
EXPE=expe.example.com
EXPE2=expe2.example.com
EXPC=expc.example.com
cf node add $EXPE --cluster edge --product expressway-e --no-defaults >/dev/null
cf cluster add edge2 >/dev/null
cf node add $EXPE2 --cluster edge2 --product expressway-e --no-defaults >/dev/null
cf cluster add edgec >/dev/null
cf node add $EXPC --cluster edgec --product expressway-c --no-defaults >/dev/null
mkca pubca "Public Trust Root CA"
cp pubca.pem public-roots.pem
cf trust add --node $EXPE --store trusted-ca ca.pem >/dev/null 2>&1
cf trust add --node $EXPE --store trusted-ca pubca.pem >/dev/null 2>&1
self_signed $EXPE server
SERVER=(-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature,keyEncipherment
	-addext extendedKeyUsage=serverAuth,clientAuth)
leaf ec1.key "/CN=$EXPE" pubca expe-ec.pem -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,keyAgreement -addext extendedKeyUsage=serverAuth,clientAuth \
	-addext "subjectAltName=DNS:$EXPE"
upload $EXPE server-ECDSA expe-ec.pem ec1.key
cf trust add --node $EXPE2 --store trusted-ca ca.pem >/dev/null 2>&1
leaf k1.key "/CN=$EXPE2" ca expe2.pem "${SERVER[@]}" -addext "subjectAltName=DNS:$EXPE2"
upload $EXPE2 server expe2.pem k1.key
self_signed $EXPC server

doctor
assert_eq "rules store: exit 7 (errors)" 7 "$DRC"

# expired / not-yet-valid / expiring / date-2050
has "expired identity" expired $U2 CallManager error
assert_contains "expired: the fix for a self-signed identity" "certfleet cert self-signed --node $U2 --purpose CallManager" \
	"$(field expired $U2 CallManager fix)"
has "expired self-signed copy in a trust store" expired $U2 CallManager-trust warning
has "expired copy on the peers too" expired $U1 CallManager-trust warning
lacks "valid identity is not expired" expired $U2 tomcat
lacks "valid trust certificates are not expired" expired $U1 tomcat-trust
lacks "an expired certificate is not also expiring" expiring $U2 CallManager
has "not yet valid" not-yet-valid $U2 TVS warning
lacks "valid now" not-yet-valid $U2 tomcat
has "expiring in 10 days" expiring $U2 ipsec warning
lacks "5 years left: not expiring" expiring $U2 tomcat
has "valid past 2050" date-2050 $U2 authz warning
lacks "5 years: before 2050" date-2050 $U2 tomcat
# uploads on ucm1
has "wildcard SAN on tomcat" wildcard-unsupported $U1 tomcat warning
lacks "no wildcard" wildcard-unsupported $U1 CallManager
lacks "a wildcard is not judged as an FQDN" san-not-fqdn $U1 tomcat
has "SHA-1 signature" sha1 $U1 CallManager warning
lacks "SHA-256 signature" sha1 $U1 tomcat
has "1024-bit RSA" weak-key $U1 TVS warning
lacks "2048-bit RSA" weak-key $U1 tomcat
has "subject attribute unstructuredName" unsupported-oid $U1 ipsec warning
# the same rules for the CAs of a trust store
has "1024-bit CA in CAPF-trust" weak-key $U4 CAPF-trust warning
assert_contains "weak-key names the CA" "1024 bits" "$(field weak-key $U4 CAPF-trust message)"
has "CA valid past 2050 in CAPF-trust" date-2050 $U4 CAPF-trust warning
has "CA with unstructuredName in CAPF-trust" unsupported-oid $U4 CAPF-trust warning
WEAK_ID=$(cf --json cert list --node $U4 --store CAPF-trust | json '[c["id"] for c in d["items"] if c["cn"] == "Weak Key CA"][0]')
assert_eq "weak-key CA: the page's action deletes it by the id cert list shows" \
	"{\"id\": $WEAK_ID, \"kind\": \"trust-delete\", \"node\": \"$U4\", \"store\": \"CAPF-trust\"}" \
	"$(action weak-key $U4 CAPF-trust)"
assert_eq "date-2050 CA: the page's action adds a replacement to the store" \
	"{\"kind\": \"trust-add\", \"node\": \"$U4\", \"store\": \"CAPF-trust\"}" "$(action date-2050 $U4 CAPF-trust)"
assert_eq "each trust rule once on CAPF-trust (one CA each)" "1 1 1" \
	"$(count weak-key $U4 CAPF-trust) $(count date-2050 $U4 CAPF-trust) $(count unsupported-oid $U4 CAPF-trust)"
lacks "2048-bit CAs are not weak" weak-key $U4 tomcat-trust
assert_contains "unsupported-oid names the OID" "1.2.840.113549.1.9.2" "$(field unsupported-oid $U1 ipsec message)"
lacks "CN only" unsupported-oid $U1 tomcat
has "old pending CSR" pending-csr-old $U1 CAPF warning
assert_eq "pending-csr-old: the page's action discards it" "{\"kind\": \"csr-discard\", \"node\": \"$U1\", \"purpose\": \"CAPF\"}" \
	"$(action pending-csr-old $U1 CAPF)"
assert_eq "not-yet-valid self-signed: the page's action makes a new one" \
	"{\"kind\": \"self-signed\", \"multi_server\": false, \"node\": \"$U2\", \"purpose\": \"TVS\"}" "$(action not-yet-valid $U2 TVS)"
assert_eq "sha1 on a CA-signed identity: the page's action is a CSR" \
	"{\"kind\": \"csr\", \"multi_server\": false, \"node\": \"$U1\", \"purpose\": \"CallManager\"}" "$(action sha1 $U1 CallManager)"
lacks "fresh pending CSR" pending-csr-old $U2 CallManager-ECDSA
# ucm3
has "key usage without dataEncipherment" ku-missing $U3 tomcat warning
assert_contains "ku-missing names the bit" "dataEncipherment" "$(field ku-missing $U3 tomcat message)"
lacks "full key usage" ku-missing $U3 CallManager
has "EKU without clientAuth" eku-missing $U3 CallManager warning
assert_contains "eku-missing names the usage" "clientAuth" "$(field eku-missing $U3 CallManager message)"
lacks "full EKU" eku-missing $U3 tomcat
lacks "no key usage extension: no restriction" ku-missing $U3 TVS
lacks "no EKU extension: no restriction" eku-missing $U3 TVS
has "no CN" no-cn $U3 TVS warning
lacks "has a CN" no-cn $U3 tomcat
has "single-label CN" cn-not-fqdn $U3 ipsec warning
lacks "CN is the FQDN" cn-not-fqdn $U3 tomcat
lacks "no CN: nothing to judge" cn-not-fqdn $U3 TVS
# ucm4
has "SAN with an underscore" san-not-fqdn $U4 tomcat warning
assert_contains "san-not-fqdn names the entry" "voice_gw.example.com" "$(field san-not-fqdn $U4 tomcat message)"
lacks "SAN of FQDNs" san-not-fqdn $U3 tomcat
lacks "intermediate trusted: chain complete (before the delete)" chain-incomplete $U4 CallManager
lacks "root trusted (before the delete)" untrusted-issuer $U4 ipsec
has "issuer without basicConstraints in the chain" ca-no-basic-constraints $U4 TVS error
assert_contains "ca-no-basic-constraints names the issuer" "Legacy Root CA" \
	"$(field ca-no-basic-constraints $U4 TVS message)"
assert_contains "ca-no-basic-constraints fix names a store of the node" "--store tomcat-trust," \
	"$(field ca-no-basic-constraints $U4 TVS fix)"
lacks "a legacy root is still a complete, trusted chain" untrusted-issuer $U4 TVS
lacks "issuers with CA:TRUE" ca-no-basic-constraints $U4 tomcat
lacks "a self-signed legacy root in tomcat-trust is a peer's self-signed certificate" ca-no-basic-constraints $U4 tomcat-trust
# ucm5 (intact so far)
lacks "keys match" mismatched-key $U5
lacks "key types match" key-type-mismatch $U5
# multi-server, before a node joins
lacks "multi-server certificate names both nodes" san-missing-node $M1 CallManager
lacks "multi-server certificate names both nodes (subscriber)" san-missing-node $M2 CallManager
# IM and Presence, Meeting Server
lacks "*.D federation entries on cup-xmpp-s2s" wildcard-unsupported $IM1 cup-xmpp-s2s
lacks "*.D federation entries are allowed in the SAN" san-not-fqdn $IM1 cup-xmpp-s2s
lacks "wildcards are fine on cms" wildcard-unsupported $CMS shared
lacks "dbclient's fixed CN postgres" cn-not-fqdn $CMS dbclient
lacks "cms SAN wildcard is not an FQDN problem" san-not-fqdn $CMS shared
lacks "self-signed tomcat and cup on imp are not an edge pair" duplicate-selfsigned-cn $IM1
# Expressway
has "Expressway-E self-signed" expressway-e-private-ca $EXPE server info
lacks "Expressway-E from a public CA" expressway-e-private-ca $EXPE server-ECDSA
lacks "EC key usage digitalSignature + keyAgreement is complete" ku-missing $EXPE server-ECDSA
has "Expressway-E from a private CA" expressway-e-private-ca $EXPE2 server info
assert_contains "private CA named" "Test Root CA" "$(field expressway-e-private-ca $EXPE2 server message)"
lacks "Expressway-C may use a private CA" expressway-e-private-ca $EXPC
# crl-expired and revoked need revocation data certfleet does not hold yet
lacks "crl-expired reports nothing yet" crl-expired
lacks "revoked reports nothing yet" revoked

# --node: only that node; the exit code follows that node's findings
doctor --node $U2
assert_eq "--node $U2 (an expired identity): exit 7" 7 "$DRC"
assert_eq "--node $U2: every finding is on it" "$(count)" "$(count "" $U2)"
has "--node $U2: expired" expired $U2 CallManager error
doctor --node $EXPE
assert_eq "--node $EXPE (info only): exit 0" 0 "$DRC"
has "--node $EXPE: info finding" expressway-e-private-ca $EXPE server info
assert_eq "--node $EXPE: nothing from other nodes" "$(count)" "$(count "" $EXPE)"

# the system bundle does not hold our "public" root: then server-ECDSA is private too
DRC=0
CERTFLEET_CA_BUNDLE= cf --json doctor --node $EXPE >doc.json 2>/dev/null || DRC=$?
has "without our root in the bundle, server-ECDSA is private" expressway-e-private-ca $EXPE server-ECDSA info

# ---- changes that break things --------------------------------------------------------------------
# chain-incomplete: the intermediate leaves CallManager-trust on ucm4 (the stored chain keeps the
# intermediate, not its root); untrusted-issuer: the root leaves ipsec-trust on ucm4
id=$(cf --json cert list --node $U4 --store CallManager-trust | json '[i["id"] for i in d["items"] if "Orphan" in i["subject"]][0]')
cf trust delete --node $U4 --store CallManager-trust --id "$id" >/dev/null
id=$(cf --json cert list --node $U4 --store ipsec-trust | json '[i["id"] for i in d["items"] if "Second" in i["subject"]][0]')
cf trust delete --node $U4 --store ipsec-trust --id "$id" >/dev/null
# san-missing-node: a third node joins the cluster of the multi-server certificate
cf node add $M3 --cluster ms --product ucm --no-defaults >/dev/null
# wildcard-unsupported: federation wildcards turned off, the *.D entries stay
cf cluster set im xmpp-federation-wildcards off >/dev/null
# mismatched-key: ucm5's CallManager row gets tomcat's key
U5ID=$(node_id $U5)
sql "UPDATE certificates SET key_pem = (SELECT key_pem FROM certificates WHERE node_id = $U5ID AND kind = 1
     AND name = 'tomcat') WHERE node_id = $U5ID AND kind = 1 AND name = 'CallManager'"
# key-type-mismatch: ucm5's EC tomcat-ECDSA identity filed as TVS
sql "UPDATE certificates SET name = 'TVS' WHERE node_id = $U5ID AND kind = 1 AND name = 'tomcat-ECDSA'"
# ca-no-basic-constraints in a trust store: ucm3's CA-signed tomcat leaf copied into its tomcat-trust
U3ID=$(node_id $U3)
COLS="sha256, spki_sha256, subject, issuer, cn, serial, not_before, not_after, key_type, key_bits, curve,
 sig_hash, self_signed, ca, has_bc, has_ku, ku, has_eku, eku, eku_other, san, ocsp, crl_dp, unsupported_oids"
sql "INSERT INTO certificates (node_id, kind, name, der, $COLS, distribution, source, description, chain_pem,
     key_pem, warnings, created) SELECT node_id, 2, 'tomcat-trust', der, $COLS, 'single-server', 'upload',
     'placed by hand', '', NULL, '[]', created FROM certificates WHERE node_id = $U3ID AND kind = 1
     AND name = 'tomcat'"
# cn-not-fqdn / san-not-fqdn on an Expressway: ucm3's ipsec (CN ucm3) and ucm4's tomcat (SAN with an
# underscore) moved to Expressway-C nodes as their server identities
cf node add expc2.example.com --cluster edgec --product expressway-c --no-defaults >/dev/null
sql "DELETE FROM certificates WHERE node_id = $(node_id $EXPC) AND kind = 1 AND name = 'server'"
sql "UPDATE certificates SET node_id = $(node_id $EXPC), name = 'server' WHERE node_id = $U3ID AND kind = 1
     AND name = 'ipsec'"
sql "UPDATE certificates SET node_id = $(node_id expc2.example.com), name = 'server' WHERE
     node_id = $(node_id $U4) AND kind = 1 AND name = 'tomcat'"

doctor
assert_eq "after the damage: exit 7" 7 "$DRC"
has "intermediate gone: chain incomplete" chain-incomplete $U4 CallManager error
assert_contains "chain-incomplete names the missing issuer" "Orphan Root CA" "$(field chain-incomplete $U4 CallManager message)"
assert_contains "chain-incomplete fix names the store" "--store CallManager-trust" "$(field chain-incomplete $U4 CallManager fix)"
lacks "incomplete is not also untrusted" untrusted-issuer $U4 CallManager
lacks "complete chains elsewhere" chain-incomplete $U1 CallManager
has "root gone from ipsec-trust: untrusted issuer" untrusted-issuer $U4 ipsec error
assert_contains "untrusted-issuer names root and store" "Second Root CA\", which is not in ipsec-trust" \
	"$(field untrusted-issuer $U4 ipsec message)"
lacks "the root was there: not incomplete" chain-incomplete $U4 ipsec
lacks "trusted chains elsewhere" untrusted-issuer $U3 ipsec
has "a node outside the multi-server SAN" san-missing-node $M1 CallManager error
has "a node outside the multi-server SAN (subscriber copy)" san-missing-node $M2 CallManager error
assert_contains "san-missing-node names the node" "$M3" "$(field san-missing-node $M1 CallManager message)"
assert_contains "san-missing-node fix: multi-server on the publisher" "--node $M1 --purpose CallManager --multi-server" \
	"$(field san-missing-node $M2 CallManager fix)"
assert_eq "san-missing-node (self-signed): a new multi-server self-signed on the publisher" \
	"{\"kind\": \"self-signed\", \"multi_server\": true, \"node\": \"$M1\", \"purpose\": \"CallManager\"}" \
	"$(action san-missing-node $M2 CallManager)"
assert_eq "chain-incomplete: the page's action adds a CA to the purpose's store" \
	"{\"kind\": \"trust-add\", \"node\": \"$U4\", \"store\": \"CallManager-trust\"}" "$(action chain-incomplete $U4 CallManager)"
has "wildcards off: *.D is a wildcard identity" wildcard-unsupported $IM1 cup-xmpp-s2s warning
lacks "no wildcard in cup" wildcard-unsupported $IM1 cup
has "key does not match" mismatched-key $U5 CallManager error
lacks "the key that was copied still matches its own certificate" mismatched-key $U5 tomcat
has "EC certificate filed as TVS" key-type-mismatch $U5 TVS error
lacks "RSA tomcat" key-type-mismatch $U5 tomcat
has "end-entity certificate in tomcat-trust" ca-no-basic-constraints $U3 tomcat-trust error
lacks "CA certificates in tomcat-trust elsewhere" ca-no-basic-constraints $U1 tomcat-trust
has "Expressway CN not an FQDN: an error" cn-not-fqdn $EXPC server error
has "Expressway SAN not an FQDN: an error" san-not-fqdn expc2.example.com server error
lacks "the moved certificate left ucm3" cn-not-fqdn $U3 ipsec

# the root leaves tomcat-trust too: now it is nowhere (stored chains leave the root out), so an
# issuer is missing; restoring it to ipsec-trust ends both
id=$(cf --json cert list --node $U4 --store tomcat-trust | json '[i["id"] for i in d["items"] if "Second" in i["subject"]][0]')
cf trust delete --node $U4 --store tomcat-trust --id "$id" >/dev/null
doctor --node $U4
has "root gone from every store: chain incomplete" chain-incomplete $U4 ipsec error
assert_contains "chain-incomplete names the root" "Second Root CA" "$(field chain-incomplete $U4 ipsec message)"
assert_contains "chain-incomplete says the anchor it was installed against is gone" "no longer" \
	"$(field chain-incomplete $U4 ipsec message)"
lacks "an incomplete chain is not reported as untrusted too" untrusted-issuer $U4 ipsec
cf trust add --node $U4 --store ipsec-trust r2.pem >/dev/null 2>&1
doctor --node $U4
lacks "root back in ipsec-trust: trusted" untrusted-issuer $U4 ipsec
lacks "root back in ipsec-trust: complete" chain-incomplete $U4 ipsec

# ---- trust-store-full: trusted-ca at its limit (warning) and over it (error) ----------------------
cf cluster add edgef >/dev/null
EXPF=expf.example.com
cf node add $EXPF --cluster edgef --product expressway-c --no-defaults >/dev/null
cf trust add --node $EXPF --store trusted-ca ca.pem >/dev/null 2>&1
doctor --node $EXPF
lacks "one CA in trusted-ca" trust-store-full $EXPF
# copies of the CA row under 999 made-up fingerprints: trust add refuses the 1001st, so a list over
# the limit only comes from outside certfleet (a migrated or hand-edited store); each engine spells
# "i as 64 hex digits" its own way
FID=$(node_id $EXPF)
if [ "$(store_engine)" = sqlite ]; then HEX64="printf('%064x', n.i)"; else HEX64="lpad(to_hex(n.i), 64, '0')"; fi
fill() {
	sql "WITH RECURSIVE n(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
	     INSERT INTO certificates (node_id, kind, name, der, $COLS, distribution, source, description, chain_pem,
	     key_pem, warnings, created) SELECT c.node_id, 2, 'trusted-ca', c.der, $HEX64, c.spki_sha256,
	     c.subject, c.issuer, c.cn, c.serial, c.not_before, c.not_after, c.key_type, c.key_bits, c.curve, c.sig_hash,
	     c.self_signed, c.ca, c.has_bc, c.has_ku, c.ku, c.has_eku, c.eku, c.eku_other, c.san, c.ocsp, c.crl_dp,
	     c.unsupported_oids, 'single-server', 'upload', '', '', NULL, '[]', c.created FROM n,
	     (SELECT * FROM certificates WHERE node_id = $FID AND kind = 2 LIMIT 1) c"
}
fill 1 998
doctor --node $EXPF
lacks "999 CAs in trusted-ca" trust-store-full $EXPF
fill 999 999
doctor --node $EXPF
has "1000 CAs: full" trust-store-full $EXPF trusted-ca warning
assert_eq "a full list is not an error: exit 0" 0 "$DRC"
rc=0
cf trust add --node $EXPF --store trusted-ca pubca.pem >out 2>err || rc=$?
assert_eq "(trust add refuses the 1001st CA)" 3 "$rc"
fill 1000 1000
doctor --node $EXPF
has "1001 CAs: over the limit" trust-store-full $EXPF trusted-ca error
assert_eq "trust-store-full: the page's action lists the store" "{\"kind\": \"trust-list\", \"node\": \"$EXPF\", \"store\": \"trusted-ca\"}" \
	"$(action trust-store-full $EXPF trusted-ca)"
assert_eq "over the limit: exit 7" 7 "$DRC"

# ---- large-key-8192 (an 8192-bit key made of five primes: seconds, not a minute) -------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:8192 -pkeyopt rsa_keygen_primes:5 -out big.key 2>/dev/null
leaf big.key "/CN=$U2" ca u2-big.pem "${GOOD[@]}" -addext "subjectAltName=DNS:$U2"
upload $U2 tomcat u2-big.pem big.key
doctor --node $U2
has "8192-bit RSA" large-key-8192 $U2 tomcat warning
lacks "2048-bit RSA" large-key-8192 $U2 ipsec
lacks "8192 bits is not weak" weak-key $U2 tomcat

# crl-expired and revoked never appeared in any output
if grep -qE '"rule":"(crl-expired|revoked)"' all.json; then fail "crl-expired/revoked reported"; else ok; fi

finish
