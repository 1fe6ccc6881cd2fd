/* validate FILE | validate --batch DIR|FILE... */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/revocation/revocation.h"
#include "core/view/tooljson.h"
#include "core/check/validate.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/secret.h"

/* Adds the certificates of a file to idx (anchors or untrusted); 0 or an exit code after printing. */
static int add_file(cli *c, cf_trustidx *idx, const char *path, bool anchor)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_err e = {0};
	int rc = cli_read(c, path, CF_BUNDLE_MAX, &buf, &len);
	if (rc == 0 && cf_validate_add_bundle(idx, path, buf, len, anchor, &e) != CF_OK)
		rc = cli_fail(c, &e);
	free(buf);
	return rc;
}

/* Builds the trust index from the options; *idx stays NULL when no trust source was given. */
static int load_trust(cli *c, cf_trustidx **idx)
{
	cf_err e = {0};
	int rc = 0;
	if (cli_val(c, "ca-file") == NULL && cli_val(c, "store") == NULL && cli_val(c, "untrusted") == NULL)
		return 0;
	if ((*idx = cf_trustidx_new_strict()) == NULL) {
		cf_err_set(&e, CF_E_INTERNAL, "validate", "out of memory");
		return cli_fail(c, &e);
	}
	if (cli_val(c, "ca-file") != NULL)
		rc = add_file(c, *idx, cli_val(c, "ca-file"), true);
	if (rc == 0 && cli_val(c, "store") != NULL) {
		if ((rc = cli_store(c, false)) == 0 &&
		    cf_validate_load_store(c->st, cli_val(c, "node"), cli_val(c, "store"), *idx, &e) != CF_OK)
			rc = cli_fail(c, &e);
	}
	if (rc == 0 && cli_val(c, "untrusted") != NULL)
		rc = add_file(c, *idx, cli_val(c, "untrusted"), false);
	return rc;
}

static int validate_one(cli *c, const char *file, const cf_validate_opts *o)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_err e = {0};
	cf_validation val = {0};
	int rc = cli_read_certs(c, file, CF_INPUT_MAX, &certs, &n);
	if (rc != 0)
		return rc;
	if (cf_validate_cert(o, certs[0], certs + 1, n - 1, &val, &e) != CF_OK) {
		cf_certs_free(certs, n);
		return cli_fail(c, &e);
	}
	json_t *res = cf_tooljson_validation(&val);
	if (c->json) {
		cli_json(res);
	} else {
		json_t *chain = json_object_get(res, "chain");
		for (size_t i = 0; i < val.n; i++) {
			const cf_check *k = &val.checks[i];
			printf("%-5s %-10s %s%s%s%s\n", k->ok ? "ok" : "FAIL", k->check, k->ok ? "" : "[",
			       k->ok ? "" : k->rule, k->ok ? "" : "] ", cli_text(k->message));
		}
		for (size_t i = 0; i < json_array_size(chain); i++)
			printf("chain %zu: %s\n", i,
			       cli_text(json_string_value(json_object_get(json_array_get(chain, i), "subject"))));
		printf("%s\n", val.ok ? "valid" : "NOT valid");
		json_decref(res);
	}
	rc = val.ok ? 0 : CF_E_FINDINGS;
	cf_validation_clear(&val);
	cf_certs_free(certs, n);
	return rc;
}

/* Every file named, and every regular file of a named directory, in name order. */
static int collect_files(cli *c, char **args, int n, cf_strv *files)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **ents = NULL;
			int k = scandir(args[i], &ents, NULL, alphasort);
			for (int j = 0; j < k; j++) {
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", args[i], ents[j]->d_name);
				if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
					cf_strv_push(files, path);
				free(ents[j]);
			}
			free(ents);
			if (k < 0) {
				cf_err e;
				cf_err_set(&e, CF_E_INPUT, args[i], "cannot read the directory");
				return cli_fail(c, &e);
			}
		} else {
			cf_strv_push(files, args[i]);
		}
	}
	return 0;
}

/* One certificate's result as a batch item. */
static json_t *batch_item(const char *file, size_t index, const cf_validation *v, const char **message)
{
	json_t *failed = json_array();
	*message = "";
	for (size_t j = 0; j < v->n; j++) {
		if (!v->checks[j].ok) {
			json_array_append_new(failed, json_string(v->checks[j].check));
			if ((*message)[0] == '\0')
				*message = v->checks[j].message;
		}
	}
	return json_pack("{s:s, s:i, s:b, s:s, s:o, s:s}", "file", file, "index", (json_int_t)index, "ok", v->ok,
			 "outcome", cf_validation_outcome(v), "failed", failed, "message", *message);
}

