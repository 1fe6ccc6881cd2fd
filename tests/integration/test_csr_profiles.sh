#!/usr/bin/env bash
# CSR and self-signed profiles (SPEC §2, §3.1–§3.3, §11): for every purpose, the request or
# certificate certfleet makes is read back with the real `openssl` and compared with the exact
# key usage, extended key usage, subject and SAN sets the spec asks for.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/log"
# ---- one python helper process (starting python per check is too slow): JSON queries, and
# ---- the parser/comparer of openssl's text output (the oracle is openssl's own decoding) ----
cat >"$T/helper.py" <<'PY'
import datetime, json, re, sys

KU = {"Digital Signature": "digitalSignature", "Non Repudiation": "nonRepudiation",
      "Content Commitment": "nonRepudiation", "Key Encipherment": "keyEncipherment",
      "Data Encipherment": "dataEncipherment", "Key Agreement": "keyAgreement",
      "Certificate Sign": "keyCertSign", "CRL Sign": "cRLSign", "Encipher Only": "encipherOnly",
      "Decipher Only": "decipherOnly"}
EKU = {"TLS Web Server Authentication": "serverAuth", "TLS Web Client Authentication": "clientAuth",
       "IPSec End System": "ipsecEndSystem", "OCSP Signing": "OCSPSigning", "Code Signing": "codeSigning",
       "E-mail Protection": "emailProtection", "Time Stamping": "timeStamping",
       "IPSec Tunnel": "ipsecTunnel", "IPSec User": "ipsecUser"}


def parse(text):
    lines = text.splitlines()
    g = {"subject": None, "issuer": None, "ku": [], "eku": [], "san": [], "bc": None, "alg": None,
         "bits": None, "curve": None, "sig": None, "nb": None, "na": None, "has_ku": False}
    nxt = lambda i: lines[i + 1].strip() if i + 1 < len(lines) else ""

    def dn(s):
        d = {}
        for part in (re.split(r", (?=[A-Za-z0-9.]+ ?= ?)", s) if s else []):
            k, _, v = part.partition("=")
            d[k.strip()] = v.strip()
        return d

    def when(s):
        return datetime.datetime.strptime(" ".join(s.split()), "%b %d %H:%M:%S %Y %Z")

    for i, l in enumerate(lines):
        s = l.strip()
        if s.startswith("Subject:"):
            g["subject"] = dn(s[len("Subject:"):].strip())
        elif s.startswith("Issuer:"):
            g["issuer"] = dn(s[len("Issuer:"):].strip())
        elif s.startswith("X509v3 Key Usage:"):
            g["has_ku"] = True
            g["ku"] = [KU.get(x.strip(), "?" + x.strip()) for x in nxt(i).split(",") if x.strip()]
        elif s.startswith("X509v3 Extended Key Usage:"):
            g["eku"] = [EKU.get(x.strip(), x.strip()) for x in nxt(i).split(",") if x.strip()]
        elif s.startswith("X509v3 Subject Alternative Name:"):
            g["san"] = [x.strip().replace("IP Address:", "IP:") for x in nxt(i).split(", ") if x.strip()]
        elif s.startswith("X509v3 Basic Constraints:"):
            g["bc"] = nxt(i)
        elif s.startswith("Public Key Algorithm:"):
            g["alg"] = {"rsaEncryption": "RSA", "id-ecPublicKey": "EC"}.get(s.split(":", 1)[1].strip(), s)
        elif s.startswith("Public-Key:") or s.startswith("RSA Public-Key:"):
            m = re.search(r"\((\d+) bit", s)
            g["bits"] = int(m.group(1)) if m else None
        elif s.startswith("ASN1 OID:"):
            g["curve"] = s.split(":", 1)[1].strip()
        elif s.startswith("Signature Algorithm:") and g["sig"] is None:
            g["sig"] = s.split(":", 1)[1].strip()
        elif s.startswith("Not Before:"):
            g["nb"] = when(s.split(":", 1)[1])
        elif s.startswith("Not After :") or s.startswith("Not After:"):
            g["na"] = when(s.split(":", 1)[1])
    return g


def words(s):
    return sorted(w for w in s.replace(",", " ").split() if w)


def run_checks(label, path, args):
    exp = dict(a.split("=", 1) for a in args)
    g = parse(open(path).read())
    res = []

    def chk(what, want, have):
        res.append(None if want == have else "%s: %s: expected %s, got %s" % (label, what, want, have))

    if "ku" in exp:
        chk("key usage", words(exp["ku"]), sorted(g["ku"]))
        if exp["ku"]:
            chk("key usage present", True, g["has_ku"])
    if "eku" in exp:
        chk("extended key usage", words(exp["eku"]), sorted(g["eku"]))
    if "san" in exp:
        chk("SAN set", words(exp["san"]), sorted(g["san"]))
        chk("SAN without duplicates", len(set(g["san"])), len(g["san"]))
    if "san_order" in exp:
        chk("SAN order", exp["san_order"].split(), g["san"])
    if "cn" in exp:
        chk("subject CN", exp["cn"], (g["subject"] or {}).get("CN"))
    if "subject" in exp:
        want = dict(p.split("=", 1) for p in exp["subject"].split("|")) if exp["subject"] else {}
        chk("subject", want, g["subject"])
    if "issuer_is_subject" in exp:
        chk("issuer = subject", True, g["issuer"] == g["subject"])
    if "ca" in exp:
        chk("basicConstraints CA", exp["ca"], "CA:TRUE" if (g["bc"] or "").startswith("CA:TRUE") else "CA:FALSE")
    if "key" in exp:
        k = exp["key"].split(":")
        chk("key type", k[0], g["alg"])
        chk("key size", int(k[1]), g["bits"])
        if len(k) > 2:
            chk("curve", k[2], g["curve"])
    if "sig" in exp:
        chk("signature algorithm", exp["sig"], g["sig"])
    if "days" in exp:
        d = (g["na"] - g["nb"]).total_seconds() / 86400 if g["na"] and g["nb"] else None
        want = int(exp["days"])
        chk("validity ~%d days" % want, True, d is not None and abs(d - want) <= 2)
        now = datetime.datetime.utcnow()
        chk("valid now", True, g["nb"] is not None and g["nb"] <= now + datetime.timedelta(minutes=5) and g["na"] > now)
    if "json" in exp:
        # certfleet's own JSON view agrees with openssl's decoding
        d = json.load(open(exp["json"]))
        chk("JSON key_usage", sorted(g["ku"]), sorted(d.get("key_usage", [])))
        chk("JSON ext_key_usage", sorted(g["eku"]), sorted(d.get("ext_key_usage", [])))
        chk("JSON san", sorted(g["san"]), sorted(d.get("san", [])))
    return res


