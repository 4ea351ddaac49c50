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

#ifdef __cplusplus
}
#endif
#endif
