/* libFuzzer target: FQDN rules and cluster settings as typed by an operator. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/fqdn.h"
#include "core/model/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)cf_fqdn_problem(s);
	(void)cf_wildcard_fqdn_problem(s);
	(void)cf_is_ip(s);
	int i = 0;
	const cf_setting *set;
	cf_err e;
	while ((set = cf_setting_next(&i)) != NULL) {
		char *out = NULL;
		char *vals[1] = {s};
		if (cf_setting_parse(set, vals, 1, &out, &e) == CF_OK)
			free(out);
	}
	free(s);
	return 0;
}
