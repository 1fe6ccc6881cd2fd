#!/usr/bin/env bash
# The local CA (SPEC §9) with the openssl command as the oracle: a root and an intermediate made
# and imported, their chain verified; certificates issued from openssl's CSRs under each profile
# (a purpose's KU/EKU, lsc, CAPF with CA:TRUE pathlen:0 keyCertSign, copy) with the CRL DP and
# OCSP AIA under the base URL and notBefore an hour back; refusals that change nothing; a batch
# of thousands with unique serials, all verifying, all or nothing; revocation with the CRL made
# again (openssl crl -verify, verify -crl_check, the reasons), read by certfleet's own CRL
# check; csr sign installing through the upload's checks; the ca-crl duty on certfleetd's job
# runner; the audit rows; no key in any output.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1
new_store
ca_count() { cf --json ca list | json 'len(d["items"])'; }
issued() { cf --json ca list | json "[c['issued'] for c in d['items'] if c['name'] == '$1'][0]"; }

# ---- a hierarchy ---------------------------------------------------------------------------------
must "ca create: a root" ca create root --key rsa:2048 --subject "/C=JP/O=Example/CN=Example Root CA"
assert_contains "...described" "CA root (root)" "$OUT"
must "ca create: an intermediate" ca create issuing --parent root --key rsa:2048 --subject "/O=Example/CN=Example Issuing CA"
cf ca show root --pem >root.pem
cf ca show issuing --pem >issuing.pem
cat issuing.pem root.pem >chain.pem
assert_eq "openssl verifies the intermediate against the root" "issuing.pem: OK" \
	"$(openssl verify -CAfile root.pem issuing.pem 2>&1)"
TEXT=$(openssl x509 -in issuing.pem -noout -text)
assert_contains "the intermediate: CA:TRUE, pathlen:0 by default" "CA:TRUE, pathlen:0" "$TEXT"
assert_contains "...keyCertSign and cRLSign" "Certificate Sign, CRL Sign" "$TEXT"
assert_eq "the root's subject as given" "subject=C = JP, O = Example, CN = Example Root CA" \
	"$(openssl x509 -in root.pem -noout -subject)"
assert_eq "ca list --json: two CAs, the intermediate under the root" "root" \
	"$(cf --json ca list | json "[c['parent'] for c in d['items'] if c['name'] == 'issuing'][0]")"
assert_eq "...the root issued the intermediate" 1 "$(issued root)"

# refusals change nothing
cfx ca create sub --parent issuing --key rsa:2048
expect_rc "a CA under a pathlen:0 CA" 3
assert_contains "...says why" "allows no CA below it" "$ERR"
cfx ca create x --parent nosuch
expect_rc "an unknown parent" 4
cfx ca create root --key rsa:2048
expect_rc "a name taken" 5
cfx ca create 'bad name' --key rsa:2048
expect_rc "a bad name" 3
cfx ca create y --key rsa:1024
expect_rc "a weak key" 3
cfx ca create y --subject "/O=No CN"
expect_rc "a subject without CN" 3
assert_eq "...no CA added by any refusal" 2 "$(ca_count)"

# ---- settings ----------------------------------------------------------------------------------------
cfx ca config issuing --base-url "ftp://x"
expect_rc "a base URL that is not http" 3
cfx ca config issuing --crl-validity 2h --crl-interval 3h
expect_rc "an interval longer than the CRL's validity" 3
cfx ca config issuing --crl-validity 72q
expect_rc "a period it cannot read" 2
must "ca config" --json ca config issuing --base-url "http://127.0.0.1:8080" --crl-validity 48h --crl-interval 12h
assert_eq "...the settings and URLs" "172800 43200 http://127.0.0.1:8080/crl/issuing.crl http://127.0.0.1:8080/ocsp/issuing" \
	"$(echo "$OUT" | json "' '.join(str(d[k]) for k in ('crl_validity', 'crl_interval', 'crl_url', 'ocsp_url'))")"

