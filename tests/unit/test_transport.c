/* Unit tests for the seam between core and the network (core/transport.h): core driven through
 * stub transport tables, with no network at all. An upload's OCSP question (answered revoked, good,
 * or failing), validation's OCSP source without a table, trust fetch's chain (canned, refused,
 * out of time) and the monitor's mail, each checked for what core asked and what it made of the
 * answer. The real table (net_transport.c) is the integration tests'. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check/fetch.h"
#include "core/fleet/deployment.h"
#include "core/lifecycle/deploy.h"
#include "core/lifecycle/identity.h"
#include "core/lifecycle/served.h"
#include "core/lifecycle/trust.h"
#include "core/monitor/monitor.h"
#include "core/revocation/revcheck.h"
#include "core/transport.h"
#include "util/clock.h"
#include "util/secret.h"

#define T0 INT64_C(1900000000)
#define DAY INT64_C(86400)
#define RESPONDER "http://ocsp.example.com/"

struct fx {
	char dir[64], path[128];
	cf_store *st;
	cf_key *root_key, *inter_key, *leaf_key;
	cf_cert *root, *inter, *leaf;
	char leaf_sha[65];
};

/* ---- the stubs: what core asked, and what they answer --------------------------------------- */

static struct {
	int calls;
	char url[256], cert_cn[128], issuer_cn[128];
	size_t n_trusted;
	long timeout;
	cf_code rc;	       /* what the stub answers */
	cf_ocsp_status status; /* with CF_OK */
	cf_cert **chain;       /* the chain stub's canned chain */
	size_t n_chain;
	cf_cert *later; /* when set: the leaf the chain stub presents from call later_from on */
	int later_from;
	int sleep_ms; /* the chain stub fails after this long */
	char sni[256], verify_name[256], starttls[16], host[256];
	int timeout_ms;
	char mail_host[64], mail_from[64], mail_to[128], mail_password[32];
	int mail_port;
	char *message;
} stub;

static void cn_of(const cf_cert *c, char *out, size_t len)
{
	cf_facts f = {0};
	out[0] = '\0';
	if (c != NULL && cf_cert_facts(c, &f, NULL) == CF_OK)
		snprintf(out, len, "%s", f.cn);
	cf_facts_free(&f);
}

static cf_code stub_ocsp(const cf_ocsp_question *q, cf_ocsp_result *out, cf_err *e)
{
	stub.calls++;
	snprintf(stub.url, sizeof(stub.url), "%s", q->url);
	cn_of(q->cert, stub.cert_cn, sizeof(stub.cert_cn));
	cn_of(q->issuer, stub.issuer_cn, sizeof(stub.issuer_cn));
	stub.n_trusted = q->n_trusted;
	stub.timeout = q->timeout;
	if (stub.rc != CF_OK)
		return cf_err_set(e, stub.rc, NULL, "%s: HTTP status 503", q->url);
	memset(out, 0, sizeof(*out));
	out->status = stub.status;
	out->trust = CF_OCSP_DELEGATED;
	snprintf(out->responder, sizeof(out->responder), "CN=Stub Responder");
	out->this_update = q->now - 60;
	out->next_update = q->now + DAY;
	if (stub.status == CF_OCSP_REVOKED) {
		out->revoked_at = T0 - 3600;
		snprintf(out->reason, sizeof(out->reason), "keyCompromise");
	}
	return CF_OK;
}

static const char *stub_names(void)
{
	return "smtp|ldap";
}

static cf_code stub_chain(const cf_chain_peer *p, cf_tls_peer *out, cf_err *e)
{
	stub.calls++;
	snprintf(stub.host, sizeof(stub.host), "%s", p->peer->host);
	snprintf(stub.sni, sizeof(stub.sni), "%s", p->sni != NULL ? p->sni : "(none)");
	snprintf(stub.verify_name, sizeof(stub.verify_name), "%s", p->verify_name);
	snprintf(stub.starttls, sizeof(stub.starttls), "%s", p->starttls != NULL ? p->starttls : "(none)");
	stub.timeout_ms = p->timeout_ms;
	if (stub.rc != CF_OK) {
		cf_clock_sleep_ms(stub.sleep_ms);
		return cf_err_set(e, stub.rc, NULL, "connection refused");
	}
	memset(out, 0, sizeof(*out));
	out->chain = calloc(stub.n_chain, sizeof(*out->chain));
	assert_non_null(out->chain);
	for (size_t i = 0; i < stub.n_chain; i++)
		out->chain[i] = cf_cert_ref(
			i == 0 && stub.later != NULL && stub.calls >= stub.later_from ? stub.later : stub.chain[i]);
	out->n_chain = stub.n_chain;
	out->completed = true;
	snprintf(out->version, sizeof(out->version), "TLSv1.3");
	return CF_OK;
}

