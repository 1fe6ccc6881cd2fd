/* Audit rows. */
#include "core/admin/audit.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

void cf_audit_actor_local(cf_audit_actor *out)
{
	uid_t uid = geteuid();
	const struct passwd *pw = getpwuid(uid);
	if (pw != NULL && pw->pw_name != NULL && pw->pw_name[0] != '\0')
		snprintf(out->account, sizeof(out->account), "%s", pw->pw_name);
	else
		snprintf(out->account, sizeof(out->account), "uid %lu", (unsigned long)uid);
	snprintf(out->client, sizeof(out->client), "local");
}

cf_code cf_audit_append(cf_store *st, const cf_audit_actor *a, const char *action, const char *object,
			const char *result, cf_err *e)
{
	cf_auditrow row = {
		.at = cf_clock_now(),
		.account = (char *)a->account,
		.client = (char *)a->client,
		.action = (char *)action,
		.object = (char *)object,
		.result = (char *)result,
	};
	return cf_store_audit_append(st, &row, NULL, e);
}

static cf_code audit_record_once(cf_store *st, const cf_audit_actor *a, const char *action, const char *object,
				 const char *result, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK && (rc = cf_audit_append(st, a, action, object, result, e)) == CF_OK)
		rc = cf_store_commit(st, e);
	if (rc != CF_OK)
		cf_store_rollback(st);
	return rc;
}

bool cf_audit_refusal_recorded(const cf_err *e)
{
	return e->reason == NULL || strcmp(e->reason, CF_REASON_STORE_BUSY) != 0;
}

cf_code cf_audit_record(cf_store *st, const cf_audit_actor *a, const char *action, const char *object,
			const char *result, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, audit_record_once(st, a, action, object, result, e));
	return rc;
}
