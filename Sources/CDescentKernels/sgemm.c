// Single-precision matrix products: a BLIS-style packed kernel with an AVX2/FMA micro-kernel
// chosen at run time, a portable fallback, and OpenBLAS when the machine has it.
//
// Why C: Swift cannot enable AVX2/FMA for one function without unsafeFlags, and a plain Swift
// build runs SIMD code at SSE2 speed (0.6 GFLOP/s measured, against 32 with FMA). C's
// `__attribute__((target("avx2,fma")))` compiles just the micro-kernel for those instructions,
// and `__builtin_cpu_supports` picks it only on CPUs that have them.

#include "CDescentKernels.h"
#include "sgemm_driver.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DESCENT_X86 1
#endif

int descent_cpu_has_avx2_fma(void) {
#if DESCENT_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int descent_cpu_has_avx512_for_aten(void) {
#if DESCENT_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

// MARK: OpenBLAS, found at run time

typedef void (*cblas_sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                               const float *, int, float, float *, int);
static cblas_sgemm_fn openblas_sgemm = 0;
static void (*openblas_set_threads)(int) = 0;
static int (*openblas_get_threads)(void) = 0;
static int openblas_state = -1;  // -1 unknown, 0 absent, 1 present
static int openblas_threads = 0;  // what was last passed to openblas_set_num_threads

int descent_openblas_available(void) {
    if (openblas_state >= 0) return openblas_state;
    const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib",
                           "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", 0};
    for (int i = 0; names[i]; i++) {
        void *handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!handle) continue;
        openblas_sgemm = (cblas_sgemm_fn)dlsym(handle, "cblas_sgemm");
        openblas_set_threads = (void (*)(int))dlsym(handle, "openblas_set_num_threads");
        openblas_get_threads = (int (*)(void))dlsym(handle, "openblas_get_num_threads");
        if (openblas_sgemm) break;
    }
    openblas_state = openblas_sgemm ? 1 : 0;
    return openblas_state;
}

// OpenBLAS starts one thread per core whatever Descent was told; this keeps it to Descent's
// count (`Threads.count`), so `--threads 1` means one thread for every backend.
void descent_openblas_set_threads(int threads) {
    if (!descent_openblas_available() || !openblas_set_threads) return;
    if (__atomic_load_n(&openblas_threads, __ATOMIC_RELAXED) == threads) return;
    openblas_set_threads(threads);
    __atomic_store_n(&openblas_threads, threads, __ATOMIC_RELAXED);
}

int descent_openblas_threads(void) {
    if (!descent_openblas_available() || !openblas_get_threads) return -1;
    return openblas_get_threads();
}

// MARK: packing

// A block (mc x kc) into row panels of MR: for each k, MR consecutive values (zero padded).
static void pack_a_generic(int64_t mc, int64_t kc, const float *a, int64_t rsa, int64_t csa, float *out) {
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        int64_t rows = mc - i0 < MR ? mc - i0 : MR;
        for (int64_t p = 0; p < kc; p++) {
            const float *src = a + i0 * rsa + p * csa;
            int64_t r = 0;
            for (; r < rows; r++) out[r] = src[r * rsa];
            for (; r < MR; r++) out[r] = 0;
            out += MR;
        }
    }
}

#if DESCENT_X86
// A row-major A block (csa == 1): each whole panel's six rows, eight k values at a time,
// through an 8 x 8 register transpose whose last two rows repeat the sixth (never stored).
// Each k's eight-lane store runs two floats into the next k's slot, which the next store
// overwrites; the last one runs into the buffer's slack. Values are only moved.
__attribute__((target("avx2,fma")))
static void pack_a_rows_avx2(int64_t mc, int64_t kc, const float *a, int64_t rsa, float *out) {
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        int64_t rows = mc - i0 < MR ? mc - i0 : MR;
        if (rows < MR) {
            pack_a_generic(rows, kc, a + i0 * rsa, rsa, 1, out);
            out += MR * kc;
            continue;
        }
        const float *r0p = a + i0 * rsa;
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
            __m256 r5 = _mm256_loadu_ps(r0p + 5 * rsa + p);
            descent_store_transposed8_avx2(_mm256_loadu_ps(r0p + p), _mm256_loadu_ps(r0p + rsa + p), _mm256_loadu_ps(r0p + 2 * rsa + p),
                                   _mm256_loadu_ps(r0p + 3 * rsa + p), _mm256_loadu_ps(r0p + 4 * rsa + p), r5, r5, r5,
                                   out + p * MR, MR);
        }
        for (; p < kc; p++)
            for (int64_t r = 0; r < MR; r++) out[p * MR + r] = r0p[r * rsa + p];
        out += MR * kc;
    }
}
#endif

#if DESCENT_X86
// A column-major A block (rsa == 1, a transposed operand such as the `gᵀ` of a weight
// gradient): a panel's six rows at one k are six consecutive floats, moved as four and two
// (never reading past them). The scalar gather this replaces was a tenth of an LSTM step.
// Four k at a time across every panel, not one panel down all of k: a weight gradient's A
// rows lie a power of two apart (2 KB for an LSTM's gates), so walking one panel down k
// touched a new cache line per k in the same few L1 sets, and each next panel fetched them
// again; this way each row's floats are read once, in order, and each panel gets 96
// consecutive bytes (a 512 x 1600 x 128 weight gradient 5% faster).
__attribute__((target("avx2,fma")))
static inline void copy_six(float *o, const float *src) {
    _mm_storeu_ps(o, _mm_loadu_ps(src));
    _mm_storel_pi((__m64 *)(o + 4), _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(src + 4)));
}

