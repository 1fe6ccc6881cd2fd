#include "util/fileio.h"
#include "util/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cf_code cf_file_read(const char *path, size_t max, uint8_t **out, size_t *len, cf_err *e)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	cf_code rc = CF_OK;

	if (fd < 0)
		return cf_err_set(e, CF_E_INPUT, path, "cannot open: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = cf_err_set(e, CF_E_INPUT, path, "is a directory");
		goto out;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max) {
		rc = cf_err_set(e, CF_E_INPUT, path, "file is larger than %zu MiB", max >> 20);
		goto out;
	}
	/* The input may be a private key: a regular file is read into one block of its size (room
	 * left to see the end), and a pipe's block grows by copying and wiping, never realloc */
	size_t first = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 4096 + 2 : 65536;
	for (;;) {
		if (n + 4096 + 1 > cap && cf_secret_grow(&buf, &cap, n, cap > 0 ? n + 4096 + 1 : first) != 0) {
			rc = cf_err_set(e, CF_E_INTERNAL, path, "out of memory");
			goto out;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cf_err_set(e, CF_E_INPUT, path, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = cf_err_set(e, CF_E_INPUT, path, "file is larger than %zu MiB", max >> 20);
			goto out;
		}
	}
	if (n == 0) {
		rc = cf_err_set(e, CF_E_INPUT, path, "file is empty");
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
out:
	cf_secret_wipe(buf, cap);
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int cf_file_sync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int rc = -1, dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		rc = fsync(dfd);
		close(dfd);
	}
	free(copy);
	return rc;
}

cf_code cf_file_write_temp(const char *path, const void *data, size_t len, const cf_write_opts *opts, char *tmp,
			   size_t tmp_size, cf_err *e)
{
	int fd = -1;

	if (snprintf(tmp, tmp_size, "%s.tmp.XXXXXX", path) >= (int)tmp_size)
		return cf_err_set(e, CF_E_INPUT, path, "path is too long");
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return cf_err_set(e, CF_E_INPUT, path, "its directory does not exist");
	if (fd < 0)
		return cf_err_set(e, CF_E_INTERNAL, path, "cannot create a file beside it: %s", strerror(errno));
	if (fchmod(fd, opts->mode) != 0)
		goto fail;
	if ((opts->uid != (uid_t)-1 || opts->gid != (gid_t)-1) && fchown(fd, opts->uid, opts->gid) != 0)
		goto fail;
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return CF_OK;
fail:;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return cf_err_set(e, CF_E_INTERNAL, path, "cannot write: %s", strerror(saved));
}

cf_code cf_file_write_atomic(const char *path, const void *data, size_t len, const cf_write_opts *opts, cf_err *e)
{
	char tmp[4096];
	cf_code rc = cf_file_write_temp(path, data, len, opts, tmp, sizeof(tmp), e);
	if (rc != CF_OK)
		return rc;
	if (opts->keep_prev && access(path, F_OK) == 0) {
		char prev[4200];
		snprintf(prev, sizeof(prev), "%s.prev", path);
		unlink(prev);
		if (link(path, prev) != 0)
			goto fail;
	}
	if (rename(tmp, path) != 0)
		goto fail;
	cf_file_sync_dir(path);
	return CF_OK;
fail:;
	int saved = errno;
	unlink(tmp);
	return cf_err_set(e, CF_E_INTERNAL, path, "cannot write: %s", strerror(saved));
}

void cf_public_roots_read(uint8_t **buf, size_t *len)
{
	const char *path = getenv("CERTFLEET_CA_BUNDLE");
	if (path == NULL || path[0] == '\0')
		path = "/etc/ssl/certs/ca-certificates.crt";
	*buf = NULL;
	*len = 0;
	if (access(path, R_OK) != 0 || cf_file_read(path, CF_BUNDLE_MAX, buf, len, NULL) != CF_OK) {
		*buf = NULL;
		*len = 0;
	}
}
