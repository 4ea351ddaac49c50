// Decimal text to float32 with fast_float (Debian's libfast-float-dev: the Eisel–Lemire algorithm
// with an exact big-integer fallback, what C++17 `std::from_chars` does), behind a C function
// because the library is C++ and header-only. Only Tabular's NumberParser imports this module.
#ifndef NNKIT_FAST_FLOAT_H
#define NNKIT_FAST_FLOAT_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Parses the decimal number at the start of `[first, first + count)` (optional `-`, digits with
/// an optional `.` fraction and an optional `e`/`E` exponent; fast_float's "general" format) to
/// the nearest float32 (correctly rounded, ties to even; beyond float32's range ±infinity, below
/// it ±0 or a subnormal), stores it in `*value` and returns the number of bytes consumed; 0 when
/// the text does not start with a number (then `*value` is unchanged). It also accepts `inf`,
/// `infinity` and `nan`, which the caller rules out beforehand.
size_t nnkit_parse_float32(const uint8_t *first, size_t count, float *value);

/// Parses consecutive CSV records of plain numbers from `[bytes, bytes + count)`, the fast path of
/// the CSV reader: stops before the first record that is not plain and returns the number of
/// records parsed (at most `max_records`), with `*consumed` set to the bytes they span (up to and
/// including the last one's line break).
///
/// A record is plain when it has exactly `field_count` fields separated by `delimiter` and ends
/// with LF or CRLF inside the bytes given; every field `f` with `slots[f] >= 0` is a number as
/// fast_float reads it (optional `-`, digits with an optional `.` fraction, optional exponent),
/// starting with `-`, a digit or `.`, finite as float32, directly followed by the delimiter or the
/// line break; other fields (`slots[f] < 0`) hold no quote and no CR; and the record's bytes
/// before its line break number at most `max_record_bytes`. Field `f`'s value goes to
/// `out[record * width + slots[f]]` when `slots[f] < width`, else to
/// `second_out[record * second_width + slots[f] - width]` (a second matrix, e.g. targets beside inputs,
/// so that neither needs to be cut out of a wider one afterwards; `second_out` may be NULL when no
/// slot is `width` or more). Anything else (quotes, spaces, `+`, empty or non-numeric
/// values, NaN, out-of-range values, a lone CR, a different field count, a record cut off by the
/// end of the bytes) stops the parse at that record's start, for the general tokenizer to read it
/// (and to report it with line and column). The delimiter must not be a byte a number can hold
/// (`0-9 . e E + -`) nor `"`, CR or LF; the caller checks.
size_t nnkit_parse_plain_numeric_records(const uint8_t *bytes, size_t count, uint8_t delimiter,
                                         size_t field_count, const int32_t *slots, size_t width,
                                         float *out, size_t second_width, float *second_out,
                                         size_t max_records, size_t max_record_bytes, size_t *consumed);

/// Which build of the plain-record loop `nnkit_parse_plain_numeric_records` runs (every one gives
/// the same records, bytes and bits; they differ only in speed): 0 scalar (every field through the
/// general number parser; what non-x86 processors run), 1 SSE2 (every x86-64), 2 AVX2 (with BMI1,
/// BMI2 and POPCNT), 3 AVX-512 (F and BW). The best one that cpuid and the operating system (XCR0)
/// allow is chosen on first use, unless the environment variable NNKIT_CSV_PATH names a lower one
/// (`scalar`, `sse2`, `avx2`, `avx512`; a name above the best is lowered to it, others are ignored).
int nnkit_plain_records_level(void);

/// The highest level this processor and build can run.
int nnkit_plain_records_best_level(void);

/// Test hook: makes `level` (0-3, at most the best level) the one used from now on, process-wide,
/// and returns 1; returns 0 and changes nothing for a level this processor cannot run. -1 returns to
/// the choice made on first use (the best level or NNKIT_CSV_PATH's).
int nnkit_plain_records_set_level(int level);

#ifdef __cplusplus
}
#endif
#endif
