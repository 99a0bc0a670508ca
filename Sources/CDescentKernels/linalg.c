// Double-precision matrix products and the factorizations built on them: a packed DGEMM with an
// AVX2/FMA micro-kernel, blocked LU and Cholesky whose trailing updates go through it, and a
// streaming Householder QR for tall least-squares problems.
//
// Why C and not Swift: as for sgemm.c, only C can compile one function for AVX2/FMA without
// unsafeFlags; the loops here that are not matrix products (panel factorizations, triangular
// solves, reflector updates) run along contiguous rows and vectorise when compiled for AVX2,
// at a quarter of the speed without it. Each such loop is written once, `always_inline`, and
// instantiated twice: for AVX2/FMA and for any CPU.

#include "CDescentKernels.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DESCENT_X86 1
#define AVX2 __attribute__((target("avx2,fma")))
#else
#define AVX2
#endif

#define INLINE static inline __attribute__((always_inline))

enum { DMR = 6, DNR = 8, DKC = 256, DMC = 96, DNC = 2048 };

// MARK: packing

// An mc x kc block of A into panels of DMR rows: for each p, DMR consecutive values (zero padded).
INLINE void dpack_a(int64_t mc, int64_t kc, const double *a, int64_t rsa, int64_t csa, double *out) {
    for (int64_t i0 = 0; i0 < mc; i0 += DMR) {
        int64_t rows = mc - i0 < DMR ? mc - i0 : DMR;
        if (csa == 1 && rows == DMR) {
            const double *r0 = a + i0 * rsa;
            for (int64_t p = 0; p < kc; p++)
                for (int64_t r = 0; r < DMR; r++) out[p * DMR + r] = r0[r * rsa + p];
            out += kc * DMR;
            continue;
        }
        for (int64_t p = 0; p < kc; p++) {
            const double *src = a + i0 * rsa + p * csa;
            int64_t r = 0;
            for (; r < rows; r++) out[r] = src[r * rsa];
            for (; r < DMR; r++) out[r] = 0;
            out += DMR;
        }
    }
}

// A kc x nc block of B into panels of DNR columns: for each p, DNR consecutive values.
INLINE void dpack_b(int64_t kc, int64_t nc, const double *b, int64_t rsb, int64_t csb, double *out) {
    for (int64_t j0 = 0; j0 < nc; j0 += DNR) {
        int64_t cols = nc - j0 < DNR ? nc - j0 : DNR;
        if (csb == 1 && cols == DNR) {
            for (int64_t p = 0; p < kc; p++) memcpy(out + p * DNR, b + p * rsb + j0, sizeof(double) * DNR);
            out += kc * DNR;
            continue;
        }
        for (int64_t p = 0; p < kc; p++) {
            const double *src = b + p * rsb + j0 * csb;
            int64_t c = 0;
            for (; c < cols; c++) out[c] = src[c * csb];
            for (; c < DNR; c++) out[c] = 0;
            out += DNR;
        }
    }
}

// MARK: micro-kernels: a DMR x DNR tile of the product of two packed panels

static void dkernel_generic(int64_t kc, const double *pa, const double *pb, double *tile) {
    double acc[DMR][DNR];
    memset(acc, 0, sizeof(acc));
    for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < DMR; i++)
            for (int j = 0; j < DNR; j++) acc[i][j] += pa[i] * pb[j];
        pa += DMR;
        pb += DNR;
    }
    memcpy(tile, acc, sizeof(acc));
}