for line in sys.stdin:
    parts = line.rstrip("\n").split("\t")
    try:
        if parts[0] == "J":  # J FILE EXPR: the value of EXPR over the JSON document d
            d = json.load(open(parts[1]))
            v = eval(parts[2])
            out = str(v if not isinstance(v, (list, dict)) else json.dumps(v, sort_keys=True))
        elif parts[0] == "W":  # W FILE EXPR OUT: writes the string value of EXPR to OUT
            d = json.load(open(parts[1]))
            open(parts[3], "w").write(eval(parts[2]))
            out = "ok"
        else:  # C LABEL TEXTFILE KEY=VALUE...: compares; answers OK-count and the failures
            res = run_checks(parts[1], parts[2], parts[3:])
            out = "\x1f".join([str(res.count(None))] + [r for r in res if r is not None])
    except Exception as ex:
        out = ("0\x1f%s: checker error: %s" % (parts[1] if len(parts) > 1 else "?", ex)) if parts[0] == "C" \
            else "<no json: %s>" % ex
    print(out.replace("\n", "\\n"), flush=True)
PY

coproc PYH { exec python3 -u "$T/helper.py"; }
# py FIELDS...: one request to the helper (tab-separated); the answer is in PYR.
py() {
	local IFS=$'\t'
	printf '%s\n' "$*" >&"${PYH[1]}"
	IFS= read -r PYR <&"${PYH[0]}" || PYR="<helper died>"
}
# jout EXPR: the python expression's value over the JSON the last cfx printed (d).
jout() {
	py J "$LAST" "$1"
	printf '%s\n' "$PYR"
}
# jwrite EXPR FILE: writes the string value of EXPR over the last cfx JSON to FILE.
jwrite() {
	: >"$2"
	py W "$LAST" "$1" "$2"
}

# check_text LABEL FILE key=value...: compares openssl's decoding (FILE holds -text output).
check_text() {
	local label=$1 file=$2 r
	shift 2
	py C "$label" "$file" "$@"
	local -a res
	IFS=$'\x1f' read -r -a res <<<"$PYR"
	local n=${res[0]}
	[[ "$n" =~ ^[0-9]+$ ]] || { fail "$label: checker: $PYR"; return; }
	PASSED=$((PASSED + n))
	for r in "${res[@]:1}"; do fail "$r"; done
}

# check_csr LABEL PEMFILE key=value...: openssl verifies the request, then its decoding is compared.
check_csr() {
	local label=$1 pem=$2
	shift 2
	if openssl req -in "$pem" -verify -noout >/dev/null 2>"$T/ossl.err"; then ok; else fail "$label: openssl req -verify: $(cat "$T/ossl.err")"; fi
	openssl req -in "$pem" -noout -text >"$T/ossl.txt" 2>/dev/null || true
	check_text "$label" "$T/ossl.txt" "$@"
}

# check_cert LABEL PEMFILE key=value...: the self-signature verifies with openssl, then the decoding.
check_cert() {
	local label=$1 pem=$2
	shift 2
	if openssl verify -check_ss_sig -CAfile "$pem" "$pem" >/dev/null 2>"$T/ossl.err"; then ok; else fail "$label: openssl verify (self-signed): $(cat "$T/ossl.err")"; fi
	openssl x509 -in "$pem" -noout -text >"$T/ossl.txt" 2>/dev/null || true
	check_text "$label" "$T/ossl.txt" "$@"
}

# gen LABEL ARGS...: csr generate --json ARGS; the PEM goes to $T/csr.pem. Counted as a check.
gen() {
	local label=$1
	shift
	cfx --json csr generate "$@"
	expect_rc "$label: csr generate" 0
	cp "$LAST" "$T/csr.json"
	jwrite "d['pem']" "$T/csr.pem"
}

# san_of LIST...: "DNS:a DNS:b" from names.
san_of() {
	local s="" n
	for n in "$@"; do s+="DNS:$n "; done
	echo "${s% }"
}

# The expected profiles, from SPEC §2 (RSA / EC key usage).
KU_RSA="digitalSignature keyEncipherment dataEncipherment"
KU_EC="digitalSignature keyAgreement"
KU_CAPF="digitalSignature keyCertSign cRLSign"
KU_DSKE="digitalSignature keyEncipherment"
EKU_SC="serverAuth clientAuth"
EKU_SCI="serverAuth clientAuth ipsecEndSystem"

