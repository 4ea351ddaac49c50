#include "nnkit_fast_float.h"
#include <fast_float/fast_float.h>
#include <cmath>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include "nnkit_cpu.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Every float operation here is a single correctly rounded one (a product, a quotient, a
// conversion): no contraction into fused multiply-adds in the AVX2 and AVX-512 builds, whose
// targets allow them, so that all builds give the same bits.
#pragma clang fp contract(off)

extern "C" size_t nnkit_parse_float32(const uint8_t *first, size_t count, float *value) {
    const char *begin = reinterpret_cast<const char *>(first);
    float parsed;
    fast_float::from_chars_result r = fast_float::from_chars(begin, begin + count, parsed);
    if (r.ec != std::errc()) return 0;
    *value = parsed;
    return static_cast<size_t>(r.ptr - begin);
}

namespace {

/// Exact powers of ten as doubles (10^22 is the largest a double holds exactly).
const double kPowersOfTen[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/// 10^-k rounded to the nearest double (k = 0-22), each within half an ulp of the exact value.
const double kInversePowersOfTen[23] = {1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11,
                                        1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22};

/// w / 10^k rounded to float32 (w <= 2^53, k = 0-22), the value Clinger's fast path gives (the
/// correctly rounded double quotient, then rounded to float32), without a division in nearly every
/// case: false when that double is exactly halfway between two float32s (the caller then asks
/// fast_float).
///
/// Why the product is enough: the double p = w · fl(10^-k) differs from the exact w / 10^k by
/// less than 2 of its ulps (two roundings of at most half an ulp, relative 2^-53 each), so when
/// p's 29 low mantissa bits (those float32 drops; a float32 midpoint has exactly 1000...0 there)
/// lie more than 3 ulps from a midpoint, the exact quotient, and with it the correctly rounded
/// double quotient, lies on p's side of every midpoint, and all three round to the same float32.
/// (The bound is in fact 1.5 ulps; 3 leaves a margin.) Within 3 ulps of a midpoint (about 1 in
/// 10^8 values) the correctly rounded quotient is computed with a division and checked as before.
/// A division has ~13 cycles of latency and one divider per core: the product made the SSE2 and
/// AVX2 loops 10-20% faster on T2's file (AMD EPYC, noisy: load ~4.5).
inline bool scaled_down(uint64_t w, unsigned k, float *value) {
    const double d = static_cast<double>(w);
    const double p = d * kInversePowersOfTen[k];
    uint64_t bits;
    std::memcpy(&bits, &p, sizeof bits);
    if (((bits & 0x1FFFFFFFu) - (0x10000000u - 3)) > 6) {
        *value = static_cast<float>(p);
        return true;
    }
    const double q = d / kPowersOfTen[k];
    std::memcpy(&bits, &q, sizeof bits);
    if ((bits & 0x1FFFFFFFu) == 0x10000000u) return false;
    *value = static_cast<float>(q);
    return true;
}

/// Parses the number at `first` (its first byte is `-`, a digit or `.`) as fast_float does and
/// returns the end of its text, or nullptr when fast_float finds no number or the value is not
/// finite as float32.
///
/// Most CSV numbers have at most 15 significant digits and a small exponent: then w · 10^q, with
/// w < 2^53 and |q| <= 22, is computed as one correctly rounded double operation (Clinger's fast
/// path: both operands are exact doubles), and that double rounds to the right float32 unless it
/// is exactly halfway between two float32s (double rounding could then go the wrong way: every
/// float32 midpoint is a double, so a double that is not one lies on the same side of every
/// midpoint as the exact value). Those halfway doubles, longer mantissas and larger exponents go
/// to fast_float (Eisel-Lemire with its exact fallback). The value range here (at least 1e-22
/// when not 0, below 2^53 · 1e22 < FLT_MAX) holds no float32 subnormal or overflow.
inline const char *parse_number(const char *first, const char *end, float *value) {
    const char *p = first;
    const bool negative = *p == '-';
    if (negative) p++;
    uint64_t w = 0;
    const char *digits_start = p;
    while (p < end && static_cast<unsigned char>(*p - '0') < 10) {
        w = w * 10 + static_cast<uint64_t>(*p - '0');
        p++;
    }
    ptrdiff_t digits = p - digits_start;
    ptrdiff_t fraction = 0;
    if (p < end && *p == '.') {
        p++;
        const char *fraction_start = p;
        while (p < end && static_cast<unsigned char>(*p - '0') < 10) {
            w = w * 10 + static_cast<uint64_t>(*p - '0');
            p++;
        }
        fraction = p - fraction_start;
        digits += fraction;
    }
    if (digits == 0) return nullptr;
    int64_t exponent = 0;
    if (p < end && (*p | 0x20) == 'e') {
        const char *e = p + 1;
        bool negative_exponent = false;
        if (e < end && (*e == '-' || *e == '+')) {
            negative_exponent = *e == '-';
            e++;
        }
        if (e < end && static_cast<unsigned char>(*e - '0') < 10) {
            while (e < end && static_cast<unsigned char>(*e - '0') < 10) {
                if (exponent < 100000) exponent = exponent * 10 + (*e - '0');
                e++;
            }
            if (negative_exponent) exponent = -exponent;
            p = e;
        }  // else: no exponent ('1e' is the number 1 followed by 'e', as fast_float reads it)
    }
    const int64_t q = exponent - fraction;
    if (digits <= 19 && w <= (uint64_t(1) << 53) && q >= -22 && q <= 22) {
        if (q < 0) {
            float f;
            if (scaled_down(w, static_cast<unsigned>(-q), &f)) {
                *value = negative ? -f : f;
                return p;
            }
        } else {
            const double d = static_cast<double>(w) * kPowersOfTen[q];
            uint64_t bits;
            std::memcpy(&bits, &d, sizeof bits);
            // The 29 mantissa bits a float32 drops are exactly 1000...0: halfway between two floats.
            if ((bits & 0x1FFFFFFFu) != 0x10000000u) {
                const float f = static_cast<float>(d);
                *value = negative ? -f : f;
                return p;
            }
        }
    }
    float v;
    fast_float::from_chars_result r = fast_float::from_chars(first, end, v);
    if (r.ec != std::errc() || !std::isfinite(v)) return nullptr;
    *value = v;
    return r.ptr;
}


#if defined(__SSE2__)
/// 10^n for the digit counts a short number can have.
const uint64_t kIntegerPowersOfTen[17] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                          100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
                                          10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull};

/// Eight digits held as byte values 0-9, the first (most significant) in the lowest byte (as they
/// lie in memory on x86): their value, with three multiplies (fast_float's parse_eight_digits_unrolled).
inline uint64_t eight_digits(uint64_t v) {
    const uint64_t mask = 0x000000FF000000FFull;
    const uint64_t mul1 = 0x000F424000000064ull;  // 100 + (1000000 << 32)
    const uint64_t mul2 = 0x0000271000000001ull;  // 1 + (10000 << 32)
    v = v * 10 + (v >> 8);
    return ((((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32) & 0xFFFFFFFFull;
}

/// The value of the `n` (0-16) decimal digits at `p` (16 bytes from `p` are readable). Shifting
/// the first n digit bytes to the top of a word puts zeros, leading zero digits, below them.
inline uint64_t digits_value(const char *p, unsigned n) {
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    a -= 0x3030303030303030ull;
    b -= 0x3030303030303030ull;
    if (n <= 8) return n == 0 ? 0 : eight_digits(a << (64 - 8 * n));
    return eight_digits(a) * kIntegerPowersOfTen[n - 8] + eight_digits(b << (128 - 8 * n));
}

/// A short plain number at `q`: an optional `-`, digits with at most one `.`, at least one digit
/// and at most 16, no exponent, the whole at most 15 bytes and followed by `delim`, CR or LF. 32
/// bytes from `q` must be readable. Stores its value and returns the end of its text; nullptr for
/// any other field, and for a value Clinger's fast path below cannot give (w > 2^53, or a double
/// halfway between two float32s): then `parse_number` reads the field, so whatever this accepts
/// is exactly what `parse_number` gives (the same w, q, double and float).
///
/// Where the field ends, where its point is and whether its bytes are digits come from 16-byte
/// comparisons (SSE2) rather than a byte-by-byte scan with a branch per byte, so the next field's
/// start is known after a few instructions and the work on consecutive numbers overlaps: 9.0
/// against 10.7 ns per field for T2's file (20,000 rows of 794 numbers like 0.134564; AMD EPYC,
/// best of 8, load ~4.7).
inline const char *short_number(const char *q, char delim, float *value) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(q));
    const unsigned ends = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(delim)), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n'))),
        _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r')))));
    if (ends == 0) return nullptr;
    const unsigned length = static_cast<unsigned>(__builtin_ctz(ends));  // 0-15
    const __m128i shifted = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
    // A digit: the byte minus '0' is at most 9 as an unsigned byte.
    const unsigned digit = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(9)), shifted)));
    const unsigned point = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'))));
    const bool negative = *q == '-';
    const unsigned start = negative ? 1 : 0;
    const unsigned field = ((1u << length) - 1) & ~((1u << start) - 1);  // the bytes after the sign
    const unsigned point_here = point & field;
    if (((digit | point_here) & field) != field || (point_here & (point_here - 1)) != 0 || (digit & field) == 0) return nullptr;
    const unsigned at = point_here ? static_cast<unsigned>(__builtin_ctz(point_here)) : length;
    const unsigned integer_digits = at - start;
    const unsigned fraction_digits = point_here ? length - at - 1 : 0;
    if (integer_digits + fraction_digits > 16) return nullptr;
    const uint64_t w = digits_value(q + start, integer_digits) * kIntegerPowersOfTen[fraction_digits]
                       + digits_value(q + at + 1, fraction_digits);
    if (w > (uint64_t(1) << 53)) return nullptr;
    float f;
    if (!scaled_down(w, fraction_digits, &f)) return nullptr;  // halfway: parse_number hands it to fast_float
    *value = negative ? -f : f;
    return q + length;
}
#endif


