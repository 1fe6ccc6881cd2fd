/* The throwaway PostgreSQL server of ctest's "pg" fixture (tests/pg/pgserver.sh) for unit tests:
 * the environment names it (PGSERVER, the script; PGTEST_DIR, its directory). */
#ifndef CF_PGTEST_H
#define CF_PGTEST_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the environment names a server (else the test runs on SQLite, or fails). */
bool pgtest_named(void);
/* Makes database name afresh on the server, its postgresql:// URL into url, and the role's
 * password into PGPASSWORD (and into password when non-NULL); -1 after a line on stderr. */
int pgtest_database(const char *name, char *url, size_t url_size, char *password, size_t password_size);
/* The server's port, into port; -1 after a line on stderr. */
int pgtest_port(char *port, size_t size);

#endif