ku_for() { # ku_for PURPOSE -> the KU set of SPEC §2 for the purpose and its key type
	case "$1" in
	CAPF) echo "$KU_CAPF" ;;
	ITLRecovery | authz) echo "digitalSignature" ;;
	server | shared | dbclient) echo "$KU_DSKE" ;;
	*-ECDSA) echo "$KU_EC" ;;
	*) echo "$KU_RSA" ;;
	esac
}
eku_for() {
	case "$1" in
	CAPF) echo "serverAuth" ;;
	ITLRecovery | authz) echo "" ;;
	dbclient) echo "clientAuth" ;;
	ipsec | cup | cup-ECDSA | cup-xmpp | cup-xmpp-ECDSA | cup-xmpp-s2s | cup-xmpp-s2s-ECDSA) echo "$EKU_SCI" ;;
	*) echo "$EKU_SC" ;;
	esac
}
key_for() { case "$1" in *-ECDSA) echo "EC:256:prime256v1" ;; *) echo "RSA:2048" ;; esac; }
ca_for() { case "$1" in CAPF) echo "CA:TRUE" ;; *) echo "CA:FALSE" ;; esac; }
sig_for() { case "$1" in *-ECDSA) echo "ecdsa-with-SHA256" ;; *) echo "sha256WithRSAEncryption" ;; esac; }

D=example.com
UCM1=ucm1.$D UCM2=ucm2.$D IMP1=imp1.$D IMP2=imp2.$D CUC1=cuc1.$D

# ==== deployment ==============================================================================
new_store cl1
must "node add ucm publisher (defaults)" node add $UCM1 --cluster cl1 --product ucm --publisher
must "node add ucm subscriber (defaults)" node add $UCM2 --cluster cl1 --product ucm
must "node add imp publisher (defaults)" node add $IMP1 --cluster cl1 --product imp --publisher
must "node add imp subscriber" node add $IMP2 --cluster cl1 --product imp --no-defaults
must "node add cuc in the ucm cluster" node add $CUC1 --cluster cl1 --product cuc --no-defaults
cfx --json node list
assert_eq "publisher flags (first node of its product is its publisher)" \
	"$UCM1:True $UCM2:False $IMP1:True $IMP2:False $CUC1:True" \
	"$(jout "' '.join('%s:%s' % (f, {n['fqdn']: n['publisher'] for n in d['items']}.get(f)) for f in '$UCM1 $UCM2 $IMP1 $IMP2 $CUC1'.split())")"

# ==== self-signed identities of a fresh node (SPEC §3.1) ======================================
UCM_PURPOSES="tomcat tomcat-ECDSA CallManager CallManager-ECDSA CAPF TVS ITLRecovery ipsec authz"
IMP_PURPOSES="tomcat tomcat-ECDSA cup cup-ECDSA cup-xmpp cup-xmpp-ECDSA cup-xmpp-s2s cup-xmpp-s2s-ECDSA ipsec"

check_self_signed() { # NODE PURPOSE
	local node=$1 p=$2 days=1825
	[ "$p" == ITLRecovery ] && days=7300
	cfx --json cert show --node "$node" --purpose "$p"
	expect_rc "self-signed $p on $node: cert show" 0
	cp "$LAST" "$T/cert.json"
	jwrite "d['pem']" "$T/cert.pem"
	assert_eq "self-signed $p on $node: source" "self-signed" "$(jout "d['source']")"
	assert_eq "self-signed $p on $node: JSON self_signed" "True" "$(jout "d['self_signed']")"
	check_cert "self-signed $p on $node" "$T/cert.pem" "ku=$(ku_for "$p")" "eku=$(eku_for "$p")" \
		"san=DNS:$node" "cn=$node" "issuer_is_subject=1" "ca=$(ca_for "$p")" "key=$(key_for "$p")" "days=$days" \
		"json=$T/cert.json"
}
for p in $UCM_PURPOSES; do check_self_signed $UCM1 "$p"; done
for p in $IMP_PURPOSES; do check_self_signed $IMP1 "$p"; done

# CAPF exists on the ucm publisher only
for p in $UCM_PURPOSES; do
	[ "$p" == CAPF ] && continue
	cfx --json cert show --node $UCM2 --purpose "$p"
	expect_rc "subscriber has its own $p" 0
done
cfx --json cert list --node $UCM2 --purpose CAPF
assert_eq "no CAPF identity on the ucm subscriber" "0" "$(jout "len(d['items'])")"
cfx --json cert list --node $UCM1 --purpose CAPF
assert_eq "one CAPF identity on the ucm publisher" "1" "$(jout "len(d['items'])")"
cfx cert show --node $UCM2 --purpose CAPF
expect_rc "cert show CAPF on the subscriber" 4
cfx cert self-signed --node $UCM2 --purpose CAPF
expect_rc "self-signed CAPF on the subscriber refused" 5
cfx csr generate --node $UCM2 --purpose CAPF
expect_rc "CSR for CAPF on the subscriber refused" 5
cfx csr generate --node $IMP1 --purpose CAPF
expect_rc "CAPF is not an imp purpose" 3

# each self-signed identity is in its purpose's trust store on every node of the cluster
store_of() {
	case "$1" in
	tomcat | tomcat-ECDSA) echo tomcat-trust ;;
	CallManager | CallManager-ECDSA) echo CallManager-trust ;;
	CAPF) echo CAPF-trust ;;
	ipsec) echo ipsec-trust ;;
	cup | cup-ECDSA) echo cup-trust ;;
	cup-xmpp | cup-xmpp-ECDSA | cup-xmpp-s2s | cup-xmpp-s2s-ECDSA) echo cup-xmpp-trust ;;
	*) echo "" ;;
	esac
}
stores_of_product() {
	case "$1" in
	ucm) echo "tomcat-trust CallManager-trust CAPF-trust ipsec-trust" ;;
	imp) echo "tomcat-trust cup-trust cup-xmpp-trust ipsec-trust" ;;
	cuc) echo "tomcat-trust CallManager-trust ipsec-trust" ;;
	esac
}
declare -A PRODUCT=([$UCM1]=ucm [$UCM2]=ucm [$IMP1]=imp [$IMP2]=imp [$CUC1]=cuc)
declare -A TRUSTED # "node store" -> space-separated sha256 list
for n in $UCM1 $UCM2 $IMP1 $IMP2 $CUC1; do
	for s in $(stores_of_product "${PRODUCT[$n]}"); do
		cfx --json cert list --node "$n" --store "$s"
		expect_rc "cert list --store $s on $n" 0
		TRUSTED["$n $s"]=$(jout "' '.join(i['sha256'] for i in d['items'] if i.get('store') == '$s')")
	done