# ---- issuing under each profile ------------------------------------------------------------------
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -subj "/CN=cucm1.example.com" \
	-addext "subjectAltName=DNS:cucm1.example.com,DNS:cucm2.example.com" -addext "certificatePolicies=1.2.3.4" \
	-out leaf.csr 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -subj "/CN=ec.example.com" \
	-out ec.csr 2>/dev/null
NOW=$(date +%s)
must "ca issue --profile tomcat" ca issue --ca issuing --profile tomcat leaf.csr
echo "$OUT" >tomcat.pem
assert_eq "openssl verifies it up to the root" "tomcat.pem: OK" \
	"$(openssl verify -CAfile root.pem -untrusted issuing.pem tomcat.pem 2>&1)"
TEXT=$(openssl x509 -in tomcat.pem -noout -text)
assert_contains "tomcat: serverAuth and clientAuth" "TLS Web Server Authentication, TLS Web Client Authentication" "$TEXT"
assert_contains "...digitalSignature, keyEncipherment" "Digital Signature, Key Encipherment" "$TEXT"
assert_contains "...CA:FALSE" "CA:FALSE" "$TEXT"
assert_contains "...the request's SAN" "DNS:cucm1.example.com, DNS:cucm2.example.com" "$TEXT"
assert_contains "...the CRL DP under the base URL" "URI:http://127.0.0.1:8080/crl/issuing.crl" "$TEXT"
assert_contains "...the OCSP AIA" "OCSP - URI:http://127.0.0.1:8080/ocsp/issuing" "$TEXT"
assert_eq "...no certificatePolicies (not copied under a profile)" "" "$(echo "$TEXT" | grep -o 'Policy: 1.2.3.4' || true)"
NB=$(date -d "$(openssl x509 -in tomcat.pem -noout -startdate | cut -d= -f2)" +%s)
assert_eq "...notBefore an hour back" 1 "$(( NB >= NOW - 3600 - 5 && NB <= NOW - 3600 + 60 ? 1 : 0 ))"
SER=$(openssl x509 -in tomcat.pem -noout -serial | cut -d= -f2)
assert_eq "...a serial of 16 octets" 32 "${#SER}"

must "ca issue --profile copy" ca issue --ca issuing --profile copy leaf.csr
TEXT=$(echo "$OUT" | openssl x509 -noout -text)
assert_contains "copy: the request's certificatePolicies" "Policy: 1.2.3.4" "$TEXT"
must "ca issue --profile lsc" ca issue --ca issuing --profile lsc leaf.csr
assert_contains "lsc: serverAuth, clientAuth, IPSec End System" \
	"TLS Web Server Authentication, TLS Web Client Authentication, IPSec End System" "$(echo "$OUT" | openssl x509 -noout -text)"
must "ca issue --profile CAPF" ca issue --ca root --profile CAPF leaf.csr
TEXT=$(echo "$OUT" | openssl x509 -noout -text)
assert_contains "CAPF: CA:TRUE, pathlen:0" "CA:TRUE, pathlen:0" "$TEXT"
assert_contains "...keyCertSign" "Certificate Sign" "$TEXT"
must "ca issue --profile CallManager-ECDSA from an EC request" ca issue --ca issuing --profile CallManager-ECDSA ec.csr
assert_contains "...keyAgreement for an EC key" "Key Agreement" "$(echo "$OUT" | openssl x509 -noout -text)"
must "ca issue --json" --json ca issue --ca issuing --profile tomcat --days 30 leaf.csr
SER30=$(echo "$OUT" | json 'd["serial"]')
NA=$(date -d "$(echo "$OUT" | json 'd["pem"]' | openssl x509 -noout -enddate | cut -d= -f2)" +%s)
assert_eq "--days 30" 1 "$(( NA >= NOW + 30 * 86400 - 60 && NA <= NOW + 30 * 86400 + 60 ? 1 : 0 ))"

