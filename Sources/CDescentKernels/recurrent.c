// The elementwise halves of an LSTM step over float32 rows. In C because `restrict` and AVX2
// let them run eight lanes at a time: the same loops in Swift ran one lane at a time with an
// overflow check per index, 8% of an lstm_step (its backward loop alone).

#include "CDescentKernels.h"

// Every multiply and add rounds on its own, as in the scalar expressions (and the float64
// path): no fused multiply-adds, so the AVX2 lanes and the scalar tails give the same bits.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

static void cell_generic(int64_t n, const float *restrict i, const float *restrict f, const float *restrict g,
                         const float *restrict cp, float *restrict c, float *restrict th) {
    for (int64_t j = 0; j < n; j++) {
        float v = f[j] * cp[j] + i[j] * g[j];
        c[j] = v;
        th[j] = v;
    }
}

static void output_generic(int64_t n, const float *restrict o, const float *restrict th, float *restrict r) {
    for (int64_t j = 0; j < n; j++) r[j] = o[j] * th[j];
}

static void backward_generic(int64_t n, int64_t h, const float *restrict gate, const float *restrict th,
                             const float *restrict cp, const float *restrict d, float *restrict c, float *restrict a) {
    for (int64_t j = 0; j < n; j++) {
        float i = gate[j], f = gate[h + j], gg = gate[2 * h + j], o = gate[3 * h + j];
        float tc = th[j];
        float dc = c[j] + d[j] * o * (1 - tc * tc);
        a[j] = dc * gg * i * (1 - i);
        a[h + j] = dc * cp[j] * f * (1 - f);
        a[2 * h + j] = dc * i * (1 - gg * gg);
        a[3 * h + j] = d[j] * tc * o * (1 - o);
        c[j] = dc * f;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Separate multiplies and adds in the scalar code's order, lane by lane.
__attribute__((target("avx2")))
static void cell_avx2(int64_t n, const float *restrict i, const float *restrict f, const float *restrict g,
                      const float *restrict cp, float *restrict c, float *restrict th) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(f + j), _mm256_loadu_ps(cp + j)),
                                 _mm256_mul_ps(_mm256_loadu_ps(i + j), _mm256_loadu_ps(g + j)));
        _mm256_storeu_ps(c + j, v);
        _mm256_storeu_ps(th + j, v);
    }
    cell_generic(n - j, i + j, f + j, g + j, cp + j, c + j, th + j);
}

__attribute__((target("avx2")))
static void output_avx2(int64_t n, const float *restrict o, const float *restrict th, float *restrict r) {
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(r + j, _mm256_mul_ps(_mm256_loadu_ps(o + j), _mm256_loadu_ps(th + j)));
    output_generic(n - j, o + j, th + j, r + j);
}

__attribute__((target("avx2")))
static void backward_avx2(int64_t n, int64_t h, const float *restrict gate, const float *restrict th,
                          const float *restrict cp, const float *restrict d, float *restrict c, float *restrict a) {
    const __m256 one = _mm256_set1_ps(1);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 i = _mm256_loadu_ps(gate + j), f = _mm256_loadu_ps(gate + h + j);
        __m256 gg = _mm256_loadu_ps(gate + 2 * h + j), o = _mm256_loadu_ps(gate + 3 * h + j);
        __m256 tc = _mm256_loadu_ps(th + j), dj = _mm256_loadu_ps(d + j);
        __m256 dc = _mm256_add_ps(_mm256_loadu_ps(c + j),
                                  _mm256_mul_ps(_mm256_mul_ps(dj, o), _mm256_sub_ps(one, _mm256_mul_ps(tc, tc))));
        _mm256_storeu_ps(a + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dc, gg), i), _mm256_sub_ps(one, i)));
        _mm256_storeu_ps(a + h + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dc, _mm256_loadu_ps(cp + j)), f),
                                                  _mm256_sub_ps(one, f)));
        _mm256_storeu_ps(a + 2 * h + j, _mm256_mul_ps(_mm256_mul_ps(dc, i), _mm256_sub_ps(one, _mm256_mul_ps(gg, gg))));
        _mm256_storeu_ps(a + 3 * h + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(dj, tc), o), _mm256_sub_ps(one, o)));
        _mm256_storeu_ps(c + j, _mm256_mul_ps(dc, f));
    }
    backward_generic(n - j, h, gate + j, th + j, cp + j, d + j, c + j, a + j);
}
#endif

void descent_lstm_cell_f32(int64_t batch, int64_t hidden, const float *gates, const float *cp, float *c, float *th) {
    for (int64_t b = 0; b < batch; b++) {
        const float *row = gates + b * 4 * hidden;
        int64_t at = b * hidden;
#if defined(__x86_64__)
        if (descent_cpu_has_avx2_fma()) {
            cell_avx2(hidden, row, row + hidden, row + 2 * hidden, cp + at, c + at, th + at);
            continue;
        }
#endif
        cell_generic(hidden, row, row + hidden, row + 2 * hidden, cp + at, c + at, th + at);
    }
}

void descent_lstm_output_f32(int64_t batch, int64_t hidden, const float *gates, const float *th, float *r) {
    for (int64_t b = 0; b < batch; b++) {
        const float *o = gates + b * 4 * hidden + 3 * hidden;
        int64_t at = b * hidden;
#if defined(__x86_64__)
        if (descent_cpu_has_avx2_fma()) {
            output_avx2(hidden, o, th + at, r + at);
            continue;
        }
#endif
        output_generic(hidden, o, th + at, r + at);
    }
}

void descent_lstm_cell_backward_f32(int64_t batch, int64_t hidden, const float *gates, const float *th, const float *cp,
                                    const float *d, float *c, float *a) {
    for (int64_t b = 0; b < batch; b++) {
        int64_t row = b * 4 * hidden, at = b * hidden;
#if defined(__x86_64__)
        if (descent_cpu_has_avx2_fma()) {
            backward_avx2(hidden, hidden, gates + row, th + at, cp + at, d + at, c + at, a + row);
            continue;
        }
#endif
        backward_generic(hidden, hidden, gates + row, th + at, cp + at, d + at, c + at, a + row);
    }
}
