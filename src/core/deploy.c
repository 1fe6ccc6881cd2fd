#include "core/deploy.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/profile.h"
#include "util/fileio.h"

static cf_code check_path(const char *what, const char *path, cf_err *e)
{
	if (path != NULL && path[0] != '/')
		return cf_err_set(e, CF_E_INPUT, what, "must be an absolute path, not \"%s\"", path);
	return CF_OK;
}

/* "user[:group]" to ids; CF_E_INPUT when unknown. */
static cf_code parse_owner(const char *owner, uid_t *uid, gid_t *gid, cf_err *e)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (owner == NULL || owner[0] == '\0')
		return CF_OK;
	char user[256];
	snprintf(user, sizeof(user), "%s", owner);
	char *group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	if (user[0] != '\0') {
		struct passwd *pw = getpwnam(user);
		if (pw == NULL)
			return cf_err_set(e, CF_E_INPUT, "--owner", "no such user \"%s\"", user);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL)
			return cf_err_set(e, CF_E_INPUT, "--owner", "no such group \"%s\"", group);
		*gid = gr->gr_gid;
	}
	return CF_OK;
}

/* The new value of a field: the given one, else the current one, else "". */
static const char *merged(const char *given, const char *current)
{
	return given ? given : current ? current : "";
}

cf_code cf_deploy_target_set(cf_store *st, const cf_target_spec *spec, cf_err *e)
{
	cf_node n = {0};
	cf_target *cur = NULL;
	size_t ncur = 0;
	uid_t uid;
	gid_t gid;
	long mode = -1;
	if (spec->mode != NULL) {
		char *end = NULL;
		mode = strtol(spec->mode, &end, 8);
		if (*end != '\0' || mode < 0 || mode > 0777)
			return cf_err_set(e, CF_E_INPUT, "--mode",
					  "expected an octal file mode such as 0644, not \"%s\"", spec->mode);
	}
	cf_code rc = check_path("--cert", spec->cert_path, e);
	if (rc == CF_OK)
		rc = check_path("--key", spec->key_path, e);
	if (rc == CF_OK)
		rc = check_path("--chain", spec->chain_path, e);
	if (rc == CF_OK)
		rc = parse_owner(spec->owner, &uid, &gid, e);
	if (rc == CF_OK)
		rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, spec->node, &n, e);
	if (rc == CF_OK && cf_purpose_find(spec->purpose, n.product) == NULL)
		rc = cf_err_set(e, CF_E_INPUT, spec->purpose, "not a certificate purpose of %s nodes", n.product);
	if (rc == CF_OK)
		rc = cf_store_targets(st, n.id, spec->purpose, &cur, &ncur, e);
	if (rc == CF_OK) {
		const cf_target *old = ncur > 0 ? &cur[0] : NULL;
		cf_target t = {.node_id = n.id,
			       .purpose = (char *)spec->purpose,
			       .cert_path = (char *)merged(spec->cert_path, old ? old->cert_path : NULL),
			       .key_path = (char *)merged(spec->key_path, old ? old->key_path : NULL),
			       .chain_path = (char *)merged(spec->chain_path, old ? old->chain_path : NULL),
			       .owner = (char *)merged(spec->owner, old ? old->owner : NULL),
			       .mode = mode >= 0 ? (int)mode
				       : old	 ? old->mode
						 : 0644,
			       .reload = (char *)merged(spec->reload, old ? old->reload : NULL)};
		if (t.cert_path[0] == '\0' && t.key_path[0] == '\0' && t.chain_path[0] == '\0')
			rc = cf_err_set(e, CF_E_USAGE, "deploy-target", "give at least one of --cert, --key, --chain");
		else
			rc = cf_store_target_set(st, &t, e);
	}
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	for (size_t i = 0; i < ncur; i++)
		cf_target_free(&cur[i]);
	free(cur);
	cf_node_free(&n);
	return rc;
}

void cf_deploy_report_free(cf_deploy_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].purpose);
		cf_strv_clear(&r->v[i].files);
		free(r->v[i].reload);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static cf_code write_file(const char *path, const char *data, mode_t mode, uid_t uid, gid_t gid, cf_deploy_result *res,
			  cf_err *e)
{
	if (path == NULL || path[0] == '\0')
		return CF_OK;
	cf_write_opts o = {.mode = mode, .uid = uid, .gid = gid, .keep_prev = 1};
	cf_code rc = cf_file_write_atomic(path, data, strlen(data), &o, e);
	if (rc == CF_OK)
		cf_strv_push(&res->files, path);
	return rc;
}

static int run_reload(const char *cmd)
{
	fflush(NULL);
	int status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static cf_code deploy_one(cf_store *st, int64_t node_id, const cf_target *t, cf_deploy_result *res, cf_err *e)
{
	cf_certrow id = {0};
	cf_cert *cert = NULL;
	char *cert_pem = NULL;
	uid_t uid;
	gid_t gid;
	cf_code rc = parse_owner(t->owner, &uid, &gid, e);
	if (rc == CF_OK)
		rc = cf_store_identity_get(st, node_id, t->purpose, t->key_path[0] != '\0', &id, e);
	if (rc == CF_OK &&
	    ((cert = cf_cert_from_der(id.der, id.der_len)) == NULL || (cert_pem = cf_cert_pem(cert)) == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, t->purpose, "stored certificate does not encode");
	/* key first: a reader that sees the new certificate also finds its key */
	if (rc == CF_OK)
		rc = write_file(t->key_path, id.key_pem ? id.key_pem : "", 0600, uid, gid, res, e);
	if (rc == CF_OK)
		rc = write_file(t->chain_path, id.chain_pem, (mode_t)t->mode, uid, gid, res, e);
	if (rc == CF_OK)
		rc = write_file(t->cert_path, cert_pem, (mode_t)t->mode, uid, gid, res, e);
	if (rc == CF_OK && t->reload[0] != '\0') {
		res->reload = strdup(t->reload);
		res->reload_status = run_reload(t->reload);
	}
	free(cert_pem);
	cf_cert_free(cert);
	cf_certrow_free(&id);
	return rc;
}

cf_code cf_deploy_run(cf_store *st, const char *node, const char *purpose, cf_deploy_report *out, cf_err *e)
{
	cf_node n = {0};
	cf_target *targets = NULL;
	size_t nt = 0;
	cf_code rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_targets(st, n.id, purpose, &targets, &nt, e);
	if (rc == CF_OK && nt == 0)
		rc = cf_err_set(e, CF_E_NOTFOUND, node,
				"no deploy targets%s%s; set them with 'certfleet deploy-target set'",
				purpose ? " for " : "", purpose ? purpose : "");
	if (rc == CF_OK && (out->v = calloc(nt, sizeof(*out->v))) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, node, "out of memory");
	const char *failed = NULL;
	for (size_t i = 0; i < nt && rc == CF_OK; i++) {
		cf_deploy_result *res = &out->v[out->n++];
		res->purpose = strdup(targets[i].purpose);
		rc = deploy_one(st, n.id, &targets[i], res, e);
		if (res->reload != NULL && res->reload_status != 0 && failed == NULL)
			failed = res->purpose;
	}
	if (rc == CF_OK && failed != NULL)
		rc = cf_err_set(
			e, CF_E_REMOTE, node,
			"reload for %s failed; the new files are in place and the previous ones are kept as .prev",
			failed);
	for (size_t i = 0; i < nt; i++)
		cf_target_free(&targets[i]);
	free(targets);
	cf_node_free(&n);
	return rc;
}