#if DESCENT_X86
AVX2 static void dkernel_avx2(int64_t kc, const double *pa, const double *pb, double *tile) {
    __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
    __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
    __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
    __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
    __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
    __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
    for (int64_t p = 0; p < kc; p++) {
        __m256d b0 = _mm256_loadu_pd(pb), b1 = _mm256_loadu_pd(pb + 4);
        __m256d x;
        x = _mm256_broadcast_sd(pa + 0); c00 = _mm256_fmadd_pd(x, b0, c00); c01 = _mm256_fmadd_pd(x, b1, c01);
        x = _mm256_broadcast_sd(pa + 1); c10 = _mm256_fmadd_pd(x, b0, c10); c11 = _mm256_fmadd_pd(x, b1, c11);
        x = _mm256_broadcast_sd(pa + 2); c20 = _mm256_fmadd_pd(x, b0, c20); c21 = _mm256_fmadd_pd(x, b1, c21);
        x = _mm256_broadcast_sd(pa + 3); c30 = _mm256_fmadd_pd(x, b0, c30); c31 = _mm256_fmadd_pd(x, b1, c31);
        x = _mm256_broadcast_sd(pa + 4); c40 = _mm256_fmadd_pd(x, b0, c40); c41 = _mm256_fmadd_pd(x, b1, c41);
        x = _mm256_broadcast_sd(pa + 5); c50 = _mm256_fmadd_pd(x, b0, c50); c51 = _mm256_fmadd_pd(x, b1, c51);
        pa += DMR;
        pb += DNR;
    }
    _mm256_storeu_pd(tile + 0 * DNR, c00); _mm256_storeu_pd(tile + 0 * DNR + 4, c01);
    _mm256_storeu_pd(tile + 1 * DNR, c10); _mm256_storeu_pd(tile + 1 * DNR + 4, c11);
    _mm256_storeu_pd(tile + 2 * DNR, c20); _mm256_storeu_pd(tile + 2 * DNR + 4, c21);
    _mm256_storeu_pd(tile + 3 * DNR, c30); _mm256_storeu_pd(tile + 3 * DNR + 4, c31);
    _mm256_storeu_pd(tile + 4 * DNR, c40); _mm256_storeu_pd(tile + 4 * DNR + 4, c41);
    _mm256_storeu_pd(tile + 5 * DNR, c50); _mm256_storeu_pd(tile + 5 * DNR + 4, c51);
}
#endif

// C (tile's rows x cols) = alpha * tile, plus C when `add`.
INLINE void dadd_tile(const double *tile, double *c, int64_t ldc, int64_t rows, int64_t cols, double alpha, int add) {
    for (int64_t i = 0; i < rows; i++) {
        double *ci = c + i * ldc;
        const double *ti = tile + i * DNR;
        if (add)
            for (int64_t j = 0; j < cols; j++) ci[j] += alpha * ti[j];
        else
            for (int64_t j = 0; j < cols; j++) ci[j] = alpha * ti[j];
    }
}

// MARK: DGEMM driver

// Per-thread packing buffers that only grow, as in sgemm.c (freed with the thread there; these
// are small, a fixed 300 KB at most, and kept for the thread's life).
static _Thread_local double *dpack_a_buffer = 0;
static _Thread_local double *dpack_b_buffer = 0;
static _Thread_local size_t dpack_a_count = 0, dpack_b_count = 0;

static double *dbuffer(double **buffer, size_t *capacity, size_t count) {
    if (*capacity < count) {
        free(*buffer);
        *buffer = aligned_alloc(64, (count * sizeof(double) + 63) / 64 * 64);
        *capacity = count;
    }
    return *buffer;
}

INLINE void dgemm_body(int avx2, int64_t m, int64_t n, int64_t k, double alpha,
                       const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb,
                       double *c, int64_t ldc, int accumulate) {
    int64_t mcap = m < DMC ? m : DMC, ncap = n < DNC ? n : DNC, kcap = k < DKC ? k : DKC;
    double *pa = dbuffer(&dpack_a_buffer, &dpack_a_count, (size_t)((mcap + DMR - 1) / DMR * DMR * kcap + 8));
    double *pb = dbuffer(&dpack_b_buffer, &dpack_b_count, (size_t)((ncap + DNR - 1) / DNR * DNR * kcap + 8));
    double tile[DMR * DNR] __attribute__((aligned(64)));
    for (int64_t j0 = 0; j0 < n; j0 += DNC) {
        int64_t nc = n - j0 < DNC ? n - j0 : DNC;
        for (int64_t p0 = 0; p0 < k; p0 += DKC) {
            int64_t kc = k - p0 < DKC ? k - p0 : DKC;
            int add = accumulate || p0 > 0;
            dpack_b(kc, nc, b + p0 * rsb + j0 * csb, rsb, csb, pb);
            for (int64_t i0 = 0; i0 < m; i0 += DMC) {
                int64_t mc = m - i0 < DMC ? m - i0 : DMC;
                dpack_a(mc, kc, a + i0 * rsa + p0 * csa, rsa, csa, pa);
                for (int64_t jr = 0; jr < nc; jr += DNR) {
                    int64_t cols = nc - jr < DNR ? nc - jr : DNR;
                    for (int64_t ir = 0; ir < mc; ir += DMR) {
                        int64_t rows = mc - ir < DMR ? mc - ir : DMR;
#if DESCENT_X86
                        if (avx2) dkernel_avx2(kc, pa + ir * kc, pb + jr * kc, tile);
                        else
#endif
                            dkernel_generic(kc, pa + ir * kc, pb + jr * kc, tile);
                        dadd_tile(tile, c + (i0 + ir) * ldc + j0 + jr, ldc, rows, cols, alpha, add);
                    }
                }
            }
        }
    }
}

