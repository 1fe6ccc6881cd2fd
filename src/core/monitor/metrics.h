/* The /metrics exposition in the Prometheus text format 0.0.4: every certificate's validity
 * under certfleet's own names and under x509-certificate-exporter's (so its Grafana dashboards
 * work unchanged), then the expiry monitor's health, then each identity's ACME state, then what
 * the served checks after deploys found. Built from stored facts in one walk of the
 * store; no OpenSSL, no JSON. */
#ifndef CF_METRICS_H
#define CF_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

/* Writes the whole exposition of st into out (whatever out held is freed first): x509_cert_expired says whether now is
 * past a certificate's notAfter. LSCs are included only while LSC monitoring is on. On an error
 * out holds nothing useful; *n_certs (when non-NULL) is set to the certificates written. */
cf_code cf_metrics_write(cf_store *st, int64_t now, cf_buf *out, size_t *n_certs, cf_err *e);

/* Appends the serial number hex (as cf_facts holds it: lower- or upper-case hex digits, a leading
 * "-" when negative) in decimal, as x509-certificate-exporter labels it; false (nothing appended)
 * when hex is empty or not hex. */
bool cf_metrics_serial_decimal(cf_buf *b, const char *hex);

/* Appends the value of the name's CN, unescaped, from its RFC 2253 form (as cf_facts holds subject
 * and issuer): the first CN of the text, which is the last of the name's DER (the one Go's
 * pkix.Name.CommonName, and so x509-certificate-exporter, reports). False (nothing appended) when
 * the name has no CN. */
bool cf_metrics_name_cn(cf_buf *b, const char *rfc2253);

#endif
