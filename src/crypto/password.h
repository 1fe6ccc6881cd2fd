/* Password hashes for local accounts: scrypt through OpenSSL's EVP_KDF, kept as a
 * self-describing string "$scrypt$ln=L,r=R,p=P$<base64 salt>$<base64 hash>" so the cost can
 * be raised later without breaking stored hashes. */
#ifndef CF_PASSWORD_H
#define CF_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/secret.h" /* cf_secret_wipe, for password buffers */

/* The cost used for new hashes: N = 2^15, r = 8, p = 1 (32 MiB, ~0.1 s). */
#define CF_PASSWORD_LN 15
#define CF_PASSWORD_R 8
#define CF_PASSWORD_P 1

/* Hashes password with a fresh 16-byte random salt at the default cost; *out is a new string
 * (free it with free()). */
cf_code cf_password_hash(const char *password, char **out, cf_err *e);
/* The same at a chosen cost (ln: log2 of N, 1..20; r 1..32; p 1..16). */
cf_code cf_password_hash_params(const char *password, int ln, int r, int p, char **out, cf_err *e);
/* Whether password matches a stored hash (constant-time compare). False for malformed or
 * out-of-range strings. */
bool cf_password_verify(const char *password, const char *stored);

#endif
