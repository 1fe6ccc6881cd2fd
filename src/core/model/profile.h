/* The purpose profiles of SPEC §1–§2 as data: products, their purposes and trust stores,
 * key usage, multi-server scope, defaults and the services each change affects. Code walks
 * these tables; adding a purpose is one row. */
#ifndef CF_PROFILE_H
#define CF_PROFILE_H

#include <stdbool.h>

#include "crypto/x509.h"

typedef enum cf_sanrule {
	CF_SAN_NODE,	   /* DNS: node FQDN (single) or every FQDN in scope (multi-server) */
	CF_SAN_XMPP,	   /* + presence domains */
	CF_SAN_XMPP_S2S,   /* + presence and e-mail domains (wildcards optional), chat aliases */
	CF_SAN_EXPRESSWAY, /* SPEC §3.3 Expressway rules */
	CF_SAN_FIXED_CN,   /* CN from the profile, no SAN (cms dbclient) */
	CF_SAN_DOMAIN,	   /* an Expressway domain certificate: CN and DNS: the domain (in fixed_cn) */
} cf_sanrule;

typedef struct cf_purpose {
	const char *name;	 /* "tomcat", "CallManager-ECDSA", ... */
	const char *products;	 /* space-separated product keys the purpose exists on */
	const char *scope;	 /* multi-server scope: product keys; NULL = single-server only */
	const char *trust_store; /* the store that validates it and its peers; NULL for none */
	unsigned ku, eku;
	bool ecdsa;	       /* EC key (the -ECDSA purposes) */
	bool ca;	       /* basicConstraints CA:TRUE (CAPF) */
	bool publisher_only;   /* exists on the product's publisher only (CAPF) */
	bool self_signed_only; /* ITLRecovery, authz: never CA-signed */
	int default_days;      /* self-signed validity */
	cf_sanrule san_rule;
	const char *fixed_cn;	/* CN for CF_SAN_FIXED_CN */
	const char *services;	/* services restarted after a change, comma-separated */
	const char *breaks;	/* what stops working when it expires (the monitor's messages) */
	bool restart_all_nodes; /* the services restart on every node of the scope (cup-xmpp) */
	bool ha_sensitive;	/* presence HA must be disabled around the restart */
} cf_purpose;

typedef struct cf_truststore {
	const char *name;
	bool peer_self_signed; /* accepts a peer's self-signed end-entity certificate */
	int limit;	       /* maximum certificates, 0 = none */
} cf_truststore;

typedef struct cf_product {
	const char *key;	  /* "ucm", "imp", ... */
	const char *label;	  /* "Unified CM" */
	const char *trust_stores; /* space-separated */
	bool expressway;
} cf_product;

/* Lookups; NULL when unknown. A purpose name may have one row per product family. A row whose name
 * ends in ':' is a family of purposes: "domain:" matches "domain:<FQDN>" for any valid FQDN (an
 * Expressway domain certificate, served by SNI, one per domain); cf_nodectx_purpose (fleet/
 * deployment.h) gives the row with the domain filled in. */
const cf_product *cf_product_find(const char *key);
const cf_purpose *cf_purpose_find(const char *name, const char *product);
const cf_truststore *cf_truststore_find(const char *name);
/* Whether the product has this trust store. */
bool cf_product_has_store(const cf_product *p, const char *store);
/* Whether a space-separated word list holds word. */
bool cf_words_contain(const char *words, const char *word);

/* Iterates the purposes of a product in table order: start with *i = 0; NULL at the end. Families
 * ("domain:") are not listed: a node has none of them until one is made. */
const cf_purpose *cf_purpose_next(const char *product, int *i);

/* Key usage a certificate of the purpose carries for this key type: EC keys take
 * digitalSignature + keyAgreement where RSA takes keyEncipherment/dataEncipherment. */
unsigned cf_purpose_ku(const cf_purpose *p, cf_keytype key);
/* The default key for the purpose: RSA 2048, or EC P-256 for -ECDSA. */
cf_keyspec cf_purpose_default_key(const cf_purpose *p);
/* Whether the purpose's multi-server scope includes a node of this product. */
bool cf_purpose_in_scope(const cf_purpose *p, const char *scope_product, const char *node_product);

#endif
