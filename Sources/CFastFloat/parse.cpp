#include "nnkit_fast_float.h"
#include <fast_float/fast_float.h>
#include <cmath>
#include <cstring>

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
                if (q == end) break;
                const char *lead = *q == '-' ? q + 1 : q;
                if (lead == end || !((unsigned char)(*lead - '0') < 10 || *lead == '.')) break;
                const size_t slot = static_cast<size_t>(slots[field]);
                const char *after = parse_number(q, end, slot < width ? row + slot : second_row + (slot - width));
                if (!after) break;
                q = after;
            } else {
                // A field not parsed: skipped to its end; a quote needs the general tokenizer.
                while (q < end && *q != delim && *q != '\n' && *q != '\r' && *q != '"') q++;
            }
            if (q == end) break;  // the record does not end inside the bytes given
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
