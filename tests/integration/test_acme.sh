#!/usr/bin/env bash
# ACME against Debian's pebble on loopback (tests/acme/pebble.sh; SPEC §7, §11.4): accounts made,
# listed, refused (no terms agreed, an http directory, a taken name, a CA whose TLS is not
# trusted: nothing kept), rolled over (pebble then takes orders signed with the new key only);
# an order for the pending CSR (made when there is none) answered over HTTP-01 by the command's
# own responder and staged, checked with openssl (the chain verifies against pebble's roots, the
# leaf carries the CSR's key and the node's name) while the deployed identity stays as it was; a
# challenge that fails (no responder) recorded, "stuck" after three failures in a row, and an
# order that succeeds afterwards resetting them; the CA down (an order fails in one line), then back
# with its state reset (the account registered again with its key, the order goes through);
# badNonce on half the requests retried; an external account binding (refused without one, with a
# wrong key; kept with the CA's); an Expressway domain certificate ordered and deployed; the served
# check after a deploy (certfleetd's address: it reloads and serves the new certificate; an s_server
# that keeps the old one: exit 6, "served-mismatch" in the ACME state, the check in `acme show`/`acme
# list`, the doctor's finding); the audit rows; no private key in any output.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1
# shellcheck disable=SC1091
. "$SRCDIR/tests/acme/acme_lib.sh"
NODE=ucm1.example.test


# no_secret WHAT FILE...: no private key in the files.
no_secret() {
	local what=$1
	shift
	if grep -q "PRIVATE KEY" "$@"; then fail "$what: a private key in the output"; else ok; fi
}

new_store
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
start_pebble pb
DIR1=$ACME_DIRECTORY CA1=$ACME_CA_FILE HTTP1=127.0.0.1:$ACME_HTTP_PORT
"$PEBBLE" roots "$T/pb" "$T/roots.pem" >/dev/null

# ---- accounts -----------------------------------------------------------------------------------
cfx acme account add le --directory "$DIR1" --email admin@example.test --ca-file "$CA1"
expect_rc "an account without --agree-tos" 2
cfx acme account add le --directory "http://127.0.0.1:1/dir" --agree-tos --ca-file "$CA1"
expect_rc "an http directory" 3
assert_contains "the http directory named" "https://" "$ERR"
cfx acme account add le --directory "$DIR1" --agree-tos --email admin@example.test
expect_rc "a directory whose TLS is not trusted (no --ca-file)" 6
cfx --json acme account list
assert_eq "nothing kept after the refusals" "$(json 'len(d["items"])' <"$LAST")" 0
must "account add" --json acme account add le --directory "$DIR1" --email admin@example.test --agree-tos --ca-file "$CA1"
KID=$(json 'd["kid"]' <"$LAST")
assert_contains "the account URL is pebble's" "${DIR1%/dir}/my-account/" "$KID"
no_secret "account add" "$LAST"
cfx acme account add le --directory "$DIR1" --agree-tos --ca-file "$CA1"
expect_rc "a taken account name" 5
must "account list" --json acme account list
assert_eq "one account, its email" "$(json '[(i["name"], i["email"], i["kid"]) for i in d["items"]]' <"$LAST")" \
	"[[\"le\", \"admin@example.test\", \"$KID\"]]"
no_secret "account list" "$LAST"

# ---- an order staged ----------------------------------------------------------------------------
BEFORE=$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')
cfx acme order --node $NODE --purpose tomcat --account nobody --http-listen "$HTTP1"
expect_rc "an unknown account" 4
must "order" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
assert_eq "staged" "$(json 'd["state"] + " " + d["last_sign"]["status"] + " " + str(d["failures"])' <"$LAST")" "staged ok 0"
json 'd["staged"]["pem"]' <"$LAST" >leaf.pem
json 'd["staged"]["chain_pem"]' <"$LAST" >chain.pem
no_secret "order" "$LAST"
if openssl verify -CAfile roots.pem -untrusted chain.pem leaf.pem >/dev/null 2>&1; then ok; else fail "the staged chain does not verify against pebble's roots"; fi
assert_contains "the leaf names the node" "DNS:$NODE" "$(openssl x509 -in leaf.pem -noout -ext subjectAltName)"
cf csr show --node $NODE --purpose tomcat --pem >csr.pem
assert_eq "the leaf carries the pending CSR's key" "$(openssl x509 -in leaf.pem -noout -pubkey)" \
	"$(openssl req -in csr.pem -noout -pubkey)"