done
trust_check() { # NODE PURPOSES: the node's self-signed identities are trusted everywhere
	local node=$1 p s sha n
	for p in $2; do
		s=$(store_of "$p")
		[ -z "$s" ] && continue
		cfx --json cert show --node "$node" --purpose "$p"
		sha=$(jout "d['sha256']")
		for n in $UCM1 $UCM2 $IMP1 $IMP2 $CUC1; do
			[[ " $(stores_of_product "${PRODUCT[$n]}") " == *" $s "* ]] || continue
			assert_contains "$p of $node in $s on $n" "$sha" "${TRUSTED["$n $s"]}"
		done
	done
}
trust_check $UCM1 "$UCM_PURPOSES"
trust_check $UCM2 "${UCM_PURPOSES/CAPF /}"
trust_check $IMP1 "$IMP_PURPOSES"
# identities without a trust store (TVS, ITLRecovery, authz) are not placed anywhere
for p in TVS ITLRecovery authz; do
	cfx --json cert show --node $UCM1 --purpose $p
	sha=$(jout "d['sha256']")
	cfx --json cert list --node $UCM2
	assert_eq "$p of $UCM1 is in no trust store of $UCM2" "0" "$(jout "len([i for i in d['items'] if i['sha256'] == '$sha'])")"
done

# regenerating a self-signed identity replaces its trust copies on every node
cfx --json cert show --node $UCM2 --purpose tomcat
old_sha=$(jout "d['sha256']")
must "cert self-signed tomcat on the subscriber" --json cert self-signed --node $UCM2 --purpose tomcat
new_sha=$(jout "d['items'][0]['sha256']")
for n in $UCM1 $UCM2 $IMP1 $IMP2 $CUC1; do
	cfx --json cert list --node "$n" --store tomcat-trust
	shas=$(jout "' '.join(i['sha256'] for i in d['items'])")
	assert_contains "new self-signed tomcat of $UCM2 in tomcat-trust on $n" "$new_sha" "$shas"
	if [[ "$shas" == *"$old_sha"* ]]; then fail "old self-signed tomcat of $UCM2 still in tomcat-trust on $n"; else ok; fi
done

# ==== cluster settings used by the SAN rules and the subject (SPEC §3.2, §3.3) =================
must "set dn.O" cluster set cl1 dn.O "Example Corp"
must "set dn.OU" cluster set cl1 dn.OU "UC Team"
must "set dn.L" cluster set cl1 dn.L "San Jose"
must "set dn.ST" cluster set cl1 dn.ST "California"
must "set dn.C" cluster set cl1 dn.C US
cfx cluster set cl1 dn.C USA
expect_rc "dn.C must be a two-letter code" 3
must "set presence-domains" cluster set cl1 presence-domains "example.com,presence.example.org"
must "set email-domains" cluster set cl1 email-domains "mail.example.net,example.com"
must "set chat-aliases" cluster set cl1 chat-aliases "conference-1.example.com"
DN="C=US|ST=California|L=San Jose|O=Example Corp|OU=UC Team"
PRESENCE="DNS:example.com DNS:presence.example.org"
S2S_DOMAINS="DNS:example.com DNS:presence.example.org DNS:mail.example.net DNS:conference-1.example.com"

# ==== single-server CSRs for every purpose of ucm, imp, cuc ===================================
extra_san() { # extra_san PURPOSE: the domain part of the SAN (SPEC §3.3)
	case "$1" in
	cup-xmpp | cup-xmpp-ECDSA) echo "$PRESENCE" ;;
	cup-xmpp-s2s | cup-xmpp-s2s-ECDSA) echo "$S2S_DOMAINS" ;;
	esac
}
csr_profile() { # NODE PURPOSE
	local node=$1 p=$2 label="CSR $2 on $1"
	gen "$label" --node "$node" --purpose "$p"
	check_csr "$label" "$T/csr.pem" "ku=$(ku_for "$p")" "eku=$(eku_for "$p")" \
		"san=DNS:$node $(extra_san "$p")" "subject=$DN|CN=$node" "ca=$(ca_for "$p")" \
		"key=$(key_for "$p")" "sig=$(sig_for "$p")" "json=$T/csr.json"
	LAST=$T/csr.json
	assert_eq "$label: JSON distribution" "single-server" "$(jout "d['distribution']")"
	# csr show --pem returns the pending request
	cfx csr show --node "$node" --purpose "$p" --pem
	assert_eq "$label: csr show --pem" "$(cat "$T/csr.pem")" "$OUT"
}
for p in tomcat tomcat-ECDSA CallManager CallManager-ECDSA CAPF TVS ipsec; do csr_profile $UCM1 "$p"; done
for p in $IMP_PURPOSES; do csr_profile $IMP1 "$p"; done
for p in tomcat ipsec; do csr_profile $CUC1 "$p"; done
for p in ITLRecovery authz; do
	cfx csr generate --node $UCM1 --purpose $p
	expect_rc "no CSR for the self-signed-only $p" 3
done

# cup-xmpp-s2s with federation wildcards: *.D for presence and e-mail domains, aliases unchanged
must "xmpp-federation-wildcards on" cluster set cl1 xmpp-federation-wildcards on
WILD="DNS:*.example.com DNS:*.presence.example.org DNS:*.mail.example.net DNS:conference-1.example.com"
for p in cup-xmpp-s2s cup-xmpp-s2s-ECDSA; do
	gen "CSR $p with wildcards" --node $IMP1 --purpose $p
	check_csr "CSR $p with wildcards" "$T/csr.pem" "san=DNS:$IMP1 $WILD" "eku=$EKU_SCI"
