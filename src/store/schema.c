/* Versioned schema migrations in portable SQL. Each step runs in the opening transaction;
 * @ID@, @BLOB@ and " TEXT" are replaced with the driver's words (text sorts by bytes on every
 * engine). Add a step; never edit one. */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const migrations[] = {
	/* 1: the core model */
	"CREATE TABLE clusters ("
	"  id @ID@, name TEXT NOT NULL UNIQUE, fqdn TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE cluster_settings ("
	"  cluster_id BIGINT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (cluster_id, key));"
	"CREATE TABLE nodes ("
	"  id @ID@, fqdn TEXT NOT NULL UNIQUE, cluster_id BIGINT NOT NULL REFERENCES clusters(id),"
	"  product TEXT NOT NULL, publisher INTEGER NOT NULL, ip TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX nodes_fqdn ON nodes (lower(fqdn));"
	"CREATE TABLE certificates ("
	"  id @ID@, node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,"
	"  kind INTEGER NOT NULL, name TEXT NOT NULL, der @BLOB@ NOT NULL,"
	"  sha256 TEXT NOT NULL, spki_sha256 TEXT NOT NULL, subject TEXT NOT NULL, issuer TEXT NOT NULL,"
	"  cn TEXT NOT NULL, serial TEXT NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL,"
	"  key_type INTEGER NOT NULL, key_bits INTEGER NOT NULL, curve TEXT NOT NULL, sig_hash TEXT NOT NULL,"
	"  self_signed INTEGER NOT NULL, ca INTEGER NOT NULL, has_bc INTEGER NOT NULL,"
	"  has_ku INTEGER NOT NULL, ku INTEGER NOT NULL, has_eku INTEGER NOT NULL, eku INTEGER NOT NULL,"
	"  eku_other TEXT NOT NULL, san TEXT NOT NULL, ocsp TEXT NOT NULL, crl_dp TEXT NOT NULL,"
	"  unsupported_oids TEXT NOT NULL, distribution TEXT NOT NULL, source TEXT NOT NULL,"
	"  description TEXT NOT NULL, chain_pem TEXT NOT NULL, key_pem TEXT, warnings TEXT NOT NULL,"
	"  created BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX certificates_identity ON certificates (node_id, name) WHERE kind = 1;"
	"CREATE INDEX certificates_sha256 ON certificates (node_id, name, sha256);"
	"CREATE INDEX certificates_cn ON certificates (node_id, name, cn);"
	"CREATE INDEX certificates_not_after ON certificates (not_after);"
	"CREATE TABLE csrs ("
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, purpose TEXT NOT NULL,"
	"  der @BLOB@ NOT NULL, key_pem TEXT NOT NULL, distribution TEXT NOT NULL, hash TEXT NOT NULL,"
	"  created BIGINT NOT NULL, PRIMARY KEY (node_id, purpose));"
	"CREATE TABLE deploy_targets ("
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, purpose TEXT NOT NULL,"
	"  cert_path TEXT NOT NULL, key_path TEXT NOT NULL, chain_path TEXT NOT NULL,"
	"  owner TEXT NOT NULL, mode INTEGER NOT NULL, reload TEXT NOT NULL,"
	"  PRIMARY KEY (node_id, purpose));",
	/* 2: the trust anchor an identity's chain ended at when it was installed, so stored
	 * certificates are re-validated without being parsed again */
	"ALTER TABLE certificates ADD COLUMN anchor_sha256 TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX certificates_node_sha256 ON certificates (node_id, kind, sha256);",
	/* 3: local accounts (scrypt password hashes) and the audit log of every change */
	"CREATE TABLE users ("
	"  id @ID@, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, password_hash TEXT NOT NULL,"
	"  created BIGINT NOT NULL, failed_logins INTEGER NOT NULL DEFAULT 0,"
	"  locked_until BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE audit ("
	"  id @ID@, at BIGINT NOT NULL, account TEXT NOT NULL, client TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT NOT NULL, result TEXT NOT NULL);",
	/* 4: certificate lists in display order (node, kind, name) read a page without a sort; the
	 * lookups by sha256 and CN name the kind too, so they keep their own (longer) indexes */
	"CREATE INDEX certificates_list ON certificates (node_id, kind, name);"
	"DROP INDEX certificates_sha256;"
	"CREATE INDEX certificates_sha256 ON certificates (node_id, kind, name, sha256);"
	"DROP INDEX certificates_cn;"
	"CREATE INDEX certificates_cn ON certificates (node_id, kind, name, cn);",
	/* 5: deployment-wide settings (the expiry monitor's) and the monitor's notification ledger,
	 * keyed by the certificate itself so a renewal starts afresh */
	"CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE notifications ("
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, kind INTEGER NOT NULL,"
	"  name TEXT NOT NULL, sha256 TEXT NOT NULL, last_sent BIGINT NOT NULL DEFAULT 0,"
	"  queued BIGINT NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (node_id, kind, name, sha256));",
	/* 6: CRLs as uploaded or downloaded (the DER, and what the walk read from it once) */
	"CREATE TABLE crls ("
	"  id @ID@, issuer TEXT NOT NULL, issuer_hash TEXT NOT NULL, this_update BIGINT NOT NULL,"
	"  next_update BIGINT NOT NULL, number TEXT NOT NULL, entries BIGINT NOT NULL, source TEXT NOT NULL,"
	"  der @BLOB@ NOT NULL, added BIGINT NOT NULL);"
	"CREATE INDEX crls_issuer ON crls (issuer_hash);",
	/* 7: what OCSP last said of a certificate (by its SHA-256; the same certificate on many nodes
	 * is asked once), shared by the interval check, uploads, the doctor and the list; and each
	 * CRL's compact serial index, so a restart loads it without walking the DER again (CRLs kept
	 * before have none and are walked until a newer one replaces them) */
	"CREATE TABLE revocation_checks ("
	"  sha256 TEXT PRIMARY KEY, status TEXT NOT NULL, trust TEXT NOT NULL, responder TEXT NOT NULL,"
	"  message TEXT NOT NULL, checked BIGINT NOT NULL, next_update BIGINT NOT NULL);"
	"ALTER TABLE crls ADD COLUMN idx @BLOB@;",
	/* 8: at most one LSC per device on the node whose CAPF issued it */
	"CREATE UNIQUE INDEX certificates_lsc ON certificates (node_id, name) WHERE kind = 3;",
	/* 9: list columns (SANs, OCSP and CRL DP URIs, EKU and subject OIDs) keep an item holding a
	 * line feed as one item: a line feed in an item is written as a backslash and an 'n', so a
	 * backslash is written as two (store.c, joined); rows written before get their backslashes
	 * doubled, and only rows that hold one are rewritten */
	"UPDATE certificates SET eku_other = replace(eku_other, '\\', '\\\\'), san = replace(san, '\\', '\\\\'),"
	"  ocsp = replace(ocsp, '\\', '\\\\'), crl_dp = replace(crl_dp, '\\', '\\\\'),"
	"  unsupported_oids = replace(unsupported_oids, '\\', '\\\\')"
	"  WHERE replace(eku_other || san || ocsp || crl_dp || unsupported_oids, '\\', '') <>"
	"  eku_other || san || ocsp || crl_dp || unsupported_oids;",
	/* 10: the invariants the code checks, as constraints, so two writers at the same moment cannot
	 * both pass the check: one trust certificate per node, store and SHA-256 (copies a store kept
	 * before are dropped, the oldest stays) */
	"DELETE FROM certificates WHERE kind = 2 AND id NOT IN"
	"  (SELECT min(id) FROM certificates WHERE kind = 2 GROUP BY node_id, name, sha256);"
	"CREATE UNIQUE INDEX certificates_trust ON certificates (node_id, name, sha256) WHERE kind = 2;",
	/* 11: the list index ends with the id, so a node's certificates are read from it in display
	 * order (kind, name, id) without a sort on every engine: SQLite's indexes end with the rowid
	 * anyway; PostgreSQL sorted a node's 100,000 certificates for each page of 50 */
	"DROP INDEX certificates_list;"
	"CREATE INDEX certificates_list ON certificates (node_id, kind, name, id);",
	/* 12: the job table: each scheduled duty's next run, last outcome and lease (store/jobs.h) */
	"CREATE TABLE jobs ("
	"  kind TEXT NOT NULL, subject TEXT NOT NULL, next_run BIGINT NOT NULL, plan TEXT NOT NULL DEFAULT '',"
	"  attempts INTEGER NOT NULL DEFAULT 0, last_run BIGINT NOT NULL DEFAULT 0,"
	"  last_status TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',"
	"  lease_holder TEXT NOT NULL DEFAULT '', lease_until BIGINT NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (kind, subject));",
	/* 13: ACME (SPEC §7): accounts with their keys (and the next key while a rollover is under
	 * way, so a crash between the CA's answer and the commit loses neither), the HTTP-01 tokens
	 * every node answers, and each identity's ACME state: its order, the staged chain, the ARI
	 * window, the last sign and deploy, the failures */
	"CREATE TABLE acme_accounts ("
	"  id @ID@, name TEXT NOT NULL UNIQUE, directory TEXT NOT NULL, ca_file TEXT NOT NULL,"
	"  email TEXT NOT NULL, terms TEXT NOT NULL, kid TEXT NOT NULL, key_pem TEXT NOT NULL,"
	"  next_key_pem TEXT NOT NULL DEFAULT '', eab_kid TEXT NOT NULL DEFAULT '',"
	"  created BIGINT NOT NULL, rolled BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE acme_tokens ("
	"  token TEXT PRIMARY KEY, key_authorization TEXT NOT NULL,"
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, purpose TEXT NOT NULL,"
	"  expires BIGINT NOT NULL);"
	"CREATE TABLE acme_identities ("
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, purpose TEXT NOT NULL,"
	"  account_id BIGINT NOT NULL REFERENCES acme_accounts(id), state TEXT NOT NULL DEFAULT 'none',"
	"  auto INTEGER NOT NULL DEFAULT 0, profile TEXT NOT NULL DEFAULT '',"
	"  profile_required INTEGER NOT NULL DEFAULT 0, deploy_days TEXT NOT NULL DEFAULT '',"
	"  deploy_time TEXT NOT NULL DEFAULT '', order_url TEXT NOT NULL DEFAULT '',"
	"  replaces TEXT NOT NULL DEFAULT '', staged_pem TEXT NOT NULL DEFAULT '',"
	"  staged_sha256 TEXT NOT NULL DEFAULT '', staged_at BIGINT NOT NULL DEFAULT 0,"
	"  alternates TEXT NOT NULL DEFAULT '', renew_at BIGINT NOT NULL DEFAULT 0,"
	"  ari_start BIGINT NOT NULL DEFAULT 0, ari_end BIGINT NOT NULL DEFAULT 0,"
	"  ari_checked BIGINT NOT NULL DEFAULT 0, last_sign_at BIGINT NOT NULL DEFAULT 0,"
	"  last_sign_status TEXT NOT NULL DEFAULT '', last_sign_error TEXT NOT NULL DEFAULT '',"
	"  last_deploy_at BIGINT NOT NULL DEFAULT 0, last_deploy_status TEXT NOT NULL DEFAULT '',"
	"  last_deploy_error TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0,"
	"  first_failure BIGINT NOT NULL DEFAULT 0, next_try BIGINT NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (node_id, purpose));",
	/* 14: where a deploy target's service serves its identity (HOST:PORT, STARTTLS protocol), and
	 * the last check of what it served there (SPEC §7, "served ≠ stored") */
	"ALTER TABLE deploy_targets ADD COLUMN serves TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE deploy_targets ADD COLUMN starttls TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE served_checks ("
	"  node_id BIGINT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE, purpose TEXT NOT NULL,"
	"  checked_at BIGINT NOT NULL, address TEXT NOT NULL, served_sha256 TEXT NOT NULL,"
	"  stored_sha256 TEXT NOT NULL, error TEXT NOT NULL, PRIMARY KEY (node_id, purpose));",
	/* 15: local CAs (SPEC §9): each CA with its key and settings, what it issued and revoked, its
	 * current CRL, its delegated OCSP responder and the OCSP answers signed ahead */
	"CREATE TABLE cas ("
	"  id @ID@, name TEXT NOT NULL UNIQUE, parent_id BIGINT NOT NULL DEFAULT 0,"
	"  der @BLOB@ NOT NULL, sha256 TEXT NOT NULL, subject TEXT NOT NULL, not_before BIGINT NOT NULL,"
	"  not_after BIGINT NOT NULL, imported INTEGER NOT NULL, key_pem TEXT NOT NULL, created BIGINT NOT NULL,"
	"  base_url TEXT NOT NULL DEFAULT '', crl_validity BIGINT NOT NULL DEFAULT 259200,"
	"  crl_interval BIGINT NOT NULL DEFAULT 86400, ocsp_validity BIGINT NOT NULL DEFAULT 43200,"
	"  crl_number BIGINT NOT NULL DEFAULT 0, ocsp_der @BLOB@, ocsp_key_pem TEXT NOT NULL DEFAULT '',"
	"  ocsp_version BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE ca_issued ("
	"  ca_id BIGINT NOT NULL REFERENCES cas(id) ON DELETE CASCADE, serial TEXT NOT NULL,"
	"  der @BLOB@ NOT NULL, subject TEXT NOT NULL, profile TEXT NOT NULL, not_after BIGINT NOT NULL,"
	"  issued_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL DEFAULT 0, reason INTEGER NOT NULL DEFAULT -1,"
	"  PRIMARY KEY (ca_id, serial));"
	"CREATE INDEX ca_issued_revoked ON ca_issued (ca_id, revoked_at);"
	"CREATE TABLE ca_crls ("
	"  ca_id BIGINT PRIMARY KEY REFERENCES cas(id) ON DELETE CASCADE, number BIGINT NOT NULL,"
	"  this_update BIGINT NOT NULL, next_update BIGINT NOT NULL, der @BLOB@ NOT NULL);"
	"CREATE TABLE ca_ocsp ("
	"  ca_id BIGINT NOT NULL REFERENCES cas(id) ON DELETE CASCADE, serial TEXT NOT NULL, hash TEXT NOT NULL,"
	"  this_update BIGINT NOT NULL, next_update BIGINT NOT NULL, der @BLOB@ NOT NULL,"
	"  PRIMARY KEY (ca_id, serial, hash));"
	"CREATE TABLE ca_notifications ("
	"  ca_id BIGINT NOT NULL REFERENCES cas(id) ON DELETE CASCADE, sha256 TEXT NOT NULL,"
	"  last_sent BIGINT NOT NULL DEFAULT 0, queued BIGINT NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (ca_id, sha256));",
};

