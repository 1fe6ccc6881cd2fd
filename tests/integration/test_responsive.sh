#!/usr/bin/env bash
# certfleetd's loop stays responsive while network work waits: an OCSP responder and a CRL
# distribution point that accept connections and never answer (starttls_stub.py silent, on
# loopback). While "Check now" (POST /revocation/check), "Update now" (POST /crls/update) and two
# trust fetches from the same server wait on them — every one of certfleetd's four change workers
# busy — GET /session and the certificate list (on the reader pool) answer, each within curl's 2 s
# limit (they answer in milliseconds; the limit only catches a read that waits behind the network,
# 10 s or 60 s here), and the waiting requests are still open. Then each ends at its timeout with a
# clear error: the OCSP pass counts the certificate as an error that says it timed out, the
# distribution point's item is not ok and says so, the fetches answer 504; and both changes are
# audited once (a fetch without import is not a change).
. "$(dirname "$0")/lib.sh"
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$T" || exit 1
CTJ='Content-Type: application/json'

# ---- a trust store whose issuing CA can be asked (its root beside it), OCSP on, a CRL DP ----------
N=ucm1.example.com
new_store
cf node add $N --cluster cl1 --product ucm --publisher --no-defaults >/dev/null
must "the identity certfleetd serves" cert self-signed --node $N --purpose tomcat
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
	-subj "/CN=Responsive Root" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr \
	-subj "/CN=Responsive Issuing" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 20 \
	-extfile int.ext 2>/dev/null
cat root.pem int.pem >bundle.pem
must "the CAs into tomcat-trust" trust add --node $N --store tomcat-trust bundle.pem

P_SILENT=$(free_port)
python3 "$HERE/starttls_stub.py" silent "$P_SILENT" root.pem root.key >silent.log 2>&1 &
SERVERS+=($!)
wait_ready silent.log READY $!
must "OCSP on, asking the silent responder" revocation config --ocsp on --ocsp-uri "http://127.0.0.1:$P_SILENT/" \
	--timeout 10
must "a distribution point on the silent server" crl dp add "http://127.0.0.1:$P_SILENT/issuing.crl"
PW_ADMIN='responsive-admin-Pw-81b0'
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null

start_certfleetd --node $N
CSRF=$(curl -sk -c jar -H "$CTJ" -d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
AUDIT0=$(cf --json audit --limit 1 | json 'd["total"]')

# ---- the two waiting requests -----------------------------------------------------------------------
post() { # post NAME PATH: the status into NAME.code once answered, the body into NAME.body
	curl -sk -b jar -H "X-CSRF-Token: $CSRF" -X POST -o "$1.body" -w '%{http_code}' --max-time 120 "$BASE$2" \
		>"$1.part"
	mv "$1.part" "$1.code"
}
post check /revocation/check &
CHECK=$!
post update /crls/update &
UPDATE=$!
# two trust fetches from the silent server besides: every one of the four change workers waits,
# so the reads below are answered only because they have a pool of their own
fetch() { # fetch NAME: POST /trust/fetch of the silent server's chain, answered into NAME.code/.body
	curl -sk -b jar -H "X-CSRF-Token: $CSRF" -H "$CTJ" -d "{\"host\":\"127.0.0.1\",\"port\":$P_SILENT}" \
		-o "$1.body" -w '%{http_code}' --max-time 120 "$BASE/trust/fetch" >"$1.part"
	mv "$1.part" "$1.code"
}
fetch fetch1 &
FETCH1=$!
fetch fetch2 &
FETCH2=$!
all_waiting() { [ "$(grep -c accepted silent.log)" -ge 4 ]; }
for _ in $(seq 1 200); do all_waiting && break; sleep 0.1; done
all_waiting && ok || fail "the responder, the distribution point and two fetches were not all waiting: $(cat silent.log)"

# ---- meanwhile, the loop answers ---------------------------------------------------------------------
for i in 1 2 3; do
	code=$(curl -sk -b jar -o session.json -w '%{http_code}' --max-time 2 "$BASE/session" || true)
	assert_eq "GET /session $i while the network work waits" 200 "$code"
	code=$(curl -sk -b jar -o certs.json -w '%{http_code}' --max-time 2 "$BASE/certificates?node=$N" || true)
	assert_eq "the certificate list $i while the network work waits" 200 "$code"
done
assert_contains "the certificate list holds the trust store" "Responsive Issuing" "$(json '[i["cn"] for i in d["items"]]' <certs.json)"
[ ! -e check.code ] && [ ! -e update.code ] && [ ! -e fetch1.code ] && [ ! -e fetch2.code ] && ok ||
	fail "a waiting request was answered before its timeout: check $(cat check.code 2>/dev/null), update $(cat update.code 2>/dev/null), fetches $(cat fetch1.code fetch2.code 2>/dev/null)"

# ---- each ends at its timeout with a clear error -------------------------------------------------------
wait "$CHECK" "$UPDATE" "$FETCH1" "$FETCH2"
for f in fetch1 fetch2; do
	assert_eq "$f: the peer that never answers, 504" 504 "$(cat $f.code)"
	assert_contains "$f: says it timed out" "timed out" "$(cat $f.body)"
done
assert_eq "Check now answered" 200 "$(cat check.code)"
assert_eq "the issuing CA counted as an error" 1 "$(json 'd["errors"]' <check.body)"
assert_contains "the OCSP error says it timed out" "timed out" \
	"$(json '[i["message"] for i in d["items"] if i["cn"] == "Responsive Issuing"][0]' <check.body)"
assert_eq "Update now answered" 200 "$(cat update.code)"
assert_eq "the distribution point failed" False "$(json 'd["items"][0]["ok"]' <update.body)"
assert_contains "the download error says it timed out" "timed out" "$(json 'd["items"][0]["message"]' <update.body)"
assert_eq "both changes audited once" "$((AUDIT0 + 2))" "$(cf --json audit --limit 1 | json 'd["total"]')"
assert_eq "as what they were" "crl update revocation check" \
	"$(cf --json audit --limit 2 | json '" ".join(sorted(r["action"] for r in d["items"]))')"
stop_certfleetd
assert_no_sanitizer_report "certfleetd"
finish
