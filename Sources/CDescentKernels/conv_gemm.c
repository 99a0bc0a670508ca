// Convolution products that read im2col's columns straight from the image (implicit GEMM).
//
// Why: a convolution's forward and weight-gradient products multiply by the image's column
// matrix, [C·kvol x out volume], nine times the image for a 3x3 kernel. Writing it out (2.4 MB
// per 64-channel 32x32 image) and reading it back to pack it cost a ninth of a ResNet block's
// step. Here the packing step that every product already has fills its panels from the image
// itself, so the columns never exist beyond one cache-sized block. The packed values and the
// kernel are `descent_sgemm`'s, so the product is bit for bit the explicit one.

#include "CDescentKernels.h"
#include "sgemm_driver.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DESCENT_X86 1
#endif

// The image and its geometry, with each kernel column's valid output columns worked out once
// (the packers ask for them per row of every panel).
typedef struct {
    const float *image;
    int64_t D, H, W, OD, OH, OW, KD, KH, KW, sd, sh, sw, pd, ph, pw, dd, dh, dw;
    int64_t plane;        // D * H * W
    const int64_t *lo;    // per kernel column kw: the first output column inside the input
    const int64_t *hi;    // per kernel column kw: one past the last
} conv_source;

// A row of the column matrix: (channel, kernel depth, height, width), advanced in row order.
typedef struct { int64_t c, kd, kh, kw; } column_row;
// A column of it: an output position (depth, height, width).
typedef struct { int64_t od, oh, ow; } column_position;

static inline column_row row_at(const conv_source *s, int64_t r) {
    column_row x;
    x.kw = r % s->KW; r /= s->KW;
    x.kh = r % s->KH; r /= s->KH;
    x.kd = r % s->KD;
    x.c = r / s->KD;
    return x;
}

static inline void next_row(const conv_source *s, column_row *x) {
    if (++x->kw < s->KW) return;
    x->kw = 0;
    if (++x->kh < s->KH) return;
    x->kh = 0;
    if (++x->kd < s->KD) return;
    x->kd = 0;
    x->c++;
}

static inline column_position position_at(const conv_source *s, int64_t j) {
    column_position x;
    x.ow = j % s->OW; j /= s->OW;
    x.oh = j % s->OH;
    x.od = j / s->OH;
    return x;
}

// `count` consecutive positions of one row of the column matrix, walked one output row at a
// time (the positions of an output row read one line of the image).
typedef struct {
    int64_t od, oh, ow, count;
} segment_walk;

// The next output row's piece of the walk: its first output column `ow`, its length, and the
// image line that row of the column matrix reads there (offset by the kernel column, so output
// column `ow` reads `line[ow * sw]`), or NULL when the line lies in the padding.
static inline int next_segment(const conv_source *s, column_row r, segment_walk *w, const float **line, int64_t *ow,
                               int64_t *len) {
    if (w->count <= 0) return 0;
    *ow = w->ow;
    *len = s->OW - w->ow < w->count ? s->OW - w->ow : w->count;
    int64_t id = w->od * s->sd + r.kd * s->dd - s->pd, ih = w->oh * s->sh + r.kh * s->dh - s->ph;
    *line = id < 0 || id >= s->D || ih < 0 || ih >= s->H
                ? 0
                : s->image + r.c * s->plane + (id * s->H + ih) * s->W + r.kw * s->dw - s->pw;
    w->count -= *len;
    w->ow = 0;
    if (++w->oh == s->OH) { w->oh = 0; w->od++; }
    return 1;
}

// Writes `count` consecutive values of row `r` of the column matrix, from position `at` on, to
// `dst`: what im2col would have written there.
static inline void fill_row(const conv_source *s, column_row r, column_position at, int64_t count, float *dst) {
    int64_t lo = s->lo[r.kw], hi = s->hi[r.kw];
    segment_walk w = {at.od, at.oh, at.ow, count};
    const float *line;
    int64_t ow, len;
    for (; next_segment(s, r, &w, &line, &ow, &len); dst += len) {
        int64_t a = line ? (ow > lo ? ow : lo) : ow + len, b = ow + len < hi ? ow + len : hi;
        if (b < a) b = a;
        int64_t i = ow;
        for (; i < a; i++) dst[i - ow] = 0;
        if (s->sw == 1) {
            for (; i < b; i++) dst[i - ow] = line[i];
        } else {
            for (; i < b; i++) dst[i - ow] = line[i * s->sw];
        }
        for (; i < ow + len; i++) dst[i - ow] = 0;
    }
}

