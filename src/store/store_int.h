/* Private to src/store/. */
#ifndef CF_STORE_INT_H
#define CF_STORE_INT_H

#include "store/db.h"
#include "store/store.h"

struct cf_store {
	const cf_db_driver *drv;
	cf_db *db;
	bool in_tx;
};

int cf_schema_latest(void);
/* Brings the schema to the latest version; runs inside the caller's transaction. */
cf_code cf_schema_migrate(cf_store *st, cf_err *e);

#endif
