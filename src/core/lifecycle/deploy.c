#include "core/lifecycle/deploy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lifecycle/served.h"
#include "core/model/profile.h"
#include "util/fileio.h"
#include "util/spawn.h"
#include "util/text.h"

/* A target's text field: NULL (keep) or one line of UTF-8. what names the field. */
static cf_code check_text(const char *what, const char *text, cf_err *e)
{
	if (text != NULL && !cf_text_clean(text, strlen(text)))
		return cf_err_set(e, CF_E_INPUT, what, "must be one line of text (UTF-8, no control characters)");
	return CF_OK;
}

/* A target's path: NULL (keep), "" (not written) or absolute. what names the field. */
static cf_code check_path(const char *what, const char *path, cf_err *e)
{
	cf_code rc = check_text(what, path, e);
	if (rc != CF_OK)
		return rc;
	if (path != NULL && path[0] != '\0' && path[0] != '/')
		return cf_err_set(e, CF_E_INPUT, what, "must be an absolute path, not \"%s\"", path);
	if (path != NULL && strlen(path) > PATH_MAX - 64)
		return cf_err_set(e, CF_E_INPUT, what, "is longer than %d bytes", PATH_MAX - 64);
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
			return cf_err_set(e, CF_E_INPUT, "owner", "no such user \"%s\"", user);
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (group != NULL && group[0] != '\0') {
		struct group *gr = getgrnam(group);
		if (gr == NULL)
			return cf_err_set(e, CF_E_INPUT, "owner", "no such group \"%s\"", group);
		*gid = gr->gr_gid;
	}
	return CF_OK;
}

/* The new value of a field: the given one, else the current one, else "". */
static const char *merged(const char *given, const char *current)
{
	return given ? given : current ? current : "";
}

static cf_code deploy_target_set_once(cf_store *st, const cf_deploy_target_spec *spec, cf_err *e)
{
	cf_node n = {0};
	cf_target *cur = NULL;
	size_t ncur = 0;
	uid_t uid;
	gid_t gid;
	long mode = -1;
	if (spec->mode != NULL) {
		size_t len = strlen(spec->mode);
		mode = len >= 1 && len <= 4 && strspn(spec->mode, "01234567") == len ? strtol(spec->mode, NULL, 8) : -1;
		if (mode < 0 || mode > 0777)
			return cf_err_set(e, CF_E_INPUT, "mode", "expected an octal file mode such as 0644, not \"%s\"",
					  spec->mode);
	}
	cf_code rc = check_path("cert path", spec->cert_path, e);
	if (rc == CF_OK)
		rc = check_path("key path", spec->key_path, e);
	if (rc == CF_OK)
		rc = check_path("chain path", spec->chain_path, e);
	if (rc == CF_OK)
		rc = check_text("owner", spec->owner, e);
	if (rc == CF_OK)
		rc = check_text("reload", spec->reload, e);
	if (rc == CF_OK)
		rc = cf_served_fields_check(spec->serves, spec->starttls, e);
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
			       .reload = (char *)merged(spec->reload, old ? old->reload : NULL),
			       .serves = (char *)merged(spec->serves, old ? old->serves : NULL),
			       .starttls = (char *)merged(spec->starttls, old ? old->starttls : NULL)};
		if (t.cert_path[0] == '\0' && t.key_path[0] == '\0' && t.chain_path[0] == '\0' && t.serves[0] == '\0')
			rc = cf_err_set(e, CF_E_USAGE, "deploy target",
					"give at least one of the certificate, key or chain paths, or the address it "
					"is served at");
		else
			rc = cf_store_target_set(st, &t, e);
		/* the last check was of another address */
		if (rc == CF_OK && (strcmp(t.serves, merged(NULL, old ? old->serves : NULL)) != 0 ||
				    strcmp(t.starttls, merged(NULL, old ? old->starttls : NULL)) != 0))
			rc = cf_store_served_drop(st, n.id, spec->purpose, e);
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

cf_code cf_deploy_target_set(cf_store *st, const cf_deploy_target_spec *spec, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, deploy_target_set_once(st, spec, e));
	return rc;
}

