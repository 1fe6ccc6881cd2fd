/* GET /, /app.js, /app.css: the web page's embedded files. */
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/static.h"

void cf_route_static(cf_req *q)
{
	const char *want = strcmp(q->path, "/") == 0 ? "/index.html" : q->path;
	for (const cf_web_asset *a = cf_web_assets; a->path != NULL; a++)
		if (strcmp(a->path, want) == 0) {
			cf_reply_bytes(q, 200, a->type, a->bytes, a->len);
			return;
		}
	cf_reply_error(q, 404, "not found", "no such page");
}
