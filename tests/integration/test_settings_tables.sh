#!/usr/bin/env bash
# The settings groups as tables (core/model/fields.h): for each group (monitor, revocation, the CRL
# schedule) every field is set through its config command and through PUT, and `show --json`
# agrees with GET each time; a bad value is refused naming the field (its JSON name, never a CLI
# option) on the command line and in the API, and changes nothing. Every option the config
# command's --help lists is a row of this test, so a field added without a test fails here.
. "$(dirname "$0")/lib.sh"
trap 'echo "FAIL: $(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
: "${CERTFLEETD:?set CERTFLEETD to the certfleetd binary (ctest does)}"
CERTFLEET=$(realpath "$CERTFLEET")
CERTFLEETD=$(realpath "$CERTFLEETD")
cd "$T" || exit 1

PW_ADMIN='admin password of the settings test'
new_store
cf node add ucm1.example.com --cluster cl1 --product ucm --publisher >/dev/null
cf user add admin --role admin <<<"$PW_ADMIN" >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=SMTP-CA 2>/dev/null
start_certfleetd
B=$T/body.json
req() { CODE=$(curl -sk --max-time 60 -o "$B" -w '%{http_code}' "$@") || CODE="curl failed"; }
jb() { json "$1" <"$B" 2>/dev/null || echo "(not JSON: $(head -c 200 "$B"))"; }
CSRF=$(curl -sk -c admin.jar -H 'Content-Type: application/json' \
	-d "{\"user\":\"admin\",\"password\":\"$PW_ADMIN\"}" "$BASE/login" | json 'd["csrf"]')
