// What the processor offers, for the Swift code that needs instructions or facts Swift cannot
// reach: cpuid (which BLAS kernels fit this CPU, the CPU model for benchmark reports) and the
// CRC-32C instructions (SSE 4.2 `crc32`, ARMv8 `crc32c*`). Only Runtime (kernel choice, CPU model)
// and Format (checksums) import this module.
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

#ifdef __cplusplus
}
#endif
#endif