done
gen "CSR cup-xmpp with wildcards on" --node $IMP1 --purpose cup-xmpp
check_csr "CSR cup-xmpp with wildcards on (no wildcards in cup-xmpp)" "$T/csr.pem" "san=DNS:$IMP1 $PRESENCE"
gen "CSR cup-xmpp-s2s multi-server with wildcards" --node $IMP1 --purpose cup-xmpp-s2s --multi-server
check_csr "CSR cup-xmpp-s2s multi-server with wildcards" "$T/csr.pem" "san=DNS:$IMP1 DNS:$IMP2 $WILD" "cn=imp1-ms.$D"
must "xmpp-federation-wildcards off" cluster set cl1 xmpp-federation-wildcards off

# ==== multi-server (SPEC §1, §3.2, §3.3) ======================================================
multi() { # NODE PURPOSE CN SAN-NODES... ; EXTRA from $MEXTRA
	local node=$1 p=$2 cn=$3 label="multi-server CSR $2 on $1"
	shift 3
	gen "$label" --node "$node" --purpose "$p" --multi-server
	local nodes
	nodes=$(san_of "$@")
	check_csr "$label" "$T/csr.pem" "ku=$(ku_for "$p")" "eku=$(eku_for "$p")" "san=$nodes $MEXTRA" \
		"san_order=$nodes${MEXTRA:+ $MEXTRA}" "subject=$DN|CN=$cn" "key=$(key_for "$p")"
	assert_eq "$label: JSON distribution" "multi-server" "$(jout "d['distribution']")"
}
MEXTRA=""
multi $UCM1 tomcat ucm1-ms.$D $IMP1 $IMP2 $UCM1 $UCM2
multi $UCM1 tomcat-ECDSA ucm1-ms.$D $IMP1 $IMP2 $UCM1 $UCM2
multi $UCM1 CallManager ucm1-ms.$D $UCM1 $UCM2
multi $UCM1 CallManager-ECDSA ucm1-ms.$D $UCM1 $UCM2
MEXTRA=$PRESENCE
multi $IMP1 cup-xmpp imp1-ms.$D $IMP1 $IMP2
multi $IMP1 cup-xmpp-ECDSA imp1-ms.$D $IMP1 $IMP2
MEXTRA=$S2S_DOMAINS
multi $IMP1 cup-xmpp-s2s imp1-ms.$D $IMP1 $IMP2
multi $IMP1 cup-xmpp-s2s-ECDSA imp1-ms.$D $IMP1 $IMP2
MEXTRA=""

# on a subscriber: wrong state (5); for a purpose without multi-server: rejected (3)
cfx csr generate --node $UCM2 --purpose tomcat --multi-server
expect_rc "multi-server tomcat on the ucm subscriber" 5
cfx csr generate --node $UCM2 --purpose CallManager --multi-server
expect_rc "multi-server CallManager on the ucm subscriber" 5
cfx csr generate --node $IMP2 --purpose cup-xmpp --multi-server
expect_rc "multi-server cup-xmpp on the imp subscriber" 5
for p in TVS ipsec CAPF; do
	cfx csr generate --node $UCM1 --purpose $p --multi-server
	expect_rc "multi-server $p refused" 3
done
for p in cup cup-ECDSA; do
	cfx csr generate --node $IMP1 --purpose $p --multi-server
	expect_rc "multi-server $p refused" 3
done
cfx cert self-signed --node $UCM1 --purpose TVS --multi-server
expect_rc "self-signed multi-server TVS refused" 3

# a Unity Connection cluster: tomcat multi-server spans its cuc nodes
must "cluster add vm" cluster add vm
must "node add cuc publisher" node add cucpub.$D --cluster vm --product cuc --no-defaults
must "node add cuc subscriber" node add cucsub.$D --cluster vm --product cuc --no-defaults
gen "multi-server tomcat on cuc" --node cucpub.$D --purpose tomcat --multi-server
check_csr "multi-server tomcat on cuc" "$T/csr.pem" "san=DNS:cucpub.$D DNS:cucsub.$D" \
	"san_order=DNS:cucpub.$D DNS:cucsub.$D" "subject=CN=cucpub-ms.$D" "ku=$KU_RSA" "eku=$EKU_SC"
cfx csr generate --node cucsub.$D --purpose tomcat --multi-server
expect_rc "multi-server tomcat on the cuc subscriber" 5

# Meeting Server: shared and dbclient
must "cluster add cms" cluster add cms
must "node add cms1" node add cms1.$D --cluster cms --product cms --no-defaults
must "node add cms2" node add cms2.$D --cluster cms --product cms --no-defaults
gen "CSR shared on cms1" --node cms1.$D --purpose shared
check_csr "CSR shared on cms1" "$T/csr.pem" "ku=$KU_DSKE" "eku=$EKU_SC" "san=DNS:cms1.$D" "subject=CN=cms1.$D" \
	"ca=CA:FALSE" "key=RSA:2048"
gen "CSR shared multi-server on cms1" --node cms1.$D --purpose shared --multi-server
check_csr "CSR shared multi-server on cms1" "$T/csr.pem" "ku=$KU_DSKE" "eku=$EKU_SC" \
	"san_order=DNS:cms1.$D DNS:cms2.$D" "subject=CN=cms1-ms.$D"
gen "CSR dbclient on cms1" --node cms1.$D --purpose dbclient
check_csr "CSR dbclient on cms1" "$T/csr.pem" "ku=$KU_DSKE" "eku=clientAuth" "subject=CN=postgres" "san=" \
	"ca=CA:FALSE" "key=RSA:2048"

