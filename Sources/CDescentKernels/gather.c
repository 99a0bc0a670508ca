// Gathering rows by index, the first step of every minibatch.
//
// Rows picked at random from a large tensor are cache misses; copying them one after another
// waits for each miss in turn. Prefetching a window of rows ahead keeps many misses in flight.

#include "CDescentKernels.h"

#include <string.h>

// The loop for one row size. Common sizes get their own copy of it with the size a constant
// (a mini-batch's target rows of 8 bytes, feature rows of 128): the copy becomes a few vector
// moves, where a call into memcpy per row cost more than the copy itself.
#define GATHER_LOOP(BYTES)                                                                     \
    do {                                                                                       \
        const int64_t bytes = (BYTES);                                                         \
        for (int64_t k = 0; k < count && k < AHEAD; k++)                                       \
            for (int64_t off = 0; off < bytes; off += 64)                                      \
                __builtin_prefetch(s + indices[k] * bytes + off, 0, 3);                        \
        for (int64_t k = 0; k < count; k++) {                                                  \
            if (k + AHEAD < count)                                                             \
                for (int64_t off = 0; off < bytes; off += 64)                                  \
                    __builtin_prefetch(s + indices[k + AHEAD] * bytes + off, 0, 3);            \
            memcpy(d + k * bytes, s + indices[k] * bytes, (size_t)bytes);                      \
        }                                                                                      \
    } while (0)

void descent_gather_rows(void *dst, const void *src, const int64_t *indices, int64_t count,
                         int64_t row_bytes) {
    enum { AHEAD = 16 };
    const char *s = (const char *)src;
    char *d = (char *)dst;
    switch (row_bytes) {
    case 4: GATHER_LOOP(4); return;
    case 8: GATHER_LOOP(8); return;
    case 16: GATHER_LOOP(16); return;
    case 32: GATHER_LOOP(32); return;
    case 64: GATHER_LOOP(64); return;
    case 128: GATHER_LOOP(128); return;
    case 256: GATHER_LOOP(256); return;
    default: GATHER_LOOP(row_bytes); return;
    }
}