__attribute__((target("avx2,fma")))
static void pack_a_columns_avx2(int64_t mc, int64_t kc, const float *a, int64_t csa, float *out) {
    int64_t full = mc / MR, p = 0;
    for (; p + 4 <= kc; p += 4) {
        const float *src = a + p * csa;
        float *o = out + p * MR;
        for (int64_t q = 0; q < full; q++, src += MR, o += MR * kc) {
            copy_six(o, src);
            copy_six(o + MR, src + csa);
            copy_six(o + 2 * MR, src + 2 * csa);
            copy_six(o + 3 * MR, src + 3 * csa);
        }
    }
    for (; p < kc; p++) {
        const float *src = a + p * csa;
        float *o = out + p * MR;
        for (int64_t q = 0; q < full; q++, src += MR, o += MR * kc) copy_six(o, src);
    }
    if (full * MR < mc) pack_a_generic(mc - full * MR, kc, a + full * MR, 1, csa, out + full * MR * kc);
}
#endif

static void pack_a(int avx2, int64_t mc, int64_t kc, const float *a, int64_t rsa, int64_t csa, float *out) {
#if DESCENT_X86
    if (avx2 && csa == 1 && rsa >= 8) {
        pack_a_rows_avx2(mc, kc, a, rsa, out);
        return;
    }
    if (avx2 && rsa == 1 && csa >= MR) {
        pack_a_columns_avx2(mc, kc, a, csa, out);
        return;
    }
#endif
    (void)avx2;
    pack_a_generic(mc, kc, a, rsa, csa, out);
}

// B block (kc x nc) into column panels of NR: for each k, NR consecutive values (zero padded).
static void pack_b_generic(int64_t kc, int64_t nc, const float *b, int64_t rsb, int64_t csb, float *out) {
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t cols = nc - j0 < NR ? nc - j0 : NR;
        for (int64_t p = 0; p < kc; p++) {
            const float *src = b + p * rsb + j0 * csb;
            int64_t c = 0;
            if (csb == 1 && cols == NR) {
                memcpy(out, src, NR * sizeof(float));
            } else {
                for (; c < cols; c++) out[c] = src[c * csb];
                for (; c < NR; c++) out[c] = 0;
            }
            out += NR;
        }
    }
}

#if DESCENT_X86
// Eight columns of a column-major B (each eight consecutive k values at `src + j * csb`) as
// eight rows of a panel, `NR` apart: an 8 x 8 transpose in registers.
__attribute__((target("avx2,fma")))
static void transpose8_avx2(const float *src, int64_t csb, float *out) {
    descent_store_transposed8_avx2(_mm256_loadu_ps(src), _mm256_loadu_ps(src + csb), _mm256_loadu_ps(src + 2 * csb),
                           _mm256_loadu_ps(src + 3 * csb), _mm256_loadu_ps(src + 4 * csb), _mm256_loadu_ps(src + 5 * csb),
                           _mm256_loadu_ps(src + 6 * csb), _mm256_loadu_ps(src + 7 * csb), out, NR);
}

// A column-major B block (rsb == 1): whole panels eight k values at a time through register
// transposes, where the scalar gather of `pack_b_generic` cost a third of a convolution's
// weight gradient (B is im2col's columns, transposed). The values are only moved, so the
// product is the same bit for bit.
__attribute__((target("avx2,fma")))
static void pack_b_columns_avx2(int64_t kc, int64_t nc, const float *b, int64_t csb, float *out) {
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t cols = nc - j0 < NR ? nc - j0 : NR;
        if (cols < NR) {
            pack_b_generic(kc, cols, b + j0 * csb, 1, csb, out);
            out += NR * kc;
            continue;
        }
        int64_t p = 0;
        for (; p + 8 <= kc; p += 8) {
            transpose8_avx2(b + p + j0 * csb, csb, out + p * NR);
            transpose8_avx2(b + p + (j0 + 8) * csb, csb, out + p * NR + 8);
        }
        for (; p < kc; p++)
            for (int64_t c = 0; c < NR; c++) out[p * NR + c] = b[p + (j0 + c) * csb];
        out += NR * kc;
    }
}
#endif

void descent_pack_b(int avx2, int64_t kc, int64_t nc, const float *b, int64_t rsb, int64_t csb, float *out) {
#if DESCENT_X86
    if (avx2 && rsb == 1 && csb >= 8) {
        pack_b_columns_avx2(kc, nc, b, csb, out);
        return;
    }
#endif
    (void)avx2;
    pack_b_generic(kc, nc, b, rsb, csb, out);
}

// MARK: micro-kernels: an MR x NR tile of C from packed panels

static void kernel_generic(int64_t kc, const float *pa, const float *pb, float *tile) {
    float acc[MR][NR];
    memset(acc, 0, sizeof(acc));
    for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < MR; i++) {
            float x = pa[i];
            for (int j = 0; j < NR; j++) acc[i][j] += x * pb[j];
        }
        pa += MR;
        pb += NR;
    }
    memcpy(tile, acc, sizeof(acc));
}

