// Gathering rows by index, the first step of every minibatch.
//
// Rows picked at random from a large tensor are cache misses; copying them one after another
// waits for each miss in turn. Prefetching a window of rows ahead keeps many misses in flight.

#include "CDescentKernels.h"

#include <string.h>

void descent_gather_rows(void *dst, const void *src, const int64_t *indices, int64_t count,
                         int64_t row_bytes) {
    enum { AHEAD = 16 };
    const char *s = (const char *)src;
    char *d = (char *)dst;
    for (int64_t k = 0; k < count && k < AHEAD; k++)
        for (int64_t off = 0; off < row_bytes; off += 64)
            __builtin_prefetch(s + indices[k] * row_bytes + off, 0, 3);
    for (int64_t k = 0; k < count; k++) {
        if (k + AHEAD < count)
            for (int64_t off = 0; off < row_bytes; off += 64)
                __builtin_prefetch(s + indices[k + AHEAD] * row_bytes + off, 0, 3);
        memcpy(d + k * row_bytes, s + indices[k] * row_bytes, (size_t)row_bytes);
    }
}
