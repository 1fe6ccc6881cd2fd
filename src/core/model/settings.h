/* Cluster settings (SPEC §11.1 `cluster set`) as a table that drives parsing, validation
 * and display. Values are stored as text; lists are comma-joined, each entry a valid FQDN. */
#ifndef CF_SETTINGS_H
#define CF_SETTINGS_H

#include <stddef.h>

#include "util/err.h"
#include "util/strv.h"

typedef enum cf_settype { CF_SET_LIST, CF_SET_BOOL, CF_SET_ENUM, CF_SET_TEXT, CF_SET_FQDN } cf_settype;

typedef struct cf_setting {
	const char *key;
	cf_settype type;
	const char *choices; /* CF_SET_ENUM: space-separated */
	const char *def;     /* value when not set */
	const char *help;
} cf_setting;

const cf_setting *cf_setting_find(const char *key);
/* Iterates the table: start with *i = 0; NULL at the end. */
const cf_setting *cf_setting_next(int *i);
/* Turns the command-line values of `cluster set` into the stored text (*out, caller frees).
 * No values clears a list or text setting (*out = NULL). Bad values are CF_E_INPUT. */
cf_code cf_setting_parse(const cf_setting *s, char *const *values, size_t n, char **out, cf_err *e);
/* Splits a stored list value into items. */
void cf_setting_list(const char *stored, cf_strv *out);

#endif
