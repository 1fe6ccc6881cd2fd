#include "core/model/profile.h"

#include <string.h>

#include "core/model/fqdn.h"

#define DS CF_KU_DIGITAL_SIGNATURE
#define KE CF_KU_KEY_ENCIPHERMENT
#define DE CF_KU_DATA_ENCIPHERMENT
#define SA CF_EKU_SERVER_AUTH
#define CA_ CF_EKU_CLIENT_AUTH
#define IPSEC CF_EKU_IPSEC_END_SYSTEM
#define Y5 1825
#define Y20 7300

/* SPEC §2, one row per purpose (and per product family where a name repeats). Unset fields
 * are false/NULL; the SAN rule defaults to CF_SAN_NODE. */
static const cf_purpose purposes[] = {
	{.name = "tomcat",
	 .products = "ucm imp cuc pcd",
	 .breaks =
		 "the admin and user web pages, AXL and UDS (Jabber login and directory), LDAP over TLS, ILS, SAML SSO",
	 .scope = "ucm imp",
	 .trust_store = "tomcat-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "Cisco Tomcat"},
	{.name = "tomcat-ECDSA",
	 .products = "ucm imp cuc",
	 .breaks = "the admin and user web pages, AXL and UDS (Jabber login and directory) for ECDSA clients",
	 .scope = "ucm imp",
	 .trust_store = "tomcat-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_,
	 .ecdsa = true,
	 .default_days = Y5,
	 .services = "Cisco Tomcat"},
	{.name = "CallManager",
	 .products = "ucm",
	 .breaks = "SIP TLS signalling with phones, trunks and gateways, signed TFTP configuration files, CTI over TLS",
	 .scope = "ucm",
	 .trust_store = "CallManager-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "Cisco CallManager,Cisco TFTP,Cisco CTIManager"},
	{.name = "CallManager-ECDSA",
	 .products = "ucm",
	 .breaks = "SIP TLS signalling with ECDSA phones and trunks, signed TFTP configuration files",
	 .scope = "ucm",
	 .trust_store = "CallManager-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_,
	 .ecdsa = true,
	 .default_days = Y5,
	 .services = "Cisco CallManager,Cisco TFTP,Cisco CTIManager"},
	{.name = "CAPF",
	 .products = "ucm",
	 .breaks = "LSC enrolment of phones (CAPF), and the LSCs it signed stop being trusted",
	 .trust_store = "CAPF-trust",
	 .ku = DS | CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN,
	 .eku = SA,
	 .ca = true,
	 .publisher_only = true,
	 .default_days = Y5,
	 .services = "Cisco Certificate Authority Proxy Function"},
	{.name = "TVS",
	 .products = "ucm",
	 .breaks = "Trust Verification Service: phones can no longer verify certificates not in their CTL/ITL",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "Cisco Trust Verification Service"},
	{.name = "ITLRecovery",
	 .products = "ucm",
	 .breaks = "ITL recovery: phones cannot take a new ITL file after a bulk certificate change",
	 .ku = DS,
	 .eku = 0,
	 .self_signed_only = true,
	 .default_days = Y20},
	{.name = "authz",
	 .products = "ucm",
	 .breaks = "OAuth token signing (Jabber refresh tokens, SSO-less login)",
	 .ku = DS,
	 .eku = 0,
	 .self_signed_only = true,
	 .default_days = Y5},
	{.name = "ipsec",
	 .products = "ucm imp cuc",
	 .breaks = "IPsec tunnels and Disaster Recovery System backups between nodes",
	 .trust_store = "ipsec-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .default_days = Y5,
	 .services = "Cisco DRF Master,Cisco DRF Local"},
	{.name = "cup",
	 .products = "imp",
	 .breaks = "SIP federation and SIP proxy TLS on IM and Presence",
	 .trust_store = "cup-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .default_days = Y5,
	 .services = "Cisco SIP Proxy,Cisco Presence Engine",
	 .ha_sensitive = true},
	{.name = "cup-ECDSA",
	 .products = "imp",
	 .breaks = "SIP federation and SIP proxy TLS on IM and Presence for ECDSA peers",
	 .trust_store = "cup-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .ecdsa = true,
	 .default_days = Y5,
	 .services = "Cisco SIP Proxy,Cisco Presence Engine",
	 .ha_sensitive = true},
	{.name = "cup-xmpp",
	 .products = "imp",
	 .breaks = "XMPP client logins (Jabber chat and presence) on IM and Presence",
	 .scope = "imp",
	 .trust_store = "cup-xmpp-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .default_days = Y5,
	 .san_rule = CF_SAN_XMPP,
	 .services = "Cisco XCP Router",
	 .restart_all_nodes = true,
	 .ha_sensitive = true},
	{.name = "cup-xmpp-ECDSA",
	 .products = "imp",
	 .breaks = "XMPP client logins (Jabber chat and presence) for ECDSA clients",
	 .scope = "imp",
	 .trust_store = "cup-xmpp-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .ecdsa = true,
	 .default_days = Y5,
	 .san_rule = CF_SAN_XMPP,
	 .services = "Cisco XCP Router",
	 .restart_all_nodes = true,
	 .ha_sensitive = true},
	{.name = "cup-xmpp-s2s",
	 .products = "imp",
	 .breaks = "XMPP federation with other domains",
	 .scope = "imp",
	 .trust_store = "cup-xmpp-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .default_days = Y5,
	 .san_rule = CF_SAN_XMPP_S2S,
	 .services = "Cisco XMPP Federation Connection Manager",
	 .ha_sensitive = true},
	{.name = "cup-xmpp-s2s-ECDSA",
	 .products = "imp",
	 .breaks = "XMPP federation with other domains for ECDSA peers",
	 .scope = "imp",
	 .trust_store = "cup-xmpp-trust",
	 .ku = DS | KE | DE,
	 .eku = SA | CA_ | IPSEC,
	 .ecdsa = true,
	 .default_days = Y5,
	 .san_rule = CF_SAN_XMPP_S2S,
	 .services = "Cisco XMPP Federation Connection Manager",
	 .ha_sensitive = true},
	{.name = "server",
	 .products = "expressway-c expressway-e",
	 .breaks = "mobile and remote access, B2B calls and the traversal zone between Expressway-C and -E",
	 .trust_store = "trusted-ca",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "Expressway", /* seed 002: a new server certificate takes effect after a restart */
	 .san_rule = CF_SAN_EXPRESSWAY},
	{.name = "domain:", /* "domain:<FQDN>": one per hosted domain, chosen by SNI (seed 002) */
	 .products = "expressway-c expressway-e",
	 .breaks = "TLS for the domain's clients (SNI) on the edge",
	 .trust_store = "trusted-ca",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "Expressway",
	 .san_rule = CF_SAN_DOMAIN},
	{.name = "server-ECDSA",
	 .products = "expressway-c expressway-e",
	 .breaks = "mobile and remote access and B2B TLS for ECDSA peers",
	 .trust_store = "trusted-ca",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .ecdsa = true,
	 .default_days = Y5,
	 .services = "Expressway",
	 .san_rule = CF_SAN_EXPRESSWAY},
	{.name = "server",
	 .products = "cmm tms",
	 .breaks = "the management web pages and API",
	 .trust_store = "trust",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "web server"},
	{.name = "provisioning",
	 .products = "pcp",
	 .breaks = "device provisioning over HTTPS",
	 .trust_store = "trust",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "web server"},
	{.name = "shared",
	 .products = "cms",
	 .breaks = "web admin, call bridge, XMPP and web bridge of Meeting Server",
	 .scope = "cms",
	 .trust_store = "cms-trust",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5,
	 .services = "webadmin,callbridge,xmpp,webbridge,database"},
	{.name = "dbclient",
	 .products = "cms",
	 .breaks = "the Meeting Server database cluster connections",
	 .scope = "cms",
	 .trust_store = "cms-trust",
	 .ku = DS | KE,
	 .eku = CA_,
	 .default_days = Y5,
	 .san_rule = CF_SAN_FIXED_CN,
	 .fixed_cn = "postgres",
	 .services = "database"},
	{.name = "trustpoint",
	 .products = "ios",
	 .breaks = "TLS signalling and media encryption on the gateway",
	 .trust_store = "trustpoint-ca",
	 .ku = DS | KE,
	 .eku = SA | CA_,
	 .default_days = Y5},
};

/* SPEC §3.5: which stores accept a peer's self-signed certificate; the trusted-ca limit. */
static const cf_truststore stores[] = {
	/* name, peer self-signed accepted, limit */
	{"tomcat-trust", true, 0},   {"CallManager-trust", true, 0}, {"CAPF-trust", false, 0},
	{"ipsec-trust", true, 0},    {"cup-trust", true, 0},	     {"cup-xmpp-trust", true, 0},
	{"trusted-ca", false, 1000}, {"cms-trust", false, 0},	     {"trust", false, 0},
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

/* Whether name is of row: the same, or of its family ("domain:" and a valid FQDN). */
static bool purpose_named(const cf_purpose *row, const char *name)
{
	size_t len = strlen(row->name);
	if (len > 0 && row->name[len - 1] == ':')
		return strncmp(name, row->name, len) == 0 && cf_fqdn_valid(name + len);
	return strcmp(row->name, name) == 0;
}

const cf_purpose *cf_purpose_find(const char *name, const char *product)
{
	for (int i = 0; i < COUNT(purposes); i++)
		if (purpose_named(&purposes[i], name) &&
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
		if (cf_words_contain(p->products, product) && p->name[strlen(p->name) - 1] != ':')
			return p;
	}
	return NULL;
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