#if DESCENT_X86
AVX2 static void dgemm_avx2(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa, int64_t csa,
                            const double *b, int64_t rsb, int64_t csb, double *c, int64_t ldc, int accumulate) {
    dgemm_body(1, m, n, k, alpha, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}
#endif

static void dgemm_generic(int64_t m, int64_t n, int64_t k, double alpha, const double *a, int64_t rsa, int64_t csa,
                          const double *b, int64_t rsb, int64_t csb, double *c, int64_t ldc, int accumulate) {
    dgemm_body(0, m, n, k, alpha, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

void descent_dgemm(int64_t m, int64_t n, int64_t k, double alpha,
                   const double *a, int64_t rsa, int64_t csa,
                   const double *b, int64_t rsb, int64_t csb,
                   double *c, int64_t ldc, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(double) * n);
        return;
    }
#if DESCENT_X86
    if (descent_cpu_has_avx2_fma()) {
        dgemm_avx2(m, n, k, alpha, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
        return;
    }
#endif
    dgemm_generic(m, n, k, alpha, a, rsa, csa, b, rsb, csb, c, ldc, accumulate);
}

// MARK: DGEMM on several threads, for the factorizations' updates

typedef struct {
    int avx2;
    int64_t m, n, k;
    double alpha;
    const double *a, *b;
    int64_t rsa, csa, rsb, csb, ldc;
    double *c;
    int accumulate;
} dgemm_job;

static void dgemm_run(const dgemm_job *j) {
#if DESCENT_X86
    if (j->avx2) {
        dgemm_avx2(j->m, j->n, j->k, j->alpha, j->a, j->rsa, j->csa, j->b, j->rsb, j->csb, j->c, j->ldc, j->accumulate);
        return;
    }
#endif
    dgemm_generic(j->m, j->n, j->k, j->alpha, j->a, j->rsa, j->csa, j->b, j->rsb, j->csb, j->c, j->ldc, j->accumulate);
}

static void *dgemm_worker(void *job) {
    dgemm_run(job);
    // This thread ends here: its packing buffers go with it.
    free(dpack_a_buffer);
    free(dpack_b_buffer);
    dpack_a_buffer = dpack_b_buffer = 0;
    dpack_a_count = dpack_b_count = 0;
    return 0;
}

enum { MAX_THREADS = 16 };

// The product split along its larger output side into `threads` parts, each on its own thread
// (the caller's thread takes the first). Products under a few million multiply-adds stay on
// one thread: starting a thread costs tens of microseconds.
static void dgemm_threads(int threads, int avx2, int64_t m, int64_t n, int64_t k, double alpha,
                          const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb,
                          double *c, int64_t ldc, int accumulate) {
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    dgemm_job whole = {avx2, m, n, k, alpha, a, b, rsa, csa, rsb, csb, ldc, c, accumulate};
    int along_n = n >= m;
    int64_t total = along_n ? n : m, unit = along_n ? DNR : DMR;
    if (threads <= 1 || (double)m * (double)n * (double)k < 4e6 || total < 2 * unit * threads) {
        dgemm_run(&whole);
        return;
    }
    dgemm_job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    int64_t step = (total + threads - 1) / threads;
    step = (step + unit - 1) / unit * unit;
    for (int t = 0; t < threads; t++) {
        int64_t lo = t * step, hi = lo + step < total ? lo + step : total;
        jobs[t] = whole;
        if (lo >= hi) { jobs[t].m = 0; continue; }
        if (along_n) {
            jobs[t].n = hi - lo;
            jobs[t].b = b + lo * csb;
            jobs[t].c = c + lo;
        } else {
            jobs[t].m = hi - lo;
            jobs[t].a = a + lo * rsa;
            jobs[t].c = c + lo * ldc;
        }
    }
    for (int t = 1; t < threads; t++)
        if (jobs[t].m > 0 && jobs[t].n > 0) started[t] = pthread_create(&ids[t], 0, dgemm_worker, &jobs[t]) == 0;
    if (jobs[0].m > 0 && jobs[0].n > 0) dgemm_run(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) pthread_join(ids[t], 0);
        else if (jobs[t].m > 0 && jobs[t].n > 0) dgemm_run(&jobs[t]);   // no thread to be had: run it here
    }
}

// MARK: LU with partial pivoting, blocked

enum { LU_BLOCK = 96 };

// Columns [c0, c0 + w) of a column-major panel (`rows` x nb, leading dimension `rows`), rows
// from c0 down, factored column by column: pivot search, the swap across all nb columns, and
// the rank-one update of the block's own columns. `pivots` and `info` count from the panel.
INLINE void panel_columns(double *work, int64_t rows, int64_t nb, int64_t c0, int64_t w, int64_t *pivots, int64_t *info) {
    for (int64_t c = c0; c < c0 + w; c++) {
        double *col = work + c * rows;
        int64_t p = c;
        double best = fabs(col[c]);
        for (int64_t r = c + 1; r < rows; r++) {
            double v = fabs(col[r]);
            if (v > best) { best = v; p = r; }
        }
        pivots[c] = p;
        if (p != c)
            for (int64_t q = 0; q < nb; q++) {
                double t = work[q * rows + c]; work[q * rows + c] = work[q * rows + p]; work[q * rows + p] = t;
            }
        double d = col[c];
        if (d == 0) {
            if (*info < 0) *info = c;
            continue;
        }
        double inv = 1 / d;
        for (int64_t r = c + 1; r < rows; r++) col[r] *= inv;
        for (int64_t q = c + 1; q < c0 + w; q++) {
            double *other = work + q * rows;
            double u = other[c];
            for (int64_t r = c + 1; r < rows; r++) other[r] -= col[r] * u;
        }
    }
}

// The recursive panel factorization (Toledo's, as LAPACK's dgetrf2): factor the left half,
// solve for the top of the right half with its unit-lower triangle, update the rest of the
// right half by one matrix product, factor that. Column by column, the panel was a quarter of
// a 1024 solve's time; as products it runs at DGEMM's speed.
INLINE void panel_split(int avx2, double *work, int64_t rows, int64_t nb, int64_t c0, int64_t w, int64_t *pivots, int64_t *info,
                        void (*recurse)(double *, int64_t, int64_t, int64_t, int64_t, int64_t *, int64_t *)) {
    if (w <= 8) {
        panel_columns(work, rows, nb, c0, w, pivots, info);
        return;
    }
    int64_t h = w / 2, right = c0 + h;
    recurse(work, rows, nb, c0, h, pivots, info);
    // U12 = L11^-1 A12, column by column of the right half (each an axpy down L's columns).
    for (int64_t q = right; q < c0 + w; q++) {
        double *col = work + q * rows;
        for (int64_t k = c0; k < right; k++) {
            double u = col[k];
            const double *l = work + k * rows;
            for (int64_t i = k + 1; i < right; i++) col[i] -= l[i] * u;
        }
    }
    // A22 -= L21 U12, computed transposed (DGEMM's output is row-major): A22^T -= U12^T L21^T.
    int64_t m = w - h, n = rows - right;
    if (n > 0) {
        const double *u12t = work + right * rows + c0, *l21t = work + c0 * rows + right;
        double *a22t = work + right * rows + right;
#if DESCENT_X86
        if (avx2) dgemm_avx2(m, n, h, -1, u12t, rows, 1, l21t, rows, 1, a22t, rows, 1);
        else
#endif
            dgemm_generic(m, n, h, -1, u12t, rows, 1, l21t, rows, 1, a22t, rows, 1);
    }
    recurse(work, rows, nb, right, w - h, pivots, info);
}

#if DESCENT_X86
AVX2 static void panel_avx2(double *work, int64_t rows, int64_t nb, int64_t c0, int64_t w, int64_t *pivots, int64_t *info) {
    panel_split(1, work, rows, nb, c0, w, pivots, info, panel_avx2);
}
#endif
static void panel_generic(double *work, int64_t rows, int64_t nb, int64_t c0, int64_t w, int64_t *pivots, int64_t *info) {
    panel_split(0, work, rows, nb, c0, w, pivots, info, panel_generic);
}

// Factors the panel a[j0..<n, j0..<j0+nb] (row-major, leading dimension lda) in place, then
// swaps the rest of each pivoted row to match. The panel is factored in a column-major copy
// (`work`, (n - j0) x nb): the pivot search and the updates then run down contiguous columns,
// where in the row-major matrix each step would touch a new cache line. Returns 0, or the
// 1-based column of the first exactly zero pivot.
INLINE int64_t lu_panel(int avx2, int64_t n, int64_t j0, int64_t nb, double *a, int64_t lda, int64_t *pivots, double *work) {
    int64_t rows = n - j0, zero = -1;
    for (int64_t r = 0; r < rows; r++) {
        const double *src = a + (j0 + r) * lda + j0;
        for (int64_t c = 0; c < nb; c++) work[c * rows + r] = src[c];
    }
    int64_t *local = pivots + j0;
#if DESCENT_X86
    if (avx2) panel_avx2(work, rows, nb, 0, nb, local, &zero);
    else
#endif
        panel_generic(work, rows, nb, 0, nb, local, &zero);
    for (int64_t c = 0; c < nb; c++) local[c] += j0;
    for (int64_t r = 0; r < rows; r++) {
        double *dst = a + (j0 + r) * lda + j0;
        for (int64_t c = 0; c < nb; c++) dst[c] = work[c * rows + r];
    }
    // The same swaps, in order, on the columns left and right of the panel.
    for (int64_t c = j0; c < j0 + nb; c++) {
        int64_t p = pivots[c];
        if (p == c) continue;
        double *x = a + c * lda, *y = a + p * lda;
        for (int64_t q = 0; q < j0; q++) { double t = x[q]; x[q] = y[q]; y[q] = t; }
        for (int64_t q = j0 + nb; q < n; q++) { double t = x[q]; x[q] = y[q]; y[q] = t; }
    }
    return zero < 0 ? 0 : j0 + zero + 1;
}

// U12 = L11^-1 A12 for the unit lower-triangular nb x nb block at (j0, j0): row by row, each a
// combination of the rows above it.
INLINE void lu_upper_rows(int64_t n, int64_t j0, int64_t nb, double *a, int64_t lda) {
    int64_t c0 = j0 + nb, len = n - c0;
    for (int64_t r = j0 + 1; r < j0 + nb; r++) {
        double *row = a + r * lda + c0;
        for (int64_t q = j0; q < r; q++) {
            double l = a[r * lda + q];
            const double *above = a + q * lda + c0;
            for (int64_t t = 0; t < len; t++) row[t] -= l * above[t];
        }
    }
}

INLINE int64_t lu_body(int avx2, int threads, int64_t n, double *a, int64_t lda, int64_t *pivots) {
    int64_t info = 0;
    double *work = malloc(sizeof(double) * (size_t)(n * (n < LU_BLOCK ? n : LU_BLOCK) + 1));
    for (int64_t j0 = 0; j0 < n; j0 += LU_BLOCK) {
        int64_t nb = n - j0 < LU_BLOCK ? n - j0 : LU_BLOCK;
        int64_t bad = lu_panel(avx2, n, j0, nb, a, lda, pivots, work);
        if (bad && !info) info = bad;
        int64_t rest = n - j0 - nb;
        if (rest <= 0) continue;
        lu_upper_rows(n, j0, nb, a, lda);
        // A22 -= L21 U12: nearly all of the arithmetic.
        const double *l21 = a + (j0 + nb) * lda + j0, *u12 = a + j0 * lda + j0 + nb;
        double *a22 = a + (j0 + nb) * lda + j0 + nb;
        dgemm_threads(threads, avx2, rest, rest, nb, -1, l21, lda, 1, u12, lda, 1, a22, lda, 1);
    }
    free(work);
    return info;
}

#if DESCENT_X86
AVX2 static int64_t lu_avx2(int threads, int64_t n, double *a, int64_t lda, int64_t *pivots) {
    return lu_body(1, threads, n, a, lda, pivots);
}
#endif
static int64_t lu_generic(int threads, int64_t n, double *a, int64_t lda, int64_t *pivots) {
    return lu_body(0, threads, n, a, lda, pivots);
}

int64_t descent_dgetrf(int64_t n, double *a, int64_t lda, int64_t *pivots, int threads) {
#if DESCENT_X86
    if (descent_cpu_has_avx2_fma()) return lu_avx2(threads, n, a, lda, pivots);
#endif
    return lu_generic(threads, n, a, lda, pivots);
}

// x . y over n entries, in four interleaved partial sums.
INLINE double dot4(const double *x, const double *y, int64_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += x[i] * y[i];
        s1 += x[i + 1] * y[i + 1];
        s2 += x[i + 2] * y[i + 2];
        s3 += x[i + 3] * y[i + 3];
    }
    for (; i < n; i++) s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

// Solves L U x = P b for k right-hand sides (b row-major n x k, overwritten by x).
INLINE void lu_solve_body(int64_t n, const double *lu, int64_t lda, const int64_t *pivots, double *b, int64_t k) {
    for (int64_t i = 0; i < n; i++) {
        if (pivots[i] != i) {
            double *x = b + i * k, *y = b + pivots[i] * k;
            for (int64_t q = 0; q < k; q++) { double t = x[q]; x[q] = y[q]; y[q] = t; }
        }
    }
    if (k == 1) {
        // One right-hand side: each entry is a dot product along a row of the factors, summed
        // in four chains (one chain waits on every add: a 1024 solve spent 3 ms here).
        for (int64_t i = 1; i < n; i++) b[i] -= dot4(lu + i * lda, b, i);
        for (int64_t i = n - 1; i >= 0; i--) b[i] = (b[i] - dot4(lu + i * lda + i + 1, b + i + 1, n - i - 1)) / lu[i * lda + i];
        return;
    }
    for (int64_t i = 1; i < n; i++) {
        double *row = b + i * k;
        for (int64_t j = 0; j < i; j++) {
            double l = lu[i * lda + j];
            const double *xj = b + j * k;
            for (int64_t q = 0; q < k; q++) row[q] -= l * xj[q];
        }
    }
    for (int64_t i = n - 1; i >= 0; i--) {
        double *row = b + i * k;
        for (int64_t j = i + 1; j < n; j++) {
            double u = lu[i * lda + j];
            const double *xj = b + j * k;
            for (int64_t q = 0; q < k; q++) row[q] -= u * xj[q];
        }
        double inv = 1 / lu[i * lda + i];
        for (int64_t q = 0; q < k; q++) row[q] *= inv;
    }
}

#if DESCENT_X86
AVX2 static void lu_solve_avx2(int64_t n, const double *lu, int64_t lda, const int64_t *p, double *b, int64_t k) {
    lu_solve_body(n, lu, lda, p, b, k);
}
#endif
static void lu_solve_generic(int64_t n, const double *lu, int64_t lda, const int64_t *p, double *b, int64_t k) {
    lu_solve_body(n, lu, lda, p, b, k);
}

void descent_dgetrs(int64_t n, const double *lu, int64_t lda, const int64_t *pivots, double *b, int64_t k) {
#if DESCENT_X86
    if (descent_cpu_has_avx2_fma()) { lu_solve_avx2(n, lu, lda, pivots, b, k); return; }
#endif
    lu_solve_generic(n, lu, lda, pivots, b, k);
}

// MARK: Cholesky, blocked (left-looking by block columns)

enum { CHOL_BLOCK = 64 };

INLINE int64_t chol_body(int avx2, int threads, int64_t n, double *a, int64_t lda) {
    for (int64_t j0 = 0; j0 < n; j0 += CHOL_BLOCK) {
        int64_t nb = n - j0 < CHOL_BLOCK ? n - j0 : CHOL_BLOCK;
        // A[j0:, j0:j0+nb] -= L[j0:, :j0] L[j0:j0+nb, :j0]^T, the block column's share of all
        // the columns already factored.
        if (j0 > 0) {
            const double *left = a + j0 * lda, *top = a + j0 * lda;
            dgemm_threads(threads, avx2, n - j0, nb, j0, -1, left, lda, 1, top, 1, lda, a + j0 * lda + j0, lda, 1);
        }
        // The diagonal block, unblocked (a sixth of nb^3, next to nothing).
        for (int64_t c = j0; c < j0 + nb; c++) {
            double *rowc = a + c * lda;
            double d = rowc[c];
            for (int64_t q = j0; q < c; q++) d -= rowc[q] * rowc[q];
            if (!(d > 0)) return c + 1;
            rowc[c] = sqrt(d);
            for (int64_t r = c + 1; r < j0 + nb; r++) {
                double *rowr = a + r * lda;
                double sum = rowr[c];
                for (int64_t q = j0; q < c; q++) sum -= rowr[q] * rowc[q];
                rowr[c] = sum / rowc[c];
            }
        }
        // Rows below: x L^T = a for each, by columns of L^T held as contiguous rows (so the
        // update is an axpy along the row, which vectorises, where a dot product would not).
        double lt[CHOL_BLOCK * CHOL_BLOCK];
        for (int64_t q = 0; q < nb; q++)
            for (int64_t c = 0; c < nb; c++) lt[q * nb + c] = c >= q ? a[(j0 + c) * lda + j0 + q] : 0;
        for (int64_t r = j0 + nb; r < n; r++) {
            double *row = a + r * lda + j0;
            for (int64_t q = 0; q < nb; q++) {
                double x = row[q] / lt[q * nb + q];
                row[q] = x;
                const double *lq = lt + q * nb;
                for (int64_t c = q + 1; c < nb; c++) row[c] -= x * lq[c];
            }
        }
    }
    // The strict upper triangle is not part of the factor.
    for (int64_t r = 0; r < n; r++)
        for (int64_t c = r + 1; c < n; c++) a[r * lda + c] = 0;
    return 0;
}

#if DESCENT_X86
AVX2 static int64_t chol_avx2(int threads, int64_t n, double *a, int64_t lda) { return chol_body(1, threads, n, a, lda); }
#endif
static int64_t chol_generic(int threads, int64_t n, double *a, int64_t lda) { return chol_body(0, threads, n, a, lda); }

int64_t descent_dpotrf_lower(int64_t n, double *a, int64_t lda, int threads) {
#if DESCENT_X86
    if (descent_cpu_has_avx2_fma()) return chol_avx2(threads, n, a, lda);
#endif
    return chol_generic(threads, n, a, lda);
}

// MARK: streaming QR

// Householder reflections fold `rows` rows of `block` (row-major, w columns, overwritten) into
// the w x w upper-triangular r (row-major): afterwards r is the triangular factor of r stacked
// on the block. Each reflector is LAPACK's dlarfg choice (beta = -sign(alpha) norm), and its
// update runs along contiguous rows: s = r[j, j+1:] + v^T B[:, j+1:], then the rank-one
// correction of r's row and of every block row.
INLINE void qr_absorb_body(double *r, int64_t w, double *block, int64_t rows, double *s) {
    for (int64_t j = 0; j < w; j++) {
        double sigma = 0;
        for (int64_t i = 0; i < rows; i++) sigma += block[i * w + j] * block[i * w + j];
        if (sigma == 0) continue;
        double alpha = r[j * w + j];
        double norm = sqrt(alpha * alpha + sigma);
        double beta = alpha > 0 ? -norm : norm;
        double tau = (beta - alpha) / beta, scale = 1 / (alpha - beta);
        for (int64_t i = 0; i < rows; i++) block[i * w + j] *= scale;
        r[j * w + j] = beta;
        int64_t c0 = j + 1, len = w - c0;
        if (len == 0) continue;
        memcpy(s, r + j * w + c0, sizeof(double) * len);
        for (int64_t i = 0; i < rows; i++) {
            double v = block[i * w + j];
            const double *row = block + i * w + c0;
            for (int64_t q = 0; q < len; q++) s[q] += v * row[q];
        }
        double *rj = r + j * w + c0;
        for (int64_t q = 0; q < len; q++) {
            s[q] *= tau;
            rj[q] -= s[q];
        }
        for (int64_t i = 0; i < rows; i++) {
            double v = block[i * w + j];
            double *row = block + i * w + c0;
            for (int64_t q = 0; q < len; q++) row[q] -= v * s[q];
        }
    }
}

#if DESCENT_X86
AVX2 static void qr_absorb_avx2(double *r, int64_t w, double *block, int64_t rows, double *s) {
    qr_absorb_body(r, w, block, rows, s);
}
#endif
static void qr_absorb_generic(double *r, int64_t w, double *block, int64_t rows, double *s) {
    qr_absorb_body(r, w, block, rows, s);
}

void descent_qr_absorb(double *r, int64_t w, double *block, int64_t rows) {
    double small[64];
    double *s = w <= 64 ? small : malloc(sizeof(double) * (size_t)w);
#if DESCENT_X86
    if (descent_cpu_has_avx2_fma()) qr_absorb_avx2(r, w, block, rows, s);
    else
#endif
        qr_absorb_generic(r, w, block, rows, s);
    if (s != small) free(s);
}
