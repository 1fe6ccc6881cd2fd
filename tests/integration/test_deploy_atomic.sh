#!/usr/bin/env bash
# Deploys are all or nothing (SPEC §3.8, §12 "nothing lost"): a deploy killed or failing at any
# of its file operations leaves the old key/certificate/chain set or the new one, never a mix —
# or a journal from which the next deploy repairs it before anything else. The faults are real:
# strace kills the process (SIGKILL) or fails the call (EIO) at the N-th rename, link or unlink,
# for every N the deploy makes; `chattr +i` makes a directory refuse writes. Whether key and
# certificate belong together is decided by the openssl command (their public keys). Also:
# stale "*.tmp.*" files are removed by the next deploy, and ".prev" is the last set that
# reloaded successfully, not the last attempt.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || {
	fail "strace is not installed (scripts/deps.sh installs it)"
	finish
}

NODE=ucm1.example.com
D=$T/d
KEY=$D/private/tomcat.key CERT=$D/certs/tomcat.pem CHAIN=$D/certs/chain.pem
JOURNAL=$KEY.journal
SYS=rename,renameat,renameat2,link,linkat,unlink,unlinkat
on_exit 'chattr -i "$D/certs" 2>/dev/null; chmod -R u+w "$T" 2>/dev/null'
mkdir -p "$D/private" "$D/certs" "$T/gen" "$T/ca"

# ---- generations of the tomcat identity: Z and A self-signed (empty chain), B and C CA-signed --
new_store cl1
cf node add $NODE --cluster cl1 --product ucm --publisher >/dev/null
cd "$T/ca" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 -subj "/O=Example/CN=Root" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
	fail "openssl: root CA"
openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr -subj "/O=Example/CN=Issuing" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 -extfile int.ext \
	-out int.pem 2>/dev/null || fail "openssl: intermediate CA"
printf 'subjectAltName=DNS:%s\nkeyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
	$NODE >leaf.ext
cd - >/dev/null || exit 1
must "trust add root" trust add --node $NODE --store tomcat-trust "$T/ca/root.pem"
must "trust add intermediate" trust add --node $NODE --store tomcat-trust "$T/ca/int.pem"

# ca_identity NAME: a CA-signed tomcat identity with its own key, uploaded
ca_identity() {
	openssl req -new -newkey rsa:2048 -nodes -keyout "$T/ca/$1.key" -out "$T/ca/$1.csr" -subj "/CN=$NODE" 2>/dev/null
	openssl x509 -req -in "$T/ca/$1.csr" -CA "$T/ca/int.pem" -CAkey "$T/ca/int.key" -CAcreateserial -days 365 \
		-extfile "$T/ca/leaf.ext" -out "$T/ca/$1.pem" 2>/dev/null || fail "openssl: leaf $1"
	cat "$T/ca/$1.pem" "$T/ca/int.pem" >"$T/ca/$1-chain.pem"
	must "upload identity $1" cert upload --node $NODE --purpose tomcat "$T/ca/$1-chain.pem" --key "$T/ca/$1.key"
}
# remember NAME: the deployed files are generation NAME (checked with openssl first)
remember() {
	cp "$KEY" "$T/gen/$1.key"
	cp "$CERT" "$T/gen/$1.pem"
	cp "$CHAIN" "$T/gen/$1.chain"
	openssl x509 -in "$CERT" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 >"$T/gen/$1.sha"
	if [ "$(openssl pkey -in "$KEY" -pubout 2>/dev/null)" == "$(openssl x509 -in "$CERT" -noout -pubkey 2>/dev/null)" ] &&
		[ -n "$(cat "$T/gen/$1.pem")" ]; then ok; else fail "generation $1: the deployed key does not match its certificate"; fi
}
# pair_matches KEY CERT: the key's public key is the certificate's (openssl decides)
pair_matches() {
	local kp cp
	kp=$(openssl pkey -in "$1" -pubout 2>/dev/null || echo "no key")
	cp=$(openssl x509 -in "$2" -noout -pubkey 2>/dev/null || echo "no certificate")
	[ "$kp" == "$cp" ]
}
# which FILE EXT: the generation whose EXT file FILE is byte for byte, else "?" ("-" when missing)
which() {
	local g
	[ -e "$1" ] || {
		echo -
		return
	}
	for g in Z A B C; do
		if [ -e "$T/gen/$g.$2" ] && cmp -s "$1" "$T/gen/$g.$2"; then
			echo $g
			return
		fi
	done
	echo "?"
}
# generation KEY CERT CHAIN: "Z", "A", "B" or "C" when the three files are that generation's
# (whose key and certificate remember checked with openssl), "none" when none exists, else how
# they mix.
generation() {
	local k c
	k=$(which "$1" key)
	c=$(which "$2" pem)
	if [ "$k/$c" == "-/-" ] && [ ! -e "$3" ]; then
		echo none
	elif [ "$k" == "$c" ] && [ -e "$T/gen/$k.chain" ] && cmp -s "$3" "$T/gen/$k.chain"; then
		echo "$k"
	else
		echo "mixed: key $k, certificate $c, chain $(which "$3" chain)"
	fi
}
current() { generation "$KEY" "$CERT" "$CHAIN"; }
previous() { generation "$KEY.prev" "$CERT.prev" "$CHAIN.prev"; }
stale_temps() { find "$D" -name '*.tmp.*' | sort | xargs; }
# reset: the files as they were before the deploy under test (A in place, Z as .prev)
reset_files() {
	rm -rf "$D"
	cp -a "$T/pristine" "$D"
}

