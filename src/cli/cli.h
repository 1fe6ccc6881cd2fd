/* The certfleet command line: parses arguments, calls the library, prints. Nothing here
 * decides anything about certificates. */
#ifndef CF_CLI_H
#define CF_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/admin/audit.h"
#include "core/lifecycle/served.h"
#include "core/model/fields.h"
#include "core/model/plan.h"
#include "crypto/x509.h"
#include "store/store.h"
#include "util/err.h"

typedef struct cli cli;
typedef int (*cli_fn)(cli *c, int argc, char **argv);

/* One option of a command: --name VALUE, or a flag when value is NULL. */
typedef struct cli_opt {
	const char *name;  /* without "--" */
	const char *value; /* what the value is ("FQDN"); NULL: a flag */
	const char *help;  /* a few words for --help */
	bool required;
} cli_opt;

#define CLI_OPTS_MAX 16

/* One command of the command table (commands.c): everything its parsing, its usage line and
 * its --help need. */
typedef struct cli_command {
	const char *group, *name; /* name NULL: the group is the command */
	cli_fn fn;
	const char *summary;		/* what it does, one line */
	const char *operands;		/* "FQDN", "NAME KEY VALUE...", "" */
	int min_operands, max_operands; /* max -1: any number */
	cli_opt opts[CLI_OPTS_MAX];	/* ends at the first without a name */
	const char *rule;		/* how options combine, when the usage line cannot say it */
	bool changes;			/* audited: one row per run */
	const cf_fieldgroup *settings;	/* a config command: one more option a field of the group */
} cli_command;

/* The command table, in the order --help lists it. */
extern const cli_command cli_commands[];
extern const size_t cli_n_commands;

struct cli {
	const cli_command *cmd; /* the command being run */
	const char *command;	/* "node add": what usage errors name */
	bool json;
	const char *store_path;
	cf_store *st; /* opened on demand by cli_store */
	/* Changing commands are audited: main sets the action ("cert upload") from the command
	 * table, the command names the object with cli_audit_object. A refused change is recorded
	 * by cli_fail, a successful one by main after the command returns 0; a command that
	 * records its own row clears action. */
	const char *audit_action;
	char audit_object[512];
	cf_audit_actor actor;
	/* cli_parse: each option's value ("1" for a flag): the row's, then its settings fields' */
	const char *vals[CLI_OPTS_MAX + CF_FIELDS_MAX];
};

/* Opens the store (creating it only for init). Returns 0 or an exit code after printing. */
int cli_store(cli *c, bool create);
/* Prints the error as one line on stderr (and a JSON error object with --json); returns its code. */
int cli_fail(cli *c, const cf_err *e);
/* Prints a usage error for the command (its usage line) and returns 2. */
int cli_usage(cli *c);
/* The usage line of a command, without "usage: " ("certfleet node add FQDN --cluster NAME ..."). */
void cli_usage_line(const cli_command *cmd, char *buf, size_t cap);
/* The command's --help: its usage line, what it does, how options combine, each option. */
void cli_help(const cli_command *cmd, FILE *out);
/* Prints a settings object (steals it): as JSON with --json, else one "key value" line a member. */
int cli_print_object(cli *c, json_t *o);
/* Prints a JSON value compactly on stdout with a newline, then drops the reference. */
void cli_json(json_t *v);
/* Human output of what a change reports: notes and warnings on stderr, the plan on stdout. */
void cli_print_outcome(const cf_outcome *o);
/* What a change to identities did: with --json {"items":[CERT...]} and the outcome's members, else
 * "VERB PURPOSE on NODE (id, sha256)" per identity and the outcome; 0. */
int cli_print_change(cli *c, const cf_outcome *out, const char *verb);
/* Human output of a deploy's served checks: one line per address, "PURPOSE: served check ...". */
void cli_print_served(const cf_served_report *r);
/* Reads an input file of at most max bytes or fails with its name; 0 or an exit code. */
int cli_read(cli *c, const char *path, size_t max, uint8_t **buf, size_t *len);
/* The certificates of a PEM bundle or DER file (at most max bytes); 0 or an exit code after
 * printing. */
int cli_read_certs(cli *c, const char *path, size_t max, cf_cert ***certs, size_t *n);
/* Names the object of the change the command is about to make (for the audit log; never a
 * secret or file contents). */
void cli_audit_object(cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Arms the store so that the change's own commit carries its audit row (called when the store
 * opens and when the object is named). */
void cli_audit_arm(cli *c);
/* Records the audit row of a successful change (when the command is audited and the store is
 * open); 0 or an exit code after printing. */
int cli_audit_ok(cli *c);
/* Records the audit row of a refused change with the error line as its result (cli_fail does
 * this; for commands that report errors another way). */
void cli_audit_refused(cli *c, const char *line);
/* --expiring DAYS: *before = now + DAYS; 0 or an exit code after printing. */
int cli_expiring(cli *c, const char *days, int64_t *before);
/* Prints the certificates f selects (--expiring DAYS and --node checked first): with --json one
 * {"items":[...]} streamed item by item, else the header line and line(r) for each; 0 or an exit
 * code. */
int cli_cert_list(cli *c, cf_certfilter *f, const char *expiring, const char *header,
		  void (*line)(const cf_certrow *r));
