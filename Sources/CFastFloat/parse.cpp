#include "nnkit_fast_float.h"
#include <fast_float/fast_float.h>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
        double d = static_cast<double>(w);
        d = q < 0 ? d / kPowersOfTen[-q] : d * kPowersOfTen[q];
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        // The 29 mantissa bits a float32 drops are exactly 1000...0: halfway between two floats.
        if ((bits & 0x1FFFFFFFu) != 0x10000000u) {
            const float f = static_cast<float>(d);
            *value = negative ? -f : f;
            return p;
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
    double d = static_cast<double>(w);
    if (fraction_digits) d /= kPowersOfTen[fraction_digits];
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    if ((bits & 0x1FFFFFFFu) == 0x10000000u) return nullptr;  // halfway: parse_number hands it to fast_float
    const float f = static_cast<float>(d);
    *value = negative ? -f : f;
    return q + length;
}
#endif

}  // namespace

extern "C" size_t nnkit_parse_plain_numeric_records(const uint8_t *bytes, size_t count, uint8_t delimiter,
                                                    size_t field_count, const int32_t *slots, size_t width,
                                                    float *out, size_t second_width, float *second_out,
                                                    size_t max_records, size_t max_record_bytes, size_t *consumed) {
    const char *const begin = reinterpret_cast<const char *>(bytes);
    const char *const end = begin + count;
    const char delim = static_cast<char>(delimiter);
    const char *p = begin;
    size_t records = 0;
    while (records < max_records && p < end) {
        float *const row = out + records * width;
        // Slots from `width` on address the second output's row (nothing maps there without one).
        float *const second_row = second_out ? second_out + records * second_width : nullptr;
        const char *q = p;
        size_t field = 0;
        bool complete = false;
        for (;;) {
            if (field == field_count) break;  // more fields than expected
            if (slots[field] >= 0) {
                // A plain number: an optional '-', then a digit or a point (so no sign twice, no
                // leading space or '+', no inf/nan, which fast_float would otherwise take).
                const size_t slot = static_cast<size_t>(slots[field]);
                float *const target = slot < width ? row + slot : second_row + (slot - width);
#if defined(__SSE2__)
                if (end - q >= 32) {
                    if (const char *after = short_number(q, delim, target)) {
                        q = after;  // at the delimiter or line break that short_number saw
                        goto field_end;
                    }
                }
#endif
                if (q == end) break;
                const char *lead = *q == '-' ? q + 1 : q;
                if (lead == end || !((unsigned char)(*lead - '0') < 10 || *lead == '.')) break;
                const char *after = parse_number(q, end, target);
                if (!after) break;
                q = after;
            } else {
                // A field not parsed: skipped to its end; a quote needs the general tokenizer.
                while (q < end && *q != delim && *q != '\n' && *q != '\r' && *q != '"') q++;
            }
            if (q == end) break;  // the record does not end inside the bytes given
#if defined(__SSE2__)
        field_end:
#endif
            const char c = *q;
            field += 1;
            if (c == delim) { q += 1; continue; }
            // The general tokenizer's record limit: content bytes (delimiters counted, the line
            // break not) at most max_record_bytes is always within it.
            const bool short_enough = static_cast<size_t>(q - p) <= max_record_bytes;
            if (c == '\n') { q += 1; complete = field == field_count && short_enough; break; }
            if (c == '\r' && q + 1 < end && q[1] == '\n') { q += 2; complete = field == field_count && short_enough; break; }
            break;  // anything else (a lone CR, a quote, text after a number)
        }
        if (!complete) break;
        records += 1;
        p = q;
    }
    *consumed = static_cast<size_t>(p - begin);
    return records;
}
