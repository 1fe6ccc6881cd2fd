#!/usr/bin/env bash
# Phones' LSCs (SPEC §1, §5, §9): `certfleet endpoint import|list|delete` with LSCs made by
# openssl, and the expiry monitor including them only when `monitor config --lsc on`.
#   1. import: a bundle onto the ucm publisher whose CAPF-trust holds the issuing CA; listed as
#      certificate objects with "endpoint"; kept out of `cert list`; re-import replaces or keeps;
#      an LSC issued by the node's own CAPF certificate (uploaded with its key); a device name of
#      50 characters
#   2. refusals (exit 3, nothing stored): untrusted issuer, issued by a peer's leaf certificate in
#      CallManager-trust, CN not a device name (or of 51 characters), short RSA key, EC key, a CA,
#      no clientAuth, one device twice (named by the first pair in file order), one bad
#      certificate in a good bundle, garbage; a subscriber or another product is the wrong node
#      (exit 5); unknown node (4)
#   3. the monitor at injected times: LSCs due only with --lsc on (JSON names endpoint and what
#      breaks), hourly inside their last day, daily before, the run schedule turning hourly for an
#      LSC only when they are included, queued LSC notifications dropped when turned off
#   4. /metrics carries LSC series (label endpoint) only with --lsc on
. "$(dirname "$0")/lib.sh"
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

PUB=ucm1.example.com
SUB=ucm2.example.com
IMP=imp1.example.com
HOUR=3600
DAY=86400
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

new_store
cf node add "$PUB" --cluster cl1 --product ucm --publisher >/dev/null
cf node add "$SUB" --cluster cl1 --product ucm >/dev/null
cf node add "$IMP" --cluster cl1 --product imp --publisher >/dev/null

