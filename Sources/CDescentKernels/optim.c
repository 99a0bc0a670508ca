// The common Adam step (no weight decay, no AMSGrad) over float32 arrays. In C because
// `restrict` lets the compiler vectorise it; Swift must assume the four arrays may overlap.
// The operations and their order are exactly PyTorch's per-parameter Adam.

#include "CDescentKernels.h"

#include <math.h>

// Every multiply and add rounds on its own, as in PyTorch: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

static void adam_generic(int64_t n, float *restrict p, const float *restrict g, float *restrict m,
                         float *restrict v, float w, float b2, float c2, float bc, float e, float neg_step) {
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + w * (gi - m[i]);
        float vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] + neg_step * (mi / (sqrtf(vi) / bc + e));
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Eight lanes at a time with separate multiplies and adds (no FMA), so each lane rounds
// exactly as the scalar code; sqrt and division are IEEE-exact in both.
__attribute__((target("avx2")))
static void adam_avx2(int64_t n, float *restrict p, const float *restrict g, float *restrict m,
                      float *restrict v, float w, float b2, float c2, float bc, float e, float neg_step) {
    __m256 vw = _mm256_set1_ps(w), vb2 = _mm256_set1_ps(b2), vc2 = _mm256_set1_ps(c2);
    __m256 vbc = _mm256_set1_ps(bc), ve = _mm256_set1_ps(e), vstep = _mm256_set1_ps(neg_step);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(vw, _mm256_sub_ps(gi, mi)));
        vi = _mm256_add_ps(_mm256_mul_ps(vi, vb2), _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), ve);
        __m256 pi = _mm256_add_ps(_mm256_loadu_ps(p + i), _mm256_mul_ps(vstep, _mm256_div_ps(mi, denom)));
        _mm256_storeu_ps(p + i, pi);
    }
    adam_generic(n - i, p + i, g + i, m + i, v + i, w, b2, c2, bc, e, neg_step);
}
#endif

void descent_adam_step_f32(int64_t n, float *p, const float *g, float *m, float *v,
                           float w, float b2, float c2, float bc, float e, float neg_step) {
#if defined(__x86_64__)
    if (descent_cpu_has_avx2_fma()) {
        adam_avx2(n, p, g, m, v, w, b2, c2, bc, e, neg_step);
        return;
    }
#endif
    adam_generic(n, p, g, m, v, w, b2, c2, bc, e, neg_step);
}