must "deploy-target set" deploy-target set --node $NODE --purpose tomcat --key "$KEY" --cert "$CERT" \
	--chain "$CHAIN" --reload true
must "self-signed Z" cert self-signed --node $NODE --purpose tomcat
must "deploy Z" deploy --node $NODE
remember Z
must "self-signed A" cert self-signed --node $NODE --purpose tomcat
must "deploy A" deploy --node $NODE
remember A
assert_eq "after deploying A: A in place" A "$(current)"
assert_eq "after deploying A: Z is .prev" Z "$(previous)"
assert_eq "key file mode" 600 "$(stat -c %a "$KEY")"
cp -a "$D" "$T/pristine"
ca_identity B
B_CHAIN=$(cat "$T/ca/int.pem")

# ---- 1. a SIGKILL, then an EIO, at every rename, link and unlink the deploy makes ----------------
# (strace counts each system call on its own: when=N is the N-th call of that one). LeakSanitizer
# cannot run under ptrace, so a sanitizer build checks leaks in the untraced deploys only: the
# repairs and redeploys after each fault.
traced() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"; }
traced -f -o "$T/count.trace" -e trace=$SYS "$CERTFLEET" deploy --node $NODE >/dev/null 2>&1 ||
	fail "deploy under strace (counting): $(tail -3 "$T/count.trace")"
remember B
assert_eq "a whole deploy: B in place" B "$(current)"
assert_eq "a whole deploy: A is .prev" A "$(previous)"
assert_eq "a whole deploy leaves no journal" "no" "$([ -e "$JOURNAL" ] && echo yes || echo no)"
declare -A CALLS
for sc in rename renameat renameat2 link linkat unlink unlinkat; do
	CALLS[$sc]=$(grep -cE "^[0-9]+ +$sc\(" "$T/count.trace" || true)
done
if [ "${CALLS[rename]}" -ge 6 ] && [ "${CALLS[link]}" -ge 3 ]; then ok; else
	fail "the deploy made fewer renames or links than its three files need: $(cat "$T/count.trace")"
fi