cf_code cf_deploy_targets(cf_store *st, const char *node, const char *purpose, cf_node *nd, cf_target **out, size_t *n,
			  cf_err *e)
{
	cf_code rc = cf_store_node_get(st, node, nd, e);
	if (rc == CF_OK)
		rc = cf_store_targets(st, nd->id, purpose, out, n, e);
	if (rc != CF_OK)
		cf_node_free(nd);
	return rc;
}

void cf_targets_free(cf_target *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cf_target_free(&v[i]);
	free(v);
}

void cf_deploy_report_free(cf_deploy_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].purpose);
		cf_strv_clear(&r->v[i].files);
		free(r->v[i].reload);
		free(r->v[i].reload_output);
		free(r->v[i].repaired);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- replacing a target's files together (docs/architecture.md, "Deploys") ------------------
 *
 * A target's files are replaced in steps, each recorded in a journal "<anchor>.journal" beside
 * the first of key, certificate and chain, so that every crash point leaves either a complete
 * pair on disk or a journal from which the next deploy repairs one before it does anything else:
 *   1. each new file is written and fsynced as "<file>.tmp.XXXXXX"; each current file gets a
 *      second hard link "<that temp>.old" (nothing the service reads has changed yet);
 *   2. the journal "prepared" names them all; the new files are renamed over the targets;
 *      a failure here puts the old links back (rolled back again by the next deploy after a crash);
 *   3. the journal "installed": the new files are in place; the old links become the .prev
 *      files when the replaced files were working, else they are dropped (completed by the next
 *      deploy after a crash);
 *   4. the reload runs; the journal is removed when it succeeds (or there is none). A journal
 *      left "installed" means the files in place never reloaded successfully: the next deploy
 *      does not make them the .prev files, so .prev stays the last working set. */

enum { JOURNAL_PREPARED, JOURNAL_INSTALLED };
#define DEPLOY_MAX_FILES 3

typedef struct jfile {
	char *path;  /* the target file */
	char *fresh; /* the new content's temp file */
	char *old;   /* second link to the file it replaces, NULL when there was none */
} jfile;

typedef struct journal {
	int phase;
	bool old_working; /* the files in place before this deploy had reloaded successfully */
	bool rotate_prev; /* the replaced files become the .prev files */
	size_t n;
	jfile f[DEPLOY_MAX_FILES];
} journal;

static void journal_clear(journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->f[i].path);
		free(j->f[i].fresh);
		free(j->f[i].old);
	}
	memset(j, 0, sizeof(*j));
}

static cf_code io_err(cf_err *e, const char *path, const char *what, int err)
{
	return cf_err_set(e, CF_E_INTERNAL, path, "%s: %s", what, strerror(err));
}

/* Adds what became of the files to an error already set. */
static void err_append(cf_err *e, const char *text)
{
	if (e != NULL)
		snprintf(e->message + strlen(e->message), sizeof(e->message) - strlen(e->message), "%s", text);
}

