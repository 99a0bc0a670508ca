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

/// `y[i] = expf(x[i])`, bit for bit, eight values at a time on CPUs with AVX2 and FMA.
void descent_expf(int64_t n, const float *x, float *y);

/// Exact GELU over float32 as ATen's AVX2 kernel computes it (its vectorised `erf`); does
/// nothing on CPUs without AVX2/FMA (callers check `descent_cpu_has_avx2_fma` first).
void descent_gelu_f32(int64_t n, const float *x, float *y);
/// `out = g · GELU'(x)` as ATen's AVX2 backward kernel computes it; nothing without AVX2/FMA.
void descent_gelu_backward_f32(int64_t n, const float *x, const float *g, float *out);

/// `x = 1 / (1 + e^-x)` and `x = tanh(x)` in place over float32, eight lanes at a time within
/// two ulps; return 0, doing nothing, on CPUs without AVX2/FMA.
int descent_sigmoid_f32(int64_t n, float *x);
int descent_tanh_f32(int64_t n, float *x);

/// 1 when the CPU has what PyTorch's dispatch asks of its AVX-512 kernels (VL, BW, DQ, FMA).
int descent_cpu_has_avx512_for_aten(void);

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

/// Floats a packed k x n B needs (`descent_sgemm_pack_b`).
int64_t descent_sgemm_packed_b_floats(int64_t k, int64_t n);
/// B (any strides) packed once into the kernel's panels, for `descent_sgemm_prepacked`.
void descent_sgemm_pack_b(int64_t k, int64_t n, const float *b, int64_t rsb, int64_t csb, float *out);
/// C (+)= A * B with B packed by `descent_sgemm_pack_b` for the same k and n; the same
/// arithmetic, in the same order, as `descent_sgemm`'s own kernel.
void descent_sgemm_prepacked(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                             const float *packed_b, float *c, int64_t ldc, int accumulate);

/// One image's convolution geometry (spatial sizes as depth, height, width; a missing leading
/// dimension has size 1), for the products that read its column matrix straight from it.
typedef struct {
    int64_t channels;  // input channels the product reads (one group's)
    int64_t input[3], output[3], kernel[3], stride[3], padding[3], dilation[3];
} descent_conv_shape;

/// C[m x n] (+)= A[m x k] * cols, where cols = im2col(image) is [channels·kvol x out volume]
/// (k = channels·kvol, n = out volume), packed from the image without being written out; the
/// same bits as `descent_sgemm` on the written-out columns (conv_gemm.c).
void descent_sgemm_im2col(int kernel, int64_t m, const float *a, int64_t rsa, int64_t csa, const float *image,
                          const descent_conv_shape *shape, float *c, int64_t ldc, int accumulate);
/// C[m x n] (+)= A[m x k] * colsᵀ (k = out volume, n = channels·kvol), likewise.
void descent_sgemm_im2col_transposed(int kernel, int64_t m, const float *a, int64_t rsa, int64_t csa,
                                     const float *image, const descent_conv_shape *shape, float *c, int64_t ldc,
                                     int accumulate);

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

/// C[m x n] = alpha A[m x k] B[k x n], or C += alpha A B when `accumulate` is 1, in float64;
/// A and B through any element strides, C row-major with leading dimension `ldc` (linalg.c).
void descent_dgemm(int64_t m, int64_t n, int64_t k, double alpha,
                   const double *a, int64_t rsa, int64_t csa,
                   const double *b, int64_t rsb, int64_t csb,
                   double *c, int64_t ldc, int accumulate);

/// LU with partial pivoting of the n x n row-major `a` in place (L unit lower, U upper), rows
/// swapped as `pivots[i]` says, in order. Returns 0, or the 1-based column of the first exactly
/// zero pivot (the factorization is still completed, as LAPACK's dgetrf does). The trailing
/// updates run on up to `threads` threads.
int64_t descent_dgetrf(int64_t n, double *a, int64_t lda, int64_t *pivots, int threads);

/// Solves with the factors of `descent_dgetrf`: `b` (n x k, row-major) becomes A^-1 b.
void descent_dgetrs(int64_t n, const double *lu, int64_t lda, const int64_t *pivots, double *b, int64_t k);

/// The lower Cholesky factor of the symmetric n x n row-major `a` (its lower triangle read), in
/// place, the strict upper triangle zeroed. Returns 0, or the 1-based order of the first leading
/// minor that is not positive definite. The updates run on up to `threads` threads.
int64_t descent_dpotrf_lower(int64_t n, double *a, int64_t lda, int threads);

/// Folds `rows` rows of `block` (row-major, w columns; overwritten) into the w x w row-major
/// upper-triangular `r` by Householder reflections: r becomes the triangular factor of r
/// stacked on the block. Starting from zeros and folding in a tall matrix's rows a few at a
/// time gives its QR's R (and, with right-hand sides as extra columns, Q^T b beside it).
void descent_qr_absorb(double *r, int64_t w, double *block, int64_t rows);