# ==== Expressway (SPEC §3.3) ==================================================================
# Expressway-C, not clustered (no cluster FQDN), with every setting that feeds some SAN
must "cluster add exc1" cluster add exc1
must "node add vcsc-a" node add vcsc-a.$D --cluster exc1 --product expressway-c --no-defaults
must "exc1 phone-security-profiles" cluster set exc1 phone-security-profiles "secure-7841.$D,sip-tls.profiles.$D"
must "exc1 chat-aliases" cluster set exc1 chat-aliases "chat.$D"
must "exc1 additional-names" cluster set exc1 additional-names "extra.$D"
must "exc1 ucm-registration-domains (E only)" cluster set exc1 ucm-registration-domains "$D"
must "exc1 xmpp-federation-domains (E only)" cluster set exc1 xmpp-federation-domains "fed.$D"
EXC_SAN="DNS:vcsc-a.$D DNS:secure-7841.$D DNS:sip-tls.profiles.$D DNS:chat.$D DNS:extra.$D"
for p in server server-ECDSA; do
	gen "Expressway-C $p not clustered" --node vcsc-a.$D --purpose $p
	check_csr "Expressway-C $p not clustered" "$T/csr.pem" "ku=$(ku_for $p)" "eku=$EKU_SC" \
		"san=$EXC_SAN" "subject=CN=vcsc-a.$D" "key=$(key_for $p)" "ca=CA:FALSE"
done
# the node's own FQDN in the SAN: the CA-signed certificate certfleet asked for validates for the
# node's name (with openssl as the CA, copying the request's extensions); uploading it, or making a
# self-signed one, has a restart plan that restarts the Expressway (seed 002)
gen "Expressway-C server for the CA" --node vcsc-a.$D --purpose server
openssl req -x509 -newkey rsa:2048 -nodes -keyout exp-ca.key -out exp-ca.pem -days 3650 -subj "/CN=Expressway Test CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl x509 -req -in "$T/csr.pem" -CA exp-ca.pem -CAkey exp-ca.key -days 365 -copy_extensions copy \
	-out exp-server.pem 2>/dev/null
cfx validate exp-server.pem --host vcsc-a.$D --ca-file exp-ca.pem --purpose server
expect_rc "the Expressway certificate certfleet asked for validates for the node's FQDN" 0
must "trust the Expressway CA" trust add --node vcsc-a.$D --store trusted-ca exp-ca.pem
cfx --json cert upload --node vcsc-a.$D --purpose server exp-server.pem
expect_rc "upload the Expressway-C server certificate" 0
assert_eq "upload: the restart plan restarts the Expressway" "restart Expressway vcsc-a.$D" \
	"$(json '" ".join("%s %s %s" % (s["action"], s.get("service", ""), s["node"]) for s in d["restart_plan"])' <"$LAST")"
cfx cert self-signed --node vcsc-a.$D --purpose server-ECDSA
expect_rc "self-signed Expressway-C server-ECDSA" 0
assert_contains "self-signed: the restart plan names the Expressway" "Expressway on vcsc-a.$D" "$OUT"
gen "Expressway-C server pending again" --node vcsc-a.$D --purpose server
# the EC server certificate: digitalSignature + keyAgreement
gen "Expressway-C server-ECDSA" --node vcsc-a.$D --purpose server-ECDSA
check_csr "Expressway-C server-ECDSA key usage" "$T/csr.pem" "ku=$KU_EC"
cfx csr generate --node vcsc-a.$D --purpose server --multi-server
expect_rc "multi-server Expressway server refused" 3

# a bad list entry is refused by `cluster set` itself (exit 3, naming the entry; the setting and the
# pending CSR unchanged), not first at CSR time
cfx csr show --node vcsc-a.$D --purpose server --pem
before=$OUT
cfx --json cluster show exc1
settings_before=$OUT
LONG=$(printf 'a%.0s' {1..64})
refuse_setting() { # KEY VALUE BAD-ENTRY
	cfx cluster set exc1 "$1" "$2"
	expect_rc "cluster set $1 \"$2\" refused" 3
	assert_contains "error names $3" "$3" "$ERR"
	assert_eq "error is one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
}
refuse_setting phone-security-profiles "secure-7841.$D,bad_name" bad_name
refuse_setting phone-security-profiles "secprofile" secprofile
refuse_setting phone-security-profiles "-bad.$D" "-bad.$D"
for bad in "$LONG.$D" "profile.example.123" "192.0.2.10" "bad..$D" "exa mple.com"; do
	refuse_setting phone-security-profiles "$bad" "$bad"
done
refuse_setting additional-names "not_valid.$D" "not_valid.$D"
refuse_setting chat-aliases "chat.$D,chat" "chat"
refuse_setting ucm-registration-domains "bad..domain" "bad..domain"
refuse_setting xmpp-federation-domains "exa mple.com" "exa mple.com"
cfx --json cluster show exc1
assert_eq "refused settings leave the cluster unchanged" "$settings_before" "$OUT"
cfx csr show --node vcsc-a.$D --purpose server --pem
assert_eq "refused settings keep the pending CSR" "$before" "$OUT"
must "exc1 63-character label" cluster set exc1 phone-security-profiles "${LONG:1}.$D"
gen "phone security profile with a 63-character label" --node vcsc-a.$D --purpose server
check_csr "phone security profile with a 63-character label" "$T/csr.pem" "san=DNS:vcsc-a.$D DNS:${LONG:1}.$D DNS:chat.$D DNS:extra.$D"
must "exc1 phone-security-profiles reset" cluster set exc1 phone-security-profiles "secure-7841.$D"
must "exc1 additional-names reset" cluster set exc1 additional-names ""

# Expressway-C clustered: CN = cluster FQDN, SAN = cluster FQDN + every peer (+ features)
must "cluster add exc2 --fqdn" cluster add exc2 --fqdn vcsc.$D
must "node add vcsc1" node add vcsc1.$D --cluster exc2 --product expressway-c --no-defaults
must "node add vcsc2" node add vcsc2.$D --cluster exc2 --product expressway-c --no-defaults
for n in vcsc1.$D vcsc2.$D; do
	gen "Expressway-C clustered on $n" --node $n --purpose server
	check_csr "Expressway-C clustered on $n" "$T/csr.pem" "san=DNS:vcsc.$D DNS:vcsc1.$D DNS:vcsc2.$D" \
		"subject=CN=vcsc.$D" "ku=$KU_DSKE" "eku=$EKU_SC"