# ---- CAs and LSCs made by openssl --------------------------------------------------------------
mkca() { # mkca NAME CN
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkca phoneca "Phone Online CA"
mkca otherca "Unrelated CA"
cf trust add --node "$PUB" --store CAPF-trust phoneca.pem >/dev/null

# lsc OUT CN DAYS [CA] [KEYSPEC] [EKU] [BC]: an LSC signed by CA (phoneca) valid DAYS days from now
lsc() {
	local out=$1 cn=$2 days=$3 ca=${4:-phoneca} keyspec=${5:-rsa:2048} eku=${6:-clientAuth,1.3.6.1.5.5.7.3.5}
	local bc=${7:-CA:FALSE}
	printf 'basicConstraints=critical,%s\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' \
		"$bc" "$eku" >"$out.ext"
	if [[ $keyspec == ec:* ]]; then
		openssl req -newkey ec -pkeyopt "ec_paramgen_curve:${keyspec#ec:}" -nodes -keyout "$out.key" -out "$out.csr" \
			-subj "/CN=$cn/O=Phones" 2>/dev/null
	else
		openssl req -newkey "$keyspec" -nodes -keyout "$out.key" -out "$out.csr" -subj "/CN=$cn/O=Phones" 2>/dev/null
	fi
	openssl x509 -req -in "$out.csr" -CA "$ca.pem" -CAkey "$ca.key" -set_serial "0x$(openssl rand -hex 8)" \
		-days "$days" -extfile "$out.ext" -out "$out" 2>/dev/null
}
lsc a0.pem SEP0011223344A0 10
lsc a1.pem SEP0011223344A1 20
lsc a2.pem CSFJDOE 400
cat a0.pem a1.pem a2.pem >bundle.pem

# ---- 1. import, list, replace ------------------------------------------------------------------
cert_list_before=$(cf cert list --json)
must "import a bundle of three LSCs" endpoint import --node "$PUB" bundle.pem --json
assert_eq "three added" "3 0 0" "$(json '"%d %d %d" % (d["added"], d["replaced"], d["unchanged"])' <"$LAST")"
must "endpoint list" endpoint list --json
assert_eq "listed by device" '["CSFJDOE", "SEP0011223344A0", "SEP0011223344A1"]' \
	"$(json 'sorted(i["endpoint"] for i in d["items"])' <"$LAST")"
assert_eq "on the publisher, no purpose or store" "$PUB $PUB $PUB|False" \
	"$(json '" ".join(i["node"] for i in d["items"]) + "|" + str(any("purpose" in i or "store" in i for i in d["items"]))' <"$LAST")"
a0_not_after=$(json '[i["not_after"] for i in d["items"] if i["endpoint"] == "SEP0011223344A0"][0]' <"$LAST")
assert_eq "not_after as openssl reads it" "$(date -u -d "$(openssl x509 -in a0.pem -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" "$a0_not_after"
must "expiring within 15 days" endpoint list --expiring 15 --json
assert_eq "only A0 expires within 15 days" '["SEP0011223344A0"]' "$(json '[i["endpoint"] for i in d["items"]]' <"$LAST")"
must "begins-with" endpoint list --begins-with csf --json
assert_eq "begins-with on the device name" '["CSFJDOE"]' "$(json '[i["endpoint"] for i in d["items"]]' <"$LAST")"
assert_eq "cert list holds no LSC" "$cert_list_before" "$(cf cert list --json)"
must "the same bundle again" endpoint import --node "$PUB" bundle.pem --json
assert_eq "nothing changed" "0 0 3" "$(json '"%d %d %d" % (d["added"], d["replaced"], d["unchanged"])' <"$LAST")"
lsc a0new.pem SEP0011223344A0 700
must "a renewed LSC" endpoint import --node "$PUB" a0new.pem --json
assert_eq "one replaced" "0 1 0" "$(json '"%d %d %d" % (d["added"], d["replaced"], d["unchanged"])' <"$LAST")"
assert_eq "one LSC per device" 3 "$(cf endpoint list --json | json 'len(d["items"])')"
must "the older LSC back" endpoint import --node "$PUB" a0.pem --json
assert_eq "warned that it expires sooner" '["older-lsc"]' "$(json '[w["rule"] for w in d["warnings"]]' <"$LAST")"
# an LSC issued by the node's own CAPF certificate: a CA under the phone CA, uploaded with its key
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
	"$PUB" >capf.ext
openssl req -newkey rsa:2048 -nodes -keyout capf.key -out capf.csr -subj "/CN=$PUB/OU=CAPF" 2>/dev/null
openssl x509 -req -in capf.csr -CA phoneca.pem -CAkey phoneca.key -set_serial "0x$(openssl rand -hex 8)" -days 1825 \
	-extfile capf.ext -out capf.pem 2>/dev/null
must "the CAPF identity uploaded with its key" cert upload --node "$PUB" --purpose CAPF capf.pem --key capf.key --json
assert_eq "the CAPF identity is stored" "CAPF $PUB" "$(cf cert list --node "$PUB" --purpose CAPF --json | json '" ".join(i["purpose"] + " " + i["cn"] for i in d["items"])')"
lsc bycapf.pem SEP0011223344C0 400 capf
must "an LSC signed by the CAPF certificate" endpoint import --node "$PUB" bycapf.pem --json
assert_eq "the CAPF's LSC added" "1 0 0" "$(json '"%d %d %d" % (d["added"], d["replaced"], d["unchanged"])' <"$LAST")"
assert_eq "the CAPF's LSC listed, issued by the CAPF certificate" "SEP0011223344C0 OU=CAPF,CN=$PUB" \
	"$(cf endpoint list --begins-with SEP0011223344C --json | json '" ".join(i["endpoint"] + " " + i["issuer"] for i in d["items"])')"
must "the CAPF's LSC deleted" endpoint delete --node "$PUB" --device SEP0011223344C0
# a device name of 50 characters, '.', '_' and '-' among them (51 are refused below)
N50="SEP.dev_name-$(printf '%037d' 7)"
lsc n50.pem "$N50" 30
must "a device name of 50 characters" endpoint import --node "$PUB" n50.pem --json
assert_eq "listed under its 50-character name" "50 $N50" "$(cf endpoint list --begins-with SEP.dev --json | json '" ".join("%d %s" % (len(i["endpoint"]), i["endpoint"]) for i in d["items"])')"
must "the 50-character device deleted" endpoint delete --node "$PUB" --device "$N50"
assert_eq "three LSCs again" 3 "$(cf endpoint list --json | json 'len(d["items"])')"

# ---- 2. refusals change nothing ----------------------------------------------------------------
before=$(cf endpoint list --json)
lsc bad-issuer.pem SEP00AA00000001 30 otherca
lsc bad-cn.pem "John Doe" 30
lsc bad-rsa.pem SEP00AA00000002 30 phoneca rsa:1024
lsc bad-ec.pem SEP00AA00000003 30 phoneca ec:prime256v1
lsc bad-ca.pem SEP00AA00000004 30 phoneca rsa:2048 clientAuth CA:TRUE
lsc bad-eku.pem SEP00AA00000005 30 phoneca rsa:2048 serverAuth
lsc good.pem SEP00AA00000006 30
lsc twice.pem SEP00AA00000006 40
refuse() { # refuse WHAT FILE NEEDLE
	cfx endpoint import --node "$PUB" "$2"
	expect_rc "$1 refused" 3
	assert_contains "$1: why" "$3" "$ERR"
	assert_eq "$1: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
}
refuse "untrusted issuer" bad-issuer.pem "[untrusted-issuer]"
# a peer's leaf certificate in CallManager-trust is no CA, though openssl signs with its key
openssl req -x509 -newkey rsa:2048 -nodes -keyout peer.key -out peer.pem -days 3650 -subj "/CN=cucm-peer.example.org" \
	-addext basicConstraints=critical,CA:FALSE -addext keyUsage=critical,digitalSignature,keyEncipherment \
	-addext extendedKeyUsage=serverAuth,clientAuth 2>/dev/null
cf trust add --node "$PUB" --store CallManager-trust peer.pem >/dev/null
lsc bad-leaf.pem SEP00AA00000007 30 peer
assert_eq "openssl made an LSC signed by the peer's leaf" "issuer=CN=cucm-peer.example.org" \
	"$(openssl x509 -in bad-leaf.pem -noout -issuer -nameopt RFC2253 2>/dev/null || true)"
refuse "issued by a leaf of CallManager-trust" bad-leaf.pem "[untrusted-issuer]"
refuse "CN not a device name" bad-cn.pem "not a device name"
lsc n51.pem "${N50}1" 30
refuse "a device name of 51 characters" n51.pem "not a device name (1 to 50 letters"
refuse "1024-bit RSA" bad-rsa.pem "RSA key of at least 2048 bits"
refuse "EC key" bad-ec.pem "RSA key of at least 2048 bits"
refuse "a CA" bad-ca.pem "is a CA certificate"
refuse "no clientAuth" bad-eku.pem "clientAuth"
cat good.pem twice.pem >dup.pem
refuse "one device twice" dup.pem "certificates 1 and 2 are both LSCs of SEP00AA00000006"
# several devices twice: the pair named is the first whose second certificate comes first in the
# file, not the first in CN order; a bad certificate before it is named instead
lsc dz.pem SEP00AA000000F9 30
lsc dz2.pem SEP00AA000000F9 40
lsc dz3.pem SEP00AA000000F9 50
lsc db.pem SEP00AA000000B1 30
lsc db2.pem SEP00AA000000B1 40
cat dz.pem db.pem db2.pem dz2.pem >dup2.pem
refuse "two devices twice" dup2.pem "certificates 2 and 3 are both LSCs of SEP00AA000000B1"
cat db.pem dz.pem good.pem dz2.pem db2.pem >dup3.pem
refuse "two devices twice, apart" dup3.pem "certificates 2 and 4 are both LSCs of SEP00AA000000F9"
cat dz.pem dz2.pem dz3.pem >dup4.pem
refuse "one device three times" dup4.pem "certificates 1 and 2 are both LSCs of SEP00AA000000F9"
cat dz.pem bad-issuer.pem dz2.pem >dup5.pem
refuse "a bad certificate before the second of a device" dup5.pem "certificate 2 of 3"
cat db.pem dz.pem db2.pem bad-issuer.pem >dup6.pem
refuse "a device twice before a bad certificate" dup6.pem "certificates 1 and 3 are both LSCs of SEP00AA000000B1"
cat good.pem bad-issuer.pem >mixed.pem
refuse "a bad one in a good bundle" mixed.pem "certificate 2 of 2"
head -c 300 /dev/urandom >garbage.pem
cfx endpoint import --node "$PUB" garbage.pem
expect_rc "garbage refused" 3
cfx endpoint import --node "$SUB" good.pem
expect_rc "a subscriber is the wrong node" 5
cfx endpoint import --node "$IMP" good.pem
expect_rc "an IM and Presence node is the wrong node" 5
cfx endpoint import --node nosuch.example.com good.pem
expect_rc "unknown node" 4
assert_eq "store unchanged by every refusal" "$before" "$(cf endpoint list --json)"
assert_contains "refusals audited" "untrusted-issuer" "$(cf audit --json)"
cfx endpoint delete --node "$PUB" --device SEP0011223344A1
expect_rc "delete an LSC" 0
cfx endpoint delete --node "$PUB" --device SEP0011223344A1
expect_rc "delete it again: not found" 4
assert_eq "two left" 2 "$(cf endpoint list --json | json 'len(d["items"])')"
cf endpoint import --node "$PUB" a1.pem >/dev/null

# ---- 3. the monitor at injected times ----------------------------------------------------------
# Only LSCs expire inside the window: the nodes hold no other certificate.
a0_end=$(date -u -d "$(cf endpoint list --json | json '[i["not_after"] for i in d["items"] if i["endpoint"] == "SEP0011223344A0"][0]')" +%s)
a1_end=$(date -u -d "$(cf endpoint list --json | json '[i["not_after"] for i in d["items"] if i["endpoint"] == "SEP0011223344A1"][0]')" +%s)
cf monitor config --email off >/dev/null
due_at() { cf monitor run --now "$(rfc "$1")" --json | json '" ".join(sorted(i.get("endpoint", i.get("purpose", i.get("store", "?"))) for i in d["due"]))'; }
T0=$((a0_end - 5 * DAY))
assert_eq "LSCs off (default): nothing due" "" "$(due_at "$T0")"
cf monitor run --now "$(rfc "$T0")" --json >run.json
assert_eq "LSCs off: the schedule stays daily" "$(rfc $((T0 + DAY)))" "$(json 'd["next_run"]' <run.json)"
must "include LSCs" monitor config --lsc on
assert_eq "LSCs on: both inside the window" "SEP0011223344A0 SEP0011223344A1" "$(due_at "$T0")"
cf monitor run --now "$(rfc "$T0")" --json >run.json
assert_eq "just notified: nothing due again" "[]" "$(json 'd["due"]' <run.json)"
cf monitor run --now "$(rfc $((T0 + 2 * HOUR)))" --json >run.json
assert_eq "daily before the last day" "[]" "$(json 'd["due"]' <run.json)"
cf monitor run --now "$(rfc $((T0 + DAY + 1)))" --json >run.json
assert_eq "a day later: due again, named by endpoint and node" "SEP0011223344A0 $PUB|SEP0011223344A1 $PUB" \
	"$(json '"|".join(sorted(i["endpoint"] + " " + i["node"] for i in d["due"]))' <run.json)"
assert_contains "what breaks" "secure registration" "$(json 'd["due"][0]["breaks"]' <run.json)"
assert_eq "days left" 3 "$(json '[i["days_left"] for i in d["due"] if i["endpoint"] == "SEP0011223344A0"][0]' <run.json)"
T1=$((a0_end - 12 * HOUR))
assert_eq "inside A0's last day" "SEP0011223344A0 SEP0011223344A1" "$(due_at "$T1")"
cf monitor run --now "$(rfc $((T1 + 30 * 60)))" --json >run.json
assert_eq "half an hour later: not yet" "[]" "$(json 'd["due"]' <run.json)"
assert_eq "the run schedule turns hourly for an LSC" "$(rfc $((T1 + 30 * 60 + HOUR)))" "$(json 'd["next_run"]' <run.json)"
cf monitor run --now "$(rfc $((T1 + HOUR + 1)))" --json >run.json
assert_eq "an hour later: A0 again, A1 (daily) not" "SEP0011223344A0" "$(json '" ".join(i["endpoint"] for i in d["due"])' <run.json)"
cf monitor run --now "$(rfc $((a0_end + 2 * HOUR)))" --json >run.json
assert_contains "after expiry: hourly" "SEP0011223344A0" "$(json '" ".join(i["endpoint"] for i in d["due"])' <run.json)"
assert_eq "expired: days left negative" -1 "$(json '[i["days_left"] for i in d["due"] if i["endpoint"] == "SEP0011223344A0"][0]' <run.json)"
# queued for a mail server that is down, then LSCs turned off: the waiting ones are dropped
DOWN=$(free_port)
cf monitor config --email on --emails ops@example.com --smtp "127.0.0.1:$DOWN" --smtp-tls none >/dev/null
cfx monitor run --now "$(rfc $((a0_end + 4 * HOUR)))" --json
expect_rc "mail server down" 6
assert_eq "the LSC notification due (A0, hourly) queued" 1 "$(json 'd["queued"]' <"$LAST")"
cf monitor config --lsc off >/dev/null
cf monitor run --now "$(rfc $((a0_end + 5 * HOUR)))" --json >run.json
assert_eq "LSCs off: nothing queued, nothing due" "0 []" "$(json '"%d %s" % (d["queued"], d["due"])' <run.json)"
cf monitor run --now "$(rfc $((a0_end + 5 * HOUR)))" --json >run.json
assert_eq "LSCs off: the schedule is daily again" "$(rfc $((a0_end + 5 * HOUR + DAY)))" "$(json 'd["next_run"]' <run.json)"
cf monitor config --email off >/dev/null

# ---- 4. /metrics ---------------------------------------------------------------------------------
start_certfleetd --node "$PUB" --metrics-cache 0 # each answer built afresh: the setting shows at once
curl -sk "$ORIGIN/metrics" >m-off.txt
assert_eq "no LSC series with LSCs off" 0 "$(grep -c 'endpoint=' m-off.txt || true)"
cf monitor config --lsc on >/dev/null
curl -sk "$ORIGIN/metrics" >m-on.txt
assert_eq "an expiry series per LSC with LSCs on" 3 "$(grep -c '^certfleet_certificate_not_after_seconds{.*endpoint="' m-on.txt)"
assert_eq "A0's series" "$a0_end" \
	"$(grep '^certfleet_certificate_not_after_seconds{.*endpoint="SEP0011223344A0"' m-on.txt | awk '{print $2}')"
assert_clean_stop

assert_eq "no private key in any output" 0 "$(cat "$T"/log/* | grep -c 'PRIVATE KEY' || true)"
finish