A=(-b admin.jar -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json')

# Each row: group route option CLI-value field JSON-value shown bad-CLI-value bad-JSON-value.
# shown is the field's value in show/GET as Python prints it ("-" for a flag or a secret: their
# own checks follow). Two rows a field: the CLI sets the first value, the API the second.
ROWS=(
	"monitor monitor start-days 20 start_days 14 14 0 \"14\""
	"monitor monitor frequency 12h frequency \"2d\" 2d 90m \"0h\""
	"monitor monitor email off email true True maybe \"on\""
	"monitor monitor emails a@example.com;b@example.org emails [\"c@example.com\",\"d@example.org\"] - bad@@x \"x@@y\""
	"monitor monitor lsc on lsc false False yes 1"
	"monitor monitor smtp mail.example.com:587 smtp \"mx.example.com:25\" mx.example.com:25 mail:0 \"a_b:25\""
	"monitor monitor smtp-tls implicit smtp_tls \"none\" none ssl \"tls\""
	"monitor monitor smtp-user mon smtp_user \"certfleet\" certfleet - 5"
	"monitor monitor smtp-password-stdin - smtp_password \"pw-of-the-api\" - - 5"
	"monitor monitor smtp-ca $T/ca.pem smtp_ca \"\" - $T/missing.pem \"$T/missing.pem\""
	"monitor monitor from mon@example.com from \"pki@example.com\" pki@example.com nobody \"nobody\""
	"revocation revocation ocsp on ocsp false False maybe \"on\""
	"revocation revocation ocsp-uri http://ocsp.example.com/ ocsp_uri \"http://r.example.com/\" http://r.example.com/ ftp://x \"ftp://x\""
	"revocation revocation ocsp-from-cert - ocsp_from_cert true - - \"yes\""
	"revocation revocation check off check true True maybe 0"
	"revocation revocation interval 90m interval \"12h\" 12h 5s \"12x\""
	"revocation revocation strict on strict false False yes \"off\""
	"revocation revocation fallback revoked fallback \"not-revoked\" not-revoked maybe \"maybe\""
	"revocation revocation timeout 20 timeout 30 30 301 \"ten\""
	"crl crl-schedule daily-at 03:30 daily_at \"04:45\" 04:45 25:00 \"7\""
	"crl crl-schedule use-cdp on use_cdp false False yes \"on\""
)
show() { cf --json "$1" "$([ "$1" = crl ] && echo config || echo show)" | json 'd'; }
api_get() { req -b admin.jar "$BASE/$1" && jb 'd'; }

# every option of each config command is a row here
for group in monitor revocation crl; do
	HELP_OPTS=$(cf "$group" config --help | sed -n '/^options:/,$s/^  --\([a-z-]*\).*/\1/p' | sort)
	ROW_OPTS=$(for r in "${ROWS[@]}"; do set -- $r; if [ "$1" = "$group" ]; then echo "$3"; fi; done | sort)
	assert_eq "$group config: every option of its --help is tested" "$HELP_OPTS" "$ROW_OPTS"
done

for r in "${ROWS[@]}"; do
	# shellcheck disable=SC2086
	set -- $r
	group=$1 route=$2 opt=$3 cli_val=$4 field=$5 json_val=$6 shown=$7 bad_cli=$8 bad_json=$9
	# through the CLI
	if [ "$opt" = smtp-password-stdin ]; then
		cfx --json "$group" config --"$opt" <<<"pw-of-the-cli"
		assert_eq "--$opt: set" True "$(json 'd["smtp_password_set"]' <"$LAST")"
	elif [ "$cli_val" = - ]; then
		cfx --json "$group" config --"$opt"
	else
		cfx --json "$group" config --"$opt" "$cli_val"
	fi
	expect_rc "$group config --$opt" 0
	assert_eq "$group config --$opt prints what show prints" "$(show "$group")" "$(json 'd' <"$LAST")"
	assert_eq "GET /$route agrees with $group show after --$opt" "$(show "$group")" "$(api_get "$route")"
	# through the API
	req "${A[@]}" -X PUT -d "{\"$field\": $json_val}" "$BASE/$route"
	assert_eq "PUT /$route $field" 200 "$CODE"
	assert_eq "PUT /$route $field answers what $group show prints" "$(show "$group")" "$(jb 'd')"
	[ "$shown" = - ] || assert_eq "PUT /$route $field: the value" "$shown" "$(jb "d[\"$field\"]")"
	BEFORE=$(show "$group")
	# refused values name the field, and change nothing
	if [ "$bad_cli" != - ]; then
		cfx "$group" config --"$opt" "$bad_cli"
		assert_eq "$group config --$opt $bad_cli refused" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
		assert_contains "$group config --$opt $bad_cli: names $field" "certfleet: $field: " "$ERR"
		assert_eq "$group config --$opt $bad_cli: no option named" "" "$(grep -o -- "--$opt" <<<"$ERR" || true)"
	fi
	req "${A[@]}" -X PUT -d "{\"$field\": $bad_json}" "$BASE/$route"
	assert_eq "PUT /$route $field=$bad_json refused" "400 $field" "$CODE $(jb 'd["error"]["field"]')"
	assert_contains "PUT /$route $field=$bad_json: the message names it" "$field: " "$(jb 'd["error"]["message"]')"
	assert_eq "refusals of $field changed nothing" "$BEFORE" "$(show "$group")"
done

# the secret: only whether it is set, never the value
assert_eq "the SMTP password is never shown" "" \
	"$(grep -rlF -e pw-of-the-api -e pw-of-the-cli "$T/log" "$B" "$T/daemon.err" 2>/dev/null || true)"
assert_eq "  nor audited" "" "$(cf --json audit --limit 500 | grep -F -e pw-of-the-api -e pw-of-the-cli || true)"
# fields that exclude each other: one of them named
cfx revocation config --ocsp-uri http://a.example/ --ocsp-from-cert
expect_rc "--ocsp-uri with --ocsp-from-cert" 2
assert_contains "  names the field" "certfleet: ocsp_uri: " "$ERR"
req "${A[@]}" -X PUT -d '{"ocsp_uri":"http://a.example/","ocsp_from_cert":true}' "$BASE/revocation"
assert_eq "ocsp_uri with ocsp_from_cert" "400 ocsp_uri" "$CODE $(jb 'd["error"]["field"]')"
finish