assert_eq "the deployed identity is untouched" "$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')" "$BEFORE"
SERIAL=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
assert_contains "pebble issued it" '"Status": "Valid"' "$("$PEBBLE" status "$T/pb" "$SERIAL")"
must "acme list" --json acme list
assert_eq "acme list" "$(json '[(i["node"], i["purpose"], i["account"], i["state"]) for i in d["items"]]' <"$LAST")" \
	"[[\"$NODE\", \"tomcat\", \"le\", \"staged\"]]"

# ---- a challenge that fails, three times: stuck; then an order that succeeds -------------------
for n in 1 2 3; do
	cfx acme order --node $NODE --purpose tomcat --account le
	expect_rc "order $n without a responder" 6
	assert_contains "order $n: the validation failed" "could not validate" "$ERR"
	assert_eq "order $n: one line" "$(printf '%s\n' "$ERR" | grep -c '^certfleet:')" 1
done
must "show after three failures" --json acme show --node $NODE --purpose tomcat
assert_eq "stuck after three failures" "$(json 'd["state"] + " " + str(d["failures"]) + " " + d["last_sign"]["status"]' <"$LAST")" "stuck 3 failed"
assert_contains "the failure kept" "could not validate" "$(json 'd["last_sign"]["error"]' <"$LAST")"
assert_eq "the staged certificate is kept through the failures" "$(json 'd["staged"]["sha256"]' <"$LAST")" \
	"$(openssl x509 -in leaf.pem -outform DER | sha256sum | cut -d' ' -f1)"
cfx --json doctor --node $NODE
expect_rc "the doctor finds the stuck identity" 7
assert_eq "doctor: acme-stuck on tomcat, an error" "error tomcat" \
	"$(json '" ".join([(f["severity"] + " " + f["purpose"]) for f in d["findings"] if f["rule"] == "acme-stuck"])' <"$LAST")"
must "order after being stuck" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
assert_eq "staged again, failures reset" "$(json 'd["state"] + " " + str(d["failures"])' <"$LAST")" "staged 0"
cf --json doctor --node $NODE >doctor.json || true
assert_eq "doctor: no acme-stuck once an order succeeded" 0 "$(json 'len([f for f in d["findings"] if f["rule"] == "acme-stuck"])' <doctor.json)"

# ---- rollover: pebble takes the new key only -------------------------------------------------------
must "rollover" --json acme account rollover le
assert_eq "rollover: the account URL stays" "$(cf --json acme account list | json 'd["items"][0]["kid"]')" "$KID"
must "order signed with the new key" acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"

# ---- the CA down, then back (with its state reset, as pebble's is): used again without help ----------
"$PEBBLE" pause "$T/pb"
cfx acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
expect_rc "an order while the CA is down" 6
assert_eq "the CA down: one line" "$(printf '%s\n' "$ERR" | grep -c .)" 1
assert_eq "the CA down: a failure" "failed 1" "$(cf --json acme show --node $NODE --purpose tomcat | json 'd["last_sign"]["status"] + " " + str(d["failures"])')"
"$PEBBLE" resume "$T/pb" >/dev/null
must "an order once the CA is back" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
assert_eq "the CA back: staged, failures reset" "$(json 'd["state"] + " " + str(d["failures"])' <"$LAST")" "staged 0"
NEWKID=$(cf --json acme account list | json 'd["items"][0]["kid"]')
if [ "$NEWKID" != "$KID" ] && [[ $NEWKID == "${DIR1%/dir}/my-account/"* ]]; then ok; else fail "the account's new URL kept: $NEWKID"; fi