static cf_code stub_mail(const cf_mail_server *m, const char *message, cf_err *e)
{
	stub.calls++;
	snprintf(stub.mail_host, sizeof(stub.mail_host), "%s", m->host);
	stub.mail_port = m->port;
	snprintf(stub.mail_from, sizeof(stub.mail_from), "%s", m->from);
	snprintf(stub.mail_to, sizeof(stub.mail_to), "%s", m->to);
	snprintf(stub.mail_password, sizeof(stub.mail_password), "%s", m->password != NULL ? m->password : "");
	free(stub.message);
	stub.message = strdup(message);
	if (stub.rc != CF_OK)
		return cf_err_set(e, stub.rc, m->host, "550 mailbox unavailable");
	return CF_OK;
}

static const cf_transport stubs = {
	.ocsp = stub_ocsp, .chain = stub_chain, .starttls_names = stub_names, .mail = stub_mail};

/* ---- the fixture ---------------------------------------------------------------------------- */

static cf_key *ec_key(void)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	if (cf_keyspec_parse("ec:P-256", &ks, &e) != CF_OK || cf_key_generate(&ks, &k, &e) != CF_OK)
		return NULL;
	return k;
}

static void configure(struct fx *f, const cf_fieldgroup *g, const char *name, const char *value)
{
	cf_fieldchange c = {cf_field_find(g, name), value};
	cf_err e = {0};
	if (c.f == NULL || cf_fields_apply(f->st, g, &c, 1, &e) != CF_OK)
		fail_msg("%s: %s: %s", name, e.subject, e.message);
}

static cf_code trust_add(struct fx *f, const cf_cert *c, cf_err *e)
{
	cf_outcome out = {0};
	char *pem = cf_cert_pem(c);
	cf_code rc = cf_trust_add(f->st, &stubs, "a.example.com", "tomcat-trust", "ca.pem", (const uint8_t *)pem,
				  strlen(pem), NULL, &out, e);
	cf_outcome_free(&out);
	free(pem);
	return rc;
}

/* Uploads the leaf with its intermediate as a.example.com's tomcat-ECDSA through net. */
static cf_code upload(struct fx *f, const cf_transport *net, cf_outcome *out, cf_err *e)
{
	char *leaf = cf_cert_pem(f->leaf), *inter = cf_cert_pem(f->inter), *key = cf_key_pem(f->leaf_key);
	char *bundle = malloc(strlen(leaf) + strlen(inter) + 1);
	strcpy(bundle, leaf);
	strcat(bundle, inter);
	cf_code rc =
		cf_identity_upload(f->st, net, "a.example.com", "tomcat-ECDSA", "leaf.pem", (const uint8_t *)bundle,
				   strlen(bundle), "leaf.key", (const uint8_t *)key, strlen(key), NULL, false, out, e);
	free(bundle);
	free(leaf);
	free(inter);
	cf_secret_free(key);
	return rc;
}

