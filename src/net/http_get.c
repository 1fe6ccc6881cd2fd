/* HTTP(S) downloads with libcurl (see http_get.h). */
#include "net/http_get.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct sink {
	uint8_t *p;
	size_t len, cap, max;
	bool too_big;
} sink;

static size_t take(char *data, size_t size, size_t n, void *arg)
{
	sink *s = arg;
	size_t add = size * n;
	if (s->len + add > s->max) {
		s->too_big = true;
		return 0; /* stops the transfer */
	}
	if (s->len + add > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		while (cap < s->len + add)
			cap *= 2;
		uint8_t *p = realloc(s->p, cap);
		if (p == NULL)
			return 0;
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, add);
	s->len += add;
	return add;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

cf_code cf_http_get(const char *url, size_t max, long timeout, uint8_t **out, size_t *len, cf_err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	sink s = {.max = max};
	long status = 0;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return cf_err_set(e, CF_E_INPUT, url, "only http:// and https:// URLs are fetched");
	pthread_once(&once, init);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return cf_err_set(e, CF_E_INTERNAL, url, "cannot start libcurl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "certfleet");
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (s.too_big) {
		free(s.p);
		return cf_err_set(e, CF_E_REMOTE, url, "larger than %zu MiB", max >> 20);
	}
	if (rc != CURLE_OK || status != 200) {
		free(s.p);
		if (rc == CURLE_OK)
			return cf_err_set(e, CF_E_REMOTE, url, "the server answered HTTP %ld", status);
		return cf_err_set(e, CF_E_REMOTE, url, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	*out = s.p != NULL ? s.p : calloc(1, 1);
	*len = s.len;
	return *out != NULL ? CF_OK : cf_err_set(e, CF_E_INTERNAL, url, "out of memory");
}
