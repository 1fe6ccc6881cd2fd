/* POST /api/v1/upload: a CA-signed certificate (with its chain, and optionally its key) for a
 * purpose, or certificates for a trust store; as JSON {"node","purpose"|"store","pem","key",
 * "description","force"} or as the page's multipart form (parts node, purpose|store, description,
 * force, file, key). The same library calls as `certfleet cert upload` and `trust add`. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/lifecycle/identity.h"
#include "core/lifecycle/trust.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "daemon/multipart.h"
#include "net_transport.h"
#include "util/text.h"

#define TEXT_PART_MAX 1024

/* What to upload, wherever it came from. Pointers borrow from the request. */
typedef struct upload {
	const char *node, *purpose, *store, *description;
	bool force;	  /* past the gates peers need (the page asked to confirm) */
	const char *name; /* the file's name, for messages */
	const uint8_t *cert;
	size_t cert_len;
	const char *key_name;
	uint8_t *key; /* wiped after use */
	size_t key_len;
} upload;

/* The text parts of the form as q->fields and into u; false (replied) when one is malformed. */
static bool form_fields(cf_req *q, const cf_form *f, upload *u)
{
	static const char *const text[] = {"node", "purpose", "store", "description", "force"};
	const char *force = NULL;
	const char **dest[] = {&u->node, &u->purpose, &u->store, &u->description, &force};
	q->fields = json_object();
	for (size_t i = 0; i < f->n; i++) {
		const cf_part *p = &f->parts[i];
		size_t k = 0;
		while (k < 5 && strcmp(p->name, text[k]) != 0)
			k++;
		if (k == 5 && strcmp(p->name, "file") != 0 && strcmp(p->name, "key") != 0) {
			cf_reply_field(q, 400, p->name,
				       "unknown form field (expected node, purpose or store, "
				       "description, force, file, key)");
			return false;
		}
		if (k == 5)
			continue;
		json_t *s = p->len <= TEXT_PART_MAX && cf_text_clean((const char *)p->data, p->len)
				    ? json_stringn((const char *)p->data, p->len)
				    : NULL;
		if (s == NULL) {
			char msg[128];
			snprintf(msg, sizeof(msg), "%s: expected one line of text, at most %d bytes", p->name,
				 TEXT_PART_MAX);
			cf_reply_field(q, 400, p->name, msg);
			return false;
		}
		json_object_set_new(q->fields, p->name, s);
		*dest[k] = json_string_value(s)[0] != '\0' ? json_string_value(s) : NULL;
	}
	if (force != NULL && strcmp(force, "true") != 0 && strcmp(force, "false") != 0) {
		cf_reply_field(q, 400, "force", "force: true or false");
		return false;
	}
	u->force = force != NULL && strcmp(force, "true") == 0;
	const cf_part *file = cf_form_get(f, "file"), *key = cf_form_get(f, "key");
	if (file == NULL || file->len == 0) {
		cf_reply_field(q, 400, "file", "choose the certificate file to upload");
		return false;
	}
	u->name = file->filename[0] != '\0' ? file->filename : "file";
	json_object_set_new(q->fields, "file", json_string(u->name));
	u->cert = file->data;
	u->cert_len = file->len;
	if (key != NULL && key->len > 0) {
		u->key_name = key->filename[0] != '\0' ? key->filename : "key";
		json_object_set_new(q->fields, "key", json_string(u->key_name));
		u->key = (uint8_t *)key->data;
		u->key_len = key->len;
	}
	return true;
}

/* The JSON body into u; false (replied) when malformed. */
static bool json_fields(cf_req *q, upload *u)
{
	bool bad = false;
	if (cf_req_json(q) == NULL)
		return false;
	u->node = cf_req_str(q, "node", true, &bad);
	u->purpose = cf_req_str(q, "purpose", false, &bad);
	u->store = cf_req_str(q, "store", false, &bad);
	u->description = cf_req_str(q, "description", false, &bad);
	u->force = cf_req_bool(q, "force", &bad);
	const char *pem = cf_req_text(q, "pem", true, &bad), *key = cf_req_text(q, "key", false, &bad);
	if (bad)
		return false;
	u->name = "pem";
	u->cert = (const uint8_t *)pem;
	u->cert_len = strlen(pem);
	if (key != NULL) {
		u->key_name = "key";
		u->key = (uint8_t *)key;
		u->key_len = strlen(key);
	}
	return true;
}

void cf_route_upload(cf_req *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Content-Type");
	size_t len = evbuffer_get_length(in);
	uint8_t *body = NULL;
	upload u = {0};
	cf_outcome out = {0};
	cf_form form;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true))
		goto out;
	if (type != NULL && strncasecmp(type, "multipart/", 10) == 0) {
		if (len > CF_DAEMON_UPLOAD_MAX) {
			cf_reply_error(q, 413, "too large", "the upload is larger than 20 MiB");
			goto out;
		}
		body = evbuffer_pullup(in, -1);
		if (cf_multipart_parse(type, body, len, &form, &e) != CF_OK) {
			cf_reply_err(q, &e);
			goto out;
		}
		if (!form_fields(q, &form, &u))
			goto out;
	} else if (!json_fields(q, &u)) {
		goto out;
	}
	if (u.node == NULL || (u.purpose == NULL) == (u.store == NULL)) {
		cf_reply_field(q, 400, u.node == NULL ? "node" : "purpose",
			       u.node == NULL ? "choose the node" : "give either a purpose or a trust store, not both");
		goto out;
	}
	if (u.store != NULL && u.key != NULL) {
		cf_reply_field(q, 400, "key", "a trust store takes certificates only, never a private key");
		goto out;
	}
	cf_change_begin(q, &c, u.store != NULL ? "trust add" : "cert upload", "%s on %s%s",
			u.store != NULL ? u.store : u.purpose, u.node, u.force && u.store == NULL ? " (forced)" : "");
	cf_code rc = u.store != NULL ? cf_trust_add(q->st, cf_net_transport(), u.node, u.store, u.name, u.cert,
						    u.cert_len, u.description, &out, &e)
				     : cf_identity_upload(q->st, cf_net_transport(), u.node, u.purpose, u.name, u.cert,
							  u.cert_len, u.key_name, u.key, u.key_len, u.description,
							  u.force, &out, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, cf_change_json(q, &out));
out:
	if (u.key != NULL)
		cf_secret_wipe(u.key, u.key_len);
	if (body != NULL)
		cf_secret_wipe(body, len);
	cf_outcome_free(&out);
}