/* Every file is reported: its certificates one item each, a file that cannot be read or holds no
 * certificate one failed item ("unreadable") that does not stop the batch. */
static int validate_batch(cli *c, char **args, int n_args, const cf_validate_opts *o)
{
	cf_strv files = {0}, file_err = {0}; /* file_err: "" or why the file was not read, per file */
	cf_cert **leaves = NULL;
	size_t n = 0, cap = 0;
	size_t *file_of = NULL, *index_in = NULL;
	int rc = collect_files(c, args, n_args, &files);
	for (size_t f = 0; rc == 0 && f < files.n; f++) {
		cf_cert **certs = NULL;
		size_t k = 0, len = 0;
		uint8_t *buf = NULL;
		cf_err e = {0};
		if (cf_file_read(files.v[f], CF_BUNDLE_MAX, &buf, &len, &e) != CF_OK ||
		    cf_cert_parse_bundle(files.v[f], buf, len, &certs, &k, &e) != CF_OK) {
			cf_strv_push(&file_err, e.message);
			cf_secret_wipe(buf, len); /* a key given by mistake was read too */
			free(buf);
			continue;
		}
		cf_secret_wipe(buf, len);
		free(buf);
		cf_strv_push(&file_err, "");
		if (n + k > cap) {
			cap = (n + k) * 2;
			leaves = realloc(leaves, cap * sizeof(*leaves));
			file_of = realloc(file_of, cap * sizeof(*file_of));
			index_in = realloc(index_in, cap * sizeof(*index_in));
		}
		for (size_t j = 0; j < k; j++) {
			leaves[n] = certs[j];
			file_of[n] = f;
			index_in[n++] = j;
		}
		free(certs);
	}
	cf_validation *val = rc == 0 ? calloc(n ? n : 1, sizeof(*val)) : NULL;
	if (val != NULL) {
		cf_validate_batch(o, leaves, n, val);
		json_t *summary = json_object(), *items = json_array();
		size_t bad = 0, unreadable = 0, i = 0;
		for (size_t f = 0; f < files.n; f++) { /* in file order, each file's certificates in order */
			const char *message = "";
			if (file_err.v[f][0] != '\0') {
				unreadable++;
				json_array_append_new(items,
						      json_pack("{s:s, s:i, s:b, s:s, s:[s], s:s}", "file", files.v[f],
								"index", 0, "ok", 0, "outcome", "unreadable", "failed",
								"parse", "message", file_err.v[f]));
				if (!c->json)
					printf("FAIL %s: %s\n", cli_text(files.v[f]), cli_text(file_err.v[f]));
			}
			for (; i < n && file_of[i] == f; i++) {
				const char *outcome = cf_validation_outcome(&val[i]);
				json_int_t cnt = json_integer_value(json_object_get(summary, outcome));
				json_object_set_new(summary, outcome, json_integer(cnt + 1));
				bad += !val[i].ok;
				json_array_append_new(items, batch_item(files.v[f], index_in[i], &val[i], &message));
				if (!c->json && !val[i].ok)
					printf("FAIL %s#%zu: [%s] %s\n", cli_text(files.v[f]), index_in[i], outcome,
					       cli_text(message));
				cf_validation_clear(&val[i]);
			}
		}
		if (unreadable > 0)
			json_object_set_new(summary, "unreadable", json_integer((json_int_t)unreadable));
		json_object_set_new(summary, "total", json_integer((json_int_t)(n + unreadable)));
		if (c->json) {
			cli_json(json_pack("{s:o, s:o}", "summary", summary, "items", items));
		} else {
			const char *key;
			json_t *value;
			printf("%zu certificate%s validated, %zu valid, %zu not; %zu file%s not read\n", n,
			       n == 1 ? "" : "s", n - bad, bad, unreadable, unreadable == 1 ? "" : "s");
			json_object_foreach(summary, key, value)
			{
				if (strcmp(key, "total") != 0)
					printf("  %-26s %lld\n", key, (long long)json_integer_value(value));
			}
			json_decref(summary);
			json_decref(items);
		}
		rc = bad + unreadable > 0 ? CF_E_FINDINGS : 0;
		free(val);
	}
	cf_certs_free(leaves, n);
	free(file_of);
	free(index_in);
	cf_strv_clear(&files);
	cf_strv_clear(&file_err);
	return rc;
}