/// Copies `count` rows of `row_bytes` bytes, row `indices[k]` of `src` to row `k` of `dst`,
/// prefetching ahead so that the cache misses of scattered rows overlap.
void descent_gather_rows(void *dst, const void *src, const int64_t *indices, int64_t count,
                         int64_t row_bytes);

/// An LSTM step's cell state over `batch` rows of `hidden` units, from activated gates (rows of
/// `4 hidden`: input, forget, cell, output): `c = f cp + i g`, and `th = c` (made tanh by the
/// caller). Rounds as the scalar expressions do (no fused multiply-adds).
void descent_lstm_cell_f32(int64_t batch, int64_t hidden, const float *gates, const float *cp, float *c, float *th);
/// `r = o th` for the same rows, once `th` holds tanh(c).
void descent_lstm_output_f32(int64_t batch, int64_t hidden, const float *gates, const float *th, float *r);
/// One step of an LSTM's backward pass over `batch` rows: from the saved gates, tanh(c) `th`,
/// the previous cell `cp`, the gradient `d` reaching h, and `c` the gradient reaching the cell
/// (updated to the previous cell's), the gates' pre-activation gradients `a` (rows of `4 hidden`).
void descent_lstm_cell_backward_f32(int64_t batch, int64_t hidden, const float *gates, const float *th, const float *cp,
                                    const float *d, float *c, float *a);

/// One Adam step without weight decay or AMSGrad over float32 arrays that do not overlap:
/// m += w (g - m); v = v b2 + c2 g g; p += neg_step m / (sqrt(v) / bc + e), rounding as
/// PyTorch does.
void descent_adam_step_f32(int64_t n, float *p, const float *g, float *m, float *v,
                           float w, float b2, float c2, float bc, float e, float neg_step);

/// This thread's grad-mode override: -1 none, 0 disabled, 1 enabled (grad_mode.c). Read and
/// written through the inline functions below, so that Swift reads it without a call.
extern _Thread_local int descent_grad_mode_override_value __attribute__((tls_model("initial-exec")));

static inline int descent_grad_mode_override(void) { return descent_grad_mode_override_value; }
static inline void descent_set_grad_mode_override(int value) { descent_grad_mode_override_value = value; }

/// The plan this thread is capturing into (`compile`), or null: read on every allocation and
/// kernel, so it lives beside the grad mode in an initial-exec thread-local (grad_mode.c).
extern _Thread_local void *descent_capture_tape_value __attribute__((tls_model("initial-exec")));

static inline void *descent_capture_tape(void) { return descent_capture_tape_value; }
static inline void descent_set_capture_tape(void *tape) { descent_capture_tape_value = tape; }

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

#define DESCENT_POOL_CAPACITY 64

// This thread's pool of small blocks (tensor_memory.c), used by the inline functions below:
// the common cases run in the caller without a call.
extern _Thread_local void *descent_pool_blocks[DESCENT_POOL_CAPACITY] __attribute__((tls_model("initial-exec")));
extern _Thread_local int descent_pool_count __attribute__((tls_model("initial-exec")));
/// 0 until the thread first pools a block, 1 while it pools, 2 once drained at thread exit.
extern _Thread_local int descent_pool_state __attribute__((tls_model("initial-exec")));

/// A new small block from malloc.
void *descent_small_block_new(void);
/// Pools a block when `descent_small_block_give` cannot (the first of a thread, a full or
/// drained pool): registers the thread's drain at exit, or frees the block.
void descent_small_block_give_slow(void *block);

/// A small block (elements, then the header) that died on this thread, or a new one.
static inline void *descent_small_block_take(void) {
    int n = descent_pool_count;
    if (n > 0) {
        descent_pool_count = n - 1;
        return descent_pool_blocks[n - 1];
    }
    return descent_small_block_new();
}

/// Keeps a small block for this thread's next small tensor, or frees it when the pool is full.
static inline void descent_small_block_give(void *block) {
    int n = descent_pool_count;
    if (descent_pool_state == 1 && n < DESCENT_POOL_CAPACITY) {
        descent_pool_blocks[n] = block;
        descent_pool_count = n + 1;
        return;
    }
    descent_small_block_give_slow(block);
}

/// Counts one more tensor reading the block.
static inline void descent_block_hold(descent_block_header *header) {
    __atomic_fetch_add(&header->holders, 1, __ATOMIC_RELAXED);
}

/// 1 when a single tensor holds the block.
static inline int descent_block_is_held_once(descent_block_header *header) {
    return __atomic_load_n(&header->holders, __ATOMIC_ACQUIRE) == 1;
}

/// Counts one tensor fewer; 1 when it was the last, which then frees the block.
static inline int descent_block_drop(descent_block_header *header) {
    // A lone holder needs no atomic write: nobody else can take hold of the block. The acquire
    // load orders the writes of holders that let go on other threads before the block's reuse.
    if (__atomic_load_n(&header->holders, __ATOMIC_ACQUIRE) == 1) return 1;
    return __atomic_sub_fetch(&header->holders, 1, __ATOMIC_ACQ_REL) == 0;
}

#endif