/* unlink that counts a missing file as removed */
static int remove_file(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

static cf_code journal_write(const char *jpath, const journal *j, cf_err *e)
{
	json_t *files = json_array();
	for (size_t i = 0; i < j->n; i++)
		json_array_append_new(files, json_pack("{s:s, s:s, s:s?}", "path", j->f[i].path, "new", j->f[i].fresh,
						       "old", j->f[i].old));
	json_t *o = json_pack("{s:i, s:s, s:b, s:b, s:o}", "version", 1, "phase",
			      j->phase == JOURNAL_PREPARED ? "prepared" : "installed", "old_working", j->old_working,
			      "rotate_prev", j->rotate_prev, "files", files);
	char *text = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
	json_decref(o);
	if (text == NULL)
		return cf_err_set(e, CF_E_INTERNAL, jpath, "out of memory");
	cf_write_opts wo = {.mode = 0600, .uid = (uid_t)-1, .gid = (gid_t)-1};
	cf_code rc = cf_file_write_atomic(jpath, text, strlen(text), &wo, e);
	free(text);
	return rc;
}

/* Reads the journal at jpath into *j; *found is false (and *j empty) when there is none. */
static cf_code journal_read(const char *jpath, journal *j, bool *found, cf_err *e)
{
	json_error_t je;
	*found = false;
	if (!file_exists(jpath))
		return CF_OK;
	json_t *o = json_load_file(jpath, 0, &je), *files = NULL;
	const char *phase = NULL;
	int old_working = 0, rotate_prev = 0, version = 0;
	if (o == NULL ||
	    json_unpack(o, "{s:i, s:s, s:b, s:b, s:o}", "version", &version, "phase", &phase, "old_working",
			&old_working, "rotate_prev", &rotate_prev, "files", &files) != 0 ||
	    version != 1 || (strcmp(phase, "prepared") != 0 && strcmp(phase, "installed") != 0) ||
	    !json_is_array(files) || json_array_size(files) > DEPLOY_MAX_FILES)
		goto bad;
	j->phase = strcmp(phase, "prepared") == 0 ? JOURNAL_PREPARED : JOURNAL_INSTALLED;
	j->old_working = old_working;
	j->rotate_prev = rotate_prev;
	for (size_t i = 0; i < json_array_size(files); i++) {
		const char *path = NULL, *fresh = NULL, *old = NULL;
		if (json_unpack(json_array_get(files, i), "{s:s, s:s, s?s}", "path", &path, "new", &fresh, "old",
				&old) != 0 ||
		    path[0] != '/' || fresh[0] != '/' || (old != NULL && old[0] != '/'))
			goto bad;
		jfile *f = &j->f[j->n++];
		f->path = strdup(path);
		f->fresh = strdup(fresh);
		f->old = old ? strdup(old) : NULL;
		if (f->path == NULL || f->fresh == NULL || (old != NULL && f->old == NULL)) {
			json_decref(o);
			journal_clear(j);
			return cf_err_set(e, CF_E_INTERNAL, jpath, "out of memory");
		}
	}
	json_decref(o);
	*found = true;
	return CF_OK;
bad:
	json_decref(o);
	journal_clear(j);
	return cf_err_set(e, CF_E_STATE, jpath,
			  "not a deploy journal certfleet can read; check the files it names, then remove it");
}

/* The length of path's directory part ("/a/b" of "/a/b/c"). */
static size_t dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash == NULL || slash == path ? 1 : (size_t)(slash - path);
}

/* fsyncs the directory of every file of j, each directory once. */
static cf_code sync_dirs(const journal *j, cf_err *e)
{
	for (size_t i = 0; i < j->n; i++) {
		const char *p = j->f[i].path;
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = dir_len(j->f[k].path) == dir_len(p) && strncmp(j->f[k].path, p, dir_len(p)) == 0;
		if (!seen && cf_file_sync_dir(p) != 0)
			return io_err(e, p, "cannot sync its directory", errno);
	}
	return CF_OK;
}

/* Puts back the files a prepared deploy replaced and removes its temp files. Safe to repeat
 * after a crash: a missing second link means its file is back already. */
static cf_code roll_back(const journal *j, cf_err *e)
{
	for (size_t i = 0; i < j->n; i++) {
		const jfile *f = &j->f[i];
		if (f->old != NULL && file_exists(f->old)) {
			/* rename between two links of one file changes nothing: the unlink drops the link */
			if (rename(f->old, f->path) != 0 || remove_file(f->old) != 0)
				return io_err(e, f->path, "cannot put the previous file back", errno);
		} else if (f->old == NULL && remove_file(f->path) != 0) {
			return io_err(e, f->path, "cannot remove the new file", errno);
		}
		if (file_exists(f->fresh) && remove_file(f->fresh) != 0)
			return io_err(e, f->fresh, "cannot remove", errno);
	}
	return sync_dirs(j, e);
}

/* Completes an installed deploy: the replaced files become the .prev files (or are dropped).
 * Safe to repeat. */
static cf_code finish(const journal *j, cf_err *e)
{
	char prev[PATH_MAX + 8];
	for (size_t i = 0; i < j->n; i++) {
		const jfile *f = &j->f[i];
		snprintf(prev, sizeof(prev), "%s.prev", f->path);
		if (file_exists(f->fresh) && remove_file(f->fresh) != 0)
			return io_err(e, f->fresh, "cannot remove", errno);
		if (j->rotate_prev && f->old == NULL) {
			if (remove_file(prev) != 0)
				return io_err(e, prev, "cannot remove", errno);
		} else if (j->rotate_prev) {
			if (file_exists(f->old) && rename(f->old, prev) != 0)
				return io_err(e, prev, "cannot keep the previous file", errno);
		} else if (f->old != NULL && remove_file(f->old) != 0) {
			return io_err(e, f->old, "cannot remove", errno);
		}
	}
	return sync_dirs(j, e);
}

