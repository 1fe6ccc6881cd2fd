#!/usr/bin/env bash
# Accounts (`certfleet user ...`) and the audit log (`certfleet audit`), SPEC §11 / issue 4 item 3:
# passwords come from stdin, are stored only as scrypt hashes (checked against Python's
# hashlib.scrypt as an independent oracle) and never printed; every change the command line
# makes, refused ones included, leaves one audit row without secrets.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
CERTFLEET=$(realpath "$CERTFLEET")
cd "$T" || exit 1

PW1='first-password-of-alice'
PW2='second password, with spaces'
UCM=ucm1.example.com
new_store

# stored_hash NAME: the password_hash column of a user, read from the store
stored_hash() { store_sql "SELECT password_hash FROM users WHERE name = '$1'"; }

# scrypt_ok PASSWORD HASH: recomputes the hash with hashlib.scrypt from the parameters in the string
scrypt_ok() {
	python3 - "$1" "$2" <<-'EOF2'
	import base64, hashlib, re, sys
	pw, stored = sys.argv[1], sys.argv[2]
	m = re.fullmatch(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)", stored)
	if not m:
	    print("bad format"); sys.exit()
	ln, r, p = int(m[1]), int(m[2]), int(m[3])
	salt, want = base64.b64decode(m[4]), base64.b64decode(m[5])
	got = hashlib.scrypt(pw.encode(), salt=salt, n=1 << ln, r=r, p=p, maxmem=1 << 30, dklen=len(want))
	print("ok" if got == want and len(salt) == 16 and len(want) == 32 else "mismatch")
	EOF2
}

# ---- users --------------------------------------------------------------------------------------

cfx user add alice --role admin <<<"$PW1"
expect_rc "user add via stdin" 0
H1=$(stored_hash alice)
assert_eq "hash is scrypt" '$scrypt$' "${H1:0:8}"
assert_eq "hash matches hashlib.scrypt" ok "$(scrypt_ok "$PW1" "$H1")"
assert_eq "hash is not of another password" mismatch "$(scrypt_ok "$PW2" "$H1")"

cfx --json user add bob --role read-only <<<"$PW1"
expect_rc "read-only user" 0
assert_eq "add json" read-only "$(json 'd["role"]' <"$LAST")"

cfx user add alice --role admin <<<"$PW1"
expect_rc "duplicate user" 5
cfx user add carol --role admin <<<'short-pw'
expect_rc "short password" 3
cfx user add carol --role root <<<"$PW1"
expect_rc "bad role" 3
cfx user add 'bad name' --role admin <<<"$PW1"
expect_rc "bad name" 3
cfx user add "$(printf 'a%.0s' {1..65})" --role admin <<<"$PW1"
expect_rc "name too long" 3
cfx user add carol --role admin </dev/null
expect_rc "no password on stdin" 3
cfx user add carol
expect_rc "no role" 2
assert_eq "refused adds stored nothing" 2 "$(store_sql 'SELECT count(*) FROM users')"

must "user list" user list
assert_contains "list shows alice" alice "$OUT"
assert_contains "list shows the role" read-only "$OUT"
must "user list json" --json user list
assert_eq "list json" '[["alice", "admin"], ["bob", "read-only"]]' \
	"$(json '[[u["name"], u["role"]] for u in d["items"]]' <"$LAST")"
assert_eq "list json has no hash field" '["created", "name", "role"]' "$(json 'sorted(d["items"][0])' <"$LAST")"

cfx user passwd alice <<<"$PW2"
expect_rc "passwd" 0
H2=$(stored_hash alice)
if [ "$H1" != "$H2" ]; then ok; else fail "passwd: the stored hash did not change"; fi
assert_eq "new hash is scrypt" '$scrypt$' "${H2:0:8}"
assert_eq "new hash is of the new password" ok "$(scrypt_ok "$PW2" "$H2")"
cfx user passwd alice <<<'too-short'
expect_rc "passwd short" 3
assert_eq "refused passwd changed nothing" "$H2" "$(stored_hash alice)"
cfx user passwd nobody <<<"$PW2"
expect_rc "passwd unknown" 4