/* Node a.example.com whose tomcat-trust holds a root and its intermediate (added with OCSP off:
 * nothing asked), then OCSP turned on with a configured responder. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	cf_outcome out = {0};
	if (f == NULL)
		return -1;
	memset(&stub, 0, sizeof(stub));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-transport-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	cf_clock_set(T0);
	cf_reqspec root = {.dn = {.cn = "Stub Root"}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
	cf_reqspec inter = {.dn = {.cn = "Stub Intermediate"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:a.example.com");
	cf_reqspec leaf = {.dn = {.cn = "a.example.com"},
			   .san = &san,
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
			   .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH};
	f->root_key = ec_key();
	f->inter_key = ec_key();
	f->leaf_key = ec_key();
	cf_deployment_node_spec a = {.fqdn = "a.example.com", .cluster = "uc", .product = "ucm", .no_defaults = true};
	if (cf_cert_self_signed(&root, f->root_key, T0 - DAY, 365, &f->root, &e) != CF_OK ||
	    cf_cert_issue(&inter, f->inter_key, f->root, f->root_key, T0 - DAY, 365, &f->inter, &e) != CF_OK ||
	    cf_cert_issue(&leaf, f->leaf_key, f->inter, f->inter_key, T0 - DAY, 90, &f->leaf, &e) != CF_OK ||
	    cf_store_open(f->path, true, &f->st, &e) != CF_OK ||
	    cf_deployment_cluster_add(f->st, "uc", NULL, &e) != CF_OK ||
	    cf_deployment_node_add(f->st, &a, &out, &e) != CF_OK || trust_add(f, f->root, &e) != CF_OK ||
	    trust_add(f, f->inter, &e) != CF_OK) {
		fprintf(stderr, "setup: %s: %s\n", e.subject, e.message);
		return -1;
	}
	cf_facts facts = {0};
	if (cf_cert_facts(f->leaf, &facts, NULL) == CF_OK)
		snprintf(f->leaf_sha, sizeof(f->leaf_sha), "%s", facts.sha256);
	cf_facts_free(&facts);
	cf_strv_clear(&san);
	cf_outcome_free(&out);
	*state = f;
	configure(f, &cf_revocation_fields, "ocsp", "on");
	configure(f, &cf_revocation_fields, "ocsp_uri", RESPONDER);
	assert_int_equal(stub.calls, 0); /* OCSP was off while the trust certificates came */
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	cf_store_close(f->st);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	cf_cert_free(f->root);
	cf_cert_free(f->inter);
	cf_cert_free(f->leaf);
	cf_key_free(f->root_key);
	cf_key_free(f->inter_key);
	cf_key_free(f->leaf_key);
	free(stub.message);
	stub.message = NULL;
	cf_clock_set(0);
	free(f);
	return 0;
}

/* ---- OCSP ----------------------------------------------------------------------------------- */

/* The responder says revoked: the upload is refused with the stub's words, and nothing is kept. */
static void test_upload_revoked(void **state)
{
	struct fx *f = *state;
	cf_outcome out = {0};
	cf_err e = {0};
	cf_revcheckrow r = {0};
	stub.status = CF_OCSP_REVOKED;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_E_INPUT);
	/* what core asked: the configured responder, about the leaf with its issuer, the node's
	 * tomcat-trust as trusted responders, the settings' timeout */
	assert_int_equal(stub.calls, 1);
	assert_string_equal(stub.url, RESPONDER);
	assert_string_equal(stub.cert_cn, "a.example.com");
	assert_string_equal(stub.issuer_cn, "Stub Intermediate");
	assert_int_equal(stub.n_trusted, 2);
	assert_int_equal(stub.timeout, 10);
	assert_string_equal(e.subject, "leaf.pem");
	assert_string_equal(e.message, "the certificate is revoked: OCSP " RESPONDER " (delegated): revoked on "
				       "2030-03-17T16:46:40Z (keyCompromise), signed by CN=Stub Responder [revoked]");
	assert_int_equal(cf_store_revcheck_get(f->st, f->leaf_sha, &r, &e), CF_E_NOTFOUND);
	cf_outcome_free(&out);
}

/* The responder answers good: the upload goes on and the answer is recorded for the doctor. */
static void test_upload_good(void **state)
{
	struct fx *f = *state;
	cf_outcome out = {0};
	cf_err e = {0};
	cf_revcheckrow r = {0};
	stub.status = CF_OCSP_GOOD;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_OK);
	assert_int_equal(stub.calls, 1);
	assert_int_equal(out.warnings.rules.n, 0);
	assert_int_equal(cf_store_revcheck_get(f->st, f->leaf_sha, &r, &e), CF_OK);
	assert_string_equal(r.status, "good");
	assert_string_equal(r.trust, "delegated");
	assert_string_equal(r.responder, RESPONDER);
	assert_int_equal(r.next_update, T0 + DAY);
	cf_revcheckrow_free(&r);
	cf_outcome_free(&out);
}