/* Leaves the journal saying what the files now in place are: none when they work, else an
 * empty "installed" one (not known to work: they never become .prev). */
static cf_code journal_settle(const char *jpath, bool working, cf_err *e)
{
	if (!working) {
		journal empty = {.phase = JOURNAL_INSTALLED};
		return journal_write(jpath, &empty, e);
	}
	if (remove_file(jpath) != 0 || cf_file_sync_dir(jpath) != 0)
		return io_err(e, jpath, "cannot remove the deploy journal", errno);
	return CF_OK;
}

/* Repairs what an interrupted deploy left at jpath, before anything else is done there: a
 * prepared one is rolled back, an installed one completed. *working says whether the files now
 * in place had reloaded successfully; *note (static text or NULL) what was repaired. */
static cf_code repair(const char *jpath, bool *working, const char **note, cf_err *e)
{
	journal j = {0};
	bool found = false;
	*working = true;
	*note = NULL;
	cf_code rc = journal_read(jpath, &j, &found, e);
	if (rc != CF_OK || !found)
		return rc;
	if (j.phase == JOURNAL_PREPARED) {
		rc = roll_back(&j, e);
		if (rc == CF_OK)
			rc = journal_settle(jpath, j.old_working, e);
		*working = j.old_working;
		*note = "put back the files an interrupted deploy had begun to replace";
	} else {
		rc = finish(&j, e);
		*working = false;
		if (j.n > 0)
			*note = "completed an interrupted deploy";
	}
	journal_clear(&j);
	return rc;
}

/* Removes "<base>.tmp.*" beside path: temp files (private keys among them) of killed deploys.
 * Called with the target's lock held, after repair, so none of them is in use. */
static cf_code remove_stale_temps(const char *path, cf_err *e)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 8], victim[PATH_MAX + NAME_MAX + 2];
	size_t dlen = dir_len(path);
	if (dlen >= sizeof(dir) ||
	    snprintf(prefix, sizeof(prefix), "%s.tmp.", strrchr(path, '/') + 1) >= (int)sizeof(prefix))
		return cf_err_set(e, CF_E_INPUT, path, "path is too long");
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? cf_err_set(e, CF_E_INPUT, path, "its directory does not exist")
				       : io_err(e, path, "cannot list its directory", errno);
	cf_code rc = CF_OK;
	struct dirent *de;
	while (rc == CF_OK && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(victim, sizeof(victim), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, de->d_name);
		if (remove_file(victim) != 0)
			rc = io_err(e, victim, "cannot remove a stale temp file", errno);
	}
	closedir(d);
	return rc;
}

/* Whether path holds exactly len bytes equal to data (compared in chunks; may be a key). */
static bool same_content(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[4096];
	size_t off = 0;
	bool same = true;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			same = r == 0 && off == len;
			break;
		}
		if ((size_t)r > len - off || memcmp(buf, data + off, (size_t)r) != 0) {
			same = false;
			break;
		}
		off += (size_t)r;
	}
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return same;
}

/* One file of a target: where it goes, what it holds, with which mode. */
typedef struct dfile {
	const char *path, *data;
	mode_t mode;
} dfile;

/* Step 1: every new file as a temp file, every current file linked once more; j lists them
 * (and on failure, what is left to remove). *differs says whether any content changes. */
static cf_code prepare(const dfile *df, size_t n, uid_t uid, gid_t gid, journal *j, bool *differs, cf_err *e)
{
	char tmp[PATH_MAX], old[PATH_MAX + 8];
	*differs = false;
	for (size_t i = 0; i < n; i++) {
		cf_write_opts o = {.mode = df[i].mode, .uid = uid, .gid = gid};
		cf_code rc = cf_file_write_temp(df[i].path, df[i].data, strlen(df[i].data), &o, tmp, sizeof(tmp), e);
		if (rc != CF_OK)
			return rc;
		jfile *f = &j->f[j->n++];
		f->path = strdup(df[i].path);
		f->fresh = strdup(tmp);
		if (f->path == NULL || f->fresh == NULL)
			return cf_err_set(e, CF_E_INTERNAL, df[i].path, "out of memory");
		if (!file_exists(df[i].path)) {
			*differs = true;
			continue;
		}
		if (!same_content(df[i].path, df[i].data, strlen(df[i].data)))
			*differs = true;
		snprintf(old, sizeof(old), "%s.old", tmp);
		if (link(df[i].path, old) != 0)
			return io_err(e, df[i].path, "cannot keep a link to the current file", errno);
		if ((f->old = strdup(old)) == NULL)
			return cf_err_set(e, CF_E_INTERNAL, df[i].path, "out of memory");
	}
	return sync_dirs(j, e);
}

