/* The command table: each command one row (operands, options, audited or not, what it does).
 * Parsing (cli_parse), usage errors, `certfleet --help` and `certfleet COMMAND --help` are all
 * made from these rows. */
#include "cli/cli.h"

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
	{"init", NULL, cmd_init, "create the store (or bring it up to date)", "", 0, 0, {{0}}, NULL, false},
	{"cluster", "add", cmd_cluster_add, "add a cluster", "NAME", 1, 1, {{"fqdn", "CLUSTER_FQDN", "the cluster's FQDN (Expressway clusters)", false}}, NULL, true},
	{"cluster", "set", cmd_cluster_set, "set a cluster setting (no VALUE clears a list or text)", "NAME KEY VALUE...", 2, -1, {{0}}, "KEY: see SPEC §11.1 (presence-domains, dn.O, ...)", true},
	{"cluster", "show", cmd_cluster_show, "a cluster and its settings", "NAME", 1, 1, {{0}}, NULL, false},
	{"cluster", "list", cmd_cluster_list, "the clusters", "", 0, 0, {{0}}, NULL, false},
	{"cluster", "delete", cmd_cluster_delete, "delete a cluster without nodes", "NAME", 1, 1, {{0}}, NULL, true},
	{"node", "add", cmd_node_add, "add a node (and its certificates, unless --no-defaults)", "FQDN", 1, 1, {{"cluster", "NAME", "its cluster", true},
	  {"product", "KEY", "its product (ucm, imp, cuc, expressway-c, ...)", true},
	  {"publisher", NULL, "the cluster's publisher", false},
	  {"ip", "ADDR", "its IP address (for SANs)", false},
	  {"no-defaults", NULL, "no certificates made for it", false}}, NULL, true},
	{"node", "list", cmd_node_list, "the nodes", "", 0, 0, {{0}}, NULL, false},
	{"node", "delete", cmd_node_delete, "delete a node with its certificates (a publisher needs --force while peers remain)", "FQDN", 1, 1, {FORCE}, NULL, true},
	{"cert", "list", cmd_cert_list, "the certificates", "", 0, 0, {NODE_OPT,
	  {"purpose", "P", "only this purpose's identities", false},
	  {"store", "S", "only this trust store's certificates", false},
	  BEGINS,
	  EXPIRING}, NULL, false},
	{"cert", "show", cmd_cert_show, "a certificate decoded (or its PEM)", "", 0, 0, {NODE,
	  {"purpose", "P", "the identity of this purpose", false},
	  {"store", "S", "a trust certificate of this store (with --id)", false},
	  {"id", "ID", "the trust certificate's id", false},
	  PEM}, "give either --purpose P or --store S --id ID", false},
	{"cert", "self-signed", cmd_cert_self_signed, "make a self-signed identity certificate", "", 0, 0, {NODE, PURPOSE, KEY_SPEC, HASH, {"days", "N", "valid for N days (1 to 36500)", false}, MULTI, FORCE}, NULL, true},
	{"cert", "upload", cmd_cert_upload, "upload a signed certificate (and its chain) for an identity", "FILE", 1, 1, {NODE,
	  PURPOSE,
	  {"key", "KEYFILE", "its private key, when no CSR of certfleet's made it", false},
	  DESCRIPTION,
	  FORCE}, NULL, true},
	{"csr", "generate", cmd_csr_generate, "make a CSR (and its key) for an identity", "", 0, 0, {NODE,
	  PURPOSE,
	  MULTI,
	  KEY_SPEC,
	  HASH,
	  {"cn", "CN", "the subject's common name", false},
	  {"reuse-key", NULL, "keep the identity's current key", false}}, "--reuse-key and --key exclude each other", true},
	{"csr", "show", cmd_csr_show, "the pending CSR", "", 0, 0, {NODE, PURPOSE, PEM}, NULL, false},
	{"csr", "discard", cmd_csr_discard, "drop the pending CSR and its key", "", 0, 0, {NODE, PURPOSE}, NULL, true},
	{"trust", "add", cmd_trust_add, "add trust certificates (PEM bundle or DER)", "FILE", 1, 1, {NODE, STORE, DESCRIPTION}, NULL, true},
	{"trust", "delete", cmd_trust_delete, "delete a trust certificate", "", 0, 0, {NODE, STORE, {"id", "ID", "the certificate's id", true}}, NULL, true},
	{"trust", "prune", cmd_trust_prune, "drop stale self-signed copies of peers now CA-signed", "", 0, 0, {NODE_OPT}, NULL, true},
	{"trust", "fetch", cmd_trust_fetch, "the certificates a TLS server sends (and import them)", "HOST:PORT", 1, 1, {{"starttls", "xmpp|smtp|ldap", "STARTTLS first in this protocol", false},
	  {"sni", "NAME", "the server name to ask for", false},
	  {"import", NULL, "add them to --store on --node", false},
	  {"node", "FQDN", "the node to import to", false},
	  {"store", "S", "the trust store to import to", false}}, "--import needs --node and --store", true}, /* audited with --import */
	{"validate", NULL, cmd_validate, "validate certificates as a peer would", "[FILE | DIR|FILE...]", 0, -1, {{"host", "NAME", "the name the peer connects to", false},
	  {"node", "FQDN", "the node of --store (with --stored: only its certificates)", false},
	  {"store", "S", "trust the node's store", false},
	  {"ca-file", "FILE", "trust the certificates of FILE", false},
	  {"untrusted", "FILE", "intermediates to build the chain with", false},
	  {"purpose", "P", "check against this purpose's profile", false},
	  {"batch", NULL, "every certificate of every FILE or DIR given", false},
	  {"stored", NULL, "re-check every stored certificate (no FILE)", false},
	  {"revocation", NULL, "ask the configured revocation sources too", false}}, "one FILE; with --batch any number of files and directories; with --stored none. --node goes with " "--store, and --store excludes --ca-file", false},
	{"doctor", NULL, cmd_doctor, "every rule of SPEC §4, each finding with its fix", "", 0, 0, {NODE_OPT}, NULL, false},
	{"status", NULL, cmd_status, "per-node summary: identities, trust, first expiry, pending CSRs", "", 0, 0, {{0}}, NULL, false},
	{"deploy", NULL, cmd_deploy, "write a node's certificates to their deploy targets and reload", "", 0, 0, {NODE, {"purpose", "P", "only this identity", false}}, NULL, true},
	{"deploy-target", "set", cmd_target_set, "where and how an identity is deployed", "", 0, 0, {NODE,
	  PURPOSE,
	  {"cert", "PATH", "the certificate file", false},
	  {"key", "PATH", "the key file", false},
	  {"chain", "PATH", "the chain file", false},
	  {"owner", "USER[:GROUP]", "the files' owner", false},
	  {"mode", "MODE", "the key file's mode (octal)", false},
	  {"reload", "CMD", "the command run after writing", false}}, NULL, true},
	{"deploy-target", "list", cmd_target_list, "a node's deploy targets", "", 0, 0, {NODE}, NULL, false},
	{"user", "add", cmd_user_add, "add an account (password on stdin, else prompted)", "NAME", 1, 1, {{"role", "admin|read-only", "what it may do", true}}, NULL, true},
	{"user", "list", cmd_user_list, "the accounts", "", 0, 0, {{0}}, NULL, false},
	{"user", "delete", cmd_user_delete, "delete an account", "NAME", 1, 1, {{0}}, NULL, true},
	{"user", "passwd", cmd_user_passwd, "change a password (on stdin, else prompted)", "NAME", 1, 1, {{0}}, NULL, true},
	{"audit", NULL, cmd_audit, "the audit log, newest first", "", 0, 0, {{"limit", "N", "at most N rows (1 to 10000; 50)", false}, {"offset", "N", "skip the newest N rows", false}}, NULL, false},
	{"monitor", "config", cmd_monitor_config, "change the expiry monitor's settings; prints them", "", 0, 0,
	 {{"start-days", "N", "notify this many days before expiry", false},
	  {"frequency", "Nh|Nd", "how often one certificate is notified", false},
	  {"email", "on|off", "send e-mail", false},
	  {"emails", "\"a@x;b@y\"", "the addresses", false},
	  {"lsc", "on|off", "include phones' LSCs", false},
	  {"smtp", "HOST:PORT", "the mail server", false},
	  {"smtp-tls", "none|starttls|implicit", "TLS to the mail server", false},
	  {"smtp-user", "U", "the mail server's user", false},
	  {"smtp-ca", "FILE", "the CA bundle the mail server is checked against", false},
	  {"from", "ADDR", "the sender address", false},
	  {"smtp-password-stdin", NULL, "the mail server's password: the first line of stdin", false}}, NULL, true},
	{"monitor", "show", cmd_monitor_show, "the expiry monitor's settings, last run and pending notifications", "", 0, 0, {{0}}, NULL, false},
	{"monitor", "run", cmd_monitor_run, "one pass of the expiry monitor", "", 0, 0, {NOW}, NULL, true},
	{"ocsp", "check", cmd_ocsp_check, "a certificate's status from its OCSP responder", "FILE", 1, 1, {{"issuer", "FILE", "its issuer's certificate", false},
	  {"node", "FQDN", "trust the node's tomcat-trust responders", false},
	  {"store", "S", "look for the issuer in this store of --node", false},
	  {"url", "URL", "ask this responder (not the certificate's)", false},
	  {"strict", NULL, "unknown fails too", false},
	  {"sha1", NULL, "a SHA-1 CertID", false}}, "--store needs --node", false},
	{"crl", "add", cmd_crl_add, "add a CRL (PEM or DER, < 16 MiB), checked against its issuer in the trust stores", "FILE", 1, 1, {{0}}, NULL, true},
	{"crl", "list", cmd_crl_list, "the CRLs: issuer, this/next update, entries, source", "", 0, 0, {{0}}, NULL, false},
	{"crl", "remove", cmd_crl_remove, "remove a CRL", "ID", 1, 1, {{0}}, NULL, true},
	{"crl", "dp", cmd_crl_dp, "the distribution points downloaded daily", "add|remove URL | list", 1, 2, {{0}}, NULL, true},
	{"crl", "update", cmd_crl_update, "download every distribution point now", "", 0, 0, {{0}}, NULL, true},
	{"crl", "config", cmd_crl_config, "change the daily CRL download; prints its schedule", "", 0, 0,
	 {{"daily-at", "HH:MM", "the time of the download (UTC)", false},
	  {"use-cdp", "on|off", "download the certificates' own distribution points too", false}}, NULL, true},
	{"revocation", "config", cmd_revocation_config, "change the revocation settings; prints them", "", 0, 0,
	 {{"ocsp", "on|off", "ask OCSP", false},
	  {"ocsp-uri", "URL", "this responder for every certificate", false},
	  {"check", "on|off", "check revocation", false},
	  {"interval", "Nh|Nm|Ns", "between checks of long-lived peers", false},
	  {"strict", "on|off", "unknown fails like revoked", false},
	  {"fallback", "revoked|not-revoked", "what no status at all counts as", false},
	  {"timeout", "S", "seconds per OCSP request", false},
	  {"ocsp-from-cert", NULL, "each certificate's own responder (AIA)", false}}, "--ocsp-uri and --ocsp-from-cert exclude each other", true},
	{"revocation", "show", cmd_revocation_show, "the revocation settings", "", 0, 0, {{0}}, NULL, false},
	{"revocation", "check", cmd_revocation_check, "ask OCSP about every stored certificate now and record the answers", "", 0, 0, {NOW}, NULL, true},
	{"endpoint", "import", cmd_endpoint_import, "phones' LSCs (PEM bundle) onto the ucm publisher whose CAPF issued them", "FILE", 1, 1, {{"node", "FQDN", "the CAPF node", true}}, NULL, true},
	{"endpoint", "list", cmd_endpoint_list, "the phones' LSCs", "", 0, 0, {NODE_OPT, BEGINS, EXPIRING}, NULL, false},
	{"endpoint", "delete", cmd_endpoint_delete, "delete a phone's LSC", "", 0, 0, {NODE, {"device", "NAME", "the phone", true}}, NULL, true},
};
/* clang-format on */

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);
