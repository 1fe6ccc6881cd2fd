/* STARTTLS dialogues. Each reads only what it must and refuses plaintext that arrives after the
 * server's go-ahead (it would otherwise be taken as part of the TLS stream, or hide an injected
 * command). */
#include "net/starttls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "net/connect.h"

/* One dialogue in progress: the socket and what has been received but not yet consumed. */
typedef struct conv {
	int fd;
	int64_t deadline;
	const char *proto;
	cf_err *e;
	size_t len;
	char buf[16384];
} conv;

/* Records a failure of the dialogue: "STARTTLS (proto): ...". */
static cf_code conv_fail(conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cf_code conv_fail(conv *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cf_err_set(c->e, CF_E_REMOTE, NULL, "STARTTLS (%s): %s", c->proto, msg);
}

/* Receives more bytes; a network error keeps its message behind the dialogue's prefix. */
static cf_code conv_fill(conv *c)
{
	size_t got = 0;
	if (c->len + 1 >= sizeof(c->buf))
		return conv_fail(c, "the server's answer is longer than %zu bytes", sizeof(c->buf) - 1);
	if (cf_net_recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, &got, c->deadline, c->e) != CF_OK)
		return conv_fail(c, "%s", c->e->message);
	c->len += got;
	c->buf[c->len] = '\0';
	return CF_OK;
}

static cf_code conv_send(conv *c, const void *p, size_t n)
{
	if (cf_net_send(c->fd, p, n, c->deadline, c->e) != CF_OK)
		return conv_fail(c, "%s", c->e->message);
	return CF_OK;
}

/* Drops the first n received bytes. */
static void conv_consume(conv *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	c->buf[c->len] = '\0';
}

/* After the go-ahead the next bytes are the server's TLS records, which it sends only after
 * the client's hello: anything already here is plaintext that must not be trusted. */
static cf_code conv_done(conv *c)
{
	if (c->len != 0)
		return conv_fail(c, "the server sent %zu bytes of plaintext after agreeing to start TLS", c->len);
	return CF_OK;
}

/* Copies printable text for an error message, at most cap-1 characters. */
static void printable(const char *p, size_t n, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < cap; i++)
		if (p[i] != '\r' && p[i] != '\n')
			out[j++] = isprint((unsigned char)p[i]) ? p[i] : '?';
	out[j] = '\0';
}

/* ---- SMTP (RFC 3207) ---------------------------------------------------------------------- */

/* Reads one reply, every line of it, and consumes it. *code is its number, last its final line
 * (for messages); *starttls tells whether a line of it is the STARTTLS extension keyword. */
static cf_code smtp_reply(conv *c, int *code, char *last, size_t cap, bool *starttls)
{
	size_t pos = 0;
	for (;;) {
		char *nl = memchr(c->buf + pos, '\n', c->len - pos);
		if (nl == NULL) {
			cf_code rc = conv_fill(c);
			if (rc != CF_OK)
				return rc;
			continue;
		}
		const char *line = c->buf + pos;
		size_t n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) || (n > 3 && line[3] != ' ' && line[3] != '-')) {
			printable(line, n, last, cap);
			return conv_fail(c, "not an SMTP reply: \"%s\"", last);
		}
		if (starttls != NULL && n >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (n == 12 || line[12] == ' '))
			*starttls = true;
		pos = (size_t)(nl - c->buf) + 1;
		if (n == 3 || line[3] == ' ') {
			*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
			printable(line, n, last, cap);
			conv_consume(c, pos);
			return CF_OK;
		}
	}
}

/* The EHLO argument: our side's address as an address literal, which RFC 5321 always accepts. */
static void smtp_ehlo_name(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "127.0.0.1";
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
			snprintf(out, cap, "[IPv6:%s]", addr);
			return;
		}
		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
	}
	snprintf(out, cap, "[%s]", addr);
}

static cf_code smtp_starttls(conv *c, const char *domain)
{
	(void)domain;
	char last[256], cmd[128], name[64];
	int code = 0;
	bool offered = false;
	cf_code rc = smtp_reply(c, &code, last, sizeof(last), NULL);
	if (rc != CF_OK)
		return rc;
	if (code != 220)
		return conv_fail(c, "the server's greeting is \"%s\"", last);
	smtp_ehlo_name(c->fd, name, sizeof(name));
	int n = snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", name);
	if ((rc = conv_send(c, cmd, (size_t)n)) != CF_OK ||
	    (rc = smtp_reply(c, &code, last, sizeof(last), &offered)) != CF_OK)
		return rc;
	if (code != 250)
		return conv_fail(c, "EHLO answered \"%s\"", last);
	if (!offered)
		return conv_fail(c, "the server does not offer STARTTLS");
	if ((rc = conv_send(c, "STARTTLS\r\n", 10)) != CF_OK ||
	    (rc = smtp_reply(c, &code, last, sizeof(last), NULL)) != CF_OK)
		return rc;
	if (code != 220)
		return conv_fail(c, "the server refused STARTTLS: \"%s\"", last);
	return conv_done(c);
}

