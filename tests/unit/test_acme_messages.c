/* ACME's documents (core/acme/messages.h): RFC 8555's own examples (§7.1.1, §7.1.3, §7.1.4) and
 * documents shaped like pebble's, read whole; documents that break a rule refused whole, naming
 * the URL and the member; the protected header as JSON that jansson reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/acme/messages.h"

#ifndef CORPUS
#error CORPUS names tests/fuzz/corpus/acme
#endif

/* A corpus file's bytes (malloc'd, NUL-terminated) and its length. */
static char *corpus(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

#define DOC(s) (const uint8_t *)(s), strlen(s)

static void test_directory(void **state)
{
	(void)state;
	size_t len = 0;
	char *body = corpus("directory.json", &len);
	cf_acme_directory d;
	cf_err e = {0};
	assert_int_equal(cf_acme_directory_parse("https://example.com/dir", (uint8_t *)body, len, &d, &e), CF_OK);
	assert_string_equal(d.new_nonce, "https://example.com/acme/new-nonce");
	assert_string_equal(d.new_order, "https://example.com/acme/new-order");
	assert_string_equal(d.key_change, "https://example.com/acme/key-change");
	assert_string_equal(d.renewal_info, "https://example.com/acme/renewal-info");
	assert_string_equal(d.terms_of_service, "https://example.com/acme/terms/2017-5-30");
	assert_false(d.eab_required);
	assert_int_equal(d.profiles.n, 3);
	assert_string_equal(d.profiles.v[0], "classic");
	assert_string_equal(d.profiles.v[2], "tlsserver");
	cf_acme_directory_free(&d);
	free(body);

	/* pebble 2.4: no renewalInfo, no profiles, externalAccountRequired false */
	const char *pebble =
		"{\"keyChange\":\"https://127.0.0.1:14000/rollover-account-key\",\"meta\":{"
		"\"externalAccountRequired\":false,\"termsOfService\":\"data:text/plain,Do%20what%20you%20want\"},"
		"\"newAccount\":\"https://127.0.0.1:14000/sign-me-up\",\"newNonce\":\"https://127.0.0.1:14000/"
		"nonce-plz\","
		"\"newOrder\":\"https://127.0.0.1:14000/order-plz\",\"revokeCert\":\"https://127.0.0.1:14000/"
		"revoke-cert\"}";
	assert_int_equal(cf_acme_directory_parse("https://127.0.0.1:14000/dir", DOC(pebble), &d, &e), CF_OK);
	assert_null(d.renewal_info);
	assert_int_equal(d.profiles.n, 0);
	assert_string_equal(d.terms_of_service, "data:text/plain,Do%20what%20you%20want");
	assert_string_equal(d.revoke_cert, "https://127.0.0.1:14000/revoke-cert");
	cf_acme_directory_free(&d);

	/* refused whole, naming the URL and the member */
	static const struct {
		const char *doc, *says;
	} bad[] = {
		{"[1,2]", "not a JSON object"},
		{"{\"newNonce\":\"https://a/n\"}", "newAccount is missing"},
		{"{\"newNonce\":\"ftp://a/n\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\","
		 "\"revokeCert\":\"https://a/r\",\"keyChange\":\"https://a/k\"}",
		 "newNonce is not an http or https URL"},
		{"{\"newNonce\":\"https://a/n\\nX-Injected: "
		 "1\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\","
		 "\"revokeCert\":\"https://a/r\",\"keyChange\":\"https://a/k\"}",
		 "newNonce is not one line of text"},
		{"{\"newNonce\":\"https://a/n\",\"newNonce\":\"https://b/n\"}", "not a JSON object"},
		{"{\"newNonce\":\"https://a/n\",\"newAccount\":\"https://a/a\",\"newOrder\":\"https://a/o\","
		 "\"revokeCert\":\"https://a/r\",\"keyChange\":\"https://a/"
		 "k\",\"meta\":{\"externalAccountRequired\":\"yes\"}}",
		 "externalAccountRequired is not true or false"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf_err be = {0};
		assert_int_equal(cf_acme_directory_parse("https://ca.example/dir", DOC(bad[i].doc), &d, &be),
				 CF_E_REMOTE);
		assert_string_equal(be.subject, "https://ca.example/dir");
		if (strstr(be.message, bad[i].says) == NULL)
			fail_msg("%s: [%s] not in [%s]", bad[i].doc, bad[i].says, be.message);
		assert_null(d.new_nonce); /* nothing kept */
	}
}

static void test_orders(void **state)
{
	(void)state;
	size_t len = 0;
	char *body = corpus("order.json", &len);
	cf_acme_order o;
	cf_err e = {0};
	assert_int_equal(
		cf_acme_order_parse("https://example.com/acme/order/TOlocE8rfgo", (uint8_t *)body, len, &o, &e), CF_OK);
	assert_int_equal(o.status, CF_ACME_VALID);
	assert_string_equal(cf_acme_status_name(o.status), "valid");
	assert_string_equal(o.certificate, "https://example.com/acme/cert/mAt3xBGaobw");
	assert_string_equal(o.finalize, "https://example.com/acme/order/TOlocE8rfgo/finalize");
	assert_int_equal(o.identifiers.n, 2);
	assert_string_equal(o.identifiers.v[1], "example.org");
	assert_int_equal(o.authorizations.n, 2);
	assert_null(o.error.type);
	cf_acme_order_free(&o);
	free(body);

	body = corpus("order-invalid.json", &len);
	assert_int_equal(cf_acme_order_parse("https://127.0.0.1:14000/order/1", (uint8_t *)body, len, &o, &e), CF_OK);
	assert_int_equal(o.status, CF_ACME_INVALID);
	assert_null(o.certificate);
	assert_true(cf_acme_problem_is(&o.error, "unauthorized"));
	assert_int_equal(o.error.status, 403);
	assert_int_equal(o.error.sub.n, 1);
	assert_string_equal(o.error.sub.v[0], "ucm1.example.com: connection refused");
	char line[256];
	cf_acme_problem_line(&o.error, line, sizeof(line));
	assert_string_equal(line, "Incorrect validation (unauthorized)");
	cf_acme_order_free(&o);
	free(body);

	/* a valid order without its certificate URL, an unknown status, another identifier type */
	static const char *const bad[] = {
		"{\"status\":\"valid\",\"identifiers\":[],\"authorizations\":[],\"finalize\":\"https://a/f\"}",
		"{\"status\":\"done\",\"identifiers\":[],\"authorizations\":[],\"finalize\":\"https://a/f\"}",
		"{\"status\":\"pending\",\"identifiers\":[{\"type\":\"ip\",\"value\":\"192.0.2.1\"}],"
		"\"authorizations\":[],\"finalize\":\"https://a/f\"}",
		"{\"status\":\"pending\",\"identifiers\":[],\"authorizations\":[\"javascript:x\"],\"finalize\":\"https:"
		"//a/f\"}",
	};
	static const char *const says[] = {"certificate is missing", "status is not an ACME status",
					   "identifier is not of type dns", "authorizations holds something"};
	for (size_t i = 0; i < 4; i++) {
		cf_err be = {0};
		assert_int_equal(cf_acme_order_parse("https://a/o", DOC(bad[i]), &o, &be), CF_E_REMOTE);
		if (strstr(be.message, says[i]) == NULL)
			fail_msg("[%s] not in [%s]", says[i], be.message);
	}
}

static void test_authz(void **state)
{
	(void)state;
	size_t len = 0;
	char *body = corpus("authz.json", &len);
	cf_acme_authz a;
	cf_err e = {0};
	assert_int_equal(
		cf_acme_authz_parse("https://example.com/acme/authz/PAniVnsZcis", (uint8_t *)body, len, &a, &e), CF_OK);
	assert_int_equal(a.status, CF_ACME_PENDING);
	assert_string_equal(a.identifier, "www.example.org");
	assert_false(a.wildcard);
	assert_int_equal(a.n_challenges, 2);
	const cf_acme_challenge *h = cf_acme_authz_http01(&a);
	assert_non_null(h);
	assert_string_equal(h->token, "DGyRejmCefe7v4NfDGDKfA");
	assert_string_equal(h->url, "https://example.com/acme/chall/prV_B7yEyA4");
	cf_acme_authz_free(&a);
	free(body);

	/* a token is served as a path: anything but base64url is refused */
	static const char *const tokens[] = {"../../etc/passwd", "a/b", "tok en", "", "%2e%2e"};
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		char doc[512];
		snprintf(doc, sizeof(doc),
			 "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a.example\"},"
			 "\"challenges\":[{\"type\":\"http-01\",\"url\":\"https://a/c\",\"status\":\"pending\","
			 "\"token\":\"%s\"}]}",
			 tokens[i]);
		cf_err be = {0};
		assert_int_equal(cf_acme_authz_parse("https://a/z", DOC(doc), &a, &be), CF_E_REMOTE);
		if (strstr(be.message, "token") == NULL)
			fail_msg("%s: %s", tokens[i], be.message);
		assert_null(a.challenges);
	}
}

/* renewalInfo (RFC 9773 §4.2): the window read, a fraction of a second dropped; a reversed or
 * unreadable window refused, naming the member. */
static void test_renewal_info(void **state)
{
	(void)state;
	cf_err e = {0};
	int64_t start = 0, end = 0;
	size_t len = 0;
	char *body = corpus("renewal-info.json", &len);
	assert_int_equal(
		cf_acme_renewal_info_parse("https://ca.example/ari/x", (const uint8_t *)body, len, &start, &end, &e),
		CF_OK);
	assert_int_equal(start, 1767225600); /* 2026-01-01T00:00:00Z */
	assert_int_equal(end, 1767312000);
	free(body);
	static const char *bad[][2] = {
		{"{\"suggestedWindow\":{\"start\":\"2026-01-02T00:00:00Z\",\"end\":\"2026-01-01T00:00:00Z\"}}",
		 "ends before it starts"},
		{"{\"suggestedWindow\":{\"start\":\"tomorrow\",\"end\":\"2026-01-01T00:00:00Z\"}}",
		 "suggestedWindow.start is not an RFC 3339 time"},
		{"{\"window\":{}}", "suggestedWindow is missing"},
		{"[]", "not a JSON object"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf_err_clear(&e);
		assert_int_equal(cf_acme_renewal_info_parse("https://ca.example/ari/x", (const uint8_t *)bad[i][0],
							    strlen(bad[i][0]), &start, &end, &e),
				 CF_E_REMOTE);
		if (strstr(e.message, bad[i][1]) == NULL)
			fail_msg("%s: %s", bad[i][0], e.message);
	}
}

static void test_problem(void **state)
{
	(void)state;
	size_t len = 0;
	char *body = corpus("problem.json", &len);
	cf_acme_problem p;
	assert_true(cf_acme_problem_parse((uint8_t *)body, len, &p));
	assert_true(cf_acme_problem_is(&p, "badNonce"));
	assert_false(cf_acme_problem_is(&p, "badNonc"));
	assert_int_equal(p.status, 400);
	char line[256];
	cf_acme_problem_line(&p, line, sizeof(line));
	assert_string_equal(line, "JWS has an invalid anti-replay nonce: \"zincd\" (badNonce)");
	cf_acme_problem_free(&p);
	free(body);
	assert_false(cf_acme_problem_parse(DOC("<html>502</html>"), &p));
	assert_false(cf_acme_problem_parse(DOC("{\"detail\":\"no type\"}"), &p));
}

static void test_protected_header(void **state)
{
	(void)state;
	char *h = cf_acme_protected("ES256", "nonce-1", "https://a/new-order", "https://a/acct/7", NULL);
	assert_string_equal(h, "{\"alg\":\"ES256\",\"kid\":\"https://a/acct/7\",\"nonce\":\"nonce-1\","
			       "\"url\":\"https://a/new-order\"}");
	free(h);
	h = cf_acme_protected("RS256", "n\"2", "https://a/new-acct", NULL,
			      "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"xyz\"}");
	json_error_t je;
	json_t *o = json_loads(h, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "nonce")), "n\"2"); /* escaped, not broken out of */
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "jwk"), "kty")), "RSA");
	assert_null(json_object_get(o, "kid"));
	json_decref(o);
	free(h);
	/* the inner JWS of a key change or an account binding: no nonce */
	h = cf_acme_protected("HS256", NULL, "https://a/new-acct", "eab-kid", NULL);
	assert_null(strstr(h, "nonce"));
	free(h);
	assert_null(cf_acme_protected("ES256", "\xff\xfe", "https://a/x", "k", NULL)); /* not UTF-8 */
	assert_null(cf_acme_protected("ES256", "n", "https://a/x", NULL, "{not json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directory),    cmocka_unit_test(test_orders),
		cmocka_unit_test(test_authz),	     cmocka_unit_test(test_problem),
		cmocka_unit_test(test_renewal_info), cmocka_unit_test(test_protected_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
