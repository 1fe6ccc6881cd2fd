/* The command table: each command one row (operands, options, audited or not, what it does).
 * Parsing (cli_parse), usage errors, `certfleet --help` and `certfleet COMMAND --help` are all
 * made from these rows. */
#include "cli/cli.h"
#include "core/revocation/crlfetch.h"
#include "core/monitor/monitor.h"
#include "core/revocation/revocation.h"

/* one command a row */
/* clang-format off */

/* options many commands share */
#define NODE {"node", "FQDN", "the node", true}
#define NODE_OPT {"node", "FQDN", "only this node", false}
#define PURPOSE {"purpose", "P", "the identity's purpose (tomcat, callmanager, ...)", true}
#define STORE {"store", "S", "the trust store (tomcat-trust, ...)", true}
#define FORCE {"force", NULL, "even when it replaces or breaks something", false}
#define PEM {"pem", NULL, "only the PEM text", false}
#define NOW {"now", "RFC3339", "the time the run pretends it is", false}
#define BEGINS {"begins-with", "TEXT", "only those whose name or CN begins with TEXT", false}
#define EXPIRING {"expiring", "DAYS", "only those expiring within DAYS days", false}
#define KEY_SPEC {"key", "SPEC", "the key to make: rsa:2048, rsa:4096, ec:prime256v1, ...", false}
#define HASH {"hash", "H", "the signature hash (sha256, sha384, sha512)", false}
#define MULTI {"multi-server", NULL, "one certificate for every node of the cluster", false}
#define DESCRIPTION {"description", "TEXT", "a note kept with it", false}