done
must "exc2 phone-security-profiles" cluster set exc2 phone-security-profiles "secure.$D"
must "exc2 chat-aliases" cluster set exc2 chat-aliases "chat.$D"
gen "Expressway-C clustered with features" --node vcsc2.$D --purpose server-ECDSA
check_csr "Expressway-C clustered with features" "$T/csr.pem" \
	"san=DNS:vcsc.$D DNS:vcsc1.$D DNS:vcsc2.$D DNS:secure.$D DNS:chat.$D" "subject=CN=vcsc.$D" "ku=$KU_EC" \
	"key=EC:256:prime256v1"
# a cluster FQDN with one peer, or two peers without a cluster FQDN, is not clustered
must "cluster add exc3 --fqdn (one node)" cluster add exc3 --fqdn lonely.$D
must "node add vcsc-l" node add vcsc-l.$D --cluster exc3 --product expressway-c --no-defaults
gen "Expressway-C one node with a cluster FQDN" --node vcsc-l.$D --purpose server
check_csr "Expressway-C one node with a cluster FQDN" "$T/csr.pem" "san=DNS:vcsc-l.$D" "subject=CN=vcsc-l.$D"
must "cluster add exc4 (two nodes, no FQDN)" cluster add exc4
must "node add vcsc-m" node add vcsc-m.$D --cluster exc4 --product expressway-c --no-defaults
must "node add vcsc-n" node add vcsc-n.$D --cluster exc4 --product expressway-c --no-defaults
gen "Expressway-C two nodes without a cluster FQDN" --node vcsc-n.$D --purpose server
check_csr "Expressway-C two nodes without a cluster FQDN" "$T/csr.pem" "san=DNS:vcsc-n.$D" "subject=CN=vcsc-n.$D"
must "exc4 gets a cluster FQDN" cluster set exc4 fqdn vcsc4.$D
gen "Expressway-C two nodes, cluster FQDN set later" --node vcsc-m.$D --purpose server
check_csr "Expressway-C two nodes, cluster FQDN set later" "$T/csr.pem" "san=DNS:vcsc4.$D DNS:vcsc-m.$D DNS:vcsc-n.$D" \
	"subject=CN=vcsc4.$D"

# Expressway-E, not clustered
E=example.net
must "cluster add exe1" cluster add exe1
must "node add vcse-a" node add vcse-a.$E --cluster exe1 --product expressway-e --no-defaults
must "exe1 ucm-registration-domains" cluster set exe1 ucm-registration-domains "$D,example.org"
must "exe1 xmpp-federation-domains" cluster set exe1 xmpp-federation-domains "fed.$D"
must "exe1 chat-aliases" cluster set exe1 chat-aliases "chat.$D"
must "exe1 additional-names" cluster set exe1 additional-names "alt.$E,alt2.$E"
must "exe1 phone-security-profiles (C only)" cluster set exe1 phone-security-profiles "psp.$D"
EXE_FEAT="DNS:fed.$D DNS:chat.$D DNS:alt.$E DNS:alt2.$E"
for p in server server-ECDSA; do
	gen "Expressway-E $p (format dns)" --node vcse-a.$E --purpose $p
	check_csr "Expressway-E $p (format dns)" "$T/csr.pem" "san=DNS:vcse-a.$E DNS:$D DNS:example.org $EXE_FEAT" \
		"subject=CN=vcse-a.$E" "eku=$EKU_SC" "key=$(key_for $p)"
done
must "exe1 registration-domain-format collab-edge" cluster set exe1 registration-domain-format collab-edge
for p in server server-ECDSA; do
	gen "Expressway-E $p (format collab-edge)" --node vcse-a.$E --purpose $p
	check_csr "Expressway-E $p (format collab-edge)" "$T/csr.pem" \
		"san=DNS:vcse-a.$E DNS:collab-edge.$D DNS:collab-edge.example.org $EXE_FEAT" "subject=CN=vcse-a.$E"
done
cfx cluster set exe1 registration-domain-format srv
expect_rc "registration-domain-format must be dns or collab-edge" 3
# Expressway-E clustered
must "cluster add exe2 --fqdn" cluster add exe2 --fqdn vcse.$E
must "node add vcse1" node add vcse1.$E --cluster exe2 --product expressway-e --no-defaults
must "node add vcse2" node add vcse2.$E --cluster exe2 --product expressway-e --no-defaults
must "exe2 ucm-registration-domains" cluster set exe2 ucm-registration-domains "$D"
gen "Expressway-E clustered" --node vcse1.$E --purpose server
check_csr "Expressway-E clustered" "$T/csr.pem" "san=DNS:vcse.$E DNS:vcse1.$E DNS:vcse2.$E DNS:$D" \
	"subject=CN=vcse.$E" "ku=$KU_DSKE" "eku=$EKU_SC"
# the CSR view shows the alternative name as it will appear
cfx csr show --node vcse1.$E --purpose server
assert_contains "human CSR view" "alternative name as it will appear" "$OUT"

# an invalid presence domain is refused when it is set, naming it; the stored list stays
for bad in bad_domain "bad..domain" "exa mple.com"; do
	cfx cluster set cl1 presence-domains "example.com,$bad"
	expect_rc "presence-domains with $bad refused" 3
	assert_contains "error names $bad" "$bad" "$ERR"
done
cfx --json cluster show cl1
assert_contains "presence-domains unchanged" "presence.example.org" "$OUT"

