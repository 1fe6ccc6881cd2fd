/* The web page's files, embedded into certfleetd at build time (cmake/embed.cmake), so the
 * daemon serves exactly what it was built with and nothing from the file system. */
#ifndef CF_STATIC_H
#define CF_STATIC_H

#include <stddef.h>

typedef struct cf_web_asset {
	const char *path; /* "/index.html", "/app.js", ... */
	const char *type; /* Content-Type */
	const unsigned char *bytes;
	size_t len;
} cf_web_asset;

/* Ends with an entry whose path is NULL. */
extern const cf_web_asset cf_web_assets[];

#endif
