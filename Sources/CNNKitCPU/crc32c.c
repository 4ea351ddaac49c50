#include "nnkit_cpu.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <pthread.h>

int nnkit_crc32c_hardware_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c >> 20) & 1;
}

// Three interleaved chains. One chain of 8-byte crc32 instructions is bound by their latency (3
// cycles): about 8 bytes per 3 cycles. The instruction's throughput is one per cycle, so three
// independent chains over three adjacent lanes of `lane_bytes` each run about three times as fast
// (8 bytes per cycle, more than memory delivers); the lanes' CRCs are then joined with the
// identity crc(A‖B) = crc(B from 0) ⊕ shift(crc(A)), where shift(x) is the register after
// `lane_bytes` zero bytes from x, a linear map applied with four 256-entry tables (Intel,
// "Fast CRC Computation for iSCSI Polynomial Using CRC32 Instruction", 2011, uses the same split).
enum { lane_bytes = 8192 };
static uint32_t lane_shift[4][256];
static pthread_once_t lane_shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static void build_lane_shift(void) {
    uint32_t basis[32];
    for (int bit = 0; bit < 32; bit++) {
        uint64_t c = (uint32_t)1 << bit;
        for (int i = 0; i < lane_bytes / 8; i++) c = _mm_crc32_u64(c, 0);
        basis[bit] = (uint32_t)c;
    }
    for (int t = 0; t < 4; t++) {
        for (int b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int bit = 0; bit < 8; bit++) if (b & (1 << bit)) v ^= basis[8 * t + bit];
            lane_shift[t][b] = v;
        }
    }
}

static inline uint32_t shift_lane(uint32_t x) {
    return lane_shift[0][x & 0xFF] ^ lane_shift[1][(x >> 8) & 0xFF] ^ lane_shift[2][(x >> 16) & 0xFF] ^ lane_shift[3][x >> 24];
}

// Compiled for SSE 4.2 only here; the caller checks availability first.
__attribute__((target("sse4.2")))
uint32_t nnkit_crc32c_hardware_update(uint32_t crc, const void *bytes, size_t count) {
    const unsigned char *p = (const unsigned char *)bytes;
    uint64_t c = crc;
    while (count > 0 && ((uintptr_t)p & 7) != 0) { c = _mm_crc32_u8((uint32_t)c, *p++); count--; }
    if (count >= 3 * lane_bytes) {
        pthread_once(&lane_shift_once, build_lane_shift);
        while (count >= 3 * lane_bytes) {
            uint64_t c0 = c, c1 = 0, c2 = 0;
            for (size_t i = 0; i < lane_bytes; i += 8) {
                uint64_t w0, w1, w2;
                memcpy(&w0, p + i, 8); memcpy(&w1, p + lane_bytes + i, 8); memcpy(&w2, p + 2 * lane_bytes + i, 8);
                c0 = _mm_crc32_u64(c0, w0);
                c1 = _mm_crc32_u64(c1, w1);
                c2 = _mm_crc32_u64(c2, w2);
            }
            c = (uint64_t)(shift_lane(shift_lane((uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2);
            p += 3 * lane_bytes;
            count -= 3 * lane_bytes;
        }
    }
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