/* Removes what prepare made (nothing the service reads has changed). */
static void unprepare(const journal *j)
{
	for (size_t i = 0; i < j->n; i++) {
		unlink(j->f[i].fresh);
		if (j->f[i].old != NULL)
			unlink(j->f[i].old);
	}
}

/* Replaces the files of one target together (steps above), repairing first what an
 * interrupted deploy left. */
static cf_code replace_files(const char *jpath, const dfile *df, size_t n, uid_t uid, gid_t gid, cf_deploy_result *res,
			     cf_err *e)
{
	journal j = {0};
	bool working = true, differs = false;
	const char *note = NULL;
	cf_code rc = repair(jpath, &working, &note, e);
	if (rc == CF_OK && note != NULL && (res->repaired = strdup(note)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, jpath, "out of memory");
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		rc = remove_stale_temps(df[i].path, e);
	if (rc == CF_OK)
		rc = remove_stale_temps(jpath, e);
	if (rc != CF_OK)
		return rc;

	rc = prepare(df, n, uid, gid, &j, &differs, e);
	if (rc == CF_OK) {
		bool any_old = false;
		for (size_t i = 0; i < j.n; i++)
			any_old |= j.f[i].old != NULL;
		j.phase = JOURNAL_PREPARED;
		j.old_working = working;
		j.rotate_prev = working && any_old && differs;
		rc = journal_write(jpath, &j, e);
	}
	if (rc != CF_OK) {
		unprepare(&j);
		journal_clear(&j);
		return rc;
	}

	/* step 2: from the first rename to the "installed" journal, a failure is rolled back */
	for (size_t i = 0; i < j.n && rc == CF_OK; i++)
		if (rename(j.f[i].fresh, j.f[i].path) != 0)
			rc = io_err(e, j.f[i].path, "cannot write", errno);
	if (rc == CF_OK)
		rc = sync_dirs(&j, e);
	if (rc == CF_OK) {
		j.phase = JOURNAL_INSTALLED;
		rc = journal_write(jpath, &j, e);
	}
	if (rc != CF_OK) {
		cf_err ignored = {0};
		if (roll_back(&j, &ignored) == CF_OK && journal_settle(jpath, working, &ignored) == CF_OK)
			err_append(e, "; the previous files are back in place");
		else
			err_append(e, "; the next deploy puts the previous files back first");
		journal_clear(&j);
		return rc;
	}

	/* step 3 */
	for (size_t i = 0; i < j.n; i++)
		cf_strv_push(&res->files, j.f[i].path);
	rc = finish(&j, e);
	if (rc != CF_OK)
		err_append(e, "; the new files are in place, and the next deploy completes their .prev files");
	journal_clear(&j);
	return rc;
}

/* Runs the target's reload command, bounded in time, keeping what it printed. */
static cf_code run_reload(const char *cmd, cf_deploy_result *res, cf_err *e)
{
	cf_spawn_result sr;
	if ((res->reload = strdup(cmd)) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, res->purpose, "out of memory");
	res->reload_status = cf_spawn_shell(cmd, CF_DEPLOY_RELOAD_TIMEOUT_S, &sr);
	res->reload_timed_out = sr.timed_out != 0;
	res->reload_output = sr.output;
	if (sr.output == NULL)
		return cf_err_set(e, CF_E_INTERNAL, res->purpose, "out of memory");
	return CF_OK;
}

/* An exclusive lock on the directory of path (the journal's), held by *fd until closed, so two
 * deploys of one target never interleave. */
static cf_code lock_dir(const char *path, int *fd, cf_err *e)
{
	char dir[PATH_MAX];
	size_t dlen = dir_len(path);
	if (dlen >= sizeof(dir))
		return cf_err_set(e, CF_E_INPUT, path, "path is too long");
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT || errno == ENOTDIR
			       ? cf_err_set(e, CF_E_INPUT, path, "its directory does not exist")
			       : io_err(e, path, "cannot open its directory", errno);
	while (flock(*fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			int err = errno;
			close(*fd);
			*fd = -1;
			return io_err(e, path, "cannot lock its directory", err);
		}
	return CF_OK;
}

static cf_code deploy_one(cf_store *st, int64_t node_id, const cf_target *t, cf_deploy_result *res, cf_err *e)
{
	cf_certrow id = {0};
	cf_cert *cert = NULL;
	char *cert_pem = NULL;
	char jpath[PATH_MAX];
	int lockfd = -1;
	uid_t uid;
	gid_t gid;
	dfile df[DEPLOY_MAX_FILES];
	size_t n = 0;
	cf_code rc = parse_owner(t->owner, &uid, &gid, e);
	if (rc == CF_OK)
		rc = cf_store_identity_get(st, node_id, t->purpose, t->key_path[0] != '\0', &id, e);
	if (rc == CF_OK &&
	    ((cert = cf_cert_from_der(id.der, id.der_len)) == NULL || (cert_pem = cf_cert_pem(cert)) == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, t->purpose, "stored certificate does not encode");
	if (rc != CF_OK)
		goto out;
	/* key first: the journal lives beside it */
	if (t->key_path[0] != '\0')
		df[n++] = (dfile){t->key_path, id.key_pem ? id.key_pem : "", 0600};
	if (t->chain_path[0] != '\0')
		df[n++] = (dfile){t->chain_path, id.chain_pem, (mode_t)t->mode};
	if (t->cert_path[0] != '\0')
		df[n++] = (dfile){t->cert_path, cert_pem, (mode_t)t->mode};
	if (n == 0)
		goto out;
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		if (strlen(df[i].path) > PATH_MAX - 64)
			rc = cf_err_set(e, CF_E_INPUT, df[i].path, "path is too long");
	if (rc == CF_OK) {
		snprintf(jpath, sizeof(jpath), "%s.journal", df[0].path);
		rc = lock_dir(df[0].path, &lockfd, e); /* the journal's directory, named by its file */
	}
	if (rc == CF_OK)
		rc = replace_files(jpath, df, n, uid, gid, res, e);
	if (rc != CF_OK)
		goto out;
	bool reloaded = true;
	if (t->reload[0] != '\0') {
		rc = run_reload(t->reload, res, e);
		reloaded = rc == CF_OK && res->reload_status == 0;
	}
	/* files whose reload failed stay marked (an empty "installed" journal): never .prev */
	cf_code src = journal_settle(jpath, reloaded, rc == CF_OK ? e : NULL);
	if (rc == CF_OK)
		rc = src;
out:
	if (lockfd >= 0)
		close(lockfd);
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
		rc = cf_err_set(e, CF_E_NOTFOUND, node, "no deploy targets%s%s; set a deploy target first",
				purpose ? " for " : "", purpose ? purpose : "");
	if (rc == CF_OK && (out->v = calloc(nt, sizeof(*out->v))) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, node, "out of memory");
	const cf_deploy_result *failed = NULL;
	for (size_t i = 0; i < nt && rc == CF_OK; i++) {
		cf_deploy_result *res = &out->v[out->n++];
		if ((res->purpose = strdup(targets[i].purpose)) == NULL) {
			rc = cf_err_set(e, CF_E_INTERNAL, node, "out of memory");
			break;
		}
		rc = deploy_one(st, n.id, &targets[i], res, e);
		if (res->reload != NULL && res->reload_status != 0 && failed == NULL)
			failed = res;
	}
	if (rc == CF_OK && failed != NULL) {
		char why[64];
		if (failed->reload_timed_out)
			snprintf(why, sizeof(why), "was killed after %d s", CF_DEPLOY_RELOAD_TIMEOUT_S);
		else if (failed->reload_status < 0)
			snprintf(why, sizeof(why), "could not run or was killed");
		else
			snprintf(why, sizeof(why), "failed with exit status %d", failed->reload_status);
		rc = cf_err_set(e, CF_E_REMOTE, node,
				"the reload for %s %s; the new files are in place and the last working ones are kept "
				"as .prev",
				failed->purpose, why);
	}
	for (size_t i = 0; i < nt; i++)
		cf_target_free(&targets[i]);
	free(targets);
	cf_node_free(&n);
	return rc;
}