must "user delete" user delete bob
must "list after delete" --json user list
assert_eq "bob is gone" '["alice"]' "$(json '[u["name"] for u in d["items"]]' <"$LAST")"
cfx user delete bob
expect_rc "delete unknown" 4

# ---- audit --------------------------------------------------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj "/CN=Audit Test CA" -days 30 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
echo "not a certificate" >junk.pem
BEFORE=$(store_sql 'SELECT count(*) FROM audit')
must "node add" node add $UCM --cluster cl1 --product ucm --publisher --no-defaults
must "trust add" trust add --node $UCM --store tomcat-trust ca.pem
cfx trust add --node $UCM --store tomcat-trust junk.pem
expect_rc "refused trust add" 3
REFUSED=${ERR#certfleet: }
must "read-only commands" cert list
must "audit json" --json audit --limit 3
assert_eq "audit rows newest first" '[["trust add", "tomcat-trust on ucm1.example.com"], ["trust add", "tomcat-trust on ucm1.example.com"], ["node add", "ucm1.example.com"]]' \
	"$(json '[[r["action"], r["object"]] for r in d["items"]]' <"$LAST")"
assert_eq "results" "[\"$REFUSED\", \"ok\", \"ok\"]" "$(json '[r["result"] for r in d["items"]]' <"$LAST")"
assert_contains "refused result names the file" "junk.pem" "$REFUSED"
assert_eq "one row per change" "$((BEFORE + 3))" "$(json 'd["total"]' <"$LAST")"
assert_eq "ids descending" True "$(json 'd["items"][0]["id"] > d["items"][1]["id"] > d["items"][2]["id"]' <"$LAST")"
assert_eq "fields" '["account", "action", "at", "client", "id", "object", "result"]' \
	"$(json 'sorted(d["items"][0])' <"$LAST")"
assert_eq "account is the OS user" "$(id -un)" "$(json 'd["items"][0]["account"]' <"$LAST")"
assert_eq "client" local "$(json 'd["items"][0]["client"]' <"$LAST")"
assert_eq "at is RFC 3339" True "$(json '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["items"][0]["at"]) is not None' <"$LAST")"

must "audit offset" --json audit --limit 2 --offset 1
assert_eq "offset skips the newest" '["ok", "ok"]' "$(json '[r["result"] for r in d["items"]]' <"$LAST")"
assert_eq "offset page" "node add" "$(json 'd["items"][1]["action"]' <"$LAST")"
cfx audit --limit 0
expect_rc "bad limit" 2

must "whole audit log" --json audit --limit 1000
assert_eq "user changes audited" \
	'[["user add", "alice", "ok"], ["user add", "bob", "ok"], ["user add", "alice", "alice: a user of that name already exists"], ["user passwd", "alice", "ok"], ["user delete", "bob", "ok"]]' \
	"$(json '[[r["action"], r["object"], r["result"]] for r in reversed(d["items"]) if r["action"].startswith("user") and (r["result"] == "ok" or "exists" in r["result"])]' <"$LAST")"
assert_eq "refused short password audited" True \
	"$(json 'any(r["action"] == "user add" and r["object"] == "carol" and "at least 12" in r["result"] for r in d["items"])' <"$LAST")"
must "human audit" audit
assert_contains "human audit" "trust add [tomcat-trust on $UCM]" "$OUT"

# ---- no secrets anywhere --------------------------------------------------------------------------

store_sql 'SELECT * FROM audit' >audit.txt
for secret in "$PW1" "$PW2" short-pw too-short 'PRIVATE KEY' 'BEGIN CERTIFICATE' 'not a certificate$'; do
	if grep -q -e "$secret" audit.txt "$T"/log/*; then fail "secret [$secret] found in the audit log or output"; else ok; fi
done
if grep -qF '$scrypt$' "$T"/log/*; then fail "a password hash was printed"; else ok; fi

finish