/// No short-number parser: every field goes through `parse_number` (the reference the others are
/// tested against, and the path for processors other than x86-64).
struct NoShort {
    static constexpr ptrdiff_t readable = 0;
    const char *parse(const char *, char, float *) { return nullptr; }
};

#if defined(__SSE2__)
/// `short_number` above: 16-byte SSE2 comparisons and digits by eight in a word (every x86-64).
struct Sse2Short {
    static constexpr ptrdiff_t readable = 32;
    const char *parse(const char *q, char delim, float *value) { return short_number(q, delim, value); }
};
#endif

namespace baseline {
#include "plain_records.h"
}  // namespace baseline

#if defined(__x86_64__)
/// 0, 1, ..., 15: the byte lanes of a 16-byte vector.
#define NNKIT_LANES _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

// AVX2 (with BMI1/2 and POPCNT, all present wherever AVX2 is; Haswell, Zen and later): the field's
// digits, without its point, are moved to the top lanes of one vector by one byte shuffle and
// combined 2, 4, 8 at a time by multiply-adds (`pmaddubsw`, `pmaddwd`): a dozen instructions
// without a branch on the digit count where SSE2 needs two words of eight digits, shifts and
// three multiplies each.
#pragma clang attribute push(__attribute__((target("avx2,bmi,bmi2,popcnt"))), apply_to = function)
namespace avx2 {

/// The value of the field's `n` (1-15) digits: `shifted` holds its bytes minus '0' from lane 0,
/// its point (if any) in lane `at` (16 when none); every lane past the field is ignored.
inline uint64_t digits_value(__m128i shifted, unsigned n, unsigned at) {
    // Lane j of the result takes digit j - (16 - n) (none, a zero, when negative): from lane
    // j - (16 - n), one further for the digits after the point.
    __m128i index = _mm_add_epi8(NNKIT_LANES, _mm_set1_epi8(static_cast<char>(n - 16)));
    index = _mm_sub_epi8(index, _mm_cmpgt_epi8(index, _mm_set1_epi8(static_cast<char>(at - 1))));
    const __m128i digits = _mm_shuffle_epi8(shifted, index);  // a negative index gives 0
    const __m128i pairs = _mm_maddubs_epi16(digits, _mm_set1_epi16(0x010A));        // 10·a + b
    const __m128i quads = _mm_madd_epi16(pairs, _mm_set1_epi32(0x00010064));        // 100·a + b
    const __m128i halves = _mm_madd_epi16(_mm_packs_epi32(quads, quads), _mm_set1_epi32(0x00012710));  // 10^4·a + b
    const uint64_t two = static_cast<uint64_t>(_mm_cvtsi128_si64(halves));  // the first 8 digits, then the last 8
    return (two & 0xFFFFFFFFu) * 100000000u + (two >> 32);
}

/// The short number of `short_number` (the same fields accepted, the same values), found by one
/// 16-byte load from after the sign: the field is the run of digits and points there, and the
/// byte after it must be the delimiter or a line break.
struct Short {
    static constexpr ptrdiff_t readable = 32;
    const char *parse(const char *q, char delim, float *value) {
        const bool negative = *q == '-';
        const char *const s = q + negative;
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s));
        const __m128i shifted = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
        const unsigned digit = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(9)), shifted)));
        const unsigned point = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.'))));
        return finish(s, negative, shifted, digit | point, point, delim, value);
    }

    /// The rest, given the field's bytes after the sign (`shifted`, minus '0') and masks of its
    /// digits-or-points (`numeric`) and points from `s` on (bit i: byte s[i]; at least 16 bits).
    static const char *finish(const char *s, bool negative, __m128i shifted, uint64_t numeric, uint64_t point,
                              char delim, float *value) {
        const unsigned length = static_cast<unsigned>(_tzcnt_u64(~numeric));
        if (length + negative > 15) return nullptr;  // as short_number: the field ends within 16 bytes
        const char c = s[length];
        if (c != delim && c != '\n' && c != '\r') return nullptr;
        const unsigned point_here = static_cast<unsigned>(_bzhi_u64(point, length));
        if ((point_here & (point_here - 1)) != 0) return nullptr;  // two points
        const unsigned n = length - (point_here != 0);
        if (n == 0) return nullptr;
        const unsigned at = point_here ? static_cast<unsigned>(_tzcnt_u32(point_here)) : 16;
        const unsigned fraction_digits = point_here ? length - at - 1 : 0;
        float f;
        if (!scaled_down(digits_value(shifted, n, at), fraction_digits, &f)) return nullptr;
        *value = negative ? -f : f;
        return s + length;
    }
};