# a distinguished name value with a comma stays one attribute value
must "cms dn.O with a comma" cluster set cms dn.O "Example, Inc."
gen "CSR with O=Example, Inc." --node cms2.$D --purpose shared
assert_eq "O with a comma (openssl RFC 2253)" 'subject=CN=cms2.example.com,O=Example\, Inc.' \
	"$(openssl req -in "$T/csr.pem" -noout -subject -nameopt RFC2253 2>&1)"

# ==== key, hash and subject options (SPEC §2 defaults and choices) =============================
gen "tomcat rsa:3072" --node $UCM1 --purpose tomcat --key rsa:3072
check_csr "tomcat rsa:3072" "$T/csr.pem" "key=RSA:3072" "sig=sha256WithRSAEncryption" "ku=$KU_RSA"
gen "tomcat sha384" --node $UCM1 --purpose tomcat --hash sha384
check_csr "tomcat sha384" "$T/csr.pem" "key=RSA:2048" "sig=sha384WithRSAEncryption"
assert_eq "tomcat sha384: JSON hash" "sha384" "$(jout "d['hash']")"
gen "tomcat sha512" --node $UCM1 --purpose tomcat --hash sha512
check_csr "tomcat sha512" "$T/csr.pem" "sig=sha512WithRSAEncryption"
gen "tomcat-ECDSA ec:secp384r1" --node $UCM1 --purpose tomcat-ECDSA --key ec:secp384r1
check_csr "tomcat-ECDSA ec:secp384r1" "$T/csr.pem" "key=EC:384:secp384r1" "sig=ecdsa-with-SHA256" "ku=$KU_EC"
gen "tomcat-ECDSA ec:secp521r1 sha384" --node $UCM1 --purpose tomcat-ECDSA --key ec:secp521r1 --hash sha384
check_csr "tomcat-ECDSA ec:secp521r1 sha384" "$T/csr.pem" "key=EC:521:secp521r1" "sig=ecdsa-with-SHA384"
cfx csr show --node $UCM1 --purpose tomcat-ECDSA --pem
printf '%s\n' "$OUT" >"$T/pending.pem"
cfx csr generate --node $UCM1 --purpose tomcat --hash sha1
expect_rc "--hash sha1 refused" 3
cfx csr generate --node $UCM1 --purpose tomcat --hash md5
expect_rc "--hash md5 refused" 3
cfx csr generate --node $UCM1 --purpose tomcat-ECDSA --key rsa:2048
expect_rc "RSA key for tomcat-ECDSA refused" 3
cfx csr generate --node $IMP1 --purpose cup-xmpp-ECDSA --key rsa:2048
expect_rc "RSA key for cup-xmpp-ECDSA refused" 3
cfx csr generate --node vcse-a.$E --purpose server-ECDSA --key rsa:3072
expect_rc "RSA key for server-ECDSA refused" 3
cfx csr generate --node $UCM1 --purpose tomcat --key ec:prime256v1
expect_rc "EC key for tomcat (RSA purpose) refused" 3
cfx csr generate --node $UCM1 --purpose tomcat --key rsa:1024
expect_rc "rsa:1024 refused" 3
cfx csr show --node $UCM1 --purpose tomcat-ECDSA --pem
assert_eq "refused CSR generate leaves the pending tomcat-ECDSA CSR" "$(cat "$T/pending.pem")" "$OUT"

# the decoded view says that EC keys use keyAgreement
cfx csr show --node $UCM1 --purpose tomcat-ECDSA
assert_contains "EC note in the decoded CSR view" "keyAgreement where RSA uses key/data encipherment" "$OUT"

# ==== the pending CSR: replaced by a new one, discarded (SPEC §1, §3.2) ========================
gen "tomcat CSR 1" --node $UCM2 --purpose tomcat
cp "$T/csr.pem" "$T/csr1.pem"
gen "tomcat CSR 2" --node $UCM2 --purpose tomcat
cp "$T/csr.pem" "$T/csr2.pem"
cfx csr show --node $UCM2 --purpose tomcat --pem
expect_rc "csr show after the second generate" 0
printf '%s\n' "$OUT" >"$T/shown.pem"
if cmp -s "$T/csr1.pem" "$T/shown.pem"; then fail "csr show still returns the first CSR"; else ok; fi
assert_eq "csr show returns the second CSR" "$(cat "$T/csr2.pem")" "$(cat "$T/shown.pem")"
k1=$(openssl req -in "$T/csr1.pem" -noout -pubkey 2>/dev/null || true)
k2=$(openssl req -in "$T/csr2.pem" -noout -pubkey 2>/dev/null || true)
if [ -n "$k1" ] && [ "$k1" != "$k2" ]; then ok; else fail "the second CSR re-used the first key"; fi
must "csr discard" csr discard --node $UCM2 --purpose tomcat
cfx csr show --node $UCM2 --purpose tomcat
expect_rc "csr show after discard (only one CSR was pending)" 5
cfx --json csr show --node $UCM2 --purpose tomcat
assert_eq "JSON error code after discard" "5" "$(jout "d['error']['code']")"
cfx csr discard --node $UCM2 --purpose tomcat
expect_rc "csr discard with nothing pending" 5
# --reuse-key keeps the current identity's key
gen "tomcat --reuse-key" --node $UCM2 --purpose tomcat --reuse-key
cfx cert show --node $UCM2 --purpose tomcat --pem
printf '%s\n' "$OUT" >"$T/cur.pem"
assert_eq "--reuse-key uses the current key" "$(openssl x509 -in "$T/cur.pem" -noout -pubkey 2>/dev/null)" \
	"$(openssl req -in "$T/csr.pem" -noout -pubkey 2>/dev/null)"

# ==== nothing printed ever held a private key (SPEC §3.2, §12) =================================
if grep -l "PRIVATE KEY" "$T"/log/* >/dev/null 2>&1; then
	fail "private key material in command output: $(grep -l "PRIVATE KEY" "$T"/log/* | head -3)"
else ok; fi

finish