#if DESCENT_X86
// R rows (R <= MR) of an MR x NR tile of sums into C's rows `ldc` apart (a packed tile is C
// with ldc = NR), added to what C holds when `add` is 1: C + sum, the addition add_tile_generic
// makes, without a round trip through a tile. R = MR is the kernel; fewer rows serve the last
// panel of A when m leaves a remainder (m = 32 leaves 2, m = 64 leaves 4), which would
// otherwise multiply its zero padding too (an LSTM step's recurrent products did an eighth
// more work than they needed). Each row's sums are in the same order whatever R is, and the
// constant R unrolls to registers (no spills).
#define ROWS_KERNEL(R)                                                                                  \
    __attribute__((target("avx2,fma")))                                                                 \
    static void kernel_avx2_rows##R(int64_t kc, const float *pa, const float *pb, float *c, int64_t ldc, \
                                    int add) {                                                          \
        __m256 acc[R][2];                                                                               \
        for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();                        \
        for (int64_t p = 0; p < kc; p++) {                                                              \
            __m256 b0 = _mm256_loadu_ps(pb), b1 = _mm256_loadu_ps(pb + 8);                              \
            for (int i = 0; i < R; i++) {                                                               \
                __m256 a = _mm256_broadcast_ss(pa + i);                                                 \
                acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);                                          \
                acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);                                          \
            }                                                                                           \
            pa += MR;                                                                                   \
            pb += NR;                                                                                   \
        }                                                                                               \
        for (int i = 0; i < R; i++) {                                                                   \
            if (add) {                                                                                  \
                acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(c + i * ldc));                    \
                acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(c + i * ldc + 8));                \
            }                                                                                           \
            _mm256_storeu_ps(c + i * ldc, acc[i][0]);                                                   \
            _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);                                               \
        }                                                                                               \
    }
ROWS_KERNEL(1)
ROWS_KERNEL(2)
ROWS_KERNEL(3)
ROWS_KERNEL(4)
ROWS_KERNEL(5)
ROWS_KERNEL(6)
#undef ROWS_KERNEL

// The first `rows` rows of a tile.
__attribute__((target("avx2,fma")))
static void kernel_avx2(int64_t kc, const float *pa, const float *pb, float *c, int64_t ldc, int add, int64_t rows) {
    switch (rows) {
    case 1: kernel_avx2_rows1(kc, pa, pb, c, ldc, add); break;
    case 2: kernel_avx2_rows2(kc, pa, pb, c, ldc, add); break;
    case 3: kernel_avx2_rows3(kc, pa, pb, c, ldc, add); break;
    case 4: kernel_avx2_rows4(kc, pa, pb, c, ldc, add); break;
    case 5: kernel_avx2_rows5(kc, pa, pb, c, ldc, add); break;
    default: kernel_avx2_rows6(kc, pa, pb, c, ldc, add); break;
    }
}

// The last row panel when it has three rows or fewer, several column panels at once. A
// kernel of R rows has 2R running sums, and on this core (Zen 2: two FMA pipes, five cycles
// of latency) fewer than ten chains wait on latency: a 2-row panel took 5 cycles per k where a
// 6-row one takes 6, so an LSTM step's m = 32 products (five panels and a remainder of two)
// spent a seventh of their time on 2 of 32 rows. P panels side by side make 2RP = 12 chains.
// Each element's sum is the same chain of FMAs as in the one-panel kernel, so bits agree.
#define WIDE_KERNEL(R, P)                                                                               \
    __attribute__((target("avx2,fma")))                                                                 \
    static void kernel_avx2_rows##R##_panels##P(int64_t kc, const float *pa, const float *pb,          \
                                                int64_t panel, float *c, int64_t ldc, int add) {        \
        __m256 acc[R][2 * P];                                                                           \
        for (int i = 0; i < R; i++)                                                                     \
            for (int v = 0; v < 2 * P; v++) acc[i][v] = _mm256_setzero_ps();                            \
        for (int64_t p = 0; p < kc; p++) {                                                              \
            __m256 a[R];                                                                                \
            for (int i = 0; i < R; i++) a[i] = _mm256_broadcast_ss(pa + i);                             \
            for (int q = 0; q < P; q++) {                                                               \
                __m256 b0 = _mm256_loadu_ps(pb + q * panel), b1 = _mm256_loadu_ps(pb + q * panel + 8);  \
                for (int i = 0; i < R; i++) {                                                           \
                    acc[i][2 * q] = _mm256_fmadd_ps(a[i], b0, acc[i][2 * q]);                           \
                    acc[i][2 * q + 1] = _mm256_fmadd_ps(a[i], b1, acc[i][2 * q + 1]);                   \
                }                                                                                       \
            }                                                                                           \
            pa += MR;                                                                                   \
            pb += NR;                                                                                   \
        }                                                                                               \
        for (int i = 0; i < R; i++)                                                                     \
            for (int v = 0; v < 2 * P; v++) {                                                           \
                float *cv = c + i * ldc + (v / 2) * NR + (v % 2) * 8;                                   \
                if (add) acc[i][v] = _mm256_add_ps(acc[i][v], _mm256_loadu_ps(cv));                     \
                _mm256_storeu_ps(cv, acc[i][v]);                                                        \
            }                                                                                           \
    }
WIDE_KERNEL(1, 6)
WIDE_KERNEL(2, 3)
WIDE_KERNEL(3, 2)
#undef WIDE_KERNEL

// Column panels a wide kernel takes at once for a last row panel of `rows` rows (1 if none).
static int64_t wide_panels(int64_t rows) { return rows == 1 ? 6 : rows == 2 ? 3 : rows == 3 ? 2 : 1; }

