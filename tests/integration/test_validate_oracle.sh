#!/usr/bin/env bash
# engines: sqlite — it uses no store (certfleet validate reads only files)
# `certfleet validate` against `openssl verify` (the oracle), SPEC §4 / §11, issue 3's acceptance:
# a corpus of ~3,300 leaf certificates generated at test time (gen_validate_corpus.py: DER written
# by hand, signed through libcrypto; ~5-10 s) under four roots and their intermediates: good,
# expired, not yet valid (also by 90 s either side of NOW), wrong issuer (a rogue root, a rogue
# chain, an impostor intermediate with a trusted one's name, with and without AKI), self-signed,
# missing intermediate, bad signature (one byte of the signature BIT STRING flipped), wrong EKU
# (clientAuth only), wrong KU, name mismatch (SAN, CN-only, wildcard one label only, IPv4/IPv6
# against IP SANs only, case-insensitive names), expired/not-yet-valid intermediate, expired root,
# CA:FALSE intermediate, CA without keyCertSign, pathLenConstraint exceeded, name constraints
# violated, unknown critical extension, renewed intermediate (an expired and a valid copy, same
# name and key), v1 and empty-subject leaves, GeneralizedTime dates; RSA-2048 and EC P-256 leaves
# under RSA and EC issuers.
#
# Leaves are grouped by the options they are validated with (host, CA file, untrusted file,
# purpose; the purpose follows the leaf key: tomcat for RSA, tomcat-ECDSA for EC, SPEC §2). Per
# group one `certfleet validate --batch DIR --json` and one
# `openssl verify -partial_chain -attime NOW [-purpose sslserver] [-verify_hostname|-verify_ip H]`
# run over all its files; then, for every leaf:
#   - openssl's verdict (and its error code) is what the case intends — the corpus is right;
#   - certfleet's verdict is what the case intends, and its failed checks name the intended check;
#   - certfleet and openssl agree. Every disagreement is a failure, printed with both outputs.
# Known, intended differences (not disagreements): certfleet's purposes are stricter than openssl's
# sslserver (serverAuth AND clientAuth; dataEncipherment on RSA keys, keyAgreement on EC keys;
# the key type bound to the purpose); those cases are named "stricter-*" and only their intent is
# checked. Also: --batch over one bundle of a group's leaves gives each index its file's verdict;
# a sample of single-mode runs (--json shape, chain[0].sha256, DER input, leaf + intermediate in
# one file, --untrusted, text output, the real clock, unparsable input -> exit 3) agrees with the
# batch verdict and with openssl. A concatenated-DER chain refused with exit 3 is noted, not failed
# (SPEC §3.4 leaves open whether a DER file may hold more than one certificate).
# Validity is judged at a fixed NOW: CERTFLEET_NOW for certfleet, -attime for openssl.
# ORACLE_KEEP=DIR keeps the corpus and every output (failures.txt lists every failure).
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
CERTFLEET=$(realpath "$CERTFLEET") # the script works inside $T
HERE=$(cd "$(dirname "$0")" && pwd)
command -v openssl >/dev/null || { echo "FAIL: $(basename "$0") needs the openssl command" >&2; exit 1; }
NOW=$(date +%s)
C=$T/corpus
SECONDS=0

python3 "$HERE/gen_validate_corpus.py" oracle "$C" --now "$NOW" --seed "${ORACLE_SEED:-20261122}"
echo "corpus generated in ${SECONDS} s"
cd "$C" || exit 1
mkdir -p out
export CERTFLEET_NOW=$NOW

# ---- per group: openssl verify (the oracle) and certfleet validate --batch ------------------------
# ossl_args HOST KIND CAFILE UNTRUSTED PURPOSE: the openssl verify options for a group
ossl_args() {
	OSSL=(-no-CApath -no-CAstore -partial_chain -attime "$NOW" -CAfile "$3")
	[[ $4 == - ]] || OSSL+=(-untrusted "$4")
	[[ $5 == - ]] || OSSL+=(-purpose sslserver)
	case $2 in
	dns) OSSL+=(-verify_hostname "$1") ;;
	ip) OSSL+=(-verify_ip "$1") ;;
	esac
}
cf_args() {
	CFA=(--ca-file "$3")
	[[ $4 == - ]] || CFA+=(--untrusted "$4")
	[[ $5 == - ]] || CFA+=(--purpose "$5")
	[[ $1 == - ]] || CFA+=(--host "$1")
}