/* The exchange fails: no status, so the upload goes on with the revocation-unknown warning that
 * carries the transport's message (strict mode would refuse it). */
static void test_upload_unreachable(void **state)
{
	struct fx *f = *state;
	cf_outcome out = {0};
	cf_err e = {0};
	stub.rc = CF_E_REMOTE;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_OK);
	assert_int_equal(stub.calls, 1);
	assert_int_equal(out.warnings.rules.n, 1);
	assert_string_equal(out.warnings.rules.v[0], "revocation-unknown");
	assert_string_equal(out.warnings.messages.v[0],
			    "no revocation status: OCSP " RESPONDER ": " RESPONDER ": HTTP status 503, and no CRL of "
			    "its issuer; accepted as not revoked");
	cf_outcome_free(&out);
	configure(f, &cf_revocation_fields, "strict", "on");
	stub.calls = 0;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_E_INPUT);
	assert_int_equal(stub.calls, 1);
	assert_non_null(strstr(e.message, "strict mode refuses an unknown status [revoked]"));
	cf_outcome_free(&out);
}

/* Without a table nothing is asked: the verdict says so, as an unreachable responder's would. */
static void test_ask_without_transport(void **state)
{
	struct fx *f = *state;
	cf_revocation_settings s;
	cf_revocation_ocsp_verdict v;
	cf_err e = {0};
	assert_int_equal(cf_revocation_settings_get(f->st, &s, &e), CF_OK);
	cf_revocation_ask(NULL, &s, f->leaf, f->inter, NULL, 0, T0, &v);
	assert_false(v.answered);
	assert_true(v.unreachable);
	assert_int_equal(v.status, CF_REV_UNKNOWN);
	assert_string_equal(v.message, RESPONDER ": no network in this process");
	/* no responder at all: not even the table is asked */
	s.ocsp_uri[0] = '\0';
	cf_revocation_ask(&stubs, &s, f->leaf, f->inter, NULL, 0, T0, &v);
	assert_int_equal(stub.calls, 0);
	assert_string_equal(v.message, "no responder (none configured, none in the certificate)");
}

/* ---- trust fetch's chain -------------------------------------------------------------------- */

static void test_fetch(void **state)
{
	struct fx *f = *state;
	cf_cert *chain[] = {f->leaf, f->inter};
	cf_fetch_result r = {0};
	cf_err e = {0};
	stub.chain = chain;
	stub.n_chain = 2;

	/* the protocols are the transport's: one it does not speak is refused before connecting */
	cf_fetch_req xmpp = {.target = "a.example.com:5222", .starttls = "xmpp"};
	assert_int_equal(cf_fetch(&stubs, &xmpp, &r, &e), CF_E_USAGE);
	assert_string_equal(e.subject, "starttls");
	assert_string_equal(e.message, "unknown protocol \"xmpp\"; expected smtp|ldap");
	assert_int_equal(stub.calls, 0);

	cf_fetch_req smtp = {.target = "a.example.com:25", .starttls = "smtp"};
	assert_int_equal(cf_fetch(&stubs, &smtp, &r, &e), CF_OK);
	assert_int_equal(stub.calls, 1);
	assert_string_equal(stub.host, "a.example.com");
	assert_string_equal(stub.sni, "a.example.com");
	assert_string_equal(stub.verify_name, "a.example.com");
	assert_string_equal(stub.starttls, "smtp");
	assert_int_equal(stub.timeout_ms, CF_FETCH_TIMEOUT_MS);
	assert_int_equal(r.tls.n_chain, 2);
	assert_string_equal(r.facts[0].cn, "a.example.com");
	assert_string_equal(r.facts[1].cn, "Stub Intermediate");
	cf_fetch_result_free(&r);

	/* an address: no SNI, verified for the address */
	cf_fetch_req addr = {.target = "192.0.2.1:443"};
	assert_int_equal(cf_fetch(&stubs, &addr, &r, &e), CF_OK);
	assert_string_equal(stub.sni, "(none)");
	assert_string_equal(stub.verify_name, "192.0.2.1");
	assert_string_equal(stub.starttls, "(none)");
	cf_fetch_result_free(&r);

	/* a failure names the target; past the limit, the limit too */
	stub.rc = CF_E_REMOTE;
	assert_int_equal(cf_fetch(&stubs, &addr, &r, &e), CF_E_REMOTE);
	assert_string_equal(e.subject, "192.0.2.1:443");
	assert_string_equal(e.message, "connection refused");
	cf_fetch_req quick = {.target = "192.0.2.1:443", .timeout_ms = 20};
	stub.sleep_ms = 40;
	assert_int_equal(cf_fetch(&stubs, &quick, &r, &e), CF_E_REMOTE);
	assert_string_equal(e.message, "connection refused (limit 1 s)");
	assert_int_equal(cf_fetch(NULL, &addr, &r, &e), CF_E_REMOTE); /* no table: no network */
	assert_string_equal(e.message, "no network in this process");
}

