/* Splitting independent work over the machine's cores. */
#ifndef CF_PARALLEL_H
#define CF_PARALLEL_H

#include <stddef.h>

/* Calls fn(ctx, begin, end) over [0, n) in contiguous slices, one thread per core (at most 8);
 * runs on the caller's thread alone when n < min_per_thread * 2. Returns when all are done. */
void cf_parallel_for(size_t n, size_t min_per_thread, void (*fn)(void *ctx, size_t begin, size_t end), void *ctx);

#endif