# ---- certfleetd answers HTTP-01 from the store ---------------------------------------------------------
start_certfleetd --acme-http "$HTTP1"
must "an order answered by certfleetd --acme-http" --json acme order --node $NODE --purpose tomcat --account le
assert_eq "staged through certfleetd's responder" "staged" "$(json 'd["state"]' <"$LAST")"
curl -sk "$ORIGIN/metrics" >metrics.txt
assert_eq "/metrics: the ACME state, failures and next try (parsed by the Prometheus client)" \
	"staged=1 stuck=0 failures=0 next_try=0" "$(python3 - metrics.txt "$NODE" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
got = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.labels.get("node") == sys.argv[2] and s.labels.get("purpose") == "tomcat":
            got[(s.name, s.labels.get("state"))] = int(s.value)
print("staged=%d stuck=%d failures=%d next_try=%d" % (got[("certfleet_acme_state", "staged")],
      got[("certfleet_acme_state", "stuck")], got[("certfleet_acme_failures", None)],
      got[("certfleet_acme_next_try_seconds", None)]))
PY
)"
assert_contains "certfleetd says where it answers" "answering ACME HTTP-01 challenges from the store on http://$HTTP1/" \
	"$(cat "$T/daemon.err")"

# ---- deploy: the chain into tomcat-trust, the upload rules, the identity replaced; a client ----------
# ---- holding a TLS connection to certfleetd keeps it, new connections get the new certificate ---------
STAGED=$(cf --json acme show --node $NODE --purpose tomcat | json 'd["staged"]["sha256"]')
served() { openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | openssl x509 -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
OLD=$(served)
python3 - "$PORT" "$T/held" <<'PY' >held.out 2>&1 &
import hashlib, os, socket, ssl, sys, time
port, base = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
sha = hashlib.sha256(conn.getpeercert(binary_form=True)).hexdigest()
open(base + ".ready", "w").close()
for _ in range(300):
    if os.path.exists(base + ".go"):
        break
    time.sleep(0.05)
conn.sendall(b"GET /app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
print(sha, conn.recv(64).split(b"\r\n")[0].decode())
PY
HOLDER=$!
for _ in $(seq 1 100); do [ -e held.ready ] && break; sleep 0.05; done
# the tomcat target names certfleetd's address: the deploy checks what it serves there
must "the tomcat target: served by certfleetd" deploy-target set --node $NODE --purpose tomcat --cert "$T/tomcat.pem" \
	--serves "127.0.0.1:$PORT"
must "deploy" --json acme deploy --node $NODE --purpose tomcat
cp "$LAST" deploy.json
assert_eq "the served check: certfleetd reloaded, it serves the deployed certificate" "127.0.0.1:$PORT $STAGED $STAGED True" \
	"$(json '" ".join(str(d["served"][0][k]) for k in ("address", "sha256", "stored_sha256", "matches"))' <deploy.json)"
NOW=""
for _ in $(seq 1 100); do NOW=$(served); [ "$NOW" == "$STAGED" ] && break; sleep 0.1; done
assert_eq "new connections get the deployed certificate" "$STAGED" "$NOW"
touch held.go
wait $HOLDER || true
assert_eq "the held connection: the old certificate, still answered" "$OLD HTTP/1.1 200 OK" "$(cat held.out)"
stop_certfleetd # the orders below answer HTTP-01 themselves, on the same port
LAST=deploy.json
assert_eq "deploy: the staged certificate" "$STAGED" "$(json 'd["sha256"]' <"$LAST")"
assert_eq "deploy: pebble's intermediate added to tomcat-trust" 1 "$(json 'd["chain_added"]' <"$LAST")"
assert_eq "deploy: the identity is the staged certificate" "$STAGED" \
	"$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')"
assert_contains "deploy: the intermediate in tomcat-trust" "Pebble Intermediate CA" \
	"$(cf cert list --node $NODE --store tomcat-trust)"
must "show after deploy" --json acme show --node $NODE --purpose tomcat
assert_eq "deployed, nothing staged" "deployed None ok" \
	"$(json 'd["state"] + " " + str(d["staged"]) + " " + d["last_deploy"]["status"]' <"$LAST")"
assert_eq "show: the served check kept" "127.0.0.1:$PORT $STAGED True None" \
	"$(json '" ".join(str(d["served"][k]) for k in ("address", "sha256", "matches", "error"))' <"$LAST")"
must "the tomcat target's address cleared (certfleetd is gone)" deploy-target set --node $NODE --purpose tomcat --serves ""
assert_eq "...and its last check forgotten" "None" "$(cf --json acme show --node $NODE --purpose tomcat | json 'str(d["served"])')"
cfx acme deploy --node $NODE --purpose tomcat
expect_rc "a deploy with nothing staged" 5
assert_contains "nothing staged: said" "no ACME certificate is staged" "$ERR"

# ---- revoke: pebble's management API says what it did -----------------------------------------------
status() { "$PEBBLE" status "$T/pb" "$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)" | json 'd["Status"] + " " + str(d.get("Reason"))'; }
cf cert show --node $NODE --purpose tomcat --pem >deployed.pem
cfx acme revoke --node $NODE --purpose tomcat
expect_rc "revoking the deployed certificate without --force" 5
assert_contains "in use: said" "in use on $NODE" "$ERR"
cfx acme revoke --node $NODE --purpose tomcat --reason stolen
expect_rc "a reason that is none" 3
must "an order to revoke" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
json 'd["staged"]["pem"]' <"$LAST" >staged1.pem
must "revoke the staged certificate" acme revoke --node $NODE --purpose tomcat --reason superseded
assert_eq "pebble: revoked, superseded" "Revoked 4" "$(status staged1.pem)"
assert_eq "the revoked staged certificate dropped" "deployed None" \
	"$(cf --json acme show --node $NODE --purpose tomcat | json 'd["state"] + " " + str(d["staged"])')"
must "another order" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
json 'd["staged"]["pem"]' <"$LAST" >staged2.pem
must "revoke with the certificate's own key" acme revoke --node $NODE --purpose tomcat --cert-key --reason keyCompromise
assert_eq "pebble: revoked, key compromise" "Revoked 1" "$(status staged2.pem)"
must "revoke the deployed certificate with --force" acme revoke --node $NODE --purpose tomcat --force \
	--reason cessationOfOperation
assert_eq "pebble: the deployed one revoked" "Revoked 5" "$(status deployed.pem)"
must "a third order" --json acme order --node $NODE --purpose tomcat --account le --http-listen "$HTTP1"
json 'd["staged"]["pem"]' <"$LAST" >staged3.pem
cfx acme revoke --cert staged3.pem
expect_rc "a file without --account" 2
must "revoke a certificate file" acme revoke --cert staged3.pem --account le
assert_eq "pebble: revoked, unspecified" "Revoked 0" "$(status staged3.pem)"

# ---- an Expressway domain certificate (SNI, one per domain): ordered and deployed like a server's --------
EXP=exp1.example.test
cf cluster add edge >/dev/null
cf node add $EXP --cluster edge --product expressway-e --publisher >/dev/null
cfx acme order --node $EXP --purpose domain:bad..example.test --account le --http-listen "$HTTP1"
expect_rc "a domain that is no FQDN" 3
must "order a domain certificate" --json acme order --node $EXP --purpose domain:tenant1.example.test --account le \
	--http-listen "$HTTP1"
json 'd["staged"]["pem"]' <"$LAST" >domain.pem
assert_eq "the domain certificate names the domain only" "DNS:tenant1.example.test" \
	"$(openssl x509 -in domain.pem -noout -ext subjectAltName | tail -n 1 | tr -d ' ')"
must "deploy the domain certificate" acme deploy --node $EXP --purpose domain:tenant1.example.test
assert_eq "the domain certificate is the identity" "$(openssl x509 -in domain.pem -outform DER | sha256sum | cut -d' ' -f1)" \
	"$(cf --json cert show --node $EXP --purpose domain:tenant1.example.test | json 'd["sha256"]')"
assert_eq "the server certificate untouched" "self-signed" \
	"$(cf --json cert show --node $EXP --purpose server | json '"self-signed" if d["self_signed"] else "signed"')"

# ---- the audit log: one row a change, the refusals with their reason ---------------------------------
cf audit --limit 100 >audit.txt
for action in "acme account add \[le\] ok" "acme account rollover \[le\] ok" "acme account register \[le\] ok"; do
	assert_eq "one audit row: $action" 1 "$(grep -c "$action" audit.txt)"
done
assert_eq "an audit row per revocation" 4 "$(grep -c "acme revoke \[.*\] ok" audit.txt)"
assert_eq "an audit row per order staged" 8 "$(grep -c "acme order \[$NODE tomcat\] ok" audit.txt)"
assert_eq "one audit row per deploy" 1 "$(grep -c "acme deploy \[$NODE tomcat\] ok" audit.txt)"
assert_eq "an audit row per order refused (the unknown account too)" 5 "$(grep -c "acme order \[$NODE tomcat\] .*: " audit.txt)"

# ---- badNonce on half the requests -------------------------------------------------------------------
start_pebble pb50 --nonce-reject 50
must "account add with badNonce at 50 %" acme account add le50 --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE"
for n in 1 2 3; do
	must "order $n with badNonce at 50 %" acme order --node $NODE --purpose tomcat --account le50 \
		--http-listen "127.0.0.1:$ACME_HTTP_PORT"
done

# ---- external account binding (a CA that requires one) -----------------------------------------------
start_pebble pbe --eab
cfx acme account add eab --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE"
expect_rc "a CA that requires a binding, none given" 3
assert_contains "the binding asked for" "requires an external account binding" "$ERR"
cfx acme account add eab --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE" --eab-kid "$ACME_EAB_KID"
expect_rc "--eab-kid without --eab-hmac-file" 2
printf 'bm90LXRoZS1rZXktb2YtdGhpcy1jYQ\n' >wrong.hmac
cfx acme account add eab --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE" \
	--eab-kid "$ACME_EAB_KID" --eab-hmac-file wrong.hmac
expect_rc "a binding signed with the wrong key" 6
must "an account bound to the CA's key id" --json acme account add eab --directory "$ACME_DIRECTORY" --agree-tos \
	--ca-file "$ACME_CA_FILE" --eab-kid "$ACME_EAB_KID" --eab-hmac-file "$ACME_EAB_HMAC_FILE"
assert_eq "the binding's key id kept" "$ACME_EAB_KID" "$(json 'd["eab_kid"]' <"$LAST")"
if grep -q "$(cat "$ACME_EAB_HMAC_FILE")" "$T/log/"*; then fail "the MAC key in an output"; else ok; fi

# ---- profiles and the purpose's usage bits, with the ACME stub (pebble has no profiles) -------------
cfx acme order --node $NODE --purpose tomcat --account le50 --profile shortlived --profile-required \
	--http-listen "127.0.0.1:$ACME_HTTP_PORT"
expect_rc "a required profile the CA lacks" 3
assert_contains "the profile named" "offers no such profile (it offers none)" "$ERR"
mkdir stub
"$SRCDIR/tests/acme/acme_stub.py" --dir "$T/stub" >stub/log 2>&1 &
SERVERS+=($!)
for _ in $(seq 1 100); do [ -s stub/env ] && break; sleep 0.1; done
# shellcheck disable=SC1091
. stub/env
must "account at the stub" acme account add stub --directory "$ACME_DIRECTORY" --agree-tos --ca-file "$ACME_CA_FILE"
must "order a shortlived certificate" acme order --node $NODE --purpose tomcat --account stub --profile shortlived \
	--profile-required
assert_eq "the stub got the profile" '["shortlived"]' \
	"$(curl -s --cacert "$ACME_CA_FILE" "$ACME_STUB/stub/orders" | json '[o["profile"] for o in (d if isinstance(d, list) else d["orders"])]')"
DEPLOYED=$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')
cfx acme deploy --node $NODE --purpose tomcat
expect_rc "a certificate without clientAuth for tomcat" 3
assert_contains "clientAuth named" "clientAuth" "$ERR"
assert_contains "the local CA named" "local CA" "$ERR"
assert_eq "the identity unchanged" "$DEPLOYED" "$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')"
assert_eq "the refusal in the state" "staged refused" \
	"$(cf --json acme show --node $NODE --purpose tomcat | json 'd["state"] + " " + d["last_deploy"]["status"]')"

# ---- ARI: a renewal names the certificate it replaces (RFC 9773), the CA's window kept -----------------
must "a classic order at the stub" acme order --node $NODE --purpose tomcat --account stub
must "deploy it" acme deploy --node $NODE --purpose tomcat
cf cert show --node $NODE --purpose tomcat --pem >stubleaf.pem
# the certificate's ARI id from openssl's view of it: AKI keyIdentifier "." serial's DER content
ARI_ID=$(ari_id stubleaf.pem)
curl -s --cacert "$ACME_CA_FILE" -X POST -d '{"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00.5Z"}' \
	"$ACME_STUB/stub/window" >/dev/null
must "a renewal" --json acme order --node $NODE --purpose tomcat --account stub
assert_eq "the renewal's replaces is the deployed certificate's ARI id" "$ARI_ID" \
	"$(curl -s --cacert "$ACME_CA_FILE" "$ACME_STUB/stub/orders" | json '(d if isinstance(d, list) else d["orders"])[-1]["replaces"]')"
assert_eq "the CA's window kept" "2026-01-01T00:00:00Z 2026-01-02T00:00:00Z" "$(json 'd["ari"]["start"] + " " + d["ari"]["end"]' <"$LAST")"

# ---- the served check: a service that keeps serving the old certificate ------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stale.key -out stale.pem -days 30 \
	-subj "/CN=$NODE" 2>/dev/null
STALE=$(openssl x509 -in stale.pem -outform DER | sha256sum | cut -d' ' -f1)
SP=$(free_port)
s_server "$SP" stale.pem stale.key
must "the tomcat target's address: a service that did not reload" deploy-target set --node $NODE --purpose tomcat \
	--serves "127.0.0.1:$SP"
cfx --json acme deploy --node $NODE --purpose tomcat
expect_rc "acme deploy while the address serves another certificate" 6
NEW=$(json 'd["sha256"]' <"$LAST")
assert_eq "the identity is deployed" "$NEW" "$(cf --json cert show --node $NODE --purpose tomcat | json 'd["sha256"]')"
assert_eq "served: the old certificate, not the deployed one" "127.0.0.1:$SP $STALE $NEW False" \
	"$(json '" ".join(str(d["served"][0][k]) for k in ("address", "sha256", "stored_sha256", "matches"))' <"$LAST")"
assert_contains "the error in the one object" "$NODE tomcat serves SHA-256 $STALE at 127.0.0.1:$SP, the store holds $NEW" \
	"$(json 'd["error"]["message"]' <"$LAST")"
assert_eq "show: deployed, the last deploy served-mismatch, the check kept" "deployed served-mismatch $STALE False" \
	"$(cf --json acme show --node $NODE --purpose tomcat | json '" ".join([d["state"], d["last_deploy"]["status"], d["served"]["sha256"], str(d["served"]["matches"])])')"
assert_eq "list: the same served member" "$STALE" \
	"$(cf --json acme list | json '[i["served"]["sha256"] for i in d["items"] if i["purpose"] == "tomcat"][0]')"
cfx --json doctor --node $NODE
expect_rc "the doctor: served-mismatch" 7
assert_contains "served-mismatch found" "served-mismatch" "$(json '" ".join(f["rule"] for f in d["findings"])' <"$LAST")"

finish
