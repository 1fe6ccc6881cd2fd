/* PEM text: finding the blocks and decoding one as PEM_read_bio does (certificates and requests
 * are parsed from the bytes without OpenSSL's PEM reader; see cert.c and csr.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

long cf_pem_blocks(const char *buf, size_t len, cf_pem_block **out)
{
	size_t n = 0, cap = 0;
	cf_pem_block *v = NULL;
	const char *p = buf, *end = buf + len;
	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		const char *lab = p + 11, *labend = memmem(lab, (size_t)(end - lab), "-----", 5);
		if (labend == NULL || labend - lab >= 40 || memchr(lab, '\n', (size_t)(labend - lab)))
			goto truncated;
		char endmark[64];
		int ml = snprintf(endmark, sizeof(endmark), "-----END %.*s-----", (int)(labend - lab), lab);
		const char *e = memmem(labend, (size_t)(end - labend), endmark, (size_t)ml);
		if (e == NULL)
			goto truncated;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			cf_pem_block *nv = realloc(v, cap * sizeof(*nv));
			if (nv == NULL)
				goto truncated;
			v = nv;
		}
		v[n].body = labend + 5;
		v[n].body_len = e >= labend + 5 ? (size_t)(e - (labend + 5)) : 0;
		snprintf(v[n].label, sizeof(v[n].label), "%.*s", (int)(labend - lab), lab);
		n++;
		p = e + ml;
	}
	*out = v;
	return (long)n;
truncated:
	free(v);
	return -1;
}

uint8_t *cf_pem_decode(const cf_pem_block *b, size_t *len)
{
	const char *p = b->body, *end = b->body + b->body_len, *eol;
	char *text = NULL;
	uint8_t *out = NULL;
	EVP_ENCODE_CTX *ctx = NULL;
	size_t used = 0;
	int n = 0, last = 0;

	while (p < end && *p != '\n') /* the rest of the BEGIN line */
		if ((unsigned char)*p++ > ' ')
			return NULL;
	if (p == end || end[-1] != '\n')
		return NULL;
	p++;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol != NULL && memchr(p, ':', (size_t)(eol - p)) != NULL) {
		for (bool blank = false; !blank; p = eol + 1) {
			if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL ||
			    ((size_t)(eol - p) >= 10 && memcmp(p, "Proc-Type:", 10) == 0))
				return NULL;
			blank = true;
			for (const char *q = p; q < eol; q++)
				if ((unsigned char)*q > ' ')
					blank = false;
		}
	}
	size_t in = (size_t)(end - p);
	if (in > INT_MAX || (text = malloc(in)) == NULL || (out = malloc(in / 4 * 3 + 4)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL)
		goto fail;
	for (; p < end; p = eol + 1) { /* end[-1] is a newline: every line has one */
		eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)(eol - p);
		while (ll > 0 && (unsigned char)p[ll - 1] <= ' ')
			ll--;
		memcpy(text + used, p, ll);
		used += ll;
		text[used++] = '\n';
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)text, (int)used) < 0 ||
	    EVP_DecodeFinal(ctx, out + n, &last) < 0)
		goto fail;
	EVP_ENCODE_CTX_free(ctx);
	free(text);
	*len = (size_t)n + (size_t)last;
	return out;
fail:
	EVP_ENCODE_CTX_free(ctx);
	free(text);
	free(out);
	return NULL;
}