/* ---- XMPP (RFC 6120 §5) ------------------------------------------------------------------- */

#define XMPP_TLS_NS "urn:ietf:params:xml:ns:xmpp-tls"

/* Receives until needle is among the bytes at or after from; returns its offset. */
static cf_code xmpp_until(conv *c, const char *needle, size_t *at)
{
	for (;;) {
		const char *hit = memmem(c->buf, c->len, needle, strlen(needle));
		if (hit != NULL) {
			*at = (size_t)(hit - c->buf);
			return CF_OK;
		}
		const char *err = memmem(c->buf, c->len, "<stream:error", 13);
		if (err != NULL && memmem(err, c->len - (size_t)(err - c->buf), "</stream:error>", 15) != NULL) {
			/* the condition is the first child element: <host-unknown xmlns=.../> */
			const char *cond = memchr(err + 1, '<', c->len - (size_t)(err + 1 - c->buf));
			char name[64] = "unknown";
			if (cond != NULL) {
				size_t n = strcspn(cond + 1, " />");
				printable(cond + 1, n < sizeof(name) ? n : sizeof(name) - 1, name, sizeof(name));
			}
			return conv_fail(c, "the server closed the stream: %s", name);
		}
		cf_code rc = conv_fill(c);
		if (rc != CF_OK)
			return rc;
	}
}

/* The end of the element starting at offset start: just past its "/>" or past "</name>". */
static cf_code xmpp_element_end(conv *c, size_t start, const char *name, size_t *end)
{
	char close[64];
	snprintf(close, sizeof(close), "</%s>", name);
	for (;;) {
		const char *gt = memchr(c->buf + start, '>', c->len - start);
		if (gt != NULL && gt[-1] == '/') {
			*end = (size_t)(gt + 1 - c->buf);
			return CF_OK;
		}
		const char *hit = gt == NULL ? NULL : memmem(gt, c->len - (size_t)(gt - c->buf), close, strlen(close));
		if (hit != NULL) {
			*end = (size_t)(hit - c->buf) + strlen(close);
			return CF_OK;
		}
		cf_code rc = conv_fill(c);
		if (rc != CF_OK)
			return rc;
	}
}

static cf_code xmpp_starttls(conv *c, const char *domain)
{
	char head[512];
	size_t at = 0, end = 0;
	if (domain == NULL || domain[0] == '\0' || strpbrk(domain, "'\"<>&") != NULL)
		return cf_err_set(c->e, CF_E_USAGE, NULL, "STARTTLS (xmpp) needs the server's domain name");
	int n = snprintf(head, sizeof(head),
			 "<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' "
			 "xmlns:stream='http://etherx.jabber.org/streams'>",
			 domain);
	cf_code rc = conv_send(c, head, (size_t)n);
	if (rc == CF_OK)
		rc = xmpp_until(c, "<stream:features", &at);
	if (rc == CF_OK)
		rc = xmpp_element_end(c, at, "stream:features", &end);
	if (rc != CF_OK)
		return rc;
	bool offered = memmem(c->buf + at, end - at, XMPP_TLS_NS, strlen(XMPP_TLS_NS)) != NULL;
	conv_consume(c, end);
	if (!offered)
		return conv_fail(c, "the server's stream features do not offer STARTTLS");
	static const char req[] = "<starttls xmlns='" XMPP_TLS_NS "'/>";
	if ((rc = conv_send(c, req, sizeof(req) - 1)) != CF_OK)
		return rc;
	/* the answer is <proceed xmlns=.../> or <failure xmlns=.../> */
	for (;;) {
		const char *lt = memchr(c->buf, '<', c->len);
		if (lt != NULL && (size_t)(c->len - (size_t)(lt - c->buf)) >= 9)
			break;
		if ((rc = conv_fill(c)) != CF_OK)
			return rc;
	}
	const char *lt = memchr(c->buf, '<', c->len);
	at = (size_t)(lt - c->buf);
	if (strncmp(lt, "<proceed", 8) != 0) {
		char what[64];
		size_t len = strcspn(lt + 1, " />");
		printable(lt + 1, len < sizeof(what) ? len : sizeof(what) - 1, what, sizeof(what));
		return conv_fail(c, "the server answered <%s> instead of <proceed/>", what);
	}
	if ((rc = xmpp_element_end(c, at, "proceed", &end)) != CF_OK)
		return rc;
	conv_consume(c, end);
	return conv_done(c);
}

/* ---- LDAP (RFC 4511 §4.14) ---------------------------------------------------------------- */

/* One BER TLV at *p (before end): its tag, contents and length; *p moves past it. Only the
 * definite lengths LDAP allows. */