BEFORE=$(issued issuing)
cfx ca issue --ca issuing --profile tomcat ec.csr
expect_rc "tomcat from an EC request" 3
assert_contains "...says why" "needs an RSA key" "$ERR"
openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -subj "/CN=weak" -out weak.csr 2>/dev/null
cfx ca issue --ca issuing weak.csr
expect_rc "a 1024-bit key" 3
python3 - <<'PY'
import base64
pem = open("leaf.csr").read().split("\n")
body = "".join(l for l in pem if l and not l.startswith("-----"))
der = bytearray(base64.b64decode(body))
der[-5] ^= 0x01  # a bit of the signature
open("tampered.csr", "wb").write(bytes(der))
PY
cfx ca issue --ca issuing tampered.csr
expect_rc "a request whose signature does not verify" 3
assert_contains "...says so" "signature does not verify" "$ERR"
cfx ca issue --ca issuing --profile nosuch leaf.csr
expect_rc "an unknown profile" 3
cfx ca issue --ca issuing --profile ITLRecovery leaf.csr
expect_rc "a self-signed-only purpose" 3
cfx ca issue --ca nosuch leaf.csr
expect_rc "an unknown CA" 4
echo garbage >garbage.csr
cfx ca issue --ca issuing garbage.csr
expect_rc "garbage" 3
assert_eq "...nothing issued by any refusal" "$BEFORE" "$(issued issuing)"

# ---- a batch -------------------------------------------------------------------------------------
N=2000
mkdir in out bad badout
openssl req -in leaf.csr -outform DER -out leaf.der
for i in $(seq 1 $N); do
	case $((i % 3)) in
	0) ln leaf.csr "in/r$i.csr" ;;
	1) ln leaf.der "in/r$i.der" ;;
	2) ln leaf.csr "in/r$i.pem" ;;
	esac