// `rows` rows of `wide_panels(rows)` full column panels, `panel` floats apart in packed B.
__attribute__((target("avx2,fma")))
static void kernel_avx2_wide(int64_t kc, const float *pa, const float *pb, int64_t panel, float *c, int64_t ldc,
                             int add, int64_t rows) {
    switch (rows) {
    case 1: kernel_avx2_rows1_panels6(kc, pa, pb, panel, c, ldc, add); break;
    case 2: kernel_avx2_rows2_panels3(kc, pa, pb, panel, c, ldc, add); break;
    default: kernel_avx2_rows3_panels2(kc, pa, pb, panel, c, ldc, add); break;
    }
}

#endif

static void add_tile_generic(const float *tile, float *c, int64_t ldc, int64_t rows, int64_t cols, int add) {
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            c[i * ldc + j] = add ? c[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
}

// MARK: driver

// Packing buffers are kept per thread and only grow: a product of 256 x 256 needs 400 KB of
// them, and allocating that per call (an mmap and a page fault per 4 KiB) cost a third of the
// product's time.
static _Thread_local float *pack_a_buffer __attribute__((tls_model("initial-exec"))) = 0;
static _Thread_local float *pack_b_buffer __attribute__((tls_model("initial-exec"))) = 0;
static _Thread_local size_t pack_a_floats __attribute__((tls_model("initial-exec"))) = 0;
static _Thread_local size_t pack_b_floats __attribute__((tls_model("initial-exec"))) = 0;

// The buffers are freed when their thread exits: the threads that run products come and go
// (Dispatch's workers retire when idle), and a buffer left behind by each would add up over a
// long run (the leak sanitizer found it once convolutions ran products on worker threads).
static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;

static void pack_buffers_free(void *unused) {
    (void)unused;
    free(pack_a_buffer);
    free(pack_b_buffer);
    pack_a_buffer = pack_b_buffer = 0;
    pack_a_floats = pack_b_floats = 0;
}

static void pack_make_key(void) { pthread_key_create(&pack_key, pack_buffers_free); }

static float *pack_buffer(float **buffer, size_t *capacity, size_t floats) {
    if (*capacity < floats) {
        if (*capacity == 0 && pack_a_floats + pack_b_floats == 0) {
            // This thread's first buffer: any non-null value makes the key's destructor run
            // at its exit.
            pthread_once(&pack_once, pack_make_key);
            pthread_setspecific(pack_key, (void *)1);
        }
        free(*buffer);
        *buffer = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
        *capacity = floats;
    }
    return *buffer;
}

// C[mc x nc] (+)= the packed A block times the packed B block, one MR x NR tile at a time.
static void multiply_panels(int avx2, int64_t mc, int64_t nc, int64_t kc, const float *pa, const float *pb,
                            float *c, int64_t ldc, int add) {
    float tile[MR * NR] __attribute__((aligned(64)));
    // A last row panel of 1-3 rows goes through the wide kernels after the others (x86 only).
    int64_t last = mc % MR, body = mc;
#if DESCENT_X86
    if (avx2 && last > 0 && wide_panels(last) > 1) body = mc - last;
#endif
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t ir = 0; ir < body; ir += MR) {
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            float *ct = c + ir * ldc + jr;
#if DESCENT_X86
            if (avx2) {
                if (cols == NR) {
                    kernel_avx2(kc, pa + ir * kc, pb + jr * kc, ct, ldc, add, rows);
                } else {
                    kernel_avx2(kc, pa + ir * kc, pb + jr * kc, tile, NR, 0, rows);
                    add_tile_generic(tile, ct, ldc, rows, cols, add);
                }
                continue;
            }
#endif
            kernel_generic(kc, pa + ir * kc, pb + jr * kc, tile);
            add_tile_generic(tile, ct, ldc, rows, cols, add);
        }
    }
#if DESCENT_X86
    if (body < mc) {
        const float *pl = pa + body * kc;
        float *cl = c + body * ldc;
        int64_t step = wide_panels(last) * NR, jr = 0;
        for (; jr + step <= nc; jr += step)
            kernel_avx2_wide(kc, pl, pb + jr * kc, NR * kc, cl + jr, ldc, add, last);
        for (; jr < nc; jr += NR) {
            int64_t cols = nc - jr < NR ? nc - jr : NR;
            if (cols == NR) {
                kernel_avx2(kc, pl, pb + jr * kc, cl + jr, ldc, add, last);
            } else {
                kernel_avx2(kc, pl, pb + jr * kc, tile, NR, 0, last);
                add_tile_generic(tile, cl + jr, ldc, last, cols, add);
            }
        }
    }
#endif
}

// Packs B's block of rows p0..<p0+kc and columns j0..<j0+nc into NR-wide panels; the
// convolution products pack straight from the image (conv_gemm.c) through the same driver.
typedef struct { const float *b; int64_t rsb, csb; } strided_b;

static void pack_strided_b(const void *context, int avx2, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float *out) {
    const strided_b *s = context;
    descent_pack_b(avx2, kc, nc, s->b + p0 * s->rsb + j0 * s->csb, s->rsb, s->csb, out);
}

