// What the processor offers, for the Swift code that needs instructions or facts Swift cannot
// reach: cpuid (which BLAS kernels fit this CPU, the CPU model for benchmark reports), the
// CRC-32C instructions (SSE 4.2 `crc32`, ARMv8 `crc32c*`) and Adam's update on AVX/AVX-512 vectors
// (Swift compiles for baseline x86-64 and cannot choose instruction sets per function). Only
// Runtime (kernel choice, CPU model, Adam) and Format (checksums) import this module.
#ifndef NNKIT_CPU_H
#define NNKIT_CPU_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set features that matter for choosing OpenBLAS kernels. Each is 1 only when cpuid
/// reports it and, for AVX and AVX-512, the operating system saves the wider registers (XCR0),
/// so the instructions can actually run. All 0 on processors other than x86-64.
typedef struct {
    int is_x86;          ///< 1 on x86-64.
    int vendor_amd;      ///< "AuthenticAMD" or "HygonGenuine".
    int vendor_intel;    ///< "GenuineIntel".
    int avx;             ///< AVX with OS support for YMM state.
    int avx2;            ///< AVX2 (with OS YMM support).
    int fma;             ///< FMA3 (with OS YMM support).
    int avx512f;         ///< AVX-512 Foundation (with OS ZMM/opmask support).
    int avx512dq, avx512cd, avx512bw, avx512vl;
    int avx512_bf16;     ///< AVX512_BF16 (Cooper Lake, Sapphire Rapids, Zen 4).
    int sse42;           ///< SSE 4.2 (the crc32 instruction).
    int popcnt;          ///< POPCNT.
    int bmi1, bmi2;      ///< BMI1 (tzcnt, andn), BMI2 (bzhi, shlx).
} nnkit_cpu_features;

/// Reads cpuid and XCR0 (zeros everywhere on other architectures).
nnkit_cpu_features nnkit_cpu_detect(void);

/// Writes the processor's brand string (cpuid leaves 0x80000002-4 on x86-64, trimmed; empty when
/// unavailable) into `out` (NUL-terminated, at most `size - 1` bytes).
void nnkit_cpu_brand(char *out, size_t size);

/// 1 when this process can use the hardware CRC-32C instruction (SSE 4.2 on x86-64, the ARMv8
/// CRC32 extension on AArch64), else 0.
int nnkit_crc32c_hardware_available(void);

/// Continues a CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) over `count` bytes with the
/// hardware instruction. `crc` is the running register value *without* the final inversion
/// (start from 0xFFFFFFFF, xor the result with 0xFFFFFFFF at the end). Call only when
/// `nnkit_crc32c_hardware_available()` returned 1; otherwise returns `crc` unchanged.
uint32_t nnkit_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count);

// MARK: Adam (adam.c)

/// The widest vector width `nnkit_adam_update` can use in this process: 0 none (other
/// architectures, or x86-64 without AVX), 1 AVX (8 floats), 2 AVX-512F (16 floats). From cpuid and
/// XCR0 (`nnkit_cpu_detect`), read once.
int nnkit_adam_available_level(void);

/// One Adam step over `count` elements, with exactly the float32 arithmetic of Runtime's
/// `AdamKernel` (Keras 3 `Adam.update_step`), element by element: `m = m0 + (g - m0) * c1`,
/// `v = v0 + (g * g - v0) * c2`, with AMSGrad `v = max(vhat0, v)` (`v >= vhat0 ? v : vhat0`, so a NaN
/// `v` keeps `vhat0`), then `out = w - (m * alpha) / (sqrt(v) + epsilon)`. Every operation is the
/// correctly rounded IEEE-754 one and none is fused, so each level gives the same bits.
///
/// - `m_out`, `v_out` receive the new moments; `vhat`/`vhat_out` are both NULL without AMSGrad.
/// - Outputs may be the very arrays of the inputs (in place): each element's inputs are loaded
///   before its outputs are stored. Partial overlap is not allowed.
/// - `level`: 1 or 2 (see `nnkit_adam_available_level`; a level above it is lowered to it).
/// - Returns 1 when every `out` value is finite, 0 when one is NaN or ±infinity.
int nnkit_adam_update(int level, size_t count, const float *w, float *out, const float *g,
                      const float *m, float *m_out, const float *v, float *v_out,
                      const float *vhat, float *vhat_out,
                      float c1, float c2, float alpha, float epsilon);

#ifdef __cplusplus
}
#endif
#endif