// B = the column matrix: rows p0..<p0+kc (channel and kernel offset), columns j0..<j0+nc
// (output positions), as NR-wide panels.
static void pack_columns_generic(const void *context, int avx2, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                 float *out) {
    (void)avx2;
    const conv_source *s = context;
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        column_position at = position_at(s, j0 + jr);
        column_row r = row_at(s, p0);
        for (int64_t p = 0; p < kc; p++, next_row(s, &r)) {
            float *dst = out + p * NR;
            fill_row(s, r, at, cols, dst);
            for (int64_t q = cols; q < NR; q++) dst[q] = 0;
        }
        out += NR * kc;
    }
}

#if DESCENT_X86
// `fill_row` for a stride-1 row into a buffer with at least 8 floats of slack past `count`:
// eight lanes at a time, masked at the image's edges. A chunk's lanes past its output row are
// written and then overwritten by the next row's values (or land in the slack).
__attribute__((target("avx2,fma")))
static void fill_row_avx2(const conv_source *s, column_row r, column_position at, int64_t count, float *dst) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int64_t lo = s->lo[r.kw], hi = s->hi[r.kw];
    segment_walk w = {at.od, at.oh, at.ow, count};
    const float *line;
    int64_t ow, len;
    for (; next_segment(s, r, &w, &line, &ow, &len); dst += len) {
        for (int64_t i = 0; i < len; i += 8) {
            if (!line) {
                _mm256_storeu_ps(dst + i, _mm256_setzero_ps());
                continue;
            }
            // Output columns ow+i+lane inside lo..<hi read the image; the rest are 0.
            int64_t first = lo - ow - i, last = hi - ow - i;
            if (first <= 0 && last >= 8) {
                _mm256_storeu_ps(dst + i, _mm256_loadu_ps(line + ow + i));
                continue;
            }
            if (first < -1) first = -1;
            if (last > 9) last = 9;
            __m256i m = _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)first - 1)),
                                         _mm256_cmpgt_epi32(_mm256_set1_epi32((int)last), lane));
            _mm256_storeu_ps(dst + i, _mm256_maskload_ps(line + ow + i, m));
        }
    }
}

// One kernel tap (kd, kh, kw) seen from one panel of output positions: where its sixteen input
// values start, relative to their channel, and which lanes lie inside the image (lanes
// outside read nothing: a masked load does not touch them, and gives 0).
typedef struct {
    int32_t mask[NR];
    int64_t offset;
} panel_tap;

__attribute__((target("avx2,fma")))
static void make_taps(const conv_source *s, column_position at, panel_tap *taps) {
    int64_t t = 0;
    for (int64_t kd = 0; kd < s->KD; kd++)
        for (int64_t kh = 0; kh < s->KH; kh++)
            for (int64_t kw = 0; kw < s->KW; kw++, t++) {
                int64_t id = at.od * s->sd + kd * s->dd - s->pd, ih = at.oh * s->sh + kh * s->dh - s->ph;
                int inside = id >= 0 && id < s->D && ih >= 0 && ih < s->H;
                int64_t lo = s->lo[kw] - at.ow, hi = s->hi[kw] - at.ow;
                taps[t].offset = inside ? (id * s->H + ih) * s->W + kw * s->dw - s->pw + at.ow : 0;
                for (int64_t q = 0; q < NR; q++) taps[t].mask[q] = inside && q >= lo && q < hi ? -1 : 0;
            }
}

// The same panels. A panel inside one output row of a stride-1 convolution (every panel of a
// 32-wide image) reads each row as two masked loads, from a table of the kernel's taps made
// once per panel, instead of working out the geometry and looping per value.
__attribute__((target("avx2,fma")))
static void pack_columns_avx2(const void *context, int avx2, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                              float *out) {
    (void)avx2;
    const conv_source *s = context;
    int64_t kvol = s->KD * s->KH * s->KW;
    panel_tap stack_taps[32];
    panel_tap *taps = kvol <= 32 ? stack_taps : malloc(sizeof(panel_tap) * (size_t)kvol);
    if (!taps) abort();
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        column_position at = position_at(s, j0 + jr);
        if (!(cols == NR && s->sw == 1 && at.ow + NR <= s->OW)) {
            // A panel across output rows (widths such as 28 or 10) or a strided one. The
            // vector fill's last chunk may run up to 7 floats past the panel's row, into the
            // next row (filled after it) or the packing buffer's slack.
            column_row r = row_at(s, p0);
            for (int64_t p = 0; p < kc; p++, next_row(s, &r)) {
                float *dst = out + p * NR;
                if (s->sw == 1) {
                    fill_row_avx2(s, r, at, cols, dst);
                } else {
                    fill_row(s, r, at, cols, dst);
                }
                for (int64_t q = cols; q < NR; q++) dst[q] = 0;
            }
            out += NR * kc;
            continue;
        }
        make_taps(s, at, taps);
        int64_t t = p0 % kvol;
        const float *channel = s->image + p0 / kvol * s->plane;
        for (int64_t p = 0; p < kc; p++) {
            const panel_tap *e = taps + t;
            const float *src = channel + e->offset;
            __m256i m0 = _mm256_loadu_si256((const __m256i *)e->mask), m1 = _mm256_loadu_si256((const __m256i *)(e->mask + 8));
            _mm256_storeu_ps(out + p * NR, _mm256_maskload_ps(src, m0));
            _mm256_storeu_ps(out + p * NR + 8, _mm256_maskload_ps(src + 8, m1));
            if (++t == kvol) {
                t = 0;
                channel += s->plane;
            }
        }
        out += NR * kc;
    }
    if (taps != stack_taps) free(taps);
}

