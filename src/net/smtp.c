/* SMTP delivery with libcurl (see smtp.h). */
#include "net/smtp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CONNECT_TIMEOUT 10L /* seconds */
#define TOTAL_TIMEOUT 60L

typedef struct upload {
	const char *p;
	size_t left;
} upload;

static size_t read_message(char *buf, size_t size, size_t n, void *arg)
{
	upload *u = arg;
	size_t len = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

cf_code cf_smtp_send(const cf_smtp_mail *s, const char *message, cf_err *e)
{
	char url[300], from[260], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *rcpts = NULL;
	upload u = {message, strlen(message)};
	pthread_once(&curl_once, curl_init);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "smtp", "cannot start libcurl");
	bool implicit = strcmp(s->tls, "implicit") == 0;
	snprintf(url, sizeof(url), "%s://%s:%d", implicit ? "smtps" : "smtp", s->host, s->port);
	snprintf(from, sizeof(from), "<%s>", s->from);
	for (const char *p = s->to; *p != '\0';) {
		size_t len = strcspn(p, ";");
		char to[260];
		snprintf(to, sizeof(to), "<%.*s>", (int)len, p);
		rcpts = curl_slist_append(rcpts, to);
		p += len + (p[len] == ';');
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL,
			 strcmp(s->tls, "none") == 0 ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca != NULL && s->ca[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca);
	if (s->user != NULL && s->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password != NULL ? s->password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, TOTAL_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return cf_err_set(e, CF_E_REMOTE, url, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return CF_OK;
}