POINTS=0
for fault in signal=KILL error=EIO; do
	MIXED_WITH_JOURNAL=0
	for sc in "${!CALLS[@]}"; do
		[ "${CALLS[$sc]}" -gt 0 ] || continue
		for n in $(seq 1 "${CALLS[$sc]}"); do
			what="$fault at $sc $n of ${CALLS[$sc]}"
			POINTS=$((POINTS + 1))
			reset_files
			rc=0
			{ traced -f -o /dev/null -e trace=$sc -e inject=$sc:$fault:when=$n \
				"$CERTFLEET" deploy --node $NODE >"$T/fault.out" 2>"$T/fault.err"; } 2>/dev/null || rc=$?
			cur=$(current)
			prev=$(previous)
			# the oracle on what the service would load now: key and certificate agree (openssl),
			# unless the journal says a repair is due
			if pair_matches "$KEY" "$CERT" || [ -e "$JOURNAL" ]; then ok; else
				fail "$what: openssl: the key in place does not match the certificate, and no journal says so"
			fi
			if [ -e "$JOURNAL" ]; then
				# the deploy did not finish: whatever is on disk, the journal names it for the repair
				[ "$cur" != A ] && [ "$cur" != B ] && MIXED_WITH_JOURNAL=$((MIXED_WITH_JOURNAL + 1))
				if grep -q "PRIVATE" "$JOURNAL"; then fail "$what: the journal holds key material"; else ok; fi
			else
				case "$cur/$prev" in
				A/Z | B/A) ok ;;
				*) fail "$what: no journal, yet in place: [$cur], as .prev: [$prev]; stderr: $(cat "$T/fault.err")" ;;
				esac
			fi
			if [ "$fault" == error=EIO ]; then
				# a failed call is rolled back (or completed) by the deploy itself, with one error line
				case "$cur" in
				A | B) ok ;;
				*) fail "$what: in place after the failed deploy: [$cur]" ;;
				esac
				if [ "$rc" != 0 ] && [ "$(wc -l <"$T/fault.err")" != 1 ]; then
					fail "$what: not one error line: $(cat "$T/fault.err")"
				fi
			fi
			if [ "$rc" == 0 ] && [ "$cur" != B ]; then fail "$what: exit 0 but [$cur] in place"; fi
			# the next deploy repairs first, then deploys B; .prev is A, the last set that worked
			rc=0
			"$CERTFLEET" deploy --node $NODE >"$T/next.out" 2>"$T/next.err" || rc=$?
			assert_eq "$what: the next deploy exits 0 ($(cat "$T/next.err"))" 0 "$rc"
			assert_eq "$what: after the next deploy, in place" B "$(current)"
			assert_eq "$what: after the next deploy, .prev" A "$(previous)"
			assert_eq "$what: stale temp files after the next deploy" "" "$(stale_temps)"
			assert_eq "$what: journal after the next deploy" "no" "$([ -e "$JOURNAL" ] && echo yes || echo no)"
			assert_eq "$what: key file modes" "600 600" "$(stat -c %a "$KEY" "$KEY.prev" | xargs)"
		done
	done
	echo "$fault: $MIXED_WITH_JOURNAL points left a mixed set on disk, named by the journal and repaired next"
	if [ "$fault" == signal=KILL ]; then
		# the renames between the first and the last file are such points: the test reaches them
		[ "$MIXED_WITH_JOURNAL" -ge 2 ] && ok || fail "no kill point fell between the files' renames"
	fi
done
echo "fault points: $POINTS"

# ---- 2. a directory that refuses writes ---------------------------------------------------------
reset_files
if chattr +i "$D/certs" 2>/dev/null || { [ "$(id -u)" != 0 ] && chmod a-w "$D/certs"; }; then
	cfx deploy --node $NODE
	chattr -i "$D/certs" 2>/dev/null || chmod u+w "$D/certs"
	[ "$RC" != 0 ] && ok || fail "deploy into an unwritable certificate directory succeeded"
	assert_eq "unwritable directory: one error line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
	assert_contains "unwritable directory: the error names a file there" "$D/certs/" "$ERR"
	assert_eq "unwritable directory: A still in place" A "$(current)"
	assert_eq "unwritable directory: Z still .prev" Z "$(previous)"
	assert_eq "unwritable directory: no temp files left" "" "$(stale_temps)"
	must "deploy once the directory is writable again" deploy --node $NODE
	assert_eq "then B in place" B "$(current)"
	assert_eq "then A is .prev" A "$(previous)"