done
BEFORE=$(issued issuing)
must "ca issue --batch" --json ca issue --ca issuing --profile tomcat --batch in --out out
assert_eq "...all issued" "$N" "$(echo "$OUT" | json 'd["issued"]')"
assert_eq "...one file each" "$N" "$(ls out | grep -c '\.pem$')"
assert_eq "...recorded" "$((BEFORE + N))" "$(issued issuing)"
cat out/*.pem >all.pem
assert_eq "openssl verifies every one" "$N" \
	"$(openssl verify -CAfile root.pem -untrusted issuing.pem out/*.pem 2>&1 | grep -c ': OK$')"
openssl storeutl -noout -text -certs all.pem 2>/dev/null | grep -A1 'Serial Number:' | grep -v 'Serial Number:' |
	grep -v '^--' | tr -d ' ' >serials.txt
assert_eq "...every serial read" "$N" "$(wc -l <serials.txt)"
assert_eq "...every serial distinct" "$N" "$(sort -u serials.txt | wc -l)"
cp in/r3.csr bad/r1.csr && cp in/r1.der bad/r2.der && echo "not a request" >bad/r3.csr
BEFORE=$(issued issuing)
cfx ca issue --ca issuing --batch bad --out badout
expect_rc "a batch with a bad request" 3
assert_contains "...naming its file" "r3.csr" "$ERR"
assert_eq "...nothing issued" "$BEFORE" "$(issued issuing)"
assert_eq "...nothing written" 0 "$(ls badout | wc -l)"
cfx ca issue --ca issuing --batch in
expect_rc "--batch without --out" 2

# ---- revocation and the CRL ------------------------------------------------------------------------
must "ca crl" ca crl --ca issuing --out crl0.der
assert_eq "openssl verifies the first CRL" "verify OK" \
	"$(openssl crl -inform DER -in crl0.der -CAfile chain.pem -noout -verify 2>&1)"
N0=$(openssl crl -inform DER -in crl0.der -noout -crlnumber | cut -d= -f2)
must "ca revoke --reason keyCompromise" ca revoke --ca issuing --serial "$SER" --reason keyCompromise
must "ca revoke (reason unspecified), the serial typed with colons" ca revoke --ca issuing \
	--serial "$(echo "$SER30" | sed 's/../&:/g; s/:$//' | tr a-f A-F)"
cfx ca revoke --ca issuing --serial "$SER"
expect_rc "revoked twice" 5
cfx ca revoke --ca issuing --serial 0123456789
expect_rc "a serial it never issued" 4
cfx ca revoke --ca issuing --serial "$SER30" --reason certificateHold
expect_rc "certificateHold (a revocation here is final)" 3
cf ca crl --ca issuing >crl.der
assert_eq "the CRL verifies" "verify OK" "$(openssl crl -inform DER -in crl.der -CAfile chain.pem -noout -verify 2>&1)"
CRLTEXT=$(openssl crl -inform DER -in crl.der -noout -text)
assert_contains "...lists the revoked serial" "Serial Number: $SER" "$CRLTEXT"
assert_contains "...with its reason" "Key Compromise" "$CRLTEXT"
assert_contains "...and the other" "Serial Number: $(echo "$SER30" | tr a-f A-F)" "$CRLTEXT"
assert_eq "...two entries" 2 "$(echo "$CRLTEXT" | grep -c 'Serial Number:')"
assert_eq "ca show --json: the counts" "2" "$(cf --json ca show issuing | json 'd["revoked"]')"
N1=$(openssl crl -inform DER -in crl.der -noout -crlnumber | cut -d= -f2)
assert_eq "...a higher CRL number" 1 "$(( N1 > N0 ? 1 : 0 ))"
openssl crl -inform DER -in crl.der -out crl.pem
cfx --json ca list
assert_eq "ca list: the revoked count" 2 "$(echo "$OUT" | json "[c['revoked'] for c in d['items'] if c['name'] == 'issuing'][0]")"
V=$(openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem tomcat.pem 2>&1 || true)
assert_contains "openssl verify -crl_check: revoked" "certificate revoked" "$V"
assert_eq "...and another leaf passes" "out/r1.pem: OK" \
	"$(openssl verify -crl_check -CAfile chain.pem -CRLfile crl.pem out/r1.pem 2>&1)"

# ---- csr sign ------------------------------------------------------------------------------------
NODE=cucm1.example.com
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
cfx csr sign --node $NODE --purpose tomcat --ca issuing
expect_rc "csr sign without a pending CSR" 5
cf csr generate --node $NODE --purpose tomcat >/dev/null
BEFORE=$(issued issuing)
must "csr sign" --json csr sign --node $NODE --purpose tomcat --ca issuing
assert_eq "...recorded with the CA" "$((BEFORE + 1))" "$(issued issuing)"
cf --json cert show --node $NODE --purpose tomcat >shown.json
assert_eq "the identity: issued by the intermediate, source local-ca" "CN=Example Issuing CA,O=Example local-ca" \
	"$(json 'd["issuer"] + " " + d["source"]' <shown.json)"
cf cert show --node $NODE --purpose tomcat --pem >installed.pem
assert_eq "...openssl verifies it" "installed.pem: OK" \
	"$(openssl verify -CAfile root.pem -untrusted issuing.pem installed.pem 2>&1)"
assert_eq "...the chain in tomcat-trust" 2 "$(cf --json cert list --node $NODE --store tomcat-trust |
	json "len([c for c in d['items'] if c['subject'] in ('CN=Example Root CA,O=Example,C=JP', 'CN=Example Issuing CA,O=Example')])")"
cfx csr show --node $NODE --purpose tomcat
expect_rc "...the CSR consumed" 5

# certfleet's own CRL check reads the local CA's CRL
must "crl add: the local CA's CRL, checked against its issuer in the trust stores" crl add crl.pem
cfx validate tomcat.pem --node $NODE --store tomcat-trust --revocation
expect_rc "certfleet's validate finds the revoked certificate on that CRL" 7
cfx validate out/r1.pem --node $NODE --store tomcat-trust --revocation
expect_rc "...and passes another" 0

# ---- import --------------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ext.key -out ext.pem -days 365 \
	-subj "/CN=External CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out notca.pem -days 365 \
	-subj "/CN=Not a CA" -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null
cfx ca import ext --cert ext.pem --key other.key
expect_rc "import with a key that does not match" 3
cfx ca import notca --cert notca.pem --key other.key
expect_rc "import of a certificate that is not a CA" 3
must "ca import" ca import ext --cert ext.pem --key ext.key
must "...it issues" ca issue --ca ext --profile CallManager-ECDSA ec.csr
echo "$OUT" >ext-leaf.pem
assert_eq "...openssl verifies what it issued" "ext-leaf.pem: OK" "$(openssl verify -CAfile ext.pem ext-leaf.pem 2>&1)"

# ---- the CAs' own certificates in the certificate list -------------------------------------------------
must "cert list --json" --json cert list
assert_eq "the three CAs, after the stored certificates, negative ids, no node" "ext:True issuing:True root:True" \
	"$(echo "$OUT" | json "' '.join(sorted(x['local_ca'] + ':' + str(x['id'] < 0 and x['node'] == '' and x['source'] == 'local-ca') for x in d['items'] if 'local_ca' in x))")"
must "cert list --begins-with (a CA's CN)" --json cert list --begins-with "example iss"
assert_eq "...selects the intermediate (after its copy in tomcat-trust)" "tomcat-trust issuing" \
	"$(echo "$OUT" | json "' '.join(x.get('local_ca', x.get('store', '-')) for x in d['items'])")"
must "cert list --node" --json cert list --node $NODE
assert_eq "...a node's list holds no CA" 0 "$(echo "$OUT" | json "len([x for x in d['items'] if 'local_ca' in x])")"
must "cert list (text)" cert list
assert_contains "...a local-ca line" "local-ca issuing" "$OUT"

# ---- the ca-crl duty -------------------------------------------------------------------------------
NUM=$(cf --json ca list | json "[c['crl_number'] for c in d['items'] if c['name'] == 'issuing'][0]")
LATER=$(date -u -d "@$(( $(date +%s) + 13 * 3600 ))" +%Y-%m-%dT%H:%M:%SZ)
PW_ADMIN='Adm1n-local-ca-test-5c1f'
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
CERTFLEET_NOW=$LATER start_certfleetd
for _ in $(seq 1 200); do
	[ "$(cf --json ca list | json "[c['crl_number'] for c in d['items'] if c['name'] == 'issuing'][0]")" -gt "$NUM" ] && break
	sleep 0.1
done
assert_eq "certfleetd's ca-crl duty makes the CRL again after its interval (12 h)" 1 \
	"$(( $(cf --json ca list | json "[c['crl_number'] for c in d['items'] if c['name'] == 'issuing'][0]") > NUM ? 1 : 0 ))"
assert_contains "...and says so in its log" "ca: issuing: CRL" "$(cat "$T/daemon.err")"
# the API's certificate list pages through the stored certificates, then the CAs
CTJ='Content-Type: application/json'
curl -sk -c jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" >/dev/null
STORED=$(cf --json cert list | json "len([x for x in d['items'] if 'local_ca' not in x])")
PAGE=$(curl -sk -b jar "$BASE/certificates?limit=$((STORED + 2))")
assert_eq "GET /certificates: the total counts the CAs" "$((STORED + 3))" "$(echo "$PAGE" | json 'd["total"]')"
assert_eq "...a page reaching past the stored ones holds the first CAs" "ext issuing" \
	"$(echo "$PAGE" | json "' '.join(x['local_ca'] for x in d['items'] if 'local_ca' in x)")"
assert_eq "...the next page the last CA" "root" \
	"$(curl -sk -b jar "$BASE/certificates?limit=$((STORED + 2))&offset=$((STORED + 2))" | json "' '.join(x.get('local_ca', '-') for x in d['items'])")"
assert_eq "...?node= holds none" 0 \
	"$(curl -sk -b jar "$BASE/certificates?node=$NODE" | json "len([x for x in d['items'] if 'local_ca' in x])")"
# certfleetd keeps the CAs' rows until the store changes: a CA made by another process shows at once
cf ca create zz-late --subject "/CN=Late Root" --key ec:prime256v1 --days 9000 >/dev/null
assert_eq "...a CA made meanwhile by the CLI is listed on the next page" "ext issuing root zz-late" \
	"$(curl -sk -b jar "$BASE/certificates?limit=1000" | json "' '.join(x['local_ca'] for x in d['items'] if 'local_ca' in x)")"
stop_certfleetd
assert_no_sanitizer_report "the CRL duty"

# ---- the doctor: 80 % of a CA's, a CRL's and an OCSP responder's validity ----------------------------
finding() { json "' '.join(sorted(f['severity'] + ':' + f['purpose'] for f in d['findings'] if f['rule'] == '$1'))"; }
cf --json doctor >doc0.json || true
assert_eq "doctor today: no local CA finding" "" "$(json "' '.join(f['rule'] for f in d['findings'] if f['rule'].startswith('ca-'))" <doc0.json)"
must "a delegated OCSP responder (30 days)" ca config issuing --ocsp-responder delegated
at() { date -u -d "@$(( $(date +%s) + $1 ))" +%Y-%m-%dT%H:%M:%SZ; }
CERTFLEET_NOW=$(at $((26 * 86400))) cf --json doctor >doc1.json || true
assert_eq "at +26 days: the responder past 80 %, the CRLs (48 h and 72 h) expired" \
	"warning:issuing" "$(finding ca-ocsp-responder-expiring <doc1.json)"
assert_eq "...the CRLs expired: errors" "error:ext error:issuing error:root" "$(finding ca-crl-stale <doc1.json)"
assert_eq "...no CA certificate near its end" "" "$(finding ca-expiring <doc1.json)"
CERTFLEET_NOW=$(at $((3000 * 86400))) cf --json doctor >doc2.json || true
assert_eq "at +3000 days: the root past 80 %, the intermediate and the imported CA expired" \
	"error:ext error:issuing warning:root" "$(finding ca-expiring <doc2.json)"

# ---- the expiry monitor watches the CAs' own certificates ---------------------------------------------
cfx --json monitor run --now "$(at $((1826 * 86400)))"
expect_rc "monitor run five years on" 0
assert_eq "...the intermediate (5 years) and the imported CA are due, the root (10 years) is not" \
	"ext issuing" "$(echo "$OUT" | json "' '.join(sorted(x['local_ca'] for x in d['due'] if 'local_ca' in x))")"
assert_eq "...belonging to no node, saying what breaks" "None True" \
	"$(echo "$OUT" | json "[(x['node'], 'every certificate this local CA issued' in x['breaks']) for x in d['due'] if x.get('local_ca') == 'issuing'][0]" | tr -d "(),'")"
assert_contains "...its log line" "monitor: (local CA) issuing \"CN=Example Issuing CA,O=Example\" expires" "$ERR"

# ---- the audit log, and no key anywhere ---------------------------------------------------------
AUDIT=$(cf --json audit --limit 200 | json "' '.join(sorted(set(r['action'] for r in d['items'] if r['action'].startswith(('ca ', 'csr sign')))))")
assert_eq "the changes are audited" "ca config ca create ca import ca issue ca revoke csr sign" "$AUDIT"
assert_eq "no private key in any output" "" "$(grep -l 'PRIVATE KEY' "$T"/log/* 2>/dev/null || true)"
finish
