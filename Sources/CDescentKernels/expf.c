// `exp` over float32 arrays, eight values at a time, with the C library's results bit for bit.
//
// Why here: Descent's float exp is glibc's `expf`, one call per element (about 3.5 ns each);
// PyTorch's MKL build runs a vector library. This is glibc's own algorithm (the
// optimized-routines `expf`: x·32/ln2 split into an integer k and a remainder r, 2^(k/32) from
// a 32-entry table, a degree-3 polynomial for 2^(r/32), all in double) in AVX2 lanes. The
// remainder r is computed with a fused multiply-add, as glibc's FMA build computes it: checked
// over every float with |x| < 88, the results equal the `expf` of this machine's glibc exactly.
// Inputs outside that range (overflow, underflow, NaN, infinities) and CPUs without AVX2/FMA
// take `expf` itself.

#include "CDescentKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

static void expf_scalar(int64_t n, const float *x, float *y) {
    for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>

#include <pthread.h>

/// 2^(i/32) as double bits, less i << 47, so that adding k << 47 scales by 2^(k/32).
static uint64_t exp_table[32];
static pthread_once_t exp_table_once = PTHREAD_ONCE_INIT;

static void exp_table_init(void) {
    for (int i = 0; i < 32; i++) {
        double v = exp2(i / 32.0);
        uint64_t bits;
        memcpy(&bits, &v, 8);
        exp_table[i] = bits - ((uint64_t)i << 47);
    }
}

__attribute__((target("avx2,fma")))
static inline __m256d exp_lanes(__m256d xd) {
    const __m256d inv_ln2_n = _mm256_set1_pd(0x1.71547652b82fep+0 * 32);
    const __m256d shift = _mm256_set1_pd(0x1.8p+52);
    const __m256d c0 = _mm256_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32);
    const __m256d c1 = _mm256_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32);
    const __m256d c2 = _mm256_set1_pd(0x1.62e42ff0c52d6p-1 / 32);
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d z = _mm256_mul_pd(inv_ln2_n, xd);
    __m256d kd = _mm256_add_pd(z, shift);
    __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmadd_pd(inv_ln2_n, xd, _mm256_sub_pd(_mm256_setzero_pd(), kd));
    __m256i index = _mm256_and_si256(ki, _mm256_set1_epi64x(31));
    __m256i t = _mm256_i64gather_epi64((const long long *)exp_table, index, 8);
    t = _mm256_add_epi64(t, _mm256_slli_epi64(ki, 47));
    __m256d s = _mm256_castsi256_pd(t);
    __m256d p = _mm256_add_pd(_mm256_mul_pd(c0, r), c1);
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d q = _mm256_add_pd(_mm256_mul_pd(c2, r), one);
    q = _mm256_add_pd(_mm256_mul_pd(p, r2), q);
    return _mm256_mul_pd(q, s);
}

__attribute__((target("avx2,fma")))
static void expf_avx2(int64_t n, const float *x, float *y) {
    const __m256 limit = _mm256_set1_ps(88.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        // |x| < 88 in every lane (false for NaN): the vector path; else expf lane by lane.
        __m256 inside = _mm256_cmp_ps(_mm256_andnot_ps(sign, v), limit, _CMP_LT_OQ);
        if (_mm256_movemask_ps(inside) != 0xFF) {
            expf_scalar(8, x + i, y + i);
            continue;
        }
        __m128 lo = _mm256_cvtpd_ps(exp_lanes(_mm256_cvtps_pd(_mm256_castps256_ps128(v))));
        __m128 hi = _mm256_cvtpd_ps(exp_lanes(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
        _mm256_storeu_ps(y + i, _mm256_set_m128(hi, lo));
    }
    expf_scalar(n - i, x + i, y + i);
}
#endif

void descent_expf(int64_t n, const float *x, float *y) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) {
        pthread_once(&exp_table_once, exp_table_init);
        expf_avx2(n, x, y);
        return;
    }
#endif
    expf_scalar(n, x, y);
}

// MARK: GELU, as ATen's vectorised kernels compute it
//
// PyTorch's AVX2 build runs GELU through `Vectorized<float>::erf`: Abramowitz and Stegun's
// 7.1.26 (`1 - (p1 t + … + p5 t^5) e^(-x²)`, t = 1 / (1 + 0.3275911 |x|)) with fused
// multiply-adds, not the C library's `erff`. The same formula here, with the exponential above,
// gives PyTorch's rounding within an ulp and was most of a transformer block's elementwise
// time as scalar `erff`/`expf` calls.

#if defined(__x86_64__)
// e^x in eight float lanes (Cephes' `expf`: x = n ln2 + r, a degree-5 polynomial, 2^n into the
// exponent), within two ulps, for the GELU kernels: Sleef's `expf8_u10`, which ATen calls there,
// is within one ulp, and the exact double-lane exponential above cost twice as long.
__attribute__((target("avx2,fma")))
static inline __m256 exp8_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(n));
}

__attribute__((target("avx2,fma")))
static inline __m256 erf8_avx2(__m256 values) {
    const __m256 neg_zero = _mm256_set1_ps(-0.f), one = _mm256_set1_ps(1.0f);
    const __m256 p = _mm256_set1_ps(0.3275911f), p1 = _mm256_set1_ps(0.254829592f), p2 = _mm256_set1_ps(-0.284496736f);
    const __m256 p3 = _mm256_set1_ps(1.421413741f), p4 = _mm256_set1_ps(-1.453152027f), p5 = _mm256_set1_ps(1.061405429f);
    __m256 sign_mask = _mm256_and_ps(neg_zero, values);
    __m256 abs_vec = _mm256_xor_ps(sign_mask, values);
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(p, abs_vec, one));
    __m256 r = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(p5, t, p4), t, p3), t, p2), t, p1);
    // Below e^-88 (|x| > 9.4) the product underflows to zero: clamp so the exponential stays in range.
    __m256 neg_pow_2 = _mm256_max_ps(_mm256_xor_ps(neg_zero, _mm256_mul_ps(values, values)), _mm256_set1_ps(-87.0f));
    __m256 e = _mm256_xor_ps(neg_zero, exp8_avx2(neg_pow_2));
    return _mm256_xor_ps(sign_mask, _mm256_fmadd_ps(_mm256_mul_ps(e, t), r, one));
}

