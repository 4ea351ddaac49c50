// Adam's update with AVX and AVX-512F, chosen at run time (nnkit_cpu.h, "Adam"). The arithmetic is written
// once as a macro over the vector operations, then instantiated per instruction set; the tail
// runs the same formula on single floats. No fused multiply-add may be formed: contraction is off.
#include "nnkit_cpu.h"

#include <math.h>
#include <stdatomic.h>

#pragma clang fp contract(off)

/// The scalar formula (tails, and the reference the vector bodies mirror).
static inline float adam_one(size_t i, const float *w, float *out, const float *g, const float *m, float *m_out,
                             const float *v, float *v_out, const float *vhat, float *vhat_out,
                             float c1, float c2, float alpha, float epsilon) {
    float wi = w[i], gi = g[i], m0 = m[i], v0 = v[i];
    float vh0 = vhat ? vhat[i] : 0.0f;
    float mi = m0 + (gi - m0) * c1;
    float vi = v0 + (gi * gi - v0) * c2;
    m_out[i] = mi;
    v_out[i] = vi;
    if (vhat) {
        vi = vi >= vh0 ? vi : vh0;
        vhat_out[i] = vi;
    }
    float o = wi - (mi * alpha) / (__builtin_sqrtf(vi) + epsilon);
    out[i] = o;
    return o;
}

/// The whole update one float at a time (processors without AVX, and level 0).
static int adam_scalar(size_t count, const float *w, float *out, const float *g, const float *m, float *m_out,
                       const float *v, float *v_out, const float *vhat, float *vhat_out,
                       float c1, float c2, float alpha, float epsilon) {
    float tail = 0.0f;
    for (size_t i = 0; i < count; i++) {
        float o = adam_one(i, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);
        tail += o - o;
    }
    return tail == 0.0f;
}

#if defined(__x86_64__)
#include <immintrin.h>

// BODY(prefix, W, vtype): one vector of W floats at index i. `acc` accumulates o - o (0 for every
// finite o; NaN from the first NaN or infinity on).
#define ADAM_LOOP(W, T, LOAD, STORE, SET1, ADD, SUB, MUL, DIV, SQRT, MAXKEEP, ZERO, ALLZERO)            \
    T vc1 = SET1(c1), vc2 = SET1(c2), valpha = SET1(alpha), veps = SET1(epsilon), acc = ZERO();        \
    size_t i = 0;                                                                                      \
    for (; i + (W) <= count; i += (W)) {                                                               \
        T wi = LOAD(w + i), gi = LOAD(g + i), m0 = LOAD(m + i), v0 = LOAD(v + i);                      \
        T vh0 = vhat ? LOAD(vhat + i) : ZERO();                                                        \
        T mi = ADD(m0, MUL(SUB(gi, m0), vc1));                                                         \
        T vi = ADD(v0, MUL(SUB(MUL(gi, gi), v0), vc2));                                                \
        STORE(m_out + i, mi);                                                                          \
        STORE(v_out + i, vi);                                                                          \
        if (vhat) {                                                                                    \
            vi = MAXKEEP(vh0, vi);                                                                     \
            STORE(vhat_out + i, vi);                                                                   \
        }                                                                                              \
        T o = SUB(wi, DIV(MUL(mi, valpha), ADD(SQRT(vi), veps)));                                      \
        STORE(out + i, o);                                                                             \
        acc = ADD(acc, SUB(o, o));                                                                     \
    }                                                                                                  \
    float tail = 0.0f;                                                                                 \
    for (; i < count; i++) {                                                                           \
        float o = adam_one(i, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);  \
        tail += o - o;                                                                                 \
    }                                                                                                  \
    return ALLZERO(acc) && tail == 0.0f;

/// `b >= a ? b : a` per lane (false for a NaN b, which keeps a).
__attribute__((target("avx"))) static inline __m256 max_keep_256(__m256 a, __m256 b) {
    return _mm256_blendv_ps(a, b, _mm256_cmp_ps(b, a, _CMP_GE_OQ));
}
__attribute__((target("avx"))) static inline int all_zero_256(__m256 x) {
    return _mm256_movemask_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NEQ_UQ)) == 0;
}
__attribute__((target("avx"))) static int adam_avx(size_t count, const float *w, float *out, const float *g,
                                                   const float *m, float *m_out, const float *v, float *v_out,
                                                   const float *vhat, float *vhat_out,
                                                   float c1, float c2, float alpha, float epsilon) {
    ADAM_LOOP(8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps,
              _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps, max_keep_256, _mm256_setzero_ps, all_zero_256)
}

__attribute__((target("avx512f"))) static inline __m512 max_keep_512(__m512 a, __m512 b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, a, _CMP_GE_OQ), a, b);
}
__attribute__((target("avx512f"))) static inline int all_zero_512(__m512 x) {
    return _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NEQ_UQ) == 0;
}
__attribute__((target("avx512f"))) static int adam_avx512(size_t count, const float *w, float *out, const float *g,
                                                          const float *m, float *m_out, const float *v, float *v_out,
                                                          const float *vhat, float *vhat_out,
                                                          float c1, float c2, float alpha, float epsilon) {
    ADAM_LOOP(16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps,
              _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps, max_keep_512, _mm512_setzero_ps, all_zero_512)
}

int nnkit_adam_available_level(void) {
    // Threads that race here all compute the same value; the atomic makes the race well defined.
    static _Atomic int level = -1;
    int known = atomic_load_explicit(&level, memory_order_relaxed);
    if (known < 0) {
        nnkit_cpu_features f = nnkit_cpu_detect();
        known = f.avx512f ? 2 : f.avx ? 1 : 0;
        atomic_store_explicit(&level, known, memory_order_relaxed);
    }
    return known;
}

int nnkit_adam_update(int level, size_t count, const float *w, float *out, const float *g,
                      const float *m, float *m_out, const float *v, float *v_out,
                      const float *vhat, float *vhat_out,
                      float c1, float c2, float alpha, float epsilon) {
    int available = nnkit_adam_available_level();
    if (level > available) level = available;
    if (level >= 2) return adam_avx512(count, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);
    if (level == 1) return adam_avx(count, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);
    return adam_scalar(count, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);
}

#else

int nnkit_adam_available_level(void) { return 0; }

int nnkit_adam_update(int level, size_t count, const float *w, float *out, const float *g,
                      const float *m, float *m_out, const float *v, float *v_out,
                      const float *vhat, float *vhat_out,
                      float c1, float c2, float alpha, float epsilon) {
    (void)level;
    return adam_scalar(count, w, out, g, m, m_out, v, v_out, vhat, vhat_out, c1, c2, alpha, epsilon);
}

#endif
