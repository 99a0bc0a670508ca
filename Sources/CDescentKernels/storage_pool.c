// A per-thread stack of small storage objects that died with their last tensor, handed back
// out by the next small result. Swift allocates and frees every object through malloc, with
// its runtime's bookkeeping around both: about 280 instructions per object, a tenth of an
// epoch of the seed loop for its twelve small results. The stack lives in a C thread-local
// (a direct access, like the grad mode's) because Swift has no cheap thread-local storage.

#include "CDescentKernels.h"
#include <pthread.h>
#include <stddef.h>

#define POOL_CAPACITY 64

static _Thread_local void *pool[POOL_CAPACITY] __attribute__((tls_model("initial-exec")));
static _Thread_local int pool_count __attribute__((tls_model("initial-exec")));
static _Thread_local int pool_registered __attribute__((tls_model("initial-exec")));
// Set when the pool is drained at thread exit: a tensor freed after that (by another key's
// destructor) frees its block instead of leaving it in a pool nobody drains again.
static _Thread_local int pool_closed __attribute__((tls_model("initial-exec")));

static void (*pool_release)(void *);
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

// Runs when a thread that pooled objects exits: hands each back to Swift to be released.
static void pool_drain(void *unused) {
    (void)unused;
    pool_closed = 1;
    while (pool_count > 0) pool_release(pool[--pool_count]);
}

static void pool_make_key(void) { pthread_key_create(&pool_key, pool_drain); }

void *descent_pool_take(void) {
    return pool_count > 0 ? pool[--pool_count] : NULL;
}

int descent_pool_give(void *object, void (*release)(void *)) {
    if (pool_count == POOL_CAPACITY || pool_closed) return 0;
    if (!pool_registered) {
        pool_release = release;
        pthread_once(&pool_once, pool_make_key);
        // Any non-null value makes the key's destructor run at this thread's exit.
        pthread_setspecific(pool_key, (void *)1);
        pool_registered = 1;
    }
    pool[pool_count++] = object;
    return 1;
}
