// Tensor memory blocks: the elements, then a header shared by every tensor that reads them
// (the one that made the block, its views, its aliases). The header counts those tensors with
// an atomic integer, so a tensor's memory costs no object of its own: a Swift object costs
// about 280 instructions to allocate and free through the runtime and malloc, and two
// atomic counts per tensor besides, which was a tenth of a seed-loop epoch.
//
// Small blocks (64 bytes of elements or fewer) come from a per-thread stack of blocks that
// died on this thread, so a training loop's small results mostly allocate nothing. The stack
// lives in a C thread-local (a direct access, like the grad mode's) because Swift has no cheap
// thread-local storage.

#include "CDescentKernels.h"
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#define POOL_CAPACITY 64
#define SMALL_BLOCK_BYTES (DESCENT_SMALL_BLOCK_ELEMENT_BYTES + sizeof(descent_block_header))

static _Thread_local void *pool[POOL_CAPACITY] __attribute__((tls_model("initial-exec")));
static _Thread_local int pool_count __attribute__((tls_model("initial-exec")));
static _Thread_local int pool_registered __attribute__((tls_model("initial-exec")));
// Set when the pool is drained at thread exit: a tensor freed after that (by another key's
// destructor) frees its block instead of leaving it in a pool nobody drains again.
static _Thread_local int pool_closed __attribute__((tls_model("initial-exec")));

static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

// Runs when a thread that pooled blocks exits.
static void pool_drain(void *unused) {
    (void)unused;
    pool_closed = 1;
    while (pool_count > 0) free(pool[--pool_count]);
}

static void pool_make_key(void) { pthread_key_create(&pool_key, pool_drain); }

void *descent_small_block_take(void) {
    if (pool_count > 0) return pool[--pool_count];
    void *block = malloc(SMALL_BLOCK_BYTES);
    if (!block) abort();
    return block;
}

void descent_small_block_give(void *block) {
    if (pool_count == POOL_CAPACITY || pool_closed) {
        free(block);
        return;
    }
    if (!pool_registered) {
        pthread_once(&pool_once, pool_make_key);
        // Any non-null value makes the key's destructor run at this thread's exit.
        pthread_setspecific(pool_key, (void *)1);
        pool_registered = 1;
    }
    pool[pool_count++] = block;
}

void descent_block_hold(descent_block_header *header) {
    __atomic_fetch_add(&header->holders, 1, __ATOMIC_RELAXED);
}

int descent_block_drop(descent_block_header *header) {
    // A lone holder needs no atomic write: nobody else can take hold of the block. The acquire
    // load orders the writes of holders that let go on other threads before the block's reuse.
    if (__atomic_load_n(&header->holders, __ATOMIC_ACQUIRE) == 1) return 1;
    return __atomic_sub_fetch(&header->holders, 1, __ATOMIC_ACQ_REL) == 0;
}

int descent_block_is_held_once(descent_block_header *header) {
    return __atomic_load_n(&header->holders, __ATOMIC_ACQUIRE) == 1;
}
