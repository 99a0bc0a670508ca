// The per-thread pool of small tensor-memory blocks (elements, then the shared header; see
// TensorMemory.swift for why memory is a block and not an object). A block whose last holder
// ends on this thread goes onto the thread's stack, and the next small tensor takes it, so a
// training loop's small results mostly allocate nothing. The stack lives in a C thread-local (a
// direct access, like the grad mode's) because Swift has no cheap thread-local storage; its
// common paths are inline in the header.

#include "CDescentKernels.h"
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#define SMALL_BLOCK_BYTES (DESCENT_SMALL_BLOCK_ELEMENT_BYTES + sizeof(descent_block_header))

_Thread_local void *descent_pool_blocks[DESCENT_POOL_CAPACITY] __attribute__((tls_model("initial-exec")));
_Thread_local int descent_pool_count __attribute__((tls_model("initial-exec")));
// Set to 2 when the pool is drained at thread exit: a tensor freed after that (by another key's
// destructor) frees its block instead of leaving it in a pool nobody drains again.
_Thread_local int descent_pool_state __attribute__((tls_model("initial-exec")));

static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

// Runs when a thread that pooled blocks exits.
static void pool_drain(void *unused) {
    (void)unused;
    descent_pool_state = 2;
    while (descent_pool_count > 0) free(descent_pool_blocks[--descent_pool_count]);
}

static void pool_make_key(void) { pthread_key_create(&pool_key, pool_drain); }

void *descent_small_block_new(void) {
    void *block = malloc(SMALL_BLOCK_BYTES);
    if (!block) abort();
    return block;
}

void descent_small_block_give_slow(void *block) {
    if (descent_pool_state == 0) {
        pthread_once(&pool_once, pool_make_key);
        // Any non-null value makes the key's destructor run at this thread's exit.
        pthread_setspecific(pool_key, (void *)1);
        descent_pool_state = 1;
    }
    if (descent_pool_state == 1 && descent_pool_count < DESCENT_POOL_CAPACITY) {
        descent_pool_blocks[descent_pool_count++] = block;
    } else {
        free(block);
    }
}