void descent_sgemm_packed_with(int avx2, int64_t m, int64_t n, int64_t k,
                               const float *a, int64_t rsa, int64_t csa,
                               descent_b_packer pack, const void *context,
                               float *c, int64_t ldc, int accumulate) {
    // Buffers sized to this product, not to the largest block: small products stay cheap.
    int64_t mcap = (m < MC ? m : MC), ncap = (n < NC ? n : NC), kcap = (k < KC ? k : KC);
    float *pa = pack_buffer(&pack_a_buffer, &pack_a_floats, (size_t)((mcap + MR - 1) / MR * MR * kcap + 16));
    float *pb = pack_buffer(&pack_b_buffer, &pack_b_floats, (size_t)((ncap + NR - 1) / NR * NR * kcap + 16));
    for (int64_t j0 = 0; j0 < n; j0 += NC) {
        int64_t nc = n - j0 < NC ? n - j0 : NC;
        for (int64_t p0 = 0; p0 < k; p0 += KC) {
            int64_t kc = k - p0 < KC ? k - p0 : KC;
            int add = accumulate || p0 > 0;
            pack(context, avx2, p0, kc, j0, nc, pb);
            for (int64_t i0 = 0; i0 < m; i0 += MC) {
                int64_t mc = m - i0 < MC ? m - i0 : MC;
                pack_a(avx2, mc, kc, a + i0 * rsa + p0 * csa, rsa, csa, pa);
                multiply_panels(avx2, mc, nc, kc, pa, pb, c + i0 * ldc + j0, ldc, add);
            }
        }
    }
}

static void sgemm_packed(int avx2, int64_t m, int64_t n, int64_t k,
                         const float *a, int64_t rsa, int64_t csa,
                         const float *b, int64_t rsb, int64_t csb,
                         float *c, int64_t ldc, int accumulate) {
    strided_b source = {b, rsb, csb};
    descent_sgemm_packed_with(avx2, m, n, k, a, rsa, csa, pack_strided_b, &source, c, ldc, accumulate);
}

// MARK: products with a B packed once
//
// A recurrent layer multiplies by the same weight at every step: packing it once per sequence
// rather than once per step took a tenth off an LSTM step (the packed weight is as large as
// each step's arithmetic reads).

// Floats `descent_sgemm_pack_b` writes for a k x n B: every (KC, NC) block's panels in order.
int64_t descent_sgemm_packed_b_floats(int64_t k, int64_t n) {
    int64_t total = 0;
    for (int64_t j0 = 0; j0 < n; j0 += NC) {
        int64_t nc = n - j0 < NC ? n - j0 : NC;
        total += (nc + NR - 1) / NR * NR * k;
    }
    return total + 16;
}

void descent_sgemm_pack_b(int64_t k, int64_t n, const float *b, int64_t rsb, int64_t csb, float *out) {
    int avx2 = descent_cpu_has_avx2_fma();
    for (int64_t j0 = 0; j0 < n; j0 += NC) {
        int64_t nc = n - j0 < NC ? n - j0 : NC;
        for (int64_t p0 = 0; p0 < k; p0 += KC) {
            int64_t kc = k - p0 < KC ? k - p0 : KC;
            descent_pack_b(avx2, kc, nc, b + p0 * rsb + j0 * csb, rsb, csb, out);
            out += (nc + NR - 1) / NR * NR * kc;
        }
    }
}

void descent_sgemm_prepacked(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                             const float *packed_b, float *c, int64_t ldc, int accumulate) {
    if (m == 0 || n == 0) return;
    int avx2 = descent_cpu_has_avx2_fma();
    int64_t mcap = (m < MC ? m : MC), kcap = (k < KC ? k : KC);
    float *pa = pack_buffer(&pack_a_buffer, &pack_a_floats, (size_t)((mcap + MR - 1) / MR * MR * kcap + 16));
    const float *pb = packed_b;
    for (int64_t j0 = 0; j0 < n; j0 += NC) {
        int64_t nc = n - j0 < NC ? n - j0 : NC;
        for (int64_t p0 = 0; p0 < k; p0 += KC) {
            int64_t kc = k - p0 < KC ? k - p0 : KC;
            int add = accumulate || p0 > 0;
            for (int64_t i0 = 0; i0 < m; i0 += MC) {
                int64_t mc = m - i0 < MC ? m - i0 : MC;
                pack_a(avx2, mc, kc, a + i0 * rsa + p0 * csa, rsa, csa, pa);
                multiply_panels(avx2, mc, nc, kc, pa, pb, c + i0 * ldc + j0, ldc, add);
            }
            pb += (nc + NR - 1) / NR * NR * kc;
        }
    }
}