/* ---- the served check after a deploy -------------------------------------------------------- */

/* One check of a.example.com's targets, quick: 300 ms of tries, 10 ms apart. */
static cf_code served(struct fx *f, const char *purpose, cf_served_report *r, cf_err *e)
{
	cf_served_opts o = {.wait_ms = 300, .pause_ms = 10};
	return cf_served_check(f->st, &stubs, "a.example.com", purpose, &o, r, e);
}

static void test_served(void **state)
{
	struct fx *f = *state;
	cf_outcome out = {0};
	cf_served_report r = {0};
	cf_servedcheck *kept = NULL;
	size_t n_kept = 0;
	cf_err e = {0};
	char inter_sha[65];
	cf_facts facts = {0};
	assert_int_equal(cf_cert_facts(f->inter, &facts, NULL), CF_OK);
	snprintf(inter_sha, sizeof(inter_sha), "%s", facts.sha256);
	cf_facts_free(&facts);
	stub.status = CF_OCSP_GOOD;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_OK);
	cf_outcome_free(&out);

	/* the fields: HOST:PORT and a protocol of trust fetch's */
	assert_int_equal(cf_served_fields_check("a.example.com", NULL, &e), CF_E_INPUT);
	assert_string_equal(e.subject, "serves");
	assert_int_equal(cf_served_fields_check("a.example.com:443", "ftp", &e), CF_E_INPUT);
	assert_string_equal(e.subject, "starttls");
	assert_int_equal(cf_served_fields_check("[2001:db8::1]:5222", "xmpp", &e), CF_OK);
	assert_int_equal(cf_served_fields_check("", "", &e), CF_OK);

	/* no target names an address: nothing asked */
	stub.calls = 0;
	assert_int_equal(served(f, NULL, &r, &e), CF_OK);
	assert_int_equal(r.n, 0);
	assert_int_equal(stub.calls, 0);
	assert_int_equal(cf_served_verdict(&r, &e), CF_OK);
	cf_served_report_free(&r);

	/* a target with an address alone (nothing written): checked there, the node's name as SNI */
	cf_deploy_target_spec t = {.node = "a.example.com", .purpose = "tomcat-ECDSA", .serves = "192.0.2.7:8443"};
	assert_int_equal(cf_deploy_target_set(f->st, &t, &e), CF_OK);

	/* the old certificate served the whole time: a mismatch, after more than one try */
	cf_cert *old[] = {f->inter};
	stub.chain = old;
	stub.n_chain = 1;
	stub.calls = 0;
	assert_int_equal(served(f, NULL, &r, &e), CF_OK);
	assert_true(stub.calls > 1);
	assert_string_equal(stub.host, "192.0.2.7");
	assert_string_equal(stub.sni, "a.example.com");
	assert_string_equal(stub.starttls, "(none)");
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].purpose, "tomcat-ECDSA");
	assert_string_equal(r.v[0].address, "192.0.2.7:8443");
	assert_string_equal(r.v[0].served_sha256, inter_sha);
	assert_string_equal(r.v[0].stored_sha256, f->leaf_sha);
	assert_string_equal(r.v[0].error, "");
	assert_int_equal(r.v[0].checked_at, T0);
	assert_false(cf_served_matches(&r.v[0]));
	assert_int_equal(cf_served_verdict(&r, &e), CF_E_REMOTE);
	assert_string_equal(e.reason, "served-mismatch");
	assert_non_null(strstr(e.message, "a.example.com tomcat-ECDSA serves SHA-256 "));
	assert_non_null(strstr(e.message, f->leaf_sha));
	cf_served_report_free(&r);
	/* kept in the store */
	assert_int_equal(cf_store_served_list(f->st, 0, &kept, &n_kept, &e), CF_OK);
	assert_int_equal(n_kept, 1);
	assert_string_equal(kept[0].node, "a.example.com");
	assert_string_equal(kept[0].served_sha256, inter_sha);
	cf_servedchecks_free(kept, n_kept);

	/* the service reloads while the check waits: the third handshake shows the new one */
	stub.calls = 0;
	stub.later = f->leaf;
	stub.later_from = 3;
	assert_int_equal(served(f, "tomcat-ECDSA", &r, &e), CF_OK);
	assert_int_equal(stub.calls, 3);
	assert_true(cf_served_matches(&r.v[0]));
	assert_int_equal(cf_served_verdict(&r, &e), CF_OK);
	cf_served_report_free(&r);

	/* nothing served: the error line, no SHA-256 */
	stub.rc = CF_E_REMOTE;
	assert_int_equal(served(f, NULL, &r, &e), CF_OK);
	assert_string_equal(r.v[0].error, "connection refused");
	assert_string_equal(r.v[0].served_sha256, "");
	assert_false(cf_served_matches(&r.v[0]));
	assert_int_equal(cf_served_verdict(&r, &e), CF_E_REMOTE);
	assert_string_equal(e.reason, "served-unreachable");
	cf_served_report_free(&r);
	stub.rc = CF_OK;

	/* another purpose's check leaves this one out; a changed address forgets the last check */
	assert_int_equal(served(f, "tomcat", &r, &e), CF_OK);
	assert_int_equal(r.n, 0);
	cf_served_report_free(&r);
	t.serves = "192.0.2.8:8443";
	assert_int_equal(cf_deploy_target_set(f->st, &t, &e), CF_OK);
	assert_int_equal(cf_store_served_list(f->st, 0, &kept, &n_kept, &e), CF_OK);
	assert_int_equal(n_kept, 0);
	cf_servedchecks_free(kept, n_kept);
	/* neither a path nor an address: refused */
	t.serves = "";
	assert_int_equal(cf_deploy_target_set(f->st, &t, &e), CF_E_USAGE);
}

