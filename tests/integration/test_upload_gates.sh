#!/usr/bin/env bash
# The safety gates of SPEC §3.4 added after the first users, with openssl as the CA:
#  - a multi-server certificate whose SAN lacks a node of its scope is refused (exit 3, nothing
#    changed); --force uploads it, audited as forced, and the doctor then reports san-missing-node;
#  - a self-signed certificate over a CA-signed identity needs --force (exit 5 without, nothing
#    changed); forced over a multi-server identity it is made on the publisher for every node in
#    scope, never on one node alone;
#  - the doctor's multi-server-drift: a node of a multi-server set holding another certificate.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
cd "$T" || exit 1

PUB=ucm1.example.com
SUB=ucm2.example.com
SUB2=ucm3.example.com
new_store
must "node add publisher" node add $PUB --cluster cl1 --product ucm --publisher
must "node add subscriber" node add $SUB --cluster cl1 --product ucm
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Gate Test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
must "trust the CA" trust add --node $PUB --store tomcat-trust ca.pem
sign() { # sign CSR OUT: the CA signs it copying the request's extensions
	openssl x509 -req -in "$1" -CA ca.pem -CAkey ca.key -days 365 -copy_extensions copy -out "$2" 2>/dev/null
}
sha_of() { cf --json cert list --node "$1" --purpose tomcat | json 'd["items"][0]["sha256"]'; }
dist_of() { cf --json cert list --node "$1" --purpose tomcat | json 'd["items"][0]["distribution"]'; }
audit_last() { cf --json audit --limit 1 | json '"%s|%s|%s" % (d["items"][0]["action"], d["items"][0]["object"], "ok" if d["items"][0]["result"] == "ok" else "refused")'; }
doctor_rules() { cf --json doctor | json '" ".join(sorted(set("%s@%s" % (f["rule"], f["node"]) for f in d["findings"] if f["rule"] in ("san-missing-node", "multi-server-drift"))))' || true; }

# ---- a multi-server tomcat, CA-signed, on both nodes ------------------------------------------------
must "multi-server CSR" csr generate --node $PUB --purpose tomcat --multi-server
cf csr show --node $PUB --purpose tomcat --pem >ms.csr
sign ms.csr ms.pem
must "upload the multi-server certificate" cert upload --node $PUB --purpose tomcat ms.pem
assert_eq "one certificate on both nodes" "$(sha_of $PUB)" "$(sha_of $SUB)"
assert_eq "no gate finding yet" "" "$(doctor_rules)"

# ---- a node joins after the CSR: its SAN lacks that node -------------------------------------------
must "multi-server CSR again" csr generate --node $PUB --purpose tomcat --multi-server
cf csr show --node $PUB --purpose tomcat --pem >ms2.csr
must "a third node joins" node add $SUB2 --cluster cl1 --product ucm --no-defaults
sign ms2.csr ms2.pem
BEFORE=$(cf --json cert list)
cfx cert upload --node $PUB --purpose tomcat ms2.pem
expect_rc "a multi-server certificate without a node of its scope" 3
assert_contains "the refusal names the node and the rule" "lacks $SUB2, a node of its scope [san-missing-node]" "$ERR"
assert_contains "the refusal says how to override" "force" "$ERR"
assert_eq "refused: cert list byte-identical" "$BEFORE" "$(cf --json cert list)"
assert_eq "refused: audited" "cert upload|tomcat on $PUB|refused" "$(audit_last)"
cfx --json cert upload --node $PUB --purpose tomcat ms2.pem --force
expect_rc "forced upload" 0
assert_eq "forced: the gate is kept as a warning" "san-missing-node" \
	"$(json '" ".join(w["rule"] for w in d["warnings"] if "uploaded with force" in w["message"])' <"$LAST")"
assert_eq "forced: audited as forced" "cert upload|tomcat on $PUB (forced)|ok" "$(audit_last)"
assert_eq "forced: on every node in scope" "$(sha_of $PUB) $(sha_of $PUB)" "$(sha_of $SUB) $(sha_of $SUB2)"
assert_contains "the doctor reports the node the SAN lacks" "san-missing-node@$PUB" "$(doctor_rules)"

# ---- self-signed over CA-signed ------------------------------------------------------------------
BEFORE=$(cf --json cert list)
cfx cert self-signed --node $SUB --purpose tomcat
expect_rc "self-signed over a CA-signed identity" 5
assert_contains "the refusal says what breaks" "CA-signed" "$ERR"
assert_contains "the refusal names the set" "multi-server set" "$ERR"
assert_eq "refused: nothing changed" "$BEFORE" "$(cf --json cert list)"
cfx cert self-signed --node $SUB --purpose tomcat --force
expect_rc "forced on a subscriber of a multi-server set" 5
assert_contains "points to the publisher" "replace it on the publisher ($PUB)" "$ERR"
assert_eq "refused: nothing changed" "$BEFORE" "$(cf --json cert list)"
cfx --json cert self-signed --node $PUB --purpose tomcat --force
expect_rc "forced on the publisher" 0
assert_eq "forced: audited as forced" "cert self-signed|tomcat on $PUB (forced)|ok" "$(audit_last)"
assert_eq "forced: one self-signed multi-server certificate on every node" \
	"multi-server multi-server multi-server $(sha_of $PUB) $(sha_of $PUB)" \
	"$(dist_of $PUB) $(dist_of $SUB) $(dist_of $SUB2) $(sha_of $SUB) $(sha_of $SUB2)"
assert_eq "self-signed now" True "$(cf --json cert list --node $SUB --purpose tomcat | json 'd["items"][0]["self_signed"]')"
assert_eq "no drift after the forced replacement" "" "$(doctor_rules | tr ' ' '\n' | grep drift || true)"

# self-signed over self-signed needs nothing; made on one node it breaks the set: the doctor says so
must "self-signed on one node of a self-signed set" cert self-signed --node $SUB --purpose tomcat
assert_eq "the set is broken on that node only" "multi-server-drift@$SUB" \
	"$(doctor_rules | tr ' ' '\n' | grep drift || true)"
cf --json doctor >doc.json || true
assert_contains "drift: the fix names the publisher" "--node $PUB --purpose tomcat" \
	"$(json '[f["fix"] for f in d["findings"] if f["rule"] == "multi-server-drift"][0]' <doc.json)"
assert_eq "drift is an error (doctor exit 7)" 7 "$(cf doctor >/dev/null 2>&1; echo $?)"
finish
