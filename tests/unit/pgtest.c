#include "pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line a shell command prints, into buf. */
static int command_line(const char *cmd, char *buf, size_t size)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	char *got = fgets(buf, (int)size, p);
	int status = pclose(p);
	if (got == NULL || status != 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

bool pgtest_named(void)
{
	return getenv("PGSERVER") != NULL && getenv("PGTEST_DIR") != NULL;
}

/* cat DIR/file into buf. */
static int server_file(const char *file, char *buf, size_t size)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cat '%s/%s'", getenv("PGTEST_DIR"), file);
	return command_line(cmd, buf, size);
}

int pgtest_database(const char *name, char *url, size_t url_size, char *password, size_t password_size)
{
	char cmd[1024], pw[128];
	if (!pgtest_named()) {
		fprintf(stderr, "set PGSERVER and PGTEST_DIR (ctest does)\n");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "sh '%s' createdb '%s' '%s'", getenv("PGSERVER"), getenv("PGTEST_DIR"), name);
	if (command_line(cmd, url, url_size) != 0 || server_file("password", pw, sizeof(pw)) != 0) {
		fprintf(stderr, "no PostgreSQL server in %s (pgserver.sh start)\n", getenv("PGTEST_DIR"));
		return -1;
	}
	setenv("PGPASSWORD", pw, 1);
	if (password != NULL)
		snprintf(password, password_size, "%s", pw);
	return 0;
}

int pgtest_port(char *port, size_t size)
{
	if (!pgtest_named() || server_file("port", port, size) != 0) {
		fprintf(stderr, "no PostgreSQL server's port (PGTEST_DIR)\n");
		return -1;
	}
	return 0;
}