#include "plain_records.h"

}  // namespace avx2
#pragma clang attribute pop

// AVX-512 (F and BW; Skylake-SP, Ice Lake, Sapphire Rapids, Zen 4 and later): as AVX2, but the
// masks of digits and points come from one 64-byte comparison into mask registers for several
// fields in a row (about seven of T2's), instead of two 16-byte comparisons per field.
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx2,bmi,bmi2,popcnt"))), apply_to = function)
namespace avx512 {

struct Short {
    /// 64 bytes from the first digit are classified at once: 80 from a field's start covers
    /// the sign and keeps the 16-byte loads of avx2::Short inside too.
    static constexpr ptrdiff_t readable = 80;
    /// Bytes `[base, base + 64)` classified: bit i of `numeric` (`point`) is set when base[i] is
    /// a digit or a point (a point).
    const char *base = nullptr;
    uint64_t numeric = 0, point = 0;

    const char *parse(const char *q, char delim, float *value) {
        const bool negative = *q == '-';
        const char *const s = q + negative;
        size_t offset;
        if (base != nullptr && s >= base && s - base <= 48) {
            offset = static_cast<size_t>(s - base);
        } else {  // fewer than 16 classified bytes left
            const __m512i bytes = _mm512_loadu_si512(s);
            const __mmask64 digits = _mm512_cmple_epu8_mask(_mm512_sub_epi8(bytes, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
            point = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('.'));
            numeric = digits | point;
            base = s;
            offset = 0;
        }
        const __m128i shifted = _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(s)), _mm_set1_epi8('0'));
        return avx2::Short::finish(s, negative, shifted, numeric >> offset, point >> offset, delim, value);
    }
};

