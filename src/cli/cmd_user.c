/* user add|list|delete|passwd */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/admin/accounts.h"
#include "crypto/password.h"
#include "util/clock.h"

#define PW_BUF (CF_ACCOUNT_PASSWORD_MAX + 2)

/* Prompts on the terminal without echo; false when the line could not be read. */
static bool prompt(const char *text, char buf[PW_BUF])
{
	struct termios old, quiet;
	bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
	fprintf(stderr, "%s", text);
	fflush(stderr);
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	bool ok = cli_read_line(stdin, buf, PW_BUF);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return ok;
}

/* The new password: the first line of stdin when it is not a terminal, else prompted twice.
 * 0 or an exit code after printing. */
static int read_password(cli *c, char buf[PW_BUF])
{
	cf_err e = {0};
	if (!isatty(STDIN_FILENO)) {
		if (!cli_read_line(stdin, buf, PW_BUF)) {
			cf_err_set(&e, CF_E_INPUT, "password", "expected the password as the first line of stdin");
			return cli_fail(c, &e);
		}
		return 0;
	}
	char again[PW_BUF];
	int rc = 0;
	if (!prompt("New password: ", buf) || !prompt("Repeat the password: ", again)) {
		cf_err_set(&e, CF_E_INPUT, "password", "could not read the password from the terminal");
		rc = cli_fail(c, &e);
	} else if (strcmp(buf, again) != 0) {
		cf_err_set(&e, CF_E_INPUT, "password", "the two passwords differ");
		rc = cli_fail(c, &e);
	}
	cf_secret_wipe(again, sizeof(again));
	return rc;
}

int cmd_user_add(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	char pw[PW_BUF];
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	const char *name = argv[i];
	cli_audit_object(c, "%s", name);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_account_check_name(name, &e) != CF_OK || cf_account_check_role(cli_val(c, "role"), &e) != CF_OK)
		return cli_fail(c, &e);
	if ((rc = read_password(c, pw)) != 0)
		goto out;
	if (cf_account_add(c->st, &c->actor, name, cli_val(c, "role"), pw, &e) != CF_OK) {
		rc = cli_fail(c, &e);
		goto out;
	}
	c->audit_action = NULL; /* recorded with the change */
	if (c->json)
		cli_json(json_pack("{s:s, s:s}", "name", name, "role", cli_val(c, "role")));
	else
		printf("user %s added (%s)\n", name, cli_val(c, "role"));
out:
	cf_secret_wipe(pw, sizeof(pw));
	return rc;
}

int cmd_user_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_user *u = NULL;
	size_t n = 0;
	(void)argv;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_users(c->st, &u, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-32s %-10s %s\n", "NAME", "ROLE", "CREATED");
	for (size_t k = 0; k < n; k++) {
		char created[32];
		cf_time_rfc3339(u[k].created, created);
		if (c->json)
			json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "name", u[k].name, "role", u[k].role,
							       "created", created));
		else
			printf("%-32s %-10s %s\n", u[k].name, u[k].role, created);
	}
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	cf_users_free(u, n);
	return 0;
}

int cmd_user_delete(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (argc != 2)
		return cli_usage(c);
	cli_audit_object(c, "%s", argv[1]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_account_delete(c->st, &c->actor, argv[1], &e) != CF_OK)
		return cli_fail(c, &e);
	c->audit_action = NULL; /* recorded with the change */
	if (c->json)
		cli_json(json_pack("{s:s, s:b}", "name", argv[1], "deleted", 1));
	else
		printf("user %s deleted\n", argv[1]);
	return 0;
}

int cmd_user_passwd(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_user u = {0};
	char pw[PW_BUF];
	if (argc != 2)
		return cli_usage(c);
	cli_audit_object(c, "%s", argv[1]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_user_get(c->st, argv[1], &u, &e) != CF_OK)
		return cli_fail(c, &e);
	cf_user_free(&u);
	if ((rc = read_password(c, pw)) != 0)
		goto out;
	if (cf_account_passwd(c->st, &c->actor, argv[1], pw, &e) != CF_OK) {
		rc = cli_fail(c, &e);
		goto out;
	}
	c->audit_action = NULL; /* recorded with the change */
	if (c->json)
		cli_json(json_pack("{s:s, s:b}", "name", argv[1], "changed", 1));
	else
		printf("password of %s changed\n", argv[1]);
out:
	cf_secret_wipe(pw, sizeof(pw));
	return rc;
}
