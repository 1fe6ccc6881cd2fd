/* Endpoint certificates (SPEC §1, §9): the LSCs (locally significant certificates) phones hold.
 * Each is kept on the node whose CAPF issued it — a Unified CM publisher — under the device name
 * its CN carries, at most one per device, so the expiry monitor can include them (SPEC §5).
 * LSCs signed by CAPF or by an online or offline CA are imported as PEM bundles and checked as
 * call control would check a phone: issued by a CA certificate (basicConstraints CA:TRUE) that is
 * the node's CAPF certificate or in its CAPF-trust or CallManager-trust, an RSA key of at least
 * 2048 bits, not a CA, able to authenticate as a TLS client, its CN a device name. */
#ifndef CF_ENDPOINT_H
#define CF_ENDPOINT_H

#include "core/model/plan.h"
#include "store/store.h"

/* The longest device name call control takes (an LSC's CN). */
#define CF_DEVICE_NAME_MAX 50

/* What an import did (ids in out->ids are the LSCs stored, warnings such as an expired LSC in
 * out->warnings). */
typedef struct cf_lsc_counts {
	size_t added;	  /* devices that had no LSC on the node */
	size_t replaced;  /* devices whose LSC this one replaced */
	size_t unchanged; /* the same certificate was already stored */
} cf_lsc_counts;

/* Imports the LSCs of a PEM/DER bundle (name is used in messages) onto the CAPF node: every
 * certificate is checked first and one bad one refuses the whole file with CF_E_INPUT naming it
 * (CF_E_STATE when the node is not a Unified CM publisher); one transaction, so a failure of the
 * store while reading or writing stores nothing and is returned as it is. */
cf_code cf_lsc_import(cf_store *st, const char *node, const char *name, const uint8_t *buf, size_t len,
		      cf_lsc_counts *counts, cf_outcome *out, cf_err *e);

/* Deletes a device's LSC from the node; CF_E_NOTFOUND when it has none (a failure of the store
 * is returned as it is). */
cf_code cf_lsc_delete(cf_store *st, const char *node, const char *device, cf_err *e);

#endif