#endif

#if DESCENT_X86
// One row of the column matrix (a channel and kernel tap): where its image plane starts, and
// its offsets from an output position to the input position it reads.
typedef struct {
    const float *channel;
    int64_t offd, offh, offw, lo, hi;
} transposed_row;

// The transposed panels when every eight positions lie in one output row of a stride-1
// convolution (widths that are a multiple of 8): each panel's sixteen rows are loaded eight
// positions at a time straight from the image and transposed in registers, with no block in
// between. Per output row, each of the sixteen rows gets its source and its valid columns
// once; the loads are then masked (a row outside the image is all mask, and reads nothing).
__attribute__((target("avx2,fma")))
static void pack_columns_transposed_avx2(const conv_source *s, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                         float *out) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    column_row r = row_at(s, j0);
    transposed_row rows[NR];
    const float *src[NR];
    __m256i below[NR], above[NR];
    for (int64_t jr = 0; jr < nc; jr += NR, out += NR * kc) {
        for (int64_t q = 0; q < NR; q++, next_row(s, &r)) {
            rows[q].channel = s->image + r.c * s->plane;
            rows[q].offd = r.kd * s->dd - s->pd;
            rows[q].offh = r.kh * s->dh - s->ph;
            rows[q].offw = r.kw * s->dw - s->pw;
            rows[q].lo = s->lo[r.kw];
            rows[q].hi = s->hi[r.kw];
        }
        column_position at = position_at(s, p0);
        for (int64_t p = 0; p < kc;) {
            // One output row's share of the block: positions at.ow ..< at.ow + len.
            int64_t len = s->OW - at.ow < kc - p ? s->OW - at.ow : kc - p;
            for (int64_t q = 0; q < NR; q++) {
                const transposed_row *x = rows + q;
                int64_t id = at.od * s->sd + x->offd, ih = at.oh * s->sh + x->offh;
                int inside = id >= 0 && id < s->D && ih >= 0 && ih < s->H;
                // Lane l of the chunk at column ow reads when lo <= ow + l < hi.
                src[q] = inside ? x->channel + (id * s->H + ih) * s->W + x->offw : x->channel;
                below[q] = _mm256_set1_epi32(inside ? (int)x->lo - 1 : (int)s->OW);
                above[q] = _mm256_set1_epi32(inside ? (int)x->hi : 0);
            }
            for (int64_t ow = at.ow; ow < at.ow + len; ow += 8, p += 8) {
                __m256i column = _mm256_add_epi32(lane, _mm256_set1_epi32((int)ow));
                __m256 v[NR];
                for (int64_t q = 0; q < NR; q++) {
                    __m256i m = _mm256_and_si256(_mm256_cmpgt_epi32(column, below[q]), _mm256_cmpgt_epi32(above[q], column));
                    v[q] = _mm256_maskload_ps(src[q] + ow, m);
                }
                descent_store_transposed8_avx2(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], out + p * NR, NR);
                descent_store_transposed8_avx2(v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], out + p * NR + 8, NR);
            }
            at.ow += len;
            if (at.ow == s->OW) {
                at.ow = 0;
                if (++at.oh == s->OH) { at.oh = 0; at.od++; }
            }
        }
    }
}
#endif