__attribute__((target("avx2,fma")))
static void gelu_avx2(int64_t n, const float *x, float *y) {
    const __m256 alpha = _mm256_set1_ps((float)M_SQRT1_2), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, erf8_avx2(_mm256_mul_ps(v, alpha)))));
    }
    if (i < n) {
        // The tail through the same lanes, as ATen's partial vectors.
        float in[8] = {0}, res[8];
        memcpy(in, x + i, (size_t)(n - i) * sizeof(float));
        gelu_avx2(8, in, res);
        memcpy(y + i, res, (size_t)(n - i) * sizeof(float));
    }
}

__attribute__((target("avx2,fma")))
static void gelu_backward_avx2(int64_t n, const float *x, const float *g, float *out) {
    const __m256 alpha = _mm256_set1_ps((float)M_SQRT1_2), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 beta = _mm256_set1_ps((float)(M_2_SQRTPI * M_SQRT1_2 * 0.5)), minus_half = _mm256_set1_ps(-0.5f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 cdf = _mm256_mul_ps(half, _mm256_add_ps(one, erf8_avx2(_mm256_mul_ps(v, alpha))));
        __m256 arg = _mm256_max_ps(_mm256_mul_ps(_mm256_mul_ps(v, v), minus_half), _mm256_set1_ps(-87.0f));
        __m256 pdf = _mm256_mul_ps(beta, exp8_avx2(arg));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), _mm256_add_ps(cdf, _mm256_mul_ps(v, pdf))));
    }
    if (i < n) {
        float in[8] = {0}, gin[8] = {0}, res[8];
        memcpy(in, x + i, (size_t)(n - i) * sizeof(float));
        memcpy(gin, g + i, (size_t)(n - i) * sizeof(float));
        gelu_backward_avx2(8, in, gin, res);
        memcpy(out + i, res, (size_t)(n - i) * sizeof(float));
    }
}
#endif

#if defined(__x86_64__)
// The recurrent cells' activations in place, eight lanes at a time through `exp8_avx2`
// (within two ulps; PyTorch's vectorised sigmoid and tanh go through Sleef's, within one, so
// neither the exact `expf` nor this one is PyTorch's bits): the exact double-lane exponential
// was a tenth of an LSTM step. NaN stays NaN (the clamp inside would make it a number).
__attribute__((target("avx2,fma")))
static inline __m256 sigmoid8_avx2(__m256 v) {
    const __m256 one = _mm256_set1_ps(1.0f), neg_zero = _mm256_set1_ps(-0.f);
    __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, exp8_avx2(_mm256_xor_ps(v, neg_zero))));
    return _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

// tanh as Cephes' `tanhf` computes it: an odd polynomial below |x| = 0.625, where
// 1 - 2 / (e^2|x| + 1) would lose the low bits, and that formula above.
__attribute__((target("avx2,fma")))
static inline __m256 tanh8_avx2(__m256 v) {
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), neg_zero = _mm256_set1_ps(-0.f);
    __m256 sign = _mm256_and_ps(v, neg_zero), a = _mm256_andnot_ps(neg_zero, v);
    __m256 e = exp8_avx2(_mm256_mul_ps(two, a));
    __m256 large = _mm256_xor_ps(sign, _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one))));
    __m256 z = _mm256_mul_ps(v, v);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(-5.70498872745e-3f), z, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), v, v);
    __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

// `x = f(x)` in place, eight at a time; the last few through a padded copy, so each value
// gets the same arithmetic wherever it lies in the buffer.
#define IN_PLACE_AVX2(name, f)                                                                  \
    __attribute__((target("avx2,fma"))) static void name(int64_t n, float *x) {                \
        int64_t i = 0;                                                                          \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, f(_mm256_loadu_ps(x + i)));         \
        if (i < n) {                                                                            \
            float rest[8] = {0};                                                                \
            memcpy(rest, x + i, (size_t)(n - i) * sizeof(float));                               \
            _mm256_storeu_ps(rest, f(_mm256_loadu_ps(rest)));                                   \
            memcpy(x + i, rest, (size_t)(n - i) * sizeof(float));                               \
        }                                                                                       \
    }
IN_PLACE_AVX2(sigmoid_avx2, sigmoid8_avx2)
IN_PLACE_AVX2(tanh_avx2, tanh8_avx2)
#undef IN_PLACE_AVX2
#endif

int descent_sigmoid_f32(int64_t n, float *x) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) {
        sigmoid_avx2(n, x);
        return 1;
    }
#endif
    (void)n; (void)x;
    return 0;
}

int descent_tanh_f32(int64_t n, float *x) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) {
        tanh_avx2(n, x);
        return 1;
    }
#endif
    (void)n; (void)x;
    return 0;
}

void descent_gelu_f32(int64_t n, const float *x, float *y) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) gelu_avx2(n, x, y);
#endif
    (void)n; (void)x; (void)y;
}

void descent_gelu_backward_f32(int64_t n, const float *x, const float *g, float *out) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) gelu_backward_avx2(n, x, g, out);
#endif
    (void)n; (void)x; (void)g; (void)out;
}
