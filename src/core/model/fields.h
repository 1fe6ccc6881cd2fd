/* Deployment-wide settings groups (the expiry monitor, revocation, the CRL schedule) declared
 * once each, as a table of fields: JSON name, the config command's option, type, bounds,
 * default, secret. The table drives the CLI options of `GROUP config`, `show` (CLI and JSON),
 * the PUT routes' body, validation and errors; an error's subject is the field's JSON name. */
#ifndef CF_FIELDS_H
#define CF_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define CF_FIELDS_MAX 16
#define CF_FIELD_VALUE_MAX 2048

typedef enum cf_fieldkind {
	CF_FIELD_BOOL,	   /* on|off; JSON true/false */
	CF_FIELD_INT,	   /* a whole number in [min, max]; JSON a number */
	CF_FIELD_DURATION, /* N and a unit of units ("12h"), [min, max] seconds; kept as seconds, shown in the
			    * largest unit that divides it */
	CF_FIELD_TIME,	   /* HH:MM (UTC); kept as minutes after midnight */
	CF_FIELD_CHOICE,   /* one of choices; kept as the word of stored_as at the same place */
	CF_FIELD_TEXT,	   /* one line of at most max bytes, normalised by check; "" clears it */
	CF_FIELD_LIST,	   /* TEXT separated by ';'; JSON also an array; shown as an array */
	CF_FIELD_FLAG,	   /* no value: clears key (JSON true; false changes nothing); shown as whether
			    * key is unset */
} cf_fieldkind;

typedef struct cf_field cf_field;
struct cf_field {
	const char *name;   /* the JSON name, and what errors name: "start_days" */
	const char *option; /* the config command's option without "--": "start-days" */
	const char *value;  /* the option's value in usage ("N"); NULL: a flag (FLAG, or a secret read from
			     * the first line of stdin) */
	cf_fieldkind kind;
	int64_t min, max;      /* INT, DURATION (seconds); TEXT and LIST: max bytes */
	const char *choices;   /* CHOICE: the words; DURATION: the units ("dh", "hms") */
	const char *stored_as; /* CHOICE: the words kept, as choices (NULL: the same) */
	const char *def;       /* kept text when never set */
	bool secret;	       /* never shown: show has "<name>_set" (kept as "<key>_set" = yes) */
	bool empty_keeps;      /* JSON "" changes nothing */
	const char *excludes;  /* a field this one may not come with */
	const char *key;       /* where it is kept, after the group's prefix */
	const char *expect;    /* "1 to 3650 days": what a refused value is told */
	const char *help;      /* for the CLI's --help */
	/* TEXT, LIST: checks and normalises a value into out (cap bytes); NULL: any line */
	cf_code (*check)(const cf_field *f, const char *in, char *out, size_t cap, cf_err *e);
	/* the kept text when it is not in one key of its own (monitor's smtp); NULL: key */
	cf_code (*load)(cf_store *st, const cf_field *f, char *out, size_t cap, cf_err *e);
	cf_code (*save)(cf_store *st, const cf_field *f, const char *kept, cf_err *e);
	void (*def_fn)(char *out, size_t cap); /* a default made at run time (the sender's host) */
};

typedef struct cf_fieldgroup {
	const char *name;   /* "monitor": "not a monitor setting" */
	const char *action; /* the audited action of a change: "monitor config" */
	const char *object; /* what the audit row of a CLI change names: "expiry monitor" */
	const char *prefix; /* of the keys in the store's settings: "monitor." */
	const cf_field *fields;
	size_t n;
	/* members show adds after the fields (the monitor's health); NULL: none */
	cf_code (*extend)(cf_store *st, json_t *o, cf_err *e);
} cf_fieldgroup;

/* One change: a field and its value as the config command takes it ("on", "12h"). */
typedef struct cf_fieldchange {
	const cf_field *f;
	const char *value;
} cf_fieldchange;

/* The field of a JSON name; NULL when the group has none. */
const cf_field *cf_field_find(const cf_fieldgroup *g, const char *name);
/* The store key of a field ("monitor.start_days") into buf. */
void cf_field_key(const cf_fieldgroup *g, const cf_field *f, const char *suffix, char *buf, size_t cap);

/* Checks every change, then keeps them all in one transaction (with the audit row the caller
 * armed); the first refusal (CF_E_INPUT, CF_E_USAGE for fields that exclude each other) changes
 * nothing and names the field. */
cf_code cf_fields_apply(cf_store *st, const cf_fieldgroup *g, const cf_fieldchange *c, size_t n, cf_err *e);

/* A request body as changes: values written as the config command takes them into vals (one per
 * change; wipe them after: a secret may be among them). A member that is not a field, or whose
 * JSON type is wrong, is CF_E_INPUT naming it; no members at all is CF_E_INPUT naming none. */
cf_code cf_fields_from_json(const cf_fieldgroup *g, json_t *body, cf_fieldchange *out, size_t *n,
			    char (*vals)[CF_FIELD_VALUE_MAX], cf_err *e);

/* What a change set did, for the audit log: "start_days=20 smtp_password=(set) ocsp_from_cert". */
void cf_fields_describe(const cf_fieldchange *c, size_t n, char *buf, size_t cap);

/* The settings as JSON, in table order (a secret as "<name>_set"), then the group's extras. New
 * object, or NULL with e set. */
json_t *cf_fields_show(cf_store *st, const cf_fieldgroup *g, cf_err *e);

/* The kept text of every field (its default when never set), for the groups' own getters. */
typedef struct cf_fieldvals {
	const cf_fieldgroup *g;
	char v[CF_FIELDS_MAX][CF_FIELD_VALUE_MAX];
} cf_fieldvals;
cf_code cf_fields_load(cf_store *st, const cf_fieldgroup *g, cf_fieldvals *out, cf_err *e);
const char *cf_fieldvals_text(const cf_fieldvals *v, const char *name);
int64_t cf_fieldvals_int(const cf_fieldvals *v, const char *name);
bool cf_fieldvals_on(const cf_fieldvals *v, const char *name); /* kept as "on" */

#endif