// B = the column matrix transposed: rows p0..<p0+kc (output positions), columns j0..<j0+nc
// (channel and kernel offset). Each panel's NR rows of the column matrix are filled into a
// block that stays in L1, then packed as the column-major B it is.
static void pack_columns_transposed(const void *context, int avx2, int64_t p0, int64_t kc, int64_t j0, int64_t nc,
                                    float *out) {
    const conv_source *s = context;
#if DESCENT_X86
    if (avx2 && s->sw == 1 && s->OW % 8 == 0 && p0 % 8 == 0 && kc % 8 == 0 && nc % NR == 0) {
        pack_columns_transposed_avx2(s, p0, kc, j0, nc, out);
        return;
    }
#endif
    // Eight floats of slack for fill_row_avx2's last chunk.
    float block[NR * KC + 8] __attribute__((aligned(64)));
    column_position at = position_at(s, p0);
    column_row r = row_at(s, j0);
    for (int64_t jr = 0; jr < nc; jr += NR, out += NR * kc) {
        int64_t cols = nc - jr < NR ? nc - jr : NR;
        for (int64_t q = 0; q < cols; q++, next_row(s, &r)) {
#if DESCENT_X86
            if (avx2 && s->sw == 1) {
                fill_row_avx2(s, r, at, kc, block + q * kc);
                continue;
            }
#endif
            fill_row(s, r, at, kc, block + q * kc);
        }
        descent_pack_b(avx2, kc, cols, block, 1, kc, out);
    }
}

// Fills `s` for one image; `bounds` holds 2 * KW integers.
static void make_source(conv_source *s, const float *image, const descent_conv_shape *g, int64_t *bounds) {
    s->image = image;
    s->D = g->input[0]; s->H = g->input[1]; s->W = g->input[2];
    s->OD = g->output[0]; s->OH = g->output[1]; s->OW = g->output[2];
    s->KD = g->kernel[0]; s->KH = g->kernel[1]; s->KW = g->kernel[2];
    s->sd = g->stride[0]; s->sh = g->stride[1]; s->sw = g->stride[2];
    s->pd = g->padding[0]; s->ph = g->padding[1]; s->pw = g->padding[2];
    s->dd = g->dilation[0]; s->dh = g->dilation[1]; s->dw = g->dilation[2];
    s->plane = s->D * s->H * s->W;
    for (int64_t kw = 0; kw < s->KW; kw++) {
        // ow * sw + offset lies in 0..<W  <=>  lo <= ow < hi
        int64_t offset = kw * s->dw - s->pw;
        int64_t lo = offset < 0 ? (-offset + s->sw - 1) / s->sw : 0;
        int64_t limit = s->W - offset;
        int64_t hi = limit <= 0 ? 0 : (limit - 1) / s->sw + 1;
        if (hi > s->OW) hi = s->OW;
        if (lo > hi) lo = hi;
        bounds[kw] = lo;
        bounds[s->KW + kw] = hi;
    }
    s->lo = bounds;
    s->hi = bounds + s->KW;
}

static int64_t column_rows(const descent_conv_shape *g) {
    return g->channels * g->kernel[0] * g->kernel[1] * g->kernel[2];
}

static int64_t positions(const descent_conv_shape *g) { return g->output[0] * g->output[1] * g->output[2]; }

// C[m x n] (+)= A * B, B packed from the image by `pack`: both products below.
static void im2col_product(int kernel, int64_t m, int64_t n, int64_t k, const float *a, int64_t rsa, int64_t csa,
                           const float *image, const descent_conv_shape *shape, descent_b_packer pack, float *c,
                           int64_t ldc, int accumulate) {
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * n);
        return;
    }
    // The bounds live on the stack for kernels up to 64 wide, which is every kernel anyone uses.
    int64_t stack_bounds[128];
    int64_t *bounds = shape->kernel[2] <= 64 ? stack_bounds : malloc(sizeof(int64_t) * 2 * shape->kernel[2]);
    if (!bounds) abort();
    conv_source source;
    make_source(&source, image, shape, bounds);
    descent_sgemm_packed_with(kernel == DESCENT_SGEMM_AVX2 && descent_cpu_has_avx2_fma(), m, n, k, a, rsa, csa, pack,
                              &source, c, ldc, accumulate);
    if (bounds != stack_bounds) free(bounds);
}

void descent_sgemm_im2col(int kernel, int64_t m, const float *a, int64_t rsa, int64_t csa, const float *image,
                          const descent_conv_shape *shape, float *c, int64_t ldc, int accumulate) {
    descent_b_packer pack = pack_columns_generic;
#if DESCENT_X86
    if (kernel == DESCENT_SGEMM_AVX2 && descent_cpu_has_avx2_fma()) pack = pack_columns_avx2;
#endif
    im2col_product(kernel, m, positions(shape), column_rows(shape), a, rsa, csa, image, shape, pack, c, ldc, accumulate);
}

void descent_sgemm_im2col_transposed(int kernel, int64_t m, const float *a, int64_t rsa, int64_t csa,
                                     const float *image, const descent_conv_shape *shape, float *c, int64_t ldc,
                                     int accumulate) {
    im2col_product(kernel, m, column_rows(shape), positions(shape), a, rsa, csa, image, shape, pack_columns_transposed,
                   c, ldc, accumulate);
}