int cf_schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

/* Replaces every occurrence of `word` in *text with `with` (new string). */
static char *replace_all(const char *text, const char *word, const char *with)
{
	size_t wl = strlen(word), rl = strlen(with), count = 0;
	for (const char *p = text; (p = strstr(p, word)) != NULL; p += wl)
		count++;
	char *out = malloc(strlen(text) + count * (rl + 1) + 1), *o = out;
	if (out == NULL)
		return NULL;
	for (const char *p = text;;) {
		const char *hit = strstr(p, word);
		size_t len = hit ? (size_t)(hit - p) : strlen(p);
		memcpy(o, p, len);
		o += len;
		if (hit == NULL)
			break;
		memcpy(o, with, rl);
		o += rl;
		p = hit + wl;
	}
	*o = '\0';
	return out;
}

cf_code cf_schema_migrate(cf_store *st, cf_err *e)
{
	const cf_db_driver *d = st->drv;
	cf_code rc = d->exec(st->db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", e);
	if (rc != CF_OK)
		return rc;
	int version = cf_store_schema_version(st);
	if (version > cf_schema_latest())
		return cf_err_set(e, CF_E_STATE, "store", "schema version %d is newer than this certfleet (%d)",
				  version, cf_schema_latest());
	for (int v = version; v < cf_schema_latest(); v++) {
		char *a = replace_all(migrations[v], "@ID@", d->id_type);
		char *b = a ? replace_all(a, "@BLOB@", d->blob_type) : NULL;
		char *sql = b ? replace_all(b, " TEXT", d->text_type) : NULL;
		free(a);
		free(b);
		if (sql == NULL)
			return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
		rc = d->exec(st->db, sql, e);
		free(sql);
		if (rc != CF_OK)
			return rc;
	}
	if (version != cf_schema_latest()) {
		char sql[128];
		snprintf(sql, sizeof(sql), "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
			 cf_schema_latest());
		rc = d->exec(st->db, sql, e);
	}
	return rc;
}