void descent_sgemm(int kernel, int64_t m, int64_t n, int64_t k,
                   const float *a, int64_t rsa, int64_t csa,
                   const float *b, int64_t rsb, int64_t csb,
                   float *c, int64_t ldc, int accumulate) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * n);
        return;
    }
    if (kernel == DESCENT_SGEMM_OPENBLAS && descent_openblas_available()) {
        // cblas wants unit stride in one direction; anything else goes through our kernel.
        int ta = csa == 1 ? 0 : (rsa == 1 ? 1 : -1);
        int tb = csb == 1 ? 0 : (rsb == 1 ? 1 : -1);
        if (ta >= 0 && tb >= 0) {
            int lda = (int)(ta ? (csa > 1 ? csa : m) : (rsa > 1 ? rsa : k));
            int ldb = (int)(tb ? (csb > 1 ? csb : k) : (rsb > 1 ? rsb : n));
            // CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112
            openblas_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, (int)m, (int)n, (int)k, 1.0f,
                           a, lda, b, ldb, accumulate ? 1.0f : 0.0f, c, (int)ldc);
            return;
        }
        kernel = descent_cpu_has_avx2_fma() ? DESCENT_SGEMM_AVX2 : DESCENT_SGEMM_GENERIC;
    }
    int avx2 = kernel == DESCENT_SGEMM_AVX2 && descent_cpu_has_avx2_fma();
    sgemm_packed(avx2, m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

// MARK: skinny products, bound by memory rather than arithmetic
//
// The packed kernel pads narrow outputs to 16 columns and copies A into panels: for a
// regression's x[n, 32] @ w^T[32, 2] that is 8x the arithmetic and an extra pass over x. These
// two loops read the long operand once, straight from memory.

// C[m, n] = A[m, k] B[k, n] with rows of A contiguous (csa == 1) and n small: one dot product
// per output, against B's columns gathered once into contiguous rows.
static void dot_rows_generic(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa,
                             const float *bt, float *c, int64_t ldc, int accumulate) {
    for (int64_t i = 0; i < m; i++) {
        const float *ai = a + i * rsa;
        for (int64_t j = 0; j < n; j++) {
            const float *bj = bt + j * k;
            float s = 0;
            for (int64_t p = 0; p < k; p++) s += ai[p] * bj[p];
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
        }
    }
}

#if DESCENT_X86
__attribute__((target("avx2,fma")))
static float hsum_avx2(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

// Reduces eight vectors to their eight sums, in order, by a transpose-add network.
#define DESCENT_REDUCE8(v, out)                                                                     \
    do {                                                                                            \
        __m256 h01 = _mm256_hadd_ps(v[0], v[1]), h23 = _mm256_hadd_ps(v[2], v[3]);                  \
        __m256 h45 = _mm256_hadd_ps(v[4], v[5]), h67 = _mm256_hadd_ps(v[6], v[7]);                  \
        __m256 h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);                  \
        out = _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20),                            \
                            _mm256_permute2f128_ps(h0123, h4567, 0x31));                           \
    } while (0)

// The narrowest products (n of 1, 2 or 4 outputs per row, k a multiple of 8, C contiguous):
// 8 / n rows at a time, each row's chunk loaded once and multiplied by every column of B,
// with B's chunk loaded once per group. The per-output sums are the same lane sums and the
// same reduction as dot_rows_avx2's, so results are identical; the work per row is about
// half, which lets one core keep up with memory (the forward pass of a linear model).
#define DESCENT_DOT_ROWS_N(N)                                                                       \
    __attribute__((target("avx2,fma")))                                                             \
    static int64_t dot_rows_n##N##_avx2(int64_t m, int64_t k, const float *a, int64_t rsa,          \
                                       const float *bt, float *c, int accumulate) {                 \
        enum { R = 8 / N };                                                                         \
        int64_t r = 0;                                                                              \
        for (; r + R <= m; r += R) {                                                                \
            __m256 v[8];                                                                            \
            for (int t = 0; t < 8; t++) v[t] = _mm256_setzero_ps();                                 \
            for (int64_t p = 0; p < k; p += 8) {                                                    \
                __m256 w[N];                                                                        \
                for (int j = 0; j < N; j++) w[j] = _mm256_loadu_ps(bt + j * k + p);                 \
                for (int rr = 0; rr < R; rr++) {                                                    \
                    __m256 x = _mm256_loadu_ps(a + (r + rr) * rsa + p);                             \
                    for (int j = 0; j < N; j++) v[rr * N + j] = _mm256_fmadd_ps(x, w[j], v[rr * N + j]); \
                }                                                                                   \
            }                                                                                       \
            __m256 sums;                                                                            \
            DESCENT_REDUCE8(v, sums);                                                               \
            if (accumulate) sums = _mm256_add_ps(sums, _mm256_loadu_ps(c + r * N));                 \
            _mm256_storeu_ps(c + r * N, sums);                                                      \
        }                                                                                           \
        return r;                                                                                   \
    }
DESCENT_DOT_ROWS_N(1)
DESCENT_DOT_ROWS_N(2)
DESCENT_DOT_ROWS_N(4)