/* ---- the monitor's mail --------------------------------------------------------------------- */

static void test_monitor_mail(void **state)
{
	struct fx *f = *state;
	cf_outcome out = {0};
	cf_monitor_report rep = {0};
	cf_err e = {0};
	stub.status = CF_OCSP_GOOD;
	assert_int_equal(upload(f, &stubs, &out, &e), CF_OK);
	cf_outcome_free(&out);
	configure(f, &cf_monitor_fields, "email", "on");
	configure(f, &cf_monitor_fields, "emails", "ops@example.com");
	configure(f, &cf_monitor_fields, "smtp", "mail.example.com:587");
	stub.calls = 0;
	/* 80 days on, the leaf (90 days) is inside the window: one digest through the table */
	assert_int_equal(cf_monitor_run(f->st, T0 + 80 * DAY, &stubs, &rep, &e), CF_OK);
	assert_int_equal(stub.calls, 1);
	assert_string_equal(stub.mail_host, "mail.example.com");
	assert_int_equal(stub.mail_port, 587);
	assert_string_equal(stub.mail_to, "ops@example.com");
	assert_string_equal(stub.mail_password, "");
	assert_non_null(strstr(stub.message, "a.example.com"));
	assert_int_equal(rep.sent, 1);
	assert_string_equal(rep.error, "");
	cf_monitor_report_free(&rep);
	/* refused: queued, and the report carries the transport's words */
	stub.rc = CF_E_REMOTE;
	assert_int_equal(cf_monitor_run(f->st, T0 + 88 * DAY, &stubs, &rep, &e), CF_OK);
	assert_int_equal(stub.calls, 2);
	assert_int_equal(rep.sent, 0);
	assert_int_equal(rep.queued, 1);
	assert_string_equal(rep.error, "mail.example.com: 550 mailbox unavailable");
	cf_monitor_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upload_revoked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ask_without_transport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_served, setup, teardown),
		cmocka_unit_test_setup_teardown(test_monitor_mail, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
