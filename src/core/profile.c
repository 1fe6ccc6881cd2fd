#include "core/profile.h"

#include <string.h>

#define DS CF_KU_DIGITAL_SIGNATURE
#define KE CF_KU_KEY_ENCIPHERMENT
#define DE CF_KU_DATA_ENCIPHERMENT
#define SA CF_EKU_SERVER_AUTH
#define CA_ CF_EKU_CLIENT_AUTH
#define IPSEC CF_EKU_IPSEC_END_SYSTEM
#define Y5 1825
#define Y20 7300

/* SPEC §2. Columns: name, products, multi-server scope, trust store, KU, EKU, ecdsa, ca,
 * publisher only, self-signed only, days, SAN rule, fixed CN, services, all nodes, HA. */
static const cf_purpose purposes[] = {
	{"tomcat", "ucm imp cuc pcd", "ucm imp", "tomcat-trust", DS | KE | DE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco Tomcat", false, false},
	{"tomcat-ECDSA", "ucm imp cuc", "ucm imp", "tomcat-trust", DS | KE | DE, SA | CA_, true, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco Tomcat", false, false},
	{"CallManager", "ucm", "ucm", "CallManager-trust", DS | KE | DE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco CallManager,Cisco TFTP,Cisco CTIManager", false, false},
	{"CallManager-ECDSA", "ucm", "ucm", "CallManager-trust", DS | KE | DE, SA | CA_, true, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco CallManager,Cisco TFTP,Cisco CTIManager", false, false},
	{"CAPF", "ucm", NULL, "CAPF-trust", DS | CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, SA, false, true, true, false, Y5, CF_SAN_NODE, NULL, "Cisco Certificate Authority Proxy Function", false, false},
	{"TVS", "ucm", NULL, NULL, DS | KE | DE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco Trust Verification Service", false, false},
	{"ITLRecovery", "ucm", NULL, NULL, DS, 0, false, false, false, true, Y20, CF_SAN_NODE, NULL, NULL, false, false},
	{"authz", "ucm", NULL, NULL, DS, 0, false, false, false, true, Y5, CF_SAN_NODE, NULL, NULL, false, false},
	{"ipsec", "ucm imp cuc", NULL, "ipsec-trust", DS | KE | DE, SA | CA_ | IPSEC, false, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco DRF Master,Cisco DRF Local", false, false},
	{"cup", "imp", NULL, "cup-trust", DS | KE | DE, SA | CA_ | IPSEC, false, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco SIP Proxy,Cisco Presence Engine", false, true},
	{"cup-ECDSA", "imp", NULL, "cup-trust", DS | KE | DE, SA | CA_ | IPSEC, true, false, false, false, Y5, CF_SAN_NODE, NULL, "Cisco SIP Proxy,Cisco Presence Engine", false, true},
	{"cup-xmpp", "imp", "imp", "cup-xmpp-trust", DS | KE | DE, SA | CA_ | IPSEC, false, false, false, false, Y5, CF_SAN_XMPP, NULL, "Cisco XCP Router", true, true},
	{"cup-xmpp-ECDSA", "imp", "imp", "cup-xmpp-trust", DS | KE | DE, SA | CA_ | IPSEC, true, false, false, false, Y5, CF_SAN_XMPP, NULL, "Cisco XCP Router", true, true},
	{"cup-xmpp-s2s", "imp", "imp", "cup-xmpp-trust", DS | KE | DE, SA | CA_ | IPSEC, false, false, false, false, Y5, CF_SAN_XMPP_S2S, NULL, "Cisco XMPP Federation Connection Manager", false, true},
	{"cup-xmpp-s2s-ECDSA", "imp", "imp", "cup-xmpp-trust", DS | KE | DE, SA | CA_ | IPSEC, true, false, false, false, Y5, CF_SAN_XMPP_S2S, NULL, "Cisco XMPP Federation Connection Manager", false, true},
	{"server", "expressway-c expressway-e", NULL, "trusted-ca", DS | KE, SA | CA_, false, false, false, false, Y5, CF_SAN_EXPRESSWAY, NULL, NULL, false, false},
	{"server-ECDSA", "expressway-c expressway-e", NULL, "trusted-ca", DS | KE, SA | CA_, true, false, false, false, Y5, CF_SAN_EXPRESSWAY, NULL, NULL, false, false},
	{"server", "cmm tms", NULL, "trust", DS | KE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "web server", false, false},
	{"provisioning", "pcp", NULL, "trust", DS | KE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "web server", false, false},
	{"shared", "cms", "cms", "cms-trust", DS | KE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, "webadmin,callbridge,xmpp,webbridge,database", false, false},
	{"dbclient", "cms", "cms", "cms-trust", DS | KE, CA_, false, false, false, false, Y5, CF_SAN_FIXED_CN, "postgres", "database", false, false},
	{"trustpoint", "ios", NULL, "trustpoint-ca", DS | KE, SA | CA_, false, false, false, false, Y5, CF_SAN_NODE, NULL, NULL, false, false},
};

/* SPEC §3.5: which stores accept a peer's self-signed certificate; the trusted-ca limit. */
static const cf_truststore stores[] = {
	{"tomcat-trust", true, 0},
	{"CallManager-trust", true, 0},
	{"CAPF-trust", false, 0},
	{"ipsec-trust", true, 0},
	{"cup-trust", true, 0},
	{"cup-xmpp-trust", true, 0},
	{"trusted-ca", false, 1000},
	{"cms-trust", false, 0},
	{"trust", false, 0},
	{"trustpoint-ca", false, 0},
};

static const cf_product products[] = {
	{"ucm", "Unified CM", "tomcat-trust CallManager-trust CAPF-trust ipsec-trust", false},
	{"imp", "IM and Presence", "tomcat-trust cup-trust cup-xmpp-trust ipsec-trust", false},
	{"cuc", "Unity Connection", "tomcat-trust CallManager-trust ipsec-trust", false},
	{"expressway-c", "Expressway-C", "trusted-ca", true},
	{"expressway-e", "Expressway-E", "trusted-ca", true},
	{"cms", "Meeting Server", "cms-trust", false},
	{"cmm", "Meeting Management", "trust", false},
	{"tms", "TelePresence Management Suite", "trust", false},
	{"pcd", "Prime Collaboration Deployment", "tomcat-trust", false},
	{"pcp", "Prime Collaboration Provisioning", "trust", false},
	{"ios", "IOS gateway / CUBE / SRST", "trustpoint-ca", false},
};

#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

bool cf_words_contain(const char *words, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = words; p && *p;) {
		size_t n = strcspn(p, " ");
		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		p += strspn(p, " ");
	}
	return false;
}

const cf_product *cf_product_find(const char *key)
{
	for (int i = 0; i < COUNT(products); i++)
		if (strcmp(products[i].key, key) == 0)
			return &products[i];
	return NULL;
}

const cf_purpose *cf_purpose_find(const char *name, const char *product)
{
	for (int i = 0; i < COUNT(purposes); i++)
		if (strcmp(purposes[i].name, name) == 0 &&
		    (product == NULL || cf_words_contain(purposes[i].products, product)))
			return &purposes[i];
	return NULL;
}

const cf_truststore *cf_truststore_find(const char *name)
{
	for (int i = 0; i < COUNT(stores); i++)
		if (strcmp(stores[i].name, name) == 0)
			return &stores[i];
	return NULL;
}

bool cf_product_has_store(const cf_product *p, const char *store)
{
	return cf_words_contain(p->trust_stores, store);
}

const cf_purpose *cf_purpose_next(const char *product, int *i)
{
	while (*i < COUNT(purposes)) {
		const cf_purpose *p = &purposes[(*i)++];
		if (cf_words_contain(p->products, product))
			return p;
	}
	return NULL;
}

const cf_product *cf_product_next(int *i)
{
	return *i < COUNT(products) ? &products[(*i)++] : NULL;
}

unsigned cf_purpose_ku(const cf_purpose *p, cf_keytype key)
{
	unsigned ku = p->ku;
	if (key == CF_KEY_EC && (ku & (KE | DE)))
		ku = (ku & ~(unsigned)(KE | DE)) | CF_KU_KEY_AGREEMENT;
	return ku;
}

cf_keyspec cf_purpose_default_key(const cf_purpose *p)
{
	cf_keyspec ks = {.type = CF_KEY_RSA, .bits = 2048};
	if (p->ecdsa) {
		ks.type = CF_KEY_EC;
		ks.bits = 256;
		strcpy(ks.curve, "prime256v1");
	}
	return ks;
}

bool cf_purpose_in_scope(const cf_purpose *p, const char *scope_product, const char *node_product)
{
	if (p->scope == NULL)
		return false;
	/* tomcat's scope is ucm+imp; a cuc cluster's tomcat spans its cuc nodes. */
	if (cf_words_contain(p->scope, scope_product))
		return cf_words_contain(p->scope, node_product);
	return strcmp(scope_product, node_product) == 0;
}