#include "plain_records.h"

}  // namespace avx512
#pragma clang attribute pop
#endif  // __x86_64__

using RecordsFunction = size_t (*)(const uint8_t *, size_t, uint8_t, size_t, const int32_t *, size_t, float *, size_t, float *,
                                   size_t, size_t, size_t *);

/// The paths by level (nnkit_fast_float.h: 0 scalar, 1 SSE2, 2 AVX2, 3 AVX-512); nullptr where this
/// build has none.
const RecordsFunction kPaths[4] = {
    baseline::plain_records<NoShort>,
#if defined(__SSE2__)
    baseline::plain_records<Sse2Short>,
#else
    nullptr,
#endif
#if defined(__x86_64__)
    // Instances of templates declared under the target pragmas: compiled for their instruction set.
    avx2::plain_records<avx2::Short>,
    avx512::plain_records<avx512::Short>,
#else
    nullptr,
    nullptr,
#endif
};

/// The highest level this build and processor can run: cpuid and XCR0 (through CNNKitCPU) must
/// report every instruction set the level's code is compiled for.
int best_level() {
    int level = 0;
    if (kPaths[1]) level = 1;
    const nnkit_cpu_features f = nnkit_cpu_detect();
    if (kPaths[2] && f.avx2 && f.bmi1 && f.bmi2 && f.popcnt) level = 2;
    if (level == 2 && kPaths[3] && f.avx512f && f.avx512bw) level = 3;
    return level;
}