/* --now RFC3339 (the time a run pretends it is): *now; 0 or an exit code after printing. */
int cli_now(cli *c, const char *text, int64_t *now);
/* s as text for the terminal: control characters (a line feed, an escape), C1 controls and bytes
 * that are not UTF-8 as \xHH, so a name from a certificate or a file cannot forge a line or move
 * the cursor. s itself when it has none; else a copy that stays valid for the next 15 calls.
 * Every text printer passes names, messages and descriptions through it; JSON needs none. */
const char *cli_text(const char *s);
/* Reads one line (without its newline) into buf straight from in's descriptor (no stdio buffer
 * keeps a copy: it is used for passwords); false, with buf wiped, at end of input or when it
 * does not fit. Nothing may have read in through stdio before. */
bool cli_read_line(FILE *in, char *buf, size_t size);
/* getopt_long over argv (argv[0] is the subcommand) with the options of the command's row; checks
 * its required options and how many operands it has. Returns the index of the first operand, or
 * -1 after printing a usage error. */
int cli_parse(cli *c, int argc, char **argv);
/* The value of the command's option name after cli_parse (NULL when not given, "1" for a flag). */
const char *cli_val(const cli *c, const char *name);

int cmd_init(cli *c, int argc, char **argv);
int cmd_acme_account_add(cli *c, int argc, char **argv);
int cmd_ca_create(cli *c, int argc, char **argv);
int cmd_ca_import(cli *c, int argc, char **argv);
int cmd_ca_list(cli *c, int argc, char **argv);
int cmd_ca_show(cli *c, int argc, char **argv);
int cmd_ca_config(cli *c, int argc, char **argv);
int cmd_ca_issue(cli *c, int argc, char **argv);
int cmd_ca_revoke(cli *c, int argc, char **argv);
int cmd_ca_crl(cli *c, int argc, char **argv);
int cmd_csr_sign(cli *c, int argc, char **argv);
int cmd_acme_account_list(cli *c, int argc, char **argv);
int cmd_acme_account_rollover(cli *c, int argc, char **argv);
int cmd_acme_order(cli *c, int argc, char **argv);
int cmd_acme_list(cli *c, int argc, char **argv);
int cmd_acme_show(cli *c, int argc, char **argv);
int cmd_acme_deploy(cli *c, int argc, char **argv);
int cmd_acme_auto(cli *c, int argc, char **argv);
int cmd_acme_revoke(cli *c, int argc, char **argv);
int cmd_cluster_add(cli *c, int argc, char **argv);
int cmd_cluster_set(cli *c, int argc, char **argv);
int cmd_cluster_show(cli *c, int argc, char **argv);
int cmd_status(cli *c, int argc, char **argv);
int cmd_node_add(cli *c, int argc, char **argv);
int cmd_node_list(cli *c, int argc, char **argv);
int cmd_node_delete(cli *c, int argc, char **argv);
int cmd_cluster_list(cli *c, int argc, char **argv);
int cmd_cluster_delete(cli *c, int argc, char **argv);
int cmd_cert_list(cli *c, int argc, char **argv);
int cmd_cert_show(cli *c, int argc, char **argv);
int cmd_cert_self_signed(cli *c, int argc, char **argv);
int cmd_cert_upload(cli *c, int argc, char **argv);
int cmd_csr_generate(cli *c, int argc, char **argv);
int cmd_csr_show(cli *c, int argc, char **argv);
int cmd_csr_discard(cli *c, int argc, char **argv);
int cmd_trust_add(cli *c, int argc, char **argv);
int cmd_trust_delete(cli *c, int argc, char **argv);
int cmd_trust_prune(cli *c, int argc, char **argv);
int cmd_trust_fetch(cli *c, int argc, char **argv);
int cmd_deploy(cli *c, int argc, char **argv);
int cmd_doctor(cli *c, int argc, char **argv);
int cmd_validate(cli *c, int argc, char **argv);
int cmd_target_set(cli *c, int argc, char **argv);
int cmd_target_list(cli *c, int argc, char **argv);
int cmd_user_add(cli *c, int argc, char **argv);
int cmd_user_list(cli *c, int argc, char **argv);
int cmd_user_delete(cli *c, int argc, char **argv);
int cmd_user_passwd(cli *c, int argc, char **argv);
int cmd_audit(cli *c, int argc, char **argv);
int cmd_job_list(cli *c, int argc, char **argv);
/* `GROUP config` and `GROUP show` of the row's settings group (cmd_settings.c); config prints the
 * settings as show does. */
int cmd_settings_config(cli *c, int argc, char **argv);
int cmd_settings_show(cli *c, int argc, char **argv);
/* config with a text printer of its own (crl config) for the settings object (which it steals). */
int cli_settings_config(cli *c, int argc, char **argv, int (*print)(cli *c, json_t *o));
int cmd_monitor_run(cli *c, int argc, char **argv);
int cmd_ocsp_check(cli *c, int argc, char **argv);
int cmd_crl_add(cli *c, int argc, char **argv);
int cmd_crl_list(cli *c, int argc, char **argv);
int cmd_crl_remove(cli *c, int argc, char **argv);
int cmd_crl_dp(cli *c, int argc, char **argv);
int cmd_crl_update(cli *c, int argc, char **argv);
int cmd_crl_config(cli *c, int argc, char **argv);
int cmd_revocation_check(cli *c, int argc, char **argv);
int cmd_endpoint_import(cli *c, int argc, char **argv);
int cmd_endpoint_list(cli *c, int argc, char **argv);
int cmd_endpoint_delete(cli *c, int argc, char **argv);

#endif