while IFS=$'\t' read -r g host kind ca untrusted purpose; do
	ossl_args "$host" "$kind" "$ca" "$untrusted" "$purpose"
	orc=0
	openssl verify "${OSSL[@]}" g/"$g"/*.pem >"out/$g.ossl.out" 2>"out/$g.ossl.err" || orc=$?
	echo "$orc" >"out/$g.ossl.rc"
	cf_args "$host" "$kind" "$ca" "$untrusted" "$purpose"
	crc=0
	t0=$SECONDS
	"$CERTFLEET" validate --batch "g/$g" "${CFA[@]}" --json >"out/$g.cf.json" 2>"out/$g.cf.err" || crc=$?
	echo "$crc" >"out/$g.cf.rc"
	echo "group $g: $(find "g/$g" -name "*.pem" | wc -l) leaves; openssl exit $orc; certfleet --batch exit $crc ($((SECONDS - t0)) s)"
done <groups.tsv

# ---- one bundle of many leaves: the main-rsa group's leaves in one file, verdicts by index -------------
find g/main-rsa -name '*.pem' | sort >bundle.list
xargs cat <bundle.list >bundle.pem
"$CERTFLEET" validate --batch bundle.pem --ca-file roots.pem --untrusted ints.pem --purpose tomcat \
	--host www.example.com --json >out/bundle.cf.json 2>out/bundle.cf.err || true

# ---- the single-mode sample --------------------------------------------------------------------------
# A fixed-seed sample of batch leaves (up to 2 of every case of every group), then single.tsv.
python3 - >single-sample.tsv <<'EOF'
import random
rng = random.Random(7)
groups = {l.split("\t")[0]: l.rstrip("\n").split("\t") for l in open("groups.tsv")}
bycase = {}
for l in open("cases.tsv"):
    c = l.rstrip("\n").split("\t")
    bycase.setdefault((c[0], c[2]), []).append(c)
for key in sorted(bycase):
    for c in rng.sample(bycase[key], min(2, len(bycase[key]))):
        g = groups[c[0]]
        # file, host, kind, CA, untrusted, purpose, verdict intended, openssl file, openssl untrusted
        print("\t".join(["g/%s/%s" % (c[0], c[1]), g[1], g[2], g[3], g[4], g[5], c[3], "g/%s/%s" % (c[0], c[1]), g[4]]))
for l in open("single.tsv"):
    f, ca, u, host, v, leaf, ou, purpose = l.rstrip("\n").split("\t")
    print("\t".join([f, host, "dns", ca, u, purpose, v, leaf, ou]))
EOF
n=0
while IFS=$'\t' read -r f host kind ca untrusted purpose want ofile ountrusted; do
	n=$((n + 1))
	cf_args "$host" "$kind" "$ca" "$untrusted" "$purpose"
	rc=0
	"$CERTFLEET" validate "$f" "${CFA[@]}" --json >"out/single.$n.json" 2>"out/single.$n.err" || rc=$?
	ossl_args "$host" "$kind" "$ca" "$ountrusted" "$purpose"
	orc=0
	openssl verify "${OSSL[@]}" "$ofile" >"out/single.$n.ossl" 2>&1 || orc=$?
	sha=$(openssl x509 -in "$ofile" -outform DER | sha256sum | cut -d' ' -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$f" "$host" "$want" "$rc" "$orc" "$sha" >>single-results.tsv
done <single-sample.tsv
# text output (no --json) for one good and one failing leaf; unparsable input
good=$(awk -F'\t' '$3 == "good" && $1 == "main-rsa" { print "g/main-rsa/" $2; exit }' cases.tsv)
bad=$(awk -F'\t' '$3 == "expired" && $1 == "main-rsa" { print "g/main-rsa/" $2; exit }' cases.tsv)
assert_exit "single text mode, good leaf" 0 "$CERTFLEET" validate "$good" --ca-file roots.pem --untrusted ints.pem --purpose tomcat --host www.example.com
assert_contains "single text mode prints the identity check" identity "$(cat "$T/out")"
assert_exit "single text mode, expired leaf" 7 "$CERTFLEET" validate "$bad" --ca-file roots.pem --untrusted ints.pem --purpose tomcat --host www.example.com
assert_contains "single text mode names the failing check" validity "$(cat "$T/out")"
unset CERTFLEET_NOW
assert_exit "good leaf at the real current time (no CERTFLEET_NOW)" 0 "$CERTFLEET" validate "$good" --ca-file roots.pem --untrusted ints.pem --purpose tomcat --host www.example.com
assert_exit "expired leaf at the real current time" 7 "$CERTFLEET" validate "$bad" --ca-file roots.pem --untrusted ints.pem --purpose tomcat --host www.example.com
export CERTFLEET_NOW=$NOW
assert_exit "unparsable input: exit 3" 3 "$CERTFLEET" validate bad.pem --ca-file roots.pem
assert_contains "unparsable input: one 'certfleet: ' error line" "certfleet: " "$(head -n 1 "$T/err")"
head -c 2000 /dev/urandom >random.der
assert_exit "random bytes: exit 3" 3 "$CERTFLEET" validate random.der --ca-file roots.pem
rc=0
"$CERTFLEET" validate --batch bad.pem --ca-file roots.pem >"$T/out" 2>"$T/err" || rc=$?
assert_eq "--batch over an unparsable file: exit 7 (one failed item)" 7 "$rc"
# a bad file among good ones is one failed item: the batch goes on and names every file
mkdir -p mixed
cp bad.pem mixed/a-bad.pem
cp "$(find g -name '*.pem' | sort | head -1)" mixed/b-good.pem
printf '' >mixed/c-empty.pem
rc=0
"$CERTFLEET" --json validate --batch mixed --ca-file roots.pem --untrusted ints.pem >"$T/out" 2>"$T/err" || rc=$?
assert_eq "--batch with bad files: exit 7" 7 "$rc"
assert_eq "--batch with bad files: every file an item, in order" "mixed/a-bad.pem:unreadable mixed/b-good.pem:x mixed/c-empty.pem:unreadable" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join("%s:%s" % (i["file"], "unreadable" if i["outcome"] == "unreadable" else "x") for i in d["items"]))' "$T/out")"
assert_eq "--batch with bad files: summary" "2 3" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["summary"]["unreadable"], d["summary"]["total"])' "$T/out")"
rc=0
"$CERTFLEET" validate --batch mixed --ca-file roots.pem --untrusted ints.pem >"$T/out" 2>"$T/err" || rc=$?
assert_contains "--batch text names the bad file" "FAIL mixed/a-bad.pem: " "$(cat "$T/out")"
assert_contains "--batch text counts the files not read" "2 files not read" "$(cat "$T/out")"

# ---- the comparison -------------------------------------------------------------------------------------
python3 - "$NOW" >compare.out <<'EOF' || true
import json, os, re, sys
fails = []
notes = []
def fail(msg):
    fails.append(msg)
groups = [l.rstrip("\n").split("\t") for l in open("groups.tsv")]
cases = {}
for l in open("cases.tsv"):
    g, f, case, cf, cfc, ov, oe = l.rstrip("\n").split("\t")
    cases[(g, f)] = dict(case=case, cf=cf, cfc=cfc, ov=ov, oe=oe)
CHECKS = {"identity", "validity", "key-usage", "chain"}

def ossl_parse(g):
    """{basename: (verdict, [error codes], text)} from one openssl verify run over g/GROUP/*.pem"""
    res = {}
    for line in open("out/%s.ossl.out" % g, errors="replace"):
        m = re.match(r"^(\S+): OK$", line.rstrip("\n"))
        if m:
            res[os.path.basename(m.group(1))] = ("ok", [], "OK")
    pending, text = [], []
    for line in open("out/%s.ossl.err" % g, errors="replace"):
        line = line.rstrip("\n")
        text.append(line)
        m = re.match(r"^error (\d+) at (\d+) depth lookup: ", line)
        if m:
            pending.append(m.group(1))
            continue
        m = re.match(r"^error (\S+): verification failed$", line)
        if m:
            res[os.path.basename(m.group(1))] = ("fail", pending, " / ".join(t for t in text if t.startswith("error")))
            pending, text = [], []
    return res

total = agree = 0
tally = {}
for g, host, kind, ca, untrusted, purpose in groups:
    files = sorted(f for (gg, f) in cases if gg == g)
    osr = ossl_parse(g)
    orc = int(open("out/%s.ossl.rc" % g).read())
    crc = int(open("out/%s.cf.rc" % g).read())
    cferr = open("out/%s.cf.err" % g, errors="replace").read().strip()
    try:
        doc = json.load(open("out/%s.cf.json" % g))
    except Exception as ex:
        fail("group %s: certfleet validate --batch printed no JSON object (exit %d, stderr %r): %s"
             % (g, crc, cferr[:300], ex))
        doc = None
    items = {}
    if doc is not None:
        if not isinstance(doc, dict) or not isinstance(doc.get("summary"), dict) or not isinstance(doc.get("items"), list):
            fail("group %s: --batch --json is not {\"summary\":{...},\"items\":[...]}: %.300r" % (g, doc))
        else:
            for it in doc["items"]:
                if not isinstance(it, dict) or not {"file", "index", "ok", "failed", "message"} <= set(it):
                    fail("group %s: batch item without file/index/ok/failed/message: %.300r" % (g, it))
                    continue
                b = os.path.basename(str(it["file"]))
                if b in items:
                    fail("group %s: %s reported twice (or holds more than one certificate)" % (g, b))
                if it["index"] != 0:
                    fail("group %s: %s: index %r, expected 0 (one certificate per file)" % (g, b, it["index"]))
                if not isinstance(it["failed"], list) or not set(it["failed"]) <= CHECKS:
                    fail("group %s: %s: failed %r is not a list of check names" % (g, b, it["failed"]))
                if it["ok"] is not (len(it["failed"]) == 0):
                    fail("group %s: %s: ok %r but failed %r" % (g, b, it["ok"], it["failed"]))
                items[b] = it
            n_ok = sum(1 for it in items.values() if it["ok"] is True)
            s = doc["summary"]
            if s.get("ok") != n_ok:
                fail("group %s: summary ok=%r but %d items are ok (summary %.300r)" % (g, s.get("ok"), n_ok, s))
            if "total" in s and s["total"] != len(items):
                fail("group %s: summary total=%r but %d items" % (g, s["total"], len(items)))
            if set(items) - set(files):
                fail("group %s: certfleet reported files not in the group: %s" % (g, sorted(set(items) - set(files))[:5]))
    any_fail = False
    for f in files:
        c = cases[(g, f)]
        total += 1
        path = "g/%s/%s" % (g, f)
        o = osr.get(f)
        # 1. the oracle does what the case intends (else the corpus, not certfleet, is wrong)
        if o is None:
            fail("%s [%s]: no openssl verdict found" % (path, c["case"]))
        elif o[0] != c["ov"]:
            fail("%s [%s]: openssl says %s (%s), the case intends %s — corpus problem" % (path, c["case"], o[0], o[2], c["ov"]))
        elif o[0] == "fail" and not set(c["oe"].split("|")) & set(o[1]):
            fail("%s [%s]: openssl failed with error(s) %s (%s), the case intends one of %s" % (path, c["case"], o[1], o[2], c["oe"]))
        it = items.get(f)
        if it is None:
            if doc is not None:
                fail("%s [%s]: no certfleet --batch item" % (path, c["case"]))
            continue
        v = "ok" if it["ok"] else "fail"
        any_fail |= v == "fail"
        cfdesc = "certfleet ok=%s failed=%s message=%r" % (json.dumps(it["ok"]), json.dumps(it["failed"]), it["message"])
        # 2. certfleet does what the case intends
        if v != c["cf"]:
            fail("%s [%s]: %s; the case intends %s%s" % (path, c["case"], cfdesc, c["cf"],
                 "" if c["cf"] == "ok" else " (check %s)" % c["cfc"]))
        elif v == "fail" and c["cfc"] != "*" and not set(c["cfc"].split("|")) & set(it["failed"]):
            fail("%s [%s]: %s; the intended failing check is %s" % (path, c["case"], cfdesc, c["cfc"]))
        # 3. certfleet agrees with openssl (except the intended purpose differences)
        if o is not None and not c["case"].startswith("stricter-"):
            if v != o[0]:
                fail("DISAGREEMENT %s [%s]: %s; openssl: %s" % (path, c["case"], cfdesc, o[2]))
            else:
                agree += 1
        tally.setdefault((g, c["case"]), [0, 0])[v == c["cf"]] += 1
    want_rc = 7 if any_fail else 0
    if doc is not None and crc != want_rc:
        fail("group %s: certfleet validate --batch exited %d, expected %d (stderr %r)" % (g, crc, want_rc, cferr[:200]))
    if orc == 0 and any(o[0] == "fail" for o in osr.values()):
        fail("group %s: openssl exited 0 though leaves failed" % g)

# one bundle: item i of bundle.pem has the verdict of the i-th file of the main-rsa group
try:
    bl = [l.strip() for l in open("bundle.list")]
    bd = json.load(open("out/bundle.cf.json"))
    got = {it["index"]: it["ok"] for it in bd["items"]}
    per = {}
    for it in json.load(open("out/main-rsa.cf.json"))["items"]:
        per[os.path.basename(str(it["file"]))] = it["ok"]
    if sorted(got) != list(range(len(bl))):
        fail("--batch bundle.pem: indexes %s..., expected 0..%d" % (sorted(got)[:5], len(bl) - 1))
    wrong = [(i, bl[i]) for i in range(len(bl)) if i in got and got[i] != per.get(os.path.basename(bl[i]))]
    for i, f in wrong[:10]:
        fail("--batch bundle.pem: certificate %d (%s) ok=%s, but ok=%s as its own file" % (i, f, got[i], per.get(os.path.basename(f))))
except Exception as ex:
    fail("--batch over one bundle of %s leaves: no usable JSON: %s; stderr %.200r"
         % ("the main-rsa", ex, open("out/bundle.cf.err", errors="replace").read()))

# single-mode sample
batch = {}
for g, *_ in groups:
    try:
        for it in json.load(open("out/%s.cf.json" % g))["items"]:
            batch["g/%s/%s" % (g, os.path.basename(str(it["file"])))] = it["ok"]
    except Exception:
        pass
nsingle = 0
for l in open("single-results.tsv"):
    n, f, host, want, rc, orc, sha = l.rstrip("\n").split("\t")
    nsingle += 1
    rc, orc = int(rc), int(orc)
    raw = open("out/single.%s.json" % n, errors="replace").read()
    err = open("out/single.%s.err" % n, errors="replace").read().strip()
    ossl = open("out/single.%s.ossl" % n, errors="replace").read().strip().replace("\n", " / ")
    v = {0: "ok", 7: "fail"}.get(rc, "exit %d" % rc)
    ov = "ok" if orc == 0 else "fail"
    base = os.path.basename(f)
    case = base.split("-", 1)[1].rsplit(".", 1)[0]
    if case == "chain-in-file-der" and rc == 3:
        # SPEC §3.4: "PEM or DER; a file may hold the leaf followed by its chain" — certfleet reads
        # a DER file as exactly one certificate; a refusal (exit 3) is reported, not failed.
        notes.append("single %s: concatenated DER chain refused (exit 3): %s" % (f, err))
        continue
    try:  # a short account of certfleet's answer: the failing checks and their messages
        dd = json.loads(raw)
        short = "; ".join("%s: %s" % (c["check"], c["message"]) for c in dd["checks"] if c.get("ok") is not True) or "all checks ok"
    except Exception:
        short = "stdout %.300r stderr %.200r" % (raw, err)
    if v != want:
        fail("single %s [%s]: certfleet validate exit %d (%s: %s), the case intends %s" % (f, case, rc, v, short, want))
    if not case.startswith("stricter-") and v in ("ok", "fail") and v != ov:
        fail("DISAGREEMENT single %s [%s]: certfleet exit %d (%s); openssl: %s" % (f, case, rc, short, ossl))
    if f in batch and (v == "ok") != batch[f]:
        fail("single %s [%s]: single mode says %s, --batch says ok=%s" % (f, case, v, batch[f]))
    try:
        d = json.loads(raw)
    except Exception as ex:
        fail("single %s: --json output is not one JSON object: %s: %.200r" % (f, ex, raw))
        continue
    if not isinstance(d, dict) or not isinstance(d.get("ok"), bool) or not isinstance(d.get("checks"), list) \
            or not isinstance(d.get("chain"), list):
        fail("single %s: --json lacks ok/checks/chain: %.400r" % (f, d))
        continue
    if d["ok"] != (rc == 0):
        fail("single %s: --json ok=%s but exit %d" % (f, d["ok"], rc))
    names = []
    for ch in d["checks"]:
        if not isinstance(ch, dict) or not isinstance(ch.get("check"), str) or not isinstance(ch.get("ok"), bool) \
                or not isinstance(ch.get("message"), str):
            fail("single %s: bad check entry %.200r" % (f, ch))
            continue
        names.append(ch["check"])
    if d["ok"] != all(ch.get("ok") is True for ch in d["checks"]):
        fail("single %s: ok=%s disagrees with its checks %.400r" % (f, d["ok"], d["checks"]))
    if not {"validity", "chain"} <= set(names):
        fail("single %s: checks %s lack validity and chain" % (f, names))
    if host != "-" and "identity" not in names:
        fail("single %s: --host given but no identity check in %s" % (f, names))
    if not d["chain"] or not all(isinstance(e, dict) and {"subject", "issuer", "sha256"} <= set(e) for e in d["chain"]):
        fail("single %s: chain entries need subject, issuer, sha256: %.300r" % (f, d["chain"]))
    elif str(d["chain"][0]["sha256"]).lower().replace(":", "") != sha:
        fail("single %s: chain[0].sha256 %s is not the leaf's SHA-256 %s" % (f, d["chain"][0]["sha256"], sha))
    elif v == "ok" and len(d["chain"]) < 2:
        fail("single %s: a valid leaf's chain should reach its anchor: %.300r" % (f, d["chain"]))

print("compared %d batch leaves (%d agreeing with openssl outside the stricter-purpose cases) and %d single-mode runs"
      % (total, agree, nsingle))
print("cases (group/case: as intended, not):")
print("  " + ", ".join("%s/%s %d/%d" % (g, c, v[1], v[0]) for (g, c), v in sorted(tally.items())))
open("failures.txt", "w").write("".join(m + "\n" for m in fails))
bycase = {}
for m in fails:
    mm = re.search(r"\[([^\]]+)\]", m)
    k = ("disagreement " if m.startswith("DISAGREEMENT") else "") + (mm.group(1) if mm else m[:60])
    bycase[k] = bycase.get(k, 0) + 1
if bycase:
    print("failures by case: " + ", ".join("%s %d" % kv for kv in sorted(bycase.items())))
if len(fails) > 60:
    shown = fails[:60] + ["... and %d more" % (len(fails) - 60)]
else:
    shown = fails
for m in sorted(set(notes)):
    print("NOTE: " + m)
for m in shown:
    print("FAIL: " + m)
print("RESULT %d %d" % (total + nsingle, len(fails)))
EOF
cat compare.out
res=$(awk '$1 == "RESULT" { print $3 }' compare.out)
if [[ -z $res ]]; then
	fail "the comparison script did not finish"
elif [[ $res -ne 0 ]]; then
	fail "$res disagreements or unintended verdicts (listed above)"
else
	ok
fi
if [[ -n ${ORACLE_KEEP:-} ]]; then # keep the corpus and every output for a closer look
	rm -rf "$ORACLE_KEEP" && cp -a "$C" "$ORACLE_KEEP" && echo "corpus and outputs kept in $ORACLE_KEEP (failures.txt: every failure)"
fi
echo "total ${SECONDS} s"
finish
