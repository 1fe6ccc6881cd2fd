/* certfleetd's settings routes, one pair for every settings group (core/model/fields.h): GET answers
 * what `GROUP show --json` prints, PUT changes the members given as `GROUP config` does (audited
 * the same) and answers the settings. */
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "util/secret.h"

void cf_route_settings_get(cf_req *q, const cf_fieldgroup *g)
{
	cf_err e = {0};
	json_t *o = NULL;
	if (!cf_req_session(q))
		return;
	if ((o = cf_fields_show(q->st, g, &e)) == NULL)
		cf_reply_err(q, &e);
	else
		cf_reply_json(q, 200, o);
}

/* Wipes the secrets of the request body (a password) before it is freed. */
static void wipe_secrets(cf_req *q, const cf_fieldgroup *g)
{
	for (size_t i = 0; q->fields != NULL && i < g->n; i++) {
		json_t *v = json_object_get(q->fields, g->fields[i].name);
		if (g->fields[i].secret && json_is_string(v))
			cf_secret_wipe((char *)json_string_value(v), json_string_length(v));
	}
}

void cf_route_settings_put(cf_req *q, const cf_fieldgroup *g)
{
	char(*vals)[CF_FIELD_VALUE_MAX] = NULL;
	cf_fieldchange changes[CF_FIELDS_MAX];
	size_t n = 0;
	char object[600];
	cf_err e = {0};
	cf_change c;
	json_t *body = NULL;
	if (!cf_req_change(q, true) || (body = cf_req_json(q)) == NULL)
		return;
	if ((vals = calloc(CF_FIELDS_MAX, sizeof(*vals))) == NULL) {
		cf_reply_error(q, 500, "internal error", "out of memory");
	} else if (cf_fields_from_json(g, body, changes, &n, vals, &e) != CF_OK) {
		cf_reply_err(q, &e); /* the body's types: refused before anything is tried, not audited */
	} else {
		cf_fields_describe(changes, n, object, sizeof(object)); /* never a secret */
		cf_change_begin(q, &c, g->action, "%s", object);
		cf_code rc = cf_fields_apply(q->st, g, changes, n, &e);
		if (cf_change_end(q, &c, rc, &e)) {
			cf_runner_poke(q->d->runner); /* the jobs' schedules follow the settings */
			json_t *o = cf_fields_show(q->st, g, &e);
			if (o != NULL)
				cf_reply_json(q, 200, o);
			else
				cf_reply_err(q, &e);
		}
	}
	if (vals != NULL)
		cf_secret_wipe(vals, CF_FIELDS_MAX * sizeof(*vals));
	free(vals);
	wipe_secrets(q, g);
}
