/* libFuzzer target: what an ACME server sends (core/acme/messages.c). The input is read as a
 * directory, an order, an authorization and a problem document; whatever is accepted keeps the
 * promises the callers rely on (URLs http or https, tokens base64url, lists within bounds). */
#include <stdlib.h>
#include <string.h>

#include "core/acme/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void url_ok(const char *u)
{
	if (u != NULL && strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_err e;
	cf_acme_directory d;
	if (cf_acme_directory_parse("https://fuzz/dir", data, size, &d, &e) == CF_OK) {
		url_ok(d.new_nonce);
		url_ok(d.renewal_info);
		if (d.new_nonce == NULL || d.new_order == NULL || d.key_change == NULL)
			__builtin_trap();
		cf_acme_directory_free(&d);
	}
	cf_acme_order o;
	if (cf_acme_order_parse("https://fuzz/order", data, size, &o, &e) == CF_OK) {
		url_ok(o.finalize);
		url_ok(o.certificate);
		if (o.status == CF_ACME_VALID && o.certificate == NULL)
			__builtin_trap();
		for (size_t i = 0; i < o.authorizations.n; i++)
			url_ok(o.authorizations.v[i]);
		char line[512];
		cf_acme_problem_line(&o.error, line, sizeof(line));
		cf_acme_order_free(&o);
	}
	cf_acme_authz a;
	if (cf_acme_authz_parse("https://fuzz/authz", data, size, &a, &e) == CF_OK) {
		for (size_t i = 0; i < a.n_challenges; i++) {
			const char *t = a.challenges[i].token;
			url_ok(a.challenges[i].url);
			if (t != NULL &&
			    (t[0] == '\0' || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						       "0123456789-_") != strlen(t)))
				__builtin_trap(); /* a token becomes a path */
		}
		cf_acme_authz_free(&a);
	}
	int64_t start = 0, end = 0;
	if (cf_acme_renewal_info_parse("https://fuzz/ari", data, size, &start, &end, &e) == CF_OK && end <= start)
		__builtin_trap(); /* a window is refused unless it ends after it starts */
	cf_acme_problem p;
	if (cf_acme_problem_parse(data, size, &p)) {
		char line[512];
		cf_acme_problem_line(&p, line, sizeof(line));
		cf_acme_problem_free(&p);
	}
	return 0;
}