// Eight outputs at a time: eight dot-product vectors reduced together by a transpose-add
// network, instead of one horizontal sum each.
__attribute__((target("avx2,fma")))
static void dot_rows_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa,
                          const float *bt, float *c, int64_t ldc, int accumulate) {
    int64_t k8 = k & ~(int64_t)7;
    if (ldc == n && k8 == k && (n == 1 || n == 2 || n == 4)) {
        int64_t done = n == 1 ? dot_rows_n1_avx2(m, k, a, rsa, bt, c, accumulate)
                     : n == 2 ? dot_rows_n2_avx2(m, k, a, rsa, bt, c, accumulate)
                              : dot_rows_n4_avx2(m, k, a, rsa, bt, c, accumulate);
        // The few rows left over go through the general path below.
        m -= done;
        a += done * rsa;
        c += done * n;
        if (m == 0) return;
    }
    int64_t total = m * n;
    int64_t q = 0;
    if (ldc == n) {
        // Output q is (row, j); both advance by counting, not dividing: an integer division
        // per output cost more than the dot product itself for n = 2.
        int64_t row = 0, j = 0;
        for (; q + 8 <= total; q += 8) {
            const float *ap[8], *bp[8];
            for (int t = 0; t < 8; t++) {
                ap[t] = a + row * rsa;
                bp[t] = bt + j * k;
                if (++j == n) {
                    j = 0;
                    row++;
                }
            }
            // Eight independent FMA chains, so latency overlaps.
            __m256 v[8];
            for (int t = 0; t < 8; t++) v[t] = _mm256_setzero_ps();
            for (int64_t p = 0; p < k8; p += 8) {
                v[0] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[0] + p), _mm256_loadu_ps(bp[0] + p), v[0]);
                v[1] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[1] + p), _mm256_loadu_ps(bp[1] + p), v[1]);
                v[2] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[2] + p), _mm256_loadu_ps(bp[2] + p), v[2]);
                v[3] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[3] + p), _mm256_loadu_ps(bp[3] + p), v[3]);
                v[4] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[4] + p), _mm256_loadu_ps(bp[4] + p), v[4]);
                v[5] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[5] + p), _mm256_loadu_ps(bp[5] + p), v[5]);
                v[6] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[6] + p), _mm256_loadu_ps(bp[6] + p), v[6]);
                v[7] = _mm256_fmadd_ps(_mm256_loadu_ps(ap[7] + p), _mm256_loadu_ps(bp[7] + p), v[7]);
            }
            __m256 h01 = _mm256_hadd_ps(v[0], v[1]), h23 = _mm256_hadd_ps(v[2], v[3]);
            __m256 h45 = _mm256_hadd_ps(v[4], v[5]), h67 = _mm256_hadd_ps(v[6], v[7]);
            __m256 h0123 = _mm256_hadd_ps(h01, h23), h4567 = _mm256_hadd_ps(h45, h67);
            __m256 sums = _mm256_add_ps(_mm256_permute2f128_ps(h0123, h4567, 0x20),
                                        _mm256_permute2f128_ps(h0123, h4567, 0x31));
            if (k8 < k) {
                float extra[8];
                for (int t = 0; t < 8; t++) {
                    int64_t row = (q + t) / n, j = (q + t) - row * n;
                    float e = 0;
                    for (int64_t p = k8; p < k; p++) e += a[row * rsa + p] * bt[j * k + p];
                    extra[t] = e;
                }
                sums = _mm256_add_ps(sums, _mm256_loadu_ps(extra));
            }
            if (accumulate) sums = _mm256_add_ps(sums, _mm256_loadu_ps(c + q));
            _mm256_storeu_ps(c + q, sums);
        }
    }
    for (; q < total; q++) {
        int64_t row = q / n, j = q - row * n;
        const float *ai = a + row * rsa, *bj = bt + j * k;
        float s = 0;
        for (int64_t p = 0; p < k; p++) s += ai[p] * bj[p];
        float *out = c + row * ldc + j;
        *out = accumulate ? *out + s : s;
    }
}
#endif

// C[m, n] = A[m, k] B[k, n] with columns of A contiguous (rsa == 1, A is a transposed view of
// a row-major matrix whose rows have m elements) and C small: C^T accumulates one outer
// product per p, reading each row of the long matrix once.
// With `transposed`, C^T is what is computed and C[j, i] is written.
static void outer_rows(int avx2, int64_t m, int64_t n, int64_t k, const float *a, int64_t csa,
                       const float *b, int64_t rsb, int64_t csb, float *c, int64_t ldc, int accumulate,
                       int transposed) {
    float small[1024];
    float *acc = m * n <= 1024 ? small : malloc(sizeof(float) * (size_t)(m * n));  // acc[j * m + i] = C[i, j]
    memset(acc, 0, sizeof(float) * (size_t)(m * n));
#if DESCENT_X86
    if (avx2) {
        extern void descent_outer_rows_avx2(int64_t, int64_t, int64_t, const float *, int64_t,
                                            const float *, int64_t, int64_t, float *);
        descent_outer_rows_avx2(m, n, k, a, csa, b, rsb, csb, acc);
    } else
#endif
    {
        for (int64_t p = 0; p < k; p++) {
            const float *ap = a + p * csa;
            for (int64_t j = 0; j < n; j++) {
                float s = b[p * rsb + j * csb];
                float *aj = acc + j * m;
                for (int64_t i = 0; i < m; i++) aj[i] += ap[i] * s;
            }
        }
    }
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            float *out = transposed ? c + j * ldc + i : c + i * ldc + j;
            *out = accumulate ? *out + acc[j * m + i] : acc[j * m + i];
        }
    if (acc != small) free(acc);
}

