#!/bin/sh
# A symbol's prefix is its folder or file (run by check-style.sh). The rule: every cf_ function
# declared in src/D/F.h is named cf_F_... or cf_D_..., or else by a word (cf_W_...) that no other
# header's functions use. So no two modules share a prefix (crypto/crl.h has cf_crl_, core/revocation/crlfetch.h cf_crlfetch_). A private header
# F_int.h belongs to F.h, and D/D_int.h to the whole folder D.
set -eu
cd "$(dirname "$0")/.."
find src -name '*.h' | sort | while read -r h; do
	# comments out, then the names of functions declared at the top level: cf_name( on a line
	# that is not a directive or a continuation (those are indented), and not a pointer (*cf_x)(
	sed -e ':a' -e '/\/\*/{' -e '/\*\//!{N;ba' -e '}' -e 's:/\*.*\*/::' -e 'ta' -e '}' "$h" |
		grep -E '^[A-Za-z_]' | grep -vE '^(#|typedef|extern)' | sed 's/([[:space:]]*\*[[:space:]]*cf_/(*/g' |
		grep -oE '(^|[^A-Za-z0-9_])cf_[A-Za-z0-9_]+[[:space:]]*\(' |
		sed -E 's/^[^c]*//; s/[[:space:]]*\($//' | sed "s|^|$h |"
done | awk '
	function base(p) { sub(/.*\//, "", p); return p }
	function dirof(p) { sub(/\/[^\/]*$/, "", p); return p }
	{
		h = $1; f = $2; d = dirof(h); folder = base(d); stem = base(h); sub(/\.h$/, "", stem)
		key = h
		if (stem ~ /_int$/) {
			b = stem; sub(/_int$/, "", b)
			key = (b == folder) ? d "/*" : d "/" b ".h"
			stem = b
		}
		p = ""
		if (index(f "_", "cf_" stem "_") == 1) p = stem
		else if (index(f "_", "cf_" folder "_") == 1) p = folder
		own = (p != "")
		if (!own) { p = f; sub(/^cf_/, "", p); sub(/_.*/, "", p) }
		n++; F[n] = f; H[n] = h; D[n] = d; K[n] = key; P[n] = p; O[n] = own; FO[n] = folder
	}
	END {
		for (i = 1; i <= n; i++) for (j = 1; j <= n; j++) {
			if (P[i] != P[j] || i == j) continue
			if (D[i] != D[j]) bad[i] = "also declared in " D[j] "/ (" F[j] ")"
			else if (K[i] != K[j] && P[i] != FO[i] && K[i] !~ /\*$/ && K[j] !~ /\*$/)
				bad[i] = "also declared in " H[j] " (" F[j] ")"
		}
		for (i = 1; i <= n; i++) {
			if (i in bad) { printf "check-prefixes: %s: %s: prefix cf_%s_ %s\n", H[i], F[i], P[i], bad[i]; status = 1 }
		}
		exit status
	}' >&2
