#include "nnkit_cpu.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t nnkit_xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

nnkit_cpu_features nnkit_cpu_detect(void) {
    nnkit_cpu_features f;
    memset(&f, 0, sizeof f);
    f.is_x86 = 1;
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return f;
    unsigned maxLeaf = a;
    char vendor[13];
    memcpy(vendor, &b, 4); memcpy(vendor + 4, &d, 4); memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    f.vendor_amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
    f.vendor_intel = strcmp(vendor, "GenuineIntel") == 0;
    if (maxLeaf < 1) return f;
    __cpuid(1, a, b, c, d);
    f.sse42 = (c >> 20) & 1;
    f.popcnt = (c >> 23) & 1;
    int osxsave = (c >> 27) & 1;
    int cpuAVX = (c >> 28) & 1;
    int cpuFMA = (c >> 12) & 1;
    uint64_t xcr0 = osxsave ? nnkit_xgetbv0() : 0;
    int osYMM = (xcr0 & 0x6) == 0x6;            // SSE and AVX state
    int osZMM = osYMM && (xcr0 & 0xE0) == 0xE0; // opmask, ZMM_Hi256, Hi16_ZMM
    f.avx = cpuAVX && osYMM;
    f.fma = cpuFMA && osYMM;
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        unsigned maxSub = a;
        f.avx2 = ((b >> 5) & 1) && osYMM;
        f.bmi1 = (b >> 3) & 1;
        f.bmi2 = (b >> 8) & 1;
        if (osZMM) {
            f.avx512f = (b >> 16) & 1;
            f.avx512dq = (b >> 17) & 1;
            f.avx512cd = (b >> 28) & 1;
            f.avx512bw = (b >> 30) & 1;
            f.avx512vl = (b >> 31) & 1;
            if (maxSub >= 1) {
                __cpuid_count(7, 1, a, b, c, d);
                f.avx512_bf16 = (a >> 5) & 1;
            }
        }
    }
    return f;
}

void nnkit_cpu_brand(char *out, size_t size) {
    if (size == 0) return;
    out[0] = 0;
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return;
    char brand[49];
    unsigned regs[12];
    for (unsigned i = 0; i < 3; i++) {
        __cpuid(0x80000002u + i, regs[4 * i], regs[4 * i + 1], regs[4 * i + 2], regs[4 * i + 3]);
    }
    memcpy(brand, regs, 48);
    brand[48] = 0;
    const char *s = brand;
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') n--;
    if (n > size - 1) n = size - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

#else

nnkit_cpu_features nnkit_cpu_detect(void) {
    nnkit_cpu_features f;
    memset(&f, 0, sizeof f);
    return f;
}

void nnkit_cpu_brand(char *out, size_t size) {
    if (size) out[0] = 0;
}

#endif
