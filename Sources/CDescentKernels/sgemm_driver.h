// What sgemm.c shares with the kernels that feed its driver their own B (conv_gemm.c): the
// blocking, and the driver that takes a packing function. Not part of the module's interface.
#ifndef DESCENT_SGEMM_DRIVER_H
#define DESCENT_SGEMM_DRIVER_H

#include <stdint.h>

enum { MR = 6, NR = 16, KC = 256, MC = 120, NC = 3072 };

/// Writes B's block of rows `p0 ..< p0 + kc` and columns `j0 ..< j0 + nc` as NR-wide panels:
/// for each panel, for each row, NR consecutive values (zero padded past `nc`).
typedef void (*descent_b_packer)(const void *context, int avx2, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                 float *out);

/// C[m x n] (+)= A * B, with B's blocks written by `pack`: `descent_sgemm`'s own loops and
/// kernel, so the same values give the same bits whichever way B arrives.
void descent_sgemm_packed_with(int avx2, int64_t m, int64_t n, int64_t k,
                               const float *a, int64_t rsa, int64_t csa,
                               descent_b_packer pack, const void *context,
                               float *c, int64_t ldc, int accumulate);

/// A B block (kc x nc, any strides) into panels, as the driver packs it: a column-major block
/// (rsb == 1) through 8 x 8 register transposes on AVX2 CPUs.
void descent_pack_b(int avx2, int64_t kc, int64_t nc, const float *b, int64_t rsb, int64_t csb, float *out);

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
// Eight registers of eight floats, transposed, stored as eight rows `stride` floats apart.
__attribute__((target("avx2,fma")))
static inline void descent_store_transposed8_avx2(__m256 r0, __m256 r1, __m256 r2, __m256 r3, __m256 r4, __m256 r5, __m256 r6,
                                          __m256 r7, float *out, int64_t stride) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(out + 0 * stride, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(out + 1 * stride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(out + 2 * stride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(out + 3 * stride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(out + 4 * stride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(out + 5 * stride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(out + 6 * stride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(out + 7 * stride, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

#endif