const cli_command cli_commands[] = {
	{"init", NULL, cmd_init, "create the store (or bring it up to date)", "", 0, 0, {{0}}, NULL, false, NULL},
	{"cluster", "add", cmd_cluster_add, "add a cluster", "NAME", 1, 1, {{"fqdn", "CLUSTER_FQDN", "the cluster's FQDN (Expressway clusters)", false}}, NULL, true, NULL},
	{"cluster", "set", cmd_cluster_set, "set a cluster setting (no VALUE clears a list or text)", "NAME KEY VALUE...", 2, -1, {{0}}, "KEY: see SPEC §11.1 (presence-domains, dn.O, ...)", true, NULL},
	{"cluster", "show", cmd_cluster_show, "a cluster and its settings", "NAME", 1, 1, {{0}}, NULL, false, NULL},
	{"cluster", "list", cmd_cluster_list, "the clusters", "", 0, 0, {{0}}, NULL, false, NULL},
	{"cluster", "delete", cmd_cluster_delete, "delete a cluster without nodes", "NAME", 1, 1, {{0}}, NULL, true, NULL},
	{"node", "add", cmd_node_add, "add a node (and its certificates, unless --no-defaults)", "FQDN", 1, 1, {{"cluster", "NAME", "its cluster", true},
	  {"product", "KEY", "its product (ucm, imp, cuc, expressway-c, ...)", true},
	  {"publisher", NULL, "the cluster's publisher", false},
	  {"ip", "ADDR", "its IP address (for SANs)", false},
	  {"no-defaults", NULL, "no certificates made for it", false}}, NULL, true, NULL},
	{"node", "list", cmd_node_list, "the nodes", "", 0, 0, {{0}}, NULL, false, NULL},
	{"node", "delete", cmd_node_delete, "delete a node with its certificates (a publisher needs --force while peers remain)", "FQDN", 1, 1, {FORCE}, NULL, true, NULL},
	{"cert", "list", cmd_cert_list, "the certificates", "", 0, 0, {NODE_OPT,
	  {"purpose", "P", "only this purpose's identities", false},
	  {"store", "S", "only this trust store's certificates", false},
	  BEGINS,
	  EXPIRING}, NULL, false, NULL},
	{"cert", "show", cmd_cert_show, "a certificate decoded (or its PEM)", "", 0, 0, {NODE,
	  {"purpose", "P", "the identity of this purpose", false},
	  {"store", "S", "a trust certificate of this store (with --id)", false},
	  {"id", "ID", "the trust certificate's id", false},
	  PEM}, "give either --purpose P or --store S --id ID", false, NULL},
	{"cert", "self-signed", cmd_cert_self_signed, "make a self-signed identity certificate", "", 0, 0, {NODE, PURPOSE, KEY_SPEC, HASH, {"days", "N", "valid for N days (1 to 36500)", false}, MULTI, FORCE}, NULL, true, NULL},
	{"cert", "upload", cmd_cert_upload, "upload a signed certificate (and its chain) for an identity", "FILE", 1, 1, {NODE,
	  PURPOSE,
	  {"key", "KEYFILE", "its private key, when no CSR of certfleet's made it", false},
	  DESCRIPTION,
	  FORCE}, NULL, true, NULL},
	{"csr", "generate", cmd_csr_generate, "make a CSR (and its key) for an identity", "", 0, 0, {NODE,
	  PURPOSE,
	  MULTI,
	  KEY_SPEC,
	  HASH,
	  {"cn", "CN", "the subject's common name", false},
	  {"reuse-key", NULL, "keep the identity's current key", false}}, "--reuse-key and --key exclude each other", true, NULL},
	{"csr", "show", cmd_csr_show, "the pending CSR", "", 0, 0, {NODE, PURPOSE, PEM}, NULL, false, NULL},
	{"csr", "discard", cmd_csr_discard, "drop the pending CSR and its key", "", 0, 0, {NODE, PURPOSE}, NULL, true, NULL},
	{"trust", "add", cmd_trust_add, "add trust certificates (PEM bundle or DER)", "FILE", 1, 1, {NODE, STORE, DESCRIPTION}, NULL, true, NULL},
	{"trust", "delete", cmd_trust_delete, "delete a trust certificate", "", 0, 0, {NODE, STORE, {"id", "ID", "the certificate's id", true}}, NULL, true, NULL},
	{"trust", "prune", cmd_trust_prune, "drop stale self-signed copies of peers now CA-signed", "", 0, 0, {NODE_OPT}, NULL, true, NULL},
	{"trust", "fetch", cmd_trust_fetch, "the certificates a TLS server sends (and import them)", "HOST:PORT", 1, 1, {{"starttls", "xmpp|smtp|ldap", "STARTTLS first in this protocol", false},
	  {"sni", "NAME", "the server name to ask for", false},
	  {"import", NULL, "add them to --store on --node", false},
	  {"node", "FQDN", "the node to import to", false},
	  {"store", "S", "the trust store to import to", false}}, "--import needs --node and --store", true, NULL}, /* audited with --import */
	{"validate", NULL, cmd_validate, "validate certificates as a peer would", "[FILE | DIR|FILE...]", 0, -1, {{"host", "NAME", "the name the peer connects to", false},
	  {"node", "FQDN", "the node of --store (with --stored: only its certificates)", false},
	  {"store", "S", "trust the node's store", false},
	  {"ca-file", "FILE", "trust the certificates of FILE", false},
	  {"untrusted", "FILE", "intermediates to build the chain with", false},
	  {"purpose", "P", "check against this purpose's profile", false},
	  {"batch", NULL, "every certificate of every FILE or DIR given", false},
	  {"stored", NULL, "re-check every stored certificate (no FILE)", false},
	  {"revocation", NULL, "ask the configured revocation sources too", false}}, "one FILE; with --batch any number of files and directories; with --stored none. --node goes with " "--store, and --store excludes --ca-file", false, NULL},
	{"doctor", NULL, cmd_doctor, "every rule of SPEC §4, each finding with its fix", "", 0, 0, {NODE_OPT}, NULL, false, NULL},
	{"status", NULL, cmd_status, "per-node summary: identities, trust, first expiry, pending CSRs", "", 0, 0, {{0}}, NULL, false, NULL},
	{"deploy", NULL, cmd_deploy, "write a node's certificates to their deploy targets, reload, check what each address serves", "", 0, 0, {NODE, {"purpose", "P", "only this identity", false}}, NULL, true, NULL},
	{"deploy-target", "set", cmd_target_set, "where and how an identity is deployed", "", 0, 0, {NODE,
	  PURPOSE,
	  {"cert", "PATH", "the certificate file", false},
	  {"key", "PATH", "the key file", false},
	  {"chain", "PATH", "the chain file", false},
	  {"owner", "USER[:GROUP]", "the files' owner", false},
	  {"mode", "MODE", "the key file's mode (octal)", false},
	  {"reload", "CMD", "the command run after writing", false},
	  {"serves", "HOST:PORT", "where the service serves it: checked after each deploy", false},
	  {"starttls", "xmpp|smtp|ldap", "the protocol spoken there before TLS", false}}, NULL, true, NULL},
	{"deploy-target", "list", cmd_target_list, "a node's deploy targets", "", 0, 0, {NODE}, NULL, false, NULL},
	{"user", "add", cmd_user_add, "add an account (password on stdin, else prompted)", "NAME", 1, 1, {{"role", "admin|read-only", "what it may do", true}}, NULL, true, NULL},
	{"user", "list", cmd_user_list, "the accounts", "", 0, 0, {{0}}, NULL, false, NULL},
	{"user", "delete", cmd_user_delete, "delete an account", "NAME", 1, 1, {{0}}, NULL, true, NULL},
	{"user", "passwd", cmd_user_passwd, "change a password (on stdin, else prompted)", "NAME", 1, 1, {{0}}, NULL, true, NULL},
	{"audit", NULL, cmd_audit, "the audit log, newest first", "", 0, 0, {{"limit", "N", "at most N rows (1 to 10000; 50)", false}, {"offset", "N", "skip the newest N rows", false}}, NULL, false, NULL},
	{"job", "list", cmd_job_list, "the duties certfleetd runs by itself: next and last run, failures in a row, the process running one", "", 0, 0, {{0}}, NULL, false, NULL},
	{"monitor", "config", cmd_settings_config, "change the expiry monitor's settings; prints them", "", 0, 0, {{0}}, NULL, true, &cf_monitor_fields},
	{"monitor", "show", cmd_settings_show, "the expiry monitor's settings, last run and pending notifications", "", 0, 0, {{0}}, NULL, false, &cf_monitor_fields},
	{"monitor", "run", cmd_monitor_run, "one pass of the expiry monitor", "", 0, 0, {NOW}, NULL, true, NULL},
	{"ocsp", "check", cmd_ocsp_check, "a certificate's status from its OCSP responder", "FILE", 1, 1, {{"issuer", "FILE", "its issuer's certificate", false},
	  {"node", "FQDN", "trust the node's tomcat-trust responders", false},
	  {"store", "S", "look for the issuer in this store of --node", false},
	  {"url", "URL", "ask this responder (not the certificate's)", false},
	  {"strict", NULL, "unknown fails too", false},
	  {"sha1", NULL, "a SHA-1 CertID", false}}, "--store needs --node", false, NULL},
	{"crl", "add", cmd_crl_add, "add a CRL (PEM or DER, < 16 MiB), checked against its issuer in the trust stores", "FILE", 1, 1, {{0}}, NULL, true, NULL},
	{"crl", "list", cmd_crl_list, "the CRLs: issuer, this/next update, entries, source", "", 0, 0, {{0}}, NULL, false, NULL},
	{"crl", "remove", cmd_crl_remove, "remove a CRL", "ID", 1, 1, {{0}}, NULL, true, NULL},
	{"crl", "dp", cmd_crl_dp, "the distribution points downloaded daily", "add|remove URL | list", 1, 2, {{0}}, NULL, true, NULL},
	{"crl", "update", cmd_crl_update, "download every distribution point now", "", 0, 0, {{0}}, NULL, true, NULL},
	{"crl", "config", cmd_crl_config, "change the daily CRL download; prints its schedule", "", 0, 0, {{0}}, NULL, true, &cf_crlfetch_schedule_fields},
	{"revocation", "config", cmd_settings_config, "change the revocation settings; prints them", "", 0, 0, {{0}}, NULL, true, &cf_revocation_fields},
	{"revocation", "show", cmd_settings_show, "the revocation settings", "", 0, 0, {{0}}, NULL, false, &cf_revocation_fields},
	{"revocation", "check", cmd_revocation_check, "ask OCSP about every stored certificate now and record the answers", "", 0, 0, {NOW}, NULL, true, NULL},
	{"endpoint", "import", cmd_endpoint_import, "phones' LSCs (PEM bundle) onto the ucm publisher whose CAPF issued them", "FILE", 1, 1, {{"node", "FQDN", "the CAPF node", true}}, NULL, true, NULL},
	{"endpoint", "list", cmd_endpoint_list, "the phones' LSCs", "", 0, 0, {NODE_OPT, BEGINS, EXPIRING}, NULL, false, NULL},
	{"acme", "account add", cmd_acme_account_add, "make an ACME account at a CA and keep it (its key stays in the store)", "NAME", 1, 1, {{"directory", "URL", "the CA's directory (https)", true},
	  {"email", "ADDR", "the contact the CA writes to", false},
	  {"agree-tos", NULL, "agree to the CA's terms of service", true},
	  {"ca-file", "FILE", "the CA bundle the directory's TLS is checked against (a private CA)", false},
	  {"key", "SPEC", "the account key: ec:prime256v1 (the default) or rsa:2048 and up", false},
	  {"eab-kid", "KID", "external account binding: the key id the CA gave", false},
	  {"eab-hmac-file", "FILE", "external account binding: a file with the CA's MAC key (base64url)", false}}, "--eab-kid and --eab-hmac-file go together", true, NULL},
	{"acme", "account list", cmd_acme_account_list, "the ACME accounts", "", 0, 0, {{0}}, NULL, false, NULL},
	{"acme", "account rollover", cmd_acme_account_rollover, "give an ACME account a new key (RFC 8555 key change)", "NAME", 1, 1, {{0}}, NULL, true, NULL},
	{"acme", "order", cmd_acme_order, "order a certificate for the pending CSR of (node, purpose), made if none, and stage it", "", 0, 0, {NODE, PURPOSE, {"account", "NAME", "the ACME account", true},
	  {"profile", "NAME", "the CA's certificate profile, when it offers it", false},
	  {"profile-required", NULL, "fail when the CA does not offer --profile", false},
	  {"http-listen", "ADDR:PORT", "answer HTTP-01 here while the order runs (else certfleetd --acme-http does)", false}}, "--profile-required needs --profile", true, NULL},
	{"acme", "deploy", cmd_acme_deploy, "install the staged ACME certificate (every node in scope), its CA chain in the trust store, then the deploy targets", "", 0, 0, {NODE, PURPOSE}, NULL, true, NULL},
	{"acme", "auto", cmd_acme_auto, "renew (ARI window, else 2/3 of the lifetime) and deploy (at the chosen days and time, UTC) an identity's ACME certificate by itself", "on|off", 1, 1, {NODE, PURPOSE,
	  {"account", "NAME", "the ACME account (needed the first time)", false},
	  {"deploy-days", "DAYS", "deploy only on these days: mon,tue,...; \"\" any day", false},
	  {"deploy-time", "HH:MM", "deploy at this time (UTC); \"\" as soon as staged", false}}, NULL, true, NULL},
	{"acme", "revoke", cmd_acme_revoke, "revoke an identity's ACME certificate (the staged one, else the deployed one) or a certificate file at its CA", "", 0, 0, {{"node", "FQDN", "the node", false},
	  {"purpose", "P", "the identity's purpose", false},
	  {"cert", "FILE", "a certificate file instead (needs --account)", false},
	  {"account", "NAME", "the ACME account (default: the identity's)", false},
	  {"reason", "R", "unspecified, keyCompromise, superseded or cessationOfOperation", false},
	  {"cert-key", NULL, "sign with the certificate's own key, not the account's", false},
	  {"key", "FILE", "the certificate file's key, for --cert-key", false},
	  FORCE}, "--node and --purpose, or --cert; --key goes with --cert and --cert-key", true, NULL},
	{"acme", "list", cmd_acme_list, "every identity's ACME state", "", 0, 0, {{0}}, NULL, false, NULL},
	{"acme", "show", cmd_acme_show, "one identity's ACME state, its staged certificate decoded", "", 0, 0, {NODE, PURPOSE}, NULL, false, NULL},
	{"endpoint", "delete", cmd_endpoint_delete, "delete a phone's LSC", "", 0, 0, {NODE, {"device", "NAME", "the phone", true}}, NULL, true, NULL},
};
/* clang-format on */

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);
