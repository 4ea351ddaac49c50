#include "nnkit_cpu.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>

int nnkit_crc32c_hardware_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c >> 20) & 1;
}

// Compiled for SSE 4.2 only here; the caller checks availability first.
__attribute__((target("sse4.2")))
uint32_t nnkit_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = crc;
    // One dependent chain of 8-byte crc32 instructions (latency 3 cycles): about 8 bytes per 3
    // cycles, ~8 GB/s at 3 GHz, faster than the page cache delivers a file read once.
    while (count > 0 && ((uintptr_t)p & 7) != 0) { c = _mm_crc32_u8((uint32_t)c, *p++); count--; }
    while (count >= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p, 8); memcpy(&w1, p + 8, 8); memcpy(&w2, p + 16, 8); memcpy(&w3, p + 24, 8);
        c = _mm_crc32_u64(c, w0);
        c = _mm_crc32_u64(c, w1);
        c = _mm_crc32_u64(c, w2);
        c = _mm_crc32_u64(c, w3);
        p += 32; count -= 32;
    }
    while (count >= 8) { uint64_t w; memcpy(&w, p, 8); c = _mm_crc32_u64(c, w); p += 8; count -= 8; }
    while (count > 0) { c = _mm_crc32_u8((uint32_t)c, *p++); count--; }
    return (uint32_t)c;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>
#include <arm_acle.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif

int nnkit_crc32c_hardware_available(void) {
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}

__attribute__((target("+crc")))
uint32_t nnkit_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    while (count > 0 && ((uintptr_t)p & 7) != 0) { crc = __crc32cb(crc, *p++); count--; }
    while (count >= 8) { uint64_t w; memcpy(&w, p, 8); crc = __crc32cd(crc, w); p += 8; count -= 8; }
    while (count > 0) { crc = __crc32cb(crc, *p++); count--; }
    return crc;
}

#else

int nnkit_crc32c_hardware_available(void) { return 0; }

uint32_t nnkit_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    (void)bytes; (void)count;
    return crc;
}

#endif