static bool ber_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *len)
{
	const uint8_t *q = *p;
	if (end - q < 2)
		return false;
	*tag = *q++;
	size_t n = *q++;
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return false;
		for (n = 0; k > 0; k--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return false;
	*val = q;
	*len = n;
	*p = q + n;
	return true;
}

/* The value of a small non-negative INTEGER or ENUMERATED; -1 when it is not one. */
static long ber_small_int(const uint8_t *v, size_t len)
{
	if (len == 0 || len > 4 || (v[0] & 0x80))
		return -1;
	long x = 0;
	for (size_t i = 0; i < len; i++)
		x = x << 8 | v[i];
	return x;
}

static const char *ldap_result_name(long code)
{
	static const struct {
		long code;
		const char *name;
	} names[] = {{1, "operationsError"},
		     {2, "protocolError"},
		     {7, "authMethodNotSupported"},
		     {12, "unavailableCriticalExtension"},
		     {51, "busy"},
		     {52, "unavailable"},
		     {53, "unwillingToPerform"},
		     {80, "other"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "error";
}

static cf_code ldap_starttls(conv *c, const char *domain)
{
	(void)domain;
	/* LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0] "1.3.6.1.4.1.1466.20037" } } */
	static const uint8_t req[] = {0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.',
				      '3',  '.',  '6',	'.',  '1',  '.',  '4',	'.',  '1',  '.', '1',
				      '4',  '6',  '6',	'.',  '2',  '0',  '0',	'3',  '7'};
	cf_code rc = conv_send(c, req, sizeof(req));
	size_t total = 0;
	while (rc == CF_OK) {
		const uint8_t *p = (const uint8_t *)c->buf, *v = NULL;
		size_t n = 0;
		uint8_t tag = 0;
		if (c->len >= 2 && (uint8_t)c->buf[0] != 0x30)
			return conv_fail(c, "the server's answer is not an LDAP message");
		if (ber_next(&p, p + c->len, &tag, &v, &n)) {
			total = (size_t)(p - (const uint8_t *)c->buf);
			break;
		}
		rc = conv_fill(c);
	}
	if (rc != CF_OK)
		return rc;

	const uint8_t *p = (const uint8_t *)c->buf + 2, *end = (const uint8_t *)c->buf + total, *v = NULL, *op = NULL;
	size_t n = 0, op_len = 0;
	uint8_t tag = 0;
	if ((uint8_t)c->buf[1] & 0x80)
		p += (uint8_t)c->buf[1] & 0x7f;
	if (!ber_next(&p, end, &tag, &v, &n) || tag != 0x02)
		return conv_fail(c, "malformed LDAP answer (no messageID)");
	long id = ber_small_int(v, n);
	if (!ber_next(&p, end, &tag, &op, &op_len) || tag != 0x78)
		return conv_fail(c, "the server did not answer with an extended response");
	const uint8_t *q = op, *q_end = op + op_len, *dn = NULL, *diag = NULL;
	size_t dn_len = 0, diag_len = 0;
	if (!ber_next(&q, q_end, &tag, &v, &n) || tag != 0x0a)
		return conv_fail(c, "malformed LDAP extended response (no resultCode)");
	long result = ber_small_int(v, n);
	char text[256] = "";
	if (ber_next(&q, q_end, &tag, &dn, &dn_len) && tag == 0x04 && ber_next(&q, q_end, &tag, &diag, &diag_len) &&
	    tag == 0x04 && diag_len > 0) {
		char msg[200];
		printable((const char *)diag, diag_len, msg, sizeof(msg));
		snprintf(text, sizeof(text), ": %s", msg);
	}
	if (id == 0)
		return conv_fail(c, "the server sent a notice of disconnection (resultCode %ld)%s", result, text);
	if (id != 1)
		return conv_fail(c, "the server answered message %ld instead of 1", id);
	if (result != 0)
		return conv_fail(c, "the server refused StartTLS: resultCode %ld (%s)%s", result,
				 ldap_result_name(result), text);
	conv_consume(c, total);
	return conv_done(c);
}

/* ---- the table ---------------------------------------------------------------------------- */

static const struct starttls_proto {
	const char *name;
	cf_code (*run)(conv *c, const char *domain);
} protos[] = {
	{"xmpp", xmpp_starttls},
	{"smtp", smtp_starttls},
	{"ldap", ldap_starttls},
};

static const struct starttls_proto *find_proto(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(protos[i].name, name) == 0)
			return &protos[i];
	return NULL;
}

bool cf_starttls_known(const char *proto)
{
	return find_proto(proto) != NULL;
}

const char *cf_starttls_names(void)
{
	return "xmpp|smtp|ldap";
}

cf_code cf_starttls(int fd, const char *proto, const char *domain, int64_t deadline, cf_err *e)
{
	const struct starttls_proto *p = find_proto(proto);
	if (p == NULL)
		return cf_err_set(e, CF_E_USAGE, "starttls", "unknown protocol \"%s\"; expected %s", proto ? proto : "",
				  cf_starttls_names());
	cf_err scratch = {0};
	conv c = {.fd = fd, .deadline = deadline, .proto = p->name, .e = e != NULL ? e : &scratch};
	return p->run(&c, domain);
}
