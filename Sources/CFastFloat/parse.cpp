#include "nnkit_fast_float.h"
#include <fast_float/fast_float.h>

extern "C" size_t nnkit_parse_float32(const uint8_t *first, size_t count, float *value) {
    const char *begin = reinterpret_cast<const char *>(first);
    float parsed;
    fast_float::from_chars_result r = fast_float::from_chars(begin, begin + count, parsed);
    if (r.ec != std::errc()) return 0;
    *value = parsed;
    return static_cast<size_t>(r.ptr - begin);
}
