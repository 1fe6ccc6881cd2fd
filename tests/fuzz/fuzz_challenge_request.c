/* libFuzzer target: the HTTP-01 responder's request parser (net/challenge_server.c), on any bytes
 * a client may send. Besides memory errors (the token buffer is exactly cap bytes), it traps when
 * a token comes out that is not base64url of 1 to 256 characters taken from the path, or when a
 * prefix of the input, as the server may have received it so far, gets another verdict than
 * "incomplete" or the whole input's. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/challenge_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool b64url(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The verdict on the first len bytes, its token checked. */
static cf_challenge_server_verdict check(const char *buf, size_t len, size_t cap, char *token)
{
	cf_challenge_server_verdict v = cf_challenge_server_request_token(buf, len, token, cap);
	if (v > CF_CHALLENGE_SERVER_HEAD)
		__builtin_trap();
	if (v == CF_CHALLENGE_SERVER_GET || v == CF_CHALLENGE_SERVER_HEAD) {
		size_t n = strnlen(token, cap);
		if (n == 0 || n >= cap || n > CF_CHALLENGE_SERVER_TOKEN_MAX)
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if (!b64url(token[i]))
				__builtin_trap();
		char path[CF_CHALLENGE_SERVER_TOKEN_MAX + 40] = "/.well-known/acme-challenge/";
		strcat(path, token);
		strcat(path, " HTTP/1.");
		if (memmem(buf, len, path, strlen(path)) == NULL)
			__builtin_trap();
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the buffer exactly as long as the input, so a read past it is caught */
	char *buf = malloc(size + 1);
	size_t cap = size > 0 ? 1 + data[0] % (CF_CHALLENGE_SERVER_TOKEN_MAX + 8) : CF_CHALLENGE_SERVER_TOKEN_MAX + 1;
	char *token = malloc(cap), *again = malloc(cap);
	if (buf == NULL || token == NULL || again == NULL)
		goto out;
	if (size > 0)
		memcpy(buf, data, size);
	cf_challenge_server_verdict whole = check(buf, size, cap, token);
	/* what the server sees as the bytes arrive: incomplete, or already the same verdict */
	size_t cuts[] = {size / 2, size > 0 ? size - 1 : 0, size > 1 ? data[1] % size : 0};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cf_challenge_server_verdict part = check(buf, cuts[i], cap, again);
		if (part != CF_CHALLENGE_SERVER_INCOMPLETE && part != whole)
			__builtin_trap();
		if ((part == CF_CHALLENGE_SERVER_GET || part == CF_CHALLENGE_SERVER_HEAD) && strcmp(token, again) != 0)
			__builtin_trap();
	}
out:
	free(buf);
	free(token);
	free(again);
	return 0;
}