else
	echo "note: this file system cannot make a directory unwritable (chattr); the EIO faults above cover failed writes"
fi

# ---- 3. stale temp files of a killed deploy (private keys) are removed by the next deploy -------
reset_files
printf -- '-----BEGIN PRIVATE KEY-----\nstale\n-----END PRIVATE KEY-----\n' >"$KEY.tmp.Ab12Cd"
cp "$CERT" "$CERT.tmp.Ef34Gh"
touch "$JOURNAL.tmp.Ij56Kl"
must "deploy over stale temp files" deploy --node $NODE
assert_eq "stale temp files removed" "" "$(stale_temps)"
assert_eq "and B in place" B "$(current)"

# ---- 4. a journal certfleet cannot read: one error line, nothing changed ------------------------
reset_files
echo "not a journal" >"$JOURNAL"
cfx deploy --node $NODE
expect_rc "deploy with an unreadable journal" 5
assert_eq "unreadable journal: one error line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
assert_contains "unreadable journal: the error names it" "$JOURNAL" "$ERR"
assert_eq "unreadable journal: A still in place" A "$(current)"
assert_eq "unreadable journal: Z still .prev" Z "$(previous)"

# ---- 5. .prev is the last working set: failed reloads and a deploy killed by its reload ---------
reset_files
must "reload false" deploy-target set --node $NODE --purpose tomcat --reload false
cfx deploy --node $NODE
expect_rc "deploy with a failing reload" 6
assert_eq "failed reload: B in place" B "$(current)"
assert_eq "failed reload: A (the last that worked) is .prev" A "$(previous)"
cfx deploy --node $NODE
expect_rc "the same deploy retried, the reload failing again" 6
assert_eq "retried failed reload: .prev is still A, not B" A "$(previous)"
must "reload true" deploy-target set --node $NODE --purpose tomcat --reload true
must "deploy once the reload works" deploy --node $NODE
assert_eq "working reload: B in place" B "$(current)"
assert_eq "working reload: .prev is still A" A "$(previous)"
must "deploy B again" deploy --node $NODE
assert_eq "deploying the same files again keeps .prev A" A "$(previous)"
ca_identity C
must "deploy C" deploy --node $NODE
remember C
assert_eq "deploy C: .prev is B, which worked" B "$(previous)"

# a reload that kills certfleet itself: the next deploy must not take C for a working set
must "reload that kills certfleet" deploy-target set --node $NODE \
	--purpose tomcat --reload 'kill -KILL $PPID'
must "self-signed D (over the CA-signed C: forced)" cert self-signed --node $NODE --purpose tomcat --force
{ cfx deploy --node $NODE; } 2>/dev/null
[ "$RC" == 137 ] && ok || fail "the reload did not kill certfleet (exit $RC)"
[ -e "$JOURNAL" ] && ok || fail "no journal after a deploy killed during its reload"
assert_eq "killed during the reload: .prev is C" C "$(previous)"
must "reload true again" deploy-target set --node $NODE --purpose tomcat --reload true
must "self-signed E" cert self-signed --node $NODE --purpose tomcat
must "deploy after the killed reload" deploy --node $NODE
assert_contains "the interrupted deploy is reported" "interrupted deploy" "$OUT"
assert_eq "after the killed reload: .prev is still C (D never reloaded)" C "$(previous)"
[ -e "$JOURNAL" ] && fail "journal left after a working deploy" || ok

# nothing certfleet printed holds key material
if grep -rq "PRIVATE KEY" "$T/log" "$T/fault.out" "$T/fault.err" "$T/next.out" "$T/next.err"; then
	fail "key material in certfleet's output"
else ok; fi

finish