struct stored_walk {
	bool json;
	json_t *items;
};

static int stored_failure(void *ctx, const cf_certrow *r, const char *rule)
{
	struct stored_walk *w = ctx;
	char na[32];
	cf_time_rfc3339(r->facts.not_after, na);
	if (w->json)
		json_array_append_new(w->items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id,
							  "node", r->node, r->kind == CF_IDENTITY ? "purpose" : "store",
							  r->name, "cn", r->facts.cn, "rule", rule, "not_after", na));
	else
		printf("%-18s %-8lld %-32s %-20s %s (not after %s)\n", rule, (long long)r->id, r->node,
		       cli_text(r->name), cli_text(r->facts.cn), na);
	return 0;
}

/* Every stored certificate re-checked from its stored facts: no parsing (SPEC §12). */
static int validate_stored(cli *c, const char *node)
{
	cf_err e = {0};
	cf_revalidation rv = {0};
	struct stored_walk w = {.json = c->json, .items = json_array()};
	cf_node n = {0};
	int rc = cli_store(c, false);
	if (rc == 0 && node != NULL && cf_store_node_get(c->st, node, &n, &e) != CF_OK)
		rc = cli_fail(c, &e);
	cf_node_free(&n);
	if (rc == 0 && cf_store_revalidate(c->st, node, cf_clock_now(), stored_failure, &w, &rv, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && c->json)
		cli_json(json_pack("{s:{s:I, s:I, s:I, s:I, s:I}, s:O}", "summary", "total", (json_int_t)rv.total, "ok",
				   (json_int_t)rv.ok, "expired", (json_int_t)rv.expired, "not-yet-valid",
				   (json_int_t)rv.not_yet_valid, "untrusted-issuer", (json_int_t)rv.anchor_missing,
				   "items", w.items));
	else if (rc == 0)
		printf("%lld stored certificates re-validated: %lld ok, %lld expired, %lld not yet valid, %lld whose "
		       "trust anchor is gone\n",
		       (long long)rv.total, (long long)rv.ok, (long long)rv.expired, (long long)rv.not_yet_valid,
		       (long long)rv.anchor_missing);
	json_decref(w.items);
	if (rc == 0 && rv.ok != rv.total)
		rc = CF_E_FINDINGS;
	return rc;
}

int cmd_validate(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_trustidx *idx = NULL;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (cli_val(c, "stored") != NULL)
		return i == argc && !cli_val(c, "batch") && !cli_val(c, "store") && !cli_val(c, "ca-file")
			       ? validate_stored(c, cli_val(c, "node"))
			       : cli_usage(c);
	if ((cli_val(c, "batch") == NULL && argc - i != 1) || (cli_val(c, "batch") != NULL && argc - i < 1) ||
	    (cli_val(c, "store") != NULL) != (cli_val(c, "node") != NULL) ||
	    (cli_val(c, "store") != NULL && cli_val(c, "ca-file") != NULL))
		return cli_usage(c);
	cf_validate_opts o = {.host = cli_val(c, "host"), .now = cf_clock_now()};
	if (cli_val(c, "purpose") != NULL && (o.purpose = cf_purpose_find(cli_val(c, "purpose"), NULL)) == NULL) {
		cf_err_set(&e, CF_E_INPUT, cli_val(c, "purpose"), "not a certificate purpose");
		return cli_fail(c, &e);
	}
	int rc = load_trust(c, &idx);
	cf_revsource *rev = NULL;
	o.trust = idx;
	/* --revocation: every configured source (OCSP, the stored CRLs) */
	if (rc == 0 && cli_val(c, "revocation") != NULL) {
		if ((rc = cli_store(c, false)) == 0 &&
		    cf_revsource_load(c->st, cf_net_transport(), cli_val(c, "node"), &rev, &e) != CF_OK)
			rc = cli_fail(c, &e);
		o.revocation = cf_revsource_status;
		o.revocation_ctx = rev;
	}
	if (rc == 0)
		rc = cli_val(c, "batch") ? validate_batch(c, argv + i, argc - i, &o) : validate_one(c, argv[i], &o);
	cf_revsource_free(rev);
	cf_trustidx_free(idx);
	return rc;
}
