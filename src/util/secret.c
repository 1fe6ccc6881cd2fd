#include "util/secret.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

void cf_secret_wipe(void *p, size_t n)
{
	if (p != NULL)
		explicit_bzero(p, n);
}

void cf_secret_free(char *s)
{
	if (s == NULL)
		return;
	cf_secret_wipe(s, strlen(s));
	free(s);
}

int cf_secret_grow(uint8_t **p, size_t *cap, size_t len, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap <= SIZE_MAX / 2 ? *cap * 2 : SIZE_MAX;
	if (ncap < need)
		ncap = need;
	uint8_t *nb = malloc(ncap);
	if (nb == NULL)
		return -1;
	if (len > 0)
		memcpy(nb, *p, len);
	cf_secret_wipe(*p, *cap);
	free(*p);
	*p = nb;
	*cap = ncap;
	return 0;
}

cf_code cf_process_harden(cf_err *e)
{
	const struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return cf_err_set(e, CF_E_INTERNAL, "core dumps", "cannot turn off core files: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cf_err_set(e, CF_E_INTERNAL, "core dumps", "cannot clear the dumpable flag: %s",
				  strerror(errno));
	return CF_OK;
}
