/* Reading outside input with a size limit, and atomic file writes (temp file beside the
 * target, fchmod/fchown, write, fsync, rename, fsync of the directory). */
#ifndef CF_FILEIO_H
#define CF_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define CF_INPUT_MAX (16u * 1024u * 1024u) /* SPEC §3.4: uploads are at most 16 MiB */
/* Trust bundles are imported in bulk (a whole CA list in one PEM file), so they get more room. */
#define CF_BUNDLE_MAX (512u * 1024u * 1024u)

/* Reads a whole file ("-" is standard input) of at most max bytes into a new NUL-terminated
 * buffer (*out, caller frees). An empty, unreadable or oversized file is CF_E_INPUT with the
 * path as subject. */
cf_code cf_file_read(const char *path, size_t max, uint8_t **out, size_t *len, cf_err *e);

typedef struct cf_write_opts {
	mode_t mode;   /* file mode, e.g. 0600 for keys */
	uid_t uid;     /* owner, or (uid_t)-1 to keep the writer's */
	gid_t gid;     /* group, or (gid_t)-1 */
	int keep_prev; /* non-zero: an existing target is first hard-linked to "<path>.prev" */
} cf_write_opts;

/* Replaces path with data atomically: readers see the old file or the new one, never a mix,
 * and a crash leaves one of them. */
cf_code cf_file_write_atomic(const char *path, const void *data, size_t len, const cf_write_opts *opts, cf_err *e);

/* The first half of an atomic write, for callers that replace several files together: data in
 * a new file "<path>.tmp.XXXXXX" beside path (mode and owner set, fsynced, closed), whose name
 * goes to tmp (tmp_size bytes). The caller renames it into place; on failure nothing is left. */
cf_code cf_file_write_temp(const char *path, const void *data, size_t len, const cf_write_opts *opts, char *tmp,
			   size_t tmp_size, cf_err *e);

/* fsyncs the directory that holds path, so renames, links and unlinks in it survive a power
 * loss. 0, or -1 with errno set. */
int cf_file_sync_dir(const char *path);

/* The public root CAs the doctor compares against: $CERTFLEET_CA_BUNDLE, else the system bundle
 * (/etc/ssl/certs/ca-certificates.crt). *buf is NULL (and *len 0) when there is none. */
void cf_public_roots_read(uint8_t **buf, size_t *len);

#endif