#if DESCENT_X86
// Register-blocked: for each block of 8 outputs of one column, the accumulator stays in a
// register across a chunk of rows that fits in L1, so each row is read from memory once.
__attribute__((target("avx2,fma")))
void descent_outer_rows_avx2(int64_t m, int64_t n, int64_t k, const float *a, int64_t csa,
                             const float *b, int64_t rsb, int64_t csb, float *acc) {
    enum { CHUNK = 256 };
    int64_t m8 = m & ~(int64_t)7;
    for (int64_t p0 = 0; p0 < k; p0 += CHUNK) {
        int64_t p1 = p0 + CHUNK < k ? p0 + CHUNK : k;
        int64_t i = 0;
        // Full tiles of 32 outputs x 2 columns: eight independent accumulator chains.
        for (; i + 32 <= m8; i += 32) {
            for (int64_t j = 0; j + 2 <= n; j += 2) {
                float *r0 = acc + j * m + i, *r1 = acc + (j + 1) * m + i;
                __m256 s00 = _mm256_loadu_ps(r0), s01 = _mm256_loadu_ps(r0 + 8);
                __m256 s02 = _mm256_loadu_ps(r0 + 16), s03 = _mm256_loadu_ps(r0 + 24);
                __m256 s10 = _mm256_loadu_ps(r1), s11 = _mm256_loadu_ps(r1 + 8);
                __m256 s12 = _mm256_loadu_ps(r1 + 16), s13 = _mm256_loadu_ps(r1 + 24);
                for (int64_t p = p0; p < p1; p++) {
                    const float *x = a + p * csa + i;
                    __m256 g0 = _mm256_broadcast_ss(b + p * rsb + j * csb);
                    __m256 g1 = _mm256_broadcast_ss(b + p * rsb + (j + 1) * csb);
                    __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
                    __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
                    s00 = _mm256_fmadd_ps(x0, g0, s00); s01 = _mm256_fmadd_ps(x1, g0, s01);
                    s02 = _mm256_fmadd_ps(x2, g0, s02); s03 = _mm256_fmadd_ps(x3, g0, s03);
                    s10 = _mm256_fmadd_ps(x0, g1, s10); s11 = _mm256_fmadd_ps(x1, g1, s11);
                    s12 = _mm256_fmadd_ps(x2, g1, s12); s13 = _mm256_fmadd_ps(x3, g1, s13);
                }
                _mm256_storeu_ps(r0, s00); _mm256_storeu_ps(r0 + 8, s01);
                _mm256_storeu_ps(r0 + 16, s02); _mm256_storeu_ps(r0 + 24, s03);
                _mm256_storeu_ps(r1, s10); _mm256_storeu_ps(r1 + 8, s11);
                _mm256_storeu_ps(r1 + 16, s12); _mm256_storeu_ps(r1 + 24, s13);
            }
            if (n & 1) {
                int64_t j = n - 1;
                for (int64_t ii = i; ii < i + 32; ii += 8) {
                    __m256 s0 = _mm256_loadu_ps(acc + j * m + ii);
                    for (int64_t p = p0; p < p1; p++)
                        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + p * csa + ii), _mm256_broadcast_ss(b + p * rsb + j * csb), s0);
                    _mm256_storeu_ps(acc + j * m + ii, s0);
                }
            }
        }
        for (; i < m8; i += 8) {
            int64_t j = 0;
            for (; j + 2 <= n; j += 2) {
                __m256 s0 = _mm256_loadu_ps(acc + j * m + i), s1 = _mm256_loadu_ps(acc + (j + 1) * m + i);
                for (int64_t p = p0; p < p1; p++) {
                    __m256 x = _mm256_loadu_ps(a + p * csa + i);
                    s0 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(b + p * rsb + j * csb), s0);
                    s1 = _mm256_fmadd_ps(x, _mm256_broadcast_ss(b + p * rsb + (j + 1) * csb), s1);
                }
                _mm256_storeu_ps(acc + j * m + i, s0);
                _mm256_storeu_ps(acc + (j + 1) * m + i, s1);
            }
            for (; j < n; j++) {
                __m256 s0 = _mm256_loadu_ps(acc + j * m + i);
                for (int64_t p = p0; p < p1; p++)
                    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + p * csa + i), _mm256_broadcast_ss(b + p * rsb + j * csb), s0);
                _mm256_storeu_ps(acc + j * m + i, s0);
            }
        }
        if (m8 < m)
            for (int64_t p = p0; p < p1; p++)
                for (int64_t j = 0; j < n; j++) {
                    float s = b[p * rsb + j * csb];
                    for (int64_t i = m8; i < m; i++) acc[j * m + i] += a[p * csa + i] * s;
                }
    }
}
#endif

int descent_sgemm_skinny_case(int64_t m, int64_t n, int64_t k, int64_t rsa, int64_t csa, int64_t rsb, int64_t csb) {
    (void)rsb;
    if (n <= 8 && csa == 1 && m >= 64) return DESCENT_SKINNY_ROWS;
    if (m * n <= 4096 && ((csb == 1 && m < 8 && k >= n) || (rsa == 1 && k >= m))) return DESCENT_SKINNY_SUM;
    return DESCENT_SKINNY_NONE;
}

int descent_sgemm_skinny(int kernel, int64_t m, int64_t n, int64_t k,
                         const float *a, int64_t rsa, int64_t csa,
                         const float *b, int64_t rsb, int64_t csb,
                         float *c, int64_t ldc, int accumulate) {
    int avx2 = kernel != DESCENT_SGEMM_GENERIC && descent_cpu_has_avx2_fma();
    int kind = descent_sgemm_skinny_case(m, n, k, rsa, csa, rsb, csb);
    if (kind == DESCENT_SKINNY_ROWS) {
        float small[2048];
        float *bt = n * k <= 2048 ? small : malloc(sizeof(float) * (size_t)(n * k));
        for (int64_t j = 0; j < n; j++)
            for (int64_t p = 0; p < k; p++) bt[j * k + p] = b[p * rsb + j * csb];
#if DESCENT_X86
        if (avx2) dot_rows_avx2(m, n, k, a, rsa, bt, c, ldc, accumulate); else
#endif
        dot_rows_generic(m, n, k, a, rsa, bt, c, ldc, accumulate);
        if (bt != small) free(bt);
        return 1;
    }
    // A short and wide, B long and row-major (a weight gradient written g^T x): C^T = B^T A^T
    // is the outer-product case below with the operands swapped, whose vector loop runs over
    // B's rows instead of A's few (scalar) ones: 7x faster on [2, 1M] x [1M, 32].
    if (kind == DESCENT_SKINNY_SUM && csb == 1 && m < 8) {
        outer_rows(avx2, n, m, k, b, rsb, a, csa, rsa, c, ldc, accumulate, 1);
        return 1;
    }
    if (kind == DESCENT_SKINNY_SUM) {
        outer_rows(avx2, m, n, k, a, csa, b, rsb, csb, c, ldc, accumulate, 0);
        return 1;
    }
    return 0;
}
