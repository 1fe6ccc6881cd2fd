/* libFuzzer target: OCSP responses as cf_ocsp_check receives them from a responder — the DER
 * parse, the signer search of both trust models, the CertID and nonce match, times and status.
 * The certificates below and the seeds in corpus/ocsp/ (responses from `openssl ocsp` for them:
 * signed by the CA, by its delegated responder, by the trusted responder, good, revoked, with a
 * SHA-1 CertID, with a nonce, malformedRequest) were made together, so seeds reach every step. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* When the seeds were made: their thisUpdate; their nextUpdate is a century later. */
#define SEED_TIME 1795343780

static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
			     "MIIBdTCCARqgAwIBAgIUPL2FJiGpHdLEeNRiy7RSk4JBr0AwCgYIKoZIzj0EAwIw\n"
			     "FzEVMBMGA1UEAwwMRnV6eiBPQ1NQIENBMCAXDTI2MTEyMjEwMzYxN1oYDzIxMjYx\n"
			     "MDI5MTAzNjE3WjAXMRUwEwYDVQQDDAxGdXp6IE9DU1AgQ0EwWTATBgcqhkjOPQIB\n"
			     "BggqhkjOPQMBBwNCAATWr8ZJuQ7nuyC1w0R6dT3+SVLg7nEeDsvxQLQyfSruZ9ve\n"
			     "/G7JlX+EFOEeoEMzSZAiY1Zpm44BW5v/UcrRKc6Co0IwQDAPBgNVHRMBAf8EBTAD\n"
			     "AQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUsuzdaRs4VvymVMRmRB7p7OhE\n"
			     "2ngwCgYIKoZIzj0EAwIDSQAwRgIhALYh301KA++60uKUHX1Jwg5Pdbo2ztwJl+i2\n"
			     "TM/pPP0eAiEAmipevyLuM9Scvjr3sw2ukX+5uhC/nIaouPna05Ss4To=\n"
			     "-----END CERTIFICATE-----\n";
static const char good_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBmTCCAT+gAwIBAgIUHJ5Z6AmFOy7nVSnmquX6tTXaKHYwCgYIKoZIzj0EAwIw\n"
			       "FzEVMBMGA1UEAwwMRnV6eiBPQ1NQIENBMCAXDTI2MTEyMjEwMzYxN1oYDzIxMjYx\n"
			       "MDI5MTAzNjE3WjAcMRowGAYDVQQDDBFnb29kLmZ1enouZXhhbXBsZTBZMBMGByqG\n"
			       "SM49AgEGCCqGSM49AwEHA0IABArRxm1mYabc2V2R4TaypcEbo7tHfflzndihmtMJ\n"
			       "0LojPjuzeyKw0S3IA2F1hcSW9qPj/h8F5D2ZgHMdk6/cqZmjYjBgMAkGA1UdEwQC\n"
			       "MAAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFFCjZgR0+bGO83tgUjWe\n"
			       "6eTu5pV+MB8GA1UdIwQYMBaAFLLs3WkbOFb8plTEZkQe6ezoRNp4MAoGCCqGSM49\n"
			       "BAMCA0gAMEUCIAMIUdfhHSJ2ph635m+AYpF6/URiY84vR/tLIV4b8AWaAiEAkNj5\n"
			       "PTKFKkXY8uytCSCKbmVgSUkSKEgD9vXRjfHNdDc=\n"
			       "-----END CERTIFICATE-----\n";