/// The level chosen: the best one, or a lower one that NNKIT_CSV_PATH names (`scalar`, `sse2`,
/// `avx2`, `avx512`; one above the best available is lowered to it; anything else is ignored).
int initial_level() {
    const int best = best_level();
    if (const char *name = std::getenv("NNKIT_CSV_PATH")) {
        static const char *const names[4] = {"scalar", "sse2", "avx2", "avx512"};
        for (int level = 0; level < 4; level++) {
            if (std::strcmp(name, names[level]) == 0) return level < best ? level : best;
        }
    }
    return best;
}

std::atomic<int> chosen_level{-1};

int current_level() {
    int level = chosen_level.load(std::memory_order_relaxed);
    if (level < 0) {
        level = initial_level();
        chosen_level.store(level, std::memory_order_relaxed);
    }
    return level;
}

}  // namespace

extern "C" size_t nnkit_parse_plain_numeric_records(const uint8_t *bytes, size_t count, uint8_t delimiter,
                                                    size_t field_count, const int32_t *slots, size_t width,
                                                    float *out, size_t second_width, float *second_out,
                                                    size_t max_records, size_t max_record_bytes, size_t *consumed) {
    return kPaths[current_level()](bytes, count, delimiter, field_count, slots, width, out, second_width, second_out,
                                   max_records, max_record_bytes, consumed);
}

extern "C" int nnkit_plain_records_level(void) { return current_level(); }

extern "C" int nnkit_plain_records_best_level(void) { return best_level(); }

extern "C" int nnkit_plain_records_set_level(int level) {
    if (level < 0) {
        chosen_level.store(initial_level(), std::memory_order_relaxed);
        return 1;
    }
    if (level > 3 || level > best_level()) return 0;
    chosen_level.store(level, std::memory_order_relaxed);
    return 1;
}
