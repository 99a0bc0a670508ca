#ifndef CDESCENT_KERNELS_H
#define CDESCENT_KERNELS_H

#include <stdint.h>

/// Which single-precision matrix-product kernels this CPU and machine offer.
enum {
    DESCENT_SGEMM_GENERIC = 0,   // portable C, any CPU
    DESCENT_SGEMM_AVX2 = 1,      // AVX2 + FMA micro-kernel
    DESCENT_SGEMM_OPENBLAS = 2,  // cblas_sgemm from an OpenBLAS found at run time
};

/// 1 when the CPU runs AVX2 and FMA instructions.
int descent_cpu_has_avx2_fma(void);

/// 1 when an OpenBLAS shared library could be loaded (looked up once).
int descent_openblas_available(void);

/// Tells OpenBLAS (when loaded) how many threads its products may use; a no-op when the count
/// is unchanged.
void descent_openblas_set_threads(int threads);

/// The number of threads OpenBLAS will use, or -1 without OpenBLAS.
int descent_openblas_threads(void);

/// C[m x n] = A[m x k] * B[k x n] (beta = 0), or C += A * B when `accumulate` is 1.
/// A and B are read through arbitrary element strides (row stride, column stride), so
/// transposed views need no copy. C is row-major with leading dimension `ldc`.
void descent_sgemm(int kernel, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t rsa, int64_t csa,
                   const float *b, int64_t rsb, int64_t csb,
                   float *c, int64_t ldc, int accumulate);

/// Which memory-bound case `descent_sgemm_skinny` takes for a shape: DESCENT_SKINNY_ROWS
/// (a narrow output, rows independent), DESCENT_SKINNY_SUM (a small output summed over a long
/// k), or DESCENT_SKINNY_NONE. Callers split work over threads by it.
enum { DESCENT_SKINNY_NONE = 0, DESCENT_SKINNY_ROWS = 1, DESCENT_SKINNY_SUM = 2 };
int descent_sgemm_skinny_case(int64_t m, int64_t n, int64_t k, int64_t rsa, int64_t csa, int64_t rsb, int64_t csb);

/// The same product for shapes bound by memory: a narrow output (n <= 8) from row-contiguous
/// A, or a small output from a long sum. Returns 0, doing nothing, for other shapes.
int descent_sgemm_skinny(int kernel, int64_t m, int64_t n, int64_t k,
                         const float *a, int64_t rsa, int64_t csa,
                         const float *b, int64_t rsb, int64_t csb,
                         float *c, int64_t ldc, int accumulate);

/// Copies `count` rows of `row_bytes` bytes, row `indices[k]` of `src` to row `k` of `dst`,
/// prefetching ahead so that the cache misses of scattered rows overlap.
void descent_gather_rows(void *dst, const void *src, const int64_t *indices, int64_t count,
                         int64_t row_bytes);

/// One Adam step without weight decay or AMSGrad over float32 arrays that do not overlap:
/// m += w (g - m); v = v b2 + c2 g g; p += neg_step m / (sqrt(v) / bc + e), rounding as
/// PyTorch does.
void descent_adam_step_f32(int64_t n, float *p, const float *g, float *m, float *v,
                           float w, float b2, float c2, float bc, float e, float neg_step);

/// This thread's grad-mode override: -1 none, 0 disabled, 1 enabled.
int descent_grad_mode_override(void);
void descent_set_grad_mode_override(int value);

/// The header after a block of tensor elements, shared by every tensor that reads them.
typedef struct {
    /// Bumped by every in-place write; autograd compares it with the version it saved.
    intptr_t version;
    /// How many tensors read the block; the last one to let go frees it. Atomic, in C only.
    intptr_t holders;
    /// The elements the block was made for, and its size in bytes with this header.
    intptr_t count;
    intptr_t bytes;
} descent_block_header;

/// Element bytes of a small block: sixteen float32 or eight float64 elements.
#define DESCENT_SMALL_BLOCK_ELEMENT_BYTES 64

/// A small block (elements, then the header) that died on this thread, or a new one.
void *descent_small_block_take(void);
/// Keeps a small block for this thread's next small tensor, or frees it when the pool is full.
void descent_small_block_give(void *block);
/// Counts one more tensor reading the block.
void descent_block_hold(descent_block_header *header);
/// 1 when a single tensor holds the block.
int descent_block_is_held_once(descent_block_header *header);
/// Counts one tensor fewer; 1 when it was the last, which then frees the block.
int descent_block_drop(descent_block_header *header);

#endif