static const char revoked_pem[] = "-----BEGIN CERTIFICATE-----\n"
				  "MIIBnDCCAUKgAwIBAgIUHJ5Z6AmFOy7nVSnmquX6tTXaKHcwCgYIKoZIzj0EAwIw\n"
				  "FzEVMBMGA1UEAwwMRnV6eiBPQ1NQIENBMCAXDTI2MTEyMjEwMzYxN1oYDzIxMjYx\n"
				  "MDI5MTAzNjE3WjAfMR0wGwYDVQQDDBRyZXZva2VkLmZ1enouZXhhbXBsZTBZMBMG\n"
				  "ByqGSM49AgEGCCqGSM49AwEHA0IABAchOGGuoLxTopwQonQ1U72Ljupax0eUKJDo\n"
				  "iLioyjJqjzuiRQk1ImuGR7X7VyvnuL019pjVJBi+tgKJVfpq/0yjYjBgMAkGA1Ud\n"
				  "EwQCMAAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFMKht4hohZHYysgi\n"
				  "59eCm+wKHwmjMB8GA1UdIwQYMBaAFLLs3WkbOFb8plTEZkQe6ezoRNp4MAoGCCqG\n"
				  "SM49BAMCA0gAMEUCIA0Rn2Uuu8PccbcP8AHX5vlajL3+7vJ1XSxDGY71G0QGAiEA\n"
				  "1oAoVlhpPFaNdnW/ZKj7PsZx932Vt5vfvMbbqDtOpD4=\n"
				  "-----END CERTIFICATE-----\n";
static const char other_pem[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBmTCCAT6gAwIBAgIUUewudYpizfjphZgr59jxPPq6e5owCgYIKoZIzj0EAwIw\n"
				"ITEfMB0GA1UEAwwWRnV6eiBUcnVzdGVkIFJlc3BvbmRlcjAgFw0yNjExMjIxMDM2\n"
				"MTdaGA8yMTI2MTAyOTEwMzYxN1owITEfMB0GA1UEAwwWRnV6eiBUcnVzdGVkIFJl\n"
				"c3BvbmRlcjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABHUOWkPt2r2JgKIHvL1/\n"
				"5dSzxWEY4r8FVKQx4AAdsfp5vVC6gw4jibKPAnx73QSFAn00lFt6hJFS8BeVkBc/\n"
				"Ra6jUjBQMAkGA1UdEwQCMAAwEwYDVR0lBAwwCgYIKwYBBQUHAwkwDwYJKwYBBQUH\n"
				"MAEFBAIFADAdBgNVHQ4EFgQUT9QAwgkt5ef+yz6TAWqp+cZRXJYwCgYIKoZIzj0E\n"
				"AwIDSQAwRgIhAPcwMmTqIbRy1cWxqE+wiToCSJOjpXvHNJvhxUpWfLbnAiEAngxd\n"
				"qL84qv4X/ClKJ+2U0i5SnfoUsphHWh35AYFKA+4=\n"
				"-----END CERTIFICATE-----\n";

static cf_cert *ca, *good, *revoked, *trusted;
static cf_ocsp_req *reqs[3]; /* good (SHA-256), revoked (SHA-256), good (SHA-1); no nonce */

static cf_cert *load(const char *pem)
{
	cf_cert **v = NULL;
	size_t n = 0;
	if (cf_cert_parse_bundle("fuzz", (const uint8_t *)pem, strlen(pem), &v, &n, NULL) != CF_OK)
		abort();
	cf_cert *c = v[0];
	free(v);
	return c;
}

static void setup(void)
{
	ca = load(ca_pem);
	good = load(good_pem);
	revoked = load(revoked_pem);
	trusted = load(other_pem);
	if (cf_ocsp_req_new(good, ca, false, false, &reqs[0], NULL) != CF_OK ||
	    cf_ocsp_req_new(revoked, ca, false, false, &reqs[1], NULL) != CF_OK ||
	    cf_ocsp_req_new(good, ca, true, false, &reqs[2], NULL) != CF_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ca == NULL)
		setup();
	(void)cf_ocsp_response_status(data, size);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		cf_ocsp_result r;
		cf_err e;
		if (cf_ocsp_check("fuzz", reqs[i], data, size, &trusted, 1, SEED_TIME, &r, &e) == CF_OK)
			cf_ocsp_result_clear(&r);
	}
	return 0;
}
